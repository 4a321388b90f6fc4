import { formatDiagnostic, type Diagnostic } from '../core/index.js';
import type { StoreState } from '../store/index.js';

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
        `  deployment ${d.name}: ${d.availableReplicas}/${d.replicas} available, ${d.updatedReplicas} updated, revision ${d.revision}, ${d.phase}${d.message ? ` — ${d.message}` : ''}`,
      );
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
    for (const diag of ns.diagnostics.filter((x) => x.severity === 'error')) lines.push(`  ${formatDiagnostic(diag)}`);
  }
  return lines.join('\n') + '\n';
}
