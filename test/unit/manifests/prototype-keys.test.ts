/**
 * Keys that are Object.prototype members are data like any other key (#15 item 11): a YAML
 * key `__proto__` is an (unknown or invalid) field with a located error, never the object's
 * prototype (which would hide `spec.replicas: 50` from the schema, yet hand it to every reader);
 * `constructor` as a folder, a name and a label key just works.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadManifests, ManifestCache, type DeploymentManifest } from '../../../src/manifests/index.js';
import { buildDesiredState } from '../../../src/desired/index.js';
import { folder, snapshot } from './snapshot-builder.js';

const deployment = (o: { name: string; specExtra?: string; selectorExtra?: string; labelsExtra?: string; annotations?: string }) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${o.name}
${o.annotations ?? ''}spec:
${o.specExtra ?? ''}  selector:
    matchLabels:
      app: ${o.name}
${o.selectorExtra ?? ''}  template:
    metadata:
      labels:
        app: ${o.name}
${o.labelsExtra ?? ''}    spec:
      containers:
        - name: c
          image: busybox:1.36
`;

const load = (files: Record<string, string>, ns = 'constructor') => {
  const set = loadManifests(snapshot([folder(ns, files)]), new ManifestCache());
  return set.namespaces[0]!;
};

describe('manifests: prototype member keys', () => {
  const refused: { what: string; files: Record<string, string>; expect: { field: string; line: number; code: string } }[] = [
    {
      what: '`__proto__:` under spec (would have set spec.replicas to 50 unseen)',
      files: { 'web.yaml': deployment({ name: 'web', specExtra: '  __proto__:\n    replicas: 50\n' }) },
      expect: { field: 'spec.__proto__', line: 6, code: 'UNKNOWN_FIELD' },
    },
    {
      what: '`__proto__:` at the top of a document (would have turned it into another kind)',
      files: { 'web.yaml': `__proto__:\n  kind: Service\n${deployment({ name: 'web' })}` },
      expect: { field: '__proto__', line: 1, code: 'UNKNOWN_FIELD' },
    },
    {
      what: 'an annotation key `__proto__`',
      files: { 'web.yaml': deployment({ name: 'web', annotations: '  annotations:\n    __proto__: x\n' }) },
      expect: { field: 'metadata.annotations.__proto__', line: 6, code: 'INVALID_VALUE' },
    },
    {
      what: 'a flow mapping with `__proto__` (JSON style)',
      files: { 'web.yaml': '{"__proto__": {"kind": "Deployment"}, "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "constructor"}}\n' },
      expect: { field: '__proto__', line: 1, code: 'UNKNOWN_FIELD' },
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.what} with a located error`, () => {
      const ns = load(c.files);
      assert.equal(ns.valid, false);
      const d = ns.diagnostics.find((x) => x.field === c.expect.field);
      assert.ok(d, `a diagnostic at ${c.expect.field}: ${JSON.stringify(ns.diagnostics)}`);
      assert.deepEqual({ field: d.field, line: d.line, code: d.code, file: d.file }, { ...c.expect, file: 'constructor/web.yaml' });
    });
  }

  it('a folder `constructor` with Deployments `valueof` and `tostring` and a `constructor` label loads and builds', () => {
    const ns = load({
      'valueof.yaml': deployment({ name: 'valueof', selectorExtra: '      constructor: x\n', labelsExtra: '        constructor: x\n' }),
      'tostring.yaml': deployment({ name: 'tostring' }),
    });
    assert.equal(ns.valid, true, JSON.stringify(ns.diagnostics));
    const names = ns.objects.map((o) => (o as DeploymentManifest).metadata.name).sort();
    assert.deepEqual(names, ['tostring', 'valueof']);
    const desired = buildDesiredState(
      loadManifests(snapshot([folder('constructor', { 'valueof.yaml': deployment({ name: 'valueof' }) })]), new ManifestCache()),
      { instance: 't' },
    );
    assert.deepEqual(
      desired.namespaces.map((n) => [n.name, n.valid, n.deployments.map((d) => d.name)]),
      [['constructor', true, ['valueof']]],
    );
  });

  it('a selector label `constructor` the template lacks is reported missing (not as "has constructor=function Object()")', () => {
    const ns = load({ 'web.yaml': deployment({ name: 'web', selectorExtra: '      constructor: x\n' }) });
    const d = ns.diagnostics.find((x) => x.code === 'SELECTOR_MISMATCH');
    assert.ok(d, JSON.stringify(ns.diagnostics));
    assert.equal(d.field, 'spec.selector.matchLabels.constructor');
    assert.match(d.message, /has no label "constructor"/);
  });
});
