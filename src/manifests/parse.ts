import { Composer, isAlias, isMap, isScalar, isSeq, Lexer, LineCounter, Parser, type CST, type Node } from 'yaml';
import type { Diagnostic } from '../core/index.js';
import type { ManifestDiagnosticCode } from './codes.js';
import { isMergeKey, locate, type FieldPath, type Position } from './locate.js';
import { parseSimpleYaml } from './simple-yaml.js';

/**
 * One file's bytes → YAML documents, defensively: the input is whatever someone pushed.
 *
 * Two paths with one result: plain block YAML (nearly every manifest) goes through
 * simple-yaml.ts, a line scanner that gives exactly what the library would; everything else,
 * and every error, goes through the yaml library, driven as parseAllDocuments drives it
 * (Lexer → Parser → Composer, with a LineCounter) so the checks below can sit in between.
 *
 *  - size:     more than `maxFileBytes` is refused before decoding;
 *  - encoding: UTF-8 only (TextDecoder `fatal`), NUL bytes mean a binary file;
 *  - depth:    the CST parser is driven token by token and stopped as soon as collections
 *              nest deeper than `maxDepth`. yaml's parser is O(size × depth) and its composer
 *              recursive, so one MiB of `[[[[…` or `- - - …` would otherwise cost seconds to
 *              minutes of CPU (measured: 14 s, then out of memory) before any check could run;
 *  - aliases:  `toJS({ maxAliasCount })` refuses "billion laughs" expansion;
 *  - duplicate keys (and the exact depth) are found by one linear walk (yaml's own `uniqueKeys` check compares every
 *    pair of keys: 30 000 keys in one mapping cost 4 s) and are errors, as in Kubernetes.
 * Empty documents (`---` with nothing after it) are skipped; a file with no document at all
 * is an error (see `noDocuments`). Diagnostics carry line/column/document but no `file`: the result depends
 * only on the bytes, so the caller may cache it by blob id and add the path itself.
 */
export interface ParseLimits {
  /** Largest file accepted, in bytes. Default 1 MiB. */
  readonly maxFileBytes: number;
  /** Most alias expansions per document (yaml's `maxAliasCount`). Default 100. */
  readonly maxAliasCount: number;
  /** Deepest collection nesting accepted. Default 64 (a Deployment needs about 10). */
  readonly maxDepth: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxFileBytes: 1024 * 1024, maxAliasCount: 100, maxDepth: 64 };

/** One non-empty, error-free YAML document. Drop it after validation (`locate` holds the text's nodes). */
export interface YamlDocument {
  /** 0-based index among all documents of the file, empty ones included (so `---` can be counted). */
  readonly index: number;
  /** 1-based line of the document's first content node. */
  readonly line: number;
  /** The plain JS value (objects, arrays, strings, numbers, booleans, null). */
  readonly value: unknown;
  /** Where a field is written (see locate.ts for which node of a path is meant). */
  locate(path: FieldPath): Position;
}

export interface ParsedYaml {
  readonly documents: readonly YamlDocument[];
  /** File-less diagnostics (see above). */
  readonly diagnostics: readonly Diagnostic[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export function parseYaml(bytes: Uint8Array, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParsedYaml {
  if (bytes.length > limits.maxFileBytes) {
    return fileProblem('FILE_TOO_LARGE', `file is ${bytes.length} bytes; the limit is ${limits.maxFileBytes} bytes`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) return fileProblem('FILE_BINARY', `file contains a NUL byte at offset ${nul}; a binary file is not a manifest`, lineAt(bytes, nul));
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    return fileProblem('FILE_NOT_UTF8', `file is not valid UTF-8 text (first invalid byte at offset ${bad}); save it as UTF-8`, lineAt(bytes, bad));
  }
  return parseYamlText(text, limits);
}

/** parseYaml for text already decoded: the fast path when it applies, else the library. */
export function parseYamlText(text: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParsedYaml {
  return parseSimpleYaml(text, limits.maxDepth) ?? parseWithYamlLibrary(text, limits);
}

/** The full YAML 1.2 path, through the yaml library. */
export function parseWithYamlLibrary(text: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParsedYaml {
  const lineCounter = new LineCounter();
  const tokens = lexAndParse(text, lineCounter, limits.maxDepth);
  if (!Array.isArray(tokens)) return { documents: [], diagnostics: [tokens] };

  const diagnostics: Diagnostic[] = [];
  const documents: YamlDocument[] = [];
  const at = (offset: number): { line: number; column: number } => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  let index = 0;
  // uniqueKeys: off, checked below in linear time; merge: `<<` keys, as Kubernetes' YAML 1.1 parser
  // allows; resolveKnownTags: off, so !!binary, !!set, !!timestamp stay plain JSON-like values.
  for (const doc of new Composer({ uniqueKeys: false, merge: true, resolveKnownTags: false, prettyErrors: false }).compose(tokens)) {
    const document = index++;
    for (const w of doc.warnings) diagnostics.push({ severity: 'warning', code: 'YAML_WARNING', message: cleanMessage(w.message), document, ...at(w.pos[0]) });
    let failed = doc.errors.length > 0;
    for (const e of doc.errors) {
      const message = /call stack/i.test(e.message) ? tooDeep(limits.maxDepth) : cleanMessage(e.message);
      diagnostics.push({ severity: 'error', code: /call stack/i.test(e.message) ? 'YAML_TOO_DEEP' : 'YAML_SYNTAX', message, document, ...at(e.pos[0]) });
    }
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null && contents.range[0] === contents.range[2] && !doc.errors.length)) {
      continue; // an empty document: `---` followed by nothing (or only comments)
    }
    for (const problem of inspectNodes(contents, text, limits.maxDepth)) {
      failed = true;
      diagnostics.push({ severity: 'error', code: problem.code, message: problem.message, document, ...at(problem.offset) });
    }
    if (failed) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
    } catch (err) {
      const tooMany = err instanceof ReferenceError || /alias/i.test(String((err as Error)?.message));
      diagnostics.push(
        tooMany
          ? {
              severity: 'error',
              code: 'YAML_ALIAS_LIMIT',
              message: `document expands too many aliases (limit ${limits.maxAliasCount}); refusing a possible "billion laughs" document`,
              document,
              ...at(contents.range[0]),
            }
          : {
              severity: 'error',
              code: 'YAML_TOO_DEEP',
              message: `document cannot be converted: ${(err as Error)?.message ?? String(err)}`,
              document,
              ...at(contents.range[0]),
            },
      );
      continue;
    }
    documents.push({ index: document, line: at(contents.range[0]).line, value, locate: (path) => locate(doc, lineCounter, path) });
  }
  if (index === 0 || (documents.length === 0 && diagnostics.length === 0)) {
    diagnostics.push(noDocuments());
  }
  return { documents, diagnostics };
}

/**
 * A file with no documents (empty, or only comments and `---`) is an error, not a warning: as a
 * warning its namespace would be valid without the objects the file used to define, and they would
 * be pruned. A file emptied by a broken editor save or a failed generator must not delete anything;
 * deleting the file is the way to remove its objects.
 */
function noDocuments(): Diagnostic {
  return {
    severity: 'error',
    code: 'FILE_EMPTY',
    message: 'file holds no YAML documents; to remove the objects it defined, delete the file',
    line: 1,
    column: 1,
  };
}

function fileProblem(code: ManifestDiagnosticCode, message: string, line?: number): ParsedYaml {
  return { documents: [], diagnostics: [{ severity: 'error', code, message, ...(line !== undefined ? { line } : {}) }] };
}

/** 1-based line of byte `offset` (counting LF bytes before it). */
function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i >= 0 && i < offset; i = bytes.indexOf(0x0a, i + 1)) line++;
  return line;
}

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence (only called once decoding failed). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // lead byte → number of continuation bytes and the allowed range of the first one (no overlongs, no surrogates, ≤ U+10FFFF)
    const [n, lo, hi] =
      b >= 0xc2 && b <= 0xdf
        ? [1, 0x80, 0xbf]
        : b === 0xe0
          ? [2, 0xa0, 0xbf]
          : b === 0xed
            ? [2, 0x80, 0x9f]
            : b >= 0xe1 && b <= 0xef
              ? [2, 0x80, 0xbf]
              : b === 0xf0
                ? [3, 0x90, 0xbf]
                : b >= 0xf1 && b <= 0xf3
                  ? [3, 0x80, 0xbf]
                  : b === 0xf4
                    ? [3, 0x80, 0x8f]
                    : [0, 0, 0];
    if (n === 0) return i;
    const first = bytes[i + 1];
    if (first === undefined || first < lo || first > hi) return i;
    for (let k = 2; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < 0x80 || c > 0xbf) return i;
    }
    i += n + 1;
  }
  return bytes.length;
}

/**
 * Lexes and parses to CST tokens, feeding `lineCounter`, and stops as soon as the parser's stack
 * (about one entry per open collection, plus the document and the current scalar) grows past
 * the depth limit. This is the cheap guard against pathological input; the exact depth is
 * checked on the composed nodes (see `inspectNodes`).
 */
function lexAndParse(text: string, lineCounter: LineCounter, maxDepth: number): CST.Token[] | Diagnostic {
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const tokens: CST.Token[] = [];
  const maxStack = maxDepth + 4;
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    if (parser.stack.length > maxStack) {
      const p = lineCounter.linePos(parser.offset);
      return { severity: 'error', code: 'YAML_TOO_DEEP', message: tooDeep(maxDepth), line: p.line, column: p.col };
    }
  }
  for (const token of parser.end()) tokens.push(token);
  return tokens;
}

function tooDeep(maxDepth: number): string {
  return `YAML collections nested more than ${maxDepth} levels deep`;
}

/** yaml's messages sometimes end with a code frame or "at line x, column y"; keep the first line only. */
function cleanMessage(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').trim();
}

interface NodeProblem {
  readonly code: 'YAML_DUPLICATE_KEY' | 'YAML_TOO_DEEP' | 'YAML_ALIAS_LIMIT' | 'YAML_SYNTAX';
  readonly message: string;
  readonly offset: number;
}

/**
 * One linear walk over the composed nodes, in document order: duplicate scalar keys in every
 * mapping (merge keys `<<` excepted), collections nested deeper than `maxDepth` (the outermost
 * collection is level 1), and two things `toJS` would otherwise turn into trouble:
 *  - an alias inside the node its anchor marks (`&a [1, *a]`, `&a {<<: *a}`): a circular value
 *    that crashes whatever serializes it later. go-yaml, and so Kubernetes, refuses it too
 *    ("anchor 'a' value contains itself"). Found by the fuzzer (test/unit/manifests/fuzz.test.ts);
 *  - a mapping key that is a collection (`{a: 1}: x`, or an alias of one): JSON has no such key;
 *    yaml would stringify it and print a process warning.
 * Aliases are not followed (they point at nodes walked where they were anchored); anchors are
 * tracked as yaml resolves them: an alias names the latest anchor before it in the text.
 */
function inspectNodes(root: Node, text: string, maxDepth: number): NodeProblem[] {
  const found: NodeProblem[] = [];
  const anchors = new Map<string, Node>();
  const stack: { node: unknown; depth: number; isKey?: boolean }[] = [{ node: root, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth, isKey } = stack.pop()!;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      const offset = node.range?.[0] ?? 0;
      if (!target) {
        // Most often not meant as an alias at all: an unquoted Ingress wildcard host.
        found.push({
          code: 'YAML_SYNTAX',
          message: `unknown alias *${node.source}: no anchor &${node.source} above it; a value that starts with '*' (like a wildcard host) must be quoted: "*${node.source}"`,
          offset,
        });
      } else if (target.range && target.range[0] <= offset && offset < target.range[2]) {
        found.push({
          code: 'YAML_ALIAS_LIMIT',
          message: `alias *${node.source} is inside the node &${node.source} it refers to: a recursive, infinitely deep value`,
          offset,
        });
      } else if (isKey && (isMap(target) || isSeq(target))) {
        found.push({ code: 'YAML_SYNTAX', message: collectionKey, offset });
      }
      continue;
    }
    if (!isMap(node) && !isSeq(node)) {
      if (isScalar(node) && node.anchor) anchors.set(node.anchor, node);
      continue;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    if (isKey) found.push({ code: 'YAML_SYNTAX', message: collectionKey, offset: node.range?.[0] ?? 0 });
    if (depth > maxDepth) {
      found.push({ code: 'YAML_TOO_DEEP', message: tooDeep(maxDepth), offset: node.range?.[0] ?? 0 });
      continue;
    }
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key) && !isMergeKey(key.value)) {
          const name = String(key.value);
          const offset = key.range?.[0] ?? 0;
          const first = seen.get(name);
          if (first === undefined) seen.set(name, offset);
          else
            found.push({
              code: 'YAML_DUPLICATE_KEY',
              message: `duplicate key ${JSON.stringify(name)} (first at line ${lineOf(text, first)}); keys must be unique within a mapping`,
              offset,
            });
        }
      }
      // pushed in reverse, so they are popped in document order (key before value)
      for (let i = node.items.length - 1; i >= 0; i--) {
        const pair = node.items[i]!;
        stack.push({ node: pair.value, depth: depth + 1 }, { node: pair.key, depth: depth + 1, isKey: true });
      }
    } else {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i], depth: depth + 1 });
    }
  }
  return found.sort((a, b) => a.offset - b.offset);
}

const collectionKey = 'a mapping key must be a scalar (a string), not a collection';

/** 1-based line of `offset` (only used on the rare error path). */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
