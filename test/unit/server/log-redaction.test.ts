import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { REDACT_HEADER_PATHS, SECRET_HEADERS } from '../../../src/server/index.js';

describe('REDACT_HEADER_PATHS', () => {
  it('makes pino censor every credential header, at the top and one level down', () => {
    const lines: string[] = [];
    const logger = pino({ redact: { paths: [...REDACT_HEADER_PATHS], censor: '[redacted]' } }, { write: (s: string) => void lines.push(s) });
    const headers = Object.fromEntries([...SECRET_HEADERS.map((h) => [h, `secret-${h}`]), ['x-github-event', 'push']]);
    logger.info({ headers }, 'top');
    logger.info({ req: { headers } }, 'nested');
    const text = lines.join('');
    for (const h of SECRET_HEADERS) assert.equal(text.includes(`secret-${h}`), false, `${h} was not redacted`);
    assert.ok(text.includes('"x-github-event":"push"'), 'other headers stay readable');
  });
});
