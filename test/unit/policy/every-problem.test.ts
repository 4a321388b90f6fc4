/**
 * Every problem of a namespace folder at once (issue 13, item 5): a file that does not parse,
 * or fails its schema, hides nothing that parsed elsewhere in the folder — the policy, quota
 * and reference errors of the sibling files are reported in the same run, and the folder stays
 * invalid (no objects to apply). Manifests go through the real loader.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_OPERATOR_POLICY, checkNamespacePolicy } from '../../../src/policy/index.js';
import { buildDesiredState } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache } from '../../../src/manifests/index.js';
import { deployment, folder, snapshot } from '../manifests/snapshot-builder.js';

const PRIVILEGED = deployment('admin', { container: '          securityContext:\n            privileged: true\n' });
const BROKEN_YAML = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: [unclosed\n';
const SCHEMA_ERROR = deployment('web', { spec: '  replicas: many\n' }).replace('  replicas: 2\n', '');
const MISSING_SECRET = deployment('api', {
  container:
    '          env:\n            - name: TOKEN\n              valueFrom:\n                secretKeyRef:\n                  name: nowhere\n                  key: token\n',
});
const QUOTA = 'apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: small\nspec:\n  hard:\n    pods: "1"\n';

/** [files of folder shop, codes expected (as file:code), in any order]. */
const CASES: readonly (readonly [name: string, files: Record<string, string>, expected: readonly string[]])[] = [
  [
    'a YAML syntax error beside a privileged container',
    { 'a-broken.yaml': BROKEN_YAML, 'b-admin.yaml': PRIVILEGED },
    ['shop/a-broken.yaml:YAML_SYNTAX', 'shop/b-admin.yaml:POLICY_DENIED'],
  ],
  [
    'a schema error beside a privileged container',
    { 'web.yaml': SCHEMA_ERROR, 'admin.yaml': PRIVILEGED },
    ['shop/web.yaml:INVALID_VALUE', 'shop/admin.yaml:POLICY_DENIED'],
  ],
  [
    'a syntax error beside a missing Secret reference',
    { 'a.yaml': BROKEN_YAML, 'api.yaml': MISSING_SECRET },
    ['shop/a.yaml:YAML_SYNTAX', 'shop/api.yaml:SECRET_REF_NOT_FOUND'],
  ],
  [
    'a syntax error beside a quota two replicas exceed',
    { 'a.yaml': BROKEN_YAML, 'quota.yaml': QUOTA, 'web.yaml': deployment('web') },
    ['shop/a.yaml:YAML_SYNTAX', 'shop/web.yaml:QUOTA_EXCEEDED'],
  ],
];

describe('an invalid folder still reports the problems of every file that parsed', () => {
  for (const [name, files, expected] of CASES) {
    it(name, () => {
      const set = loadManifests(snapshot([folder('shop', files)]), new ManifestCache());
      const ns = set.namespaces[0]!;
      const reported = [...ns.diagnostics, ...checkNamespacePolicy(ns, DEFAULT_OPERATOR_POLICY)].filter((d) => d.severity === 'error');
      const codes = reported.map((d) => `${d.file}:${d.code}`);
      for (const e of expected) assert.ok(codes.includes(e), `expected ${e} in ${JSON.stringify(codes)}`);
      // Still invalid, nothing to apply; the desired state (what plan and run see) carries the same errors.
      assert.equal(ns.valid, false);
      assert.deepEqual(ns.objects, []);
      const desired = buildDesiredState(set, { instance: 't', policy: (n) => checkNamespacePolicy(n, DEFAULT_OPERATOR_POLICY) }).namespaces[0]!;
      assert.equal(desired.valid, false);
      assert.deepEqual(desired.deployments, []);
      for (const e of expected)
        assert.ok(
          desired.diagnostics.some((d) => `${d.file}:${d.code}` === e),
          `desired state reports ${e}`,
        );
    });
  }
});
