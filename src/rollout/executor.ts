import { BerthError, canonicalJson, isBerthError, type Logger } from '../core/index.js';
import {
  isPod,
  isSecretEnv,
  podMembers,
  type DesiredDeployment,
  type EnvEntry,
  type InitContainer,
  type Mount,
  type PodContainer,
  type ProbeSpec,
} from '../desired/index.js';
import type { ProbeAddress, ProbeResult } from '../health/index.js';
import type { ObservedReplica } from '../observed/index.js';
import { PAUSE_IMAGE, type ContainerFile, type ContainerSpec, type RuntimeDriver } from '../runtime/index.js';
import { describeSecretLookup, secretUnavailable, type SecretLookup, type SecretResolver } from '../secrets/index.js';
import { initContainerSpec, podSpecs, replicaSpec, sharedEmptyDirs } from './container-spec.js';
import type { MemberRestart } from './member-restarts.js';
import type { Creation, Removal, Step } from './step.js';

/** Grace period for replicas of a Deployment no longer in Git (its template is gone). */
export const PRUNE_GRACE_SECONDS = 30;

export interface ApplyStepOptions {
  readonly driver: RuntimeDriver;
  readonly step: Step;
  /** `undefined` when the step prunes a Deployment removed from Git. */
  readonly desired: DesiredDeployment | undefined;
  readonly instance: string;
  readonly network: string;
  /** Where ports with a hostPort are published (--service-address). Default 127.0.0.1. */
  readonly hostPortAddress?: string;
  /** The namespace DNS new replicas resolve through (issue #9); absent: the engine's defaults. */
  readonly dns?: ContainerSpec['dns'];
  readonly logger: Logger;
  /** Reads the values of env vars from Secrets. Without one, a template that has any fails with SECRET_UNAVAILABLE. */
  readonly secrets?: SecretResolver;
  /**
   * Takes running replicas out of the data plane's rotation and waits for their in-flight
   * connections (up to the grace period) before they are stopped.
   */
  readonly drain?: (ids: readonly string[], graceSeconds: number) => Promise<void>;
  /**
   * Runs a native sidecar's startup probe until it succeeds or fails for good (health's
   * awaitStartup): the containers after it start only once it passed, as the kubelet does.
   * Absent: the next container starts once the sidecar runs.
   */
  readonly awaitStartup?: (probe: ProbeSpec, target: ProbeAddress) => Promise<ProbeResult>;
  /**
   * Takes the step's removals off the critical path: they are handed over (the replicas' ids and
   * the drain + stop + delete under way) instead of awaited, and the step ends once its creations
   * are made — terminating, as Kubernetes' pods are once deleted. Not for a removal whose
   * replacement reuses its name, a Recreate (the new ones start once the old are gone), nor a
   * StatefulSet (an ordinal is replaced only once gone): those are awaited. Absent: all awaited.
   */
  readonly detachRemovals?: (ids: readonly string[], removal: Promise<void>) => void;
}

/**
 * Applies exactly one step: Secret values for the new replicas are read first (so a missing
 * one fails the step before anything old is removed), then removals (drained out of the
 * data plane's rotation, then each stopped gracefully and removed) alongside creations (image
 * pulled only if missing) — one after the other when a creation reuses a removed replica's
 * name; with `detachRemovals`, handed over as terminating rather than awaited. Every action is
 * idempotent with respect to the next pass: a crash half-way leaves labelled containers the
 * next pass accounts for. Values are never logged: the log lines name containers only.
 */
export async function applyStep(options: ApplyStepOptions): Promise<void> {
  const { driver, step, desired, logger } = options;
  if (step.kind !== 'act') return;
  // A Pod resolves each of its containers below (its first included); a single container, here.
  const single = step.create.length > 0 && desired !== undefined && !isPod(desired.template);
  const env = single ? await resolveEnv(desired, options.secrets) : undefined;
  const files = single ? await resolveFiles(desired, options.secrets) : undefined;
  const grace = desired?.template.stopGraceSeconds ?? PRUNE_GRACE_SECONDS;
  const serving = step.remove.filter((r) => r.replica.state === 'running').map((r) => r.replica.id);
  const removals = async () => {
    if (serving.length > 0 && options.drain) await options.drain(serving, grace);
    await Promise.all(
      step.remove.map(async ({ replica, reason }) => {
        logger.info({ container: replica.name, fromRevision: replica.revision, replica: replica.replica, reason }, 'removing replica');
        await removePod(driver, replica, grace);
      }),
    );
  };
  // A replacement in the same slot reuses the name: the old container must be gone first.
  const sameNames = step.remove.some((r) => step.create.some((c) => c.revision === r.replica.revision && c.replica === r.replica.replica));
  const detached =
    options.detachRemovals !== undefined &&
    step.remove.length > 0 &&
    !sameNames &&
    !desired?.stateful &&
    !step.remove.some((r) => r.reason === 'recreate' || r.replica.kind === 'StatefulSet');
  const detach = () =>
    options.detachRemovals!(
      step.remove.map((r) => r.replica.id),
      removals(),
    );
  if (step.create.length === 0) return detached ? detach() : void (await removals());
  if (!desired) throw new Error('internal: a step without a desired Deployment cannot create replicas');
  const inits = desired.template.initContainers ?? [];
  const firstContainer = (creation: Creation) => startsWith(inits, creation, step.remove);
  // emptyDirs shared with init containers: the replica's own volumes, made before a container of it mounts them.
  const ensureSharedDirs = async (creation: Creation, mounts: readonly Mount[]): Promise<void> => {
    const fsGroup = desired.template.security?.fsGroup;
    for (const v of sharedEmptyDirs(options.instance, desired, creation, mounts))
      await driver.ensureVolume({
        name: v.name,
        driver: 'local',
        driverOpts: {},
        labels: v.labels,
        ...(fsGroup !== undefined ? { mode: 0o2777, gid: fsGroup } : { mode: 0o777 }),
      });
  };
  const initInputs = step.create.some((c) => firstContainer(c) !== undefined)
    ? await Promise.all(
        inits.map(async (init) => ({
          init,
          env: await resolveEnv(desired, options.secrets, init.env),
          files: await resolveFiles(desired, options.secrets, init.mounts ?? []),
        })),
      )
    : [];
  const members = isPod(desired.template) ? podMembers(desired.template) : [];
  const memberInputs = await podInputs(desired, options.secrets);
  // A Pod: the infra container first (it holds the network namespace), then sidecars one by one in order, then the app containers together.
  const createPod = async (creation: Creation): Promise<void> => {
    const specs = podSpecs({
      desired,
      creation,
      instance: options.instance,
      network: options.network,
      inputs: memberInputs,
      ...(options.hostPortAddress ? { hostPortAddress: options.hostPortAddress } : {}),
      ...(options.dns ? { dns: options.dns } : {}),
    });
    logger.info(
      { container: specs.infra.name, replica: creation.replica, commit: creation.commit, containers: members.map((m) => m.container.name) },
      creation.restart ? 'restarting replica' : 'creating replica',
    );
    await ensureSharedDirs(
      creation,
      members.flatMap((m) => m.container.mounts ?? []),
    );
    const infra = await driver.runContainer(specs.infra);
    for (const [i, member] of specs.members.entries()) {
      if (!member.sidecar) continue;
      const started = await driver.runContainer(member.join(infra.id));
      // The next container starts once this sidecar's startup probe passed; one that fails is stopped, and restarts in place after its back-off.
      if (!(await sidecarStarted(options, members[i]!.container, started, infra.ports))) return;
    }
    await Promise.all(specs.members.filter((m) => !m.sidecar).map((m) => driver.runContainer(m.join(infra.id))));
  };
  const creations = async () => {
    if (members.length > 0) await Promise.all([PAUSE_IMAGE, ...new Set(members.map((m) => m.container.image))].map((image) => driver.ensureImage(image)));
    await driver.ensureImage(desired.template.image);
    await Promise.all(
      step.create.map(async (creation) => {
        const first = firstContainer(creation);
        if (first !== undefined) {
          // The replica starts with an init container; the pass after it exits starts the next one, or the app.
          const { init, env: initEnv, files: initFiles } = initInputs[first]!;
          await driver.ensureImage(init.image);
          const spec = initContainerSpec({
            desired,
            init,
            creation,
            instance: options.instance,
            network: options.network,
            env: initEnv,
            files: initFiles,
            ...(options.dns ? { dns: options.dns } : {}),
          });
          logger.info({ container: spec.name, init: init.name, replica: creation.replica }, `starting init container ${first + 1} of ${inits.length}`);
          await ensureSharedDirs(creation, init.mounts ?? []);
          await driver.runContainer(spec);
          return;
        }
        if (isPod(desired.template)) return void (await createPod(creation));
        if (!env) throw new Error('internal: the env of a single-container replica was not resolved');
        const spec = replicaSpec({
          desired,
          creation,
          instance: options.instance,
          network: options.network,
          env,
          ...(files ? { files } : {}),
          ...(options.hostPortAddress ? { hostPortAddress: options.hostPortAddress } : {}),
          ...(options.dns ? { dns: options.dns } : {}),
        });
        logger.info({ container: spec.name, replica: creation.replica, commit: creation.commit }, creation.restart ? 'restarting replica' : 'creating replica');
        await ensureSharedDirs(creation, desired.template.mounts ?? []);
        await driver.runContainer(spec);
      }),
    );
  };
  // Otherwise the old replicas drain and stop while the new ones start (handed over, or awaited with them).
  // Every input of the new replicas is resolved above: nothing old goes before a missing Secret fails the step.
  if (detached) {
    detach();
    await creations();
  } else if (sameNames) {
    await removals();
    await creations();
  } else {
    await Promise.all([removals(), creations()]);
  }
}

/** The env and secret files of each container of a Pod template, in start order (podMembers), resolved for containers about to be created. */
async function podInputs(desired: DesiredDeployment, secrets: SecretResolver | undefined) {
  const members = isPod(desired.template) ? podMembers(desired.template) : [];
  return Promise.all(
    members.map(async ({ container: c }) => ({
      env: await resolveEnv(desired, secrets, c.env),
      files: await resolveFiles(desired, secrets, c.mounts ?? []),
    })),
  );
}

/**
 * Starts containers of running Pods again in place (memberRestarts decided which): the ones of
 * that name that are down are removed (the new one reuses the name), then the container is
 * created from the template, joined to the Pod's infra container, with its restart record as
 * labels. The Pod keeps its address, its other containers and its shared emptyDirs.
 */
export async function restartPodMembers(
  options: Pick<ApplyStepOptions, 'driver' | 'instance' | 'network' | 'logger' | 'secrets' | 'awaitStartup'> & {
    readonly desired: DesiredDeployment;
    readonly restarts: readonly MemberRestart[];
  },
): Promise<void> {
  const { driver, desired, logger } = options;
  if (options.restarts.length === 0) return;
  const members = podMembers(desired.template);
  const inputs = await podInputs(desired, options.secrets);
  const failedPods = new Set<string>();
  for (const r of options.restarts) {
    if (failedPods.has(r.replica.id)) continue; // a sidecar before it did not start up
    const index = members.findIndex((m) => m.container.name === r.container);
    const member = members[index];
    if (!member) continue; // not a container of this template (the revision matched, so it cannot be)
    const specs = podSpecs({
      desired,
      creation: { revision: r.replica.revision, replica: r.replica.replica, commit: r.replica.commit, restart: true, restartRecord: r.restartRecord },
      instance: options.instance,
      network: options.network,
      inputs,
    });
    logger.info({ container: r.replica.name, podContainer: r.container, restarts: r.restartRecord.count }, 'restarting a container of a pod in place');
    for (const old of r.remove) await driver.removeContainer(old.id, 0);
    await driver.ensureImage(member.container.image);
    const started = await driver.runContainer(specs.members[index]!.join(r.replica.id));
    // A sidecar whose startup probe fails holds back the Pod's later containers (memberRestarts restarts those after it).
    if (member.sidecar && !(await sidecarStarted(options, member.container, started, r.replica.ports))) failedPods.add(r.replica.id);
  }
}

/**
 * Whether a sidecar just started may let the next container start: it has no startup probe, or
 * its startup probe passed (awaitStartup). One that failed is stopped (logged), so the Pod is
 * not ready and it restarts in place after its back-off.
 */
async function sidecarStarted(
  options: Pick<ApplyStepOptions, 'driver' | 'logger' | 'awaitStartup'>,
  sidecar: PodContainer,
  started: { readonly id: string },
  ports: ProbeAddress['ports'],
): Promise<boolean> {
  const probe = sidecar.probes?.startup;
  if (!probe || !options.awaitStartup) return true;
  const result = await options.awaitStartup(probe, { containerId: started.id, ports });
  if (result.ok) return true;
  options.logger.warn(
    { podContainer: sidecar.name, reason: result.message },
    "sidecar's startup probe failed: it is stopped, and the pod's later containers wait until it restarts and starts up",
  );
  await options.driver.stopContainer(started.id, 0);
  return false;
}

/**
 * Which init container a creation starts with (its index), or undefined: the app container.
 *   no init containers                                   → the app
 *   a new replica                                        → 0
 *   after init container k exited 0 (`afterInit`)       → k + 1, or the app after the last
 *   a restart replacing a failed init container          → 0 (they run again, in order)
 *   a restart replacing the app (it exited)              → the app (Kubernetes does not rerun init containers on a container restart)
 */
export function startsWith(inits: readonly InitContainer[], creation: Creation, removed: readonly Removal[]): number | undefined {
  if (inits.length === 0) return undefined;
  if (creation.afterInit !== undefined) {
    const done = inits.findIndex((c) => c.name === creation.afterInit);
    return done + 1 < inits.length ? done + 1 : undefined;
  }
  if (!creation.restart) return 0;
  const replaced = removed.find((r) => r.replica.revision === creation.revision && r.replica.replica === creation.replica);
  return replaced?.replica.init !== undefined ? 0 : undefined;
}

/**
 * Removes a replica: a Pod's app containers together, then its sidecars last to first, then its
 * infra container (the network namespace goes last); a single-container replica is one removal.
 */
export async function removePod(driver: RuntimeDriver, replica: ObservedReplica, graceSeconds: number): Promise<void> {
  const members = replica.members ?? [];
  await Promise.all(members.filter((m) => !m.sidecar).map((m) => driver.removeContainer(m.id, graceSeconds)));
  for (const m of members.filter((m) => m.sidecar).reverse()) await driver.removeContainer(m.id, graceSeconds);
  await driver.removeContainer(replica.id, graceSeconds);
}

/**
 * The template's env with every Secret reference replaced by its value, read now (each key
 * once). An optional reference whose source is absent leaves the variable out. Errors are
 * SECRET_UNAVAILABLE naming the Secret, key and source; an unexpected error from a resolver is
 * reported by its code only, as its message could hold bytes it read.
 */
export async function resolveEnv(
  desired: DesiredDeployment,
  secrets: SecretResolver | undefined,
  entries: readonly EnvEntry[] = desired.template.env,
): Promise<ContainerSpec['env']> {
  // `{ name, value }` only: a value's `configMap` (where it came from) is for plans.
  if (!entries.some(isSecretEnv)) return entries.map((e) => ({ name: e.name, value: (e as { value: string }).value }));
  const reads = new Map<string, Promise<string | undefined>>();
  const read = (lookup: SecretLookup): Promise<string | undefined> => {
    const key = canonicalJson(lookup.ref);
    let pending = reads.get(key);
    if (!pending) {
      pending = readOne(lookup, secrets);
      reads.set(key, pending);
    }
    return pending;
  };
  const values = await Promise.all(
    entries.map(async (entry) => {
      if (!isSecretEnv(entry)) return { name: entry.name, value: entry.value };
      const value = await read({ namespace: desired.namespace, ref: entry.secretRef });
      return value === undefined ? undefined : { name: entry.name, value };
    }),
  );
  return values.filter((e): e is { name: string; value: string } => e !== undefined);
}

/**
 * The files of the template's secret volumes with their values, read now, by volume name
 * (each Secret key once). An optional file whose source is absent is left out. Errors as
 * resolveEnv's. Values go to the driver in the ContainerSpec and nowhere else.
 */
export async function resolveFiles(
  desired: DesiredDeployment,
  secrets: SecretResolver | undefined,
  mounts: readonly Mount[] = desired.template.mounts ?? [],
): Promise<ReadonlyMap<string, readonly ContainerFile[]>> {
  const out = new Map<string, readonly ContainerFile[]>();
  const reads = new Map<string, Promise<string | undefined>>();
  for (const mount of mounts) {
    if (mount.source.kind !== 'secret' || out.has(mount.volume)) continue;
    const files = await Promise.all(
      mount.source.files.map(async (f) => {
        const ref = { secret: f.secret, key: f.key, source: f.source, ...(f.optional ? { optional: true as const } : {}) };
        const key = canonicalJson(ref);
        let pending = reads.get(key);
        if (!pending) {
          pending = readOne({ namespace: desired.namespace, ref }, secrets);
          reads.set(key, pending);
        }
        const value = await pending;
        return value === undefined ? undefined : { path: f.path, value, mode: f.mode };
      }),
    );
    out.set(
      mount.volume,
      files.filter((f): f is ContainerFile => f !== undefined),
    );
  }
  return out;
}

async function readOne(lookup: SecretLookup, secrets: SecretResolver | undefined): Promise<string | undefined> {
  if (!secrets) throw secretUnavailable(lookup, 'berth was started without a secret resolver');
  try {
    return await secrets.resolve(lookup);
  } catch (err) {
    if (isBerthError(err) && err.code === 'SECRET_UNAVAILABLE') throw err;
    const code = (err as { code?: unknown } | null)?.code;
    throw new BerthError(
      'SECRET_UNAVAILABLE',
      `${describeSecretLookup(lookup)}: the resolver failed (${typeof code === 'string' ? code : 'unexpected error'})`,
    );
  }
}
