import AjvModule from 'ajv';
import Fastify, { type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/index.js';
import type { Store } from '../store/index.js';
import { apiRoutes } from './api.js';
import type { ControlPort } from './control.js';
import { HookTrigger } from './hook-trigger.js';
import { hookRoutes } from './hooks.js';
import { dashboardRoutes } from './dashboard.js';
import { errorAnswer } from './http-errors.js';
import { ServerMetrics } from './metrics.js';
import { Sessions } from './session.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** berth's child logger for this request: `{ reqId, method, path }`; never headers or bodies. */
    berthLog: Logger;
  }
}

export interface ServerOptions {
  readonly control: ControlPort;
  readonly store: Store;
  readonly logger: Logger;
  /** Where to listen. Default host 127.0.0.1; port 0 picks a free port (tests). */
  readonly listen: { readonly host?: string; readonly port: number };
  /** HMAC-SHA256 key for /hooks/{github,gitea,generic}. Unset or empty: those hooks answer 401. */
  readonly webhookSecret?: string;
  /** GitLab's X-Gitlab-Token. Default: the webhook secret. */
  readonly gitlabToken?: string;
  /** Bearer token for POST /api/v1/...; unset or empty: mutating calls answer 403. */
  readonly apiToken?: string;
  /** Largest webhook body accepted. Default 1 MiB; larger → 413. */
  readonly bodyLimitBytes?: number;
  /** Least time between the starts of two hook-triggered syncs (hook-trigger.ts). Default 2000 ms. */
  readonly hookMinIntervalMs?: number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  /** Stops accepting, closes idle connections, waits for in-flight requests; no hook syncs start after. */
  close(): Promise<void>;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

// Request bodies are validated strictly (no coercion, unknown members refused, not dropped);
// query strings and path parameters are text, so those are coerced ("20" → 20).
const strictAjv = new AjvModule.default({ allErrors: false, coerceTypes: false, removeAdditional: false, useDefaults: true });
const coercingAjv = new AjvModule.default({ allErrors: false, coerceTypes: true, removeAdditional: false, useDefaults: true });

/** Starts the HTTP server (dashboard, API, webhooks, health). Everything it uses arrives in `o`. */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const logger = o.logger.child({ component: 'server' });
  const nonEmpty = (s: string | undefined) => (s !== undefined && s.length > 0 ? s : undefined);
  const webhookSecret = nonEmpty(o.webhookSecret);
  const secrets = { webhookSecret, gitlabToken: nonEmpty(o.gitlabToken) ?? webhookSecret };
  const apiToken = nonEmpty(o.apiToken);
  const bodyLimitBytes = o.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const metrics = new ServerMetrics(o.store);
  const trigger = new HookTrigger(
    () => o.control.syncNow(),
    logger,
    (result) => metrics.hookSync(result),
    {
      ...(o.hookMinIntervalMs !== undefined ? { minIntervalMs: o.hookMinIntervalMs } : {}),
    },
  );

  const app = Fastify({
    logger: false, // berth logs through its own Logger port (below), so no header or body can reach a log line
    bodyLimit: bodyLimitBytes,
    requestTimeout: 30_000,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema));

  app.decorateRequest('berthLog', null as unknown as Logger);
  app.addHook('onRequest', async (req) => {
    req.berthLog = logger.child({ reqId: req.id, method: req.method, path: pathOf(req) });
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.request(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode);
    const entry = { statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 500) req.berthLog.error(entry, 'request failed');
    else if (req.method === 'GET' || req.method === 'HEAD') req.berthLog.debug(entry, 'request');
    else req.berthLog.info(entry, 'request');
  });

  app.setErrorHandler((err, req, reply) => {
    const a = errorAnswer(err);
    const log = req.berthLog ?? logger;
    if (a.unexpected) log.error({ err: { message: (err as Error).message, stack: (err as Error).stack } }, 'unexpected error');
    else log.debug({ code: a.body.error.code, status: a.status }, a.body.error.message);
    if (a.status === 401 && pathOf(req).startsWith('/api/')) void reply.header('www-authenticate', 'Bearer realm="berth"');
    return reply.code(a.status).send(a.body);
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${pathOf(req)}` } }));

  const sessions = new Sessions();
  await app.register(apiRoutes, { control: o.control, store: o.store, apiToken, sessions });
  await app.register(dashboardRoutes, { control: o.control, store: o.store, logger, apiToken, sessions });
  await app.register(hookRoutes, { control: o.control, store: o.store, secrets, trigger, metrics, bodyLimitBytes });
  app.get('/metrics', async (_req, reply) => reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()));

  await app.listen({ host: o.listen.host ?? DEFAULT_HOST, port: o.listen.port });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info(
    {
      url,
      webhooks: webhookSecret ? 'enabled' : 'disabled (no secret)',
      gitlab: secrets.gitlabToken ? 'enabled' : 'disabled (no token)',
      mutations: apiToken ? 'enabled' : 'disabled (no API token)',
    },
    'HTTP server listening',
  );
  if (webhookSecret && webhookSecret.length < 16) logger.warn({}, 'the webhook secret is shorter than 16 characters; use a long random value');
  if (apiToken && apiToken.length < 16) logger.warn({}, 'the API token is shorter than 16 characters; use a long random value');

  return {
    url,
    close: async () => {
      trigger.close();
      await app.close();
    },
  };
}

/** The request path without its query string (a query never reaches the logs). */
function pathOf(req: FastifyRequest): string {
  const i = req.url.indexOf('?');
  return i < 0 ? req.url : req.url.slice(0, i);
}
