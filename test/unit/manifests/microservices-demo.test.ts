import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadManifests, ManifestCache, type NamespaceManifests } from '../../../src/manifests/index.js';
import { folder, snapshot } from './snapshot-builder.js';

/**
 * GoogleCloudPlatform/microservices-demo's kubernetes-manifests, as a new user would try them
 * (test/fixtures/microservices-demo/). Before ConfigMaps/ServiceAccount/fsGroup berth reported
 * 44 errors; the 11 ServiceAccounts (unknown kind) and the 12 pod `securityContext.fsGroup` are
 * now accepted (the ServiceAccounts with an IGNORED_KIND warning each). What is left belongs to
 * other work: gRPC probes, init containers, Service port conflicts — 21 errors at this writing.
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

  it('every error left is one of the items of other work (gRPC probes, init containers, Service port conflicts)', () => {
    const otherWork = (field: string | undefined, code: string): boolean =>
      (code === 'UNSUPPORTED_FIELD' && /\.(readiness|liveness|startup)Probe\.grpc$|\.initContainers$/.test(field ?? '')) || code === 'SERVICE_PORT_CONFLICT';
    assert.deepEqual(
      errors.filter((d) => !otherWork(d.field, d.code)).map((d) => `${d.file}:${d.line} ${d.code} ${d.field}`),
      [],
    );
    assert.ok(errors.length <= 21, `${errors.length} errors (21 when ConfigMaps landed; other work only lowers it)`);
  });
});
