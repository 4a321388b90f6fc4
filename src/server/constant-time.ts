import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Secret comparisons in constant time. `timingSafeEqual` needs equal lengths, and comparing
 * lengths first would leak the secret's length; so plain tokens are compared through an
 * HMAC under a per-process random key: both sides become 32 bytes, and the compare time
 * depends on neither value.
 */
const COMPARE_KEY = randomBytes(32);

export function tokensEqual(given: string, expected: string): boolean {
  const a = createHmac('sha256', COMPARE_KEY).update(given, 'utf8').digest();
  const b = createHmac('sha256', COMPARE_KEY).update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** HMAC-SHA256 of the raw body, as GitHub, Gitea and berth's generic hook sign it. */
export function hmacSha256(secret: string, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/**
 * Whether `hex` (the signature a sender claims) is the HMAC-SHA256 of `body` under `secret`.
 * The expected digest is always 32 bytes, so a claim of any other length is refused before
 * the constant-time compare (that length is public, not secret).
 */
export function isValidHmacSha256(secret: string, body: Buffer, hex: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false;
  return timingSafeEqual(Buffer.from(hex, 'hex'), hmacSha256(secret, body));
}
