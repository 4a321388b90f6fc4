/**
 * A volume's root folder (mode, group root:gid) set on the engine's own host, for an engine at
 * tcp:// or ssh:// (another machine: its volumes' folders are not in berth's filesystem; one at a
 * unix socket is chmod/chown'ed directly, driver.ts). A stopped helper container of berth's pause
 * image mounts the volume at /v, and the engine extracts a one-directory tar over it (PUT
 * /containers/{id}/archive): no program runs, so no image needs a shell.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { BerthError, type Logger } from '../../core/index.js';
import { PAUSE_IMAGE } from '../driver.js';
import { LABEL } from '../labels.js';
import { engineCall } from './errors.js';

/** The label of a helper container that prepares a volume (its value: the volume's name). Not `berth.managed`: no pass sees it. */
export const VOLUME_HELPER_LABEL = 'berth.volume-helper';

/** Where the volume is mounted in the helper container. */
const TARGET = 'v';

/**
 * Sets the folder (the pause image must be on the engine). The helper is removed at once; one a
 * crash left behind is removed before the next is made for that volume.
 */
export async function setVolumeRoot(
  engine: { readonly api: Docker; readonly address: string; readonly instance: string; readonly log: Logger },
  name: string,
  mode: number,
  gid: number,
): Promise<void> {
  const call = <T>(action: string, fn: () => Promise<T>) => engineCall(engine.address, action, fn);
  const label = `${VOLUME_HELPER_LABEL}=${name}`;
  const left = await call('list volume helpers', () => engine.api.listContainers({ all: true, filters: { label: [label] } }));
  for (const c of left)
    await engine.api
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => {});
  const helper = await call(`create a helper for volume ${name}`, () =>
    engine.api.createContainer({
      name: `${name}.prepare.${randomBytes(3).toString('hex')}`,
      Image: PAUSE_IMAGE,
      Entrypoint: ['/pause'],
      Labels: { [VOLUME_HELPER_LABEL]: name, [LABEL.instance]: engine.instance },
      HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: name, Target: `/${TARGET}` }] },
    }),
  );
  try {
    await call(`set the folder of volume ${name}`, () => helper.putArchive(volumeRootTar(mode, gid), { path: '/' }));
  } catch (err) {
    throw new BerthError(
      'CONTAINER_START_FAILED',
      `volume ${name}: cannot set the mode and group of its folder: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
        details: { volume: name },
      },
    );
  } finally {
    await helper
      .remove({ force: true, v: false })
      .catch((err: unknown) => engine.log.warn({ err: String(err), volume: name }, 'could not remove the volume helper'));
  }
}

/** A one-entry tar: the directory `v` with this mode, owner root and group `gid`. */
function volumeRootTar(mode: number, gid: number): Readable {
  const tar = pack();
  tar.entry({ name: TARGET, type: 'directory', mode, uid: 0, gid, mtime: new Date(0) });
  tar.finalize();
  return tar as unknown as Readable; // a streamx Readable: piped by the client like any stream
}
