/**
 * The data plane process `berth run` starts (`berth proxy`), seen from a test: its status over
 * the control socket in the state directory, and stopping it (it outlives `berth run` on
 * purpose, so every test that starts one must stop it).
 */
import http from 'node:http';
import { join } from 'node:path';

export interface ProxyStatusView {
  readonly pid: number;
  readonly namespaces: readonly {
    namespace: string;
    services: readonly { name: string; ports: readonly { port: number; backends: readonly { id: string }[] }[] }[];
  }[];
  readonly active: Record<string, number>;
  readonly draining: readonly string[];
}

export function proxySocket(stateDir: string): string {
  return join(stateDir, 'proxy.sock');
}

export function dataPlaneStatus(stateDir: string): Promise<ProxyStatusView | undefined> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: proxySocket(stateDir), path: '/v1/status', timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as ProxyStatusView) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Ready backends the data plane routes to for one Service port (0 when it does not know the Service). */
export function backendsOf(status: ProxyStatusView | undefined, namespace: string, service: string): string[] {
  const table = status?.namespaces.find((n) => n.namespace === namespace);
  return table?.services.find((s) => s.name === service)?.ports[0]?.backends.map((b) => b.id) ?? [];
}

/** Stops the data plane of a state directory, if one runs (SIGTERM, then SIGKILL). */
export async function stopDataPlane(stateDir: string): Promise<void> {
  const status = await dataPlaneStatus(stateDir);
  if (!status) return;
  const alive = () => {
    try {
      process.kill(status.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  process.kill(status.pid, 'SIGTERM');
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(status.pid, 'SIGKILL');
}
