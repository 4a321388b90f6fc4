/**
 * The Compose peer: what `docker compose up -d` does to a service with 10 replicas after its
 * environment changed. With a Compose CLI on the machine (`docker compose` or
 * `docker-compose`) the real one runs; without one it is emulated through the engine API,
 * step for step as Compose v2 does it (pkg/compose/convergence.go):
 *
 *   for every replica, all at once:  create the new container under a temporary name
 *                                    (`<old id[:12]>_<name>`) → stop the old one (stop
 *                                    timeout = stop_grace_period) → remove it → rename the new
 *                                    one to the replica's name
 *   then, one after the other:       start every new container
 *
 * Compose does not wait for readiness (without --wait) and knows no load balancer, so every
 * replica is down from its old container's stop until its new one is started and healthy.
 * The containers: the same image and command, Init, 127.0.0.1 ephemeral port, a user bridge
 * network with the service alias, the same healthcheck as the Swarm service, labelled like
 * Compose's (`com.docker.compose.project`, `…service`, `…container-number`).
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import type { Backend } from '../../src/proxy/index.js';
import { now } from '../push-to-serve/clock.js';
import { HEALTH_CMD } from './swarm.js';

const execFileAsync = promisify(execFile);

export interface ComposeOptions {
  readonly docker: Docker;
  readonly project: string;
  readonly image: string;
  readonly replicas: number;
  readonly command: readonly string[];
  /** Extra labels on every container (the benchmark's cleanup label). */
  readonly labels: Record<string, string>;
  /** Stop timeout, seconds (stop_grace_period). */
  readonly stopGraceSeconds: number;
  /** For the real CLI: where the compose file is written. */
  readonly scratchDir: string;
}

export interface ComposeContainer {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly running: boolean;
  readonly healthy: boolean;
  readonly hostPort?: number;
}

export interface UpResult {
  /** The recreate step (create, stop, remove, rename of every replica) finished (emulation only). */
  readonly replacedAt?: number;
  /** `up -d` returned. */
  readonly returnedAt: number;
}

export interface ComposeDriver {
  /** `real: docker compose` / `emulated (no Compose CLI on this machine)`. */
  readonly description: string;
  up(version: string): Promise<UpResult>;
  containers(): Promise<ComposeContainer[]>;
  down(): Promise<void>;
}

/** Which Compose CLI exists here, if any. */
export async function findComposeCli(): Promise<readonly string[] | undefined> {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    try {
      await execFileAsync(cmd[0]!, [...cmd.slice(1), 'version'], { timeout: 10_000 });
      return cmd;
    } catch {
      // not there
    }
  }
  return undefined;
}

const SERVICE = 'web';
const PROJECT_LABEL = 'com.docker.compose.project';
const SERVICE_LABEL = 'com.docker.compose.service';
const NUMBER_LABEL = 'com.docker.compose.container-number';
const VERSION_LABEL = 'bench.version';

async function listContainers(o: ComposeOptions): Promise<ComposeContainer[]> {
  const list = await o.docker.listContainers({ all: true, filters: { label: [`${PROJECT_LABEL}=${o.project}`, `${SERVICE_LABEL}=${SERVICE}`] } });
  return list.map((c) => {
    const port = c.Ports.find((p) => p.PrivatePort === 8080 && p.PublicPort)?.PublicPort;
    return {
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      version: c.Labels[VERSION_LABEL] ?? '',
      running: c.State === 'running',
      healthy: c.State === 'running' && /\(healthy\)/.test(c.Status),
      ...(port ? { hostPort: port } : {}),
    };
  });
}

/** The LB's view (Traefik's Docker provider does the same): running containers whose healthcheck says healthy. */
export function composeBackends(driver: ComposeDriver): () => Promise<Backend[]> {
  return async () =>
    (await driver.containers()).filter((c) => c.healthy && c.hostPort !== undefined).map((c) => ({ id: c.id, host: '127.0.0.1', port: c.hostPort! }));
}

export async function composeDriver(o: ComposeOptions): Promise<ComposeDriver> {
  const cli = await findComposeCli();
  return cli ? new ComposeCli(o, cli) : new ComposeEmulation(o);
}

class ComposeEmulation implements ComposeDriver {
  readonly description = 'emulated through the engine API, as Compose v2 does it (no `docker compose` / `docker-compose` on this machine)';
  private readonly network: string;

  constructor(private readonly o: ComposeOptions) {
    this.network = `${o.project}_default`;
  }

  containers(): Promise<ComposeContainer[]> {
    return listContainers(this.o);
  }

  private body(name: string, n: number, version: string): Docker.ContainerCreateOptions {
    return {
      name,
      Image: this.o.image,
      Cmd: [...this.o.command],
      Env: [`VERSION=${version}`],
      Labels: { ...this.o.labels, [PROJECT_LABEL]: this.o.project, [SERVICE_LABEL]: SERVICE, [NUMBER_LABEL]: String(n), [VERSION_LABEL]: version },
      ExposedPorts: { '8080/tcp': {} },
      StopTimeout: this.o.stopGraceSeconds,
      Healthcheck: { Test: ['CMD-SHELL', HEALTH_CMD], Interval: 1e9, Timeout: 1e9, Retries: 3, StartPeriod: 0 },
      HostConfig: {
        Init: true,
        RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
        NetworkMode: this.network,
        PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      },
      NetworkingConfig: { EndpointsConfig: { [this.network]: { Aliases: [SERVICE] } } },
    };
  }

  async up(version: string): Promise<UpResult> {
    const d = this.o.docker;
    if ((await d.listNetworks({ filters: { name: [this.network] } })).every((n) => n.Name !== this.network)) {
      await d.createNetwork({ Name: this.network, Driver: 'bridge', CheckDuplicate: true, Labels: { ...this.o.labels, [PROJECT_LABEL]: this.o.project } });
    }
    const existing = (await this.containers()).filter((c) => c.version !== version);
    const nameOf = (n: number) => `${this.o.project}-${SERVICE}-${n}`;
    let created: Docker.Container[];
    if (existing.length === 0) {
      // First `up`: scale up, every replica created at once.
      created = await Promise.all(Array.from({ length: this.o.replicas }, (_, i) => d.createContainer(this.body(nameOf(i + 1), i + 1, version))));
    } else {
      // recreateContainer() for every diverged replica, all at once.
      created = await Promise.all(
        existing.map(async (old) => {
          const n = Number(old.name.slice(old.name.lastIndexOf('-') + 1));
          const name = nameOf(n);
          const fresh = await d.createContainer(this.body(`${old.id.slice(0, 12)}_${name}`, n, version));
          await d
            .getContainer(old.id)
            .stop({ t: this.o.stopGraceSeconds })
            .catch((err: { statusCode?: number }) => {
              if (err.statusCode !== 304) throw err;
            });
          await d.getContainer(old.id).remove();
          await fresh.rename({ name });
          return fresh;
        }),
      );
    }
    const replacedAt = now();
    // startService(): one container after the other.
    for (const c of created) await c.start();
    return { replacedAt, returnedAt: now() };
  }

  async down(): Promise<void> {
    const d = this.o.docker;
    await Promise.all(
      (await this.containers()).map((c) =>
        d
          .getContainer(c.id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
    await d
      .getNetwork(this.network)
      .remove()
      .catch(() => undefined);
  }
}

/** The real CLI, when there is one: a compose file with the same service, `up -d` after each change. */
class ComposeCli implements ComposeDriver {
  readonly description: string;
  private readonly file: string;

  constructor(
    private readonly o: ComposeOptions,
    private readonly cli: readonly string[],
  ) {
    this.description = `real: \`${cli.join(' ')} up -d\``;
    this.file = path.join(o.scratchDir, 'compose.yaml');
  }

  containers(): Promise<ComposeContainer[]> {
    return listContainers(this.o);
  }

  private async run(args: readonly string[]): Promise<void> {
    await execFileAsync(this.cli[0]!, [...this.cli.slice(1), '-p', this.o.project, '-f', this.file, ...args], {
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  }

  async up(version: string): Promise<UpResult> {
    // `$` is Compose's interpolation character: `$$` passes a literal `$` to the shell.
    const esc = (s: string) => JSON.stringify(s.replaceAll('$', '$$$$'));
    const labels = { ...this.o.labels, [VERSION_LABEL]: version };
    const yaml = [
      'services:',
      `  ${SERVICE}:`,
      `    image: ${JSON.stringify(this.o.image)}`,
      `    command: [${this.o.command.map(esc).join(', ')}]`,
      '    init: true',
      '    environment:',
      `      VERSION: ${JSON.stringify(version)}`,
      '    labels:',
      ...Object.entries(labels).map(([k, v]) => `      ${JSON.stringify(k)}: ${JSON.stringify(v)}`),
      '    ports:',
      '      - "127.0.0.1::8080"',
      '    healthcheck:',
      `      test: ["CMD-SHELL", ${esc(HEALTH_CMD)}]`,
      '      interval: 1s',
      '      timeout: 1s',
      '      retries: 3',
      `    stop_grace_period: ${this.o.stopGraceSeconds}s`,
      '    deploy:',
      `      replicas: ${this.o.replicas}`,
      '',
    ].join('\n');
    await fsp.writeFile(this.file, yaml);
    await this.run(['up', '-d']);
    return { returnedAt: now() };
  }

  async down(): Promise<void> {
    await this.run(['down', '--timeout', '1']).catch(() => undefined);
  }
}
