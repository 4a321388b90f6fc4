import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What the hook recorded for one pushed ref. */
export interface HookAnswer {
  readonly ref: string;
  readonly after: string;
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** Date.now() in the hook right before the POST, and when berth's answer arrived. */
  readonly sentAt: number;
  readonly answeredAt: number;
}

/**
 * A real post-receive hook that notifies berth like GitHub would: for each
 * updated ref it POSTs a GitHub-style push event signed with HMAC-SHA256 to berth's
 * /hooks/github and appends berth's answer to a JSON-lines file. git runs it after the refs
 * are updated and the pushing client waits for it, so `git push` returns after berth has
 * answered (202: the sync runs in the background).
 */
function postReceiveScript(url: string, secret: string, answers: string): string {
  return `
const crypto = require('node:crypto');
const fs = require('node:fs');
const lines = fs.readFileSync(0, 'utf8').trim().split('\\n').filter(Boolean);
(async () => {
  for (const line of lines) {
    const [before, after, ref] = line.split(' ');
    const body = JSON.stringify({ ref, before, after, repository: { default_branch: 'main' } });
    const sig = 'sha256=' + crypto.createHmac('sha256', ${JSON.stringify(secret)}).update(body).digest('hex');
    const sentAt = Date.now();
    const res = await fetch(${JSON.stringify(url)}, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': sig }, body });
    const answer = await res.json();
    fs.appendFileSync(${JSON.stringify(answers)}, JSON.stringify({ ref, after, status: res.status, body: answer, sentAt, answeredAt: Date.now() }) + '\\n');
  }
})();`;
}

export interface InstalledHook {
  readonly answersFile: string;
  answers(): Promise<HookAnswer[]>;
  /** Removes the hook from the repository (pushes then notify nobody). */
  uninstall(): Promise<void>;
}

export async function installPostReceiveHook(args: { bareDir: string; scratchDir: string; url: string; secret: string }): Promise<InstalledHook> {
  const answersFile = join(args.scratchDir, 'hook-answers.jsonl');
  const script = join(args.scratchDir, 'post-receive.cjs');
  const hook = join(args.bareDir, 'hooks', 'post-receive');
  await writeFile(script, postReceiveScript(args.url, args.secret, answersFile));
  await writeFile(hook, `#!/bin/sh\nexec "${process.execPath}" "${script}"\n`);
  await chmod(hook, 0o755);
  return {
    answersFile,
    async answers() {
      const text = await readFile(answersFile, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as HookAnswer);
    },
    uninstall: () => rm(hook, { force: true }),
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for a server started by another process). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
