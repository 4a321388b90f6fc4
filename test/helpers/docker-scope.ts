/**
 * A per-test slice of the real Docker engine. Each scope has its own berth instance name
 * (`t-<label>-<random>`), so what one test creates is invisible to every other test's
 * driver, and `cleanup()` removes exactly what carries that name:
 *  - owned objects: label `berth.instance=<instance>`;
 *  - deliberately unowned objects (for "never touched" tests): label
 *    `berth.test-run=<instance>` and no `berth.managed`.
 * Cleanup talks to the engine through dockerode directly, so it works even when the driver
 * under test is broken. Register it before creating anything:
 *
 *   const scope = dockerScope('run');
 *   t.after(() => scope.cleanup());
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import type { Logger } from '../../src/core/index.js';
import { LABEL, type RuntimeDriver } from '../../src/runtime/index.js';
import { createDockerDriver, DEFAULT_SOCKET_PATH } from '../../src/runtime/docker/index.js';

/** Marks objects a test created on purpose without berth's ownership labels. */
export const TEST_RUN_LABEL = 'berth.test-run';

/** The image every Docker test uses (local: FROM scratch + static busybox). */
export const TEST_IMAGE = 'busybox:1.36';

export function socketPath(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : DEFAULT_SOCKET_PATH;
}

/** A dockerode client for asserting against (and arranging) the real engine. */
export function dockerClient(): Docker {
  return new Docker({ socketPath: socketPath(), host: undefined, port: undefined, protocol: 'http' });
}

export interface UnownedContainer {
  readonly id: string;
  readonly name: string;
}

export interface DockerScope {
  /** Unique per scope; use it as the driver's instance. */
  readonly instance: string;
  readonly socketPath: string;
  /** A driver for this scope's instance. */
  driver(options?: { logger?: Logger; requestTimeoutMs?: number }): RuntimeDriver;
  /** Ownership labels for this scope (`berth.managed`, `berth.instance`) plus `extra`. */
  labels(extra?: Record<string, string>): Record<string, string>;
  /** An engine-unique object name for this scope: `<instance>.<suffix>`. */
  name(suffix: string): string;
  /** Runs a container berth does not own (no `berth.managed`), removed by cleanup(). */
  runUnownedContainer(options?: { name?: string; cmd?: string[]; labels?: Record<string, string> }): Promise<UnownedContainer>;
  /** Creates a network berth does not own, removed by cleanup(). Returns its id. */
  createUnownedNetwork(name: string): Promise<string>;
  /** Force-removes every container, network and volume of this scope. Safe to call twice. */
  cleanup(): Promise<void>;
}

export function dockerScope(label = 'test'): DockerScope {
  const safe = label
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 20);
  const instance = `t-${safe}-${randomBytes(4).toString('hex')}`;
  const docker = dockerClient();
  const path = socketPath();

  const scope: DockerScope = {
    instance,
    socketPath: path,
    driver(options = {}) {
      return createDockerDriver({ socketPath: path, instance, clock: { now: () => new Date() }, ...options });
    },
    labels(extra = {}) {
      return { ...extra, [LABEL.managed]: 'true', [LABEL.instance]: instance };
    },
    name(suffix) {
      return `${instance}.${suffix}`;
    },
    async runUnownedContainer(options = {}) {
      const name = options.name ?? scope.name(`unowned-${randomBytes(2).toString('hex')}`);
      const container = await docker.createContainer({
        name,
        Image: TEST_IMAGE,
        Entrypoint: options.cmd ?? ['sleep', '3600'],
        Labels: { ...options.labels, [TEST_RUN_LABEL]: instance },
        HostConfig: { Init: true },
      });
      await container.start();
      return { id: container.id, name };
    },
    async createUnownedNetwork(name) {
      const network = await docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { [TEST_RUN_LABEL]: instance } });
      return network.id;
    },
    async cleanup() {
      const selectors = [`${LABEL.instance}=${instance}`, `${TEST_RUN_LABEL}=${instance}`];
      const failures: unknown[] = [];
      const ignoreMissing = async (fn: () => Promise<unknown>): Promise<void> => {
        try {
          await fn();
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode !== 404) failures.push(err);
        }
      };
      // Containers first: networks and volumes in use cannot be removed.
      for (const label of selectors) {
        const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
        await Promise.all(containers.map((c) => ignoreMissing(() => docker.getContainer(c.Id).remove({ force: true, v: true }))));
      }
      for (const label of selectors) {
        const networks = await docker.listNetworks({ filters: { label: [label] } });
        await Promise.all(networks.map((n) => ignoreMissing(() => docker.getNetwork(n.Id).remove())));
      }
      for (const label of selectors) {
        const { Volumes: volumes } = await docker.listVolumes({ filters: { label: [label] } });
        await Promise.all((volumes ?? []).map((v) => ignoreMissing(() => docker.getVolume(v.Name).remove({ force: true }))));
      }
      if (failures.length > 0) throw new AggregateError(failures, `docker scope ${instance}: cleanup left ${failures.length} object(s) behind`);
    },
  };
  return scope;
}
