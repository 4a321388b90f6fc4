import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Reply, Request, Timed } from './protocol.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

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

  /** A fresh Node process running worker.ts under tsx (plus `nodeArgs`); resolves once it listens. */
  static start(nodeArgs: readonly string[] = []): Promise<WorkerProcess> {
    const child = fork(WORKER, [], { cwd: REPO_ROOT, execArgv: ['--import', 'tsx', ...nodeArgs], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
