import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BerthError, describeError, isBerthError, ownValue } from '../core/index.js';
import type { StoreState, Store } from '../store/index.js';
import type { ControlPort } from './control.js';
import { namespacePlanView } from './plan-view.js';
import { revisionDiffView } from './revision-diff.js';
import { CSRF_HEADER, readVerdict, type Sessions, writeVerdict } from './session.js';

export interface ApiRoutesOptions {
  readonly control: ControlPort;
  readonly store: Store;
  /** Bearer token for mutating calls; unset = mutations refused (403). */
  readonly apiToken: string | undefined;
  /** The dashboard's sessions: a session cookie with its CSRF token also writes (session.ts). Absent: Bearer only. */
  readonly sessions?: Sessions;
}

/** API request bodies are small; webhooks have their own (larger) limit. */
export const API_BODY_LIMIT_BYTES = 64 * 1024;

const DNS_LABEL = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 } as const;
const LIMIT = { type: 'integer', minimum: 1, maximum: 10_000 } as const;

const nsParams = { type: 'object', required: ['ns'], properties: { ns: DNS_LABEL } } as const;
const deploymentParams = { type: 'object', required: ['ns', 'name'], properties: { ns: DNS_LABEL, name: DNS_LABEL } } as const;

/**
 * A commit the controller resolves in its source: an id or prefix, or a revision expression
 * (`HEAD~1`, `main^`, a tag); no whitespace, braces, colons or backslashes (never a valid one).
 */
const COMMIT_OR_REVISION = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\s{}:\\\\]+$' } as const;

/**
 * Rollback body: `toCommit` (a commit id or prefix, or a revision: `HEAD~1`) or `toRevision` (a revision hash as
 * `berth history` lists it), or neither = the previous revision. Unknown members are refused,
 * not dropped: a misspelt `tocommit` must not turn into "roll back to the previous revision".
 */
/** A revision hash as `berth history` lists it. */
const REVISION = { type: 'string', pattern: '^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$' } as const;

const rollbackBody = {
  type: 'object',
  additionalProperties: false,
  maxProperties: 1,
  properties: {
    toCommit: COMMIT_OR_REVISION,
    toRevision: REVISION,
  },
} as const;

/**
 * Prune confirmation body: the commit held (a full id or a prefix of at least 7 hex digits, so
 * a person can paste what `berth status` shows), and optionally who confirms (kept in the store
 * and the log; informational, since the token is shared). Unknown members are refused.
 */
const pruneConfirmBody = {
  type: 'object',
  additionalProperties: false,
  required: ['commit'],
  properties: {
    commit: COMMIT_OR_REVISION,
    by: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$' },
  },
} as const;

interface NsParams {
  ns: string;
}
interface DeploymentParams extends NsParams {
  name: string;
}

/**
 * `/healthz` and `/api/v1`: reads come from the store (what the last passes recorded), writes
 * go through the ControlPort and need `Authorization: Bearer <token>` (or the dashboard's
 * session cookie with its CSRF header, session.ts), checked in `onRequest`
 * — before the body is read, so an unauthenticated caller gets 401/403, never a 400 or 413.
 */
export async function apiRoutes(app: FastifyInstance, o: ApiRoutesOptions): Promise<void> {
  const requireToken = async (req: FastifyRequest): Promise<void> => {
    const verdict = writeVerdict({
      apiToken: o.apiToken,
      authorization: req.headers.authorization,
      cookie: req.headers.cookie,
      csrf: req.headers[CSRF_HEADER],
      csrfOf: (id) => o.sessions?.csrfOf(id),
    });
    if (!verdict.allowed) throw new BerthError(verdict.code, verdict.message);
  };

  // Reads beyond the public status (the manifests' values): the Bearer token or a live dashboard session.
  const requireReader = readerGuard(o.apiToken, o.sessions, 'plans and revision diffs');

  app.get('/healthz', async () => ({ ok: true }));

  app.get('/api/v1/status', async () => publicState(o.store.readState()));

  app.get('/api/v1/namespaces', async () => ({ namespaces: sortedNamespaces(o.store.readState()) }));

  app.get<{ Params: NsParams }>('/api/v1/namespaces/:ns', { schema: { params: nsParams } }, async (req) => namespaceOf(o.store.readState(), req.params.ns));

  // The live plan (`berth plan --live --server`): what the next passes do, decided as they decide, with the prober's verdicts.
  app.get('/api/v1/plan', { onRequest: requireReader }, async (_req, reply) => reply.header('cache-control', 'no-store').send(await o.control.livePlan()));

  // The live plan of one namespace (what the head would change now) and the prune guard's verdict: the dashboard's plan panel.
  app.get<{ Params: NsParams }>('/api/v1/namespaces/:ns/plan', { onRequest: requireReader, schema: { params: nsParams } }, async (req, reply) =>
    reply.header('cache-control', 'no-store').send(namespacePlanView(await o.control.livePlan(), req.params.ns)),
  );

  app.get<{ Params: DeploymentParams; Querystring: { limit: number } }>(
    '/api/v1/namespaces/:ns/deployments/:name',
    { schema: { params: deploymentParams, querystring: { type: 'object', properties: { limit: { ...LIMIT, default: 20 } } } } },
    async (req) => {
      const { ns, name } = req.params;
      const state = o.store.readState();
      const status = namespaceOf(state, ns);
      const deployment = status.deployments.find((d) => d.name === name);
      if (!deployment) throw new BerthError('NOT_FOUND', `no Deployment ${ns}/${name} in the status of namespace ${ns}`);
      const key = `${ns}/${name}`;
      return {
        namespace: ns,
        name,
        lastAppliedCommit: status.lastAppliedCommit,
        lastAttemptedCommit: status.lastAttemptedCommit,
        deployment,
        revisions: ownValue(state.revisions, key) ?? [],
        pin: ownValue(state.pins, key),
        // History is recorded per namespace pass: every pass over the namespace may have moved this Deployment.
        history: await o.store.readHistory({ namespace: ns, limit: req.query.limit }),
      };
    },
  );

  // Two revisions of a Deployment's history, field by field (the dashboard's revision diff).
  app.get<{ Params: DeploymentParams; Querystring: { from: string; to: string } }>(
    '/api/v1/namespaces/:ns/deployments/:name/diff',
    {
      onRequest: requireReader,
      schema: {
        params: deploymentParams,
        querystring: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: REVISION, to: REVISION } },
      },
    },
    async (req, reply) => {
      const { ns, name } = req.params;
      const records = ownValue(o.store.readState().revisions, `${ns}/${name}`) ?? [];
      const side = async (revision: string) => {
        // The newest record of that revision: a revision rolled back to is recorded again, from the same template.
        const record = [...records].reverse().find((r) => r.revision === revision);
        if (!record) throw new BerthError('NOT_FOUND', `no revision ${revision} in the history of Deployment ${ns}/${name}`);
        const deployment = await o.control.deploymentAt({ namespace: ns, name, commit: record.commit });
        return { revision, commit: record.commit, ...(deployment ? { deployment } : {}) };
      };
      const [from, to] = await Promise.all([side(req.query.from), side(req.query.to)]);
      return reply.header('cache-control', 'no-store').send(revisionDiffView(from, to));
    },
  );

  app.get<{ Querystring: { namespace?: string; limit: number } }>(
    '/api/v1/history',
    { schema: { querystring: { type: 'object', properties: { namespace: DNS_LABEL, limit: { ...LIMIT, default: 100 } } } } },
    async (req) => ({ history: await o.store.readHistory({ ...(req.query.namespace ? { namespace: req.query.namespace } : {}), limit: req.query.limit }) }),
  );

  app.get<{ Querystring: { namespace?: string } }>(
    '/api/v1/pods',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { namespace: DNS_LABEL } } } },
    async (req) => ({ pods: await o.control.pods(req.query.namespace ? { namespace: req.query.namespace } : {}) }),
  );

  app.get('/api/v1/nodes', async () => {
    const nodes = await o.control.nodes?.();
    if (!nodes)
      throw new BerthError('NOT_FOUND', 'berth drives one Docker engine, which is the only node; nodes are listed for a Swarm cluster (--driver swarm)');
    return { nodes };
  });

  app.post('/api/v1/sync', { onRequest: requireToken, bodyLimit: API_BODY_LIMIT_BYTES }, async (req, reply) => {
    // The caller asked explicitly: answer once the fetch resolved, with the commit it saw. A
    // fetch that failed is 503 with its error, whatever its code (a deleted branch is no 404 of
    // this route): "accepted" would say berth saw the source when it did not (#15).
    let commit: string | undefined;
    try {
      ({ commit } = await o.control.syncNow());
    } catch (err) {
      const why = isBerthError(err) ? err : new BerthError('SOURCE_UNREACHABLE', describeError(err), { cause: err });
      req.berthLog.warn({ code: why.code, err: withoutCredentials(why.message) }, 'sync requested through the API: the fetch failed');
      return reply.code(503).send({ error: { code: why.code, message: `source fetch failed: ${withoutCredentials(why.message)}` } });
    }
    req.berthLog.info({ commit }, 'sync requested through the API');
    return reply.code(202).send({ accepted: true, commit });
  });

  app.post<{ Params: DeploymentParams; Body: { toCommit?: string; toRevision?: string } }>(
    '/api/v1/namespaces/:ns/deployments/:name/rollback',
    {
      onRequest: requireToken,
      // No body at all means "{}": roll back to the previous revision.
      preValidation: async (req) => {
        req.body ??= {};
      },
      bodyLimit: API_BODY_LIMIT_BYTES,
      schema: { params: deploymentParams, body: rollbackBody },
    },
    async (req, reply) => {
      const { ns, name } = req.params;
      const { pinnedTo } = await o.control.rollback({ namespace: ns, name, ...req.body });
      req.berthLog.info({ namespace: ns, name, ...req.body, pinnedTo }, 'rollback requested through the API');
      return reply.code(202).send({ pinnedTo });
    },
  );

  app.post<{ Body: { commit: string; by?: string } }>(
    '/api/v1/prune/confirm',
    { onRequest: requireToken, bodyLimit: API_BODY_LIMIT_BYTES, schema: { body: pruneConfirmBody } },
    async (req, reply) => {
      const { confirmed, reasons } = await o.control.confirmPrune(req.body);
      req.berthLog.info({ commit: confirmed, by: req.body.by ?? 'api' }, 'prune confirmation requested through the API');
      return reply.code(202).send({ confirmed, reasons });
    },
  );
}

function namespaceOf(state: StoreState, ns: string) {
  const status = ownValue(state.namespaces, ns);
  if (!status) throw new BerthError('NOT_FOUND', `no status for namespace ${ns} (it has no folder in the watched commit, or no pass has run yet)`);
  return status;
}

function sortedNamespaces(state: StoreState) {
  return Object.values(state.namespaces).sort((a, b) => a.namespace.localeCompare(b.namespace));
}

/** The store state as the API shows it: a source URL never carries credentials. */
/** An `onRequest` hook for a read beyond the public view (session.ts readVerdict): the Bearer token or a live dashboard session. */
export function readerGuard(apiToken: string | undefined, sessions: Sessions | undefined, what: string): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    const verdict = readVerdict({
      apiToken,
      authorization: req.headers.authorization,
      cookie: req.headers.cookie,
      signedIn: (id) => sessions?.csrfOf(id) !== undefined,
      what,
    });
    if (!verdict.allowed) throw new BerthError(verdict.code, verdict.message);
  };
}

export function publicState(state: StoreState): StoreState {
  if (!state.source) return state;
  const { description, error } = state.source;
  return {
    ...state,
    source: { ...state.source, description: withoutCredentials(description), ...(error !== undefined ? { error: withoutCredentials(error) } : {}) },
  };
}

export function withoutCredentials(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
}
