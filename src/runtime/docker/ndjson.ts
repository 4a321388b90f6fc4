/**
 * Newline-delimited JSON over a byte stream, as the engine sends events and pull progress.
 * Chunk boundaries fall anywhere: inside a line, inside a multi-byte UTF-8 character, or
 * several lines at once. A line that is not JSON is reported and skipped, never fatal; a
 * line longer than `maxLineChars` (a broken or hostile peer) is dropped rather than buffered
 * without bound.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export interface LineSplitter {
  push(chunk: Buffer | string): void;
  /** Flushes a final line that had no trailing newline. */
  end(): void;
}

export function createLineSplitter(onLine: (line: string) => void, maxLineChars = 1 << 20): LineSplitter {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let overflowing = false; // inside an oversized line: drop until its newline

  const take = (text: string): void => {
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      const line = pending + text.slice(start, nl);
      pending = '';
      if (!overflowing) emit(line);
      overflowing = false;
      start = nl + 1;
    }
    if (overflowing) return;
    pending += text.slice(start);
    if (pending.length > maxLineChars) {
      pending = '';
      overflowing = true;
    }
  };
  const emit = (line: string): void => {
    const trimmed = line.trim();
    if (trimmed !== '') onLine(trimmed);
  };

  return {
    push(chunk) {
      take(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    },
    end() {
      take(decoder.end());
      if (!overflowing) emit(pending);
      pending = '';
      overflowing = false;
    },
  };
}

/**
 * Feeds every JSON value of `stream` to `onValue`. Resolves `'end'` when the peer finished
 * the stream, `'closed'` when it was closed without finishing (destroyed by us, or cut);
 * rejects with the stream's error, or with what `onValue` threw (the stream is then destroyed).
 */
export function consumeJsonLines(stream: Readable, onValue: (value: unknown) => void, onInvalid: (line: string) => void = () => {}): Promise<'end' | 'closed'> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
    };
    const splitter = createLineSplitter((line) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        onInvalid(line);
        return;
      }
      try {
        onValue(value);
      } catch (err) {
        stream.destroy(err instanceof Error ? err : new Error(String(err))); // → 'error' → reject
      }
    });
    stream.on('data', (chunk: Buffer | string) => splitter.push(chunk));
    stream.on('end', () => {
      splitter.end();
      settle(() => resolve('end'));
    });
    stream.on('error', (err) => settle(() => reject(err)));
    stream.on('close', () => settle(() => resolve('closed')));
  });
}
