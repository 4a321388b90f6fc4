import { formatDiagnostic } from '../core/index.js';
import type { NamespacePlan, Plan, PlanAction } from './types.js';
import { CONFIRM_VOLUME_DELETE_TRAILER } from './volumes.js';

const short = (commit: string): string => commit.slice(0, 12);

/** `deployment` or `statefulset`, as a plan line names the workload. */
function noun(a: { readonly workload?: 'StatefulSet' }): string {
  return a.workload === 'StatefulSet' ? 'statefulset' : 'deployment';
}

export function renderActionText(a: PlanAction): string {
  switch (a.kind) {
    case 'create-network':
      return `+ network ${a.network}`;
    case 'create-deployment':
      return `+ ${noun(a)} ${a.name}: ${a.replicas} replica(s) of ${a.image} (revision ${a.revision})`;
    case 'update-deployment':
      return `~ ${noun(a)} ${a.name}: roll ${a.fromRevisions.join(', ')} → ${a.toRevision} (${a.image}, ${a.replicas} replica(s), ${a.strategy})${a.configMapsChanged ? ` because ${a.configMapsChanged.map((n) => `ConfigMap ${n}`).join(', ')} changed` : ''}`;
    case 'scale-deployment':
      return `~ ${noun(a)} ${a.name}: scale ${a.from} → ${a.to}`;
    case 'heal-deployment': {
      const parts = [a.exited ? `${a.exited} exited` : '', a.missing ? `${a.missing} missing` : '', a.duplicates ? `${a.duplicates} duplicate` : ''].filter(
        Boolean,
      );
      return `~ ${noun(a)} ${a.name}: heal (${parts.join(', ')})`;
    }
    case 'rollback-deployment':
      return `~ ${noun(a)} ${a.name}: revision ${a.failedRevision} failed (${a.reason}); ${a.toRevision !== undefined ? `roll back to ${a.toRevision} (commit ${short(a.toCommit ?? '')})` : 'nothing to roll back to: held as it runs'}`;
    case 'prune-deployment':
      return `- ${noun(a)} ${a.name}: prune ${a.replicas} replica(s)`;
    case 'remove-strays':
      return `- containers with unusable labels: ${a.containers.join(', ')}`;
    case 'remove-network':
      return `- network ${a.network}`;
    case 'create-volume':
      return `+ volume ${a.volume} for claim ${a.name} (${a.storage}, ${a.storageClass ? `storage class ${a.storageClass}` : 'local driver'})`;
    case 'delete-volume':
      return `- volume ${a.volume} of claim ${a.name} and its data (${a.retention ? 'its StatefulSet scaled down, with persistentVolumeClaimRetentionPolicy whenScaled: Delete' : 'confirmed by the commit'})`;
  }
}

function renderNamespaceText(ns: NamespacePlan): string[] {
  const head = `namespace ${ns.namespace}: ${ns.verdict}${ns.message ? ` — ${ns.message}` : ''}`;
  const lines = [head];
  for (const d of ns.diagnostics) lines.push(`  ${formatDiagnostic(d)}`);
  for (const a of ns.actions) {
    lines.push(`  ${renderActionText(a)}`);
    if ('next' in a && a.next !== undefined) lines.push(`      next pass: ${a.next}`);
  }
  for (const svc of ns.services ?? [])
    lines.push(
      `  = service ${svc.name}: ${svc.type} ${svc.clusterIP ?? `(${svc.note})`}, ports ${svc.ports.join(', ')}${svc.host.length > 0 ? `, host ${svc.host.join(', ')}` : ''}`,
    );
  for (const r of ns.rollbacks ?? [])
    lines.push(
      r.held !== undefined
        ? `  = deployment ${r.name}: revision ${r.revision} failed (${r.held}) with nothing to roll back to; left as it runs until a commit changes it`
        : `  = deployment ${r.name}: rolled back to revision ${r.revision} (commit ${short(r.commit ?? '')}) until a commit changes it`,
    );
  for (const r of ns.refused ?? []) lines.push(`  ! statefulset ${r.name}: ${r.reason}`);
  for (const a of ns.autoscaled ?? [])
    lines.push(
      `  = deployment ${a.deployment}: replicas: managed by HPA ${a.autoscaler} (now ${a.replicas}${a.git !== a.replicas ? `; ${a.git} in Git is only the start` : ''})`,
    );
  for (const v of ns.orphanedVolumes ?? [])
    lines.push(
      `  = volume ${v.volume} of claim ${v.name}: orphaned, kept with its data (berth volume delete ${ns.namespace}/${v.name}, or the commit trailer "${CONFIRM_VOLUME_DELETE_TRAILER}: ${ns.namespace}/${v.name}")`,
    );
  return lines;
}

/** Human-readable plan, stable for the same input. */
export function renderPlanText(plan: Plan): string {
  const lines = [`Plan for commit ${short(plan.commit)}`];
  for (const d of plan.diagnostics) lines.push(formatDiagnostic(d));
  for (const ns of plan.namespaces) lines.push(...renderNamespaceText(ns));
  const s = plan.summary;
  lines.push(
    `Summary: ${s.create} to create, ${s.update} to change, ${s.prune} to prune` +
      (s.invalidNamespaces ? `, ${s.invalidNamespaces} invalid namespace(s) left as they run` : '') +
      (s.refusedNamespaces ? `, ${s.refusedNamespaces} namespace(s) refused by the prune guard` : ''),
  );
  return lines.join('\n') + '\n';
}

/** Machine-readable plan (`-o json`): the Plan itself, stable key order. */
export function renderPlanJson(plan: Plan): string {
  return JSON.stringify(plan, null, 2) + '\n';
}
