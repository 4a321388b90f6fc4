import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MANIFEST_DIAGNOSTICS, SUPPORTED_KINDS, VALIDATED_NOT_ACTED_ON } from '../../../src/manifests/index.js';
import { KNOWN_KINDS, validatorFor } from '../../../src/manifests/schemas.js';

type Schema = Record<string, unknown>;
const SCHEMAS = new URL('../../../schemas/', import.meta.url);
const SRC = new URL('../../../src/manifests/', import.meta.url);
const load = (file: string): Schema => JSON.parse(readFileSync(new URL(file, SCHEMAS), 'utf8')) as Schema;

/** Every property schema in `schema`, with a dotted path (arrays as `[]`), `$ref`s followed (inside the file, and into another schema file: `deployment.json#/definitions/podTemplate`). */
function properties(top: Schema): Map<string, Schema> {
  const out = new Map<string, Schema>();
  const resolve = (s: Schema, root: Schema): { schema: Schema; root: Schema } => {
    const ref = s['$ref'];
    if (typeof ref !== 'string') return { schema: s, root };
    const [file, pointer = ''] = ref.split('#');
    const base = file ? load(file) : root;
    const target = pointer
      .replace(/^\//, '')
      .split('/')
      .filter((k) => k !== '')
      .reduce<unknown>((acc, k) => (acc as Schema)[k], base) as Schema;
    const { $ref: _ref, ...rest } = s;
    return { schema: { ...target, ...rest }, root: base };
  };
  const walk = (raw: Schema, path: string, depth: number, root: Schema): void => {
    if (depth > 14) return;
    const { schema: s, root: at } = resolve(raw, root);
    for (const [key, child] of Object.entries((s['properties'] as Record<string, Schema> | undefined) ?? {})) {
      const p = path ? `${path}.${key}` : key;
      out.set(p, resolve(child, at).schema);
      walk(child, p, depth + 1, at);
    }
    const items = s['items'] as Schema | undefined;
    if (items) walk(items, `${path}[]`, depth + 1, at);
    for (const sub of (s['allOf'] as Schema[] | undefined) ?? []) walk(sub, path, depth + 1, at);
  };
  walk(top, '', 0, top);
  return out;
}

describe('schemas/*.json', () => {
  const files = readdirSync(SCHEMAS).filter((f) => f.endsWith('.json'));

  it('one file per kind, with stable $ids and matching consts', () => {
    assert.deepEqual(
      files.sort(),
      Object.keys(KNOWN_KINDS)
        .map((k) => `${k.toLowerCase()}.json`)
        .sort(),
    );
    for (const [kind, { apiVersion }] of Object.entries(KNOWN_KINDS)) {
      const schema = load(`${kind.toLowerCase()}.json`);
      assert.equal(schema['$id'], `https://berth.dev/schemas/v1/${kind.toLowerCase()}.json`);
      assert.equal(schema['$schema'], 'http://json-schema.org/draft-07/schema#');
      const props = schema['properties'] as Record<string, Schema>;
      assert.equal(props['kind']?.['const'], kind);
      assert.equal(props['apiVersion']?.['const'], apiVersion);
      assert.equal(schema['additionalProperties'], false);
    }
  });

  it('every field has a description (editors show it) and every object refuses unknown fields', () => {
    for (const file of files) {
      for (const [path, s] of properties(load(file))) {
        assert.equal(typeof s['description'], 'string', `${file}: ${path} has no description`);
        if (s['type'] === 'object' && s['x-berth-ignored'] === undefined && s['properties'] !== undefined) {
          assert.equal(s['additionalProperties'], false, `${file}: ${path} must set additionalProperties: false`);
        }
      }
    }
  });

  it('every number berth acts on is bounded to what the runtime holds, and the error says the bound and why', () => {
    // An incident: probe timeoutSeconds 2147484 passed the schema and overflowed Node's timer
    // (2^31-1 ms), failing every probe at once. Durations are capped at 1000000 s, so that even
    // two of them added together stay under a timer's ceiling.
    const seen: string[] = [];
    for (const file of files) {
      for (const [path, s] of properties(load(file))) {
        if (s['x-berth-ignored'] !== undefined || s['x-berth-unsupported'] !== undefined || s['x-berth-quantity'] !== undefined) continue;
        const integers = [s, ...((s['anyOf'] as Schema[] | undefined) ?? [])].filter((b) => b['type'] === 'integer');
        for (const branch of integers) {
          seen.push(`${file}:${path}`);
          assert.equal(typeof branch['maximum'], 'number', `${file}: ${path} is an integer without a maximum`);
          assert.ok((branch['maximum'] as number) <= 2 ** 31 - 1, `${file}: ${path}: maximum ${String(branch['maximum'])} is beyond int32`);
          if (/Seconds$/.test(path)) {
            assert.ok((branch['maximum'] as number) * 2 * 1000 <= 2 ** 31 - 1, `${file}: ${path}: two of them must fit a Node timer`);
            const message = (s['x-berth-messages'] as Record<string, string> | undefined)?.['maximum'] ?? '';
            assert.match(
              message,
              new RegExp(`at most ${String(branch['maximum'])} seconds .*timers, which hold at most 2\\^31-1 ms`),
              `${file}: ${path}: the error must say the bound and why`,
            );
          }
        }
      }
    }
    for (const field of [
      'initialDelaySeconds',
      'periodSeconds',
      'timeoutSeconds',
      'successThreshold',
      'failureThreshold',
      'terminationGracePeriodSeconds',
      'minReadySeconds',
      'progressDeadlineSeconds',
      'revisionHistoryLimit',
      'replicas',
      'containerPort',
      'hostPort',
      'nodePort',
    ]) {
      assert.ok(
        seen.some((p) => p.endsWith(`.${field}`)),
        `${field} was checked`,
      );
    }
  });

  it('unsupported fields are errors for editors too; ignored fields say why', () => {
    for (const file of files) {
      for (const [path, s] of properties(load(file))) {
        if (s['x-berth-unsupported'] !== undefined) {
          assert.deepEqual(s['not'], {}, `${file}: ${path}`);
          assert.match(String(s['description']), /^Not supported by berth/);
        }
        if (s['not'] !== undefined) assert.equal(typeof s['x-berth-unsupported'], 'string', `${file}: ${path}`);
        if (s['x-berth-ignored'] !== undefined) assert.match(String(s['description']), /^Ignored by berth: .{10,}/, `${file}: ${path}`);
      }
    }
  });

  it('classifies the Kubernetes fields of the brief: scheduling hints ignored, behaviour unsupported', () => {
    const p = properties(load('deployment.json'));
    const pod = 'spec.template.spec';
    const container = `${pod}.containers[]`;
    for (const f of ['nodeName', 'priorityClassName', 'serviceAccountName', 'automountServiceAccountToken', 'imagePullSecrets', 'dnsPolicy', 'schedulerName']) {
      assert.equal(typeof p.get(`${pod}.${f}`)?.['x-berth-ignored'], 'string', f);
    }
    // Requests are what an HPA's Utilization is a percent of: accepted, no longer ignored; only ephemeral-storage is.
    assert.equal(p.get(`${container}.resources.requests`)?.['x-berth-ignored'], undefined);
    assert.equal(p.get(`${container}.resources.requests.cpu`)?.['x-berth-quantity'], 'cpu');
    assert.equal(typeof p.get(`${container}.resources.requests.ephemeral-storage`)?.['x-berth-ignored'], 'string');
    for (const f of ['hostUsers', 'shareProcessNamespace', 'securityContext.sysctls', 'securityContext.seLinuxOptions', 'volumes[].projected']) {
      assert.equal(typeof p.get(`${pod}.${f}`)?.['x-berth-unsupported'], 'string', f);
    }
    for (const f of [
      'lifecycle',
      'volumeDevices',
      'securityContext.procMount',
      'securityContext.appArmorProfile',
      'volumeMounts[].mountPropagation',
      'volumeMounts[].subPathExpr',
      'env[].valueFrom.fieldRef',
      'env[].valueFrom.resourceFieldRef',
    ]) {
      assert.equal(typeof p.get(`${container}.${f}`)?.['x-berth-unsupported'], 'string', f);
    }
    // Widening fields are schema-valid: the namespace policy (policy/) decides whether they are allowed.
    for (const f of ['volumes', 'securityContext', 'hostNetwork', 'hostPID', 'hostIPC'])
      assert.equal(p.get(`${pod}.${f}`)?.['x-berth-unsupported'], undefined, f);
    for (const f of ['volumeMounts', 'securityContext', 'securityContext.privileged', 'securityContext.capabilities'])
      assert.equal(p.get(`${container}.${f}`)?.['x-berth-unsupported'], undefined, f);
    assert.equal(typeof p.get('spec.selector.matchExpressions')?.['x-berth-unsupported'], 'string');
    for (const probe of VALIDATED_NOT_ACTED_ON) assert.ok(p.get(`${container}.${probe}`), probe);
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      for (const handler of ['httpGet', 'tcpSocket'])
        assert.equal(typeof p.get(`${container}.${probe}.${handler}.host`)?.['x-berth-unsupported'], 'string', `${probe}.${handler}.host`);
      assert.equal(p.get(`${container}.${probe}.grpc`)?.['x-berth-unsupported'], undefined, `${probe}.grpc is acted on`);
    }
  });

  it('probes are acted on: nothing is left validated-but-not-acted-on', () => {
    assert.deepEqual(VALIDATED_NOT_ACTED_ON, []);
  });

  it('classifies the Service fields: one-host no-ops ignored, behaviour berth cannot serve unsupported', () => {
    const p = properties(load('service.json'));
    for (const f of [
      'externalTrafficPolicy',
      'internalTrafficPolicy',
      'ipFamilies',
      'ipFamilyPolicy',
      'loadBalancerIP',
      'loadBalancerClass',
      'allocateLoadBalancerNodePorts',
      'healthCheckNodePort',
      'trafficDistribution',
    ]) {
      assert.equal(typeof p.get(`spec.${f}`)?.['x-berth-ignored'], 'string', f);
    }
    assert.equal(typeof p.get('spec.ports[].appProtocol')?.['x-berth-ignored'], 'string', 'appProtocol');
    assert.equal(typeof p.get('spec.sessionAffinityConfig')?.['x-berth-ignored'], 'string', 'sessionAffinityConfig');
    for (const f of ['externalName', 'externalIPs', 'loadBalancerSourceRanges']) assert.equal(typeof p.get(`spec.${f}`)?.['x-berth-unsupported'], 'string', f);
  });

  it('classifies the Ingress fields: TLS and resource backends unsupported', () => {
    const p = properties(load('ingress.json'));
    assert.equal(typeof p.get('spec.tls')?.['x-berth-unsupported'], 'string', 'tls');
    assert.equal(typeof p.get('spec.defaultBackend.resource')?.['x-berth-unsupported'], 'string', 'defaultBackend.resource');
    assert.equal(typeof p.get('spec.rules[].http.paths[].backend.resource')?.['x-berth-unsupported'], 'string', 'paths[].backend.resource');
  });

  it('classifies the ResourceQuota fields: one-host sums checked, requests ignored, scopes unsupported', () => {
    const p = properties(load('resourcequota.json'));
    for (const f of ['pods', 'limits.cpu', 'limits.memory', 'count/deployments.apps', 'services', 'secrets'])
      assert.ok(p.get(`spec.hard.${f}`) && p.get(`spec.hard.${f}`)?.['not'] === undefined, f);
    for (const f of ['requests.cpu', 'requests.memory', 'cpu', 'memory']) assert.equal(typeof p.get(`spec.hard.${f}`)?.['x-berth-ignored'], 'string', f);
    for (const f of ['spec.scopes', 'spec.scopeSelector', 'spec.hard.requests.ephemeral-storage', 'status'])
      assert.equal(typeof p.get(f)?.['x-berth-unsupported'], 'string', f);
  });

  it('SUPPORTED_KINDS lists them for people and tools', () => {
    assert.deepEqual(SUPPORTED_KINDS, [
      { kind: 'Namespace', apiVersion: 'v1', schemaId: 'https://berth.dev/schemas/v1/namespace.json' },
      { kind: 'Deployment', apiVersion: 'apps/v1', schemaId: 'https://berth.dev/schemas/v1/deployment.json' },
      { kind: 'Secret', apiVersion: 'v1', schemaId: 'https://berth.dev/schemas/v1/secret.json' },
      { kind: 'Service', apiVersion: 'v1', schemaId: 'https://berth.dev/schemas/v1/service.json' },
      { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', schemaId: 'https://berth.dev/schemas/v1/ingress.json' },
      { kind: 'ResourceQuota', apiVersion: 'v1', schemaId: 'https://berth.dev/schemas/v1/resourcequota.json' },
      { kind: 'PersistentVolumeClaim', apiVersion: 'v1', schemaId: 'https://berth.dev/schemas/v1/persistentvolumeclaim.json' },
      { kind: 'ConfigMap', apiVersion: 'v1', schemaId: 'https://berth.dev/schemas/v1/configmap.json' },
      { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', schemaId: 'https://berth.dev/schemas/v1/networkpolicy.json' },
      { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2', schemaId: 'https://berth.dev/schemas/v1/horizontalpodautoscaler.json' },
      { kind: 'StatefulSet', apiVersion: 'apps/v1', schemaId: 'https://berth.dev/schemas/v1/statefulset.json' },
    ]);
  });

  it('compile in ajv strict mode', () => {
    for (const kind of Object.keys(KNOWN_KINDS) as (keyof typeof KNOWN_KINDS)[]) assert.equal(typeof validatorFor(kind), 'function');
  });
});

describe('diagnostic codes', () => {
  // every upper-case string literal of 4+ characters in the module's source (the registry and the types excepted)
  const source = readdirSync(SRC)
    .filter((f) => f.endsWith('.ts') && f !== 'codes.ts' && f !== 'types.ts')
    .map((f) => readFileSync(new URL(f, SRC), 'utf8'))
    .join('\n');
  const used = new Set([...source.matchAll(/'([A-Z][A-Z0-9_]{3,})'/g)].map((m) => m[1]!));

  it('every code emitted is registered', () => {
    assert.ok(used.size > 20);
    for (const code of used) assert.ok(code in MANIFEST_DIAGNOSTICS, `${code} is not in MANIFEST_DIAGNOSTICS`);
  });

  it('every registered code is emitted somewhere', () => {
    for (const code of Object.keys(MANIFEST_DIAGNOSTICS)) assert.ok(used.has(code), `${code} is never emitted`);
  });

  it('every registered code is documented in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.keys(MANIFEST_DIAGNOSTICS)) assert.match(doc, new RegExp(`^\\| \`${code}\` \\| `, 'm'), `${code} is missing from docs/errors.md`);
  });
});
