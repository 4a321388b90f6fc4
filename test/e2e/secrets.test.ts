/**
 * Secrets end to end, with canaries: random values planted in a host file (inside a temp
 * folder allowed through BERTH_SECRET_DIRS) and in an environment variable of the berth
 * process. A Deployment takes both through env[].valueFrom.secretKeyRef and as files of a
 * secret volume; the containers must hold them (docker inspect, and reading the files inside
 * the container), the files must sit in berth's private runtime folder (BERTH_RUNTIME_DIR), and
 * no channel berth writes to may: its logs at debug level, every
 * file of its state directory, `berth status`, `berth plan` (live and --base/--head, every
 * format), `berth validate`, and the HTTP API. A Secret whose file lies outside the allow-list
 * fails only its own Deployment, with SECRET_UNAVAILABLE and no value in the message.
 *
 * Real Git (native push to a Git HTTP server), the real `berth` CLI, the real Docker engine.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBerth, startBerth, type BerthDaemon, type RunResult, stopAndKeepLogs } from '../helpers/berth-cli.js';
import { dockerScope } from '../helpers/docker-scope.js';
import { eventually } from '../helpers/eventually.js';
import { deploymentYaml } from '../helpers/manifests.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';
import { envOf, execOutput, ownedContainers } from '../helpers/world.js';

const canary = (): string => `canary-${randomBytes(12).toString('hex')}`;
const FILE_CANARY = canary();
const ENV_CANARY = canary();
/** In a file outside the allow-list: berth must refuse it without reading it. */
const OUTSIDE_CANARY = canary();
const CANARIES = [FILE_CANARY, ENV_CANARY, OUTSIDE_CANARY];
const TOKEN_VAR = `E2E_SHOP_TOKEN_${randomBytes(3).toString('hex').toUpperCase()}`;

const secretYaml = (name: string, keys: Record<string, string>): string =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\ntype: berth.dev/host-reference\nspec:\n  keys:\n${Object.entries(keys)
    .map(([k, source]) => `    ${k}:\n      ${source}\n`)
    .join('')}`;

/** deploymentYaml() plus env entries from Secrets, appended under the container. */
function withSecretEnv(yaml: string, refs: Record<string, [secret: string, key: string]>): string {
  const lines = Object.entries(refs).flatMap(([name, [secret, key]]) => [
    `            - name: ${name}`,
    '              valueFrom:',
    '                secretKeyRef:',
    `                  name: ${secret}`,
    `                  key: ${key}`,
  ]);
  return yaml.includes('          env:\n')
    ? yaml.replace('          env:\n', `          env:\n${lines.join('\n')}\n`)
    : `${yaml}          env:\n${lines.join('\n')}\n`;
}

/** deploymentYaml() plus a secret volume of Secret `secret` (every key a file) mounted at `mountPath`. */
function withSecretVolume(yaml: string, secret: string, mountPath: string): string {
  const volumes = ['      volumes:', '        - name: creds', '          secret:', `            secretName: ${secret}`, '            defaultMode: 0440'].join(
    '\n',
  );
  return `${yaml.replace('      containers:\n', `${volumes}\n      containers:\n`)}          volumeMounts:\n            - name: creds\n              mountPath: ${mountPath}\n`;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** Which canaries `text` holds (none, in a passing test). */
function leaked(text: string): string[] {
  return CANARIES.filter((c) => text.includes(c));
}

describe('secrets: values reach containers and nothing else', { timeout: 600_000 }, () => {
  const scope = dockerScope('e2e-secrets');
  let repo: TmpRepo;
  let stateDir: string;
  let cliStateDir: string;
  let secretsDir: string;
  let outsideDir: string;
  let runtimeDir: string;
  let berth: BerthDaemon | undefined;
  let baseCommit: string;
  let headCommit: string;
  const berthEnv = (): NodeJS.ProcessEnv => ({
    BERTH_SECRET_DIRS: `/nonexistent/berth-secrets:${secretsDir}`,
    [TOKEN_VAR]: ENV_CANARY,
    BERTH_RUNTIME_DIR: runtimeDir,
  });
  const source = (): string[] => ['--repo', repo.url, '--path', 'manifests', '--instance', scope.instance, '--log-level', 'debug'];
  const byDeployment = async (name: string) => (await ownedContainers(scope.instance)).filter((r) => r.namespace === 'shop' && r.deployment === name);
  const assertAlive = () => {
    if (berth && berth.child.exitCode !== null)
      throw Object.assign(new Error(`berth exited with ${berth.child.exitCode}:\n${berth.logs().slice(-3000)}`), { fatal: true });
  };
  const apiUrl = (): string => {
    for (const line of berth!.logs().split('\n')) {
      if (!line.includes('serving HTTP')) continue;
      const url = (JSON.parse(line) as { url?: string }).url;
      if (url) return url;
    }
    throw new Error('berth has not logged "serving HTTP" yet');
  };
  const status = async () => JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8'));

  before(async () => {
    repo = await tmpRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-secrets-state-'));
    cliStateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-secrets-cli-'));
    secretsDir = await mkdtemp(join(tmpdir(), 'berth-e2e-secrets-allowed-'));
    outsideDir = await mkdtemp(join(tmpdir(), 'berth-e2e-secrets-outside-'));
    runtimeDir = join(await mkdtemp(join(tmpdir(), 'berth-e2e-secrets-run-')), 'berth');
    await mkdir(join(secretsDir, 'shop'));
    await writeFile(join(secretsDir, 'shop', 'db-password'), `${FILE_CANARY}\n`, { mode: 0o600 });
    await writeFile(join(outsideDir, 'db-password'), OUTSIDE_CANARY, { mode: 0o600 });

    // base: one plain Deployment (for the pull-request plan)
    await repo.write('manifests/shop/plain.yaml', deploymentYaml({ name: 'plain', env: { GREETING: 'hello' } }));
    baseCommit = await repo.commit('base: plain only');
    // head: a Secret with a file and a variable, a Deployment using both, and a Secret outside the allow-list
    await repo.write(
      'manifests/shop/db-secret.yaml',
      secretYaml('db', { password: `file: ${join(secretsDir, 'shop', 'db-password')}`, token: `env: ${TOKEN_VAR}` }),
    );
    await repo.write(
      'manifests/shop/api.yaml',
      withSecretVolume(
        withSecretEnv(deploymentYaml({ name: 'api', env: { GREETING: 'hi' } }), { DB_PASSWORD: ['db', 'password'], API_TOKEN: ['db', 'token'] }),
        'db',
        '/etc/db',
      ),
    );
    await repo.write(
      'manifests/shop/leaky.yaml',
      `${secretYaml('leaky', { password: `file: ${join(outsideDir, 'db-password')}` })}---\n${withSecretEnv(deploymentYaml({ name: 'leaky' }), { DB_PASSWORD: ['leaky', 'password'] })}`,
    );
    headCommit = await repo.commit('head: secrets');
    await repo.push();
    berth = startBerth([...source(), '--state-dir', stateDir, '--poll', '*/1 * * * * *', '--listen', '127.0.0.1:0'], { env: berthEnv() });
  });

  after(async () => {
    await stopAndKeepLogs(berth, 'secrets');
    await scope.cleanup();
    await repo?.cleanup();
    for (const dir of [stateDir, cliStateDir, secretsDir, outsideDir, runtimeDir && join(runtimeDir, '..')])
      if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the values reach the container as env vars (from a host file and from berth's environment)", async () => {
    const [api] = await eventually(
      async () => {
        assertAlive();
        const running = (await byDeployment('api')).filter((r) => r.state === 'running');
        assert.equal(running.length, 1, 'api runs one replica');
        return running;
      },
      { timeoutMs: 120_000, what: 'api running' },
    );
    const env = await envOf(api!.id);
    assert.ok(env.includes(`DB_PASSWORD=${FILE_CANARY}`), 'the file value (one trailing newline dropped) is in the container env');
    assert.ok(env.includes(`API_TOKEN=${ENV_CANARY}`), "the variable's value is in the container env");
    assert.ok(env.includes('GREETING=hi'), 'literal env vars still arrive');
  });

  it('the values reach the container as files of a secret volume, read-only, kept in a private folder of berth', async () => {
    const [api] = (await byDeployment('api')).filter((r) => r.state === 'running');
    assert.ok(api, 'api runs');
    const password = await execOutput(api.id, ['cat', '/etc/db/password']);
    assert.equal(password.exitCode, 0, 'the file can be read');
    assert.equal(password.stdout, FILE_CANARY, 'the file value (one trailing newline dropped)');
    assert.equal((await execOutput(api.id, ['cat', '/etc/db/token'])).stdout, ENV_CANARY, "the variable's value");
    assert.equal(
      (await execOutput(api.id, ['stat', '-c', '%a', '/etc/db/password'])).stdout.trim(),
      '440',
      'defaultMode 0440 (YAML 1.1 octal, as in Kubernetes)',
    );
    assert.notEqual((await execOutput(api.id, ['sh', '-c', 'echo x > /etc/db/password'])).exitCode, 0, 'read-only');
    // On the host: <BERTH_RUNTIME_DIR>/<instance>/<container>/<creation>/<volume>/<key>, every folder above the volume private (0700).
    const containerDir = join(runtimeDir, scope.instance, api.name);
    const [creation] = await readdir(containerDir);
    assert.ok(creation, 'a creation folder');
    for (const dir of [runtimeDir, join(runtimeDir, scope.instance), containerDir, join(containerDir, creation)])
      assert.equal((await stat(dir)).mode & 0o777, 0o700, `${dir} is 0700`);
    assert.equal(await readFile(join(containerDir, creation, 'creds', 'password'), 'utf8'), FILE_CANARY, 'written where the container reads it');
  });

  it('a Secret file outside the allow-list fails only its Deployment, with SECRET_UNAVAILABLE and no value', async () => {
    const shop = await eventually(
      async () => {
        assertAlive();
        const s = (await status()).namespaces.shop;
        const leaky = s.deployments.find((d: { name: string }) => d.name === 'leaky');
        assert.equal(leaky?.phase, 'Failed', JSON.stringify(s));
        assert.equal(s.deployments.find((d: { name: string }) => d.name === 'api')?.phase, 'Complete', JSON.stringify(s));
        assert.equal(s.deployments.find((d: { name: string }) => d.name === 'plain')?.phase, 'Complete', JSON.stringify(s));
        return s;
      },
      { timeoutMs: 120_000, what: 'leaky failed, the others complete' },
    );
    const message = String(shop.deployments.find((d: { name: string }) => d.name === 'leaky').message);
    assert.match(message, /^SECRET_UNAVAILABLE: Secret shop\/leaky key "password" \(file \/.+\/db-password\): the file lies outside the allowed folders/);
    assert.deepEqual(leaked(message), []);
    assert.deepEqual(await byDeployment('leaky'), [], 'no container for the failing Deployment');
    assert.equal((await byDeployment('plain')).filter((r) => r.state === 'running').length, 1, 'plain runs');
  });

  it('no canary in any output channel: logs, state directory, status, plan, validate, API', async () => {
    const outputs: Record<string, string> = {};
    const cli = async (what: string, args: string[], codes: number[]): Promise<RunResult> => {
      const r = await runBerth(args, { env: berthEnv() });
      assert.ok(codes.includes(r.code), `${what}: exit ${r.code}\n${r.stderr.slice(-2000)}`);
      outputs[`${what} (stdout)`] = r.stdout;
      outputs[`${what} (stderr)`] = r.stderr;
      return r;
    };

    // the HTTP API of the running berth
    const url = apiUrl();
    for (const path of [
      '/api/v1/status',
      '/api/v1/namespaces',
      '/api/v1/namespaces/shop',
      '/api/v1/namespaces/shop/deployments/api',
      '/api/v1/namespaces/shop/deployments/leaky',
      '/api/v1/history',
      '/metrics',
    ]) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 200, `${path}: ${res.status}`);
      outputs[`GET ${path}`] = await res.text();
    }
    assert.match(outputs['GET /api/v1/namespaces/shop/deployments/leaky']!, /"phase":"Failed"/);

    // the CLI: status reads the daemon's state; plan and validate use their own state dir (the daemon holds the lock)
    const statusJson = await cli('berth status -o json', ['status', '--state-dir', stateDir, '-o', 'json'], [0]);
    assert.match(statusJson.stdout, /SECRET_UNAVAILABLE/);
    await cli('berth status', ['status', '--state-dir', stateDir], [0]);
    await cli('berth plan -o json', ['plan', ...source(), '--state-dir', cliStateDir, '-o', 'json'], [0, 1]);
    await cli('berth plan -o text', ['plan', ...source(), '--state-dir', cliStateDir, '-o', 'text'], [0, 1]);
    for (const output of ['markdown', 'json', 'text']) {
      const r = await cli(
        `berth plan --base --head -o ${output}`,
        ['plan', ...source(), '--state-dir', cliStateDir, '--base', baseCommit, '--head', headCommit, '-o', output],
        [1],
      );
      assert.match(r.stdout, /secret db\/password \(file /, `the ${output} plan shows the reference`);
    }
    await cli('berth validate -o json', ['validate', ...source(), '--state-dir', cliStateDir, '-o', 'json'], [0]);
    await cli('berth history', ['history', 'shop/api', '--state-dir', stateDir, '-o', 'json'], [0, 3]);

    // everything the daemon logged, at debug level, stdout and stderr
    outputs['berth run logs'] = berth!.logs();
    assert.match(outputs['berth run logs']!, /"level":20/, 'debug lines were logged');
    assert.match(outputs['berth run logs']!, /SECRET_UNAVAILABLE/);

    // every file berth wrote
    // berth run is still writing: an atomic write's temporary file listed here may be renamed before it is read
    // (its content is then the file it became, read in this loop or the next check's).
    for (const dir of [stateDir, cliStateDir]) {
      for (const file of await filesUnder(dir)) {
        const content = await readFile(file).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT' && /\.tmp-/.test(file)) return undefined;
          throw err;
        });
        if (content !== undefined) outputs[`file ${file}`] = content.toString('latin1');
      }
    }
    assert.ok(
      Object.keys(outputs).some((k) => k.endsWith('status.json')),
      'the state directory holds status.json',
    );

    const leaks = Object.entries(outputs).flatMap(([where, text]) => leaked(text).map((c) => `${where}: ${c}`));
    assert.deepEqual(leaks, [], 'a canary leaked');
  });
});
