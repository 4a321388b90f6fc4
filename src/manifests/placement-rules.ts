import type { Emit } from './deployment-rules.js';
import type { FieldPath } from './locate.js';
import { checkSelector } from './network-policy-rules.js';
import type { NodeRequirementSpec, PodTemplate } from './types.js';

/**
 * What the schema cannot say of a pod's placement rules (Kubernetes' own validation): a node
 * requirement has values exactly for In and NotIn, one integer for Gt and Lt, none for Exists
 * and DoesNotExist; matchFields name metadata.name only; label selectors as everywhere.
 */
export function checkPlacement(template: PodTemplate, emit: Emit): void {
  const at: FieldPath = ['spec', 'template', 'spec'];
  const affinity = template.spec.affinity;
  const terms = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const termsAt: FieldPath = [...at, 'affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms'];
  for (const [i, term] of terms.entries()) {
    for (const [j, r] of (term.matchExpressions ?? []).entries()) checkRequirement(r, [...termsAt, i, 'matchExpressions', j], emit);
    for (const [j, r] of (term.matchFields ?? []).entries()) {
      const where: FieldPath = [...termsAt, i, 'matchFields', j];
      if (r.key !== 'metadata.name') emit('error', 'INVALID_VALUE', [...where, 'key'], 'must be metadata.name (the only node field Kubernetes selects on)');
      checkRequirement(r, where, emit);
    }
  }
  const anti = affinity?.podAntiAffinity;
  const antiAt: FieldPath = [...at, 'affinity', 'podAntiAffinity'];
  for (const [i, t] of (anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []).entries())
    if (t.labelSelector) checkSelector(t.labelSelector, [...antiAt, 'requiredDuringSchedulingIgnoredDuringExecution', i, 'labelSelector'], emit);
  for (const [i, t] of (anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []).entries())
    if (t.podAffinityTerm.labelSelector)
      checkSelector(
        t.podAffinityTerm.labelSelector,
        [...antiAt, 'preferredDuringSchedulingIgnoredDuringExecution', i, 'podAffinityTerm', 'labelSelector'],
        emit,
      );
  for (const [i, c] of (template.spec.topologySpreadConstraints ?? []).entries())
    if (c.labelSelector) checkSelector(c.labelSelector, [...at, 'topologySpreadConstraints', i, 'labelSelector'], emit);
}

function checkRequirement(r: NodeRequirementSpec, at: FieldPath, emit: Emit): void {
  const values = r.values ?? [];
  if (r.operator === 'In' || r.operator === 'NotIn') {
    if (values.length === 0) emit('error', 'INVALID_VALUE', [...at, 'values'], `must hold at least one value for operator ${r.operator}`);
  } else if (r.operator === 'Gt' || r.operator === 'Lt') {
    if (values.length !== 1 || !/^-?\d+$/.test(values[0]!))
      emit('error', 'INVALID_VALUE', [...at, 'values'], `must hold exactly one integer for operator ${r.operator}`);
  } else if (values.length > 0) emit('error', 'INVALID_VALUE', [...at, 'values'], `must be empty for operator ${r.operator}`);
}
