/**
 * The namespace policy, table-driven: every widening field at every level (berth's unlabelled
 * default, and the three levels a namespace.yaml can select), the demands of an explicit
 * restricted level, the operator's ceiling, the host-path allow-list and the engine socket,
 * and where each diagnostic points (file, line, field). Manifests go through the real loader.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BerthError, type Diagnostic } from '../../../src/core/index.js';
import { buildDesiredState, DesiredCache } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache, type NamespaceManifests } from '../../../src/manifests/index.js';
import {
  checkNamespacePolicy,
  DEFAULT_OPERATOR_POLICY,
  namespacePolicy,
  parseOperatorPolicy,
  POLICY_DIAGNOSTICS,
  type OperatorPolicy,
  type PodSecurityLevel,
} from '../../../src/policy/index.js';
import { deployment, folder, indent, snapshot } from '../manifests/snapshot-builder.js';

const P = 'spec.template.spec';
const C = `${P}.containers[0]`;
const pod = indent(6);
const container = indent(10);

const namespaceYaml = (level?: string): string =>
  `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    team: storefront\n${level === undefined ? '' : `    pod-security.kubernetes.io/enforce: ${level}\n`}`;

/** A container securityContext that meets an explicit restricted level's demands, with capabilities `add`ed and `extra` lines. */
const hardened = (extra = '', add?: string, omit: readonly ('runAsNonRoot' | 'allowPrivilegeEscalation')[] = []): string =>
  `securityContext:\n${omit.includes('runAsNonRoot') ? '' : '  runAsNonRoot: true\n'}${omit.includes('allowPrivilegeEscalation') ? '' : '  allowPrivilegeEscalation: false\n'}  capabilities:\n    drop: [ALL]\n${add ? `    add: [${add}]\n` : ''}${extra}`;

function load(files: Record<string, string>): NamespaceManifests {
  const ns = loadManifests(snapshot([folder('shop', files)]), new ManifestCache()).namespaces[0]!;
  assert.equal(ns.valid, true, `the manifests themselves are valid: ${JSON.stringify(ns.diagnostics)}`);
  return ns;
}

const OPERATOR: OperatorPolicy = parseOperatorPolicy({ maxLevel: 'privileged', hostPathAllow: ['/srv/berth'] });

type Level = 'default' | PodSecurityLevel;
const LEVELS: readonly Level[] = ['default', 'restricted', 'baseline', 'privileged'];

/** One widening (or harmless) field, and the levels that allow it. */
interface Row {
  readonly what: string;
  readonly podSpec?: string;
  /** securityContext lines added to the hardened container. */
  readonly sc?: string;
  /** capabilities added to the hardened container. */
  readonly add?: string;
  /** hardening left out (a contradiction with the row's field); an explicit restricted level then also demands it. */
  readonly omit?: readonly ('runAsNonRoot' | 'allowPrivilegeEscalation')[];
  /** other container lines. */
  readonly container?: string;
  readonly field: string;
  readonly allowedAt: readonly Level[];
  readonly message?: RegExp;
}

const ALL: readonly Level[] = LEVELS;
const PRIVILEGED: readonly Level[] = ['privileged'];
const BASELINE_UP: readonly Level[] = ['baseline', 'privileged'];
const NOT_EXPLICIT_RESTRICTED: readonly Level[] = ['default', 'baseline', 'privileged'];

const rows: readonly Row[] = [
  { what: 'hostNetwork', podSpec: 'hostNetwork: true\n', field: `${P}.hostNetwork`, allowedAt: PRIVILEGED, message: /host's network is not allowed/ },
  { what: 'hostPID', podSpec: 'hostPID: true\n', field: `${P}.hostPID`, allowedAt: PRIVILEGED },
  { what: 'hostIPC', podSpec: 'hostIPC: true\n', field: `${P}.hostIPC`, allowedAt: PRIVILEGED },
  { what: 'hostNetwork: false is no widening', podSpec: 'hostNetwork: false\n', field: `${P}.hostNetwork`, allowedAt: ALL },
  {
    what: 'privileged',
    sc: '  privileged: true\n',
    omit: ['allowPrivilegeEscalation'],
    field: `${C}.securityContext.privileged`,
    allowedAt: PRIVILEGED,
    message: /a privileged container is not allowed/,
  },
  {
    what: 'seccomp Unconfined (pod)',
    podSpec: 'securityContext:\n  seccompProfile:\n    type: Unconfined\n',
    field: `${P}.securityContext.seccompProfile.type`,
    allowedAt: PRIVILEGED,
  },
  {
    what: 'seccomp Unconfined (container)',
    sc: '  seccompProfile:\n    type: Unconfined\n',
    field: `${C}.securityContext.seccompProfile.type`,
    allowedAt: PRIVILEGED,
  },
  { what: 'seccomp RuntimeDefault', sc: '  seccompProfile:\n    type: RuntimeDefault\n', field: `${C}.securityContext.seccompProfile.type`, allowedAt: ALL },
  { what: 'adding NET_BIND_SERVICE', add: 'NET_BIND_SERVICE', field: `${C}.securityContext.capabilities.add[0]`, allowedAt: ALL },
  {
    what: 'adding CHOWN (baseline list)',
    add: 'CHOWN',
    field: `${C}.securityContext.capabilities.add[0]`,
    allowedAt: BASELINE_UP,
    message: /adding capability CHOWN.*needs level baseline/,
  },
  {
    what: 'adding CAP_NET_ADMIN',
    add: 'CAP_NET_ADMIN',
    field: `${C}.securityContext.capabilities.add[0]`,
    allowedAt: PRIVILEGED,
    message: /adding capability NET_ADMIN.*needs level privileged/,
  },
  { what: 'adding ALL', add: 'ALL', field: `${C}.securityContext.capabilities.add[0]`, allowedAt: PRIVILEGED },
  {
    what: 'hostPath inside the allow-list',
    podSpec: 'volumes:\n  - name: data\n    hostPath:\n      path: /srv/berth/data\n',
    field: `${P}.volumes[0].hostPath.path`,
    allowedAt: BASELINE_UP,
    message: /hostPath volume "\/srv\/berth\/data" is not allowed.*needs level baseline/,
  },
  {
    what: 'hostPath = the allowed folder',
    podSpec: 'volumes:\n  - name: data\n    hostPath:\n      path: /srv/berth\n',
    field: `${P}.volumes[0].hostPath.path`,
    allowedAt: BASELINE_UP,
  },
  {
    what: 'hostPath outside the allow-list',
    podSpec: 'volumes:\n  - name: data\n    hostPath:\n      path: /srv/berthday\n',
    field: `${P}.volumes[0].hostPath.path`,
    allowedAt: [],
    message: /outside the folders the operator allows|hostPath volume .* is not allowed/,
  },
  {
    what: 'the Docker socket',
    podSpec: 'volumes:\n  - name: d\n    hostPath:\n      path: /var/run/docker.sock\n',
    field: `${P}.volumes[0].hostPath.path`,
    allowedAt: [],
  },
  { what: 'emptyDir', podSpec: 'volumes:\n  - name: s\n    emptyDir: {}\n', field: `${P}.volumes[0]`, allowedAt: ALL },
  {
    what: 'runAsUser 0',
    sc: '  runAsUser: 0\n',
    omit: ['runAsNonRoot'],
    field: `${C}.securityContext.runAsUser`,
    allowedAt: NOT_EXPLICIT_RESTRICTED,
    message: /runAsUser must not be 0/,
  },
  {
    what: 'runAsUser 1000, readOnlyRootFilesystem',
    sc: '  runAsUser: 1000\n  readOnlyRootFilesystem: true\n',
    field: `${C}.securityContext.runAsUser`,
    allowedAt: ALL,
  },
];

function manifestsFor(row: Row, level: Level): Record<string, string> {
  const sc = hardened(row.sc ?? '', row.add, row.omit);
  return {
    ...(level === 'default' ? {} : { 'namespace.yaml': namespaceYaml(level) }),
    'web.yaml': deployment('web', { ...(row.podSpec ? { podSpec: pod(row.podSpec) } : {}), container: container(`${sc}${row.container ?? ''}`) }),
  };
}

describe('policy: each widening field at each level', () => {
  for (const row of rows) {
    for (const level of LEVELS) {
      const allowed = row.allowedAt.includes(level);
      it(`${row.what} at ${level}: ${allowed ? 'allowed' : 'denied'}`, () => {
        const found = checkNamespacePolicy(load(manifestsFor(row, level)), OPERATOR);
        if (allowed) return assert.deepEqual(found, [], `no diagnostics expected, got ${JSON.stringify(found, null, 1)}`);
        const onField = found.filter((d) => d.field === row.field);
        assert.equal(onField.length, 1, `one diagnostic on ${row.field}: ${JSON.stringify(found, null, 1)}`);
        // Besides: only an explicit restricted level's demands, for the hardening the row left out.
        const others = found.filter((d) => d.field !== row.field);
        assert.equal(
          others.length,
          level === 'restricted' ? (row.omit ?? []).filter((o) => o === 'allowPrivilegeEscalation').length : 0,
          `other diagnostics: ${JSON.stringify(others, null, 1)}`,
        );
        const d = onField[0]!;
        assert.equal(d.severity, 'error', 'an error');
        assert.equal(d.code, 'POLICY_DENIED', 'code');
        assert.equal(d.field, row.field, 'on the field');
        assert.equal(d.file, 'shop/web.yaml', 'in the file');
        assert.equal(d.namespace, 'shop', 'of the namespace');
        assert.ok(typeof d.line === 'number' && d.line > 14 && typeof d.column === 'number', `located at the field: ${JSON.stringify(d)}`);
        if (row.message) assert.match(d.message, row.message);
      });
    }
  }
});

describe('policy: what an explicit restricted level demands (Kubernetes restricted), and the default does not', () => {
  const plain = (level: Level, lines = ''): NamespaceManifests =>
    load({
      ...(level === 'default' ? {} : { 'namespace.yaml': namespaceYaml(level) }),
      'web.yaml': deployment('web', lines ? { container: container(lines) } : {}),
    });

  it('a plain container (no securityContext) runs under the default and at baseline, as before', () => {
    assert.deepEqual(checkNamespacePolicy(plain('default'), OPERATOR), [], 'default');
    assert.deepEqual(checkNamespacePolicy(plain('baseline'), OPERATOR), [], 'baseline');
    assert.deepEqual(checkNamespacePolicy(plain('default'), DEFAULT_OPERATOR_POLICY), [], 'default operator ceiling');
  });

  it('at an explicit restricted level it must run as non-root, without privilege escalation, with every capability dropped', () => {
    const found = checkNamespacePolicy(plain('restricted'), OPERATOR);
    assert.deepEqual(
      found.map((d) => [d.code, d.field]),
      [
        ['POLICY_DENIED', C],
        ['POLICY_DENIED', C],
        ['POLICY_DENIED', C],
      ],
    );
    const text = found.map((d) => d.message).join('\n');
    assert.match(text, /runAsNonRoot: true or a non-zero runAsUser/);
    assert.match(text, /allowPrivilegeEscalation: false/);
    assert.match(text, /drop: \[ALL\]/);
    assert.equal(found[0]!.line, 16, 'on the container (`- name: main`)');
  });

  it('an init container is checked as the app is: privileged or a capability in one is denied on its own field', () => {
    const ns = load({
      'web.yaml': deployment('web', {
        podSpec: pod(
          'initContainers:\n  - name: setup\n    image: busybox:1.36\n    securityContext:\n      privileged: true\n  - name: tune\n    image: busybox:1.36\n    securityContext:\n      capabilities:\n        add: [SYS_ADMIN]\n',
        ),
      }),
    });
    const found = checkNamespacePolicy(ns, OPERATOR);
    assert.deepEqual(
      found.map((d) => [d.code, d.field]),
      [
        ['POLICY_DENIED', `${P}.initContainers[0].securityContext.privileged`],
        ['POLICY_DENIED', `${P}.initContainers[1].securityContext.capabilities.add[0]`],
      ],
    );
    assert.match(found[0]!.message, /a privileged container is not allowed/);
  });

  it('a non-zero runAsUser on the pod counts as non-root; runAsNonRoot: false or a drop list without ALL is reported on that field', () => {
    const ns = load({
      'namespace.yaml': namespaceYaml('restricted'),
      'web.yaml': deployment('web', {
        podSpec: pod('securityContext:\n  runAsUser: 1000\n'),
        container: container('securityContext:\n  allowPrivilegeEscalation: true\n  capabilities:\n    drop: [NET_RAW]\n'),
      }),
      'api.yaml': deployment('api', { container: container(hardened().replace('runAsNonRoot: true', 'runAsNonRoot: false')) }),
    });
    const found = checkNamespacePolicy(ns, OPERATOR)
      .map((d) => `${d.file} ${d.field}`)
      .sort();
    assert.deepEqual(found, [
      'shop/api.yaml spec.template.spec.containers[0].securityContext.runAsNonRoot',
      'shop/web.yaml spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation',
      'shop/web.yaml spec.template.spec.containers[0].securityContext.capabilities.drop',
    ]);
  });
});

describe("policy: the namespace's label and the operator's ceiling", () => {
  const web = deployment('web', { container: container(hardened()) });

  it('a level above the ceiling is an error on the label of namespace.yaml, and nothing else is checked', () => {
    const ns = load({ 'namespace.yaml': namespaceYaml('privileged'), 'web.yaml': deployment('web', { podSpec: pod('hostNetwork: true\n') }) });
    const found = checkNamespacePolicy(ns, parseOperatorPolicy({ maxLevel: 'baseline' }));
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.deepEqual(
      { code: found[0]!.code, file: found[0]!.file, line: found[0]!.line, field: found[0]!.field },
      { code: 'POLICY_LEVEL_ABOVE_CEILING', file: 'shop/namespace.yaml', line: 7, field: 'metadata.labels["pod-security.kubernetes.io/enforce"]' },
    );
    assert.match(found[0]!.message, /"privileged" is above what the operator allows \("baseline"\).*--max-pod-security privileged/);
  });

  for (const [label, ceiling, ok] of [
    ['restricted', 'restricted', true],
    ['baseline', 'restricted', false],
    ['baseline', 'baseline', true],
    ['privileged', 'baseline', false],
    ['privileged', 'privileged', true],
    ['restricted', 'privileged', true],
  ] as const) {
    it(`label ${label} with ceiling ${ceiling}: ${ok ? 'accepted' : 'refused'}`, () => {
      const found = checkNamespacePolicy(load({ 'namespace.yaml': namespaceYaml(label), 'web.yaml': web }), parseOperatorPolicy({ maxLevel: ceiling }));
      assert.deepEqual(
        found.map((d) => d.code),
        ok ? [] : ['POLICY_LEVEL_ABOVE_CEILING'],
      );
    });
  }

  it('a label that is no level is an error on the label', () => {
    const found = checkNamespacePolicy(load({ 'namespace.yaml': namespaceYaml('root'), 'web.yaml': web }), OPERATOR);
    assert.deepEqual(
      found.map((d) => [d.code, d.line, d.message]),
      [['POLICY_LEVEL_INVALID', 7, 'must be one of restricted, baseline, privileged, got "root"']],
    );
  });

  it('the default operator ceiling is restricted: the hint names the flag', () => {
    const found = checkNamespacePolicy(
      load({ 'web.yaml': deployment('web', { container: container('securityContext:\n  privileged: true\n') }) }),
      DEFAULT_OPERATOR_POLICY,
    );
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.match(
      found[0]!.message,
      /berth's default: the namespace has no pod-security\.kubernetes\.io\/enforce label.*--max-pod-security privileged; now restricted/,
    );
    assert.equal(found[0]!.line, 19, 'the line of privileged: true');
  });

  it('an invalid folder is not checked (its own errors say why)', () => {
    const ns = loadManifests(snapshot([folder('shop', { 'web.yaml': 'kind: [' })]), new ManifestCache()).namespaces[0]!;
    assert.deepEqual(checkNamespacePolicy(ns, OPERATOR), []);
  });
});

describe('policy: host paths and the engine socket', () => {
  const withHostPath = (path: string, level: PodSecurityLevel = 'privileged'): NamespaceManifests =>
    load({
      'namespace.yaml': namespaceYaml(level),
      'web.yaml': deployment('web', { podSpec: pod(`volumes:\n  - name: h\n    hostPath:\n      path: ${path}\n`) }),
    });
  const messages = (ns: NamespaceManifests, operator: OperatorPolicy): string[] => checkNamespacePolicy(ns, operator).map((d) => d.message);

  it('no allow-list (the default): every hostPath is refused, at every level', () => {
    for (const level of ['baseline', 'privileged'] as const) {
      assert.match(
        messages(withHostPath('/srv/data', level), parseOperatorPolicy({ maxLevel: 'privileged' }))[0] ?? '',
        /outside the folders the operator allows \(none\)/,
        level,
      );
    }
  });

  it('the Docker socket (either spelling) or a folder holding it: only at privileged and with --allow-docker-socket', () => {
    const wide = (allowDockerSocket: boolean) => parseOperatorPolicy({ maxLevel: 'privileged', hostPathAllow: ['/'], allowDockerSocket });
    for (const path of ['/var/run/docker.sock', '/run/docker.sock', '/run', '/var/run', '/', '/run/containerd/containerd.sock']) {
      assert.match(messages(withHostPath(path), wide(false))[0] ?? '', /container engine's socket.*--allow-docker-socket/, path);
      assert.deepEqual(messages(withHostPath(path), wide(true)), [], `${path} with --allow-docker-socket at privileged`);
      assert.match(messages(withHostPath(path, 'baseline'), wide(true))[0] ?? '', /container engine's socket/, `${path} at baseline`);
    }
    assert.deepEqual(messages(withHostPath('/run/user'), wide(false)), [], 'a folder beside the socket is no socket');
  });

  it('the socket berth is told to use counts too', () => {
    const operator = parseOperatorPolicy({ maxLevel: 'privileged', hostPathAllow: ['/srv'], engineSockets: ['/srv/engine/docker.sock'] });
    assert.match(messages(withHostPath('/srv/engine'), operator)[0] ?? '', /holds the container engine's socket \(\/srv\/engine\/docker\.sock\)/);
  });
});

describe('policy: the operator configuration', () => {
  it('parses levels and folders, refusing what is not one', () => {
    assert.deepEqual(parseOperatorPolicy({}), DEFAULT_OPERATOR_POLICY);
    assert.deepEqual(parseOperatorPolicy({ maxLevel: 'baseline', hostPathAllow: ['/srv/b/', '/srv//a', '/srv/a'] }), {
      maxLevel: 'baseline',
      hostPathAllow: ['/srv/a', '/srv/b'],
      allowDockerSocket: false,
    });
    for (const bad of [{ maxLevel: 'root' }, { hostPathAllow: ['srv'] }, { hostPathAllow: ['/srv/../etc'] }]) {
      assert.throws(
        () => parseOperatorPolicy(bad),
        (e: unknown) => e instanceof BerthError && e.code === 'USAGE',
        JSON.stringify(bad),
      );
    }
  });
});

describe('policy: applied where desired state is built', () => {
  const files = { 'web.yaml': deployment('web', { podSpec: pod('hostPID: true\n') }), 'ok.yaml': deployment('ok') };
  const set = () => loadManifests(snapshot([folder('shop', files), folder('blog', { 'ok.yaml': deployment('ok') })]), new ManifestCache());

  it('a namespace with a violation is invalid as a whole (left as it runs); the others proceed', () => {
    const desired = buildDesiredState(set(), { instance: 'default', policy: namespacePolicy(DEFAULT_OPERATOR_POLICY) });
    const shop = desired.namespaces.find((n) => n.name === 'shop')!;
    const blog = desired.namespaces.find((n) => n.name === 'blog')!;
    assert.equal(shop.valid, false, 'shop is invalid');
    assert.deepEqual(shop.deployments, [], 'nothing of shop is applied');
    assert.deepEqual(
      shop.diagnostics.map((d: Diagnostic) => [d.code, d.field]),
      [['POLICY_DENIED', `${P}.hostPID`]],
    );
    assert.equal(blog.valid, true, 'blog proceeds');
    assert.equal(
      buildDesiredState(set(), { instance: 'default' }).namespaces.find((n) => n.name === 'shop')!.valid,
      true,
      'without a policy: only the manifests rules',
    );
  });

  it('DesiredCache builds again when the policy differs, and reuses a namespace under the same one', () => {
    const cache = new DesiredCache();
    const loaded = set();
    const policy = namespacePolicy(DEFAULT_OPERATOR_POLICY);
    const strict = buildDesiredState(loaded, { instance: 'default', cache, policy });
    assert.equal(strict.namespaces.find((n) => n.name === 'shop')!.valid, false, 'with the policy');
    assert.equal(buildDesiredState(loaded, { instance: 'default', cache }).namespaces.find((n) => n.name === 'shop')!.valid, true, 'without: built again');
    const again = buildDesiredState(loaded, { instance: 'default', cache, policy });
    assert.equal(
      again.namespaces.find((n) => n.name === 'blog'),
      buildDesiredState(loaded, { instance: 'default', cache, policy }).namespaces.find((n) => n.name === 'blog'),
      'same policy: the cached object',
    );
  });
});

describe('policy: diagnostic codes', () => {
  it('every code is documented in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.keys(POLICY_DIAGNOSTICS)) assert.match(doc, new RegExp(`^\\| \`${code}\` \\| `, 'm'), `${code} is missing from docs/errors.md`);
  });
});
