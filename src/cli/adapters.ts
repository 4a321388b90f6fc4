import type { Clock, Logger } from '../core/index.js';
import type { DataPlane } from '../proxy/index.js';
import type { RuntimeDriver } from '../runtime/index.js';
import type { SecretResolver } from '../secrets/index.js';
import type { GitSource } from '../source/index.js';
import type { Store, StoreState } from '../store/index.js';
import type { LogLevel } from './option-values.js';

/** Source and runtime flags shared by the commands (Argo CD's names). */
export interface CommonOptions {
  readonly repo: string;
  readonly ref?: string;
  readonly path: string;
  readonly stateDir: string;
  readonly instance: string;
  readonly dockerSocket?: string;
  /** TLS material (ca.pem, cert.pem, key.pem) for an engine at tcp:// (`--docker-tls-dir`). */
  readonly dockerTlsDir?: string;
  /**
   * The runtime driver: one Docker engine, or a Swarm cluster through its manager (`--driver`);
   * `auto` (no flag): swarm when the engine is a Swarm manager (main.ts, detectDriver).
   */
  readonly driver: RuntimeDriverName | 'auto';
  readonly logLevel: LogLevel;
}

export const RUNTIME_DRIVERS = ['docker', 'swarm'] as const;
export const DRIVER_CHOICES = ['auto', ...RUNTIME_DRIVERS] as const;
export type RuntimeDriverName = (typeof RUNTIME_DRIVERS)[number];

/** What the CLI needs from the outside world; main.ts supplies the concrete adapters. */
export interface Adapters {
  readonly clock: Clock;
  logger(level: string): Logger;
  openSource(o: CommonOptions, logger: Logger): Promise<GitSource>;
  /**
   * The commit `ref` (default: the configured --ref) names in the source now, read without
   * touching the running berth's Git cache (a remote is asked for its ref advertisement).
   */
  peekSourceHead(o: CommonOptions, logger: Logger, ref?: string): Promise<string>;
  /**
   * Whether `commit` is `ancestor` or includes it in its history, read without touching the
   * running berth's Git cache (a remote is fetched into a scratch folder). False when either is
   * not in the source.
   */
  sourceIncludes(o: CommonOptions, logger: Logger, commit: string, ancestor: string): Promise<boolean>;
  openDriver(o: CommonOptions, logger: Logger): Promise<RuntimeDriver>;
  openStore(o: CommonOptions, logger: Logger): Promise<Store>;
  /** The state the running berth last wrote, read-only (for commands that run beside it). */
  readState(o: CommonOptions): Promise<StoreState>;
  lockState(o: CommonOptions): Promise<{ release(): Promise<void> }>;
  /** Reads v1 Secret values on this host (files inside BERTH_SECRET_DIRS, process variables). */
  openSecretResolver(o: CommonOptions, logger: Logger): SecretResolver;
  /**
   * The data plane of the state directory (`berth proxy`, its own process so it outlives
   * `berth run`): started the first time a namespace has a Service or Ingress to serve.
   */
  openDataPlane(o: CommonOptions, options: DataPlaneOptions, logger: Logger): DataPlane;
  /** `berth proxy`: serves the data plane in this process until `close()`, or until `lost` (another proxy took its control socket). */
  runDataPlane(o: CommonOptions, options: DataPlaneOptions, logger: Logger): Promise<{ close(): Promise<void>; readonly lost: Promise<void> }>;
  defaults: { readonly repo: string; readonly stateDir: string };
}

export interface DataPlaneOptions {
  /** Where Ingress rules are served (HTTP). */
  readonly ingressListen: { readonly host: string; readonly port: number };
}
