import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, normalize } from 'node:path';
import { BerthError } from '../../core/index.js';
import { RESERVED_ENV } from '../../manifests/index.js';
import { secretUnavailable, type SecretLookup, type SecretResolver } from '../index.js';

/** Where Secret files may live when the operator says nothing (BERTH_SECRET_DIRS). */
export const DEFAULT_SECRET_DIRS: readonly string[] = ['/etc/berth/secrets'];

/** A secret larger than this is refused (an env var that big is a mistake, and it bounds the read). */
export const MAX_SECRET_BYTES = 1024 * 1024;

export interface HostSecretResolverOptions {
  /** Absolute folders a `file` source must lie in, symlinks resolved. Default DEFAULT_SECRET_DIRS. */
  readonly allowedDirs?: readonly string[];
  /** Where `env` sources are read. Default `process.env` (read at each resolve). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default MAX_SECRET_BYTES. */
  readonly maxBytes?: number;
}

/**
 * BERTH_SECRET_DIRS → allowed folders: colon-separated absolute paths (empty entries skipped);
 * unset or empty → DEFAULT_SECRET_DIRS. A relative entry is a USAGE error: it would depend on
 * the directory berth happens to start in.
 */
export function parseSecretDirs(value: string | undefined): string[] {
  const entries = (value ?? '').split(':').filter((e) => e !== '');
  if (entries.length === 0) return [...DEFAULT_SECRET_DIRS];
  for (const e of entries)
    if (!isAbsolute(e)) throw new BerthError('USAGE', `BERTH_SECRET_DIRS must hold absolute folders separated by ':', got ${JSON.stringify(e)}`);
  return entries.map(trimSlash);
}

/**
 * The SecretResolver for one host: a `file` source is read from disk, an `env` source from the
 * berth process's environment.
 *
 * A file is read only when its path lies inside an allowed folder both as written and after
 * resolving symlinks (so a link cannot lead out of the allow-list), and it is a regular file
 * (not a FIFO or device) of at most `maxBytes`, valid UTF-8, without NUL bytes. One trailing
 * line break ("\n" or "\r\n") is dropped, so `echo s3cret > file` works as expected. A missing
 * file or unset variable is "absent": `undefined` for an optional ref, else an error. Variables
 * named BERTH_* (berth's own credentials) are never handed out.
 */
export function createHostSecretResolver(options: HostSecretResolverOptions = {}): SecretResolver {
  const allowed = (options.allowedDirs ?? DEFAULT_SECRET_DIRS).map(trimSlash);
  for (const d of allowed) if (!isAbsolute(d)) throw new BerthError('USAGE', `allowed secret folders must be absolute, got ${JSON.stringify(d)}`);
  const maxBytes = options.maxBytes ?? MAX_SECRET_BYTES;
  const env = (): Readonly<Record<string, string | undefined>> => options.env ?? process.env;

  const absent = (lookup: SecretLookup, what: string): undefined => {
    if (lookup.ref.optional) return undefined;
    throw secretUnavailable(lookup, `${what} (set optional: true on the secretKeyRef to run without it)`);
  };

  async function readFileSource(lookup: SecretLookup, path: string): Promise<string | undefined> {
    const fail = (reason: string): never => {
      throw secretUnavailable(lookup, reason);
    };
    const folders = allowed.join(', ');
    if (!isAbsolute(path) || normalize(path) !== path) fail('the path is not absolute and normalized');
    if (!allowed.some((d) => isInside(d, path)))
      fail(`the file lies outside the allowed folders (${folders}); the operator allows folders with BERTH_SECRET_DIRS`);
    let real: string;
    try {
      real = await realpath(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return absent(lookup, 'no such file');
      return fail(`cannot resolve the path (${code ?? 'error'})`);
    }
    const realFolders = (await Promise.all(allowed.map((d) => realpath(d).catch(() => undefined)))).filter((d): d is string => d !== undefined);
    if (!realFolders.some((d) => isInside(d, real))) fail(`the path leads (through a symlink) outside the allowed folders (${folders})`);
    let bytes: Buffer;
    try {
      // O_NOFOLLOW: the resolved path must not have become a symlink since; O_NONBLOCK: a FIFO must not block the pass.
      const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        const stat = await handle.stat();
        if (!stat.isFile()) return fail('not a regular file');
        if (stat.size > maxBytes) return fail(`the file is ${stat.size} bytes; the limit is ${maxBytes}`);
        bytes = await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (err instanceof BerthError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return absent(lookup, 'no such file');
      return fail(code === 'EACCES' || code === 'EPERM' ? "permission denied (berth's user cannot read it)" : `cannot read the file (${code ?? 'error'})`);
    }
    if (bytes.length > maxBytes) fail(`the file is larger than the limit of ${maxBytes} bytes`);
    if (bytes.includes(0)) fail('the file holds a NUL byte, which an environment variable cannot carry');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return fail('the file is not valid UTF-8 text');
    }
    return text.replace(/\r?\n$/, '');
  }

  return {
    async resolve(lookup) {
      const source = lookup.ref.source;
      if ('file' in source) return readFileSource(lookup, source.file);
      if (RESERVED_ENV.test(source.env))
        throw secretUnavailable(lookup, "BERTH_* variables are berth's own configuration and credentials; they are never handed to containers");
      const value = env()[source.env];
      if (value === undefined) return absent(lookup, "the variable is not set in berth's environment");
      return value;
    },
  };
}

function trimSlash(dir: string): string {
  const n = normalize(dir);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Is `path` strictly inside folder `dir` (both absolute and normalized)? */
function isInside(dir: string, path: string): boolean {
  return path !== dir && path.startsWith(dir === '/' ? '/' : `${dir}/`);
}
