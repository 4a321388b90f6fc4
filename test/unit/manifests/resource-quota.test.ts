import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDiagnostic, type Diagnostic } from '../../../src/core/index.js';
import { buildDesiredState } from '../../../src/desired/index.js';
import {
  formatCpu,
  formatMemory,
  loadManifests,
  ManifestCache,
  parseCount,
  type NamespaceManifests,
  type ResourceQuotaManifest,
} from '../../../src/manifests/index.js';
import { quantityProblem } from '../../../src/manifests/quantity.js';
import { deployment, folder, snapshot, type FileSpec } from './snapshot-builder.js';

/**
 * v1 ResourceQuota, table-driven: each row is a namespace folder and exactly the error and
 * warning diagnostics it must produce (code, file, field, line; a message pattern when given).
 *
 * Lines: `quota()` puts `hard:` on line 6 and its entries from line 7 on, in the order given;
 * `deploy()` (snapshot-builder's deployment) has metadata.name on line 4, spec.replicas on 6,
 * the container item on 16, and `limits:` entries from line 20 (cpu before memory when both).
 */
interface Expected {
  readonly severity: Diagnostic['severity'];
  readonly code: string;
  readonly file: string;
  readonly field: string;
  readonly line: number;
  readonly message?: RegExp;
}

const err = (code: string, file: string, field: string, line: number, message?: RegExp): Expected => ({ severity: 'error', code, file, field, line, message });
const warn = (code: string, file: string, field: string, line: number, message?: RegExp): Expected => ({
  severity: 'warning',
  code,
  file,
  field,
  line,
  message,
});

function quota(name: string, hard: Readonly<Record<string, string | number>>, extraSpec = ''): string {
  const entries = Object.entries(hard).map(([k, v]) => `    ${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}\n`);
  return `apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: ${name}\nspec:\n  hard:\n${entries.join('')}${extraSpec}`;
}

/** A Deployment with `replicas` (undefined: the line is left out) and container limits. */
function deploy(name: string, replicas: number | undefined, limits: { cpu?: string; memory?: string } = {}): string {
  const lines = Object.entries(limits).map(([k, v]) => `              ${k}: ${v}\n`);
  const text = deployment(name, { container: lines.length > 0 ? `          resources:\n            limits:\n${lines.join('')}` : '' });
  return replicas === undefined ? text.replace('  replicas: 2\n', '') : text.replace('replicas: 2', `replicas: ${replicas}`);
}

const LIMITS = 'spec.template.spec.containers[0].resources.limits';

/** The Deployment with one init container `setup` (a cpu limit when given), after the app container. */
function withInit(text: string, cpu?: string): string {
  const limits = cpu ? `          resources:\n            limits:\n              cpu: ${cpu}\n` : '';
  return `${text}      initContainers:\n        - name: setup\n          image: busybox:1.36\n${limits}`;
}

function load(files: Readonly<Record<string, FileSpec>>): NamespaceManifests {
  return loadManifests(snapshot([folder('shop', files)]), new ManifestCache()).namespaces[0]!;
}

const rows: readonly { name: string; files: Record<string, FileSpec>; expect: readonly Expected[] }[] = [
  // ---- within the bounds
  {
    name: 'under every bound: valid',
    files: {
      'quota.yaml': quota('compute', { pods: '10', 'limits.memory': '1Gi', 'limits.cpu': '2' }),
      'web.yaml': deploy('web', 3, { cpu: '500m', memory: '256Mi' }),
    },
    expect: [],
  },
  {
    name: 'exactly at the bound: valid',
    files: {
      'quota.yaml': quota('compute', { pods: 4, 'limits.memory': '1Gi' }),
      'a.yaml': deploy('a', 2, { memory: '256Mi' }),
      'b.yaml': deploy('b', 2, { memory: '256Mi' }),
    },
    expect: [],
  },
  { name: 'a quota with no Deployments: valid', files: { 'quota.yaml': quota('compute', { pods: 0, 'count/deployments.apps': 0 }) }, expect: [] },
  {
    name: 'replicas 0 needs no limit and counts nothing',
    files: { 'quota.yaml': quota('compute', { pods: 1, 'limits.memory': '64Mi' }), 'a.yaml': deploy('a', 0), 'b.yaml': deploy('b', 1, { memory: '64Mi' }) },
    expect: [],
  },
  // ---- pods
  {
    name: 'the brief: replicas 6 + 5 = 11 > pods 10, on the Deployment that goes over',
    files: { 'quota.yaml': quota('compute', { pods: '10' }), 'a.yaml': deploy('a', 6), 'b.yaml': deploy('b', 5) },
    expect: [
      err(
        'QUOTA_EXCEEDED',
        'shop/b.yaml',
        'spec.replicas',
        6,
        /^replicas 6 \+ 5 = 11 > pods 10 of ResourceQuota shop\/compute \(shop\/quota\.yaml:7\); the Deployments before "b" \(in file order\) declare 6$/,
      ),
    ],
  },
  {
    name: 'one Deployment alone over the bound; the total of the folder is named',
    files: { 'quota.yaml': quota('compute', { pods: 3 }), 'a.yaml': deploy('a', 4), 'b.yaml': deploy('b', 2) },
    expect: [
      err(
        'QUOTA_EXCEEDED',
        'shop/a.yaml',
        'spec.replicas',
        6,
        /^replicas 4 > pods 3 of ResourceQuota shop\/compute \(shop\/quota\.yaml:7\); the namespace's Deployments declare 6 in all$/,
      ),
    ],
  },
  {
    name: 'a missing replicas counts 1 (the Kubernetes default); the error points at spec',
    files: { 'quota.yaml': quota('compute', { pods: 1 }), 'a.yaml': deploy('a', undefined), 'b.yaml': deploy('b', undefined) },
    expect: [err('QUOTA_EXCEEDED', 'shop/b.yaml', 'spec.replicas', 5, /^replicas 1 \+ 1 = 2 > pods 1 /)],
  },
  {
    name: 'a pods quota as a quantity ("1k")',
    files: { 'quota.yaml': quota('compute', { pods: '1k' }), 'a.yaml': deploy('a', 1000), 'b.yaml': deploy('b', 1) },
    expect: [err('QUOTA_EXCEEDED', 'shop/b.yaml', 'spec.replicas', 6, /^replicas 1000 \+ 1 = 1001 > pods 1k /)],
  },
  // ---- limits
  {
    name: 'limits.memory: replicas × limit, summed',
    files: {
      'quota.yaml': quota('compute', { 'limits.memory': '1Gi' }),
      'a.yaml': deploy('a', 2, { memory: '256Mi' }),
      'b.yaml': deploy('b', 3, { memory: '256Mi' }),
    },
    expect: [
      err(
        'QUOTA_EXCEEDED',
        'shop/b.yaml',
        `${LIMITS}.memory`,
        20,
        /^limits\.memory 512Mi \+ 3 × 256Mi = 1280Mi > limits\.memory 1Gi of ResourceQuota shop\/compute \(shop\/quota\.yaml:7\)/,
      ),
    ],
  },
  {
    name: 'limits.cpu: one replica over alone',
    files: { 'quota.yaml': quota('compute', { 'limits.cpu': '1' }), 'a.yaml': deploy('a', 1, { cpu: '1500m' }) },
    expect: [
      err('QUOTA_EXCEEDED', 'shop/a.yaml', `${LIMITS}.cpu`, 20, /^limits\.cpu 1500m > limits\.cpu 1 of ResourceQuota shop\/compute \(shop\/quota\.yaml:7\)$/),
    ],
  },
  {
    name: 'limits.cpu: replicas × limit over alone',
    files: { 'quota.yaml': quota('compute', { 'limits.cpu': '1' }), 'a.yaml': deploy('a', 3, { cpu: '500m' }) },
    expect: [err('QUOTA_EXCEEDED', 'shop/a.yaml', `${LIMITS}.cpu`, 20, /^limits\.cpu 3 × 500m = 1500m > limits\.cpu 1 /)],
  },
  // Init containers run alone, one at a time, before the app: the pod's demand is the larger of the app containers together and the largest init container.
  {
    name: 'init containers: the larger of the app and the largest init container counts, not the sum',
    files: { 'quota.yaml': quota('compute', { 'limits.cpu': '1' }), 'a.yaml': withInit(deploy('a', 1, { cpu: '500m' }), '800m') },
    expect: [],
  },
  {
    name: 'init containers: an init container over the quota alone is over',
    files: { 'quota.yaml': quota('compute', { 'limits.cpu': '1' }), 'a.yaml': withInit(deploy('a', 1, { cpu: '500m' }), '1500m') },
    expect: [err('QUOTA_EXCEEDED', 'shop/a.yaml', `${LIMITS}.cpu`, 20, /^limits\.cpu 1500m > limits\.cpu 1 /)],
  },
  {
    name: 'a native sidecar runs beside the app: its limit adds to the app containers, not compared with them',
    files: {
      'quota.yaml': quota('compute', { 'limits.cpu': '1' }),
      'a.yaml': withInit(deploy('a', 1, { cpu: '500m' }), '800m').replace('- name: setup\n', '- name: setup\n          restartPolicy: Always\n'),
    },
    expect: [err('QUOTA_EXCEEDED', 'shop/a.yaml', `${LIMITS}.cpu`, 20, /^limits\.cpu 1300m > limits\.cpu 1 /)],
  },
  {
    name: 'init containers: one without the bounded limit is an error on its own field',
    files: { 'quota.yaml': quota('compute', { 'limits.cpu': '1' }), 'a.yaml': withInit(deploy('a', 1, { cpu: '500m' })) },
    expect: [
      err(
        'QUOTA_LIMIT_REQUIRED',
        'shop/a.yaml',
        'spec.template.spec.initContainers[0].resources.limits.cpu',
        22,
        /container "setup" must set resources\.limits\.cpu/,
      ),
    ],
  },
  {
    name: 'a bounded limit missing is an error (as Kubernetes requires), once per container',
    files: { 'quota.yaml': quota('compute', { 'limits.memory': '1Gi', 'limits.cpu': '2' }), 'a.yaml': deploy('a', 2, { cpu: '100m' }) },
    expect: [
      err(
        'QUOTA_LIMIT_REQUIRED',
        'shop/a.yaml',
        `${LIMITS}.memory`,
        19,
        /^container "main" must set resources\.limits\.memory: ResourceQuota shop\/compute \(shop\/quota\.yaml:7\) bounds limits\.memory/,
      ),
    ],
  },
  {
    name: 'no resources at all: the error points at the container',
    files: { 'quota.yaml': quota('compute', { 'limits.cpu': '2' }), 'a.yaml': deploy('a', 1) },
    expect: [err('QUOTA_LIMIT_REQUIRED', 'shop/a.yaml', `${LIMITS}.cpu`, 16, /must set resources\.limits\.cpu/)],
  },
  {
    name: 'an unbounded limit may be missing',
    files: { 'quota.yaml': quota('compute', { 'limits.memory': '1Gi' }), 'a.yaml': deploy('a', 2, { memory: '64Mi' }), 'b.yaml': deploy('b', 1, { cpu: '1' }) },
    expect: [err('QUOTA_LIMIT_REQUIRED', 'shop/b.yaml', `${LIMITS}.memory`, 19)],
  },
  // ---- object counts
  {
    name: 'count/deployments.apps: the first Deployment beyond the bound, at its name',
    files: { 'quota.yaml': quota('objects', { 'count/deployments.apps': 1 }), 'a.yaml': deploy('a', 1), 'b.yaml': deploy('b', 1), 'c.yaml': deploy('c', 1) },
    expect: [
      err(
        'QUOTA_EXCEEDED',
        'shop/b.yaml',
        'metadata.name',
        4,
        /^Deployments 1 \+ 1 = 2 > count\/deployments\.apps 1 of ResourceQuota shop\/objects \(shop\/quota\.yaml:7\); the folder defines 3 in all$/,
      ),
    ],
  },
  {
    name: 'services counts Services',
    files: {
      'quota.yaml': quota('objects', { services: 0 }),
      'svc.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n    - port: 80\n',
    },
    expect: [err('QUOTA_EXCEEDED', 'shop/svc.yaml', 'metadata.name', 4, /^Services 1 > services 0 of ResourceQuota shop\/objects/)],
  },
  // ---- several quotas
  {
    name: 'several quotas all apply, each reported',
    files: { 'a-quota.yaml': quota('small', { pods: 2 }), 'b-quota.yaml': quota('smaller', { pods: 1 }), 'web.yaml': deploy('web', 3) },
    expect: [
      err('QUOTA_EXCEEDED', 'shop/web.yaml', 'spec.replicas', 6, /pods 2 of ResourceQuota shop\/small \(shop\/a-quota\.yaml:7\)/),
      err('QUOTA_EXCEEDED', 'shop/web.yaml', 'spec.replicas', 6, /pods 1 of ResourceQuota shop\/smaller \(shop\/b-quota\.yaml:7\)/),
    ],
  },
  // ---- the schema
  {
    name: 'requests quotas are ignored with a warning (berth drops requests); the positions after them stay right',
    files: { 'quota.yaml': quota('compute', { 'requests.memory': '1Gi', cpu: '1', pods: 1 }), 'a.yaml': deploy('a', 2) },
    expect: [
      warn('IGNORED_FIELD', 'shop/quota.yaml', 'spec.hard["requests.memory"]', 7, /^ignored by berth: requests only inform a scheduler/),
      warn('IGNORED_FIELD', 'shop/quota.yaml', 'spec.hard.cpu', 8, /\(cpu is requests\.cpu\)/),
      err('QUOTA_EXCEEDED', 'shop/a.yaml', 'spec.replicas', 6, /\(shop\/quota\.yaml:9\)/),
    ],
  },
  {
    name: 'scopes are refused',
    files: { 'quota.yaml': quota('compute', { pods: 1 }, '  scopes: [BestEffort]\n') },
    expect: [err('UNSUPPORTED_FIELD', 'shop/quota.yaml', 'spec.scopes', 8, /^not supported by berth: quota scopes/)],
  },
  {
    name: 'scopeSelector is refused',
    files: { 'quota.yaml': quota('compute', { pods: 1 }, '  scopeSelector:\n    matchExpressions: []\n') },
    expect: [err('UNSUPPORTED_FIELD', 'shop/quota.yaml', 'spec.scopeSelector', 8, /^not supported by berth: quota scope selectors/)],
  },
  {
    name: 'resources berth cannot check are refused, each named',
    files: {
      'quota.yaml': quota('compute', {
        'requests.nvidia.com/gpu': 4,
        configmaps: 3,
        'count/jobs.batch': 2,
        'requests.ephemeral-storage': '10Gi',
        'services.nodeports': 1,
        'hugepages-2Mi': '1Gi',
      }),
    },
    expect: [
      err('UNSUPPORTED_FIELD', 'shop/quota.yaml', 'spec.hard["requests.nvidia.com/gpu"]', 7, /extended resources/),
      err(
        'UNSUPPORTED_FIELD',
        'shop/quota.yaml',
        'spec.hard.configmaps',
        8,
        /an object count berth does not check: it checks pods, limits\.cpu, limits\.memory/,
      ),
      err('UNSUPPORTED_FIELD', 'shop/quota.yaml', 'spec.hard["count/jobs.batch"]', 9, /an object count berth does not check/),
      err('UNSUPPORTED_FIELD', 'shop/quota.yaml', 'spec.hard["requests.ephemeral-storage"]', 10, /ephemeral-storage/),
      err('UNSUPPORTED_FIELD', 'shop/quota.yaml', 'spec.hard["services.nodeports"]', 11, /NodePort/),
      err('UNSUPPORTED_FIELD', 'shop/quota.yaml', 'spec.hard.hugepages-2Mi', 12, /hugepages/),
    ],
  },
  {
    name: 'a typo in hard',
    files: { 'quota.yaml': quota('compute', { pdos: 1 }) },
    expect: [err('UNKNOWN_FIELD', 'shop/quota.yaml', 'spec.hard.pdos', 7, /did you mean "pods"/)],
  },
  {
    name: 'malformed quantities',
    files: { 'quota.yaml': quota('compute', { pods: 'ten', 'limits.memory': '1GB', 'limits.cpu': '-1' }) },
    expect: [
      err('INVALID_QUANTITY', 'shop/quota.yaml', 'spec.hard.pods', 7, /must be a count/),
      err('INVALID_QUANTITY', 'shop/quota.yaml', 'spec.hard["limits.memory"]', 8, /not a valid memory quantity/),
      err('INVALID_QUANTITY', 'shop/quota.yaml', 'spec.hard["limits.cpu"]', 9, /not a valid CPU quantity/),
    ],
  },
  {
    name: 'a negative count',
    files: { 'quota.yaml': quota('compute', { pods: -1 }) },
    expect: [err('INVALID_QUANTITY', 'shop/quota.yaml', 'spec.hard.pods', 7, /^must be a count: .*, got -1$/)],
  },
  {
    name: 'hard is required',
    files: { 'quota.yaml': 'apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: compute\nspec: {}\n' },
    expect: [err('MISSING_FIELD', 'shop/quota.yaml', 'spec.hard', 5)],
  },
  {
    name: 'an empty hard',
    files: { 'quota.yaml': 'apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: compute\nspec:\n  hard: {}\n' },
    expect: [err('INVALID_VALUE', 'shop/quota.yaml', 'spec.hard', 6)],
  },
  {
    name: 'two quotas of one name are duplicates',
    files: { 'a.yaml': quota('compute', { pods: 1 }), 'b.yaml': quota('compute', { pods: 2 }) },
    expect: [err('DUPLICATE_OBJECT', 'shop/b.yaml', 'metadata.name', 4, /already defined at shop\/a\.yaml:4/)],
  },
];

describe('v1 ResourceQuota: quotas checked when a commit is loaded', () => {
  for (const row of rows) {
    it(row.name, () => {
      const ns = load(row.files);
      const got = ns.diagnostics.map((d) => ({ severity: d.severity, code: d.code, file: d.file, field: d.field, line: d.line }));
      const want = row.expect.map(({ message: _m, ...e }) => e);
      const key = (x: { file?: string | undefined; line?: number | undefined; field?: string | undefined; code: string }) =>
        `${x.file}:${x.line}:${x.field}:${x.code}`;
      assert.deepEqual(
        [...got].sort((a, b) => key(a).localeCompare(key(b))),
        [...want].sort((a, b) => key(a).localeCompare(key(b))),
        ns.diagnostics.map(formatDiagnostic).join('\n'),
      );
      for (const e of row.expect) {
        if (!e.message) continue;
        const found = ns.diagnostics.some((d) => d.code === e.code && d.file === e.file && d.line === e.line && e.message!.test(d.message));
        assert.ok(found, `a ${e.code} at ${e.file}:${e.line} matching ${e.message}; got:\n${ns.diagnostics.map(formatDiagnostic).join('\n')}`);
      }
      const errors = row.expect.some((e) => e.severity === 'error');
      assert.equal(ns.valid, !errors, 'any error makes the namespace invalid');
      if (errors) assert.deepEqual(ns.objects, [], 'an invalid namespace hands over no objects');
    });
  }

  it('a valid quota reaches the ManifestSet typed, and changes nothing downstream', () => {
    const ns = load({
      'quota.yaml': quota('compute', { pods: '10', 'limits.memory': '2Gi', 'requests.cpu': '1' }),
      'web.yaml': deploy('web', 2, { memory: '128Mi' }),
    });
    assert.equal(ns.valid, true, ns.diagnostics.map(formatDiagnostic).join('\n'));
    const q = ns.objects.find((o): o is ResourceQuotaManifest => o.kind === 'ResourceQuota');
    assert.deepEqual(q?.spec.hard, { pods: '10', 'limits.memory': '2Gi' }, 'the ignored requests.cpu is removed');
    const desired = buildDesiredState({ commit: 'c0ffee', namespaces: [ns], diagnostics: [] }, { instance: 'default' });
    assert.deepEqual(
      desired.namespaces[0]?.deployments.map((d) => d.name),
      ['web'],
      'the Deployment is desired as before',
    );
  });

  it('an invalid namespace is left as it runs: no desired Deployments', () => {
    const ns = load({ 'quota.yaml': quota('compute', { pods: 1 }), 'web.yaml': deploy('web', 2) });
    const desired = buildDesiredState({ commit: 'c0ffee', namespaces: [ns], diagnostics: [] }, { instance: 'default' });
    assert.deepEqual([desired.namespaces[0]?.valid, desired.namespaces[0]?.deployments.length], [false, 0], 'invalid, with nothing to apply');
  });

  it('the cache re-checks a folder when one Deployment changes (the sum is folder-level)', () => {
    const cache = new ManifestCache();
    const q = quota('compute', { pods: 4 });
    const first = loadManifests(snapshot([folder('shop', { 'quota.yaml': q, 'a.yaml': deploy('a', 2), 'b.yaml': deploy('b', 2) })]), cache).namespaces[0]!;
    assert.equal(first.valid, true, 'at the bound');
    const second = loadManifests(snapshot([folder('shop', { 'quota.yaml': q, 'a.yaml': deploy('a', 2), 'b.yaml': deploy('b', 3) })]), cache).namespaces[0]!;
    assert.deepEqual(
      second.diagnostics.map((d) => [d.code, d.file]),
      [['QUOTA_EXCEEDED', 'shop/b.yaml']],
      'over the bound after b scales up',
    );
  });
});

describe('quantities for quotas', () => {
  const counts: readonly [string | number, number | undefined][] = [
    [10, 10],
    ['10', 10],
    ['1k', 1000],
    ['0', 0],
    ['ten', undefined],
    ['-1', undefined],
  ];
  for (const [input, want] of counts) it(`parseCount(${JSON.stringify(input)}) = ${want}`, () => assert.equal(parseCount(input), want, 'count'));

  it('a count is checked like the other quantities', () => {
    assert.equal(quantityProblem('count', '10'), undefined, '"10" is a count');
    assert.match(quantityProblem('count', 'lots') ?? '', /must be a count/, 'a word is not');
  });

  const formats: readonly [(n: number) => string, number, string][] = [
    [formatMemory, 1280 * 2 ** 20, '1280Mi'],
    [formatMemory, 2 ** 30, '1Gi'],
    [formatMemory, 1_000_000_000, '1G'],
    [formatMemory, 1536, '1536'],
    [formatCpu, 1_500_000_000, '1500m'],
    [formatCpu, 2_000_000_000, '2'],
  ];
  for (const [format, n, want] of formats) it(`${format.name}(${n}) = ${want}`, () => assert.equal(format(n), want, 'the shortest exact quantity'));
});
