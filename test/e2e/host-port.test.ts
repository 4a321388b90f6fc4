/**
 * hostPort on the real engine, through the real CLI: published at that port on
 * --service-address (it was validated, then silently dropped for an ephemeral port), rolled
 * maxUnavailable-first so an update never needs the port twice, and a port another process
 * holds leaves the Deployment not Complete with the engine's reason — never "Complete" while
 * the port is not bound.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBerth, type RunResult } from '../helpers/berth-cli.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml, serveCommand } from '../helpers/manifests.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { freePort } from '../helpers/webhook-hook.js';
import { layout, ownedContainers } from '../helpers/world.js';

interface StatusJson {
  namespaces: Record<string, { phase: string; deployments: { name: string; phase: string; message?: string; revision: string }[] }>;
}

function withHostPort(yaml: string, hostPort: number): string {
  return yaml.replace('            - containerPort: 8080\n', `            - containerPort: 8080\n              hostPort: ${hostPort}\n`);
}

/** One GET to 127.0.0.1:port on a new connection: the body, or undefined when nothing answers. */
function get(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on('data', (d) => (data += d.toString()));
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => resolve(data === '' ? undefined : data.slice(data.indexOf('\r\n\r\n') + 4).trim()));
    socket.write('GET / HTTP/1.0\r\n\r\n');
  });
}

describe('hostPort: published on --service-address at that port, or a clear status — never dropped', { timeout: 600_000 }, () => {
  const scope = dockerScope('e2e-hostport');
  const docker = dockerClient();
  let repo: LocalRepo;
  let stateDir: string;
  let port: number;
  const source = (): string[] => [
    '--repo',
    repo.dir,
    '--path',
    'manifests',
    '--instance',
    scope.instance,
    '--state-dir',
    stateDir,
    '--ingress-listen',
    '127.0.0.1:0',
  ];
  const berth = async (args: string[], codes: number[]): Promise<RunResult> => {
    const r = await runBerth(args, { timeoutMs: 240_000 });
    assert.ok(codes.includes(r.code), `berth ${args.join(' ')}: exit ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-3000)}`);
    return r;
  };
  const status = async (): Promise<StatusJson> => JSON.parse((await berth(['status', '--state-dir', stateDir, '-o', 'json'], [0])).stdout) as StatusJson;
  const deployment = async (ns: string, name: string) => (await status()).namespaces[ns]?.deployments.find((d) => d.name === name);

  before(async () => {
    repo = await localRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-hostport-state-'));
    port = await freePort();
  });

  after(async () => {
    await scope.cleanup();
    await repo?.cleanup();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('a Deployment with a hostPort answers on 127.0.0.1 at that port, published there only', async () => {
    await repo.write('manifests/shop/web.yaml', withHostPort(deploymentYaml({ name: 'web', port: 8080, command: serveCommand('v1') }), port));
    await repo.commit('web on a hostPort');
    await berth(['apply', ...source(), '--timeout', '120'], [0]);
    const [replica] = await ownedContainers(scope.instance);
    assert.ok(replica);
    const info = await docker.getContainer(replica.id).inspect();
    assert.deepEqual(info.HostConfig.PortBindings, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    assert.equal(await get(port), 'v1');
    assert.equal((await deployment('shop', 'web'))?.phase, 'Complete');
  });

  it('an update with the default strategy (25% surge) rolls maxUnavailable-first and completes on the same port', async () => {
    const before = await ownedContainers(scope.instance);
    await repo.write('manifests/shop/web.yaml', withHostPort(deploymentYaml({ name: 'web', port: 8080, command: serveCommand('v2') }), port));
    await repo.commit('web v2');
    await berth(['apply', ...source(), '--timeout', '120'], [0]);
    const now = await ownedContainers(scope.instance);
    assert.deepEqual(layout(now), { 'shop/web': [0] });
    assert.notEqual(now[0]?.id, before[0]?.id, 'a new replica');
    await eventually(async () => assert.equal(await get(port), 'v2'), { timeoutMs: 10_000, what: 'v2 answers on the hostPort' });
    assert.equal((await deployment('shop', 'web'))?.phase, 'Complete');
  });

  it('a hostPort another process holds: not Complete, the status says the engine could not bind it; other Deployments proceed', async () => {
    const blocker = net.createServer();
    const taken = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
    try {
      await repo.write('manifests/blog/front.yaml', withHostPort(deploymentYaml({ name: 'front', port: 8080, command: serveCommand('front') }), taken));
      await repo.commit('front on a taken port');
      await berth(['apply', ...source(), '--timeout', '15'], [3]);
      const front = await deployment('blog', 'front');
      assert.ok(front);
      assert.notEqual(front.phase, 'Complete');
      assert.match(front.message ?? '', new RegExp(`CONTAINER_START_FAILED: .*(${taken}|address already in use|port is already allocated)`));
      assert.equal(
        layout(await ownedContainers(scope.instance).then((cs) => cs.filter((c) => c.state === 'running')))['blog/front'],
        undefined,
        'nothing of front runs',
      );
      assert.equal((await deployment('shop', 'web'))?.phase, 'Complete', 'the other namespace is untouched');
      assert.equal(await get(port), 'v2');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
