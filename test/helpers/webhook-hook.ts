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

/**
 * A TCP port that was free a moment ago on 127.0.0.1 (for a server started by another process),
 * chosen below the kernel's ephemeral range (ip_local_port_range): a port the kernel hands out
 * (`listen(0)`) can meanwhile become the source port of one of the thousands of connections
 * the load tests open, and the server then fails with EADDRINUSE (a CI run met it). Random in
 * [10000, first ephemeral port), checked by binding it; the kernel's pick when there is no such range.
 */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const { readFile } = await import('node:fs/promises');
  const bind = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const bound = (server.address() as { port: number }).port;
        server.close(() => resolve(bound));
      });
    });
  const firstEphemeral = Number((await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '')).trim().split(/\s+/)[0]);
  const low = 10_000;
  if (Number.isInteger(firstEphemeral) && firstEphemeral > low + 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await bind(low + Math.floor(Math.random() * (firstEphemeral - low)));
      if (port !== undefined) return port;
    }
  }
  const port = await bind(0);
  if (port === undefined) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}
