import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '../core/index.js';

/**
 * Where `--repo` points: an http(s) URL (fetched into a mirror) or a local repository read in
 * place. A local `repo` must be the repository's top-level folder (holding `.git`) or a bare
 * repository; berth does not walk up from a sub-folder (that is what `--path` is for), and it
 * reads only the git directory, never the work tree.
 */
export type RepositoryLocation =
  | { readonly kind: 'remote'; readonly url: string; readonly displayUrl: string }
  | { readonly kind: 'local'; readonly gitdir: string; readonly displayPath: string };

export async function locateRepository(repo: string): Promise<RepositoryLocation> {
  if (/^https?:\/\//i.test(repo)) {
    let parsed: URL;
    try {
      parsed = new URL(repo);
    } catch (err) {
      throw new BerthError('USAGE', `--repo "${redactUrl(repo)}" is not a valid URL`, { cause: err });
    }
    return { kind: 'remote', url: parsed.href, displayUrl: redactUrl(parsed.href) };
  }
  if (/^file:\/\//i.test(repo)) return locateLocal(fileURLToPath(repo));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/\\]+@[^/\\:]+:/.test(repo)) {
    throw new BerthError(
      'USAGE',
      `--repo "${redactUrl(repo)}": only http(s) URLs and local paths are supported (no ssh or git:// transport); use the https URL of the repository`,
    );
  }
  return locateLocal(repo);
}

async function locateLocal(repo: string): Promise<RepositoryLocation> {
  const root = path.resolve(repo);
  const stat = await statOrUndefined(root);
  if (!stat) throw notARepository(root, 'the path does not exist');
  if (!stat.isDirectory()) throw notARepository(root, 'the path is not a directory');

  const dotGit = path.join(root, '.git');
  const dotGitStat = await statOrUndefined(dotGit);
  if (dotGitStat?.isDirectory()) {
    if (!(await isGitDir(dotGit))) throw notARepository(root, `${dotGit} is not a valid git directory`);
    return { kind: 'local', gitdir: dotGit, displayPath: root };
  }
  if (dotGitStat?.isFile()) {
    // A `.git` file ("gitdir: <path>") is how submodules and linked worktrees point at their git directory.
    const text = await fsp.readFile(dotGit, 'utf8');
    const match = /^gitdir:\s*(.+?)\s*$/m.exec(text);
    if (!match?.[1]) throw notARepository(root, `${dotGit} is a file without a "gitdir:" line`);
    const gitdir = path.resolve(root, match[1]);
    if (await statOrUndefined(path.join(gitdir, 'commondir'))) {
      throw notARepository(root, 'it is a linked worktree (git worktree add), which berth cannot read; point --repo at the main repository');
    }
    if (!(await isGitDir(gitdir))) throw notARepository(root, `${gitdir} (named by ${dotGit}) is not a valid git directory`);
    return { kind: 'local', gitdir, displayPath: root };
  }
  if (await isGitDir(root)) return { kind: 'local', gitdir: root, displayPath: root };

  const enclosing = await findEnclosingRepository(path.dirname(root));
  const hint = enclosing
    ? `it is inside the repository at ${enclosing}: use --repo ${enclosing} and --path ${path.relative(enclosing, root).split(path.sep).join('/')}`
    : 'it holds no .git directory and is not a bare repository';
  throw notARepository(root, hint);
}

/** A git directory holds HEAD, objects/ and refs/ (work-tree `.git` or bare repository alike). */
async function isGitDir(dir: string): Promise<boolean> {
  const [head, objects, refs] = await Promise.all(['HEAD', 'objects', 'refs'].map((name) => statOrUndefined(path.join(dir, name))));
  return Boolean(head?.isFile() && objects?.isDirectory() && refs?.isDirectory());
}

async function findEnclosingRepository(start: string): Promise<string | undefined> {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (await statOrUndefined(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

async function statOrUndefined(p: string) {
  try {
    return await fsp.stat(p);
  } catch {
    return undefined;
  }
}

function notARepository(root: string, why: string): BerthError {
  return new BerthError('SOURCE_NOT_A_REPOSITORY', `--repo ${root} is not a Git repository: ${why}`, {
    details: { repo: root },
  });
}

/** The URL without user name or password, for messages, logs and cache keys. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}
