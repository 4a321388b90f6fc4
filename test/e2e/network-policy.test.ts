/**
 * NetworkPolicy end to end (issue #9, item 4): a real `berth run`, its data plane, a real engine,
 * and clients inside replicas of three namespaces calling with busybox `nc`. A policy in `b`
 * lets pods `app=client` of namespaces labelled `team=shop` (only `a`) reach the `db` pods on
 * port 5432. Then `db.b` resolves and answers from `a` on 5432, and nothing else does: not
 * another port of db, not another Service of b, not from `c`, and (as in Kubernetes, the db
 * pods being selected) not from b's own client. Removing the policy closes `a` again and
 * reopens b's own namespace.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonFlags, startBerth, type BerthDaemon, tearDown } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml } from '../helpers/manifests.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { execOutput, ownedContainers } from '../helpers/world.js';

const svc = (name: string, spec: string) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
/** One HTTP/1.0 GET through `nc` inside a container: the last line of the answer ('' when the connection failed). */
const GET = (target: string, port: number) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${target} ${port} | tail -n 1`;
const client = deploymentYaml({ name: 'client', command: ['sleep', '100000'] });
const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-from-shop
spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              team: shop
          podSelector:
            matchLabels:
              app: client
      ports:
        - port: 5432
`;

describe('NetworkPolicy: one namespace into one Service port of another, and nothing else', { timeout: 600_000 }, () => {
  const scope = dockerScope('e2e-netpol');
  let repo: TmpRepo;
  let stateDir: string;
  let berth: BerthDaemon | undefined;

  const clientOf = async (namespace: string) => {
    const c = (await ownedContainers(scope.instance)).find((r) => r.namespace === namespace && r.deployment === 'client' && r.state === 'running');
    assert.ok(c, `a running client in ${namespace}`);
    return c.id;
  };
  const sh = async (id: string, script: string) => (await execOutput(id, ['sh', '-c', script])).stdout.trim();
  /** The A records busybox nslookup prints for `name` (the resolver's own 127.0.0.11:53 line aside). */
  const addressesOf = async (id: string, name: string) =>
    [...(await sh(id, `nslookup -type=a ${name} 2>&1`)).matchAll(/Address:\s*(\d+\.\d+\.\d+\.\d+)(?!:53)/g)]
      .map((m) => m[1]!)
      .filter((ip) => !ip.startsWith('127.'));
  const resolves = async (id: string, name: string) => (await addressesOf(id, name)).length > 0;

  before(async () => {
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-netpol-'));
    await repo.write(
      'm/b/db.yaml',
      deploymentYaml({
        name: 'db',
        command: ['sh', '-c', 'mkdir -p /www && echo "db $(hostname)" > /www/index.html && httpd -p 5432 -h /www && exec httpd -f -p 8080 -h /www'],
        port: 5432,
        readinessProbe: { port: 5432, tcp: true },
      }).replace('            - containerPort: 5432', '            - containerPort: 5432\n            - containerPort: 8080'),
    );
    await repo.write(
      'm/b/web.yaml',
      deploymentYaml({
        name: 'web',
        command: ['sh', '-c', 'mkdir -p /www && echo "web $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www'],
        port: 8080,
        readinessProbe: { port: 8080, tcp: true },
      }),
    );
    await repo.write('m/b/client.yaml', client);
    await repo.write(
      'm/b/services.yaml',
      `${svc('db', '  selector:\n    app: db\n  ports:\n    - name: pg\n      port: 5432\n    - name: admin\n      port: 8080\n')}---\n${svc('web', '  selector:\n    app: web\n  ports:\n    - port: 80\n      targetPort: 8080\n')}`,
    );
    await repo.write('m/b/policy.yaml', POLICY);
    // `a` has no Service of its own: its replicas still resolve through the namespace DNS, because a policy exists.
    await repo.write('m/a/namespace.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    team: shop\n');
    await repo.write('m/a/client.yaml', client);
    await repo.write('m/c/client.yaml', client);
    await repo.commit('b with a policy for a');
    await repo.push();
    berth = startBerth([
      ...daemonFlags({ repo: repo.url, path: 'm', stateDir, instance: scope.instance, poll: '*/1 * * * * *', listen: '127.0.0.1:0' }),
      '--ingress-listen',
      '127.0.0.1:0',
    ]);
  });

  after(() => tearDown({ berth, name: 'network-policy', stateDir, scope, repos: [repo] }));

  it('a reaches db.b on 5432 by every name form; nothing else of b, and c nothing at all', async () => {
    const a = await eventually(
      async () => {
        const id = await clientOf('a');
        assert.match(await sh(id, GET('db.b', 5432)), /^db /);
        return id;
      },
      { timeoutMs: 120_000, what: 'db.b answers a on 5432' },
    );
    for (const name of ['db.b', 'db.b.svc', 'db.b.svc.cluster.local']) assert.match(await sh(a, GET(name, 5432)), /^db /, name);
    assert.equal(await resolves(a, 'db.b.svc.cluster.local'), true, 'the check below can tell a name that resolves');
    assert.equal(await sh(a, GET('db.b', 8080)), '', 'another port of db: refused');
    assert.equal(await resolves(a, 'web.b.svc.cluster.local'), false, 'another Service of b: no name');
    const c = await clientOf('c');
    assert.equal(await resolves(c, 'db.b.svc.cluster.local'), false, 'c: no name');
    const [dbAddress] = await addressesOf(a, 'db.b.svc.cluster.local');
    assert.ok(dbAddress, 'a learns db.b’s address');
    assert.equal(await sh(c, GET(dbAddress, 5432)), '', 'c: the address refuses');
    const b = await clientOf('b');
    assert.equal(await sh(b, GET('db', 5432)), '', 'b’s own client: db is isolated by the policy');
    assert.match(await sh(b, GET('web', 80)), /^web /, 'b’s own client: web (no policy selects it) answers');
  });

  it('removing the policy closes a and reopens b', async () => {
    await repo.remove('m/b/policy.yaml');
    await repo.commit('no policy');
    await repo.push();
    const b = await clientOf('b');
    await eventually(async () => assert.match(await sh(b, GET('db', 5432)), /^db /), { timeoutMs: 60_000, what: 'b reaches db again' });
    const a = await clientOf('a');
    assert.equal(await sh(a, GET('db.b', 5432)), '', 'a: refused again');
    assert.equal(await resolves(a, 'db.b.svc.cluster.local'), false, 'a: no name again');
  });
});
