import { BerthError } from '../core/index.js';
import { DEFAULT_POD_SECURITY_LEVEL, isPodSecurityLevel, POD_SECURITY_LEVELS, type PodSecurityLevel } from './levels.js';

/**
 * The operator's ceiling: what the namespaces of this berth may ask for at most. Set where
 * berth is started (flags `--max-pod-security`, `--host-path-allow`, `--allow-docker-socket`
 * on run, apply, plan and validate), never in Git: whoever can push must not be able to raise it.
 */
export interface OperatorPolicy {
  /** The highest level a Namespace may select with its label. Default restricted. */
  readonly maxLevel: PodSecurityLevel;
  /**
   * Host folders hostPath volumes may use (the folder itself or anything under it): absolute,
   * normalized. Default none, so no hostPath at all. Applies at every level.
   */
  readonly hostPathAllow: readonly string[];
  /**
   * Whether a namespace at level privileged may mount the engine's socket (root on the host
   * for whoever controls the container). Default false: refused at every level.
   */
  readonly allowDockerSocket: boolean;
  /** Paths that count as the engine socket besides the usual ones (the socket berth itself is told to use). */
  readonly engineSockets?: readonly string[];
  /**
   * Storage classes a PersistentVolumeClaim's storageClassName may name (`--storage-class
   * NAME=driver[,opt=value...]`): the Docker volume driver and options its volume is created
   * with. `local` (the local driver, no options) is always defined unless redefined; a claim
   * without a class gets the local driver. Absent: only `local`.
   */
  readonly storageClasses?: Readonly<Record<string, StorageClass>>;
}

/** A Docker volume driver and its options (`docker volume create --driver D --opt k=v`). */
export interface StorageClass {
  readonly driver: string;
  readonly options: Readonly<Record<string, string>>;
}

/** The class every berth has: Docker's local driver, no options (what a claim without storageClassName gets). */
export const LOCAL_STORAGE_CLASS: StorageClass = { driver: 'local', options: {} };

/** The class `name` (undefined or '' = no class: the local driver), or undefined when the operator defined no such class. */
export function storageClassOf(operator: Pick<OperatorPolicy, 'storageClasses'>, name: string | undefined): StorageClass | undefined {
  if (name === undefined || name === '') return LOCAL_STORAGE_CLASS;
  const classes = operator.storageClasses ?? {};
  if (Object.hasOwn(classes, name)) return classes[name];
  return name === 'local' ? LOCAL_STORAGE_CLASS : undefined;
}

export const DEFAULT_OPERATOR_POLICY: OperatorPolicy = { maxLevel: DEFAULT_POD_SECURITY_LEVEL, hostPathAllow: [], allowDockerSocket: false };

/** Engine sockets a hostPath must not be, nor hold (a folder above one), unless the operator and the level allow it. */
export const ENGINE_SOCKETS: readonly string[] = [
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/var/run/containerd/containerd.sock',
  '/run/containerd/containerd.sock',
];

/**
 * Raw configuration (flag or environment values) → OperatorPolicy; USAGE errors name the
 * setting. `hostPathAllow` entries must be absolute; they are normalized (`/srv/data/` →
 * `/srv/data`).
 */
export function parseOperatorPolicy(raw: {
  readonly maxLevel?: string;
  readonly hostPathAllow?: readonly string[];
  readonly allowDockerSocket?: boolean;
  readonly engineSockets?: readonly string[];
  readonly storageClasses?: readonly string[];
}): OperatorPolicy {
  const maxLevel = raw.maxLevel ?? DEFAULT_POD_SECURITY_LEVEL;
  if (!isPodSecurityLevel(maxLevel))
    throw new BerthError('USAGE', `--max-pod-security must be one of ${POD_SECURITY_LEVELS.join(', ')}, got ${JSON.stringify(maxLevel)}`);
  const hostPathAllow = (raw.hostPathAllow ?? [])
    .filter((d) => d !== '')
    .map((d) => {
      const n = normalizeAbsolute(d);
      if (n === undefined) throw new BerthError('USAGE', `--host-path-allow must name absolute folders without "..", got ${JSON.stringify(d)}`);
      return n;
    });
  const engineSockets = (raw.engineSockets ?? []).map(normalizeAbsolute).filter((p): p is string => p !== undefined);
  const storageClasses = parseStorageClasses(raw.storageClasses ?? []);
  return {
    maxLevel,
    hostPathAllow: [...new Set(hostPathAllow)].sort(),
    allowDockerSocket: raw.allowDockerSocket === true,
    ...(engineSockets.length > 0 ? { engineSockets } : {}),
    ...(Object.keys(storageClasses).length > 0 ? { storageClasses } : {}),
  };
}

/**
 * `--storage-class` values → classes: `fast=local,type=tmpfs,device=tmpfs,o=size=100m` is class
 * `fast`, driver `local`, options type, device and o (everything after the first `=` of an option
 * is its value). USAGE errors name the flag; a class defined twice is an error.
 */
export function parseStorageClasses(values: readonly string[]): Record<string, StorageClass> {
  const out: Record<string, StorageClass> = {};
  for (const value of values) {
    const m = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)=([^,=]+)((,[^,=]+=[^,]*)*)$/.exec(value);
    if (!m)
      throw new BerthError(
        'USAGE',
        `--storage-class must be NAME=driver[,option=value...] (NAME: lowercase letters, digits, '-' and '.'), got ${JSON.stringify(value)}`,
      );
    const name = m[1]!;
    if (Object.hasOwn(out, name)) throw new BerthError('USAGE', `--storage-class ${name} is defined twice`);
    const options: Record<string, string> = {};
    for (const pair of (m[4] ?? '').split(',').filter((p) => p !== '')) {
      const at = pair.indexOf('=');
      options[pair.slice(0, at)] = pair.slice(at + 1);
    }
    out[name] = { driver: m[3]!, options };
  }
  return out;
}

/** `/srv//data/./x/` → `/srv/data/x`; undefined when not absolute or it holds "..". */
export function normalizeAbsolute(path: string): string | undefined {
  if (!path.startsWith('/') || path.includes('\u0000')) return undefined;
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return undefined;
  return `/${segments.join('/')}`;
}

/** Is `path` the folder `dir` or inside it (both absolute, normalized)? */
export function isWithin(dir: string, path: string): boolean {
  return dir === '/' || path === dir || path.startsWith(`${dir}/`);
}
