import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../../src/core/index.js';
import { acquireLock, FileStore, PRUNE_CONFIRMATIONS_KEPT, readStoreState, type NamespaceStatus } from '../../../src/store/index.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'berth-store-'));
  dirs.push(d);
  return d;
}
const status = (namespace: string, commit: string): NamespaceStatus => ({ namespace, lastAttemptedCommit: commit, lastAppliedCommit: commit, phase: 'Synced', conditions: [], deployments: [], diagnostics: [], updatedAt: '2026-01-01T00:00:00Z' });

describe('FileStore', () => {
  it('persists status across reopen and leaves no temp files', async () => {
    const dir = await tmp();
    const a = await FileStore.open(dir, silentLogger);
    await Promise.all([a.putNamespace(status('shop', 'c1')), a.putNamespace(status('blog', 'c2')), a.putSource({ description: 'repo@main', commit: 'c2', updatedAt: 'now' })]);
    const b = await FileStore.open(dir, silentLogger);
    assert.equal(b.readState().namespaces.shop?.lastAppliedCommit, 'c1');
    assert.equal(b.readState().namespaces.blog?.lastAppliedCommit, 'c2');
    assert.equal(b.readState().source?.commit, 'c2');
    assert.deepEqual((await readdir(dir)).filter((f) => f.includes('.tmp-')), []);
  });

  it('a torn status file (crash mid-write by another tool) is set aside, never fatal', async () => {
    const dir = await tmp();
    const a = await FileStore.open(dir, silentLogger);
    await a.putNamespace(status('shop', 'c1'));
    const full = await readFile(join(dir, 'status.json'), 'utf8');
    await writeFile(join(dir, 'status.json'), full.slice(0, Math.floor(full.length / 2)));
    const b = await FileStore.open(dir, silentLogger);
    assert.deepEqual(b.readState().namespaces, {});
    assert.ok((await readdir(dir)).some((f) => f.startsWith('status.json.corrupt-')), 'the torn file is kept aside for inspection');
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
    assert.deepEqual(all.map((r) => r.time), ['t1', 't3']);
    assert.deepEqual((await b.readHistory({ namespace: 'blog' })).map((r) => r.commit), ['c2']);
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
    assert.deepEqual((await readdir(dir)).filter((f) => f.includes('corrupt')), [], 'nothing set aside by a reader');
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
});
