/**
 * Image references as the distribution library defines them (github.com/distribution/reference,
 * `regexp.go`), the grammar the Docker engine itself parses:
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain "/"] path-component ["/" path-component]*
 *   domain           := domain-component ["." domain-component]* [":" port-number]   (or [IPv6])
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   path-component   := alpha-numeric [separator alpha-numeric]*
 *   alpha-numeric    := /[a-z0-9]+/
 *   separator        := /[_.]|__|[-]+/
 *   tag              := /[\w][\w.-]{0,127}/
 *   digest           := algorithm ":" hex        e.g. sha256:<64 hex>
 *
 * The first component is a domain only when it holds a "." or ":" or is "localhost", as
 * Docker decides. The name is at most 255 characters.
 *
 * Why it is in core: a reference is spliced into Engine API paths (`/images/{name}/json`), and
 * a value like `../x` or `a/../../containers/json` made the engine answer a path-cleaning 301
 * that the client followed to a hostname (an unhandled error that ended the process; issue
 * #15). Manifests reject such values with a located error; the docker adapter checks them
 * again at its edge, with this one grammar.
 *
 * Worked examples:
 *   busybox                          → ok (name busybox)
 *   busybox:1.36                     → ok (tag 1.36)
 *   registry.example.com:5000/team/app@sha256:<64 hex> → ok (domain, digest)
 *   ../x, /x, x/../../y, %2e%2e/x    → error: not a path component
 *   Busybox                          → error: the repository must be lowercase
 *   app@sha256:bad                   → error: a sha256 digest is 64 hex digits
 *   app#1                            → error: "#" is not allowed
 */

export interface ImageReference {
  readonly domain?: string;
  /** The repository path, e.g. `library/busybox` is written `busybox`; kept as written. */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

export type ImageReferenceResult = { readonly ok: true; readonly reference: ImageReference } | { readonly ok: false; readonly reason: string };

const NAME_MAX = 255;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const IPV6_DOMAIN = /^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

/** Parses `ref` with the distribution grammar; never throws. */
export function parseImageReference(ref: string): ImageReferenceResult {
  const fail = (reason: string): ImageReferenceResult => ({ ok: false, reason });
  if (ref.length === 0) return fail('is empty');
  const bad = /[^\x21-\x7e]/.exec(ref);
  if (bad) return fail(`contains ${describeChar(bad[0])}, which no image reference may contain`);
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return fail(`has a malformed digest ${JSON.stringify(digest)}: expected algorithm:hex, e.g. sha256: and 64 hex digits`);
    if (digest.startsWith('sha256:') && digest.length !== 'sha256:'.length + 64)
      return fail(`has a sha256 digest of ${digest.length - 7} hex digits; a sha256 digest has 64`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag))
      return fail(`has a malformed tag ${JSON.stringify(tag)}: a tag is up to 128 letters, digits, "_", "." or "-", not starting with "." or "-"`);
  }
  if (rest.length === 0) return fail('has no repository name');
  if (rest.length > NAME_MAX) return fail(`has a repository name of ${rest.length} characters; at most ${NAME_MAX}`);
  const components = rest.split('/');
  for (const component of components) {
    if (component === '') return fail('has an empty path component ("//", or a leading or trailing "/")');
    if (component === '.' || component === '..')
      return fail(`has a "${component}" path component; a repository name is lowercase letters, digits and separators`);
  }
  let domain: string | undefined;
  const first = components[0]!;
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z]/.test(first))) {
    domain = components.shift()!;
    const why = checkDomain(domain);
    if (why) return fail(why);
  }
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) {
      if (PATH_COMPONENT.test(component.toLowerCase())) return fail(`has ${JSON.stringify(component)}: the repository name must be lowercase`);
      return fail(
        `has ${JSON.stringify(component)}, which is not a repository name component (lowercase letters and digits, separated by ".", "_", "__" or "-")`,
      );
    }
  }
  return {
    ok: true,
    reference: {
      ...(domain !== undefined ? { domain } : {}),
      path: components.join('/'),
      ...(tag !== undefined ? { tag } : {}),
      ...(digest !== undefined ? { digest } : {}),
    },
  };
}

/** True when `ref` is a valid image reference. */
export function isImageReference(ref: string): boolean {
  return parseImageReference(ref).ok;
}

function checkDomain(domain: string): string | undefined {
  if (IPV6_DOMAIN.test(domain)) return undefined;
  const colon = domain.indexOf(':');
  const host = colon >= 0 ? domain.slice(0, colon) : domain;
  const port = colon >= 0 ? domain.slice(colon + 1) : undefined;
  if (port !== undefined && !/^[0-9]+$/.test(port)) return `has a registry ${JSON.stringify(domain)} whose port is not a number`;
  if (!host.split('.').every((c) => DOMAIN_COMPONENT.test(c))) return `has a registry host ${JSON.stringify(host)} that is not a host name`;
  return undefined;
}

function describeChar(c: string): string {
  const code = c.codePointAt(0)!;
  if (c === ' ') return 'a space';
  if (code < 0x20 || code === 0x7f) return `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `${JSON.stringify(c)}`;
}
