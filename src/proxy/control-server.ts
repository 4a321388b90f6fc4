import { chmod, lstat, stat, unlink } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { BerthError, describeError, type Logger } from '../core/index.js';
import type { DataPlane } from './control.js';
import { tableProblem } from './table-validation.js';

/** Largest request body accepted on the control socket. */
export const CONTROL_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

export interface ControlServerOptions {
  readonly dataPlane: DataPlane;
  /** The unix socket path. A stale socket file (nothing answers on it) is replaced. */
  readonly socketPath: string;
  readonly logger: Logger;
  /** Calls (healthz included) are answered once this settles: the socket can be claimed before the data plane has started. */
  readonly ready?: Promise<void>;
  /** How often the socket file is checked to still be this server's (`lost`). Default 1 s. */
  readonly watchMs?: number;
}

export interface RunningControlServer {
  /** Stops accepting, waits for running calls (a drain may take its timeout), removes the socket file. */
  close(): Promise<void>;
  /**
   * Resolves when the socket file stops being this server's: removed, or replaced by another
   * proxy's. Two proxies that found the same stale socket file at once each remove it and bind
   * their own; the one bound first is then unreachable, yet would hold its addresses for good.
   * It learns so here (within `watchMs`) and stops.
   */
  readonly lost: Promise<void>;
}

/**
 * Serves a DataPlane over HTTP/1.1 on a unix socket (mode 0600: only the owner controls the
 * proxy). Routes:
 *   PUT    /v1/namespaces/:ns   body NamespaceTable        → 200 ListenerStatus[]
 *   DELETE /v1/namespaces/:ns                               → 204
 *   POST   /v1/drain            body { ids, timeoutMs }     → 200 { remaining }
 *   GET    /v1/status                                       → 200 DataPlaneStatus
 *   GET    /healthz                                         → 200 { ok: true, pid }
 * Errors answer `{ error: message }`: 400 for a bad body, 404 for an unknown route, 500
 * otherwise. Throws STATE_LOCKED when another process answers on the socket already.
 */
export async function startControlServer(o: ControlServerOptions): Promise<RunningControlServer> {
  const logger = o.logger.child({ component: 'proxy-control' });
  await removeStaleSocket(o.socketPath);
  const server = http.createServer((req, res) => {
    (o.ready ?? Promise.resolve())
      .then(() => handle(o.dataPlane, req, res))
      .catch((err: unknown) => {
        const status = err instanceof RequestError ? err.status : 500;
        if (status === 500) logger.error({ method: req.method, url: req.url, err: describeError(err) }, 'control call failed');
        else logger.debug({ method: req.method, url: req.url, status, err: describeError(err) }, 'control call refused');
        if (!res.headersSent) json(res, status, { error: describeError(err) });
        else res.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) =>
      // Another proxy bound the socket between our check and our bind: it is this state directory's data plane.
      reject(
        err.code === 'EADDRINUSE'
          ? new BerthError('STATE_LOCKED', `another proxy already answers on ${o.socketPath}`, { details: { socketPath: o.socketPath } })
          : err,
      );
    server.once('error', fail);
    server.listen(o.socketPath, () => {
      server.off('error', fail);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err: err.message }, 'control server failed'));
  await chmod(o.socketPath, 0o600);
  // The file's identity: its inode, and its change time (the chmod just made). An inode alone is
  // not one: a file removed frees its inode, and the next socket file may get the same number.
  const identity = async (): Promise<string | undefined> =>
    stat(o.socketPath, { bigint: true }).then(
      (s) => `${s.ino}:${s.ctimeNs}`,
      () => undefined,
    );
  const mine = await identity();
  let watch: NodeJS.Timeout | undefined;
  const lost = new Promise<void>((resolve) => {
    watch = setInterval(() => {
      void identity().then((now) => now !== mine && resolve());
    }, o.watchMs ?? 1_000);
    watch.unref();
  });
  void lost.then(() => {
    clearInterval(watch);
    logger.warn({ socket: o.socketPath }, 'the control socket file is no longer this proxy’s (removed, or another proxy bound its own)');
  });
  logger.info({ socket: o.socketPath }, 'control socket listening');
  return {
    lost,
    async close() {
      clearInterval(watch);
      if ((await identity()) !== mine) {
        // The file at the path is another proxy's now, and closing a unix socket server removes
        // the file at its path (libuv): left open instead, unreachable and not holding the process.
        server.unref();
        return;
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await unlink(o.socketPath).catch(() => {});
    },
  };
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function handle(plane: DataPlane, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  const ns = /^\/v1\/namespaces\/([^/]+)$/.exec(path);
  if (req.method === 'GET' && path === '/healthz') return json(res, 200, { ok: true, pid: process.pid });
  if (req.method === 'GET' && path === '/v1/status') return json(res, 200, await plane.status());
  if (req.method === 'PUT' && ns) {
    const namespace = decodeURIComponent(ns[1]!);
    const table = await readJson(req);
    const problem = tableProblem(table);
    if (problem) throw new RequestError(400, problem);
    if ((table as { namespace: string }).namespace !== namespace)
      throw new RequestError(400, `namespace in the body ("${(table as { namespace: string }).namespace}") differs from the path ("${namespace}")`);
    return json(res, 200, await plane.putNamespace(table as Parameters<DataPlane['putNamespace']>[0]));
  }
  if (req.method === 'DELETE' && ns) {
    await plane.removeNamespace(decodeURIComponent(ns[1]!));
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'POST' && path === '/v1/drain') {
    const body = (await readJson(req)) as { ids?: unknown; timeoutMs?: unknown } | null;
    const ids = body?.ids;
    const timeoutMs = body?.timeoutMs;
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw new RequestError(400, 'ids must be an array of strings');
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) throw new RequestError(400, 'timeoutMs must be a number ≥ 0');
    return json(res, 200, await plane.drain(ids as string[], timeoutMs));
  }
  throw new RequestError(404, `no route ${req.method} ${path}`);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > CONTROL_BODY_LIMIT_BYTES) throw new RequestError(413, `body larger than ${CONTROL_BODY_LIMIT_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new RequestError(400, `body is not JSON: ${describeError(err)}`);
  }
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Removes a socket file nothing answers on (left by a crash); refuses to steal a live one. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  const stat = await lstat(socketPath).catch(() => undefined);
  if (!stat) return;
  if (!stat.isSocket()) throw new BerthError('USAGE', `${socketPath} exists and is not a unix socket`, { details: { socketPath } });
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path: socketPath });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new BerthError('STATE_LOCKED', `another proxy already answers on ${socketPath}`, { details: { socketPath } });
  await unlink(socketPath).catch(() => {});
}
