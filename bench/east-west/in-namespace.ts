/**
 * Starts bench/east-west/client.ts inside a container's network namespace and talks to it
 * (one command at a time, one JSON answer per command). See client.ts for why a host process
 * entered into the namespace and not a shell loop inside the container.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Command, Report, Target } from './client.js';

const CLIENT = fileURLToPath(new URL('./client.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export class InNamespaceClient {
  private readonly waiting: Array<(line: string) => void> = [];
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => this.waiting.shift()?.(line));
    child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
  }

  /** `pid`: the container's main process (its network namespace is entered). */
  static async start(pid: number, loops: number): Promise<InNamespaceClient> {
    const child = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, '--', process.execPath, '--import', 'tsx', CLIENT, String(loops)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const c = new InNamespaceClient(child);
    const ready = await c.next();
    if (!(ready as { ready?: boolean }).ready) throw new Error(`the in-namespace client did not start: ${c.stderr}`);
    return c;
  }

  private next(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the in-namespace client exited (${code}): ${this.stderr}`));
      this.child.once('exit', onExit);
      this.waiting.push((line) => {
        this.child.off('exit', onExit);
        resolve(JSON.parse(line));
      });
    });
  }

  private send(c: Command): Promise<unknown> {
    const answer = this.next();
    this.child.stdin!.write(`${JSON.stringify(c)}\n`);
    return answer;
  }

  async target(t: Target): Promise<void> {
    await this.send({ op: 'target', ...t });
  }

  /** Only the first `n` loops run from now on (the others wait). */
  async loops(n: number): Promise<void> {
    await this.send({ op: 'loops', n });
  }

  report(): Promise<Report> {
    return this.send({ op: 'report' }) as Promise<Report>;
  }

  async resolve(name: string): Promise<string[]> {
    const a = (await this.send({ op: 'resolve', name })) as { addresses?: string[]; error?: string };
    if (!a.addresses) throw new Error(`lookup ${name} inside the namespace: ${a.error}`);
    return a.addresses;
  }

  /** Waits for the requests in flight; returns what happened since the last report. */
  async stop(): Promise<Report> {
    if (this.child.exitCode !== null) return { ok: 0, failed: 0, errors: [], latencies: [], gaps: [], slowLookups: 0 };
    return this.send({ op: 'stop' }) as Promise<Report>;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
