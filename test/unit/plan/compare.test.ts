import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../../../src/core/index.js';
import {
  DEFAULT_BEHAVIOR,
  type DesiredAutoscaler,
  type DesiredDeployment,
  type DesiredIngress,
  type DesiredNamespace,
  type DesiredNetworkPolicy,
  type DesiredService,
  type DesiredState,
} from '../../../src/desired/index.js';
import { fenceposts } from '../../../src/plan/index.js';
import {
  compare,
  isSecretName,
  PLAN_COMMENT_MARKER,
  planExitCode,
  renderChangeSetJson,
  renderChangeSetMarkdown,
  renderChangeSetText,
  type ChangeSet,
  type DeploymentChange,
  type FieldChange,
  type ObjectChange,
  type PlanExitCode,
} from '../../../src/preview/index.js';
import * as rollout from '../../../src/rollout/index.js';
import { deployment, template } from '../../helpers/builders.js';

const ns = (name: string, deployments: DesiredDeployment[] = [], valid = true, diagnostics: Diagnostic[] = []): DesiredNamespace => ({
  name,
  network: `berth.${name}`,
  valid,
  deployments: valid ? deployments.map((d) => ({ ...d, namespace: name })) : [],
  services: [],
  ingresses: [],
  diagnostics,
});
const state = (commit: string, ...namespaces: DesiredNamespace[]): DesiredState => ({ commit, instance: 'default', namespaces, diagnostics: [] });
const base = (...namespaces: DesiredNamespace[]): DesiredState => state('b'.repeat(40), ...namespaces);
const head = (...namespaces: DesiredNamespace[]): DesiredState => state('h'.repeat(40), ...namespaces);
const error = (namespace: string, message = 'bad'): Diagnostic => ({
  severity: 'error',
  code: 'INVALID_VALUE',
  message,
  file: `${namespace}/web.yaml`,
  line: 7,
  field: 'spec.replicas',
  namespace,
});

function only(cs: ChangeSet, namespace = 'shop', name = 'web'): DeploymentChange {
  const o = cs.namespaces.find((n) => n.namespace === namespace)?.objects.find((x) => x.name === name);
  assert.ok(o, `${namespace}/${name} in ${JSON.stringify(cs.namespaces.map((n) => [n.namespace, n.objects.map((x) => x.name)]))}`);
  assert.ok(o.kind === 'Deployment', `${namespace}/${name} is a Deployment`);
  return o;
}
const fieldsOf = (o: DeploymentChange): string[] => o.fields.map((f) => `${f.change} ${f.field}`);

describe('compare(base, head): Deployments', () => {
  const web = deployment({ revision: 'r1' });
  const cases: { name: string; head: DesiredDeployment; change: string; rolls: boolean; fields: string[]; rollout?: string }[] = [
    { name: 'nothing differs', head: web, change: 'unchanged', rolls: false, fields: [] },
    { name: 'replicas only: scales, does not roll', head: { ...web, replicas: 5 }, change: 'changed', rolls: false, fields: ['changed replicas'] },
    {
      name: 'strategy only: does not roll (not part of the template)',
      head: { ...web, strategy: { type: 'Recreate' } },
      change: 'changed',
      rolls: false,
      fields: ['changed strategy.type', 'removed strategy.rollingUpdate.maxSurge', 'removed strategy.rollingUpdate.maxUnavailable'],
    },
    {
      name: 'image: rolls with the resolved fenceposts (25%/25% of 3 → surge 1, unavailable 0)',
      head: { ...web, template: template({ image: 'busybox:1.37' }), revision: 'r2' },
      change: 'changed',
      rolls: true,
      fields: ['changed image'],
      rollout: 'RollingUpdate (maxSurge 25% = 1, maxUnavailable 25% = 0) over 3 replicas: at most 4 run, at least 3 stay available',
    },
    {
      name: 'integer fenceposts are shown as given',
      head: { ...web, replicas: 4, strategy: { type: 'RollingUpdate', maxSurge: 2, maxUnavailable: 1 }, template: template({ image: 'x:2' }), revision: 'r2' },
      change: 'changed',
      rolls: true,
      fields: ['changed replicas', 'changed strategy.rollingUpdate.maxSurge', 'changed strategy.rollingUpdate.maxUnavailable', 'changed image'],
      rollout: 'RollingUpdate (maxSurge 2, maxUnavailable 1) over 4 replicas: at most 6 run, at least 3 stay available',
    },
    {
      name: 'both fenceposts rounding to 0 force unavailable to 1 (0%/10% of 3)',
      head: { ...web, strategy: { type: 'RollingUpdate', maxSurge: '0%', maxUnavailable: '10%' }, template: template({ image: 'x:2' }), revision: 'r2' },
      change: 'changed',
      rolls: true,
      fields: ['changed strategy.rollingUpdate.maxSurge', 'changed strategy.rollingUpdate.maxUnavailable', 'changed image'],
      rollout: 'RollingUpdate (maxSurge 0% = 0, maxUnavailable 10% = 1) over 3 replicas: at most 3 run, at least 2 stay available',
    },
    {
      name: 'Recreate says there is an outage',
      head: { ...web, replicas: 2, strategy: { type: 'Recreate' }, template: template({ image: 'x:2' }), revision: 'r2' },
      change: 'changed',
      rolls: true,
      fields: [
        'changed replicas',
        'changed strategy.type',
        'removed strategy.rollingUpdate.maxSurge',
        'removed strategy.rollingUpdate.maxUnavailable',
        'changed image',
      ],
      rollout: 'Recreate: 3 old replicas stop, then 2 new replicas start (a short outage)',
    },
    {
      name: 'a new template scaled to 0 does not roll',
      head: { ...web, replicas: 0, template: template({ image: 'x:2' }), revision: 'r2' },
      change: 'changed',
      rolls: false,
      fields: ['changed replicas', 'changed image'],
    },
    {
      name: 'resources in human units; grace period by its manifest name',
      head: { ...web, template: template({ memoryBytes: 128 * 2 ** 20, nanoCpus: 250_000_000, stopGraceSeconds: 10 }), revision: 'r2' },
      change: 'changed',
      rolls: true,
      fields: ['added resources.limits.memory', 'added resources.limits.cpu', 'changed terminationGracePeriodSeconds'],
    },
    {
      name: 'labels, annotations, command, args, workingDir',
      head: {
        ...web,
        template: template({ labels: { app: 'web', tier: 'front' }, annotations: { note: 'x' }, command: ['sh'], args: ['-c', 'true'], workingDir: '/srv' }),
        revision: 'r2',
      },
      change: 'changed',
      rolls: true,
      fields: ['added command', 'added args', 'added workingDir', 'added labels.tier', 'added annotations.note'],
    },
    {
      name: 'env reordered only: shown by names, never values',
      head: {
        ...web,
        template: template({
          env: [
            { name: 'B', value: '2' },
            { name: 'A', value: '1' },
          ],
        }),
        revision: 'r2',
      },
      change: 'changed',
      rolls: true,
      fields: ['changed env'],
    },
  ];
  const baseWeb = (c: (typeof cases)[number]): DesiredDeployment =>
    c.name.startsWith('env reordered')
      ? {
          ...web,
          template: template({
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
          }),
        }
      : web;
  for (const c of cases) {
    it(c.name, () => {
      const o = only(compare(base(ns('shop', [baseWeb(c)])), head(ns('shop', [c.head]))));
      assert.deepEqual({ change: o.change, rolls: o.rolls, fields: fieldsOf(o) }, { change: c.change, rolls: c.rolls, fields: c.fields });
      assert.equal(o.rollout?.description, c.rollout ?? (c.rolls ? o.rollout?.description : undefined));
      assert.equal(o.rollout !== undefined, o.rolls, 'rollout is present exactly when the Deployment rolls');
    });
  }

  it('shows quantities as 128Mi / 250m and the fencepost numbers rollout uses', () => {
    const o = only(
      compare(
        base(ns('shop', [web])),
        head(ns('shop', [{ ...web, template: template({ memoryBytes: 1.5 * 2 ** 30, nanoCpus: 2_000_000_000 }), revision: 'r2' }])),
      ),
    );
    assert.deepEqual(
      o.fields.map((f) => [f.field, f.to]),
      [
        ['resources.limits.memory', '1536Mi'],
        ['resources.limits.cpu', '2'],
      ],
    );
    assert.deepEqual({ maxSurge: o.rollout?.maxSurge, maxUnavailable: o.rollout?.maxUnavailable }, fenceposts('25%', '25%', 3));
  });

  it('rollout re-exports the one fencepost implementation', () => {
    assert.equal(rollout.fenceposts, fenceposts);
  });

  it('an added Deployment lists only fields that differ from the Kubernetes defaults; a removed one is pruned', () => {
    const cs = compare(base(ns('shop', [deployment({ name: 'old' })])), head(ns('shop', [web])));
    assert.deepEqual(fieldsOf(only(cs)), ['added replicas', 'added container.name', 'added image', 'added labels.app']);
    assert.equal(only(cs, 'shop', 'old').change, 'removed');
    assert.deepEqual(only(cs, 'shop', 'old').fields, []);
  });

  it('a template field it does not know yet still shows (canonical JSON), so a rolling change is never silent', () => {
    const odd = { ...web, template: { ...template(), hostname: 'a' } as DesiredDeployment['template'], revision: 'r2' };
    const o = only(compare(base(ns('shop', [web])), head(ns('shop', [odd]))));
    assert.deepEqual(o.fields, [{ field: 'template.hostname', change: 'added', to: '"a"' }]);
  });
});

describe('compare(base, head): namespaces and the prune guard', () => {
  const d = (name: string): DesiredDeployment => deployment({ name });
  const cases: { name: string; base?: DesiredState; head: DesiredState; statuses: Record<string, string>; verdict: string; exit: PlanExitCode }[] = [
    {
      name: 'identical',
      base: base(ns('shop', [d('web')])),
      head: head(ns('shop', [d('web')])),
      statuses: { shop: 'unchanged' },
      verdict: 'no-prunes',
      exit: 0,
    },
    { name: 'no base: everything is added', head: head(ns('shop', [d('web')])), statuses: { shop: 'added' }, verdict: 'no-prunes', exit: 1 },
    {
      name: 'one of three pruned: allowed',
      base: base(ns('shop', [d('a'), d('b'), d('c')])),
      head: head(ns('shop', [d('a'), d('b')])),
      statuses: { shop: 'changed' },
      verdict: 'allowed',
      exit: 1,
    },
    {
      name: 'two of three pruned: more than half needs confirmation',
      base: base(ns('shop', [d('a'), d('b'), d('c')])),
      head: head(ns('shop', [d('a')])),
      statuses: { shop: 'changed' },
      verdict: 'needs-confirmation',
      exit: 1,
    },
    {
      name: 'a whole namespace removed needs confirmation',
      base: base(ns('blog', [d('front')]), ns('shop', [d('a'), d('b'), d('c')])),
      head: head(ns('shop', [d('a'), d('b'), d('c')])),
      statuses: { blog: 'removed', shop: 'unchanged' },
      verdict: 'needs-confirmation',
      exit: 1,
    },
    {
      name: 'an empty namespace removed prunes nothing: allowed',
      base: base(ns('blog'), ns('shop', [d('a')])),
      head: head(ns('shop', [d('a')])),
      statuses: { blog: 'removed', shop: 'unchanged' },
      verdict: 'allowed',
      exit: 1,
    },
    {
      name: 'no namespaces at all: refused, as diff() refuses an empty desired state',
      base: base(ns('shop', [d('a')])),
      head: head(),
      statuses: { shop: 'removed' },
      verdict: 'refused',
      exit: 2,
    },
    {
      name: 'an invalid head namespace prunes nothing and fails the check',
      base: base(ns('shop', [d('a'), d('b')])),
      head: head(ns('shop', [], false, [error('shop')])),
      statuses: { shop: 'invalid' },
      verdict: 'no-prunes',
      exit: 2,
    },
    {
      name: 'an invalid base: the head is listed in full',
      base: base(ns('shop', [], false, [error('shop')])),
      head: head(ns('shop', [d('a')])),
      statuses: { shop: 'base-invalid' },
      verdict: 'no-prunes',
      exit: 1,
    },
    {
      name: 'a warning alone changes nothing',
      base: base(ns('shop', [d('a')])),
      head: head(ns('shop', [d('a')], true, [{ ...error('shop'), severity: 'warning' }])),
      statuses: { shop: 'unchanged' },
      verdict: 'no-prunes',
      exit: 0,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cs = compare(c.base, c.head);
      assert.deepEqual(Object.fromEntries(cs.namespaces.map((n) => [n.namespace, n.status])), c.statuses);
      assert.equal(cs.pruneGuard.verdict, c.verdict);
      assert.equal(planExitCode(cs), c.exit);
      assert.equal(
        cs.pruneGuard.reasons.length > 0,
        c.verdict === 'needs-confirmation' || c.verdict === 'refused',
        `${c.name}: reasons given exactly when refused`,
      );
    });
  }

  it('policy denials: the namespace is denied and the check fails; denials of no head namespace stay listed', () => {
    const denial: Diagnostic = {
      severity: 'error',
      code: 'POLICY_DENIED',
      message: 'privileged containers are not allowed',
      file: 'shop/web.yaml',
      line: 3,
      namespace: 'shop',
    };
    const cs = compare(base(ns('gone', [d('x')]), ns('shop', [d('web')])), head(ns('shop', [{ ...d('web'), replicas: 9 }])), {
      denials: [denial, { ...denial, namespace: 'gone' }],
    });
    assert.deepEqual(
      cs.namespaces.map((n) => [n.namespace, n.status, n.denials.length]),
      [
        ['gone', 'removed', 0],
        ['shop', 'denied', 1],
      ],
    );
    assert.equal(cs.denials.length, 1);
    assert.equal(cs.summary.denials, 2);
    assert.equal(planExitCode(cs), 2);
    assert.match(renderChangeSetMarkdown(cs), /privileged containers are not allowed \(`POLICY_DENIED`\)/);
  });
});

describe('planExitCode', () => {
  const cs = (overrides: Partial<ChangeSet> & { errors?: number; denialCount?: number }): ChangeSet => {
    const empty = compare(base(), head());
    const { errors = 0, denialCount = 0, ...rest } = overrides;
    return { ...empty, ...rest, summary: { ...empty.summary, errors, denials: denialCount } };
  };
  const changed = compare(base(ns('shop')), head(ns('shop', [deployment()]))).namespaces;
  const unchanged = compare(base(ns('shop')), head(ns('shop'))).namespaces;
  const table: [string, ChangeSet, PlanExitCode][] = [
    ['nothing at all', cs({}), 0],
    ['only unchanged namespaces', cs({ namespaces: unchanged }), 0],
    ['a change', cs({ namespaces: changed }), 1],
    [
      'a change that needs confirmation is still just a change',
      cs({ namespaces: changed, pruneGuard: { verdict: 'needs-confirmation', deployments: 1, namespaces: 1, reasons: ['x'] } }),
      1,
    ],
    ['an error in the head', cs({ namespaces: unchanged, errors: 1 }), 2],
    ['an error even with changes', cs({ namespaces: changed, errors: 1 }), 2],
    ['a policy denial', cs({ namespaces: changed, denialCount: 1 }), 2],
    ['the prune guard refuses outright', cs({ namespaces: changed, pruneGuard: { verdict: 'refused', deployments: 1, namespaces: 1, reasons: ['x'] } }), 2],
  ];
  for (const [name, input, expected] of table) it(`${name} → ${expected}`, () => assert.equal(planExitCode(input), expected));
});

describe('secret masking', () => {
  it('names: the documented pattern, case-insensitive', () => {
    const secret = ['DB_PASSWORD', 'db_passwd', 'GITHUB_TOKEN', 'stripeApiKey', 'API_KEY', 'AWS_SECRET_ACCESS_KEY', 'PRIVATE_KEY_PEM', 'GCP_CREDENTIALS'];
    const plain = ['GREETING', 'PORT', 'KEYBOARD', 'API_URL', 'PASS'];
    assert.deepEqual(
      secret.filter((n) => !isSecretName(n)),
      [],
    );
    assert.deepEqual(plain.filter(isSecretName), []);
  });

  it('a secret env value is never copied into the ChangeSet, whatever the change', () => {
    const env = (value: string | undefined) => (value === undefined ? [] : [{ name: 'DB_PASSWORD', value }]);
    const cases: [string | undefined, string | undefined, FieldChange['change']][] = [
      [undefined, 's3cr3t-added', 'added'],
      ['s3cr3t-old', undefined, 'removed'],
      ['s3cr3t-old', 's3cr3t-new', 'changed'],
    ];
    for (const [from, to, change] of cases) {
      const cs = compare(
        base(ns('shop', [deployment({ template: template({ env: env(from) }), revision: 'r1' })])),
        head(ns('shop', [deployment({ template: template({ env: env(to) }), revision: 'r2' })])),
      );
      assert.deepEqual(only(cs).fields, [{ field: 'env.DB_PASSWORD', change, masked: true }]);
      for (const out of [renderChangeSetText(cs), renderChangeSetMarkdown(cs), renderChangeSetJson(cs), JSON.stringify(cs)]) {
        assert.equal(/s3cr3t/.test(out), false, `leaked in ${out}`);
      }
      assert.match(
        renderChangeSetText(cs),
        change === 'changed' ? /~ env\.DB_PASSWORD: changed \(value masked\)/ : new RegExp(`env\\.DB_PASSWORD: ${change} \\(value masked\\)`),
      );
    }
  });

  it("a Pod's other containers, sidecars and init containers: by name and field, a secret env value masked there too", () => {
    const c = (name: string, o: object = {}) => ({ name, image: 'busybox:1.36', env: [], ports: [], ...o });
    const init = (name: string, o: object = {}) => ({ name, image: 'busybox:1.36', env: [], ...o });
    const cs = compare(
      base(
        ns('shop', [
          deployment({
            template: template({
              containers: [c('log', { env: [{ name: 'DB_PASSWORD', value: 's3cr3t-old' }] }), c('gone')],
              sidecars: [c('proxy', { command: ['a'] })],
              initContainers: [init('migrate', { env: [{ name: 'MODE', value: 'x' }] })],
            }),
            revision: 'r1',
          }),
        ]),
      ),
      head(
        ns('shop', [
          deployment({
            template: template({
              containers: [c('log', { env: [{ name: 'DB_PASSWORD', value: 's3cr3t-new' }] }), c('new', { image: 'busybox:1.37' })],
              sidecars: [c('proxy', { command: ['b'] })],
              initContainers: [init('migrate', { env: [{ name: 'MODE', value: 'y' }] })],
            }),
            revision: 'r2',
          }),
        ]),
      ),
    );
    assert.deepEqual(only(cs).fields, [
      { field: 'initContainers.proxy.command', change: 'changed', from: '["a"]', to: '["b"]' },
      { field: 'initContainers.migrate.env.MODE', change: 'changed', from: 'x', to: 'y' },
      { field: 'containers.log.env.DB_PASSWORD', change: 'changed', masked: true },
      { field: 'containers.new', change: 'added', to: 'busybox:1.37' },
      { field: 'containers.gone', change: 'removed', from: 'busybox:1.36' },
    ]);
    for (const out of [renderChangeSetText(cs), renderChangeSetMarkdown(cs), renderChangeSetJson(cs)])
      assert.equal(/s3cr3t/.test(out), false, `leaked in ${out}`);
  });

  it('a value echoed by a validation message inside an env entry is masked', () => {
    const echo: Diagnostic = { ...error('shop', 'must be a string, got integer 31415926535'), field: 'spec.template.spec.containers[0].env[2].value' };
    const cs = compare(base(ns('shop', [deployment()])), head(ns('shop', [], false, [echo])));
    assert.equal(cs.namespaces[0]?.diagnostics[0]?.message, 'must be a string, got (value masked)');
    assert.equal(renderChangeSetMarkdown(cs).includes('31415926535'), false, 'the echoed value leaked');
  });
});

/** The comment without fenced code blocks and code spans (where nothing is interpreted). */
function outsideCode(md: string): string {
  return md.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').replace(/(`+)[^`][\s\S]*?\1/g, '');
}

describe('markdown for a PR comment', () => {
  const hostile = '`a|b` </details> <!-- berth-plan --> <script>x</script> @org/team *bold* [link](http://x) $x$';

  it('opens with the marker, escapes user strings so they cannot break out or ping anyone', () => {
    const d = deployment({ template: template({ image: 'x:1' }), revision: 'r1' });
    const h = deployment({ template: template({ image: 'x:2`|`', env: [{ name: 'NOTE', value: hostile }] }), revision: 'r2' });
    const cs = compare(base(ns('shop', [d])), head(ns('shop', [h], true, [{ ...error('shop', hostile), severity: 'warning' }])));
    const md = renderChangeSetMarkdown(cs);
    assert.equal(md.split('\n')[0], PLAN_COMMENT_MARKER);
    assert.equal(outsideCode(md).split(PLAN_COMMENT_MARKER).length, 2, 'outside code the marker appears once: user text cannot fake it');
    const prose = outsideCode(md);
    assert.equal(prose.split('</details>').length - 1, prose.split('<details>').length - 1, 'every <details> is closed exactly once');
    assert.equal(/<script>|@org\/team/.test(outsideCode(md)), false, `raw HTML or a mention got through:\n${md}`);
    assert.match(md, /\| `shop\/web\.yaml:7` \| `spec\.replicas` \| \\`a\\\|b\\` &lt;\/details&gt; &lt;!-- berth-plan --&gt;/);
    assert.match(md, /^\+ env\.NOTE: `a\|b` <\/details> <!-- berth-plan -->/m, 'inside the diff block the value is shown literally');
  });

  it('the diff block cannot be closed by a value: every line starts with a sign', () => {
    const h = deployment({ template: template({ env: [{ name: 'X', value: 'a\n```\n# not a heading' }] }), revision: 'r2' });
    const md = renderChangeSetMarkdown(compare(base(ns('shop', [deployment()])), head(ns('shop', [h]))));
    assert.match(md, /^\+ env\.X: "a\\n```\\n# not a heading"$/m);
    assert.equal(md.split('\n').filter((l) => l.startsWith('```')).length % 2, 0);
  });

  it('file paths carry the manifest root (--path)', () => {
    const cs = compare(base(ns('shop', [deployment()])), head(ns('shop', [], false, [error('shop')])), { root: './deploy/prod/' });
    assert.equal(cs.root, 'deploy/prod');
    assert.match(renderChangeSetMarkdown(cs), /`deploy\/prod\/shop\/web\.yaml:7`/);
    assert.match(renderChangeSetText(cs), /deploy\/prod\/shop\/web\.yaml:7: error spec\.replicas: bad/);
  });

  it('stays under the length limit: sections that do not fit are named, not dropped silently', () => {
    const many = Array.from({ length: 30 }, (_, i) => `ns${String(i).padStart(2, '0')}`);
    const cs = compare(base(...many.map((n) => ns(n, [deployment()]))), head(...many.map((n) => ns(n, [deployment({ replicas: 7 })]))));
    const full = renderChangeSetMarkdown(cs);
    const short = renderChangeSetMarkdown(cs, { maxLength: 3000 });
    assert.ok(full.length > 3000, `the full comment is ${full.length} characters`);
    assert.ok(short.length <= 3000, `the limited comment is ${short.length} characters`);
    assert.match(short, /\*\*Not shown\*\* \(the comment would be too long\): .*`ns29` \(changed\)/);
    assert.equal(renderChangeSetMarkdown(cs, { maxLength: 3000 }), short, 'truncation is deterministic');
  });

  it('says plainly when nothing changes', () => {
    const cs = compare(base(ns('shop', [deployment()])), head(ns('shop', [deployment()])));
    assert.equal(
      renderChangeSetMarkdown(cs),
      `${PLAN_COMMENT_MARKER}\n### berth plan: \`bbbbbbb\` → \`hhhhhhh\`\n\nno changes (**1** namespace unchanged)\n\nUnchanged: \`shop\`\n`,
    );
  });
});

describe('compare(base, head): Services and Ingresses', () => {
  const source = (file: string): DesiredService['source'] => ({ file: `shop/${file}`, document: 0, line: 1 });
  const svc = (name: string, overrides: Partial<DesiredService> = {}): DesiredService => ({
    namespace: 'shop',
    name,
    type: 'ClusterIP',
    clusterIP: { kind: 'auto' },
    selector: { app: name },
    ports: [{ name: 'http', port: 8081, targetPort: 8080 }],
    publishNotReadyAddresses: false,
    sessionAffinity: 'None',
    source: source(`${name}-service.yaml`),
    ...overrides,
  });
  const ing = (name: string, overrides: Partial<DesiredIngress> = {}): DesiredIngress => ({
    namespace: 'shop',
    name,
    rules: [{ host: 'shop.localhost', paths: [{ path: '/', pathType: 'Prefix', backend: { service: 'web', port: 8081 } }] }],
    source: source(`${name}-ingress.yaml`),
    ...overrides,
  });
  const serving = (name: string, o: { deployments?: DesiredDeployment[]; services?: DesiredService[]; ingresses?: DesiredIngress[] }): DesiredNamespace => ({
    ...ns(name, o.deployments ?? []),
    services: o.services ?? [],
    ingresses: o.ingresses ?? [],
  });
  const object = (cs: ChangeSet, kind: string, name: string): ObjectChange => {
    const o = cs.namespaces.flatMap((n) => n.objects).find((x) => x.kind === kind && x.name === name);
    assert.ok(o, `${kind} ${name} in the ChangeSet`);
    return o;
  };
  const shownFields = (o: ObjectChange): string[] => o.fields.map((f) => `${f.change} ${f.field}: ${f.from ?? ''} → ${f.to ?? ''}`);

  const serviceCases: { name: string; base?: DesiredService; head?: DesiredService; change: string; fields: string[]; line: RegExp }[] = [
    {
      name: 'added',
      head: svc('web'),
      change: 'added',
      fields: ['added type:  → ClusterIP (address allocated)', 'added selector:  → app=web', 'added ports:  → http 8081 (target 8080)'],
      line: /^ {2}\+ service web: added — ClusterIP \(address allocated\); selects app=web; ports http 8081 \(target 8080\) \(shop\/web-service\.yaml:1\)$/m,
    },
    {
      name: 'removed',
      base: svc('web'),
      change: 'removed',
      fields: [],
      line: /^ {2}- service web: removed — ClusterIP \(address allocated\); selects app=web; ports http 8081 \(target 8080\) \(was shop\/web-service\.yaml:1\)$/m,
    },
    { name: 'unchanged', base: svc('web'), head: svc('web'), change: 'unchanged', fields: [], line: /^unchanged: shop$/m },
    {
      name: 'a targetPort and a nodePort',
      base: svc('web'),
      head: svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 8081, targetPort: 'http', listenPort: 18081 }] }),
      change: 'changed',
      fields: [
        'changed type: ClusterIP (address allocated) → NodePort (address allocated)',
        'changed ports: http 8081 (target 8080) → http 8081 (target http, host port 18081)',
      ],
      line: /^ {2}~ service web: changed — ~ type: ClusterIP \(address allocated\) → NodePort \(address allocated\); ~ ports: http 8081 \(target 8080\) → http 8081 \(target http, host port 18081\) \(shop\/web-service\.yaml:1\)$/m,
    },
    {
      name: 'the selector',
      base: svc('web'),
      head: svc('web', { selector: { app: 'web', tier: 'front' } }),
      change: 'changed',
      fields: ['changed selector: app=web → app=web, tier=front'],
      line: /~ selector: app=web → app=web, tier=front/,
    },
  ];
  for (const c of serviceCases) {
    it(`a Service ${c.name}: one line`, () => {
      const cs = compare(base(serving('shop', { services: c.base ? [c.base] : [] })), head(serving('shop', { services: c.head ? [c.head] : [] })));
      const o = object(cs, 'Service', 'web');
      assert.deepEqual([o.change, shownFields(o)], [c.change, c.fields]);
      assert.match(renderChangeSetText(cs), c.line);
      assert.equal(cs.namespaces[0]!.status, c.change === 'unchanged' ? 'unchanged' : 'changed', 'the namespace status follows its objects');
      assert.equal(planExitCode(cs), c.change === 'unchanged' ? 0 : 1, 'a Service change is a change');
    });
  }

  const ingressCases: { name: string; base: DesiredIngress; head: DesiredIngress; fields: string[] }[] = [
    {
      name: 'a route added and one retargeted',
      base: ing('shop'),
      head: ing('shop', {
        rules: [
          {
            host: 'shop.localhost',
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: 'web', port: 'http' } },
              { path: '/api', pathType: 'Exact', backend: { service: 'api', port: 80 } },
            ],
          },
        ],
      }),
      fields: ['changed shop.localhost/ (Prefix): web:8081 → web:http', 'added shop.localhost/api (Exact):  → api:80'],
    },
    {
      name: 'a route removed; any host',
      base: ing('shop', { rules: [{ paths: [{ path: '/', pathType: 'Prefix', backend: { service: 'web', port: 8081 } }] }] }),
      head: ing('shop', { rules: [] }),
      fields: ['removed */ (Prefix): web:8081 → '],
    },
    {
      name: 'a default backend',
      base: ing('shop'),
      head: ing('shop', { defaultBackend: { service: 'web', port: 8081 } }),
      fields: ['added defaultBackend:  → web:8081'],
    },
    {
      name: 'an upstream timeout annotation (absent = the defaults)',
      base: ing('shop'),
      head: ing('shop', { upstreamTimeouts: { connectSeconds: 5, readSeconds: 120, sendSeconds: 60 } }),
      fields: ['changed upstreamTimeouts: connect 5s, read 60s, send 60s → connect 5s, read 120s, send 60s'],
    },
    {
      name: 'the same routes in another order',
      base: ing('shop', {
        rules: [
          { host: 'a.localhost', paths: [{ path: '/', pathType: 'Prefix', backend: { service: 'a', port: 80 } }] },
          { host: 'b.localhost', paths: [{ path: '/', pathType: 'Prefix', backend: { service: 'b', port: 80 } }] },
        ],
      }),
      head: ing('shop', {
        rules: [
          { host: 'b.localhost', paths: [{ path: '/', pathType: 'Prefix', backend: { service: 'b', port: 80 } }] },
          { host: 'a.localhost', paths: [{ path: '/', pathType: 'Prefix', backend: { service: 'a', port: 80 } }] },
        ],
      }),
      fields: ['changed rules: order a.localhost/ (Prefix), b.localhost/ (Prefix) → order b.localhost/ (Prefix), a.localhost/ (Prefix)'],
    },
  ];
  for (const c of ingressCases) {
    it(`an Ingress: ${c.name}`, () => {
      const cs = compare(base(serving('shop', { ingresses: [c.base] })), head(serving('shop', { ingresses: [c.head] })));
      const o = object(cs, 'Ingress', 'shop');
      assert.deepEqual([o.change, shownFields(o)], ['changed', c.fields]);
      const lines = renderChangeSetText(cs)
        .split('\n')
        .filter((l) => l.startsWith('  ~ ingress shop: changed — '));
      assert.equal(lines.length, 1, 'one line for the Ingress');
    });
  }

  it('objects are listed Deployments, then Services, then Ingresses, each by name; counts per kind', () => {
    const cs = compare(
      base(serving('shop', { deployments: [deployment({ name: 'web' })], services: [svc('old')] })),
      head(
        serving('shop', {
          deployments: [deployment({ name: 'web', replicas: 5 })],
          services: [svc('web'), svc('api', { ports: [{ port: 9000, targetPort: 9000 }] })],
          ingresses: [ing('shop')],
        }),
      ),
    );
    assert.deepEqual(
      cs.namespaces[0]!.objects.map((o) => `${o.kind}/${o.name}:${o.change}`),
      ['Deployment/web:changed', 'Service/api:added', 'Service/old:removed', 'Service/web:added', 'Ingress/shop:added'],
    );
    assert.deepEqual(
      [cs.summary.services, cs.summary.ingresses],
      [
        { added: 2, changed: 0, removed: 1, unchanged: 0 },
        { added: 1, changed: 0, removed: 0, unchanged: 0 },
      ],
    );
    assert.deepEqual(cs.summary.deployments, { added: 0, changed: 1, rolls: 0, removed: 0, unchanged: 0 }, 'Deployment counts are Deployments only');
    const text = renderChangeSetText(cs);
    assert.match(text, /^namespace shop: changed — 1 Deployment changed, 2 Services added, 1 removed, 1 Ingress added$/m);
    assert.match(text, /^Summary: 1 namespace changed · 1 Deployment changed · 2 Services added, 1 removed · 1 Ingress added$/m);
    assert.match(
      renderChangeSetMarkdown(cs),
      /^Service \*\*`api`\*\* added: `ClusterIP \(address allocated\); selects app=api; ports 9000 \(target 9000\)` · `shop\/api-service\.yaml:1`$/m,
    );
  });

  it('a ChangeSet without Services or Ingresses keeps its shape (no services/ingresses keys in the summary)', () => {
    const cs = compare(base(ns('shop', [deployment()])), head(ns('shop', [deployment({ replicas: 5 })])));
    assert.equal('services' in cs.summary || 'ingresses' in cs.summary, false, JSON.stringify(cs.summary));
    assert.equal(renderChangeSetJson(cs).includes('"services"'), false, 'the JSON has no services key');
  });

  it('the prune guard counts Deployments only: removing Services prunes no workload', () => {
    const cs = compare(
      base(serving('shop', { deployments: [deployment()], services: [svc('a'), svc('b')] })),
      head(serving('shop', { deployments: [deployment()] })),
    );
    assert.deepEqual([cs.pruneGuard.verdict, cs.pruneGuard.deployments], ['no-prunes', 0]);
    const gone = compare(
      base(serving('gone', { deployments: [deployment({ namespace: 'gone' })], services: [svc('a')] }), ns('shop', [deployment()])),
      head(ns('shop', [deployment()])),
    );
    assert.deepEqual(gone.pruneGuard.reasons, ['namespace gone is removed (1 Deployment)']);
    assert.deepEqual(
      gone.namespaces[0]!.objects.map((o) => `${o.kind}/${o.name}:${o.change}`),
      ['Deployment/web:removed', 'Service/a:removed'],
    );
  });

  it('an invalid head namespace shows no Service changes', () => {
    const cs = compare(base(serving('shop', { services: [svc('web')] })), head(ns('shop', [], false, [error('shop')])));
    assert.deepEqual([cs.namespaces[0]!.status, cs.namespaces[0]!.objects], ['invalid', []]);
  });

  it('markdown: a hostile path stays inside its code span', () => {
    const hostile = '/x`</details> <!-- berth-plan --> @org/team';
    const cs = compare(
      base(serving('shop', { ingresses: [ing('shop')] })),
      head(
        serving('shop', { ingresses: [ing('shop', { rules: [{ paths: [{ path: hostile, pathType: 'Exact', backend: { service: 'web', port: 8081 } }] }] })] }),
      ),
    );
    const md = renderChangeSetMarkdown(cs);
    const prose = outsideCode(md);
    assert.equal(prose.split(PLAN_COMMENT_MARKER).length, 2, 'the marker cannot be faked');
    assert.equal(/@org\/team|<\/details> <!--/.test(prose), false, `a path escaped its code span:\n${md}`);
    assert.equal(prose.split('</details>').length - 1, prose.split('<details>').length - 1, 'every <details> is closed exactly once');
    assert.match(
      renderChangeSetText(cs),
      /^ {2}~ ingress shop: changed — \+ \*"\/x`<\/details> <!-- berth-plan --> @org\/team" \(Exact\): web:8081; - shop\.localhost\/ \(Prefix\): web:8081 \(shop\/shop-ingress\.yaml:1\)$/m,
      'a path with spaces is quoted, so one route stays one token',
    );
  });

  it('a probe is a template field: adding one rolls; header values are not shown', () => {
    const probes: DesiredDeployment['template']['probes'] = {
      readiness: {
        action: { kind: 'httpGet', path: '/healthz', port: 8080, scheme: 'HTTP', headers: [{ name: 'Authorization', value: 'Bearer s3cr3t' }] },
        initialDelaySeconds: 0,
        periodSeconds: 1,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 3,
      },
    };
    const cs = compare(base(ns('shop', [deployment({ revision: 'r1' })])), head(ns('shop', [deployment({ template: template({ probes }), revision: 'r2' })])));
    const o = only(cs);
    assert.equal(o.rolls, true);
    assert.deepEqual(o.fields, [
      {
        field: 'readinessProbe',
        change: 'added',
        to: 'httpGet HTTP :8080/healthz with Authorization every 1s (timeout 1s, initial delay 0s, success 1, failure 3)',
      },
    ]);
    for (const out of [renderChangeSetText(cs), renderChangeSetMarkdown(cs), renderChangeSetJson(cs)])
      assert.equal(out.includes('s3cr3t'), false, 'a header value leaked');
  });

  it('a gRPC probe on one line: port, and the service when one is named', () => {
    const spec = (service: string) => ({
      action: { kind: 'grpc' as const, port: 50051, service },
      initialDelaySeconds: 0,
      periodSeconds: 5,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
    const cs = compare(
      base(ns('shop', [deployment({ template: template({ probes: { readiness: spec('') } }), revision: 'r1' })])),
      head(ns('shop', [deployment({ template: template({ probes: { readiness: spec('hipstershop.Cart') } }), revision: 'r2' })])),
    );
    assert.deepEqual(only(cs).fields, [
      {
        field: 'readinessProbe',
        change: 'changed',
        from: 'grpc :50051 every 5s (timeout 1s, initial delay 0s, success 1, failure 3)',
        to: 'grpc :50051 service hipstershop.Cart every 5s (timeout 1s, initial delay 0s, success 1, failure 3)',
      },
    ]);
  });
});

describe('compare(base, head): NetworkPolicies', () => {
  const policy = (
    ingress: DesiredNetworkPolicy['ingress'],
    podSelector: DesiredNetworkPolicy['podSelector'] = { matchLabels: { app: 'db' } },
  ): DesiredNetworkPolicy => ({
    namespace: 'shop',
    name: 'db-access',
    podSelector,
    ingress,
    source: { file: 'shop/policy.yaml', document: 0, line: 1 },
  });
  const withPolicies = (policies: DesiredNetworkPolicy[]): DesiredNamespace => ({ ...ns('shop', []), networkPolicies: policies });
  const fromShop = {
    from: [
      {
        namespaceSelector: { matchLabels: { team: 'shop' } },
        podSelector: { matchExpressions: [{ key: 'role', operator: 'In' as const, values: ['client'] }] },
      },
    ],
    ports: [{ port: 5432 }],
  };
  it('added: one line saying which pods and who may reach them', () => {
    const cs = compare(base(withPolicies([])), head(withPolicies([policy([fromShop])])));
    const line = renderChangeSetText(cs)
      .split('\n')
      .find((l) => l.includes('networkpolicy db-access'));
    assert.ok(line, renderChangeSetText(cs));
    assert.match(line, /pods app=db: from namespaces team=shop, pods role in \(client\) on 5432/);
  });
  it('changed: the rules that differ; deny all when no rule is left', () => {
    const cs = compare(base(withPolicies([policy([fromShop])])), head(withPolicies([policy([])])));
    const o = cs.namespaces.flatMap((n) => n.objects).find((x) => x.kind === 'NetworkPolicy')!;
    assert.equal(o.change, 'changed');
    assert.deepEqual(
      o.fields.map((f) => [f.field, f.change === 'changed' ? f.to : undefined]),
      [['ingress', 'deny all']],
    );
  });
  it('unchanged: nothing to show', () => {
    const cs = compare(base(withPolicies([policy([fromShop])])), head(withPolicies([policy([fromShop])])));
    assert.equal(cs.namespaces.flatMap((n) => n.objects).find((x) => x.kind === 'NetworkPolicy')?.change, 'unchanged');
  });
});

describe('compare(base, head): HorizontalPodAutoscalers', () => {
  const hpa = (over: Partial<DesiredAutoscaler> = {}): DesiredAutoscaler => ({
    namespace: 'shop',
    name: 'web',
    target: 'web',
    minReplicas: 2,
    maxReplicas: 5,
    metrics: [{ kind: 'Resource', resource: 'cpu', type: 'Utilization', averageUtilization: 70 }],
    behavior: DEFAULT_BEHAVIOR,
    source: { file: 'shop/hpa.yaml', document: 0, line: 1 },
    ...over,
  });
  const shop = (replicas: number, autoscalers: DesiredAutoscaler[]): DesiredNamespace => ({
    ...ns('shop', [deployment({ name: 'web', replicas })]),
    ...(autoscalers.length > 0 ? { autoscalers } : {}),
  });
  const line = (cs: ChangeSet, what: string) =>
    renderChangeSetText(cs)
      .split('\n')
      .find((l) => l.includes(what));
  const table: [what: string, b: DesiredNamespace, h: DesiredNamespace, expected: RegExp][] = [
    [
      'added: what it scales, and that Git only starts the count',
      shop(2, []),
      shop(2, [hpa()]),
      /\+ horizontalpodautoscaler web: added — scales deployment web between 2 and 5 on cpu 70 % of requests; while it exists, Git's spec.replicas of web is only the starting point/,
    ],
    ['changed: the fields that differ', shop(2, [hpa()]), shop(2, [hpa({ maxReplicas: 8 })]), /~ horizontalpodautoscaler web: changed — ~ maxReplicas: 5 → 8/],
    [
      "removed: the Deployment goes back to Git's count",
      shop(3, [hpa()]),
      shop(3, []),
      /- horizontalpodautoscaler web: removed — .*deployment web goes back to Git's 3 replicas/,
    ],
    [
      'a replicas change under an HPA scales nothing, and says so',
      shop(2, [hpa()]),
      shop(4, [hpa()]),
      /replicas \(only the start: HPA web owns the count\): 2 → 4/,
    ],
  ];
  for (const [what, b, h, expected] of table) {
    it(what, () => {
      const cs = compare(base(b), head(h));
      const text = renderChangeSetText(cs);
      assert.match(text, expected, text);
      assert.match(renderChangeSetMarkdown(cs), /HorizontalPodAutoscaler \*\*`web`\*\*|only the start/);
    });
  }
  it('unchanged: nothing to show', () => {
    const cs = compare(base(shop(2, [hpa()])), head(shop(2, [hpa()])));
    assert.equal(cs.namespaces.flatMap((n) => n.objects).find((x) => x.kind === 'HorizontalPodAutoscaler')?.change, 'unchanged');
    assert.equal(line(cs, 'horizontalpodautoscaler'), undefined);
  });
});
