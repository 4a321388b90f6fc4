/**
 * Notifications (issue #13, item 2) from a real `berth run` on a real engine to local receivers:
 * a berth JSON webhook that checks every signature and refuses the first two deliveries (berth
 * retries with back-off), a Slack-compatible webhook, and a Gitea-style commit status API that
 * checks its token. A good commit goes pending → success; a commit whose rollout never gets
 * ready is rolled back, which the webhook hears and the commit's status says (failure). No token,
 * secret or webhook path appears in berth's logs.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonFlags, startBerth, type BerthDaemon } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, webCommand } from '../helpers/manifests.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { freePort } from '../helpers/webhook-hook.js';

const SECRET = 'notify-secret-e2e-4c1d9a';
const TOKEN = 'forge-token-e2e-b72e10';
const SLACK_PATH = '/services/T000/B000/slackpathcredential';
const NS = 'shop';

interface Received {
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly status: number;
}

/** One local receiver for all three kinds; `/hook` answers 500 to its first two requests. */
async function receiver(): Promise<{ server: Server; url: string; seen: Received[] }> {
  const seen: Received[] = [];
  let hookCalls = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      let status = 200;
      if (req.url === '/hook') {
        hookCalls++;
        const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`);
        const got = Buffer.from(String(req.headers['x-berth-signature-256'] ?? ''));
        status = got.length !== expected.length || !timingSafeEqual(got, expected) ? 401 : hookCalls <= 2 ? 500 : 200;
      } else if (req.url?.startsWith('/api/v1/repos/')) {
        status = req.headers.authorization === `token ${TOKEN}` ? 201 : 401;
      }
      seen.push({ path: req.url ?? '', headers: req.headers, body, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

describe('notifications: signed webhooks with retries, Slack text, commit statuses', { timeout: 300_000 }, () => {
  const scope = dockerScope('e2e-notify');
  let repo: TmpRepo;
  let stateDir: string;
  let berth: BerthDaemon;
  let rx: Awaited<ReturnType<typeof receiver>>;
  let goodCommit: string;
  const web = (text: string, extra: Parameters<typeof deploymentYaml>[0] extends infer O ? Partial<O> : never = {}) =>
    deploymentYaml({ name: 'web', replicas: 1, command: webCommand(text), port: 8080, strategy: { maxSurge: 1, maxUnavailable: 0 }, ...extra });
  const accepted = (path: string) => rx.seen.filter((r) => r.path === path && r.status < 300);
  const statesOf = (sha: string) =>
    rx.seen.filter((r) => r.path.endsWith(`/statuses/${sha}`) && r.status === 201).map((r) => JSON.parse(r.body).state as string);

  before(async () => {
    rx = await receiver();
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-notify-state-'));
    await repo.write(`manifests/${NS}/web.yaml`, web('v1'));
    goodCommit = await repo.commit('v1');
    await repo.push();
    const port = await freePort();
    berth = startBerth(
      [
        ...daemonFlags({ repo: repo.url, ref: 'main', stateDir, instance: scope.instance, poll: '*/1 * * * * *', listen: `127.0.0.1:${port}` }),
        '--notify-webhook',
        `${rx.url}/hook`,
        '--notify-slack',
        `${rx.url}${SLACK_PATH}`,
        '--commit-status',
        'gitea',
        '--commit-status-repo',
        'acme/shop',
        '--commit-status-api',
        rx.url,
      ],
      { env: { BERTH_NOTIFY_SECRET: SECRET, BERTH_COMMIT_STATUS_TOKEN: TOKEN } },
    );
  });

  after(async () => {
    await berth?.stop();
    await scope.cleanup();
    await repo?.cleanup();
    await rm(stateDir, { recursive: true, force: true });
    await new Promise<void>((r) => (rx ? rx.server.close(() => r()) : r()));
  });

  it('a good commit: pending then success on the forge; sync-succeeded delivered after two refusals, signed each time', async () => {
    await eventually(async () => assert.deepEqual(statesOf(goodCommit), ['pending', 'success']), { timeoutMs: 90_000, what: 'pending → success' });
    await eventually(async () => assert.equal(accepted('/hook').length, 1), { timeoutMs: 30_000, what: 'the webhook accepted once' });
    const hooks = rx.seen.filter((r) => r.path === '/hook');
    assert.deepEqual(
      hooks.map((h) => h.status),
      [500, 500, 200],
      'refused twice, retried, accepted; no signature was wrong',
    );
    assert.equal(new Set(hooks.map((h) => h.headers['x-berth-delivery'])).size, 1, 'the retries are the same delivery');
    const event = JSON.parse(hooks[2]!.body);
    assert.equal(event.event, 'sync-succeeded');
    assert.equal(event.namespace, NS);
    assert.equal(event.commit, goodCommit);
    const slack = accepted(SLACK_PATH).map((r) => JSON.parse(r.body).text as string);
    assert.ok(
      slack.some((t) => t.startsWith(`berth: ${NS} synced at ${goodCommit.slice(0, 12)}`)),
      `the Slack text says it: ${slack.join(' | ')}`,
    );
  });

  it('a rollout that never gets ready: rolled-back event, failure status for that commit', async () => {
    await repo.write(`manifests/${NS}/web.yaml`, web('v2', { readinessProbe: { path: '/not-there', port: 8080 }, progressDeadlineSeconds: 3 }));
    const bad = await repo.commit('v2: never ready');
    await repo.push();
    await eventually(async () => assert.deepEqual(statesOf(bad), ['pending', 'failure']), { timeoutMs: 120_000, what: 'pending → failure' });
    const failure = rx.seen.find((r) => r.path.endsWith(`/statuses/${bad}`) && JSON.parse(r.body).state === 'failure')!;
    assert.match(JSON.parse(failure.body).description, /web/);
    await eventually(
      async () => {
        const events = accepted('/hook').map((r) => JSON.parse(r.body));
        assert.ok(
          events.some((e) => e.event === 'rolled-back' && e.deployment === 'web' && e.commit === bad),
          JSON.stringify(events),
        );
      },
      { timeoutMs: 30_000, what: 'the rolled-back event' },
    );
  });

  it('no token, secret or webhook credential in the logs', () => {
    const logs = berth.logs();
    assert.match(logs, /notification queued/, 'the log is the one the notifier writes to');
    for (const secret of [SECRET, TOKEN, SLACK_PATH]) assert.ok(!logs.includes(secret), `the logs do not contain ${secret.slice(0, 12)}…`);
  });
});
