import { appendFile, open, readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.js';
import { applyOp, parseOp, type DurableOp, type DurableState } from './durable-state.js';

/**
 * `decisions.jsonl`: the append-only, fsynced journal of the durable state (durable-state.ts),
 * one operation a line. The store appends each change before it rewrites `status.json`, and
 * rebuilds the durable state on start by replaying the journal, so a torn, truncated or
 * overwritten status file costs no pin, hold or revision history. A line that does not parse
 * (a torn last line after a crash, garbage) is skipped: it costs that one change, not the rest.
 * When the journal grows past `compactAfterLines`, it is replaced (atomically: temp file, fsync,
 * rename) by one `snapshot` line holding the whole durable state.
 */
export const JOURNAL_COMPACT_AFTER_LINES = 1000;

export interface JournalReading {
  readonly state: DurableState;
  /** Operations replayed. */
  readonly applied: number;
  /** Lines that were not operations (torn, corrupt, wrong shape). */
  readonly skipped: number;
}

/** Replays the journal at `path`; undefined when there is none. Reads only (safe beside the writer). */
export async function readJournal(path: string): Promise<JournalReading | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let state: DurableState = {};
  let applied = 0;
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const op = parseOp(line);
    if (!op) {
      skipped++;
      continue;
    }
    state = applyOp(state, op);
    applied++;
  }
  return { state, applied, skipped };
}

export class DecisionJournal {
  private lines = 0;

  constructor(
    readonly path: string,
    private readonly compactAfterLines = JOURNAL_COMPACT_AFTER_LINES,
  ) {}

  /** Before the first append: a torn last line gets its newline, so the next operation starts a line of its own. */
  async repairTail(linesNow: number): Promise<void> {
    this.lines = linesNow;
    const text = await readFile(this.path, 'utf8').catch(() => '');
    if (text && !text.endsWith('\n')) await appendFile(this.path, '\n');
  }

  /** Appends `op` (fsynced). When the journal is long, replaces it by a snapshot of `current` (which includes `op`). */
  async append(op: DurableOp, current: () => DurableState): Promise<void> {
    if (this.lines >= this.compactAfterLines) {
      await this.rewrite(current());
      return;
    }
    const fh = await open(this.path, 'a', 0o600);
    try {
      await fh.appendFile(JSON.stringify(op) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.lines++;
  }

  /** Replaces the journal by one snapshot line (atomically). */
  async rewrite(state: DurableState): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify({ op: 'snapshot', state } satisfies DurableOp) + '\n');
    this.lines = 1;
  }
}
