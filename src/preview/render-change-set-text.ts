import type {
  AutoscalerChange,
  ChangeSet,
  ClaimChange,
  ConfigMapChange,
  DeploymentChange,
  IngressChange,
  NamespaceChange,
  NetworkPolicyChange,
  ObjectVersion,
  ServiceChange,
} from './change-set.js';
import {
  fieldSign,
  formatDiagnosticAt,
  pruneCounts,
  headErrors,
  headWarnings,
  isNotable,
  namespaceCounts,
  shortCommit,
  sourceLocation,
  summarySentence,
  unchangedName,
  VERDICT_TITLES,
} from './change-set-view.js';
import { describeFieldChange } from './mask.js';

/**
 * The ChangeSet for a terminal (`berth plan --base --head`, the default `-o text`): errors
 * first, then one block per namespace that changes, the prune guard, and the summary last
 * (where a terminal leaves the eye). Stable: the same ChangeSet gives the same bytes.
 *
 *   berth plan 1a2b3c4..5e6f7a8
 *   namespace shop: changed — 1 changed (1 rolls)
 *     ~ deployment web: changed, rolls — RollingUpdate (maxSurge 1, maxUnavailable 0) over 2 replicas: … (shop/web.yaml:2)
 *         revision 0a1b2c3d4e → 5f6a7b8c9d
 *         ~ image: busybox:1.36 → busybox:1.37
 *         ~ env.DB_PASSWORD: changed (value masked)
 *     + service web: added — selects app=web; ports 8081 (target http) (shop/web-service.yaml:2)
 *     ~ ingress shop: changed — + shop.localhost/api (Prefix): api:80 (shop/ingress.yaml:2)
 *   Summary: 1 namespace changed · 1 Deployment changed (1 rolls)
 */
export function renderChangeSetText(cs: ChangeSet): string {
  const lines = [`berth plan ${cs.base ? shortCommit(cs.base) : '(no base)'}..${shortCommit(cs.head)}${cs.root ? ` (manifests under ${cs.root}/)` : ''}`];
  const errors = headErrors(cs);
  if (errors.length > 0) {
    lines.push(`Errors (${errors.length}):`);
    for (const d of errors) lines.push(`  ${formatDiagnosticAt(d, cs.root)}`);
  }
  const warnings = headWarnings(cs);
  if (warnings.length > 0) {
    lines.push(`Warnings (${warnings.length}):`);
    for (const d of warnings) lines.push(`  ${formatDiagnosticAt(d, cs.root)}`);
  }
  for (const ns of cs.namespaces.filter(isNotable)) lines.push(...namespaceLines(ns, cs.root));
  const unchanged = cs.namespaces.filter((n) => !isNotable(n)).map((n) => n.namespace);
  if (unchanged.length > 0) lines.push(`unchanged: ${unchanged.join(', ')}`);
  const guard = cs.pruneGuard;
  if (guard.verdict !== 'no-prunes') {
    lines.push(`Prune guard: ${VERDICT_TITLES[guard.verdict]} — ${pruneCounts(guard)}${guard.reasons.length > 0 ? ', because:' : ''}`);
    for (const r of guard.reasons) lines.push(`  - ${r}`);
  }
  lines.push(`Summary: ${summarySentence(cs.summary)}`);
  return lines.join('\n') + '\n';
}

function namespaceLines(ns: NamespaceChange, root: string): string[] {
  const counts = namespaceCounts(ns);
  const errors = ns.diagnostics.filter((d) => d.severity === 'error').length + ns.denials.length;
  const detail = [counts, ns.message, errors > 0 ? `${errors} error(s) listed above` : ''].filter(Boolean).join('; ');
  const lines = [`namespace ${ns.namespace}: ${ns.status}${detail ? ` — ${detail}` : ''}`];
  for (const o of ns.objects) if (o.change !== 'unchanged') lines.push(...(o.kind === 'Deployment' ? deploymentLines(o, root) : [servingLine(o, root)]));
  const same = ns.objects.filter((o) => o.change === 'unchanged').map(unchangedName);
  if (same.length > 0) lines.push(`  = unchanged: ${same.join(', ')}`);
  return lines;
}

const replicasOf = (v: ObjectVersion): string => `${v.replicas} replica${v.replicas === 1 ? '' : 's'} of ${v.image}`;

function deploymentLines(o: DeploymentChange, root: string): string[] {
  switch (o.change) {
    case 'removed':
      return [
        `  - ${o.workload === 'StatefulSet' ? 'statefulset' : 'deployment'} ${o.name}: removed, pruned (${replicasOf(o.base!)}; was ${sourceLocation(o.base!.source, root)})`,
      ];
    case 'added':
      return [
        `  + ${o.workload === 'StatefulSet' ? 'statefulset' : 'deployment'} ${o.name}: added, ${replicasOf(o.head!)} (${sourceLocation(o.head!.source, root)})`,
        ...o.fields.map((f) => `      ${fieldSign(f)} ${f.field}: ${describeFieldChange(f)}`),
      ];
    default: {
      const because = o.configMapsChanged ? ` because ${o.configMapsChanged.map((n) => `ConfigMap ${n}`).join(', ')} changed` : '';
      const how = o.rolls ? `rolls${because} — ${o.rollout!.description}` : 'does not roll';
      const lines = [`  ~ ${o.workload === 'StatefulSet' ? 'statefulset' : 'deployment'} ${o.name}: changed, ${how} (${sourceLocation(o.head!.source, root)})`];
      if (o.base!.revision !== o.head!.revision) lines.push(`      revision ${o.base!.revision} → ${o.head!.revision}`);
      for (const f of o.fields) lines.push(`      ${fieldSign(f)} ${f.field}: ${describeFieldChange(f)}`);
      return lines;
    }
  }
}

/**
 * A Service or Ingress on one line: what it serves when added, what changed (`; `-separated
 * field changes) when changed, what stops when removed.
 */
function servingLine(o: ServiceChange | IngressChange | ClaimChange | ConfigMapChange | NetworkPolicyChange | AutoscalerChange, root: string): string {
  const what = `${o.kind.toLowerCase()} ${o.name}`;
  switch (o.change) {
    case 'removed':
      return `  - ${what}: removed — ${o.base!.description} (was ${sourceLocation(o.base!.source, root)})`;
    case 'added':
      return `  + ${what}: added — ${o.head!.description} (${sourceLocation(o.head!.source, root)})`;
    default:
      return `  ~ ${what}: changed — ${o.fields.map((f) => `${fieldSign(f)} ${f.field}: ${describeFieldChange(f)}`).join('; ')} (${sourceLocation(o.head!.source, root)})`;
  }
}
