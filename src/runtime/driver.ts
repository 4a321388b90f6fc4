/**
 * The runtime port. Drivers (docker/ now, swarm/ later) translate engine objects to and from
 * these plain types; engine client types never cross this line. Every driver method acts
 * only on objects owned by its instance (labels `berth.managed=true`, `berth.instance`) and
 * refuses anything else with an error, whatever the caller asks.
 */
import type { Labels } from './labels.js';

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface PublishedPort {
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
  /** Host address and port the engine bound (always 127.0.0.1, ephemeral). */
  readonly hostIp: string;
  readonly hostPort: number;
}

export interface OwnedContainer {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly labels: Labels;
  readonly state: ContainerState;
  /** ISO time the container was created. */
  readonly created: string;
  readonly exitCode?: number;
  readonly ports: readonly PublishedPort[];
}

export interface OwnedNetwork {
  readonly id: string;
  readonly name: string;
  readonly labels: Labels;
}

export interface Inventory {
  readonly containers: readonly OwnedContainer[];
  readonly networks: readonly OwnedNetwork[];
}

export interface ContainerSpec {
  /** Engine-wide unique, deterministic name. */
  readonly name: string;
  readonly image: string;
  /** Kubernetes `command`: replaces the image ENTRYPOINT (and then the image CMD is not used). */
  readonly command?: readonly string[];
  /** Kubernetes `args`: replaces the image CMD. */
  readonly args?: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly workingDir?: string;
  /** Ports published on 127.0.0.1 with an ephemeral host port. */
  readonly ports: readonly { readonly containerPort: number; readonly protocol: 'tcp' | 'udp' }[];
  readonly labels: Labels;
  /** Network to attach to, with these DNS aliases on it. */
  readonly network: string;
  readonly networkAliases: readonly string[];
  readonly memoryBytes?: number;
  readonly nanoCpus?: number;
  /** Seconds between SIGTERM and SIGKILL on stop (terminationGracePeriodSeconds). */
  readonly stopGraceSeconds: number;
}

export interface NetworkSpec {
  readonly name: string;
  readonly labels: Labels;
}

export type RuntimeEvent =
  | { readonly kind: 'container-started' | 'container-died' | 'container-destroyed'; readonly id: string; readonly labels: Labels }
  | { readonly kind: 'stream-error'; readonly error: Error };

export interface ExecResult {
  /** The command's exit code; -1 when it did not finish within the timeout. */
  readonly exitCode: number;
  readonly timedOut?: boolean;
}

export interface RuntimeDriver {
  /** Throws ENGINE_UNREACHABLE when the engine does not answer. */
  ping(): Promise<void>;
  /** Every owned container (any state) and network; optionally only one namespace's. */
  inventory(filter?: { readonly namespace?: string }): Promise<Inventory>;
  /** Creates the network unless an owned one of that name exists. */
  ensureNetwork(spec: NetworkSpec): Promise<void>;
  /** Removes an owned network; a missing one is not an error. */
  removeNetwork(name: string): Promise<void>;
  /** Pulls the image only when it is not present; IMAGE_PULL_FAILED with the engine's reason otherwise. */
  ensureImage(image: string): Promise<void>;
  /** Creates (always with an init process) and starts a container; returns it as inventory sees it. */
  runContainer(spec: ContainerSpec): Promise<OwnedContainer>;
  /** Stops an owned container (SIGTERM, then SIGKILL after graceSeconds) and removes it; a missing one is not an error. */
  removeContainer(id: string, graceSeconds: number): Promise<void>;
  /**
   * Stops an owned container (SIGTERM, then SIGKILL after graceSeconds) and keeps it, exited:
   * how a replica whose liveness probe failed is restarted (the reconciler replaces an exited
   * replica, with the crash back-off). Already stopped or missing is not an error.
   */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /**
   * Runs `command` (no shell) in an owned, running container and waits for it to exit, at most
   * `timeoutMs`. On the timeout it resolves `{ exitCode: -1, timedOut: true }` rather than
   * throwing, and the command may go on running inside the container (engines cannot kill an
   * exec). Throws ENGINE_CONFLICT when the container is not owned, missing or not running.
   */
  exec(id: string, command: readonly string[], timeoutMs: number): Promise<ExecResult>;
  /** Streams owned-container events until `signal` aborts; reconnects are the caller's business. */
  watch(onEvent: (event: RuntimeEvent) => void, signal: AbortSignal): Promise<void>;
}
