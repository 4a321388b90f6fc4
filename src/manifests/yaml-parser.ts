import { CST, Parser } from 'yaml';

/**
 * yaml's CST Parser, minus one debugging hook that dominates its cost.
 *
 * `Parser.prototype.next()` (yaml 2.x) reads `process.env.LOG_TOKENS` for every lexical token.
 * A `process.env` read goes through a C++ interceptor (~0.3 µs here), which measured as the
 * single largest item when loading 10 000 Deployments: about a third of all parse time.
 * `TokenParser` is the same parser whose `next()` is the library's own code without that read.
 *
 * Safety net: the override is installed only when the installed yaml's `next()` is exactly the
 * source it was copied from (a fingerprint of its text, checked once at load). After a yaml
 * upgrade that changes `next()`, TokenParser silently behaves as the stock Parser; the unit
 * test `yaml-parser.test.ts` reports which one is in use, so the copy can be refreshed.
 */
export class TokenParser extends Parser {}

/** FNV-1a (32-bit) of `next()`'s source with all whitespace removed, for yaml 2.9.x. */
const EXPECTED_NEXT_FINGERPRINT = 0x4af87d34;

interface ParserInternals {
  source: string;
  atScalar: boolean;
  atNewLine: boolean;
  type: string;
  indent: number;
  offset: number;
  onNewLine?: (offset: number) => void;
  step(): Generator<CST.Token, void>;
  pop(error?: CST.Token): Generator<CST.Token, void>;
}

/** yaml 2.9's Parser#next, verbatim except the `process.env.LOG_TOKENS` check. */
function* next(this: ParserInternals, source: string): Generator<CST.Token, void> {
  this.source = source;
  if (this.atScalar) {
    this.atScalar = false;
    yield* this.step();
    this.offset += source.length;
    return;
  }
  const type = CST.tokenType(source);
  if (!type) {
    const message = `Not a YAML token: ${source}`;
    yield* this.pop({ type: 'error', offset: this.offset, message, source });
    this.offset += source.length;
  } else if (type === 'scalar') {
    this.atNewLine = false;
    this.atScalar = true;
    this.type = 'scalar';
  } else {
    this.type = type;
    yield* this.step();
    switch (type) {
      case 'newline':
        this.atNewLine = true;
        this.indent = 0;
        if (this.onNewLine) this.onNewLine(this.offset + source.length);
        break;
      case 'space':
        if (this.atNewLine && source[0] === ' ') this.indent += source.length;
        break;
      case 'explicit-key-ind':
      case 'map-value-ind':
      case 'seq-item-ind':
        if (this.atNewLine) this.indent += source.length;
        break;
      case 'doc-mode':
      case 'flow-error-end':
        return;
      default:
        this.atNewLine = false;
    }
    this.offset += source.length;
  }
}

export function fingerprint(fn: (...args: never[]) => unknown): number {
  const text = fn.toString().replace(/\s+/g, '');
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** True when TokenParser runs the copy above rather than the stock `next()`. */
export const usesFastTokenPath: boolean = fingerprint(Parser.prototype.next) === EXPECTED_NEXT_FINGERPRINT;

if (usesFastTokenPath) {
  Object.defineProperty(TokenParser.prototype, 'next', { value: next, writable: true, configurable: true });
}
