/**
 * The request path as Ingress rules see it, normalized the way nginx (and so ingress-nginx)
 * does before it matches a `location`. Pure. An incident: routing on the raw path sent
 * `GET /cgi-bin/../index.html` to the `/cgi-bin` backend, which resolved it itself and served
 * `/index.html` — a path another rule owns; `/x/../cgi-bin/slow` went to `/` instead of
 * `/cgi-bin`.
 *
 * Steps, as nginx's ngx_http_parse_complex_uri:
 *  1. Percent-decode every `%XX` (nginx decodes all of them into `$uri`, `%2F` and `%2e`
 *     included, so `%2e%2e` is a dot segment and `%2F` a separator). A `%` without two hex
 *     digits, a decoded NUL, or bytes that are not UTF-8 → invalid (400).
 *  2. Merge slashes (`merge_slashes on`, nginx's default): `//a///b` → `/a/b`.
 *  3. Resolve dot segments: `.` is dropped, `..` removes the segment before it; a `..` with
 *     nothing before it escapes the root → invalid (400), as nginx answers it. A path ending
 *     in a dot segment keeps a trailing slash (`/a/b/..` → `/a/`).
 *
 * What the backend receives: the normalized path (re-encoded: characters outside RFC 3986's
 * pchar set, `%` itself included, as `%XX` of their UTF-8 bytes) and the query as sent. So
 * the backend always gets the very path that picked it, and cannot resolve `..` into a path
 * another rule owns. (ingress-nginx without rewrite-target passes the raw URI on; berth does
 * not, on purpose — see SECURITY.md.)
 *
 *   /cgi-bin/../index.html      → /index.html
 *   /x/../cgi-bin/slow          → /cgi-bin/slow
 *   /%2e%2e/etc/passwd          → invalid: escapes the root
 *   /a%2Fb                      → /a/b
 *   /a%20b/%3F                  → matched as "/a b/?", forwarded as /a%20b/%3F
 */

export type NormalizedPath =
  | {
      readonly kind: 'ok' /** For matching: decoded, merged, dot segments resolved. */;
      readonly path: string /** For the backend: `path` re-encoded. */;
      readonly forward: string;
    }
  | { readonly kind: 'invalid'; readonly reason: string };

const HEX = /^[0-9a-fA-F]{2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Already normal: only pchar characters, no `%`, no empty or dot segment (most requests). */
const NORMAL = /^(\/[A-Za-z0-9\-_~!$&'()*+,;=:@.]*)+$/;
const HAS_EMPTY_OR_DOT_SEGMENT = /\/\/|\/\.\.?(\/|$)/;

/** `rawPath`: the path part of the request target (no query), starting with `/`. */
export function normalizeRequestPath(rawPath: string): NormalizedPath {
  if (NORMAL.test(rawPath) && !HAS_EMPTY_OR_DOT_SEGMENT.test(rawPath)) return { kind: 'ok', path: rawPath, forward: rawPath };
  const bytes: number[] = [];
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hex = rawPath.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return { kind: 'invalid', reason: `a "%" not followed by two hex digits at offset ${i}` };
      const b = parseInt(hex, 16);
      if (b === 0) return { kind: 'invalid', reason: 'an encoded NUL (%00)' };
      bytes.push(b);
      i += 2;
    } else if (c < 0x80) {
      if (c === 0) return { kind: 'invalid', reason: 'a NUL byte' };
      bytes.push(c);
    } else {
      // A character the HTTP parser handed over as is: its UTF-8 bytes.
      const cp = rawPath.codePointAt(i)!;
      bytes.push(...encoder.encode(String.fromCodePoint(cp)));
      if (cp > 0xffff) i++;
    }
  }
  let decoded: string;
  try {
    decoded = utf8.decode(new Uint8Array(bytes));
  } catch {
    return { kind: 'invalid', reason: 'the decoded path is not UTF-8' };
  }
  const segments: string[] = [];
  const parts = decoded.split('/');
  let trailingSlash = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    if (part === '' || part === '.') {
      trailingSlash = last && segments.length > 0;
      continue;
    }
    if (part === '..') {
      if (segments.length === 0) return { kind: 'invalid', reason: 'a ".." segment escapes the root' };
      segments.pop();
      trailingSlash = last && segments.length > 0;
      continue;
    }
    segments.push(part);
    trailingSlash = false;
  }
  const path = `/${segments.join('/')}${trailingSlash ? '/' : ''}`;
  return { kind: 'ok', path, forward: encodePath(path) };
}

/** RFC 3986 pchar plus "/": kept as they are; everything else is percent-encoded (UTF-8). */
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;

function encodePath(path: string): string {
  let out = '';
  for (const ch of path) {
    if (PCHAR.test(ch)) out += ch;
    else for (const b of encoder.encode(ch)) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The query of a request target, with its `?` (or ''): passed to the backend as sent. */
export function queryOfTarget(target: string): string {
  const q = target.indexOf('?');
  if (q === -1) return '';
  const hash = target.indexOf('#', q);
  return hash === -1 ? target.slice(q) : target.slice(q, hash);
}
