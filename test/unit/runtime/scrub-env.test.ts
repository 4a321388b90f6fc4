import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrubEnv } from '../../../src/runtime/docker/scrub-env.js';

const CANARY = 'secret-canary-7f3';

describe('scrubEnv: engine messages never carry an env value', () => {
  const table: { what: string; message: string; env: { name: string; value: string }[]; expect: string }[] = [
    {
      what: "runc's NUL refusal, as the engine relays it (Go %q: \\x00)",
      message:
        'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: environment variable value can\'t contain null(\\x00): "CANARY=abc\\x00' +
        CANARY +
        '": unknown',
      env: [{ name: 'CANARY', value: `abc\u0000${CANARY}` }],
      expect:
        'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: environment variable value can\'t contain null(\\x00): "CANARY=<redacted>": unknown',
    },
    {
      what: 'a value quoted raw, with spaces, without its name',
      message: `invalid value "my ${CANARY} value" somewhere`,
      env: [{ name: 'X', value: `my ${CANARY} value` }],
      expect: 'invalid value "<redacted>" somewhere',
    },
    {
      what: 'a JSON-escaped value (a newline inside)',
      message: `config: {"Env":["X=line1\\n${CANARY}"]}`,
      env: [{ name: 'X', value: `line1\n${CANARY}` }],
      expect: 'config: {"Env":["X=<redacted>"]}',
    },
    {
      what: 'a short value is covered through NAME=',
      message: 'bad env "PIN=42" here',
      env: [{ name: 'PIN', value: '42' }],
      expect: 'bad env "PIN=<redacted>" here',
    },
    {
      what: 'a message without the env is left as it is',
      message: "the working directory 'relative/dir' is invalid, it needs to be an absolute path",
      env: [{ name: 'A', value: CANARY }],
      expect: "the working directory 'relative/dir' is invalid, it needs to be an absolute path",
    },
    {
      what: 'names with regex characters are taken literally',
      message: 'bad "A.B=xyz1234" and "AxB=keep"',
      env: [{ name: 'A.B', value: 'x' }],
      expect: 'bad "A.B=<redacted>" and "AxB=keep"',
    },
  ];
  for (const c of table) {
    it(c.what, () => {
      const out = scrubEnv(c.message, c.env);
      assert.equal(out, c.expect);
      assert.ok(!out.includes(CANARY), 'no canary');
    });
  }
});
