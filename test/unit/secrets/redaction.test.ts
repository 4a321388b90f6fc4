import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { REDACT_SECRET_PATHS } from '../../../src/secrets/index.js';

describe('REDACT_SECRET_PATHS', () => {
  it("makes pino censor a ContainerSpec's env values and the engine's Env, at the top and nested", () => {
    const lines: string[] = [];
    const logger = pino({ redact: { paths: [...REDACT_SECRET_PATHS], censor: '[redacted]' } }, { write: (s: string) => void lines.push(s) });
    const env = [
      { name: 'DB_PASSWORD', value: 'canary-env-1' },
      { name: 'PLAIN', value: 'canary-env-2' },
    ];
    const Env = ['DB_PASSWORD=canary-env-3'];
    logger.info({ env, Env }, 'top');
    logger.info({ spec: { env }, options: { Env } }, 'one down');
    logger.info({ step: { spec: { env } }, req: { body: { Env } } }, 'two down');
    const text = lines.join('');
    assert.equal(/canary-env/.test(text), false, `a value was logged: ${text}`);
    assert.ok(text.includes('"name":"DB_PASSWORD"'), 'names stay readable');
  });
});
