/**
 * The elements of one JSON array read from a byte stream, each handed over as soon as it is
 * complete: how berth reads the engine's container list.
 *
 * Why not the whole body at once (what dockerode does): the list of 20,000 containers is tens of
 * MB of JSON, and reading it whole makes one string of that size each pass. V8 puts a string that
 * large in its large-object space, which only a full collection frees, so every pass added its
 * size to the old generation until V8 collected (bench/reconcile: the warm process climbed by
 * 12 MB a pass, to a 622 MB peak). Here no string is larger than one element.
 *
 * This only frames: it finds where each element's bytes start and end (strings, escapes and
 * nesting tracked; chunks may split anything, a multi-byte character included) and parses each
 * element with JSON.parse, as ndjson.ts does with lines. A body that is not one JSON array, or
 * one that stops before its end, throws.
 *
 *   const s = createJsonArraySplitter((v) => out.push(v));
 *   s.push(Buffer.from('[{"a":1},')); s.push(Buffer.from('{"b":"]"}]')); s.end(); // out: [{a:1},{b:']'}]
 */
export interface JsonArraySplitter {
  push(chunk: Buffer): void;
  /** Throws when the array has not been closed. */
  end(): void;
}

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export function createJsonArraySplitter(onElement: (value: unknown) => void): JsonArraySplitter {
  let state: 'before' | 'inside' | 'after' = 'before';
  /** Nesting inside the current element (0: at its top level). */
  let depth = 0;
  let inString = false;
  /** The previous byte inside a string was a backslash that escapes this one. */
  let escaped = false;
  /** Bytes of the element being read, from earlier chunks. */
  let parts: Buffer[] = [];
  /** Where the current element starts in the current chunk (-1: before this chunk, or none). */
  let start = -1;
  /** An element has begun (a non-space byte since the last separator). */
  let inElement = false;
  /** Elements so far (an empty array has none; `[,]` is refused). */
  let count = 0;

  const fail = (why: string): never => {
    throw new SyntaxError(`the engine's answer is not a JSON array: ${why}`);
  };

  const finishElement = (chunk: Buffer, end: number): void => {
    const tail = chunk.subarray(start === -1 ? 0 : start, end);
    const bytes = parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
    parts = [];
    start = -1;
    inElement = false;
    count++;
    onElement(JSON.parse(bytes.toString('utf8')));
  };

  return {
    push(chunk) {
      let i = 0;
      const n = chunk.length;
      while (i < n) {
        if (state === 'after') {
          if (!isSpace(chunk[i]!)) fail('bytes after its end');
          i++;
          continue;
        }
        if (state === 'before') {
          const b = chunk[i]!;
          i++;
          if (isSpace(b)) continue;
          if (b !== OPEN_BRACKET) fail(`it starts with ${JSON.stringify(String.fromCharCode(b))}`);
          state = 'inside';
          continue;
        }
        if (inString) {
          if (escaped) {
            escaped = false;
            i++;
            continue;
          }
          // Jump to the next quote or backslash: most of the bytes are inside strings.
          let q = chunk.indexOf(QUOTE, i);
          const bs = chunk.indexOf(BACKSLASH, i);
          if (bs !== -1 && (q === -1 || bs < q)) {
            escaped = true;
            i = bs + 1;
            continue;
          }
          if (q === -1) q = n - 1;
          else inString = false;
          i = q + 1;
          continue;
        }
        const b = chunk[i]!;
        if (depth === 0 && (b === COMMA || b === CLOSE_BRACKET)) {
          if (inElement) finishElement(chunk, i);
          else if (b === COMMA || count > 0) fail(b === COMMA ? 'an empty element' : 'a trailing comma');
          if (b === CLOSE_BRACKET) state = 'after';
          i++;
          continue;
        }
        if (!inElement) {
          if (isSpace(b)) {
            i++;
            continue;
          }
          inElement = true;
          start = i;
        }
        if (b === QUOTE) inString = true;
        else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
        else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
          if (depth === 0) fail('a closing bracket without its opening one');
          depth--;
        }
        i++;
      }
      if (inElement) {
        parts.push(chunk.subarray(start === -1 ? 0 : start));
        start = -1;
      }
    },
    end() {
      if (state !== 'after') fail(state === 'before' ? 'it is empty' : 'it ends before the array is closed');
    },
  };
}
