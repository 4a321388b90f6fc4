import { compareDiagnostics, hasErrors, type Diagnostic } from '../core/index.js';
import type { ManifestSet, NamespaceManifests } from '../manifests/index.js';
import { networkName } from './names.js';
import { normalizeDeployment } from './normalize.js';
import type { DesiredDeployment, DesiredNamespace, DesiredState } from './types.js';

/** ManifestSet → DesiredState. Pure; an invalid namespace stays in the result, marked invalid, with no objects. */
export function buildDesiredState(set: ManifestSet, options: { instance: string }): DesiredState {
  return {
    commit: set.commit,
    instance: options.instance,
    namespaces: set.namespaces.map((ns) => buildNamespace(ns, options.instance)),
    diagnostics: set.diagnostics,
  };
}

export function buildNamespace(ns: NamespaceManifests, instance: string): DesiredNamespace {
  const diagnostics: Diagnostic[] = [...ns.diagnostics];
  const deployments: DesiredDeployment[] = [];
  if (ns.valid) {
    for (const object of ns.objects) {
      if (object.kind !== 'Deployment') continue;
      const result = normalizeDeployment(object, ns.name);
      diagnostics.push(...result.diagnostics);
      if (result.deployment) deployments.push(result.deployment);
    }
  }
  const valid = ns.valid && !hasErrors(diagnostics);
  deployments.sort((a, b) => a.name.localeCompare(b.name));
  return {
    name: ns.name,
    network: networkName(instance, ns.name),
    valid,
    deployments: valid ? deployments : [],
    diagnostics: diagnostics.sort(compareDiagnostics),
  };
}
