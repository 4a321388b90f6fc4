import { appendFile, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/index.js';
import { writeFileAtomic } from './atomic-file.js';
import { DecisionJournal, readJournal, type JournalReading } from './decision-journal.js';
import { applyOp, durableOf, sanitizeDurable, type DurableOp, type DurableState } from './durable-state.js';
import type { AutoscalerRecord, NamespaceStatus, Pin, PruneConfirmation, RevisionRecord, Store, StoreState, SyncRecord } from './types.js';

const EMPTY: StoreState = { version: 1, namespaces: {} };

/**
 * The state directory: `status.json` (replaced atomically on every write), `decisions.jsonl`
 * (append-only, fsynced: every change to pins, holds, revision histories and prune
 * confirmations, see decision-journal.ts) and `history.jsonl` (append-only, one record a line,
 * fsynced). Reading tolerates what a crash, or another tool, can leave: a torn last line is
 * skipped; an unreadable status file is set aside as `status.json.corrupt-<time>`, and what it
 * held is rebuilt — the durable decisions from the journal at once, the status by the next
 * passes (status is derivable: the engine's labels and Git hold the truth). A status file of
 * the wrong shape keeps only the entries of the right one.
 */
export class FileStore implements Store {
  private state: StoreState = EMPTY;
  private writing: Promise<void> = Promise.resolve();
  private readonly journal: DecisionJournal;

  private constructor(
    readonly dir: string,
    private readonly logger: Logger,
    compactJournalAfterLines?: number,
  ) {
    this.journal = new DecisionJournal(this.journalPath, compactJournalAfterLines);
  }

  /** `compactJournalAfterLines`: see decision-journal.ts (tests set it small). */
  static async open(dir: string, logger: Logger, options: { readonly compactJournalAfterLines?: number } = {}): Promise<FileStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const store = new FileStore(dir, logger, options.compactJournalAfterLines);
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

  get journalPath(): string {
    return join(this.dir, 'decisions.jsonl');
  }

  private async load(): Promise<void> {
    const text = await readStatusText(this.statusPath);
    let status = EMPTY;
    if (text !== undefined) {
      try {
        status = parseState(text);
      } catch (err) {
        const aside = `${this.statusPath}.corrupt-${Date.now()}`;
        await rename(this.statusPath, aside).catch(() => undefined);
        this.logger.warn(
          { code: 'STATE_CORRUPT', file: this.statusPath, setAside: aside, err: (err as Error).message },
          'status file unreadable; set aside, status will be rebuilt (pins and revision histories come from the decision journal)',
        );
      }
    }
    const journal = await readJournal(this.journalPath);
    if (journal && journal.skipped > 0) {
      this.logger.warn(
        { code: 'STATE_CORRUPT', file: this.journalPath, skippedLines: journal.skipped, replayed: journal.applied },
        'decision journal has unreadable lines; skipped',
      );
    }
    if (journal && journal.applied > 0) {
      this.state = withDurable(status, journal.state);
      await this.journal.repairTail(journal.applied + journal.skipped);
      return;
    }
    // No journal yet (a state directory from before it) or nothing readable in it: the status
    // file's copy seeds it. An unreadable journal is set aside first, like a status file.
    this.state = status;
    if (journal) await rename(this.journalPath, `${this.journalPath}.corrupt-${Date.now()}`).catch(() => undefined);
    await this.journal.rewrite(durableOf(status));
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
    await this.decide({ op: 'revision', key, record, limit });
  }

  async putPin(pin: Pin): Promise<void> {
    await this.decide({ op: 'pin', pin });
  }

  async removePin(key: string): Promise<void> {
    await this.decide({ op: 'unpin', key });
  }

  async putAutoscaler(record: AutoscalerRecord, options: { readonly durable: boolean }): Promise<void> {
    if (options.durable) return this.decide({ op: 'autoscaler', record });
    this.state = { ...this.state, autoscalers: { ...this.state.autoscalers, [`${record.namespace}/${record.name}`]: record } };
    await this.flush();
  }

  async removeAutoscaler(key: string): Promise<void> {
    await this.decide({ op: 'unautoscaler', key });
  }

  async confirmPrune(commit: string, confirmation: PruneConfirmation): Promise<void> {
    await this.decide({ op: 'confirm-prune', commit, confirmation });
  }

  /** A change to the durable state: applied in memory, appended to the journal, then status rewritten. */
  private decide(op: DurableOp): Promise<void> {
    this.state = withDurable(this.state, applyOp(durableOf(this.state), op));
    return this.serialized(async () => {
      await this.journal.append(op, () => durableOf(this.state));
      await this.writeStatus();
    });
  }

  /** Writes are serialized; each writes the latest in-memory state. */
  private flush(): Promise<void> {
    return this.serialized(() => this.writeStatus());
  }

  private writeStatus(): Promise<void> {
    return writeFileAtomic(this.statusPath, JSON.stringify(this.state, null, 2) + '\n');
  }

  private serialized(write: () => Promise<void>): Promise<void> {
    const next = this.writing.then(write);
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
        if (typeof r !== 'object' || r === null || typeof r.namespace !== 'string') continue; // not a record (a corrupt line)
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
  let status = EMPTY;
  if (text !== undefined) {
    try {
      status = parseState(text);
    } catch {
      // unreadable: the writer sets it aside; the journal still has the decisions
    }
  }
  let journal: JournalReading | undefined;
  try {
    journal = await readJournal(join(dir, 'decisions.jsonl'));
  } catch {
    journal = undefined;
  }
  return journal && journal.applied > 0 ? withDurable(status, journal.state) : status;
}

async function readStatusText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** `status` with its durable part replaced by `durable`. */
function withDurable(status: StoreState, durable: DurableState): StoreState {
  const { revisions: _r, pins: _p, pruneConfirmations: _c, autoscalers: _a, ...rest } = status;
  return { ...rest, ...durable };
}

/**
 * The status file's text → a StoreState; throws when it is not one at all (not JSON, not an
 * object, another version, no namespaces map). Entries of the wrong shape are dropped (the
 * next passes rebuild them), so nothing downstream meets a namespace status that is a number.
 */
function parseState(text: string): StoreState {
  const parsed = JSON.parse(text) as unknown;
  if (!isRecord(parsed) || parsed.version !== 1 || !isRecord(parsed.namespaces)) throw new Error('unexpected shape');
  const namespaces = Object.fromEntries(Object.entries(parsed.namespaces).filter((e): e is [string, NamespaceStatus] => isNamespaceStatus(e[0], e[1])));
  const source = parsed.source;
  const goodSource = isRecord(source) && typeof source.description === 'string' && typeof source.updatedAt === 'string';
  return { version: 1, ...(goodSource ? { source: source as unknown as NonNullable<StoreState['source']> } : {}), namespaces, ...sanitizeDurable(parsed) };
}

function isNamespaceStatus(key: string, v: unknown): v is NamespaceStatus {
  return (
    isRecord(v) &&
    v.namespace === key &&
    typeof v.phase === 'string' &&
    Array.isArray(v.conditions) &&
    Array.isArray(v.diagnostics) &&
    Array.isArray(v.deployments) &&
    v.deployments.every((d) => isRecord(d) && typeof d.name === 'string')
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
