import { closeSync, promises as fsp, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DesiredSource } from '../../src/controller/desired-source.js';
import { silentLogger } from '../../src/core/index.js';
import { buildDesiredState } from '../../src/desired/index.js';
import { createJsonArraySplitter } from '../../src/runtime/docker/json-array.js';
import type { Inventory } from '../../src/runtime/index.js';
import { LABEL } from '../../src/runtime/index.js';
import { openGitSource } from '../../src/source/index.js';
import { inSyncInventory } from './in-sync-inventory.js';

/** The berth instance the benchmark's labels are written for (the worker observes as it). */
export const BENCH_INSTANCE = 'bench';

/**
 * The in-sync engine, kept by the driver (not by the measured worker): after each rollout the
 * engine's answer to a list is what inSyncInventory says for the commit. Its containers are
 * written as one JSON array to `file`, which the worker reads in chunks and parses element by
 * element each pass, as the docker driver reads the engine's answer (json-array.ts); the rest
 * (networks, volumes) goes to `<file>.rest.json`; readEngineList reads both back. Each namespace's
 * share, what the engine answers a list filtered by its label, is written the same way under
 * `<file>.ns/` (namespaceFile), for the daemon-shaped sweep. Building it
 * (20,000 containers with their labels, then JSON) is the harness's work, not a daemon's; done in
 * the worker it added 60–70 MB to its peak at every one-file change.
 *
 * It reads the local working repository through berth's own DesiredSource; the remote serves the
 * same commits.
 */
export class EngineFile {
  private constructor(
    readonly file: string,
    private readonly source: DesiredSource,
  ) {}

  static async open(repo: string, cacheDir: string, file: string): Promise<EngineFile> {
    const source = new DesiredSource(await openGitSource({ repo, cacheDir, logger: silentLogger }), BENCH_INSTANCE, silentLogger);
    return new EngineFile(file, source);
  }

  /** The engine once the repository's head is rolled out: writes the file; returns its container count. */
  async rollOut(): Promise<number> {
    const { revision } = await this.source.refresh();
    const { containers, ...rest } = inSyncInventory(revision.desired);
    await fsp.writeFile(this.file, JSON.stringify(containers));
    await fsp.writeFile(restFile(this.file), JSON.stringify(rest));
    const dir = `${this.file}.ns`;
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.mkdir(dir);
    for (const ns of revision.desired.namespaces) {
      const own = (labels: Readonly<Record<string, string>>) => labels[LABEL.namespace] === ns.name;
      const file = namespaceFile(this.file, ns.name);
      await fsp.writeFile(file, JSON.stringify(containers.filter((c) => own(c.labels))));
      await fsp.writeFile(restFile(file), JSON.stringify({ ...rest, networks: rest.networks.filter((n) => own(n.labels)) }));
    }
    return containers.length;
  }

  /** buildDesiredState alone over the head's manifests, without the cache, timed: how much of a refresh it is. */
  desiredAloneMs(): number {
    const manifests = this.source.current()!.manifests;
    const t = performance.now();
    buildDesiredState(manifests, { instance: BENCH_INSTANCE });
    return performance.now() - t;
  }
}

/** The size of the chunks the engine's answer arrives in (a socket read). */
const ENGINE_CHUNK_BYTES = 64 * 1024;

/** Where rollOut writes the engine's answer to a list of one namespace (read it with readEngineList). */
export function namespaceFile(file: string, namespace: string): string {
  return path.join(`${file}.ns`, `${namespace}.json`);
}

function restFile(file: string): string {
  return `${file}.rest.json`;
}

/**
 * The engine's answer as a pass gets it: the containers read in chunks (a fresh buffer each, of
 * the size read, as a socket hands them over: Node reads into 64 KB and shrinks the buffer to
 * what arrived) through the docker driver's own splitter, the rest parsed whole.
 */
export function readEngineList(file: string): Inventory {
  const containers: unknown[] = [];
  const splitter = createJsonArraySplitter((c) => containers.push(c));
  const fd = openSync(file, 'r');
  const scratch = Buffer.allocUnsafe(ENGINE_CHUNK_BYTES);
  try {
    for (;;) {
      const read = readSync(fd, scratch, 0, scratch.length, null);
      if (read === 0) break;
      splitter.push(Buffer.from(scratch.subarray(0, read)));
    }
    splitter.end();
  } finally {
    closeSync(fd);
  }
  const rest = JSON.parse(readFileSync(restFile(file), 'utf8')) as Omit<Inventory, 'containers'>;
  return { ...rest, containers: containers as Inventory['containers'] };
}
