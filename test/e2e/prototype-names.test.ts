/**
 * Names that are also Object.prototype members are names like any other (#15 item 11): a
 * namespace folder `constructor` with a Deployment `valueof` whose container port is named
 * `constructor`, behind a Service `tostring` that targets that port by name and a selector
 * with a `constructor` label. berth runs it, the data plane serves it, the API shows it.
 * (`constructor` is the one prototype member that is also a DNS label: the others are
 * camelCase. That the API answers a *missing* `constructor` with 404 is in server-api.test.ts.)
 * A real `berth run` with its data plane, a real Git HTTP server, a real container.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthDaemon, daemonFlags, tearDown } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, serveCommand, serviceYaml } from '../helpers/manifests.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { freePort } from '../helpers/webhook-hook.js';
import { httpGet, ownedContainers } from '../helpers/world.js';

const YEARLY = '0 0 0 1 1 *';

describe('prototype member names: a namespace `constructor` runs, the API answers them as names', { timeout: 180_000 }, () => {
  const scope = dockerScope('e2e-proto');
  let repo: TmpRepo;
  let stateDir: string;
  let berth: BerthDaemon;
  let api: string;
  let servicePort: number;

  const get = async (path: string) => {
    const res = await fetch(`${api}${path}`);
    const text = await res.text();
    return { status: res.status, text, json: (text ? JSON.parse(text) : undefined) as Record<string, any> | undefined };
  };

  before(async () => {
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-proto-state-'));
    const [apiPort, ingressPort] = [await freePort(), await freePort()];
    servicePort = await freePort();
    api = `http://127.0.0.1:${apiPort}`;
    const deployment = deploymentYaml({ name: 'valueof', command: serveCommand('proto-ok'), port: 8080 })
      .replace('      app: valueof\n  template:', '      app: valueof\n      constructor: tostring\n  template:')
      .replace('        app: valueof\n    spec:', '        app: valueof\n        constructor: tostring\n    spec:')
      .replace('            - containerPort: 8080', '            - name: constructor\n              containerPort: 8080');
    assert.match(deployment, /constructor: tostring[\s\S]*constructor: tostring[\s\S]*name: constructor/, 'the three edits applied');
    await repo.write('manifests/constructor/valueof.yaml', deployment);
    await repo.write(
      'manifests/constructor/tostring.yaml',
      serviceYaml({ name: 'tostring', selector: 'valueof', port: servicePort, targetPort: 'constructor' }),
    );
    await repo.commit('names from Object.prototype');
    await repo.push();
    berth = startBerth(
      [
        ...daemonFlags({ repo: repo.url, stateDir, instance: scope.instance, poll: YEARLY, listen: `127.0.0.1:${apiPort}` }),
        '--ingress-listen',
        `127.0.0.1:${ingressPort}`,
      ],
      {},
    );
  });

  after(() => tearDown({ berth, name: 'prototype-names', stateDir, scope, repos: [repo] }));

  it('the namespace converges and its Service reaches the replica through the named port', async () => {
    await eventually(
      async () => {
        const running = (await ownedContainers(scope.instance)).filter(
          (r) => r.namespace === 'constructor' && r.deployment === 'valueof' && r.state === 'running',
        );
        assert.equal(running.length, 1, 'one valueof replica runs');
        const ns = await get('/api/v1/namespaces/constructor');
        assert.equal(ns.status, 200);
        assert.equal(ns.json?.phase, 'Synced', JSON.stringify(ns.json));
        assert.equal(ns.json?.services?.[0]?.endpoints, 1, `the Service has its endpoint: ${JSON.stringify(ns.json?.services)}`);
      },
      { timeoutMs: 90_000, what: 'constructor/valueof synced with its Service endpoint' },
    );
    await eventually(async () => assert.equal(await httpGet(servicePort), 'proto-ok'), { what: 'the Service answers' });
    const d = await get('/api/v1/namespaces/constructor/deployments/valueof');
    assert.equal(d.status, 200);
    assert.equal(d.json?.deployment?.name, 'valueof');
    const list = await get('/api/v1/namespaces');
    assert.deepEqual(
      list.json?.namespaces.map((n: { namespace: string }) => n.namespace),
      ['constructor'],
    );
  });

  it('in that namespace, a Deployment named after a prototype member that does not exist is 404; `__proto__` is no name (400)', async () => {
    const d = await get('/api/v1/namespaces/constructor/deployments/constructor');
    assert.equal(d.status, 404, d.text);
    assert.equal(d.json?.error.code, 'NOT_FOUND');
    const proto = await get('/api/v1/namespaces/__proto__');
    assert.equal(proto.status, 400, 'not a DNS label');
    assert.equal(proto.json?.error.code, 'REQUEST_INVALID');
  });
});
