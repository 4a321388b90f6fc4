/**
 * The host side of a container's mounts, prepared before the container is created:
 *
 *  - hostPath binds: the path (already allowed by the namespace policy) is checked against
 *    its Kubernetes `type` (Directory, File, Socket must exist as such; DirectoryOrCreate and
 *    FileOrCreate create a folder / an empty file when nothing is there) and must not go
 *    through a symlink — so a link placed inside an allowed folder cannot lead to the Docker
 *    socket or anywhere else the policy refused. A subPath is created as a folder when missing.
 *  - secret and configMap volumes (with a pod fsGroup: group-owned, group-readable, folders
 *    setgid, as Kubernetes does): the values are written as files into
 *    `<root>/<instance>/<container>/<creation>/<volume>/`, where every folder down to
 *    `<creation>` is mode 0700 and owned by berth (so no other host user can reach them) and
 *    the volume folder 0755 with each file at its Kubernetes mode (so the container's user can
 *    read them through the mount). `<creation>` is fresh for every creation, so a creation
 *    never touches the files of a container that holds the same name (a name clash, a slot
 *    reused). The volume folder is bind-mounted read-only; `<container>` is deleted with the
 *    container, a failed creation's `<creation>` at once.
 *
 * Failures are CONTAINER_START_FAILED naming the container, the mount and the path — never a
 * file's content.
 */
import { constants } from 'node:fs';
import { chmod, chown, lstat, mkdir, open, readdir, realpath, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BerthError, type Clock } from '../../core/index.js';
import type { ContainerMount, ContainerSpec } from '../driver.js';
import type { PreparedMount } from './container-config.js';

/**
 * Where secret volumes' files live unless the driver is told: BERTH_RUNTIME_DIR, else
 * $XDG_RUNTIME_DIR/berth (a per-user tmpfs), else /run/berth for root (a tmpfs on systemd
 * hosts), else a berth-<uid> folder in the temp folder. Never the state directory, which
 * holds nothing secret.
 */
export function defaultFilesRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BERTH_RUNTIME_DIR) return env.BERTH_RUNTIME_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'berth');
  const uid = process.getuid?.() ?? -1;
  return uid === 0 ? '/run/berth' : join(tmpdir(), `berth-${uid}`);
}

/**
 * A sweep leaves files younger than this: a creation (in this process, or in another berth
 * process sharing the folder, such as `berth plan` next to `berth run`) writes them a moment
 * before its container appears in a listing.
 */
export const SWEEP_GRACE_MS = 5 * 60_000;

export class HostMounts {
  /** Creations in flight in this process: a sweep never takes their files. */
  private readonly active = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly instance: string,
    private readonly clock: Clock,
  ) {}

  /**
   * The mounts of `spec` as the engine takes them, with every host path checked and every file
   * written; `discard()` deletes the files this creation wrote (call it when the container could
   * not be created or started).
   */
  async prepare(spec: ContainerSpec): Promise<{ readonly mounts: PreparedMount[]; discard(): Promise<void> }> {
    const mounts = spec.mounts ?? [];
    let creation: string | undefined; // this creation's folder, once made
    const discard = async (): Promise<void> => {
      if (creation) await rm(creation, { recursive: true, force: true }).catch(() => undefined);
    };
    const files = async (fail: (what: string) => never): Promise<string> =>
      (creation ??= join(await this.privateDir(spec.name, fail), randomBytes(6).toString('hex')));
    try {
      const out: PreparedMount[] = [];
      const fsGroup = spec.security?.fsGroup;
      const written = new Map<string, string>(); // volume → its folder: a volume mounted twice (whole, and a subPath of it) is written once
      for (const m of mounts) {
        try {
          out.push(await this.prepareOne(spec.name, m, files, fsGroup, written));
        } catch (err) {
          if (err instanceof BerthError) throw err;
          const code = (err as NodeJS.ErrnoException).code ?? 'error';
          throw new BerthError('CONTAINER_START_FAILED', `container ${spec.name}: cannot prepare the mount at ${m.target} (${code})`, {
            details: { container: spec.name, mount: m.target },
          });
        }
      }
      return { mounts: out, discard };
    } catch (err) {
      await discard();
      throw err;
    }
  }

  /** Marks the creation of container `name` as in flight (until `end`), for sweeps. */
  begin(name: string): void {
    this.active.add(name);
  }

  end(name: string): void {
    this.active.delete(name);
  }

  /** Deletes the files written for container `name`, if any. */
  async remove(name: string): Promise<void> {
    if (!isSafeName(name)) return;
    await rm(join(this.root, this.instance, name), { recursive: true, force: true });
  }

  /**
   * Deletes the files of every container not in `names` (a listing of every owned container):
   * containers removed while berth was not looking. Creations in flight here, and files
   * younger than SWEEP_GRACE_MS (a creation elsewhere), are kept.
   */
  async sweep(names: ReadonlySet<string>): Promise<void> {
    const dir = join(this.root, this.instance);
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (names.has(entry) || this.active.has(entry)) continue;
      const s = await lstat(join(dir, entry)).catch(() => undefined);
      if (!s || this.clock.now().getTime() - s.mtimeMs < SWEEP_GRACE_MS) continue;
      await this.remove(entry);
    }
  }

  private async prepareOne(
    container: string,
    m: ContainerMount,
    creationDir: (fail: (what: string) => never) => Promise<string>,
    fsGroup: number | undefined,
    written: Map<string, string>,
  ): Promise<PreparedMount> {
    const fail = (what: string): never => {
      throw new BerthError('CONTAINER_START_FAILED', `container ${container}: ${what}`, { details: { container, mount: m.target } });
    };
    switch (m.kind) {
      case 'volume':
        // A named volume: the driver checked it exists and is owned (driver.ts); nothing on the host to prepare.
        return { kind: 'volume', name: m.name, target: m.target, readOnly: m.readOnly };
      case 'tmpfs':
        return {
          kind: 'tmpfs',
          target: m.target,
          readOnly: m.readOnly,
          ...(m.sizeBytes !== undefined ? { sizeBytes: m.sizeBytes } : {}),
          ...(fsGroup !== undefined ? { gid: fsGroup } : {}),
        };
      case 'bind': {
        const problem = await checkHostPath(m.source, m.type);
        if (problem) fail(`hostPath ${m.source} (type ${m.type}) for ${m.target}: ${problem}`);
        let source = m.source;
        if (m.subPath !== undefined) {
          source = join(m.source, m.subPath);
          const sub = await prepareSubPath(source);
          if (sub) fail(`subPath ${m.subPath} of hostPath ${m.source} for ${m.target}: ${sub}`);
        }
        return { kind: 'bind', source, target: m.target, readOnly: m.readOnly };
      }
      case 'files': {
        if (!isSafeName(container) || !isSafeName(m.volume)) fail(`cannot keep files for volume ${m.volume}`);
        const dir = written.get(m.volume) ?? (await this.writeFiles(m, await creationDir(fail), fsGroup, fail));
        written.set(m.volume, dir);
        const source = m.subPath === undefined ? dir : join(dir, m.subPath);
        if (m.subPath !== undefined) {
          const found = await lstat(source).catch(() => undefined);
          if (!found) fail(`volume ${m.volume}: subPath ${JSON.stringify(m.subPath)} names no file of the volume`);
        }
        return { kind: 'bind', source, target: m.target, readOnly: true };
      }
    }
  }

  /** Writes the files of a `files` mount into `<base>/<volume>/`; returns that folder. */
  private async writeFiles(
    m: Extract<ContainerMount, { kind: 'files' }>,
    base: string,
    fsGroup: number | undefined,
    fail: (what: string) => never,
  ): Promise<string> {
    await mkdir(base, { recursive: true, mode: 0o700 });
    await chmod(base, 0o700);
    const dir = join(base, m.volume);
    // With an fsGroup, as Kubernetes' SetVolumeOwnership: folders group-owned and setgid (2755),
    // files group-owned and group-readable (mode | 0440).
    const dirMode = fsGroup === undefined ? 0o755 : 0o2755;
    const ownFolder = async (path: string): Promise<void> => {
      if (fsGroup !== undefined) await chown(path, process.getuid?.() ?? 0, fsGroup);
      await chmod(path, dirMode);
    };
    await mkdir(dir, { mode: 0o755 });
    await ownFolder(dir);
    for (const f of m.files) {
      if (f.path.split('/').some((s) => s === '' || s === '.' || s === '..'))
        fail(`volume ${m.volume}: file path ${JSON.stringify(f.path)} is not a plain relative path`);
      const path = join(dir, f.path);
      const parents: string[] = [];
      for (let p = dirname(path); p !== dir; p = dirname(p)) parents.unshift(p);
      for (const p of parents) {
        const made = await mkdir(p, { mode: 0o755 }).then(
          () => true,
          (err: NodeJS.ErrnoException) => (err.code === 'EEXIST' ? false : Promise.reject(err)),
        );
        if (made) await ownFolder(p);
      }
      // O_EXCL | O_NOFOLLOW: a fresh file, never through a link; the mode is set exactly (no umask).
      const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        await handle.writeFile(f.base64 ? Buffer.from(f.value, 'base64') : f.value, f.base64 ? undefined : 'utf8');
        if (fsGroup !== undefined) await handle.chown(process.getuid?.() ?? 0, fsGroup);
        await handle.chmod(fsGroup === undefined ? f.mode : f.mode | 0o440);
      } finally {
        await handle.close();
      }
    }
    return dir;
  }

  /** `<root>/<instance>/<container>`, created 0700 at each level, each checked to be a real folder of ours. */
  private async privateDir(container: string, fail: (what: string) => never): Promise<string> {
    let dir = this.root;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const part of ['', this.instance, container]) {
      if (part !== '') {
        dir = join(dir, part);
        await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
      }
      const s = await lstat(dir);
      const uid = process.getuid?.();
      if (!s.isDirectory() || s.isSymbolicLink() || (uid !== undefined && s.uid !== uid))
        fail(`${dir} is not a folder owned by berth's user; berth keeps secret volume files only in a folder of its own (BERTH_RUNTIME_DIR)`);
      await chmod(dir, 0o700);
    }
    return dir;
  }
}

/**
 * Why host path `path` cannot be mounted as `type` (undefined when it can), creating it when
 * the type says so. The path and each existing parent must be what they say: resolving
 * symlinks must not change it (below `within` too, for a subPath).
 */
export async function checkHostPath(path: string, type: Extract<ContainerMount, { kind: 'bind' }>['type']): Promise<string | undefined> {
  const found = await lstat(path).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
  if (!found) {
    const linked = await throughSymlink(dirname(path));
    if (linked) return linked;
    if (type === 'DirectoryOrCreate') {
      await mkdir(path, { recursive: true, mode: 0o755 });
    } else if (type === 'FileOrCreate') {
      await mkdir(dirname(path), { recursive: true, mode: 0o755 });
      const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
      await handle.close();
    } else {
      return `nothing exists there (type ${type} needs ${type === 'Directory' ? 'a folder' : type === 'File' ? 'a file' : 'a socket'})`;
    }
    return throughSymlink(path);
  }
  const linked = await throughSymlink(path);
  if (linked) return linked;
  const s = await stat(path);
  if ((type === 'Directory' || type === 'DirectoryOrCreate') && !s.isDirectory()) return 'is not a folder';
  if ((type === 'File' || type === 'FileOrCreate') && !s.isFile()) return 'is not a regular file';
  if (type === 'Socket' && !s.isSocket()) return 'is not a socket';
  return undefined;
}

/** A subPath of a hostPath folder: anything that is there (a folder or a file), else a new folder; never through a symlink. */
async function prepareSubPath(path: string): Promise<string | undefined> {
  const linked = await throughSymlink(path);
  if (linked) return linked;
  const found = await lstat(path).catch(() => undefined);
  if (!found) {
    await mkdir(path, { recursive: true, mode: 0o755 });
    return throughSymlink(path);
  }
  return undefined;
}

/** A message when `path` (which exists, or whose nearest existing parent is checked) resolves elsewhere through a symlink. */
async function throughSymlink(path: string): Promise<string | undefined> {
  let existing = path;
  for (;;) {
    const found = await lstat(existing).catch(() => undefined);
    if (found) break;
    const parent = dirname(existing);
    if (parent === existing) return undefined;
    existing = parent;
  }
  const real = await realpath(existing);
  return real === existing
    ? undefined
    : `goes through a symlink (${existing} is ${real}); berth mounts only paths that are what they say: use ${real}${path.slice(existing.length)}`;
}

function isSafeName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\u0000');
}
