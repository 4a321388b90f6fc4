import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, appendFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../../src/core/index.js';
import {
  acquireLock,
  API_ADDRESS_FILE,
  FileStore,
  forgetApiAddress,
  LOCK_FILE,
  lockHolder,
  recordApiAddress,
  runningApi,
  PRUNE_CONFIRMATIONS_KEPT,
  readStoreState,
  type NamespaceStatus,
  type Pin,
  type RevisionRecord,
  type StoreState,
} from '../../../src/store/index.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'berth-store-'));
  dirs.push(d);
  return d;
}
const status = (namespace: string, commit: string): NamespaceStatus => ({
  namespace,
  lastAttemptedCommit: commit,
  lastAppliedCommit: commit,
  phase: 'Synced',
  conditions: [],
  deployments: [],
  diagnostics: [],
  updatedAt: '2026-01-01T00:00:00Z',
});

describe('FileStore', () => {
  it('persists status across reopen and leaves no temp files', async () => {
    const dir = await tmp();
    const a = await FileStore.open(dir, silentLogger);
    await Promise.all([
      a.putNamespace(status('shop', 'c1')),
      a.putNamespace(status('blog', 'c2')),
      a.putSource({ description: 'repo@main', commit: 'c2', updatedAt: 'now' }),
    ]);
    const b = await FileStore.open(dir, silentLogger);
    assert.equal(b.readState().namespaces.shop?.lastAppliedCommit, 'c1');
    assert.equal(b.readState().namespaces.blog?.lastAppliedCommit, 'c2');
    assert.equal(b.readState().source?.commit, 'c2');
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.includes('.tmp-')),
      [],
    );
  });

  it('a torn status file (crash mid-write by another tool) is set aside, never fatal', async () => {
    const dir = await tmp();
    const a = await FileStore.open(dir, silentLogger);
    await a.putNamespace(status('shop', 'c1'));
    const full = await readFile(join(dir, 'status.json'), 'utf8');
    await writeFile(join(dir, 'status.json'), full.slice(0, Math.floor(full.length / 2)));
    const b = await FileStore.open(dir, silentLogger);
    assert.deepEqual(b.readState().namespaces, {});
    assert.ok(
      (await readdir(dir)).some((f) => f.startsWith('status.json.corrupt-')),
      'the torn file is kept aside for inspection',
    );
    await b.putNamespace(status('shop', 'c3'));
    const c = await FileStore.open(dir, silentLogger);
    assert.equal(c.readState().namespaces.shop?.lastAttemptedCommit, 'c3');
  });

  it('history survives a torn last line and keeps appending on a fresh line', async () => {
    const dir = await tmp();
    const a = await FileStore.open(dir, silentLogger);
    await a.appendHistory({ time: 't1', namespace: 'shop', commit: 'c1', outcome: 'applied', moves: 2 });
    await appendFile(join(dir, 'history.jsonl'), '{"time":"t2","namesp');
    const b = await FileStore.open(dir, silentLogger);
    await b.appendHistory({ time: 't3', namespace: 'blog', commit: 'c2', outcome: 'invalid', moves: 0 });
    const all = await b.readHistory();
    assert.deepEqual(
      all.map((r) => r.time),
      ['t1', 't3'],
    );
    assert.deepEqual(
      (await b.readHistory({ namespace: 'blog' })).map((r) => r.commit),
      ['c2'],
    );
  });
});

describe('readStoreState (readers beside the running berth)', () => {
  it('reads what the writer wrote, and touches nothing: a half-written history line and an unreadable status stay as they are', async () => {
    const dir = await tmp();
    const store = await FileStore.open(dir, silentLogger);
    await store.putNamespace(status('shop', 'c1'));
    assert.equal((await readStoreState(dir)).namespaces.shop?.lastAppliedCommit, 'c1');
    await appendFile(join(dir, 'history.jsonl'), '{"time":"t2","namesp'); // the writer is mid-append
    await readStoreState(dir);
    assert.match(await readFile(join(dir, 'history.jsonl'), 'utf8'), /"namesp$/, 'the line being appended is not truncated by a reader');
    await writeFile(join(dir, 'status.json'), '{"version":1,"names');
    assert.deepEqual(await readStoreState(dir), { version: 1, namespaces: {} });
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.includes('corrupt')),
      [],
      'nothing set aside by a reader',
    );
  });

  it('a state directory that does not exist reads as empty and is not created', async () => {
    const dir = join(await tmp(), 'missing');
    assert.deepEqual(await readStoreState(dir), { version: 1, namespaces: {} });
    await assert.rejects(readdir(dir), 'not created');
  });
});

describe('FileStore prune confirmations', () => {
  it('are kept per commit across reopen, the newest PRUNE_CONFIRMATIONS_KEPT only', async () => {
    const dir = await tmp();
    const a = await FileStore.open(dir, silentLogger);
    await a.confirmPrune('a'.repeat(40), { at: '2030-01-01T00:00:00Z', by: 'ops' });
    const b = await FileStore.open(dir, silentLogger);
    assert.deepEqual(b.readState().pruneConfirmations, { ['a'.repeat(40)]: { at: '2030-01-01T00:00:00Z', by: 'ops' } }, 'persisted');
    for (let i = 0; i < PRUNE_CONFIRMATIONS_KEPT + 5; i++) await b.confirmPrune(i.toString(16).padStart(40, 'f'), { at: `t${i}`, by: 'api' });
    const kept = Object.keys(b.readState().pruneConfirmations ?? {});
    assert.equal(kept.length, PRUNE_CONFIRMATIONS_KEPT, 'capped');
    assert.equal(kept.includes('a'.repeat(40)), false, 'the oldest went first');
    assert.equal(kept.at(-1), (PRUNE_CONFIRMATIONS_KEPT + 4).toString(16).padStart(40, 'f'), 'the newest is kept');
  });
});

describe('state lock', () => {
  it('a second holder is refused while the first is alive; released locks can be retaken', async () => {
    const dir = await tmp();
    const path = join(dir, 'berth.lock');
    const lock = await acquireLock(path);
    // Simulate another live process holding it: pid 1 is always alive.
    await writeFile(path, '1\n');
    await assert.rejects(acquireLock(path), (err: Error & { code?: string }) => err.code === 'STATE_LOCKED' && /in use by berth process 1/.test(err.message));
    await lock.release();
    const again = await acquireLock(path);
    await again.release();
  });

  it('a stale lock (dead pid) is taken over', async () => {
    const dir = await tmp();
    const path = join(dir, 'berth.lock');
    await writeFile(path, '999999999\n');
    const lock = await acquireLock(path);
    assert.equal((await readFile(path, 'utf8')).trim(), String(process.pid));
    await lock.release();
  });

  it('lockHolder: the live holder and since when; none without a file, for a dead pid or garbage', async () => {
    const dir = await tmp();
    const path = join(dir, 'berth.lock');
    assert.equal(await lockHolder(path), undefined, 'no file');
    const lock = await acquireLock(path);
    const held = await lockHolder(path);
    assert.equal(held?.pid, process.pid);
    assert.equal(held?.since.getTime(), (await stat(path)).mtime.getTime(), 'since the lock was taken');
    await lock.release();
    assert.equal(await lockHolder(path), undefined, 'released');
    await writeFile(path, '999999999\n');
    assert.equal(await lockHolder(path), undefined, 'a dead pid');
    await writeFile(path, 'not a pid\n');
    assert.equal(await lockHolder(path), undefined, 'garbage');
  });
});

describe('the running API record (berth plan --live asks the berth running on its state directory)', () => {
  /** As `berth plan --live` asks: the lock's live holder, then its record. */
  const running = async (dir: string) => {
    const holder = await lockHolder(join(dir, LOCK_FILE));
    return holder ? runningApi(dir, holder) : undefined;
  };
  const write = (dir: string, record: unknown) => writeFile(join(dir, API_ADDRESS_FILE), typeof record === 'string' ? record : JSON.stringify(record));

  it('records a wildcard listen address as the loopback address of its family; readable while this process holds the lock', async () => {
    for (const [listened, reached] of [
      ['http://0.0.0.0:7070', 'http://127.0.0.1:7070'],
      ['http://[::]:7070', 'http://[::1]:7070'],
      ['http://127.0.0.1:7070', 'http://127.0.0.1:7070'],
      ['http://10.1.2.3:80', 'http://10.1.2.3:80'],
    ] as const) {
      const dir = await tmp();
      const lock = await acquireLock(join(dir, LOCK_FILE));
      await recordApiAddress(dir, listened, 'scope-a');
      assert.deepEqual(await running(dir), { pid: process.pid, url: reached, plans: 'scope-a' }, listened);
      await forgetApiAddress(dir);
      assert.equal(await running(dir), undefined, `${listened}: forgotten`);
      await forgetApiAddress(dir); // twice is harmless
      await lock.release();
    }
  });

  const cases: readonly [string, (dir: string) => Promise<unknown>][] = [
    ['no lock holder (berth stopped, its record left behind)', async (dir) => recordApiAddress(dir, 'http://127.0.0.1:1', 's')],
    [
      'another process holds the lock',
      async (dir) => {
        await write(dir, { pid: 999999999, url: 'http://127.0.0.1:1', plans: 's' });
        return acquireLock(join(dir, LOCK_FILE));
      },
    ],
    ['no record', async (dir) => acquireLock(join(dir, LOCK_FILE))],
    [
      'a torn record',
      async (dir) => {
        await write(dir, `{"pid":${process.pid},"url":"http://127`);
        return acquireLock(join(dir, LOCK_FILE));
      },
    ],
    [
      'JSON, not an object',
      async (dir) => {
        await write(dir, 'null');
        return acquireLock(join(dir, LOCK_FILE));
      },
    ],
    [
      'a url that is not http(s)',
      async (dir) => {
        await write(dir, { pid: process.pid, url: 'file:///etc/passwd', plans: 's' });
        return acquireLock(join(dir, LOCK_FILE));
      },
    ],
    [
      'no plans fingerprint (an older record)',
      async (dir) => {
        await write(dir, { pid: process.pid, url: 'http://127.0.0.1:1' });
        return acquireLock(join(dir, LOCK_FILE));
      },
    ],
  ];
  for (const [name, arrange] of cases)
    it(`none when: ${name}`, async () => {
      const dir = await tmp();
      const lock = (await arrange(dir)) as { release(): Promise<void> } | undefined;
      try {
        assert.equal(await running(dir), undefined);
      } finally {
        await lock?.release?.();
      }
    });
});

describe('FileStore: decisions survive a torn or corrupt status file (#15)', () => {
  const pin: Pin = { namespace: 'shop', name: 'web', commit: 'c1'.padEnd(40, '1'), revision: 'r1', headSpec: 'h2', createdAt: '2026-01-01T00:00:00Z' };
  const hold: Pin = {
    namespace: 'shop',
    name: 'api',
    commit: 'c2'.padEnd(40, '2'),
    revision: 'r9',
    headSpec: 'h9',
    createdAt: '2026-01-01T00:00:00Z',
    cause: 'auto-rollback',
    hold: true,
    failed: { revision: 'r9', commit: 'c2'.padEnd(40, '2'), reason: 'CrashLoop', message: 'exited 1' },
  };
  const rev = (revision: string, outcome: RevisionRecord['outcome'] = 'complete'): RevisionRecord => ({
    revision,
    commit: `${revision}`.padEnd(40, '0'),
    image: 'busybox:1.36',
    time: '2026-01-01T00:00:00Z',
    outcome,
  });

  /** A store that made the decisions a restart needs: a manual pin, an auto-rollback hold, revision histories, a prune confirmation. */
  async function decided(dir: string): Promise<FileStore> {
    const store = await FileStore.open(dir, silentLogger);
    await store.putNamespace(status('shop', 'c2'));
    for (const r of ['r1', 'r2', 'r3']) await store.recordRevision('shop/web', rev(r), 10);
    await store.recordRevision('shop/api', rev('r8'), 10);
    await store.recordRevision('shop/api', rev('r9', 'failed'), 10);
    await store.putPin(pin);
    await store.putPin(hold);
    await store.confirmPrune('c3'.padEnd(40, '3'), { at: 't', by: 'ops' });
    return store;
  }
  const expectDecisions = (state: StoreState) => {
    assert.deepEqual(state.pins, { 'shop/web': pin, 'shop/api': hold });
    assert.deepEqual(
      state.revisions?.['shop/web']?.map((r) => r.revision),
      ['r1', 'r2', 'r3'],
    );
    assert.deepEqual(
      state.revisions?.['shop/api']?.map((r) => `${r.revision}:${r.outcome}`),
      ['r8:complete', 'r9:failed'],
    );
    assert.deepEqual(Object.keys(state.pruneConfirmations ?? {}), ['c3'.padEnd(40, '3')]);
  };

  const corruptions: [what: string, corrupt: (full: string) => string][] = [
    ['truncated (torn write)', (full) => full.slice(0, Math.floor(full.length / 3))],
    ['empty', () => ''],
    ['garbage', () => '\u0000\u0001not json at all'],
    ['valid JSON, not an object', () => '[]'],
    ['valid JSON, another version', () => '{"version":2,"namespaces":{}}'],
    ['valid JSON of the wrong shape inside', () => '{"version":1,"namespaces":{"shop":5,"blog":{"namespace":"other"}},"pins":[],"revisions":"x","source":7}'],
    ['valid JSON of the right shape that lost the decisions (an old copy restored)', () => '{"version":1,"namespaces":{}}'],
  ];
  for (const [what, corrupt] of corruptions) {
    it(`status.json ${what}: pins, holds, revision histories and confirmations come back from the journal`, async () => {
      const dir = await tmp();
      await decided(dir);
      const file = join(dir, 'status.json');
      await writeFile(file, corrupt(await readFile(file, 'utf8')));
      const reopened = await FileStore.open(dir, silentLogger);
      const state = reopened.readState();
      expectDecisions(state);
      for (const [name, ns] of Object.entries(state.namespaces)) assert.equal(ns.namespace, name, 'only well-formed namespace entries are kept');
      assert.equal(typeof state.source === 'undefined' || typeof state.source.description === 'string', true);
      expectDecisions(await readStoreState(dir)); // readers beside berth see them too
      // And it goes on: a new revision appends to the full list, not to a list cut to one entry.
      await reopened.recordRevision('shop/web', rev('r4'), 10);
      const again = await FileStore.open(dir, silentLogger);
      assert.deepEqual(
        again.readState().revisions?.['shop/web']?.map((r) => r.revision),
        ['r1', 'r2', 'r3', 'r4'],
      );
    });
  }

  it('status.json deleted: the decisions come back too', async () => {
    const dir = await tmp();
    await decided(dir);
    await rm(join(dir, 'status.json'));
    expectDecisions((await FileStore.open(dir, silentLogger)).readState());
  });

  it('a torn last journal line costs that one change; the next appends start on a fresh line', async () => {
    const dir = await tmp();
    await decided(dir);
    await appendFile(join(dir, 'decisions.jsonl'), '{"op":"unpin","key":"shop/w');
    await writeFile(join(dir, 'status.json'), 'garbage');
    const reopened = await FileStore.open(dir, silentLogger);
    expectDecisions(reopened.readState());
    await reopened.removePin('shop/api');
    const again = await FileStore.open(dir, silentLogger);
    assert.deepEqual(Object.keys(again.readState().pins ?? {}), ['shop/web']);
  });

  it('a long journal is compacted to one snapshot line, atomically, and replays the same', async () => {
    const dir = await tmp();
    const store = await FileStore.open(dir, silentLogger, { compactJournalAfterLines: 5 });
    for (let i = 1; i <= 12; i++) await store.recordRevision('shop/web', rev(`r${i}`), 3);
    await store.putPin(pin);
    const lines = (await readFile(join(dir, 'decisions.jsonl'), 'utf8')).trim().split('\n');
    assert.ok(lines.length <= 5, `compacted: ${lines.length} lines`);
    await writeFile(join(dir, 'status.json'), '');
    const state = (await FileStore.open(dir, silentLogger)).readState();
    assert.deepEqual(
      state.revisions?.['shop/web']?.map((r) => r.revision),
      ['r9', 'r10', 'r11', 'r12'],
    );
    assert.deepEqual(state.pins, { 'shop/web': pin });
  });

  it('a state directory from before the journal: its status file seeds the journal', async () => {
    const dir = await tmp();
    const old: StoreState = { version: 1, namespaces: {}, pins: { 'shop/web': pin }, revisions: { 'shop/web': [rev('r1'), rev('r2')] } };
    await writeFile(join(dir, 'status.json'), JSON.stringify(old));
    await FileStore.open(dir, silentLogger);
    await writeFile(join(dir, 'status.json'), 'torn');
    const state = (await FileStore.open(dir, silentLogger)).readState();
    assert.deepEqual(state.pins, old.pins);
    assert.deepEqual(state.revisions, old.revisions);
  });
});
