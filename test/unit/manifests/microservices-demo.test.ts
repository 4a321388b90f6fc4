import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadManifests, ManifestCache, type NamespaceManifests } from '../../../src/manifests/index.js';
import { folder, snapshot } from './snapshot-builder.js';

/**
 * GoogleCloudPlatform/microservices-demo's kubernetes-manifests, as a new user would try them
 * (test/fixtures/microservices-demo/). Before ConfigMaps/ServiceAccount/fsGroup berth reported
 * 44 errors; the 11 ServiceAccounts (unknown kind) and the 12 pod `securityContext.fsGroup` are
 * now accepted (the ServiceAccounts with an IGNORED_KIND warning each), Services inside namespaces
 * removed the port conflicts, gRPC probes are probed, and init containers run (the load generator
 * waits for the frontend in one): 0 errors, so the folder applies.
 */
const DIR = new URL('../../fixtures/microservices-demo/boutique/', import.meta.url);

function boutique(): NamespaceManifests {
  const files = Object.fromEntries(readdirSync(DIR).map((f) => [f, readFileSync(new URL(f, DIR), 'utf8')]));
  return loadManifests(snapshot([folder('boutique', files)]), new ManifestCache()).namespaces[0]!;
}

describe('microservices-demo: what berth accepts now', () => {
  const ns = boutique();
  const errors = ns.diagnostics.filter((d) => d.severity === 'error');

  it('ServiceAccounts are ignored with a warning each, never an error', () => {
    const accounts = ns.diagnostics.filter((d) => d.code === 'IGNORED_KIND');
    assert.equal(accounts.length, 11);
    assert.ok(accounts.every((d) => d.severity === 'warning' && d.field === 'kind' && /ServiceAccount/.test(d.message)));
    assert.deepEqual(
      errors.filter((d) => d.code === 'UNKNOWN_KIND'),
      [],
    );
  });

  it('fsGroup is accepted', () => {
    assert.deepEqual(
      errors.filter((d) => d.field?.includes('fsGroup')),
      [],
    );
  });

  it('gRPC probes are accepted: a readiness and a liveness probe on port 50051 in each gRPC service', () => {
    const deployments = [...ns.objects, ...(ns.reportOnly ?? [])].flatMap((o) => (o.kind === 'Deployment' ? [o] : []));
    const grpc = deployments.flatMap((d) =>
      d.spec.template.spec.containers.flatMap((c) => [c.readinessProbe?.grpc, c.livenessProbe?.grpc].filter((g) => g !== undefined)),
    );
    assert.equal(grpc.length, 18);
    assert.ok(grpc.every((g) => g.port > 0));
  });

  it('validates with 0 errors: the load generator’s init container is accepted', () => {
    assert.deepEqual(
      errors.map((d) => `${d.file}:${d.line} ${d.code} ${d.field}`),
      [],
    );
    const loadgen = ns.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'loadgenerator');
    assert.ok(loadgen && loadgen.kind === 'Deployment');
    assert.deepEqual(
      loadgen.spec.template.spec.initContainers?.map((c) => c.name),
      ['frontend-check'],
    );
  });
});
