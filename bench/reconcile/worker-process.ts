import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
// @ts-expect-error: a plain ES module of the launcher, without type declarations
import { BUILD_OPTIONS, bundledEntry } from '../../bin/bundle.mjs';
import type { Reply, Request, Timed } from './protocol.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * How berth ships its process: the environment and the Node flags of bin/berth.mjs's first line
 * (`#!/usr/bin/env -S [NAME=value …] node [--flag …]`), read from there so the bench runs berth's
 * code under the settings it runs under.
 */
export function shippedLaunch(): { readonly env: Readonly<Record<string, string>>; readonly flags: readonly string[] } {
  const first = readFileSync(path.join(REPO_ROOT, 'bin', 'berth.mjs'), 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!\/usr\/bin\/env -S((?: [A-Za-z_][A-Za-z0-9_]*=\S*)*) node((?: --\S+)*)$/.exec(first);
  if (!match) throw new Error(`bin/berth.mjs's first line is not "#!/usr/bin/env -S [NAME=value …] node [--flag …]": ${first}`);
  const env = Object.fromEntries(match[1]!.split(' ').filter(Boolean).map(splitAssignment));
  return { env, flags: match[2]!.split(' ').filter(Boolean) };
}

/** `NAME=value` → [NAME, value] (the value may hold `=`; `NAME=` → [NAME, '']). */
function splitAssignment(assignment: string): [string, string] {
  const at = assignment.indexOf('=');
  return [assignment.slice(0, at), assignment.slice(at + 1)];
}

/** How berth ships, as one line: `NAME=value … --flag …`. */
export function describeLaunch(): string {
  const { env, flags } = shippedLaunch();
  return [...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...flags].join(' ');
}

/**
 * How a worker loads berth: `bundle` as it ships (bin/berth.mjs runs one esbuild bundle; the
 * worker's entry is bundled with the same settings), `tsx` through tsx's loader hooks, one
 * TypeScript module at a time (what the benchmark did before; its fresh process is larger).
 */
export type WorkerLoad = { readonly kind: 'bundle'; readonly file: string } | { readonly kind: 'tsx' };

/**
 * Bundles worker.ts (and berth's sources under it) into `dist/` with bin/bundle.mjs's esbuild
 * settings, so node_modules resolves as it does for `dist/berth.mjs`, and beside berth's own
 * bundles, which it builds first (the worker starts `dist/fetch-child.mjs` as berth does). The caller removes the
 * file with `removeWorkerBundle`.
 */
export async function bundleWorker(): Promise<WorkerLoad> {
  const dir = path.join(REPO_ROOT, 'dist');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `bench-reconcile-worker.${process.pid}.mjs`);
  // berth's own bundles first: the mirror's first fetch runs dist/fetch-child.mjs, found beside the worker's.
  if (!(await bundledEntry())) throw new Error('bin/bundle.mjs could not build dist/');
  await build({ ...(BUILD_OPTIONS as BuildOptions), entryPoints: [WORKER], outfile: file, logLevel: 'error' });
  return { kind: 'bundle', file };
}

export async function removeWorkerBundle(load: WorkerLoad): Promise<void> {
  if (load.kind === 'bundle') await rm(load.file, { force: true });
}

/** A worker process (worker.ts) and a request/reply channel to it; one request at a time. */
export class WorkerProcess {
  private pending: { resolve: (t: Timed) => void; reject: (e: Error) => void } | undefined;
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: Reply | { ready: true }) => {
      if ('ready' in message) return;
      const p = this.pending;
      this.pending = undefined;
      if (!p) return;
      if (message.ok) p.resolve(message);
      else p.reject(new Error(`worker: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(new Error(`worker exited (code ${code}, signal ${signal}) during a request`));
    });
  }

  /** A fresh Node process running worker.ts, bundled or under tsx, with berth's shipped environment and flags (plus `nodeArgs`, which come later and so win, and `envOverrides`: `NAME=value`, or `NAME=` to remove it); resolves once it listens. */
  static start(load: WorkerLoad, nodeArgs: readonly string[] = [], envOverrides: readonly string[] = []): Promise<WorkerProcess> {
    const [entry, loader] = load.kind === 'bundle' ? [load.file, ['--enable-source-maps']] : [WORKER, ['--import', 'tsx']];
    const launch = shippedLaunch();
    const execArgv = [...loader, ...launch.flags, ...nodeArgs];
    const env: Record<string, string | undefined> = { ...process.env, ...launch.env };
    // `NAME=value` sets, `NAME=` removes (an empty MALLOC_* value is not glibc's default).
    for (const [name, value] of envOverrides.map(splitAssignment)) {
      if (value === '') delete env[name];
      else env[name] = value;
    }
    const child = fork(entry, [], { cwd: REPO_ROOT, execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`worker exited (code ${code}) before it was ready`));
      child.once('exit', onExit);
      child.once('error', reject);
      child.once('message', () => {
        child.off('exit', onExit);
        resolve(new WorkerProcess(child));
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request(request: Request): Promise<Timed> {
    if (this.exited) return Promise.reject(new Error('worker has exited'));
    if (this.pending) return Promise.reject(new Error('worker: one request at a time'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.send(request);
    });
  }

  /** Close the channel (the worker exits on disconnect); SIGKILL this one process if it lingers. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}
