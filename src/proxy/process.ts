import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { BerthError, type Logger } from '../core/index.js';
import { isDataPlaneAnswering } from './control-client.js';
import { startControlServer } from './control-server.js';
import { ProxyServer, type Address } from './data-plane.js';

export interface ProxyProcessOptions {
  /** The control socket the reconciler talks to. */
  readonly socketPath: string;
  /** The persisted merged table (loaded at start, so a restarted proxy serves at once). */
  readonly statePath: string;
  /** Where the Ingress HTTP server listens; no Ingress serving without it. */
  readonly ingressListen?: Address;
  readonly logger: Logger;
  /** On close, how long open connections and requests may take to finish. Default 5 s. */
  readonly shutdownGraceMs?: number;
}

/** Default grace for open connections when the proxy process stops. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;

/**
 * The body of `berth proxy`: the data plane plus its control socket, in this process. The
 * caller wires SIGTERM/SIGINT, and `lost` (another proxy took the control socket file), to
 * `close()`, which stops the control socket first (no table
 * change arrives half-way through shutdown), then the data plane (with a grace period).
 */
export async function runProxyProcess(o: ProxyProcessOptions): Promise<{ close(): Promise<void>; readonly lost: Promise<void> }> {
  const proxy = new ProxyServer({ logger: o.logger, statePath: o.statePath, ...(o.ingressListen ? { ingressListen: o.ingressListen } : {}) });
  // The control socket first: it is the claim to be this state directory's data plane. A second
  // proxy started at the same moment fails there (STATE_LOCKED) before it binds an address or
  // touches the kernel path's chains, so it never holds what the first one serves. Calls wait
  // until the tables are loaded and bound (`ready`).
  let started!: () => void;
  let failed!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => ([started, failed] = [resolve, reject]));
  ready.catch(() => {}); // a start that fails is reported below; calls waiting on it then fail too
  const control = await startControlServer({ dataPlane: proxy, socketPath: o.socketPath, logger: o.logger, ready });
  try {
    await proxy.start();
    started();
  } catch (err) {
    failed(err);
    await control.close();
    throw err;
  }
  o.logger.info({ pid: process.pid, socket: o.socketPath, ingress: o.ingressListen }, 'proxy running');
  let closing: Promise<void> | undefined;
  return {
    /** The control socket is no longer this process's (RunningControlServer.lost): the caller stops it. */
    lost: control.lost,
    close() {
      closing ??= (async () => {
        await control.close();
        await proxy.close({ graceMs: o.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS });
      })();
      return closing;
    },
  };
}

export interface EnsureProxyOptions {
  readonly socketPath: string;
  /** Arguments for `process.execPath` that run `berth proxy` (e.g. [bin/berth.mjs, 'proxy', ...]). */
  readonly spawnArgs: readonly string[];
  /** The proxy's stdout and stderr are appended here. */
  readonly logFile: string;
  /** How long to wait for a spawned proxy to answer. */
  readonly timeoutMs: number;
  /** Environment of the spawned proxy. Default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Makes sure a proxy answers on `socketPath`: when none does, starts one detached (it
 * outlives this process, so connections survive a restart of `berth run`) and waits until
 * it answers. Throws DATA_PLANE_UNREACHABLE when it does not within `timeoutMs` or exits.
 */
export async function ensureProxyRunning(o: EnsureProxyOptions): Promise<{ readonly started: boolean; readonly pid?: number }> {
  if (await isDataPlaneAnswering({ socketPath: o.socketPath })) return { started: false };
  const log = openSync(o.logFile, 'a', 0o600);
  let exited: string | undefined;
  let child;
  try {
    child = spawn(process.execPath, [...o.spawnArgs], { detached: true, stdio: ['ignore', log, log], env: o.env ?? process.env });
  } finally {
    closeSync(log);
  }
  child.on('error', (err) => (exited = err.message));
  child.on('exit', (code, signal) => (exited = signal ? `killed by ${signal}` : `exited with code ${code}`));
  child.unref();

  let late = false; // the deadline is a timer (unref'd: it never holds the process), not a clock read
  setTimeout(() => (late = true), o.timeoutMs).unref();
  for (;;) {
    // Another berth may have won the race to start one (ours then exits): an answer is what counts.
    if (await isDataPlaneAnswering({ socketPath: o.socketPath, timeoutMs: 500 }))
      return exited === undefined && child.pid ? { started: true, pid: child.pid } : { started: false };
    if (exited !== undefined) {
      throw new BerthError('DATA_PLANE_UNREACHABLE', `the proxy process ${exited} before answering on ${o.socketPath}; see ${o.logFile}`, {
        details: { socketPath: o.socketPath, logFile: o.logFile },
      });
    }
    if (late) {
      throw new BerthError('DATA_PLANE_UNREACHABLE', `the proxy did not answer on ${o.socketPath} within ${o.timeoutMs} ms; see ${o.logFile}`, {
        details: { socketPath: o.socketPath, logFile: o.logFile },
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
