import { formatDiagnostic, type Diagnostic } from '../core/index.js';
import type { AutoscalerRecord, StoreState } from '../store/index.js';

export function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export function renderDiagnostics(diagnostics: readonly Diagnostic[]): string {
  if (diagnostics.length === 0) return 'no problems found\n';
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const lines = diagnostics.map(formatDiagnostic);
  lines.push(`${errors} error(s), ${diagnostics.length - errors} warning(s)`);
  return lines.join('\n') + '\n';
}

const short = (c: string | undefined): string => (c ? c.slice(0, 12) : '-');

export function renderStatus(state: StoreState): string {
  const lines: string[] = [];
  if (state.source) {
    lines.push(`source ${state.source.description} at ${short(state.source.commit)}${state.source.error ? ` (last fetch failed: ${state.source.error})` : ''}`);
  } else {
    lines.push('no sync has run yet (start `berth run` or `berth apply --once`)');
  }
  const names = Object.keys(state.namespaces).sort();
  for (const name of names) {
    const ns = state.namespaces[name]!;
    lines.push(
      `namespace ${name}: ${ns.phase}  applied ${short(ns.lastAppliedCommit)}  attempted ${short(ns.lastAttemptedCommit)}${ns.message ? `  — ${ns.message}` : ''}`,
    );
    for (const d of ns.deployments) {
      lines.push(
        `  ${d.kind === 'StatefulSet' ? 'statefulset' : 'deployment'} ${d.name}: ${d.availableReplicas}/${d.replicas} available, ${d.updatedReplicas} updated, revision ${d.revision}, ${d.phase}${d.message ? ` — ${d.message}` : ''}`,
      );
      for (const p of d.placement ?? [])
        lines.push(`    replica ${p.replica} (revision ${p.revision}) ${p.state}${p.node ? ` on ${p.node}` : ''}${p.reason ? ` — ${p.reason}` : ''}`);
    }
    for (const svc of ns.services ?? []) {
      const where = [
        svc.clusterIP === 'None' ? 'headless' : svc.clusterIP ? `${svc.clusterIP}:${svc.port} in the namespace` : undefined,
        svc.listen ? `${svc.listen} on the host` : undefined,
      ]
        .filter((x) => x !== undefined)
        .join(', ');
      lines.push(
        `  service ${svc.name}:${svc.port}${svc.type ? ` (${svc.type})` : ''}: ${where || 'no address'} → ${svc.endpoints} ready endpoint(s)${svc.error ? ` — ${svc.error}` : ''}`,
      );
    }
    for (const v of ns.volumes ?? []) {
      lines.push(
        `  volume ${v.name}: ${v.phase}, ${v.volume}${v.storage ? ` (${v.storage}${v.storageClass ? `, class ${v.storageClass}` : ''})` : ''}${v.message ? ` — ${v.message}` : ''}`,
      );
    }
    for (const hpa of Object.values(state.autoscalers ?? {}).filter((a) => a.namespace === name)) lines.push(...renderAutoscaler(hpa));
    for (const diag of ns.diagnostics.filter((x) => x.severity === 'error')) lines.push(`  ${formatDiagnostic(diag)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * An HPA as `kubectl describe hpa` sums it up: its count, each metric now against its target,
 * the last scale and why, and the conditions that are not the quiet default.
 *   hpa burn → deployment burn: current 3, desired 3; cpu utilization 640 (target 50); last scaled 2 → 3 at … (metric above target …)
 *     ScalingLimited True TooManyReplicas: the desired replica count is more than the maximum replica count (3)
 */
function renderAutoscaler(hpa: AutoscalerRecord): string[] {
  const metrics = (hpa.metrics ?? []).map((m) => `${m.metric} ${m.current ?? '?'} (target ${m.target})${m.error ? ` — ${m.error}` : ''}`);
  const last = hpa.lastScale ? `; last scaled ${hpa.lastScale.from} → ${hpa.lastScale.to} at ${hpa.lastScale.at} (${hpa.lastScale.reason})` : '';
  const current = hpa.currentReplicas !== undefined ? `current ${hpa.currentReplicas}, ` : '';
  const lines = [
    `  hpa ${hpa.name} → deployment ${hpa.target}: ${current}desired ${hpa.replicas}${metrics.length > 0 ? `; ${metrics.join(', ')}` : ''}${last}`,
  ];
  const quiet = new Set(['ReadyForNewScale', 'ValidMetricFound', 'DesiredWithinRange', 'SucceededRescale']);
  for (const c of hpa.conditions ?? []) if (!quiet.has(c.reason)) lines.push(`    ${c.type} ${c.status} ${c.reason}: ${c.message}`);
  return lines;
}
