/**
 * The bad-input corpus (test/fixtures/bad-input/<case>/): bad input never hurts.
 *
 * Each case is a small manifest repository (namespace folders) plus `case.json`:
 *   description    what is wrong, and why the outcome is the right one
 *   namespace      the folder the bad input is in (default `shop`)
 *   diagnostics    the diagnostics that must be reported: code and file always; line, column,
 *                  field, document, severity (default error) and message (a regex) when given
 *   generate       entries too odd to commit as files, made here: `{ "symlink": "<target>" }`, or
 *                  `{ "lines": [...], "eol"?: "\r\n", "bom"?: true, "latin1"?: true, "padToBytes"?: n }`
 *                  (latin1: each character is one byte, so "\u00e9" is the lone byte 0xE9)
 *   valid          true for input that must work (a BOM, CRLF): the namespace runs, with `deployments`
 *   folderSkipped  true when the folder cannot be a namespace at all (the diagnostic is set-level)
 *
 * Every case is loaded beside a valid sibling namespace (`blog`) and planned against an engine
 * where the bad namespace already runs `web`. Asserted: the diagnostics (file, line, field,
 * code); the bad namespace is invalid, with no objects and no deployments; its plan is
 * 'invalid' with zero actions (left exactly as it runs); the sibling is valid and gets its
 * create actions. A fuzzer finding becomes a case here (see fuzz.test.ts).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { formatDiagnostic, type Diagnostic } from '../../../src/core/index.js';
import { buildDesiredState } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache } from '../../../src/manifests/index.js';
import type { ObservedState } from '../../../src/observed/index.js';
import type { PlanAction } from '../../../src/plan/index.js';
import { livePlan } from '../../../src/controller/live-plan.js';
import { replicas, T0 } from '../../helpers/builders.js';
import { deployment, folder, snapshot, type FileSpec } from './snapshot-builder.js';

const CORPUS = fileURLToPath(new URL('../../fixtures/bad-input/', import.meta.url));

interface ExpectedDiagnostic {
  readonly code: string;
  readonly file: string;
  readonly severity?: 'error' | 'warning';
  readonly line?: number;
  readonly column?: number;
  readonly field?: string;
  readonly document?: number;
  /** A regular expression the message must match. */
  readonly message?: string;
}

type Generated =
  | { readonly symlink: string }
  | { readonly lines: readonly string[]; readonly eol?: string; readonly bom?: boolean; readonly latin1?: boolean; readonly padToBytes?: number };

interface BadInputCase {
  readonly description: string;
  readonly namespace: string;
  readonly diagnostics: readonly ExpectedDiagnostic[];
  readonly generate?: Readonly<Record<string, Generated>>;
  readonly valid?: boolean;
  readonly deployments?: readonly string[];
  readonly folderSkipped?: boolean;
}

/**
 * The issue's list ("Safety and security: bad input never hurts") and the extra cases asked for,
 * by case name: deleting or renaming a case fails this test.
 */
const REQUIRED_CASES = [
  'broken-yaml-unclosed-flow-sequence',
  'broken-yaml-missing-colon',
  'wrong-type-quoted-number',
  'wrong-type-containers-string',
  'unknown-kind',
  'unknown-api-version',
  'duplicate-name-across-files',
  'duplicate-name-within-file',
  'namespace-mismatch',
  'namespace-object-name-mismatch',
  'name-not-a-dns-label',
  'folder-name-not-a-dns-label',
  'alias-bomb',
  'file-too-large',
  'symlink',
  'binary-file',
  'invalid-utf8',
  'deep-nesting',
  'deep-nesting-flow',
  'empty-file',
  'absurd-replicas-1e9',
  'negative-port',
  'list-instead-of-mapping',
  'scalar-instead-of-mapping',
  'missing-kind',
  'tabs-for-indentation',
  'huge-integer',
  'port-70000',
  'negative-replicas',
  'env-var-without-name',
  'unknown-field-typo',
  'multi-document-third-bad',
  'utf8-bom',
  'crlf-line-endings',
  'crlf-line-endings-with-error',
  // namespace quotas (v1 ResourceQuota)
  'quota-exceeded',
  'quota-limit-required',
  // ConfigMaps (v1 ConfigMap and the Deployment fields that read one)
  'configmap-not-found',
  'configmap-key-missing',
  'configmap-too-large',
  'configmap-invalid-key',
  // issue #15: values that reach Engine API paths
  'image-dot-segments',
  'image-api-path-injection',
  'image-absolute-path',
  'image-percent-encoded-dots',
  'image-uppercase-repository',
  'image-malformed-digest',
  'image-hash-character',
  // numbers bounded to what the runtime holds (timers overflow above 2^31-1 ms)
  'host-port-conflict',
  'ingress-timeout-annotations',
  'probe-timeout-beyond-timers',
  'probe-period-beyond-timers',
  'probe-failure-threshold-absurd',
  'progress-deadline-beyond-timers',
  'min-ready-seconds-beyond-timers',
  'termination-grace-beyond-timers',
  'revision-history-limit-absurd',
  'max-surge-beyond-int32',
  // found by the fuzzer
  'recursive-alias',
  'recursive-alias-in-api-version',
  'collection-as-key',
];

const SIBLING = 'blog';
const RUNNING_REVISION = 'aaaaaaaaaa';

function caseNames(): string[] {
  return readdirSync(CORPUS)
    .filter((name) => statSync(join(CORPUS, name)).isDirectory())
    .sort();
}

function readCase(name: string): BadInputCase {
  const raw = JSON.parse(readFileSync(join(CORPUS, name, 'case.json'), 'utf8')) as Partial<BadInputCase>;
  return { namespace: 'shop', diagnostics: [], ...raw } as BadInputCase;
}

const encoder = new TextEncoder();

function generated(spec: Generated): FileSpec {
  if ('symlink' in spec) return { symlink: spec.symlink };
  let text = `${spec.bom ? '\ufeff' : ''}${spec.lines.join(spec.eol ?? '\n')}`;
  const toBytes = (t: string): Uint8Array => (spec.latin1 ? Uint8Array.from(t, (c) => c.charCodeAt(0) & 0xff) : encoder.encode(t));
  if (spec.padToBytes !== undefined) {
    const missing = spec.padToBytes - toBytes(text).length;
    const filler = `# ${'-'.repeat(77)}\n`; // 80 bytes
    text += filler.repeat(Math.floor(missing / filler.length)) + (missing % filler.length > 0 ? `${'#'.repeat((missing % filler.length) - 1)}\n` : '');
  }
  return toBytes(text);
}

/** Every file of a case folder, relative to it, as bytes (case.json excepted), plus the generated entries. */
function caseFiles(name: string, c: BadInputCase): Map<string, FileSpec> {
  const files = new Map<string, FileSpec>();
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full, `${prefix}${entry}/`);
      else if (`${prefix}${entry}` !== 'case.json') files.set(`${prefix}${entry}`, new Uint8Array(readFileSync(full)));
    }
  };
  walk(join(CORPUS, name), '');
  for (const [path, spec] of Object.entries(c.generate ?? {})) files.set(path, generated(spec));
  return files;
}

/** The repository: the case's folders, and the valid sibling. */
function repository(files: ReadonlyMap<string, FileSpec>): ReturnType<typeof snapshot> {
  const byFolder = new Map<string, Record<string, FileSpec>>();
  for (const [path, spec] of files) {
    const slash = path.indexOf('/');
    assert.ok(slash > 0, `corpus files live in namespace folders: ${path}`);
    const name = path.slice(0, slash);
    assert.notEqual(name, SIBLING, `the sibling folder ${SIBLING}/ is added by the test, not by a case`);
    byFolder.set(name, { ...byFolder.get(name), [path.slice(slash + 1)]: spec });
  }
  const folders = [...byFolder].map(([name, entries]) => folder(name, entries));
  folders.push(folder(SIBLING, { 'front.yaml': deployment('front') }));
  return snapshot(folders);
}

/** The engine before the commit: the bad namespace runs `web` (3 replicas); the sibling is new. */
function observed(c: BadInputCase): ObservedState {
  if (c.folderSkipped) return { namespaces: [] }; // berth never ran anything in a folder that cannot be a namespace
  return {
    namespaces: [
      {
        name: c.namespace,
        network: { id: 'net-1', name: `berth.${c.namespace}` },
        deployments: [{ namespace: c.namespace, name: 'web', replicas: replicas(RUNNING_REVISION, 3, { namespace: c.namespace }) }],
        strays: [],
      },
    ],
  };
}

function matches(d: Diagnostic, e: ExpectedDiagnostic): boolean {
  return (
    d.code === e.code &&
    d.file === e.file &&
    d.severity === (e.severity ?? 'error') &&
    (e.line === undefined || d.line === e.line) &&
    (e.column === undefined || d.column === e.column) &&
    (e.field === undefined || d.field === e.field) &&
    (e.document === undefined || d.document === e.document) &&
    (e.message === undefined || new RegExp(e.message).test(d.message))
  );
}

const actionNames = (actions: readonly PlanAction[]): string[] => actions.map((a) => `${a.kind}${'name' in a ? `:${a.name}` : ''}`);

function run(name: string) {
  const c = readCase(name);
  const files = caseFiles(name, c);
  const set = loadManifests(repository(files), new ManifestCache());
  const desired = buildDesiredState(set, { instance: 'default' });
  const plan = livePlan(desired, observed(c), { now: T0 });
  return { c, files, set, desired, plan };
}

describe('bad input never hurts: the corpus (test/fixtures/bad-input)', () => {
  const names = caseNames();

  it('holds every required case, each with a description and at least one expected diagnostic', () => {
    const missing = REQUIRED_CASES.filter((n) => !names.includes(n));
    assert.deepEqual(missing, [], 'required cases missing from test/fixtures/bad-input');
    for (const name of names) {
      const c = readCase(name);
      assert.ok(c.description.length > 20, `${name}: case.json has a description`);
      assert.ok(c.diagnostics.length > 0, `${name}: case.json expects at least one diagnostic`);
    }
  });

  for (const name of names) {
    it(name, () => {
      const { c, files, set, desired, plan } = run(name);
      const bad = set.namespaces.find((n) => n.name === c.namespace);
      const reported = c.folderSkipped ? set.diagnostics : (bad?.diagnostics ?? []);

      // the diagnostics, located
      for (const e of c.diagnostics) {
        const found = reported.find((d) => matches(d, e));
        assert.ok(found, `expected ${JSON.stringify(e)}\namong ${JSON.stringify(reported, null, 1)}`);
        assert.ok(files.has(found.file ?? '') || c.folderSkipped, `the diagnostic names a file of the case: ${found.file}`);
        if (!c.folderSkipped) assert.equal(found.namespace, c.namespace, 'the diagnostic names its namespace');
        if (e.line !== undefined) assert.ok(formatDiagnostic(found).startsWith(`${e.file}:${e.line}`), `printed as file:line: ${formatDiagnostic(found)}`);
      }

      // the sibling namespace is unaffected: valid, and created
      const sibling = set.namespaces.find((n) => n.name === SIBLING);
      assert.deepEqual([sibling?.valid, sibling?.diagnostics], [true, []], 'the sibling namespace is valid');
      assert.deepEqual(
        desired.namespaces.find((n) => n.name === SIBLING)?.deployments.map((d) => d.name),
        ['front'],
        'the sibling has its Deployment',
      );
      const siblingPlan = plan.namespaces.find((n) => n.namespace === SIBLING);
      assert.deepEqual(
        [siblingPlan?.verdict, actionNames(siblingPlan?.actions ?? [])],
        ['changes', ['create-network', 'create-deployment:front']],
        'the sibling gets its create actions',
      );

      if (c.folderSkipped) {
        // no namespace at all: nothing to create, change or prune
        assert.equal(bad, undefined, 'a folder that is not a DNS label is not a namespace');
        assert.equal(
          desired.namespaces.some((n) => n.name === c.namespace),
          false,
          'nor a desired namespace',
        );
        assert.equal(
          plan.namespaces.some((n) => n.namespace === c.namespace),
          false,
          'nor a plan entry',
        );
        assert.equal(plan.summary.prune, 0, 'nothing is pruned');
        return;
      }

      const desiredBad = desired.namespaces.find((n) => n.name === c.namespace);
      const badPlan = plan.namespaces.find((n) => n.namespace === c.namespace);
      assert.ok(bad && desiredBad && badPlan, `namespace ${c.namespace} is loaded, desired and planned`);
      if (c.valid) {
        // input that must work: the namespace runs, and the plan rolls the new revision out
        assert.deepEqual([bad.valid, desiredBad.valid], [true, true], `valid: ${JSON.stringify(bad.diagnostics)}`);
        assert.deepEqual(
          desiredBad.deployments.map((d) => d.name),
          c.deployments ?? [],
          'its deployments',
        );
        assert.deepEqual([badPlan.verdict, actionNames(badPlan.actions)], ['changes', ['update-deployment:web']], 'it is rolled out');
        return;
      }
      assert.deepEqual([bad.valid, bad.objects.length], [false, 0], 'the bad namespace is invalid and hands over no objects');
      assert.deepEqual([desiredBad.valid, desiredBad.deployments.length], [false, 0], 'the desired namespace is invalid with no deployments');
      assert.deepEqual([badPlan.verdict, badPlan.actions], ['invalid', []], 'left exactly as it runs: no actions at all');
    });
  }
});
