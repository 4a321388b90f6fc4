import { createServer } from 'node:net';
import { BerthError } from '../core/index.js';
import { isNotRunning, type DataPlane } from '../proxy/index.js';
import type { ListenAddress } from './option-values.js';

/**
 * What `berth run` checks before it reconciles anything: that every address it was told to
 * serve on can be served, as any server fails at start on a port conflict. An incident had
 * `berth run --listen` on a busy port log the error and go on reconciling without its API,
 * webhooks or /healthz.
 *
 * The errors say which flag, which address and why: a value that cannot be an address here
 * (not on this host, host name unknown) is USAGE (exit 4); a port in use or forbidden is
 * LISTEN_FAILED (exit 3).
 */
export function listenFailure(flag: string, at: ListenAddress, err: unknown): BerthError {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new BerthError('LISTEN_FAILED', `${flag} ${where}: the port is in use by another process; stop it or choose another port`, {
        details: { flag, code },
      });
    case 'EACCES':
      return new BerthError('LISTEN_FAILED', `${flag} ${where}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)`, {
        details: { flag, code },
      });
    case 'EADDRNOTAVAIL':
      return new BerthError(
        'USAGE',
        `${flag} ${where}: ${at.host} is not an address of this host; allowed: an address of one of its interfaces (e.g. 127.0.0.1), 0.0.0.0 or ::`,
        { details: { flag, code } },
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new BerthError(
        'USAGE',
        `${flag} ${where}: the host name ${at.host} does not resolve; allowed: an address of this host or a name that resolves to one`,
        { details: { flag, code } },
      );
    default:
      return new BerthError('LISTEN_FAILED', `${flag} ${where}: cannot listen (${(err as Error).message})`, { details: { flag, ...(code ? { code } : {}) } });
  }
}

/** Binds `at` for a moment and lets go: throws `listenFailure` when it cannot be bound. */
export function probeListen(flag: string, at: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err) => reject(listenFailure(flag, at, err)));
    server.listen({ host: at.host, port: at.port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * The data plane's Ingress address, checked at start. When a data plane of this state
 * directory already runs (it outlives `berth run`), it holds the address itself: what counts
 * is whether it serves the address asked for, and whether it reports a bind error that still
 * holds. Its error is its last attempt's, and it retries on a back-off of up to 30 s: a port
 * that was taken for a moment (a restarted data plane binding while another process held it)
 * may be free by now. So a reported error is checked by binding the address for a moment: free
 * now, berth starts, and its first table push has the data plane bind it at once; still taken,
 * berth stops with the data plane's error. Without a running data plane the address is bound
 * for a moment, as the data plane will bind it.
 */
export async function checkIngressListen(dataPlane: DataPlane, at: ListenAddress): Promise<void> {
  let running: Awaited<ReturnType<DataPlane['status']>>;
  try {
    running = await dataPlane.status();
  } catch (err) {
    // None runs: bind for a moment. One runs but did not answer in time (busy): it holds the
    // address itself, and berth's passes will report what it says.
    if (isNotRunning(err)) return probeListen('--ingress-listen', at);
    return;
  }
  const serving = running.ingress;
  if (serving && at.port !== 0 && (serving.host !== at.host || serving.port !== at.port)) {
    throw new BerthError(
      'USAGE',
      `--ingress-listen ${at.host}:${at.port}: the running data plane of this state directory (pid ${running.pid}) serves Ingress on ${serving.host}:${serving.port}; stop it first (berth proxy --stop --state-dir ...) or pass --ingress-listen ${serving.host}:${serving.port}`,
    );
  }
  if (!serving?.error) return;
  const free = await probeListen('--ingress-listen', { host: serving.host, port: serving.port }).then(
    () => true,
    () => false,
  );
  if (free) return;
  // Taken: by another process, or by the data plane itself, whose retry may have bound it just now.
  const again = await dataPlane.status().catch(() => undefined);
  if (again && !again.ingress?.error) return;
  throw new BerthError(
    'LISTEN_FAILED',
    `--ingress-listen: the running data plane (pid ${running.pid}) cannot serve ${serving.host}:${serving.port}: ${serving.error}`,
  );
}
