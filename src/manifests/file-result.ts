import type { Diagnostic } from '../core/index.js';
import { parseYaml, type ParseLimits } from './parse.js';
import { shareStrings } from './share-strings.js';
import { validateDocument, type ValidatedDocument } from './validate.js';

/**
 * What one file's bytes say, independent of where the file is: its validated documents and
 * every diagnostic (file-level and per document), without `file` or `namespace`. This is the
 * unit the cache keeps per blob id, so a file that moves or is copied is never parsed again;
 * the loader adds the path and folder when it places the result.
 */
export interface FileResult {
  readonly documents: readonly ValidatedDocument[];
  readonly diagnostics: readonly Diagnostic[];
}

export function readManifestFile(bytes: Uint8Array, limits: ParseLimits): FileResult {
  const parsed = parseYaml(bytes, limits);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const documents: ValidatedDocument[] = [];
  let lines: string[] | undefined; // decoded again only when a rule reads raw text (parseYaml accepted the bytes)
  const lineText = (line: number): string | undefined => (lines ??= new TextDecoder().decode(bytes).split(/\r?\n/))[line - 1];
  for (const doc of parsed.documents) {
    const validated = validateDocument(doc, lineText);
    diagnostics.push(...validated.diagnostics);
    // the YAML nodes are not kept: positions the loader needs are already in `validated`;
    // its strings are shared copies, so the cached result does not keep the file's text alive
    documents.push(shareStrings(validated));
  }
  return { documents, diagnostics };
}

/** A file the source did not read because its blob (size from the git object header) is over the limit. */
export function oversizedFile(size: number, limit: number): FileResult {
  return {
    documents: [],
    diagnostics: [
      {
        severity: 'error',
        code: 'FILE_TOO_LARGE',
        message: `file is ${size} bytes; the limit is ${limit} bytes (the size is read from the git object header; the file is not read)`,
      },
    ],
  };
}
