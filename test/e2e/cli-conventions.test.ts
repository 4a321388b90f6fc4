/**
 * The CLI conventions people expect (issue 13, item 4), with the real `berth` CLI on a real Git
 * repository: `-o yaml` renders the same document as `-o json` wherever json exists, and
 * `berth version` / `--version` report berth, Node and the engine — and still answer (exit 0)
 * when the engine does not.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { runBerth } from '../helpers/berth-cli.js';
import { deploymentYaml } from '../helpers/manifests.js';
import { localRepo, type LocalRepo } from '../helpers/tmp-repo.js';

describe('CLI conventions: -o yaml and berth version', () => {
  let repo: LocalRepo;
  let stateDir: string;
  const source = (): string[] => ['--repo', repo.dir, '--path', 'manifests', '--instance', 'conv-e2e', '--state-dir', stateDir];

  before(async () => {
    repo = await localRepo();
    stateDir = await mkdtemp(join(tmpdir(), 'berth-e2e-conventions-state-'));
    await repo.write('manifests/shop/web.yaml', deploymentYaml({ name: 'web' }));
    await repo.commit('web');
    await repo.write('manifests/shop/api.yaml', deploymentYaml({ name: 'api' }));
    // Beside the good folder: one whose first file does not parse and whose second runs privileged.
    await repo.write('broken/shop/a-broken.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: [unclosed\n');
    await repo.write(
      'broken/shop/b-admin.yaml',
      deploymentYaml({ name: 'admin' }).replace(/(\n( +)image: [^\n]+\n)/, '$1$2securityContext:\n$2  privileged: true\n'),
    );
    await repo.commit('api');
  });

  after(async () => {
    await repo?.cleanup();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('validate -o yaml is the -o json document', async () => {
    const asJson = await runBerth(['validate', ...source(), '-o', 'json']);
    const asYaml = await runBerth(['validate', ...source(), '-o', 'yaml']);
    assert.equal(asJson.code, 0, asJson.stderr);
    assert.equal(asYaml.code, 0, asYaml.stderr);
    assert.doesNotMatch(asYaml.stdout, /^\s*\{/);
    assert.deepEqual(parse(asYaml.stdout), JSON.parse(asJson.stdout));
  });

  it('plan --base -o yaml is the -o json document (exit 1: changes)', async () => {
    const asJson = await runBerth(['plan', ...source(), '--base', (await repo.git('rev-parse', 'HEAD^')).trim(), '-o', 'json']);
    const asYaml = await runBerth(['plan', ...source(), '--base', (await repo.git('rev-parse', 'HEAD^')).trim(), '-o', 'yaml']);
    assert.equal(asJson.code, 1, asJson.stderr);
    assert.equal(asYaml.code, 1, asYaml.stderr);
    const doc = parse(asYaml.stdout) as unknown;
    assert.deepEqual(doc, JSON.parse(asJson.stdout));
    assert.match(asYaml.stdout, /api/);
  });

  it('-o accepts yaml and says what is allowed otherwise (exit 4)', async () => {
    const r = await runBerth(['status', ...source(), '-o', 'toml']);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /Allowed choices are text, json, yaml/);
  });

  it("validate reports a YAML syntax error and a sibling file's policy error in one run (exit 2)", async () => {
    const args = ['validate', ...source().map((x) => (x === 'manifests' ? 'broken' : x))];
    const r = await runBerth([...args, '-o', 'json']);
    assert.equal(r.code, 2, r.stderr);
    const doc = JSON.parse(r.stdout) as { valid: boolean; diagnostics: { file?: string; code: string; severity: string; line?: number }[] };
    assert.equal(doc.valid, false);
    const errors = doc.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.code}`);
    assert.ok(errors.includes('shop/a-broken.yaml:YAML_SYNTAX'), JSON.stringify(errors));
    assert.ok(errors.includes('shop/b-admin.yaml:POLICY_DENIED'), JSON.stringify(errors));
    const text = await runBerth(args);
    assert.equal(text.code, 2);
    assert.match(
      text.stdout,
      /a-broken\.yaml:\d+:\d+: error .*\(YAML_SYNTAX\)\nshop\/b-admin\.yaml:\d+:\d+: error .*privileged.*\(POLICY_DENIED\)\n2 error\(s\)/,
    );
  });

  it('completion bash: bash parses and sources it, and it completes commands, subcommands, flags and choices from the CLI', async () => {
    const r = await runBerth(['completion', 'bash']);
    assert.equal(r.code, 0, r.stderr);
    const script = join(stateDir, 'berth-completion.bash');
    await writeFile(script, r.stdout);
    await promisify(execFile)('bash', ['-n', script]);
    const complete = (line: string): string => `COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _berth; echo "\${COMPREPLY[*]}"`;
    const probe = [
      'complete -p berth',
      complete('berth ro'),
      complete('berth prune c'),
      complete('berth plan -o ""'),
      complete('berth validate --max-pod'),
      complete('berth rollout status --ti'),
    ];
    const { stdout } = await promisify(execFile)('bash', ['-c', `source ${JSON.stringify(script)}\n${probe.join('\n')}`]);
    assert.deepEqual(stdout.split('\n').slice(0, probe.length), [
      'complete -F _berth berth',
      'rollback rollout',
      'confirm',
      'text json yaml markdown',
      '--max-pod-security',
      '--timeout',
    ]);
    const bad = await runBerth(['completion', 'fish']);
    assert.equal(bad.code, 4);
    assert.match(bad.stderr, /allowed: bash, zsh/);
  });

  it('berth version and --version: berth from package.json, Node, the engine', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const args of [['version'], ['--version']]) {
      const r = await runBerth(args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`^berth ${pkg.version.replace(/\./g, '\\.')}\\nnode ${process.versions.node.replace(/\./g, '\\.')}\\ndocker engine \\d+\\.\\d+`),
      );
    }
    const yamlDoc = parse((await runBerth(['version', '-o', 'yaml'])).stdout) as { berth: string; docker: { apiVersion?: string } };
    assert.equal(yamlDoc.berth, pkg.version);
    assert.match(String(yamlDoc.docker.apiVersion), /^1\.\d+$/);
  });

  it('berth version without an engine still answers (exit 0) and says the engine is unreachable', async () => {
    const r = await runBerth(['version', '--docker-socket', join(stateDir, 'no-such.sock'), '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { berth: string; docker: { error?: string } };
    assert.match(String(doc.docker.error), /ENGINE_UNREACHABLE/);
  });
});
