/**
 * ConfigMaps end to end: the real `berth` CLI (apply, plan, validate) on a real Git repository,
 * against the real Docker engine.
 *
 *  - A Deployment reads a ConfigMap as env vars (configMapKeyRef, envFrom with a prefix; and a
 *    Secret through envFrom) and as
 *    files of a configMap volume (data and binaryData, a subPath mount), running as a non-root
 *    user that can read the 0440 files only through the pod's fsGroup; its emptyDir belongs to
 *    that group too. Asserted inside the real container (docker inspect, docker exec).
 *  - A commit that changes the ConfigMap: `berth plan` (live and --base/--head) says the
 *    Deployment rolls because of it; `berth apply` replaces exactly that Deployment's replica
 *    (new content inside), while the Deployment that uses no ConfigMap keeps its container (same id).
 *  - A commit whose Deployment names a ConfigMap that does not exist: a located error, exit 2,
 *    and the namespace keeps running exactly as it is.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBerth, type RunResult } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { deploymentYaml } from '../helpers/manifests.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';
import { envOf, execOutput, ownedContainers, type SeenReplica } from '../helpers/world.js';

/** Four bytes no text file holds: 00 01 fe ff. */
const LOGO_BASE64 = Buffer.from([0x00, 0x01, 0xfe, 0xff]).toString('base64');

const configMapYaml = (greeting: string): string =>
  [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: app',
    'data:',
    `  GREETING: ${greeting}`,
    '  site.conf: |',
    '    listen 80;',
    'binaryData:',
    `  logo.bin: ${LOGO_BASE64}`,
    '',
  ].join('\n');

/** deploymentYaml() with pod-level lines (before `containers:`) and container-level lines (appended). */
function withPod(yaml: string, podLines: string[], containerLines: string[] = []): string {
  const pod = podLines.map((l) => `      ${l}`).join('\n');
  const container = containerLines.map((l) => `          ${l}`).join('\n');
  return `${yaml.replace('      containers:\n', `${pod}\n      containers:\n`)}${container ? `${container}\n` : ''}`;
}

/** `api`: reads ConfigMap `cm` every way Kubernetes offers, as user 1000 with fsGroup 4321. */
const apiYaml = (cm = 'app'): string =>
  withPod(
    deploymentYaml({ name: 'api' }),
    [
      'securityContext:',
      '  runAsUser: 1000',
      '  fsGroup: 4321',
      '  fsGroupChangePolicy: OnRootMismatch',
      'volumes:',
      '  - name: config',
      '    configMap:',
      `      name: ${cm}`,
      '      defaultMode: 0440',
      '  - name: scratch',
      '    emptyDir: {}',
    ],
    [
      'env:',
      '  - name: GREETING',
      '    valueFrom:',
      '      configMapKeyRef:',
      `        name: ${cm}`,
      '        key: GREETING',
      'envFrom:',
      '  - configMapRef:',
      `      name: ${cm}`,
      '    prefix: APP_',
      '  - secretRef:',
      '      name: db',
      '    prefix: DB_',
      'volumeMounts:',
      '  - name: config',
      '    mountPath: /etc/app',
      '  - name: config',
      '    mountPath: /etc/site.conf',
      '    subPath: site.conf',
      '  - name: scratch',
      '    mountPath: /scratch',
    ],
  );

describe('ConfigMaps: env, files, fsGroup, and a change rolls exactly its users', { timeout: 600_000 }, () => {
  const scope = dockerScope('e2e-configmaps');
  let repo: LocalRepo;
  let stateDir: string;
  let runtimeDir: string;
  let firstCommit: string;
  const env = (): NodeJS.ProcessEnv => ({ BERTH_RUNTIME_DIR: runtimeDir, E2E_CONFIGMAPS_TOKEN: 'token-from-berth-env' });
  const source = (): string[] => ['--repo', repo.dir, '--path', 'manifests', '--instance', scope.instance, '--state-dir', stateDir];
  const berth = async (args: string[], codes: number[]): Promise<RunResult> => {
    const r = await runBerth(args, { env: env(), timeoutMs: 240_000 });
    assert.ok(codes.includes(r.code), `berth ${args.join(' ')}: exit ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    return r;
  };
  const running = async (name: string): Promise<SeenReplica[]> =>
    (await ownedContainers(scope.instance)).filter((r) => r.namespace === 'shop' && r.deployment === name && r.state === 'running');
  const sh = async (id: string, script: string): Promise<string> => {
    const r = await execOutput(id, ['sh', '-c', script]);
    assert.equal(r.exitCode, 0, `${script}: exit ${r.exitCode}: ${r.stdout}`);
    return r.stdout.trim();
  };
  let before1: { api: string; plain: string };

  before(async () => {
    repo = await localRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-configmaps-state-'));
    runtimeDir = await mkdtemp(join(tmpdir(), 'berth-e2e-configmaps-run-'));
    await repo.write('manifests/shop/app-config.yaml', configMapYaml('hello'));
    await repo.write('manifests/shop/unused-config.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unused\ndata:\n  x: "1"\n');
    await repo.write('manifests/shop/api.yaml', apiYaml());
    await repo.write(
      'manifests/shop/db-secret.yaml',
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: berth.dev/host-reference\nspec:\n  keys:\n    TOKEN:\n      env: E2E_CONFIGMAPS_TOKEN\n',
    );
    await repo.write('manifests/shop/api-sa.yaml', 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: api\n');
    await repo.write('manifests/shop/plain.yaml', deploymentYaml({ name: 'plain', env: { GREETING: 'literal' } }));
    firstCommit = await repo.commit('a ConfigMap and two Deployments, one using it');
  });

  after(async () => {
    await scope.cleanup();
    await repo?.cleanup();
    for (const dir of [stateDir, runtimeDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('apply: the container gets the ConfigMap as env vars and as read-only files its user reads through fsGroup', async () => {
    const r = await berth(['apply', ...source(), '--timeout', '180', '-o', 'json'], [0]);
    assert.doesNotMatch(r.stdout + r.stderr, /UNKNOWN_KIND/, 'the ServiceAccount is not an error');
    const [api] = await running('api');
    const [plain] = await running('plain');
    assert.ok(api && plain, 'both Deployments run');
    before1 = { api: api.id, plain: plain.id };

    const vars = await envOf(api.id);
    assert.ok(vars.includes('GREETING=hello'), `configMapKeyRef: ${vars.join(' ')}`);
    assert.ok(vars.includes('APP_GREETING=hello'), 'envFrom with the prefix');
    assert.ok(vars.includes('APP_site.conf=listen 80;\n'), 'envFrom takes every data key (binaryData is for files only)');
    assert.ok(!vars.some((v) => v.startsWith('APP_logo.bin=')), 'binaryData never becomes an env var');
    assert.ok(vars.includes('DB_TOKEN=token-from-berth-env'), 'envFrom a Secret: every key it declares, resolved on the host');

    assert.equal(await sh(api.id, 'id -u'), '1000');
    assert.match(await sh(api.id, 'id -G'), /\b4321\b/, 'fsGroup is a supplementary group of the process');
    assert.equal(await sh(api.id, 'cat /etc/app/site.conf'), 'listen 80;');
    assert.equal(await sh(api.id, 'cat /etc/app/GREETING'), 'hello');
    assert.equal(await sh(api.id, 'od -An -tx1 /etc/app/logo.bin | tr -d " \\n"'), '0001feff', 'binaryData decoded, byte for byte');
    assert.equal(await sh(api.id, 'cat /etc/site.conf'), 'listen 80;', 'a subPath mount of one key');
    assert.equal(await sh(api.id, 'stat -c "%a %g" /etc/app/site.conf'), '440 4321', 'defaultMode 0440 (YAML 1.1 octal), group-owned by fsGroup');
    assert.notEqual((await execOutput(api.id, ['sh', '-c', 'echo x > /etc/app/site.conf'])).exitCode, 0, 'read-only');
    assert.equal(
      await sh(api.id, 'stat -c %g /scratch && touch /scratch/f && stat -c %g /scratch/f'),
      '4321\n4321',
      'the emptyDir belongs to fsGroup (setgid: new files too)',
    );
  });

  it('a ConfigMap change: both plans name it as the reason api rolls; plain is not touched', async () => {
    await repo.write('manifests/shop/app-config.yaml', configMapYaml('bonjour'));
    await repo.write('manifests/shop/unused-config.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unused\ndata:\n  x: "2"\n');
    await repo.commit('change the ConfigMaps only');

    const live = await berth(['plan', ...source()], [1]);
    assert.match(live.stdout, /~ deployment api: roll \S+ → \S+ .* because ConfigMap app changed/);
    assert.doesNotMatch(live.stdout, /deployment plain/, 'plain does not roll');
    const liveJson = JSON.parse((await berth(['plan', ...source(), '-o', 'json'], [1])).stdout) as {
      namespaces: { actions: { kind: string; name?: string; configMapsChanged?: string[] }[] }[];
    };
    assert.deepEqual(
      liveJson.namespaces.flatMap((n) => n.actions).map((a) => [a.kind, a.name, a.configMapsChanged]),
      [['update-deployment', 'api', ['app']]],
    );

    const pr = await berth(['plan', ...source(), '--base', firstCommit, '--head', 'HEAD'], [1]);
    assert.match(pr.stdout, /~ deployment api: changed, rolls because ConfigMap app changed/);
    assert.match(pr.stdout, /~ configmap app: changed — ~ data\.GREETING: "hello" → "bonjour"/);
    assert.match(pr.stdout, /~ configmap unused: changed/);
    assert.doesNotMatch(pr.stdout, /deployment plain/);
  });

  it('apply: exactly the user rolls, with the new content; the other keeps its container', async () => {
    await berth(['apply', ...source(), '--timeout', '180'], [0]);
    const [api] = await running('api');
    const [plain] = await running('plain');
    assert.ok(api && plain);
    assert.notEqual(api.id, before1.api, 'api was replaced');
    assert.equal(plain.id, before1.plain, 'plain kept its container');
    assert.ok((await envOf(api.id)).includes('GREETING=bonjour'));
    assert.equal(await sh(api.id, 'cat /etc/app/GREETING'), 'bonjour');
    before1 = { api: api.id, plain: plain.id };
  });

  it('a Deployment naming a ConfigMap that does not exist: located error, exit 2, the namespace keeps running as it is', async () => {
    await repo.write('manifests/shop/api.yaml', apiYaml('missing'));
    await repo.commit('api names a ConfigMap that does not exist');
    const v = await berth(['validate', ...source(), '-o', 'json'], [2]);
    const diagnostics = (JSON.parse(v.stdout) as { diagnostics: { code: string; file?: string; line?: number; field?: string }[] }).diagnostics.filter(
      (d) => d.code === 'CONFIGMAP_REF_NOT_FOUND',
    );
    assert.deepEqual(
      diagnostics.map((d) => [d.file, d.field]),
      [
        // sorted by line: the pod's volumes are written before the container
        ['shop/api.yaml', 'spec.template.spec.volumes[0].configMap.name'],
        ['shop/api.yaml', 'spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef.name'],
        ['shop/api.yaml', 'spec.template.spec.containers[0].envFrom[0].configMapRef.name'],
      ],
    );
    assert.ok(diagnostics.every((d) => typeof d.line === 'number' && d.line > 0));
    await berth(['apply', ...source(), '--timeout', '60'], [2]);
    assert.deepEqual(
      (await running('api')).map((r) => r.id),
      [before1.api],
      'api keeps running as it was',
    );
    assert.deepEqual(
      (await running('plain')).map((r) => r.id),
      [before1.plain],
    );
  });
});
