import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BerthError } from '../core/index.js';
import type { Store } from '../store/index.js';
import type { ControlPort } from './control.js';
import { HOOK_PROVIDERS, type HookProvider, type HookSecrets } from './hook-providers.js';
import type { HookTrigger } from './hook-trigger.js';
import type { ServerMetrics } from './metrics.js';
import { decodePush, matchPush } from './push-event.js';

export interface HookRoutesOptions {
  readonly control: ControlPort;
  readonly store: Store;
  readonly secrets: HookSecrets;
  readonly trigger: HookTrigger;
  readonly metrics: ServerMetrics;
  readonly bodyLimitBytes: number;
}

/**
 * `POST /hooks/{github,gitea,gitlab,generic}`. In their own plugin scope, every body (any
 * content type, or none) arrives as the raw Buffer, capped at `bodyLimitBytes` (413 before
 * it is read whole). Order, for every provider: authenticate the raw bytes (401) → event
 * (ping 200, other events 202 ignored) → decode + schema-check (400) → does the push concern
 * the watched ref (202 ignored) → fire the trigger (202 accepted). An unsigned request
 * therefore learns nothing but 401, whatever its body.
 */
export async function hookRoutes(scope: FastifyInstance, o: HookRoutesOptions): Promise<void> {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: o.bodyLimitBytes }, (_req, body, done) => done(null, body));
  for (const provider of HOOK_PROVIDERS) {
    scope.post(`/hooks/${provider.name}`, { bodyLimit: o.bodyLimitBytes }, (req, reply) => handle(provider, req, reply, o));
  }
}

async function handle(provider: HookProvider, req: FastifyRequest, reply: FastifyReply, o: HookRoutesOptions): Promise<FastifyReply> {
  const delivery: Record<string, string> = {};
  for (const name of provider.deliveryHeaders) {
    const v = req.headers[name];
    if (typeof v === 'string') delivery[name.replace(/^x-/, '')] = v.slice(0, 100);
  }
  const log = req.berthLog.child({ provider: provider.name, ...delivery });
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);

  const verified = provider.verify(req.headers, raw, o.secrets);
  if (!verified.ok) {
    log.warn({ reason: verified.message }, 'webhook refused');
    throw new BerthError('UNAUTHORIZED', verified.message);
  }

  const event = provider.event(req.headers);
  if (event.kind === 'missing') throw new BerthError('REQUEST_INVALID', `missing ${event.header} header`);
  if (event.kind === 'ping') {
    o.metrics.hookDelivery(provider.name, 'ping');
    return reply.code(200).send({ pong: true });
  }
  if (event.kind === 'other') {
    o.metrics.hookDelivery(provider.name, 'ignored');
    log.info({ event: event.name }, 'webhook ignored: not a push');
    return reply.code(202).send({ ignored: true, reason: `event "${event.name.slice(0, 100)}" is not a push` });
  }

  const push = decodePush(raw, req.headers['content-type']);
  const verdict = matchPush({ ref: push.ref, watched: o.control.watchedRef(), defaultBranch: provider.defaultBranch(push) });
  if (!verdict.watched) {
    o.metrics.hookDelivery(provider.name, 'ignored');
    log.info({ ref: push.ref, after: push.after, reason: verdict.reason }, 'webhook ignored');
    return reply.code(202).send({ ignored: true, reason: verdict.reason });
  }
  // A redelivery of the push berth already fetched (or a replay of it) costs nothing.
  if (push.after !== undefined && push.after === o.store.readState().source?.commit) {
    o.metrics.hookDelivery(provider.name, 'ignored');
    log.info({ ref: push.ref, after: push.after }, 'webhook ignored: commit already fetched');
    return reply.code(202).send({ ignored: true, reason: `commit ${push.after} is already fetched` });
  }
  const how = o.trigger.fire();
  o.metrics.hookDelivery(provider.name, how === 'started' ? 'accepted' : 'coalesced');
  log.info({ ref: push.ref, after: push.after, trigger: how }, 'push accepted; syncing');
  return reply.code(202).send({ accepted: true, coalesced: how === 'coalesced' });
}
