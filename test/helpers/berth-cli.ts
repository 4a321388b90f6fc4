/**
 * The real `berth` CLI as a child process: `runBerth()` for one-shot commands (validate,
 * plan, apply, status), `startBerth()` for the daemon. Output is captured for assertions
 * and, on failure, for the test log.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/files/index.js';
import { stopDataPlane } from './data-plane.js';

/** From the project root: this helper is also bundled into test files (scripts/build-tests.mjs), away from its own folder. */
export const BERTH_BIN = join(PROJECT_ROOT, 'bin', 'berth.mjs');

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runBerth(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BERTH_BIN, ...args],
      { env: { ...process.env, BERTH_LOG_FORMAT: 'json', ...options.env }, timeout: options.timeoutMs ?? 180_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 99) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface BerthDaemon {
  readonly child: ChildProcess;
  /** Everything the daemon logged so far (JSON lines on stderr). */
  logs(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash) and wait for exit. */
  kill(): Promise<void>;
}

export function startBerth(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): BerthDaemon {
  const child = spawn(process.execPath, [BERTH_BIN, 'run', ...args], {
    env: { ...process.env, BERTH_LOG_FORMAT: 'json', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return { child, logs: () => output, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}

/**
 * The flags every e2e daemon starts with: its source (a repository whose manifests are under
 * `manifests/`, or `path`), state directory, instance, poll schedule and API address. Extra flags follow.
 */
export function daemonFlags(o: {
  readonly repo: string;
  readonly ref?: string;
  readonly path?: string;
  readonly stateDir: string;
  readonly instance: string;
  readonly poll: string;
  readonly listen: string;
}): string[] {
  return [
    '--repo',
    o.repo,
    ...(o.ref ? ['--ref', o.ref] : []),
    '--path',
    o.path ?? 'manifests',
    '--state-dir',
    o.stateDir,
    '--instance',
    o.instance,
    '--poll',
    o.poll,
    '--listen',
    o.listen,
  ];
}

/** Stops an e2e daemon (if it was started) and keeps its log as `<name>.log` in BERTH_TEST_LOGS when that is set. */
export async function stopAndKeepLogs(berth: BerthDaemon | undefined, name: string): Promise<void> {
  await berth?.stop();
  const dir = process.env.BERTH_TEST_LOGS;
  if (dir) await writeFile(join(dir, `${name}.log`), berth?.logs() ?? '');
}

/**
 * Tears down what an e2e test with a daemon made, each step even when an earlier one failed: the
 * daemon (its log kept), the data plane of its state directory (it outlives berth by design), the
 * engine objects of its scope, its repositories and folders. Throws the first failure at the end.
 */
export async function tearDown(o: {
  readonly berth: BerthDaemon | undefined;
  readonly name: string;
  readonly stateDir: string | undefined;
  readonly scope: { cleanup(): Promise<void> };
  readonly repos?: readonly ({ cleanup(): Promise<void> } | undefined)[];
  readonly dirs?: readonly (string | undefined)[];
}): Promise<void> {
  const failures: unknown[] = [];
  const step = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      failures.push(err);
    }
  };
  await step(() => stopAndKeepLogs(o.berth, o.name));
  if (o.stateDir) await step(() => stopDataPlane(o.stateDir!));
  await step(() => o.scope.cleanup());
  for (const repo of o.repos ?? []) if (repo) await step(() => repo.cleanup());
  for (const dir of [o.stateDir, ...(o.dirs ?? [])]) if (dir) await step(() => rm(dir, { recursive: true, force: true }));
  if (failures.length > 0) throw failures[0];
}
