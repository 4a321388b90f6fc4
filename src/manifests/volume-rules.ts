import type { Emit } from './deployment-rules.js';
import type { FieldPath, Position } from './locate.js';
import { podContainers, type Container, type DeploymentSpec } from './types.js';

/**
 * Volume and securityContext rules a JSON Schema cannot say, run on a schema-valid Deployment.
 * Whether a field is *allowed* (privileged, hostPath, …) is the namespace policy's business
 * (policy/); these rules only say whether it is well-formed and can work on one Docker host.
 */

const POD: FieldPath = ['spec', 'template', 'spec'];

export function checkVolumes(spec: DeploymentSpec, emit: Emit, claimTemplates: readonly string[] = []): void {
  const pod = spec.template.spec;
  const volumes = new Map<string, { index: number; kind: 'hostPath' | 'emptyDir' | 'secret' | 'persistentVolumeClaim' | 'configMap' }>();
  (pod.volumes ?? []).forEach((v, i) => {
    const at: FieldPath = [...POD, 'volumes', i];
    const first = volumes.get(v.name);
    if (first) emit('error', 'INVALID_VALUE', [...at, 'name'], `duplicate volume name ${JSON.stringify(v.name)} (also volumes[${first.index}])`);
    else
      volumes.set(v.name, {
        index: i,
        kind: v.hostPath ? 'hostPath' : v.emptyDir ? 'emptyDir' : v.persistentVolumeClaim ? 'persistentVolumeClaim' : v.secret ? 'secret' : 'configMap',
      });
    if (v.hostPath) {
      const problem = absolutePathProblem(v.hostPath.path);
      if (problem) emit('error', 'INVALID_VALUE', [...at, 'hostPath', 'path'], `${problem}, got ${JSON.stringify(v.hostPath.path)}`);
    }
    const paths = new Map<string, number>();
    const fileSource = v.secret ? 'secret' : 'configMap';
    (v.secret?.items ?? v.configMap?.items ?? []).forEach((item, j) => {
      const where: FieldPath = [...at, fileSource, 'items', j, 'path'];
      const problem = relativePathProblem(item.path);
      if (problem) return emit('error', 'INVALID_VALUE', where, `${problem}, got ${JSON.stringify(item.path)}`);
      const clash = [...paths.entries()].find(([p]) => p === item.path || item.path.startsWith(`${p}/`) || p.startsWith(`${item.path}/`));
      if (clash)
        emit(
          'error',
          'INVALID_VALUE',
          where,
          `clashes with items[${clash[1]}].path ${JSON.stringify(clash[0])}: two files (or a file and a folder) at one path`,
        );
      else paths.set(item.path, j);
    });
  });
  // A StatefulSet's claim template is a volume of every replica (it wins over a pod volume of the same name, as in Kubernetes).
  for (const name of claimTemplates) volumes.set(name, { index: -1, kind: 'persistentVolumeClaim' });
  for (const c of podContainers(spec.template)) checkMounts(c.container, c.path, volumes, emit);
  checkUser(spec, emit);
}

function checkMounts(container: Container, at: FieldPath, volumes: ReadonlyMap<string, { index: number; kind: string }>, emit: Emit): void {
  const mountPaths = new Map<string, number>();
  const emptyDirs = new Map<string, number>();
  (container.volumeMounts ?? []).forEach((m, i) => {
    const where: FieldPath = [...at, 'volumeMounts', i];
    const volume = volumes.get(m.name);
    if (!volume) {
      const names = [...volumes.keys()];
      emit(
        'error',
        'INVALID_VALUE',
        [...where, 'name'],
        `names no volume of the pod: spec.template.spec.volumes has ${names.length > 0 ? names.map((n) => JSON.stringify(n)).join(', ') : 'none'}`,
      );
    }
    const problem = absolutePathProblem(m.mountPath);
    if (problem) emit('error', 'INVALID_VALUE', [...where, 'mountPath'], `${problem}, got ${JSON.stringify(m.mountPath)}`);
    else if (m.mountPath === '/') emit('error', 'INVALID_VALUE', [...where, 'mountPath'], 'cannot mount a volume over the root of the container');
    else {
      const first = mountPaths.get(m.mountPath);
      if (first !== undefined)
        emit('error', 'INVALID_VALUE', [...where, 'mountPath'], `duplicate mountPath ${JSON.stringify(m.mountPath)} (also volumeMounts[${first}])`);
      else mountPaths.set(m.mountPath, i);
    }
    if (m.subPath !== undefined) {
      const sub = relativePathProblem(m.subPath);
      if (sub) emit('error', 'INVALID_VALUE', [...where, 'subPath'], `${sub}, got ${JSON.stringify(m.subPath)}`);
    }
    if (volume?.kind === 'persistentVolumeClaim' && m.subPath !== undefined) {
      // The engine's API (1.41) mounts a named volume whole: VolumeOptions.Subpath came with API 1.45.
      emit(
        'error',
        'UNSUPPORTED_FIELD',
        [...where, 'subPath'],
        'not supported by berth yet: subPath of a persistentVolumeClaim volume (Docker engine API 1.41 mounts a named volume whole); mount the claim and use the folder inside it',
      );
    }
    if (volume?.kind === 'emptyDir') {
      // berth's emptyDir is a tmpfs mounted into the one container: it has no folder on the host to share or to take a part of.
      if (m.subPath !== undefined)
        emit(
          'error',
          'UNSUPPORTED_FIELD',
          [...where, 'subPath'],
          'not supported by berth: subPath of an emptyDir volume (berth mounts an emptyDir as a tmpfs)',
        );
      const first = emptyDirs.get(m.name);
      if (first !== undefined)
        emit(
          'error',
          'UNSUPPORTED_FIELD',
          [...where, 'name'],
          `not supported by berth: mounting emptyDir ${JSON.stringify(m.name)} twice (also volumeMounts[${first}]); berth mounts an emptyDir as a tmpfs, which two mount points cannot share`,
        );
      else emptyDirs.set(m.name, i);
    }
  });
}

/**
 * Combinations that cannot work: Docker's User is `uid[:gid]`, so a group alone cannot be set
 * without the image's user; and two the Kubernetes API server refuses as contradictions.
 */
function checkUser(spec: DeploymentSpec, emit: Emit): void {
  const pod = spec.template.spec;
  podContainers(spec.template).forEach(({ container: c, path }) => {
    const sc = c.securityContext;
    const scAt: FieldPath = [...path, 'securityContext'];
    const user = sc?.runAsUser ?? pod.securityContext?.runAsUser;
    const userAt: FieldPath = sc?.runAsUser !== undefined ? [...scAt, 'runAsUser'] : [...POD, 'securityContext', 'runAsUser'];
    if (user === 0 && (sc?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) === true)
      emit('error', 'INVALID_VALUE', userAt, 'is 0 (root) while runAsNonRoot is true: the replica could never start');
    if (sc?.privileged === true && sc.allowPrivilegeEscalation === false) {
      emit('error', 'INVALID_VALUE', [...scAt, 'allowPrivilegeEscalation'], 'cannot be false for a privileged container (as Kubernetes refuses it)');
    }
    if (user !== undefined) return;
    const at: FieldPath | undefined =
      sc?.runAsGroup !== undefined
        ? [...scAt, 'runAsGroup']
        : pod.securityContext?.runAsGroup !== undefined
          ? [...POD, 'securityContext', 'runAsGroup']
          : undefined;
    if (at) emit('error', 'INVALID_VALUE', at, "needs runAsUser (on the container or the pod): berth sets the engine's User as uid:gid");
  });
}

/** Why `path` is not an absolute, normalized path (undefined when it is). */
export function absolutePathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must be an absolute path (starting with "/")';
  if (path.includes('\u0000')) return 'must not contain a NUL character';
  if (path !== '/' && path.endsWith('/')) return 'must not end with "/"';
  if (
    path !== '/' &&
    path
      .split('/')
      .slice(1)
      .some((s) => s === '' || s === '.' || s === '..')
  )
    return 'must be normalized: no empty, "." or ".." segments';
  return undefined;
}

/** Why `path` is not a relative path that stays inside its folder (undefined when it is). */
export function relativePathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return 'must be a relative path (not starting with "/")';
  if (path.includes('\u0000')) return 'must not contain a NUL character';
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) return 'must be a relative path without empty, "." or ".." segments';
  return undefined;
}

/**
 * File modes written the Kubernetes way. Kubernetes reads YAML 1.1, where `defaultMode: 0400`
 * is octal (256); berth's YAML 1.2 parser reads it as the decimal 400 — a different, wrong mode
 * that would still pass a range check. So the raw text of each mode field of a secret or configMap volume is
 * looked at, and a leading-zero integer is read as octal, as Kubernetes does. Runs before the
 * schema (0755 read as 755 would fail its maximum). `lineText(line)` gives a line of the file.
 */
export function readOctalModes(value: unknown, locate: (path: FieldPath) => Position, lineText: (line: number) => string | undefined): void {
  const volumes = at(value, ['spec', 'template', 'spec', 'volumes']);
  if (!Array.isArray(volumes)) return;
  volumes.forEach((volume, i) => {
    for (const kind of ['secret', 'configMap']) {
      const source = at(volume, [kind]);
      if (!isRecord(source)) continue;
      fixMode(source, 'defaultMode', ['spec', 'template', 'spec', 'volumes', i, kind, 'defaultMode']);
      const items = source['items'];
      if (Array.isArray(items))
        items.forEach((item, j) => isRecord(item) && fixMode(item, 'mode', ['spec', 'template', 'spec', 'volumes', i, kind, 'items', j, 'mode']));
    }
  });
  function fixMode(holder: Record<string, unknown>, key: string, path: FieldPath): void {
    if (typeof holder[key] !== 'number') return;
    const p = locate(path);
    const text = lineText(p.line)?.slice(p.column - 1) ?? '';
    const raw = new RegExp(`^["']?${key}["']?\\s*:\\s*([^\\s,}\\]#]+)`).exec(text)?.[1];
    if (raw !== undefined && /^\+?0[0-7]+$/.test(raw)) holder[key] = parseInt(raw.replace(/^\+/, ''), 8);
  }
}

function at(node: unknown, path: readonly string[]): unknown {
  let v = node;
  for (const k of path) v = isRecord(v) ? v[k] : undefined;
  return v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
