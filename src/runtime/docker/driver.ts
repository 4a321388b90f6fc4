/**
 * The RuntimeDriver for one Docker engine, through dockerode. Invariants:
 *  - Ownership: every object this driver creates carries `berth.managed=true` and
 *    `berth.instance=<instance>` (stamped here, whatever the caller's labels say); every
 *    object it changes or removes is checked for both first. Unowned objects are never
 *    adopted, stopped or removed — a name clash with one is ENGINE_CONFLICT.
 *  - Idempotence: ensure* are no-ops when the owned object exists; remove* of a missing
 *    object succeeds. A crashed pass can be replayed.
 *  - Errors: connection failures of any call → ENGINE_UNREACHABLE (cause = the original);
 *    409 → ENGINE_CONFLICT; pull failures → IMAGE_PULL_FAILED; create/start failures →
 *    CONTAINER_START_FAILED (and the half-created container is removed); exec in a missing,
 *    stopped or unowned container → ENGINE_CONFLICT; an exec past its deadline is not an
 *    error but `{ exitCode: -1, timedOut: true }`.
 *  - Volumes: a claim's named volume is created with the owned labels and never changed; it is
 *    removed only by removeVolume (never with a container: `v: false`), and only while no
 *    container at all uses it. A container mounting a missing or unowned volume is refused
 *    before the engine could create an unlabelled one.
 *  - Mounts (host-mounts.ts): host paths are checked (type, no symlinks) and secret volumes'
 *    files written before the container is created, and those files are deleted with it (or,
 *    when a container went away behind berth's back, by a full inventory once they are older
 *    than SWEEP_GRACE_MS). A replica with runAsNonRoot is refused unless it runs as a non-zero
 *    numeric user, as the kubelet does.
 */
import { existsSync, realpathSync } from 'node:fs';
import { chmod, chown } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import type Docker from 'dockerode';
import { listOwnedContainers } from './container-list.js';
import { BerthError, boundedPool, byCodeUnit, silentLogger, type Clock, type Logger } from '../../core/index.js';
import type {
  ContainerSpec,
  ContainerStats,
  ExecResult,
  Inventory,
  NetworkSpec,
  OwnedContainer,
  OwnedNetwork,
  OwnedVolume,
  RuntimeDriver,
  RuntimeEvent,
  VolumeSpec,
} from '../driver.js';
import { PAUSE_IMAGE } from '../driver.js';
import { LABEL, isOwned, ownedFilter, type Labels } from '../labels.js';
import { createClients, parseEngineAddress, resolveSocketPath, resolveTlsDir, type DockerClients } from './client.js';
import { toCreateOptions } from './container-config.js';
import { engineCall, engineMessage, engineStatus, isConnectionError, toEngineError, unreachable } from './errors.js';
import { defaultFilesRoot, HostMounts } from './host-mounts.js';
import { toOwnedContainer, toOwnedNetwork, toRuntimeEvent } from './map.js';
import { ensureOwnedNetwork, notOwnedError, removeOwnedNetwork, type NetworkEngine } from './owned-networks.js';
import { consumeJsonLines } from './ndjson.js';
import { imagePathValue, objectPathValue } from './engine-path.js';
import { scrubEnv } from './scrub-env.js';
import { pauseRootfs } from './pause-image.js';
import { setVolumeRoot } from './volume-root.js';
import { claimVolumeName, judgeInstanceClaim, type ClaimHolder } from '../instance-claim.js';

export interface DockerDriverOptions {
  /** Engine socket. Default: DOCKER_HOST when it is `unix://…`, else /var/run/docker.sock. */
  readonly socketPath?: string;
  /** TLS material (ca.pem, cert.pem, key.pem) for an engine at tcp://; default DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set. */
  readonly tlsDir?: string;
  /** The berth installation this driver acts for: the `berth.instance` label it owns. */
  readonly instance: string;
  readonly logger?: Logger;
  /** Time: the `since` of the event stream, the age of leftover secret files. */
  readonly clock: Clock;
  /** Deadline of an ordinary engine call (socket idle time), ms. Default 30 000. */
  readonly requestTimeoutMs?: number;
  /** Deadline of one image pull, ms. Default 600 000. */
  readonly pullTimeoutMs?: number;
  /** Where the files of secret volumes are written (a folder per instance and container, 0700). Default: defaultFilesRoot(). */
  readonly filesDir?: string;
  /**
   * The state directory this driver acts for: the instance is claimed for it on the engine
   * before the first change (see instance-claim.ts); another state directory's claim is
   * refused with INSTANCE_CLAIMED. Unset: no claim (tests, read-only commands).
   */
  readonly claimFor?: { readonly stateDir: string };
  /** How long a verified claim is trusted before the next change checks it again, ms. Default 10 000. */
  readonly claimRecheckMs?: number;
}

const WATCHED_ACTIONS = ['start', 'die', 'destroy'];
/** Deaths whose recording is awaited at once (exitRecorded); more wait their turn. */
const DEATH_CHECKS_AT_ONCE = 16;

export function createDockerDriver(options: DockerDriverOptions): RuntimeDriver {
  if (!options.instance) throw new BerthError('USAGE', 'the docker driver needs an instance name');
  return new DockerDriver(options);
}

class DockerDriver implements RuntimeDriver {
  /** An engine fixes a container's labels at create. */
  readonly labelsFixed = true;
  private readonly socketPath: string;
  private readonly tlsDir: string | undefined;
  private readonly instance: string;
  private readonly clients: DockerClients;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly requestTimeoutMs: number;
  private readonly pullTimeoutMs: number;
  private readonly mounts: HostMounts;
  private readonly claim: ClaimHolder | undefined;
  private claimed: Promise<void> | undefined;
  private claimedAt = 0;
  private readonly claimRecheckMs: number;
  /** The inspects that wait for deaths to be recorded (exitRecorded): a mass exit asks a few at a time, not thousands at once. */
  private readonly deathChecks = boundedPool(DEATH_CHECKS_AT_ONCE);

  constructor(options: DockerDriverOptions) {
    this.socketPath = resolveSocketPath(options.socketPath);
    this.instance = options.instance;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.pullTimeoutMs = options.pullTimeoutMs ?? 600_000;
    this.tlsDir = resolveTlsDir(options.tlsDir);
    this.clients = createClients(this.socketPath, this.requestTimeoutMs, this.tlsDir);
    this.clock = options.clock;
    this.log = (options.logger ?? silentLogger).child({ component: 'runtime-docker', instance: this.instance });
    this.mounts = new HostMounts(options.filesDir ?? defaultFilesRoot(), this.instance, this.clock);
    this.claim = options.claimFor ? { stateDir: canonicalDir(options.claimFor.stateDir), host: hostname() } : undefined;
    this.claimRecheckMs = options.claimRecheckMs ?? 10_000;
  }

  /**
   * Claims the instance for this driver's state directory, and checks the claim again before a
   * change once it is older than `claimRecheckMs` (a claim can be taken over when its state
   * directory disappears) or after a failure (an engine that was down, a holder that went
   * away). Throws INSTANCE_CLAIMED naming the state directory that holds it.
   */
  claimInstance(): Promise<void> {
    if (!this.claim) return Promise.resolve();
    const now = this.clock.now().getTime();
    if (!this.claimed || now - this.claimedAt >= this.claimRecheckMs) {
      this.claimedAt = now;
      this.claimed = this.takeClaim(this.claim).catch((err: unknown) => {
        this.claimed = undefined;
        throw err;
      });
    }
    return this.claimed;
  }

  private async takeClaim(mine: ClaimHolder, attempt = 0): Promise<void> {
    const name = claimVolumeName(this.instance);
    const labels = this.ownedLabels({ [LABEL.kind]: 'InstanceClaim', [LABEL.stateDir]: mine.stateDir, [LABEL.host]: mine.host });
    // Creating a volume whose name exists returns the existing one, unchanged: the first claim wins, atomically.
    await this.call(`claim instance ${this.instance}`, () => this.clients.api.createVolume({ Name: name, Labels: labels }));
    const info = await this.call(`inspect volume ${name}`, () => this.clients.api.getVolume(name).inspect());
    const verdict = judgeInstanceClaim({ instance: this.instance, mine, labels: info.Labels ?? undefined, stateDirExists: (dir) => existsSync(dir) });
    switch (verdict.kind) {
      case 'held':
        this.log.debug({ volume: name, stateDir: mine.stateDir }, 'instance claimed');
        return;
      case 'stale':
        if (attempt > 0) break;
        this.log.warn({ volume: name, previous: verdict.holder.stateDir }, 'instance claim of a state directory that no longer exists: taken over');
        await this.call(`remove volume ${name}`, () => this.clients.api.getVolume(name).remove());
        return this.takeClaim(mine, attempt + 1);
      case 'foreign':
        throw new BerthError(
          'INSTANCE_CLAIMED',
          `a volume named ${name} exists that berth instance ${this.instance} does not own; berth uses that name to claim the instance and will not touch it`,
          {
            details: { volume: name },
          },
        );
      case 'claimed':
        break;
    }
    const holder = verdict.kind === 'claimed' || verdict.kind === 'stale' ? verdict.holder : undefined;
    throw new BerthError(
      'INSTANCE_CLAIMED',
      `berth instance ${this.instance} is claimed by the state directory ${holder?.stateDir ?? '?'}${holder && holder.host !== mine.host ? ` on host ${holder.host}` : ''}, not ${mine.stateDir}: two state directories acting for one instance would prune each other's objects. Use that --state-dir, or another --instance; if ${holder?.stateDir ?? 'it'} is no longer used, remove it (or the volume ${name})`,
      { details: { instance: this.instance, holder: holder?.stateDir, volume: name } },
    );
  }

  async ping(): Promise<void> {
    await this.call('ping', () => this.clients.api.ping());
  }

  async engineVersion(): Promise<{ readonly version: string; readonly apiVersion: string }> {
    const v = await this.call('version', () => this.clients.api.version());
    return { version: String(v.Version), apiVersion: String(v.ApiVersion) };
  }

  async inventory(filter: { readonly namespace?: string } = {}): Promise<Inventory> {
    const label = ownedFilter(this.instance, filter.namespace);
    const [owned, networks, volumes] = await Promise.all([
      this.call('list containers', () => listOwnedContainers(this.clients.api, this.instance, label)),
      this.call('list networks', () => this.clients.api.listNetworks({ filters: { label } })),
      this.call('list volumes', () => this.clients.api.listVolumes({ filters: { label } })),
    ]);
    if (filter.namespace === undefined) {
      // Every owned container is listed: files of containers that are gone can go too.
      await this.mounts
        .sweep(new Set(owned.map((c) => c.name)))
        .catch((err: unknown) => this.log.warn({ err: String(err) }, 'could not sweep secret volume files'));
    }
    return {
      containers: owned.sort((a, b) => byCodeUnit(a.name, b.name)),
      networks: networks
        .filter((n) => isOwned(n.Labels, this.instance))
        .map(toOwnedNetwork)
        .sort((a, b) => byCodeUnit(a.name, b.name)),
      volumes: (volumes.Volumes ?? [])
        .filter((v) => isOwned(v.Labels ?? undefined, this.instance))
        .map((v): OwnedVolume => ({ name: v.Name, driver: v.Driver, labels: { ...(v.Labels ?? {}) } }))
        .sort((a, b) => byCodeUnit(a.name, b.name)),
    };
  }

  async ensureVolume(spec: VolumeSpec): Promise<void> {
    const existing = await this.volumeNamed(spec.name);
    if (existing) {
      if (!isOwned(existing.Labels ?? undefined, this.instance)) throw this.notOwned('volume', spec.name);
      return;
    }
    // The engine answers a create of an existing name with that volume, whoever owns it: check again after.
    await this.call(`create volume ${spec.name}`, () =>
      this.clients.api.createVolume({ Name: spec.name, Driver: spec.driver, DriverOpts: { ...spec.driverOpts }, Labels: this.ownedLabels(spec.labels) }),
    );
    const created = await this.volumeNamed(spec.name);
    if (!created || !isOwned(created.Labels ?? undefined, this.instance)) throw this.notOwned('volume', spec.name);
    const folder = spec.mode !== undefined || spec.gid !== undefined;
    // An engine at tcp:// or ssh:// is another machine: its volume's folder is set through the engine.
    if (folder && !this.engineIsLocal()) {
      await this.ensureImage(PAUSE_IMAGE);
      await setVolumeRoot(
        { api: this.clients.api, address: this.socketPath, instance: this.instance, log: this.log },
        spec.name,
        spec.mode ?? 0o755,
        spec.gid ?? 0,
      );
    }
    // A local volume's folder is on this host, where berth runs (as for the files it mounts).
    else if (folder && created.Mountpoint) {
      try {
        if (spec.gid !== undefined) await chown(created.Mountpoint, 0, spec.gid);
        if (spec.mode !== undefined) await chmod(created.Mountpoint, spec.mode);
      } catch (err) {
        throw new BerthError(
          'CONTAINER_START_FAILED',
          `volume ${spec.name}: cannot set the mode of its folder (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
          {
            details: { volume: spec.name },
          },
        );
      }
    }
    this.log.info({ volume: spec.name, driver: spec.driver }, 'volume created');
  }

  /** An engine at a unix socket runs on this host: its volumes' folders are in this filesystem. */
  private engineIsLocal(): boolean {
    return parseEngineAddress(this.socketPath).kind === 'unix';
  }

  async removeVolume(name: string): Promise<void> {
    const existing = await this.volumeNamed(name);
    if (!existing) return;
    if (!isOwned(existing.Labels ?? undefined, this.instance)) throw this.notOwned('volume', name);
    const users = await this.call(`list containers using volume ${name}`, () => this.clients.api.listContainers({ all: true, filters: { volume: [name] } }));
    if (users.length > 0) {
      const names = users.map((c) => (c.Names?.[0] ?? c.Id).replace(/^\//, '')).sort();
      throw new BerthError(
        'ENGINE_CONFLICT',
        `volume ${name} is still used by ${names.length === 1 ? 'container' : 'containers'} ${names.join(', ')}; nothing was deleted`,
        { details: { volume: name, reason: 'in-use', containers: names } },
      );
    }
    try {
      await this.clients.api.getVolume(name).remove();
      this.log.warn({ volume: name }, 'volume removed with its data');
    } catch (err) {
      const status = engineStatus(err);
      if (status === 404) return;
      if (status === 409)
        throw new BerthError('ENGINE_CONFLICT', `volume ${name} is in use: ${engineMessage(err)}; nothing was deleted`, {
          cause: err,
          details: { volume: name, reason: 'in-use' },
        });
      throw toEngineError(err, this.socketPath, `remove volume ${name}`);
    }
  }

  async ensureNetwork(spec: NetworkSpec): Promise<OwnedNetwork> {
    await this.claimInstance();
    return toOwnedNetwork(await ensureOwnedNetwork(this.networkEngine(), spec, { driver: 'bridge', labels: this.ownedLabels(spec.labels) }));
  }

  async removeNetwork(name: string): Promise<void> {
    await this.claimInstance();
    await removeOwnedNetwork(this.networkEngine(), name, 'containers');
  }

  private networkEngine(): NetworkEngine {
    return { api: this.clients.api, socketPath: this.socketPath, instance: this.instance, log: this.log };
  }

  async ensureImage(image: string): Promise<void> {
    if (await this.hasImage(image)) return;
    if (image === PAUSE_IMAGE) return this.importPauseImage();
    this.log.info({ image }, 'pulling image');
    const deadline = AbortSignal.timeout(this.pullTimeoutMs);
    const pullFailed = (reason: string, cause?: unknown): BerthError =>
      new BerthError('IMAGE_PULL_FAILED', `image ${image} could not be pulled: ${reason}`, { cause, details: { image } });
    try {
      const stream = (await this.clients.streams.pull(image, { abortSignal: deadline })) as Readable; // a query parameter, encoded by the client; checked by hasImage first
      let failure: string | undefined;
      const how = await consumeJsonLines(stream, (progress) => {
        const p = progress as { error?: unknown; errorDetail?: { message?: unknown } } | null;
        const message = p?.errorDetail?.message ?? p?.error;
        if (typeof message === 'string' && message !== '') failure = message;
      });
      if (failure !== undefined) throw pullFailed(failure);
      if (how === 'closed') throw unreachable(this.socketPath, `pull ${image}`, new Error('the engine closed the pull stream before it finished'));
    } catch (err) {
      if (err instanceof BerthError) throw err;
      if (deadline.aborted) throw pullFailed(`no result within ${Math.round(this.pullTimeoutMs / 1000)} s`, err);
      if (isConnectionError(err)) throw unreachable(this.socketPath, `pull ${image}`, err);
      throw pullFailed(engineMessage(err), err);
    }
    if (!(await this.hasImage(image))) throw pullFailed('the engine reported success but the image is not present');
    this.log.info({ image }, 'image pulled');
  }

  /** Makes PAUSE_IMAGE from berth's own one-file root filesystem (pause-image.ts). */
  private async importPauseImage(): Promise<void> {
    const [repo, tag] = PAUSE_IMAGE.split(':');
    const stream = (await this.call(`import ${PAUSE_IMAGE}`, () => this.clients.streams.importImage(pauseRootfs(), { repo, tag }))) as Readable;
    let failure: string | undefined;
    await consumeJsonLines(stream, (progress) => {
      const p = progress as { error?: unknown } | null;
      if (typeof p?.error === 'string' && p.error !== '') failure = p.error;
    });
    if (failure !== undefined || !(await this.hasImage(PAUSE_IMAGE)))
      throw new BerthError('IMAGE_PULL_FAILED', `image ${PAUSE_IMAGE} could not be made: ${failure ?? 'the engine did not keep it'}`, {
        details: { image: PAUSE_IMAGE },
      });
    this.log.info({ image: PAUSE_IMAGE }, 'image made');
  }

  async runContainer(spec: ContainerSpec): Promise<OwnedContainer> {
    await this.claimInstance();
    this.mounts.begin(spec.name);
    try {
      return await this.createAndStart(spec);
    } finally {
      this.mounts.end(spec.name);
    }
  }

  private async createAndStart(spec: ContainerSpec): Promise<OwnedContainer> {
    const log = this.log.child({ container: spec.name, image: spec.image });
    imagePathValue(spec.image); // refuses a malformed reference before any engine call (it travels in the body here, in paths elsewhere)
    await this.checkNonRoot(spec);
    await this.checkVolumes(spec);
    const prepared = await this.mounts.prepare(spec);
    const labels = this.ownedLabels({
      ...spec.labels,
      ...(spec.security?.hostNetwork ? { [LABEL.hostPorts]: JSON.stringify(spec.ports.map((p) => `${p.containerPort}/${p.protocol}`)) } : {}),
    });
    let container: Docker.Container;
    // Engine messages about this container may quote its env (values can be secrets): scrubbed,
    // and the raw engine error is not kept as the cause (a cause reaches logs). See scrub-env.ts.
    const scrub = (text: string) => scrubEnv(text, spec.env);
    try {
      container = await this.clients.api.createContainer(toCreateOptions(spec, labels, prepared.mounts));
    } catch (err) {
      await prepared.discard();
      const message = scrub(engineMessage(err));
      if (isConnectionError(err)) throw unreachable(this.socketPath, `create container ${spec.name}`, err);
      if (engineStatus(err) === 409) {
        throw new BerthError('ENGINE_CONFLICT', `container name ${spec.name} is already in use: ${message}`, {
          details: { container: spec.name, status: 409 },
        });
      }
      if (engineStatus(err) === 404 && /no such image/i.test(message)) {
        throw new BerthError('IMAGE_PULL_FAILED', `image ${spec.image} is not present on the engine: ${message}`, {
          details: { image: spec.image, status: 404 },
        });
      }
      throw new BerthError('CONTAINER_START_FAILED', `container ${spec.name} could not be created: ${message}`, {
        details: { container: spec.name, image: spec.image, ...(engineStatus(err) !== undefined ? { status: engineStatus(err) } : {}) },
      });
    }
    try {
      await container.start();
    } catch (err) {
      await this.discard(container.id, log);
      await prepared.discard();
      if (isConnectionError(err)) throw unreachable(this.socketPath, `start container ${spec.name}`, err);
      throw new BerthError('CONTAINER_START_FAILED', `container ${spec.name} (${spec.image}) could not be started: ${scrub(engineMessage(err))}`, {
        details: { container: spec.name, image: spec.image, ...(engineStatus(err) !== undefined ? { status: engineStatus(err) } : {}) },
      });
    }
    log.info({ id: container.id }, 'container started');
    // Read back through the list endpoint: the same shape, and the same mapping, as inventory.
    const [listed] = await this.call(`list container ${spec.name}`, () => this.clients.api.listContainers({ all: true, filters: { id: [container.id] } }));
    if (listed === undefined) {
      throw new BerthError('ENGINE_CONFLICT', `container ${spec.name} disappeared right after it started`, { details: { container: spec.name } });
    }
    return toOwnedContainer(listed);
  }

  async removeContainer(id: string, graceSeconds: number): Promise<void> {
    await this.claimInstance();
    const owned = await this.ownedContainer(id);
    if (!owned) return;
    const { fullId, name } = owned;
    const log = this.log.child({ container: name, id: fullId });
    try {
      const stopped = await this.stop(fullId, graceSeconds);
      if (stopped) log.info({ graceSeconds: Math.max(0, Math.ceil(graceSeconds)) }, 'container stopped');
    } catch (err) {
      if (engineStatus(err) === 404) return;
      if (isConnectionError(err)) throw unreachable(this.socketPath, `stop container ${name}`, err);
      // Anything else non-fatal is settled by the forced remove below.
      log.warn({ err: engineMessage(err) }, 'stop failed; removing with force');
    }
    try {
      await this.clients.api.getContainer(objectPathValue('container', fullId)).remove({ force: true, v: false }); // never volumes: they outlive containers
      log.info('container removed');
    } catch (err) {
      if (engineStatus(err) !== 404) throw toEngineError(err, this.socketPath, `remove container ${name}`);
    }
    await this.mounts.remove(name);
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    await this.claimInstance();
    const owned = await this.ownedContainer(id);
    if (!owned) return;
    const { fullId, name } = owned;
    try {
      const stopped = await this.stop(fullId, graceSeconds);
      if (stopped) this.log.info({ container: name, id: fullId, graceSeconds: Math.max(0, Math.ceil(graceSeconds)) }, 'container stopped (kept)');
    } catch (err) {
      if (engineStatus(err) === 404) return;
      throw toEngineError(err, this.socketPath, `stop container ${name}`);
    }
  }

  async exec(id: string, command: readonly string[], timeoutMs: number): Promise<ExecResult> {
    if (command.length === 0) throw new BerthError('USAGE', 'exec needs a command');
    const owned = await this.ownedContainer(id);
    if (!owned) throw new BerthError('ENGINE_CONFLICT', `container ${id} does not exist (exec)`, { details: { container: id, reason: 'gone' } });
    const { fullId, name } = owned;
    if (!owned.running) {
      throw new BerthError('ENGINE_CONFLICT', `container ${name} is not running (exec)`, { details: { container: name, reason: 'not-running' } });
    }
    // One deadline for the whole exchange (create, start, drain, inspect): aborting it ends
    // whichever engine call is in flight and destroys the output stream.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), Math.max(1, timeoutMs));
    const timedOut: ExecResult = { exitCode: -1, timedOut: true };
    try {
      const exec = await this.clients.api.getContainer(objectPathValue('container', fullId)).exec({
        Cmd: [...command],
        AttachStdin: false,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        abortSignal: deadline.signal,
      });
      // On the stream client: the command may legitimately stay quiet for the whole timeout.
      const stream = (await this.clients.streams
        .getExec(objectPathValue('exec', exec.id))
        .start({ hijack: true, stdin: false, abortSignal: deadline.signal })) as Duplex;
      await drain(stream, deadline.signal);
      // The output ends when the process exits; the engine records the exit code just after.
      for (;;) {
        if (deadline.signal.aborted) return timedOut;
        const info = await this.clients.api.getExec(objectPathValue('exec', exec.id)).inspect({ abortSignal: deadline.signal });
        if (!info.Running && typeof info.ExitCode === 'number') {
          this.log.debug({ container: name, command: command[0], exitCode: info.ExitCode }, 'exec finished');
          return { exitCode: info.ExitCode };
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } catch (err) {
      if (deadline.signal.aborted) return timedOut;
      const status = engineStatus(err);
      if (status === 404 || status === 409 || status === 500) {
        // Gone, stopped or paused between the check above and the exec.
        throw new BerthError('ENGINE_CONFLICT', `cannot exec in container ${name}: ${engineMessage(err)}`, {
          cause: err,
          details: { container: name, status },
        });
      }
      throw toEngineError(err, this.socketPath, `exec in container ${name}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async logs(
    id: string,
    options: { readonly follow: boolean; readonly since?: number; readonly tail?: number; readonly timestamps?: boolean },
    onText: (stream: 'stdout' | 'stderr', text: string) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const owned = await this.ownedContainer(id);
    if (!owned) throw new BerthError('ENGINE_CONFLICT', `container ${id} does not exist (logs)`, { details: { container: id, reason: 'gone' } });
    if (signal?.aborted) return;
    const request = new AbortController();
    const onAbort = (): void => request.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const query = {
      stdout: true,
      stderr: true,
      timestamps: options.timestamps === true,
      ...(options.since !== undefined ? { since: options.since } : {}),
      ...(options.tail !== undefined ? { tail: options.tail } : {}),
      abortSignal: request.signal,
    };
    try {
      // On the stream client: a followed log may stay quiet for as long as the container lives.
      const container = this.clients.streams.getContainer(objectPathValue('container', owned.fullId));
      if (!options.follow) {
        const raw = (await container.logs({ ...query, follow: false })) as unknown;
        for (const frame of logFrames(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)))) onText(frame.stream, frame.text);
        return;
      }
      const stream = (await container.logs({ ...query, follow: true })) as unknown as Readable;
      request.signal.addEventListener('abort', () => stream.destroy(), { once: true });
      let pending: Buffer = Buffer.alloc(0);
      await new Promise<void>((resolve) => {
        stream.on('data', (chunk: Buffer) => {
          pending = Buffer.concat([pending, chunk]);
          const { frames, rest } = splitFrames(pending);
          pending = rest;
          for (const frame of frames) onText(frame.stream, frame.text);
        });
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', () => resolve());
      });
    } catch (err) {
      if (request.signal.aborted) return;
      if (engineStatus(err) === 404)
        throw new BerthError('ENGINE_CONFLICT', `container ${owned.name} is gone (logs)`, { details: { container: owned.name, reason: 'gone' } });
      throw toEngineError(err, this.socketPath, `logs of container ${owned.name}`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async watch(onEvent: (event: RuntimeEvent) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    // `since` = now: events between this call and the stream being established are replayed
    // by the engine, so a caller that acts right after calling watch() misses nothing.
    const since = this.clock.now().getTime() / 1000;
    const deliver = (event: RuntimeEvent): void => {
      try {
        onEvent(event);
      } catch (err) {
        this.log.error({ err }, 'runtime event handler threw');
      }
    };
    // One controller for the request: the caller's abort ends it at any time; until the
    // engine answers, so does the request deadline (a hung engine must not hang the watcher).
    const request = new AbortController();
    const onAbort = (): void => request.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const connectDeadline = setTimeout(() => request.abort(), this.requestTimeoutMs);
    try {
      let stream: Readable;
      try {
        stream = (await this.clients.streams.getEvents({
          since,
          filters: { type: ['container'], event: WATCHED_ACTIONS, label: ownedFilter(this.instance) },
          abortSignal: request.signal,
        } as Docker.GetEventsOptions)) as Readable;
      } catch (err) {
        if (!signal.aborted) deliver({ kind: 'stream-error', error: toEngineError(err, this.socketPath, 'watch events') });
        return;
      } finally {
        clearTimeout(connectDeadline);
      }
      // Aborting the request destroys the response too; destroy it explicitly all the same.
      request.signal.addEventListener('abort', () => stream.destroy(), { once: true });
      if (signal.aborted) stream.destroy();
      try {
        await consumeJsonLines(
          stream,
          (value) => {
            const event = toRuntimeEvent(value, this.instance);
            if (event?.kind === 'container-died') void this.exitRecorded(event.id).then(() => signal.aborted || deliver(event));
            else if (event) deliver(event);
          },
          (line) => this.log.warn({ line: line.slice(0, 200) }, 'skipping an event line that is not JSON'),
        );
        if (!signal.aborted) {
          deliver({ kind: 'stream-error', error: unreachable(this.socketPath, 'watch events', new Error('the engine closed the event stream')) });
        }
      } catch (err) {
        if (!signal.aborted) deliver({ kind: 'stream-error', error: toEngineError(err, this.socketPath, 'watch events') });
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  // --- helpers -------------------------------------------------------------------------

  /**
   * Resolves once the engine's list shows the container `die` announced as exited. Docker 20.10
   * sends `die` while it still handles the exit, under the container's lock: the event, then the
   * cleanup (network, mounts), then the list's snapshot (daemon/monitor.go; newer engines send it
   * after the snapshot). Here the list said "running" for 50–120 ms after the event, so a pass
   * the event woke saw the replica running, did nothing, and looked again only a second later:
   * every crash was noticed a second late, and a crash loop met the progress deadline before
   * its second exit on a loaded CI. An inspect takes that lock, so it returns after the
   * snapshot. Never rejects: a container already gone is as recorded as it gets.
   */
  private async exitRecorded(id: string): Promise<void> {
    await this.deathChecks(() =>
      this.clients.api
        .getContainer(objectPathValue('container', id))
        .inspect()
        .catch(() => undefined),
    );
  }

  /**
   * runAsNonRoot, as the kubelet checks it: the container must run as a non-zero numeric user —
   * `user`, else the image's USER (a name cannot be verified without the image's passwd file).
   */
  private async checkNonRoot(spec: ContainerSpec): Promise<void> {
    const security = spec.security;
    if (!security?.runAsNonRoot) return;
    const refuse = (why: string): never => {
      throw new BerthError('CONTAINER_START_FAILED', `container ${spec.name}: runAsNonRoot is set but ${why}`, {
        details: { container: spec.name, image: spec.image },
      });
    };
    if (security.user) {
      if (security.user.uid === 0) refuse('runAsUser is 0 (root)');
      return;
    }
    let user: string;
    try {
      user = (await this.clients.api.getImage(imagePathValue(spec.image)).inspect()).Config?.User ?? '';
    } catch (err) {
      throw toEngineError(err, this.socketPath, `inspect image ${spec.image}`);
    }
    const name = user.split(':')[0] ?? '';
    if (name === '' || name === 'root' || /^0+$/.test(name))
      refuse(`image ${spec.image} runs as root (USER ${user === '' ? 'unset' : user}); set securityContext.runAsUser to a non-zero id`);
    if (!/^\d+$/.test(name))
      refuse(`image ${spec.image} runs as user ${JSON.stringify(name)}, which berth cannot verify is not root; set securityContext.runAsUser to a non-zero id`);
  }

  /**
   * Every named volume the spec mounts must exist and be owned: the engine would otherwise create
   * a missing one silently — unlabelled, so berth could neither find nor protect it.
   */
  private async checkVolumes(spec: ContainerSpec): Promise<void> {
    for (const m of spec.mounts ?? []) {
      if (m.kind !== 'volume') continue;
      const volume = await this.volumeNamed(m.name);
      if (!volume) {
        throw new BerthError(
          'CONTAINER_START_FAILED',
          `container ${spec.name}: volume ${m.name} (for ${m.target}) does not exist; berth creates a claim's volume before its replicas`,
          { details: { container: spec.name, volume: m.name } },
        );
      }
      if (!isOwned(volume.Labels ?? undefined, this.instance)) throw this.notOwned('volume', m.name);
    }
  }

  /** The volume named exactly `name`, or undefined. */
  private async volumeNamed(name: string): Promise<Docker.VolumeInspectInfo | undefined> {
    try {
      return (await this.clients.api.getVolume(name).inspect()) as Docker.VolumeInspectInfo;
    } catch (err) {
      if (engineStatus(err) === 404) return undefined;
      throw toEngineError(err, this.socketPath, `inspect volume ${name}`);
    }
  }

  /** Runs one engine call, mapping its failure with the shared rules. */
  private call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return engineCall(this.socketPath, action, fn);
  }

  /**
   * The container `id` names, checked for ownership: undefined when it does not exist; throws
   * when it exists but is not owned. Callers act on `fullId` — exactly the container whose
   * labels were checked, not on a name that may be reused.
   */
  async stats(id: string): Promise<ContainerStats | undefined> {
    let raw: unknown;
    try {
      raw = await this.clients.api.getContainer(objectPathValue('container', id)).stats({ stream: false, 'one-shot': true } as { stream: false });
    } catch (err) {
      if (engineStatus(err) === 404) return undefined;
      throw toEngineError(err, this.socketPath, `stats of container ${id}`);
    }
    return statsOf(raw);
  }

  private async ownedContainer(id: string): Promise<{ fullId: string; name: string; running: boolean } | undefined> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.clients.api.getContainer(objectPathValue('container', id)).inspect();
    } catch (err) {
      if (engineStatus(err) === 404) return undefined;
      throw toEngineError(err, this.socketPath, `inspect container ${id}`);
    }
    const labels: Labels = info.Config?.Labels ?? {};
    const name = info.Name.replace(/^\//, '');
    // The safety invariant: whatever the caller asks, an unowned container is never touched.
    if (!isOwned(labels, this.instance)) throw this.notOwned('container', name);
    return { fullId: info.Id, name, running: info.State?.Running === true && info.State?.Paused !== true };
  }

  /**
   * SIGTERM, then SIGKILL after the grace period. True when it stopped a running container,
   * false when it was already stopped (engine 304); other engine errors are thrown as they are.
   */
  private async stop(fullId: string, graceSeconds: number): Promise<boolean> {
    const grace = Math.max(0, Math.ceil(graceSeconds));
    try {
      // On the stream client: stop legitimately takes up to the grace period.
      await this.clients.streams.getContainer(objectPathValue('container', fullId)).stop({
        t: grace,
        abortSignal: AbortSignal.timeout(grace * 1000 + this.requestTimeoutMs),
      });
      return true;
    } catch (err) {
      if (engineStatus(err) === 304) return false;
      throw err;
    }
  }

  /** The caller's labels plus the ownership labels, which always win. */
  private ownedLabels(labels: Labels): Labels {
    return { ...labels, [LABEL.managed]: 'true', [LABEL.instance]: this.instance };
  }

  private async hasImage(image: string): Promise<boolean> {
    try {
      await this.clients.api.getImage(imagePathValue(image)).inspect();
      return true;
    } catch (err) {
      if (engineStatus(err) === 404) return false;
      throw toEngineError(err, this.socketPath, `inspect image ${image}`);
    }
  }

  /** Best-effort removal of a container this driver just created and failed to start. */
  private async discard(id: string, log: Logger): Promise<void> {
    try {
      await this.clients.api.getContainer(objectPathValue('container', id)).remove({ force: true, v: false });
    } catch (err) {
      if (engineStatus(err) !== 404) log.warn({ id, err: engineMessage(err) }, 'could not remove a container that failed to start');
    }
  }

  private notOwned(kind: 'network' | 'container' | 'volume', name: string): BerthError {
    return notOwnedError(this.instance, kind, name);
  }
}

/**
 * The engine's log frames of a container without a TTY: a stream byte (1 stdout, 2 stderr),
 * three zero bytes, a big-endian payload length, the payload. Returns the whole frames in
 * `buffer` and the bytes of an incomplete last one.
 */
export function splitFrames(buffer: Buffer): { frames: { stream: 'stdout' | 'stderr'; text: string }[]; rest: Buffer } {
  const frames: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  let at = 0;
  while (at + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(at + 4);
    if (at + 8 + size > buffer.length) break;
    frames.push({ stream: buffer[at] === 2 ? 'stderr' : 'stdout', text: buffer.subarray(at + 8, at + 8 + size).toString('utf8') });
    at += 8 + size;
  }
  return { frames, rest: buffer.subarray(at) };
}

/** Every frame of a complete log; a log that is not framed (a TTY container's) is one stdout text. */
export function logFrames(buffer: Buffer): { stream: 'stdout' | 'stderr'; text: string }[] {
  const framed = buffer.length >= 8 && buffer[0]! <= 2 && buffer[1] === 0 && buffer[2] === 0 && buffer[3] === 0;
  if (!framed) return buffer.length > 0 ? [{ stream: 'stdout', text: buffer.toString('utf8') }] : [];
  return splitFrames(buffer).frames;
}

/** Reads and discards a stream until it ends, fails, or `signal` aborts (which destroys it). */
function drain(stream: Duplex, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = (): void => {
      stream.destroy();
      done();
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', done);
    stream.resume();
  });
}

/** One spelling per directory (symlinks and relative paths resolved), so the same state directory is never seen as another. */
function canonicalDir(dir: string): string {
  try {
    return realpathSync.native(dir);
  } catch {
    return path.resolve(dir);
  }
}

/** A subnet as Docker's IPAM takes it: gateway at its first address, replicas in the lower half (core/ipv4.ts). */
/**
 * The engine's stats document → a reading. cgroup v1 and v2 both: memory is `usage` less the
 * reclaimable file cache (`total_inactive_file` on v1, `inactive_file` on v2, as the docker CLI
 * computes it). A stopped container's document has no usage: undefined.
 */
export function statsOf(raw: unknown): ContainerStats | undefined {
  const doc = raw as {
    read?: string;
    cpu_stats?: { cpu_usage?: { total_usage?: number } };
    memory_stats?: { usage?: number; stats?: Record<string, number> };
  };
  const cpu = doc?.cpu_stats?.cpu_usage?.total_usage;
  const usage = doc?.memory_stats?.usage;
  const at = doc?.read ? Date.parse(doc.read) : Number.NaN;
  if (typeof cpu !== 'number' || typeof usage !== 'number' || !Number.isFinite(at) || at <= 0) return undefined;
  const stats = doc.memory_stats?.stats ?? {};
  const cache = stats['total_inactive_file'] ?? stats['inactive_file'] ?? 0;
  return { cpuSeconds: cpu / 1e9, memoryBytes: Math.max(0, usage - (cache < usage ? cache : 0)), at };
}
