/**
 * A mirror's first fetch, which brings a repository's whole history, runs in a Node process of
 * its own (src/source/fetch-apart.ts), so what isomorphic-git's indexing leaves in the malloc
 * heap does not stay in berth's. Driven against a real Git server over HTTP: the first fetch runs
 * apart and the next ones in berth's process, the child's errors arrive as the BerthErrors the
 * fetch throws in-process, a child that dies is a located transient error, and a child never
 * outlives the berth that started it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BerthError, isBerthError, silentLogger } from '../../src/core/index.js';
import { openGitSource } from '../../src/source/index.js';
import { childEntry, fetchPackApart } from '../../src/source/fetch-apart.js';
import { RemoteMirror } from '../../src/source/remote-mirror.js';
import type { PackFetchRequest } from '../../src/source/pack-fetch.js';
import { eventually } from '../helpers/eventually.js';
import { recordingLogger } from '../helpers/recording-logger.js';
import { tmpDir } from '../helpers/tmp-dir.js';
import { tmpRepo, type TmpRepo } from '../helpers/tmp-repo.js';

/** Every process whose parent is `pid`. */
async function childrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after its last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) found.push(Number(entry));
  }
  return found;
}

const alive = (pid: number) =>
  readFile(`/proc/${pid}/stat`, 'utf8').then(
    (s) => !/^\S+ \(.*\) Z/.test(s),
    () => false,
  );

describe("a mirror's first fetch runs in a process of its own", () => {
  let repo: TmpRepo;
  let head: string;

  before(async () => {
    repo = await tmpRepo();
    await repo.write('manifests/web/app.yaml', 'kind: ConfigMap\n');
    head = await repo.commit('c1');
    await repo.push();
  });
  after(() => repo?.cleanup());

  const request = (gitdir: string, over: Partial<PackFetchRequest> = {}): PackFetchRequest => ({
    url: repo.url,
    displayUrl: repo.url,
    gitdir,
    remote: 'origin',
    remoteRef: 'main',
    haveHint: undefined,
    httpTimeoutMs: 60_000,
    maxFetchObjectBytes: 100 * 1024 * 1024,
    ...over,
  });

  it("the first fetch apart, the next ones in berth's process; each sees what was pushed", async (t) => {
    const { logger, records } = recordingLogger();
    const source = await openGitSource({ repo: repo.url, cacheDir: await tmpDir(t, 'berth-cache-'), logger });
    assert.equal((await source.resolve()).oid, head);
    await repo.write('manifests/web/app.yaml', 'kind: Secret\n');
    const next = await repo.commit('c2');
    await repo.push();
    assert.equal((await source.resolve()).oid, next);
    const fetched = records.filter((r) => r.msg === 'fetched ref');
    assert.deepEqual(
      fetched.map((r) => ({ oid: r.oid, apart: r.apart })),
      [
        { oid: head, apart: true },
        { oid: next, apart: false },
      ],
    );
    // What the fetch cost, apart: the child's own peak RSS (a Node process: tens of MB).
    const peak = fetched[0]?.fetchProcessPeakRssKb;
    assert.ok(typeof peak === 'number' && peak > 10_000 && peak < 1_000_000, `the child's peak RSS in KB: ${peak}`);
    assert.equal(fetched[1]?.fetchProcessPeakRssKb, undefined);
  });

  it('a commit named by its id on a new mirror: the fetch of every branch and tag is its first, and runs apart', async (t) => {
    const { logger, records } = recordingLogger();
    const source = await openGitSource({ repo: repo.url, ref: head, cacheDir: await tmpDir(t, 'berth-cache-'), logger });
    assert.equal((await source.resolve()).oid, head);
    assert.deepEqual(
      records.filter((r) => /^fetched /.test(String(r.msg))).map((r) => ({ msg: r.msg, apart: r.apart })),
      [{ msg: 'fetched all refs', apart: true }],
    );
  });

  it("the child's errors are the fetch's own: a ref the server lacks, a server that refuses", async (t) => {
    const missing = await fetchPackApart(request(await bareMirror(t), { remoteRef: 'refs/heads/nope' })).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(isBerthError(missing), String(missing));
    assert.equal((missing as BerthError).code, 'SOURCE_REF_NOT_FOUND');
    assert.match((missing as BerthError).message, /nope/);

    const refused = await fetchPackApart(
      request(await bareMirror(t), { url: repo.url.replace('repo.git', 'other.git'), displayUrl: 'http://example.test/other.git' }),
    ).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(isBerthError(refused), String(refused));
    assert.equal((refused as BerthError).code, 'SOURCE_UNREACHABLE');
    assert.match((refused as BerthError).message, /^cannot fetch http:\/\/example\.test\/other\.git: HTTP 404/);
  });

  it('a child that dies before it answers: SOURCE_UNREACHABLE naming how it ended and what it printed', async (t) => {
    const dir = await tmpDir(t, 'berth-child-');
    const file = path.join(dir, 'dies.mjs');
    await writeFile(file, "process.on('message', () => { process.stderr.write('out of memory, say\\n'); process.exit(7); });\n");
    const err = await fetchPackApart(request(await bareMirror(t)), { file, execArgv: [] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isBerthError(err), String(err));
    assert.equal((err as BerthError).code, 'SOURCE_UNREACHABLE');
    assert.equal((err as BerthError).message, `cannot fetch ${repo.url}: the fetch process ended (exit code 7) before it answered: out of memory, say`);
  });

  it('a child answering with an error code berth does not know: SOURCE_UNREACHABLE saying so, nothing thrown elsewhere', async (t) => {
    const dir = await tmpDir(t, 'berth-child-');
    const file = path.join(dir, 'odd.mjs');
    await writeFile(
      file,
      "process.on('message', () => process.send({ ok: false, code: 'NO_SUCH_CODE', message: 'odd', details: {} }, () => process.exit(0)));\n",
    );
    const err = await fetchPackApart(request(await bareMirror(t)), { file, execArgv: [] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isBerthError(err), String(err));
    assert.equal((err as BerthError).code, 'SOURCE_UNREACHABLE');
    assert.match((err as BerthError).message, /the fetch process answered with an unknown error code "NO_SUCH_CODE": odd$/);
  });

  it('a child never outlives berth: killed with -9 mid-fetch, its child ends too', async (t) => {
    // A server that accepts and never answers: the fetch hangs in the child until its parent goes.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => void sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const s of sockets) s.destroy();
      silent.close();
    });
    const connected = new Promise<void>((resolve) => silent.once('connection', () => resolve()));
    const port = (silent.address() as net.AddressInfo).port;
    const gitdir = await bareMirror(t);
    const fetchApart = fileURLToPath(new URL('../../src/source/fetch-apart.ts', import.meta.url));
    const script = `import { fetchPackApart } from ${JSON.stringify(fetchApart)};
await fetchPackApart(${JSON.stringify(request(gitdir, { url: `http://127.0.0.1:${port}/x.git`, displayUrl: 'http://silent/x.git' }))});`;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { stdio: 'ignore' });
    t.after(() => parent.kill('SIGKILL'));
    const exited = new Promise<never>((_, reject) =>
      parent.once('exit', (code) => reject(new Error(`the parent exited (${code}) before its child connected`))),
    );
    await Promise.race([connected, exited]);
    const [child] = await childrenOf(parent.pid!);
    assert.ok(child !== undefined && (await alive(child)), 'the fetch runs in a child of the parent');
    t.after(async () => {
      if (await alive(child)) process.kill(child, 'SIGKILL');
    });
    parent.kill('SIGKILL');
    await eventually(async () => assert.equal(await alive(child), false, `child ${child} still runs`), { timeoutMs: 20_000, what: 'the child to end' });
  });

  it("runs dist/fetch-child.mjs from a bundle in dist/, else the source through tsx (a test file's own bundle too)", () => {
    const root = '/opt/berth';
    const bundled = childEntry('file:///opt/berth/dist/berth.mjs', root);
    assert.equal(bundled.file, '/opt/berth/dist/fetch-child.mjs');
    assert.deepEqual(bundled.execArgv, [], `none of this test process's flags (${process.execArgv.join(' ')})`);
    assert.equal(childEntry('file:///opt/berth/dist/bench-reconcile-worker.12.mjs', root).file, '/opt/berth/dist/fetch-child.mjs');
    for (const here of ['file:///opt/berth/src/source/fetch-apart.ts', 'file:///opt/berth/test/integration/.fetch-apart.test.bundle.mjs']) {
      const sources = childEntry(here, root);
      assert.equal(sources.file, '/opt/berth/src/source/fetch-child.ts', here);
      assert.equal(sources.execArgv.length, 2, here);
      assert.equal(sources.execArgv[0], '--import', here);
      assert.match(sources.execArgv[1] ?? '', /^file:\/\/.*\/node_modules\/tsx\//, `${here}: tsx, resolved to its file`);
    }
  });
});

/** A new, empty mirror, as berth opens one before its first fetch. */
async function bareMirror(t: Parameters<typeof tmpDir>[0]): Promise<string> {
  const mirror = await RemoteMirror.open({
    url: 'http://example.invalid/m.git',
    displayUrl: 'http://example.invalid/m.git',
    cacheDir: await tmpDir(t, 'berth-mirror-'),
    logger: silentLogger,
  });
  return mirror.gitdir;
}
