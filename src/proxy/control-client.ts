import http from 'node:http';
import { BerthError, describeError, isBerthError } from '../core/index.js';
import type { DataPlane, DataPlaneStatus, ListenerStatus, NamespaceTable } from './control.js';

/** Default per-call timeout; a drain gets its own timeout plus DRAIN_EXTRA_MS. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
export const DRAIN_EXTRA_MS = 5_000;

export interface DataPlaneClientOptions {
  /** The proxy's control socket (see startControlServer). */
  readonly socketPath: string;
  /** Per-call timeout except drain. Default 10 s. */
  readonly timeoutMs?: number;
  /**
   * Starts the proxy when none runs (e.g. `() => ensureProxyRunning({...})`). With it, the
   * proxy is started on demand: `putNamespace` on a socket nothing listens on starts it and
   * retries once; `removeNamespace` and `drain` there succeed without starting one (a proxy
   * that does not run serves nothing and holds no connection: `remaining` 0). Without it,
   * every call throws DATA_PLANE_UNREACHABLE then. `status` always does.
   */
  readonly start?: () => Promise<unknown>;
}

/**
 * The DataPlane port, spoken to a proxy process over its unix control socket. A missing
 * socket, a refused or reset connection and a timeout throw DATA_PLANE_UNREACHABLE
 * (transient); a call the proxy refuses (400/500) throws INTERNAL (berth sent something the
 * proxy cannot use: a bug).
 */
export class DataPlaneClient implements DataPlane {
  /**
   * The start under way, shared: the passes of several namespaces that find the proxy gone at
   * once start one proxy, not one each (a second, losing the control socket, still bound the
   * first's addresses for a moment: berth then saw the Ingress port "in use").
   */
  private starting: Promise<unknown> | undefined;

  constructor(private readonly o: DataPlaneClientOptions) {}

  async putNamespace(table: NamespaceTable): Promise<readonly ListenerStatus[]> {
    const put = () => this.call('PUT', `/v1/namespaces/${encodeURIComponent(table.namespace)}`, table);
    try {
      return (await put()) as ListenerStatus[];
    } catch (err) {
      if (!this.o.start || !isNotRunning(err)) throw err;
      await this.startOnce();
      return (await put()) as ListenerStatus[];
    }
  }

  private startOnce(): Promise<unknown> {
    this.starting ??= this.o.start!().finally(() => (this.starting = undefined));
    return this.starting;
  }

  async removeNamespace(namespace: string): Promise<void> {
    try {
      await this.call('DELETE', `/v1/namespaces/${encodeURIComponent(namespace)}`);
    } catch (err) {
      if (!this.o.start || !isNotRunning(err)) throw err;
    }
  }

  async drain(ids: readonly string[], timeoutMs: number): Promise<{ readonly remaining: number }> {
    try {
      return (await this.call('POST', '/v1/drain', { ids, timeoutMs }, timeoutMs + DRAIN_EXTRA_MS)) as { remaining: number };
    } catch (err) {
      if (!this.o.start || !isNotRunning(err)) throw err;
      return { remaining: 0 };
    }
  }

  async status(): Promise<DataPlaneStatus> {
    return (await this.call('GET', '/v1/status')) as DataPlaneStatus;
  }

  private async call(method: string, path: string, body?: unknown, timeoutMs = this.o.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS): Promise<unknown> {
    const answer = await requestOverSocket({ socketPath: this.o.socketPath, method, path, body, timeoutMs });
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    const reason = (answer.body as { error?: unknown } | undefined)?.error;
    throw new BerthError('INTERNAL', `the proxy refused ${method} ${path} (${answer.status}): ${typeof reason === 'string' ? reason : 'no reason given'}`, {
      details: { status: answer.status },
    });
  }
}

/** True for DATA_PLANE_UNREACHABLE because nothing listens on the socket (not: it did not answer in time). */
export function isNotRunning(err: unknown): boolean {
  return isBerthError(err) && err.code === 'DATA_PLANE_UNREACHABLE' && err.details.notRunning === true;
}

/** True when a proxy answers `GET /healthz` on the socket within `timeoutMs`. */
export async function isDataPlaneAnswering(args: { readonly socketPath: string; readonly timeoutMs?: number }): Promise<boolean> {
  try {
    const answer = await requestOverSocket({ socketPath: args.socketPath, method: 'GET', path: '/healthz', timeoutMs: args.timeoutMs ?? 1_000 });
    return answer.status === 200;
  } catch {
    return false;
  }
}

/** One JSON call over the unix socket; transport failures become DATA_PLANE_UNREACHABLE. */
function requestOverSocket(args: {
  socketPath: string;
  method: string;
  path: string;
  body?: unknown;
  timeoutMs: number;
}): Promise<{ status: number; body: unknown }> {
  const payload = args.body === undefined ? undefined : JSON.stringify(args.body);
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(
        new BerthError('DATA_PLANE_UNREACHABLE', `the proxy did not answer ${args.method} ${args.path} on ${args.socketPath}: ${describeError(err)}`, {
          cause: err,
          details: { socketPath: args.socketPath, notRunning: ['ENOENT', 'ECONNREFUSED'].includes((err as NodeJS.ErrnoException).code ?? '') },
        }),
      );
    };
    const req = http.request(
      {
        socketPath: args.socketPath,
        method: args.method,
        path: args.path,
        agent: false,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            body = { error: text.slice(0, 200) };
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    const timer = setTimeout(() => fail(new Error(`no answer within ${args.timeoutMs} ms`)), args.timeoutMs);
    req.on('error', fail);
    req.end(payload);
  });
}
