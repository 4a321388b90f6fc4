import { createHmac } from 'node:crypto';

/**
 * OpenSSH's known_hosts, as `ssh` checks a server's host key with StrictHostKeyChecking=yes
 * (what the Docker CLI's ssh:// gets in BatchMode: an unknown host is refused, never trusted on
 * first use). Pure: the files' text in, a verdict out. Lines (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 *   10.0.0.5 ssh-ed25519 AAAA…                     a host by name or address (port 22)
 *   [10.0.0.5]:2222 ssh-ed25519 AAAA…              another port
 *   |1|<salt>|<hmac> ssh-ed25519 AAAA…             hashed (HashKnownHosts): HMAC-SHA1(salt, name)
 *   *.example.com,!bad.example.com ssh-rsa AAAA…    patterns (`*`, `?`), negation, lists
 *   @revoked * ssh-rsa AAAA…                        this key is refused for every host it matches
 *   @cert-authority … / # comment / blank           not host keys: skipped
 * The key is compared as its wire blob, base64 (what the third field holds).
 *   host 10.0.0.5:22, key K: a line `10.0.0.5 ssh-ed25519 K` → known; the same name with
 *   another key only → changed; no line for the name → unknown; `@revoked * … K` → revoked.
 */
export type HostKeyVerdict = 'known' | 'changed' | 'unknown' | 'revoked';

export function checkHostKey(files: readonly string[], host: string, port: number, keyBase64: string): HostKeyVerdict {
  const name = port === 22 ? host : `[${host}]:${port}`;
  let named = false;
  for (const text of files)
    for (const raw of text.split('\n')) {
      const fields = raw.trim().split(/\s+/);
      if (fields[0] === '' || fields[0]!.startsWith('#')) continue;
      const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined;
      const [patterns, , key] = fields;
      if (patterns === undefined || key === undefined || marker === '@cert-authority') continue;
      if (!hostMatches(patterns, name)) continue;
      if (marker === '@revoked') {
        if (key === keyBase64) return 'revoked';
        continue;
      }
      if (marker !== undefined) continue;
      if (key === keyBase64) return 'known';
      named = true;
    }
  return named ? 'changed' : 'unknown';
}

/** Whether a known_hosts host field (a list of patterns, or one hashed name) names `name`. */
function hostMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    if (!glob(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** OpenSSH's pattern: `*` any run, `?` one character, case-insensitive. */
function glob(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
    'i',
  );
  return re.test(name);
}
