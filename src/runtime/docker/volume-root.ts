import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';

/** The label of a helper container that prepares a volume (its value: the volume's name). Not `berth.managed`: no pass sees it. */
export const VOLUME_HELPER_LABEL = 'berth.volume-helper';

/** Where the volume is mounted in the helper container that sets its root folder's mode and group. */
export const VOLUME_ROOT_TARGET = 'v';

/**
 * A one-entry tar: the directory `v` with this mode, owner root and group `gid`. Extracted by the
 * engine at `/` of a stopped container that mounts a volume at `/v` (PUT /containers/{id}/archive),
 * it sets the volume's root folder on the engine's own host: how berth prepares a volume on an
 * engine it reaches over tcp:// or ssh:// (a unix socket's engine shares berth's filesystem, where
 * a chmod/chown does it). No program runs: no image needs a shell.
 */
export function volumeRootTar(mode: number, gid: number): Readable {
  const tar = pack();
  tar.entry({ name: VOLUME_ROOT_TARGET, type: 'directory', mode, uid: 0, gid, mtime: new Date(0) });
  tar.finalize();
  return tar as unknown as Readable; // a streamx Readable: piped by the client like any stream
}
