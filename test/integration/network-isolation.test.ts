/**
 * Namespaces are isolated on the network: each namespace's replicas join only their own
 * `berth.<namespace>` bridge network. Checked with real connection attempts from inside
 * a container (busybox wget): same namespace by Deployment alias → answers; another
 * namespace's replica by its IP → no route / timeout. (busybox-static's wget segfaults on a
 * name lookup, so requests go through `nc`.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LABEL, type ContainerSpec, type RuntimeDriver } from '../../src/runtime/index.js';
import { dockerClient, dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';

describe('network isolation between namespaces', { timeout: 120_000 }, () => {
  const scope = dockerScope('netiso');
  let driver: RuntimeDriver;
  const ids: Record<string, string> = {};

  const spec = (namespace: string, name: string, command: string[]): ContainerSpec => ({
    name: scope.name(`${namespace}.${name}`),
    image: 'busybox:1.36',
    command,
    env: [],
    ports: [],
    labels: scope.labels({ [LABEL.namespace]: namespace, [LABEL.kind]: 'Deployment', [LABEL.name]: name, [LABEL.revision]: 'r0', [LABEL.replica]: '0' }),
    network: `berth.${scope.instance}.${namespace}`,
    networkAliases: [name],
    stopGraceSeconds: 1,
  });
  const serve = (text: string) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 8080 -h /www`];
  async function exec(id: string, cmd: string[]): Promise<{ code: number; output: string }> {
    const e = await dockerClient().getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await e.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve());
    });
    const info = await e.inspect();
    return { code: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('latin1') };
  }

  /** An HTTP GET from inside a container, through busybox nc (3 s connect timeout). */
  const httpFrom = (id: string, host: string) => exec(id, ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} 8080`]);

  before(async () => {
    driver = scope.driver();
    for (const ns of ['alpha', 'beta']) {
      await driver.ensureNetwork({ name: `berth.${scope.instance}.${ns}`, labels: scope.labels({ [LABEL.namespace]: ns }) });
    }
    ids.alphaWeb = (await driver.runContainer(spec('alpha', 'web', serve('alpha-web')))).id;
    ids.alphaClient = (await driver.runContainer(spec('alpha', 'client', ['sleep', '3600']))).id;
    ids.betaWeb = (await driver.runContainer(spec('beta', 'web', serve('beta-web')))).id;
  });
  after(() => scope.cleanup());

  it('a replica reaches its own namespace by Deployment name', async () => {
    await eventually(async () => {
      const r = await httpFrom(ids.alphaClient!, 'web');
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /alpha-web/);
    });
  });

  it("another namespace's replica is unreachable, by name and by IP", async () => {
    const info = await dockerClient().getContainer(ids.betaWeb!).inspect();
    const betaIp = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress;
    assert.ok(betaIp, 'beta web has an address');
    const alphaInfo = await dockerClient().getContainer(ids.alphaClient!).inspect();
    assert.deepEqual(Object.keys(alphaInfo.NetworkSettings.Networks), [`berth.${scope.instance}.alpha`], 'alpha joins only its own network');
    // Blocked three times in a row. Docker's isolation has a gap of its own: every network any
    // process creates on this host makes dockerd delete FORWARD's jumps to DOCKER-USER and
    // DOCKER-ISOLATION-STAGE-1 and insert them again, and a connection made between the two
    // crosses bridges (met once in CI, with other test files creating networks meanwhile).
    // A namespace joined to another's network, or no isolation at all, never gets three.
    const reaches: string[] = [];
    await eventually(
      async () => {
        for (let i = 0; i < 3; i++) {
          const byIp = await httpFrom(ids.alphaClient!, betaIp);
          if (/beta-web/.test(byIp.output)) reaches.push(`attempt ${i + 1}`);
          assert.doesNotMatch(byIp.output, /beta-web/, `alpha reached beta at ${betaIp} (${reaches.length} time(s) so far)`);
        }
      },
      { timeoutMs: 60_000, intervalMs: 500, what: `alpha blocked from beta at ${betaIp} three times in a row` },
    );
    const byName = await httpFrom(ids.alphaClient!, `${scope.name('beta.web')}`);
    assert.doesNotMatch(byName.output, /beta-web/, "alpha resolved beta's container name");
    // Control: the same request from inside beta's own network works, so the failure above is isolation.
    const fromBeta = await httpFrom(ids.betaWeb!, betaIp);
    assert.match(fromBeta.output, /beta-web/);
  });
});
