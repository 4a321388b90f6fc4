/**
 * The dashboard of `berth run`: the page at `/`, its scripts (`/ui/…`: berth's own modules and
 * preact + htm served from node_modules — no CDN, no build step), the live view
 * (`GET /api/v1/events`, Server-Sent Events) and sign-in (`/api/v1/session`).
 *
 * The live view is one watcher for all pages: while a page listens it rebuilds the view every
 * second from the in-memory store and the engine's pods, and sends it only when it changed, so
 * ten open pages cost one engine listing a second, not ten, and a quiet berth sends nothing.
 */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BerthError, type Logger } from '../core/index.js';
import { PROJECT_ROOT } from '../files/index.js';
import type { PodStatus } from '../observed/index.js';
import type { Store } from '../store/index.js';
import { publicState, readerGuard } from './api.js';
import { tokensEqual } from './constant-time.js';
import type { ControlPort } from './control.js';
import { dashboardView } from './dashboard-view.js';
import { clearedSessionCookie, CSRF_HEADER, parseCookies, SESSION_COOKIE, sessionCookie, type Sessions, SignInLimiter } from './session.js';

export interface DashboardOptions {
  readonly control: ControlPort;
  readonly store: Store;
  readonly logger: Logger;
  readonly apiToken: string | undefined;
  readonly sessions: Sessions;
  /** How often the watcher rebuilds the view while a page listens. Default 1000 ms. */
  readonly refreshMs?: number;
}

const UI_DIR = pathToFileURL(join(PROJECT_ROOT, 'src', 'server', 'ui', '/'));

/** The browser's module names → files; preact's hooks import `preact` by name, the import map resolves it. */
const IMPORT_MAP = JSON.stringify({ imports: { preact: '/ui/vendor/preact.mjs', 'preact/hooks': '/ui/vendor/hooks.mjs', htm: '/ui/vendor/htm.mjs' } });
const IMPORT_MAP_HASH = createHash('sha256').update(IMPORT_MAP).digest('base64');
/** Scripts only from berth itself (plus the import map, by its hash); nothing from elsewhere, no framing. */
const CSP = `default-src 'self'; script-src 'self' 'sha256-${IMPORT_MAP_HASH}'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`;

/** Every file `/ui/` serves: a fixed list, so no path from a request ever reaches the file system. */
const ASSETS: Record<string, { url: URL | (() => URL); type: string }> = {
  'app.js': { url: new URL('app.js', UI_DIR), type: 'text/javascript; charset=utf-8' },
  'style.css': { url: new URL('style.css', UI_DIR), type: 'text/css; charset=utf-8' },
  'vendor/preact.mjs': { url: () => new URL(import.meta.resolve('preact')), type: 'text/javascript; charset=utf-8' },
  'vendor/hooks.mjs': { url: () => new URL(import.meta.resolve('preact/hooks')), type: 'text/javascript; charset=utf-8' },
  'vendor/htm.mjs': { url: () => new URL(import.meta.resolve('htm')), type: 'text/javascript; charset=utf-8' },
};

function page(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>berth</title>
<link rel="stylesheet" href="/ui/style.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="/ui/app.js"></script>
</head>
<body>
<div id="app"><p class="loading">Loading berth…</p></div>
<noscript>The berth dashboard needs JavaScript; the same data is at <a href="/api/v1/status">/api/v1/status</a>.</noscript>
</body>
</html>
`;
}

/** Open event streams served at once; more answer 503 (each holds a socket and gets every view). */
export const MAX_STREAMS = 64;

/** Replica log streams served at once; more answer 503 (each holds an engine log stream). */
export const MAX_LOG_STREAMS = 16;
/** Lines of a replica's log sent before following it. */
const LOG_TAIL_LINES = 200;

/** Every this many refreshes (15 s at the default period), a stream with no news gets a comment line. */
const KEEP_ALIVE_TICKS = 15;

/** Pages listening to the live view, and the one timer that feeds them. */
class LiveView {
  readonly #clients = new Set<ServerResponse>();
  #timer: NodeJS.Timeout | undefined;
  /** The last view sent, as its encoded SSE frame. */
  #last: Buffer | undefined;
  /** What the last view was built from. */
  #inputs: { readonly state: unknown; readonly desired: unknown; readonly pods: string } | undefined;
  #pods: readonly PodStatus[] = [];
  #busy = false;
  #ticks = 0;

  constructor(private readonly o: DashboardOptions) {}

  get full(): boolean {
    return this.#clients.size >= MAX_STREAMS;
  }

  async add(res: ServerResponse): Promise<void> {
    if (res.destroyed) return; // the page left before it was added: its 'close' has fired already
    this.#clients.add(res);
    res.on('close', () => this.remove(res));
    // A page that goes away mid-write makes the write fail; unheard, that 'error' would end the process.
    res.on('error', () => this.remove(res));
    if (this.#last === undefined) await this.#refresh();
    else this.#send(res, this.#last);
    this.#timer ??= setInterval(() => {
      // A comment line now and then: proxies and NATs drop a connection that stays silent (a quiet berth sends no views).
      if (++this.#ticks % KEEP_ALIVE_TICKS === 0) for (const c of this.#clients) if (!c.writableEnded && !c.destroyed) c.write(': keep-alive\n\n');
      void this.#refresh();
    }, this.o.refreshMs ?? 1000);
  }

  remove(res: ServerResponse): void {
    this.#clients.delete(res);
    if (this.#clients.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      this.#last = undefined; // a page that comes later gets a fresh view, not one from when the last left
      this.#inputs = undefined;
    }
  }

  closeAll(): void {
    for (const res of this.#clients) res.end();
    this.#clients.clear();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #refresh(): Promise<void> {
    if (this.#busy) return; // an engine listing slower than the period: skip a tick, never pile up
    this.#busy = true;
    try {
      try {
        this.#pods = await this.o.control.pods({});
      } catch (err) {
        // The engine is away: keep drawing the last pods seen; the store's conditions say why.
        this.o.logger.debug({ err: (err as Error).message }, 'dashboard: pods unavailable');
      }
      // Rebuilt only when an input changed: the store's state and the desired state are replaced,
      // never edited, so their identity says; the pods are compared by a hash of each one.
      const state = this.o.store.readState();
      const desired = this.o.control.desired();
      const pods = createHash('sha256');
      for (const p of this.#pods) pods.update(JSON.stringify(p));
      const inputs = { state, desired, pods: pods.digest('base64') };
      if (this.#inputs && this.#inputs.state === inputs.state && this.#inputs.desired === inputs.desired && this.#inputs.pods === inputs.pods) return;
      this.#inputs = inputs;
      const json = JSON.stringify(dashboardView(publicState(state), this.#pods, desired));
      // Kept as one encoded frame that every page is written the same bytes of
      // (at 10,000 Deployments a view is megabytes: a string per page, and the last one kept besides, cost that many times over).
      const frame = Buffer.from(`event: view\ndata: ${json}\n\n`);
      if (this.#last?.equals(frame)) return;
      this.#last = frame;
      for (const res of this.#clients) this.#send(res, this.#last);
    } catch (err) {
      this.o.logger.error({ err: (err as Error).message }, 'dashboard: the view could not be built');
    } finally {
      this.#busy = false;
    }
  }

  #send(res: ServerResponse, frame: Buffer): void {
    if (!res.writableEnded && !res.destroyed) res.write(frame);
  }
}

function secureRequest(req: FastifyRequest): boolean {
  return req.protocol === 'https';
}

function sessionIdOf(req: FastifyRequest): string | undefined {
  return parseCookies(req.headers.cookie).get(SESSION_COOKIE);
}

export async function dashboardRoutes(app: FastifyInstance, o: DashboardOptions): Promise<void> {
  const live = new LiveView(o);
  const signIns = new SignInLimiter();
  const cache = new Map<string, Buffer>();
  app.addHook('preClose', async () => live.closeAll()); // open streams would hold app.close() forever

  const html = page();
  app.get('/', async (_req, reply) =>
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .send(html),
  );

  app.get<{ Params: { '*': string } }>('/ui/*', async (req, reply) => {
    const asset = Object.hasOwn(ASSETS, req.params['*']) ? ASSETS[req.params['*']] : undefined; // not `constructor`, `__proto__`…
    if (!asset) throw new BerthError('NOT_FOUND', `no dashboard file ${req.params['*']}`);
    let body = cache.get(req.params['*']);
    if (!body) {
      body = await readFile(fileURLToPath(typeof asset.url === 'function' ? asset.url() : asset.url));
      cache.set(req.params['*'], body);
    }
    return reply.header('content-type', asset.type).header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache').send(body);
  });

  app.get('/api/v1/events', async (req, reply) => {
    if (live.full) throw new BerthError('TOO_MANY_STREAMS', `${MAX_STREAMS} dashboards are open already; close one and reload`);
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // a proxy in front must not hold the events back
    });
    reply.raw.write('retry: 2000\n\n');
    req.berthLog.debug({}, 'dashboard: a page listens');
    await live.add(reply.raw);
  });

  // A replica's log, live (Server-Sent Events: `event: log`, data {stream, text}; `event: end` when the container stops).
  // Signed-in pages only: an application may print anything, and the public view shows no log.
  const logStreams = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const stop of logStreams) stop.abort(); // a followed log would hold app.close() forever
  });
  app.get<{ Params: { ns: string; container: string }; Querystring: { container?: string } }>(
    '/api/v1/namespaces/:ns/replicas/:container/logs',
    {
      onRequest: readerGuard(o.apiToken, o.sessions, 'replica logs'),
      schema: {
        params: {
          type: 'object',
          required: ['ns', 'container'],
          properties: {
            ns: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
            container: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$' },
          },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { container: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 } },
        },
      },
    },
    async (req, reply) => {
      const { ns, container } = req.params;
      const pod = (await o.control.pods({ namespace: ns })).find((p) => p.container === container);
      if (!pod) throw new BerthError('NOT_FOUND', `no replica container ${container} in namespace ${ns}`);
      // A Pod of several containers: `?container=NAME` picks one, else its first app container (kubectl's default).
      const wanted = req.query.container;
      const member = pod.containers?.find((c) => (wanted === undefined ? !c.sidecar : c.name === wanted));
      if (pod.containers && !member)
        throw new BerthError('NOT_FOUND', `replica ${container} has no container ${wanted}; its containers: ${pod.containers.map((c) => c.name).join(', ')}`);
      if (logStreams.size >= MAX_LOG_STREAMS) throw new BerthError('TOO_MANY_STREAMS', `${MAX_LOG_STREAMS} replica logs are open already; close one`);
      const stop = new AbortController();
      logStreams.add(stop);
      reply.hijack();
      const res = reply.raw;
      res.on('close', () => stop.abort());
      res.on('error', () => stop.abort());
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // No automatic reconnect: a reconnect would send the tail again. The page reopens the pane itself.
      res.write('retry: 86400000\n\n');
      const send = (event: string, data: unknown) => {
        if (!res.writableEnded && !res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      req.berthLog.info({ namespace: ns, container }, 'dashboard: a replica log is read');
      try {
        await o.control.replicaLogs(
          { id: member?.id ?? pod.id, tail: LOG_TAIL_LINES, follow: pod.status === 'Running' },
          (stream, text) => send('log', { stream, text }),
          stop.signal,
        );
        send('end', { reason: 'the container stopped' });
      } catch (err) {
        if (!stop.signal.aborted) send('end', { reason: (err as Error).message });
      } finally {
        logStreams.delete(stop);
        if (!res.writableEnded) res.end();
      }
    },
  );

  // Who the page is: whether it may write, and the CSRF token it sends with writes.
  app.get('/api/v1/session', async (req, reply) => {
    const id = sessionIdOf(req);
    const csrf = id ? o.sessions.csrfOf(id) : undefined;
    return reply.header('cache-control', 'no-store').send({ signedIn: csrf !== undefined, writesEnabled: o.apiToken !== undefined, ...(csrf ? { csrf } : {}) });
  });

  app.post<{ Body: { token: string } }>(
    '/api/v1/session',
    {
      bodyLimit: 4096,
      schema: {
        body: { type: 'object', additionalProperties: false, required: ['token'], properties: { token: { type: 'string', minLength: 1, maxLength: 1024 } } },
      },
    },
    async (req, reply) => {
      if (!o.apiToken) throw new BerthError('FORBIDDEN', 'signing in is disabled: no API token is configured (set BERTH_API_TOKEN)');
      const wait = signIns.retryAfter(req.ip);
      if (wait !== undefined) {
        req.berthLog.warn({ retryAfterS: wait }, 'dashboard sign-in refused: too many failures from this client');
        return reply
          .code(429)
          .header('retry-after', String(wait))
          .send({ error: { code: 'TOO_MANY_SIGN_INS', message: `too many failed sign-ins from this address: try again in ${wait} s` } });
      }
      if (!tokensEqual(req.body.token, o.apiToken)) {
        signIns.failed(req.ip);
        req.berthLog.warn({}, 'dashboard sign-in refused: wrong token');
        throw new BerthError('UNAUTHORIZED', 'wrong API token');
      }
      const { id, csrf } = o.sessions.open();
      req.berthLog.info({}, 'dashboard sign-in');
      return reply
        .header('set-cookie', sessionCookie(id, { secure: secureRequest(req) }))
        .header('cache-control', 'no-store')
        .code(201)
        .send({ signedIn: true, csrf });
    },
  );

  // Signing out needs the CSRF token too: another site must not sign the page out.
  app.delete('/api/v1/session', async (req, reply) => {
    const id = sessionIdOf(req);
    const csrf = id ? o.sessions.csrfOf(id) : undefined;
    const given = req.headers[CSRF_HEADER];
    if (id && csrf !== undefined) {
      if (typeof given !== 'string' || !tokensEqual(given, csrf)) throw new BerthError('FORBIDDEN', 'missing or invalid CSRF token');
      o.sessions.close(id);
    }
    return reply.header('set-cookie', clearedSessionCookie({ secure: secureRequest(req) })).send({ signedIn: false });
  });
}
