import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startGitServer, type GitServer } from './git-server.js';

/**
 * Real Git repositories in temp dirs, driven with native git.
 *
 * Native git always runs asynchronously (execFile, promisified): a synchronous call would
 * block the event loop, and with the test's git server living in the same process a push or
 * clone would then wait forever for a server that cannot answer.
 *
 * - `localRepo()`: a plain work-tree repository (branch main), for local-path sources.
 * - `tmpRepo()`: a bare repository (`git init --bare -b main`, so HEAD names a branch that
 *   will exist) served over HTTP by its own git server, plus a work clone whose `origin` is the
 *   HTTP URL; `push()` goes through the server like a user's would.
 * `cleanup()` removes everything (and stops the server); call it from `after`/`t.after`.
 */
const execFileAsync = promisify(execFile);

const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Berth Test',
  GIT_AUTHOR_EMAIL: 'test@berth.invalid',
  GIT_COMMITTER_NAME: 'Berth Test',
  GIT_COMMITTER_EMAIL: 'test@berth.invalid',
};

/** Run native git; resolves with trimmed stdout, rejects with stderr in the message. */
export async function runGit(cwd: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', ['-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], {
      cwd,
      env: GIT_ENV,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

export class WorkTree {
  constructor(readonly dir: string) {}

  git(...args: string[]): Promise<string> {
    return runGit(this.dir, args);
  }

  /** Write a file in the work tree (creating folders); not staged until commit(). */
  async write(file: string, content: string | Uint8Array): Promise<void> {
    const full = path.join(this.dir, file);
    await fsp.mkdir(path.dirname(full), { recursive: true });
    await fsp.writeFile(full, content);
  }

  async remove(file: string): Promise<void> {
    await fsp.rm(path.join(this.dir, file), { recursive: true, force: true });
  }

  /** Create a symlink at `file` pointing at `target` (committed as mode 120000). */
  async symlink(target: string, file: string): Promise<void> {
    const full = path.join(this.dir, file);
    await fsp.mkdir(path.dirname(full), { recursive: true });
    await fsp.symlink(target, full);
  }

  /** Stage everything and commit; returns the new commit's full id. */
  async commit(message: string): Promise<string> {
    await this.git('add', '--all');
    await this.git('commit', '--allow-empty', '--quiet', '-m', message);
    return this.head();
  }

  head(): Promise<string> {
    return this.git('rev-parse', 'HEAD');
  }

  async tag(name: string, options: { annotated?: boolean; commit?: string } = {}): Promise<void> {
    const target = options.commit ?? 'HEAD';
    if (options.annotated) await this.git('tag', '-a', name, '-m', `tag ${name}`, target);
    else await this.git('tag', name, target);
  }
}

export interface LocalRepo extends WorkTree {
  cleanup(): Promise<void>;
}

/** A work-tree repository on branch main, without any server. */
export async function localRepo(): Promise<LocalRepo> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-local-repo-'));
  await runGit(dir, ['init', '--quiet', '-b', 'main']);
  const repo = new WorkTree(dir) as LocalRepo;
  repo.cleanup = () => fsp.rm(dir, { recursive: true, force: true });
  return repo;
}

export interface TmpRepo extends WorkTree {
  /** The temp folder holding everything. */
  readonly root: string;
  /** The bare repository the server serves. */
  readonly bareDir: string;
  readonly server: GitServer;
  /** The repository's URL (without credentials). */
  readonly url: string;
  /** Push the current branch (or `refspec`) to origin over HTTP; `force` for rewritten history; `tags` to push tags too. */
  push(options?: { force?: boolean; refspec?: string; tags?: boolean }): Promise<void>;
  cleanup(): Promise<void>;
}

export async function tmpRepo(options: { requireToken?: string } = {}): Promise<TmpRepo> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-tmp-repo-'));
  const bareDir = path.join(root, 'repo.git');
  const workDir = path.join(root, 'work');
  let server: GitServer | undefined;
  try {
    await runGit(root, ['init', '--quiet', '--bare', '-b', 'main', bareDir]);
    await runGit(root, ['init', '--quiet', '-b', 'main', workDir]);
    server = await startGitServer(root, options.requireToken === undefined ? {} : { requireToken: options.requireToken });
    const url = server.url('repo.git');
    const pushUrl = options.requireToken === undefined ? url : url.replace('http://', `http://test:${options.requireToken}@`);
    await runGit(workDir, ['remote', 'add', 'origin', pushUrl]);

    const repo = new WorkTree(workDir) as TmpRepo;
    const runningServer = server;
    Object.assign(repo, {
      root,
      bareDir,
      server: runningServer,
      url,
      async push(opts: { force?: boolean; refspec?: string; tags?: boolean } = {}) {
        const args = ['push', '--quiet'];
        if (opts.force) args.push('--force');
        if (opts.tags) args.push('--tags');
        args.push('origin', opts.refspec ?? 'HEAD');
        await repo.git(...args);
      },
      async cleanup() {
        await runningServer.close();
        await fsp.rm(root, { recursive: true, force: true });
      },
    });
    return repo;
  } catch (err) {
    await server?.close();
    await fsp.rm(root, { recursive: true, force: true });
    throw err;
  }
}
