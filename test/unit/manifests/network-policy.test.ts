/**
 * networking.k8s.io/v1 NetworkPolicy: what validates, what is refused with a located error
 * (file, line, field), and the desired policy a valid one becomes. Table-driven.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildNamespace } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache, type NamespaceManifests } from '../../../src/manifests/index.js';
import { folder, snapshot } from './snapshot-builder.js';

function policy(spec: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-access
spec:
${spec}`;
}

function shop(files: Record<string, string>): NamespaceManifests {
  return loadManifests(snapshot([folder('shop', files)]), new ManifestCache()).namespaces.find((n) => n.name === 'shop')!;
}

const ALLOW = `  podSelector:
    matchLabels:
      app: db
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: web
          podSelector:
            matchExpressions:
              - key: role
                operator: In
                values: [client]
      ports:
        - protocol: TCP
          port: 5432
`;

describe('NetworkPolicy validation', () => {
  const rows: [what: string, spec: string, code: string | undefined, field?: string, line?: number][] = [
    ['an ingress policy as the Kubernetes docs write it', ALLOW, undefined],
    ['deny all (empty podSelector, no rules)', '  podSelector: {}\n  policyTypes: [Ingress]\n', undefined],
    ['Egress in policyTypes', '  podSelector: {}\n  policyTypes:\n    - Ingress\n    - Egress\n', 'UNSUPPORTED_FIELD', 'spec.policyTypes[1]', 9],
    ['egress rules', '  podSelector: {}\n  egress:\n    - {}\n', 'UNSUPPORTED_FIELD', 'spec.egress', 7],
    [
      'ipBlock',
      '  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock:\n            cidr: 10.0.0.0/8\n',
      'UNSUPPORTED_FIELD',
      'spec.ingress[0].from[0].ipBlock',
      9,
    ],
    [
      'UDP',
      '  podSelector: {}\n  ingress:\n    - ports:\n        - protocol: UDP\n          port: 53\n',
      'UNSUPPORTED_FIELD',
      'spec.ingress[0].ports[0].protocol',
      9,
    ],
    [
      'endPort with a named port',
      '  podSelector: {}\n  ingress:\n    - ports:\n        - port: http\n          endPort: 90\n',
      'INVALID_VALUE',
      'spec.ingress[0].ports[0].endPort',
      10,
    ],
    [
      'endPort below port',
      '  podSelector: {}\n  ingress:\n    - ports:\n        - port: 90\n          endPort: 80\n',
      'INVALID_VALUE',
      'spec.ingress[0].ports[0].endPort',
      10,
    ],
    ['an empty from entry', '  podSelector: {}\n  ingress:\n    - from:\n        - {}\n', 'INVALID_VALUE', 'spec.ingress[0].from[0]', 9],
    [
      'In without values',
      '  podSelector:\n    matchExpressions:\n      - key: app\n        operator: In\n',
      'INVALID_VALUE',
      'spec.podSelector.matchExpressions[0].values',
      8,
    ],
    [
      'a bad operator',
      '  podSelector:\n    matchExpressions:\n      - key: app\n        operator: Equals\n',
      'INVALID_VALUE',
      'spec.podSelector.matchExpressions[0].operator',
      9,
    ],
    ['no podSelector', '  ingress: []\n', 'MISSING_FIELD', 'spec.podSelector', 5],
  ];
  for (const [what, spec, code, field, line] of rows) {
    it(what, () => {
      const ns = shop({ 'policy.yaml': policy(spec) });
      const errors = ns.diagnostics.filter((d) => d.severity === 'error');
      if (!code) return assert.deepEqual(errors, []);
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(errors[0]!.code, code);
      assert.equal(errors[0]!.field, field);
      assert.equal(errors[0]!.file, 'shop/policy.yaml');
      if (line !== undefined) assert.equal(errors[0]!.line, line);
    });
  }
});

describe('NetworkPolicy → desired', () => {
  it('a valid policy is normalized; the Namespace labels come along', () => {
    const ns = shop({
      'policy.yaml': policy(ALLOW),
      'ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    team: data\n',
    });
    const desired = buildNamespace(ns, 'test');
    assert.deepEqual(desired.labels, { team: 'data' });
    assert.equal(desired.networkPolicies?.length, 1);
    const p = desired.networkPolicies![0]!;
    assert.deepEqual(p.podSelector, { matchLabels: { app: 'db' } });
    assert.deepEqual(p.ingress, [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } },
            podSelector: { matchExpressions: [{ key: 'role', operator: 'In', values: ['client'] }] },
          },
        ],
        ports: [{ port: 5432 }],
      },
    ]);
    assert.equal(p.source.file, 'shop/policy.yaml');
  });
  it('a policy whose policyTypes leave out Ingress governs nothing here', () => {
    // Only Egress is refused; policyTypes: [] means the default (Ingress), as in Kubernetes.
    const desired = buildNamespace(shop({ 'policy.yaml': policy('  podSelector: {}\n  policyTypes: []\n') }), 'test');
    assert.equal(desired.networkPolicies?.length, 1);
  });
});
