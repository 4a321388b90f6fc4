import { appendFile, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ownValue, type Logger } from '../core/index.js';
import { writeFileAtomic } from './atomic-file.js';
import { PRUNE_CONFIRMATIONS_KEPT, type NamespaceStatus, type Pin, type PruneConfirmation, type RevisionRecord, type Store, type StoreState, type SyncRecord } from './types.js';

const EMPTY: StoreState = { version: 1, namespaces: {} };

/**
 * The state directory: `status.json` (replaced atomically on every write) and
 * `history.jsonl` (append-only, one record a line, fsynced). Reading tolerates what a crash
 * can leave: a torn last history line is skipped; an unreadable status file is set aside as
 * `status.json.corrupt-<time>` and rebuilt by the next passes (status is derivable: the
 * engine's labels and Git hold the truth).
 */
export class FileStore implements Store {
  private state: StoreState = EMPTY;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  static async open(dir: string, logger: Logger): Promise<FileStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const store = new FileStore(dir, logger);
    await store.load();
    await repairHistoryTail(store.historyPath);
    return store;
  }

  get statusPath(): string {
    return join(this.dir, 'status.json');
  }

  get historyPath(): string {
    return join(this.dir, 'history.jsonl');
  }

  private async load(): Promise<void> {
    const text = await readStatusText(this.statusPath);
    if (text === undefined) return;
    try {
      this.state = parseState(text);
    } catch (err) {
      const aside = `${this.statusPath}.corrupt-${Date.now()}`;
      await rename(this.statusPath, aside).catch(() => undefined);
      this.logger.warn({ code: 'STATE_CORRUPT', file: this.statusPath, setAside: aside, err: (err as Error).message }, 'status file unreadable; set aside, status will be rebuilt');
      this.state = EMPTY;
    }
  }

  readState(): StoreState {
    return this.state;
  }

  async putNamespace(status: NamespaceStatus): Promise<void> {
    this.state = { ...this.state, namespaces: { ...this.state.namespaces, [status.namespace]: status } };
    await this.flush();
  }

  async removeNamespace(namespace: string): Promise<void> {
    const { [namespace]: _gone, ...rest } = this.state.namespaces;
    this.state = { ...this.state, namespaces: rest };
    await this.flush();
  }

  async putSource(source: NonNullable<StoreState['source']>): Promise<void> {
    this.state = { ...this.state, source };
    await this.flush();
  }

  async recordRevision(key: string, record: RevisionRecord, limit: number): Promise<void> {
    const list = [...(ownValue(this.state.revisions, key) ?? []).filter((r) => r.revision !== record.revision), record];
    this.state = { ...this.state, revisions: { ...this.state.revisions, [key]: list.slice(-Math.max(1, limit + 1)) } };
    await this.flush();
  }

  async putPin(pin: Pin): Promise<void> {
    this.state = { ...this.state, pins: { ...this.state.pins, [`${pin.namespace}/${pin.name}`]: pin } };
    await this.flush();
  }

  async removePin(key: string): Promise<void> {
    const { [key]: _gone, ...rest } = this.state.pins ?? {};
    this.state = { ...this.state, pins: rest };
    await this.flush();
  }

  async confirmPrune(commit: string, confirmation: PruneConfirmation): Promise<void> {
    const { [commit]: _earlier, ...rest } = this.state.pruneConfirmations ?? {};
    const kept = Object.entries(rest).slice(-(PRUNE_CONFIRMATIONS_KEPT - 1));
    this.state = { ...this.state, pruneConfirmations: { ...Object.fromEntries(kept), [commit]: confirmation } };
    await this.flush();
  }

  /** Writes are serialized; each writes the latest in-memory state. */
  private flush(): Promise<void> {
    const next = this.writing.then(() => writeFileAtomic(this.statusPath, JSON.stringify(this.state, null, 2) + '\n'));
    this.writing = next.catch(() => undefined);
    return next;
  }

  async appendHistory(record: SyncRecord): Promise<void> {
    const fh = await open(this.historyPath, 'a', 0o600);
    try {
      await fh.appendFile(JSON.stringify(record) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async readHistory(filter: { readonly namespace?: string; readonly limit?: number } = {}): Promise<SyncRecord[]> {
    let text: string;
    try {
      text = await readFile(this.historyPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const records: SyncRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as SyncRecord;
        if (!filter.namespace || r.namespace === filter.namespace) records.push(r);
      } catch {
        // A torn line from a crash mid-append: skip it.
      }
    }
    return filter.limit ? records.slice(-filter.limit) : records;
  }
}

/** Repairs a history file whose last line was torn, so later appends start on a fresh line. */
export async function repairHistoryTail(path: string): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => '');
  if (text && !text.endsWith('\n')) await appendFile(path, '\n');
}

/**
 * The state as the running berth last wrote it, for readers beside it (`status`, `history`,
 * `rollout status`, `plan --live`): no folder created, no torn history line repaired, no
 * unreadable file set aside — those belong to the process that holds the lock. A missing or
 * unreadable status reads as empty.
 */
export async function readStoreState(dir: string): Promise<StoreState> {
  const text = await readStatusText(join(dir, 'status.json'));
  if (text === undefined) return EMPTY;
  try {
    return parseState(text);
  } catch {
    return EMPTY;
  }
}

async function readStatusText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseState(text: string): StoreState {
  const parsed = JSON.parse(text) as StoreState;
  if (parsed?.version !== 1 || typeof parsed.namespaces !== 'object' || parsed.namespaces === null) throw new Error('unexpected shape');
  return parsed;
}
