import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

/**
 * manifests is a pure module (STYLE.md): no I/O, no effectful libraries, no clock. Checked on
 * the source text so a stray import fails here before it fails in review.
 */
const SRC = new URL('../../../src/manifests/', import.meta.url);
const FORBIDDEN_MODULES = ['node:fs', 'fs', 'node:fs/promises', 'node:net', 'node:http', 'node:https', 'node:child_process', 'dockerode', 'isomorphic-git', 'pino', 'node-cron'];
const ALLOWED_IMPORTS = /^(yaml|ajv|\.\.\/core\/index\.js|\.\.\/source\/snapshot\.js|\.\.\/\.\.\/schemas\/[a-z]+\.json|\.\/[a-z-]+\.js)$/;

describe('manifests is pure', () => {
  for (const file of readdirSync(SRC).filter((f) => f.endsWith('.ts'))) {
    it(file, () => {
      const text = readFileSync(new URL(file, SRC), 'utf8');
      const code = text.replace(/\/\*[^]*?\*\//g, '').replace(/\/\/.*$/gm, ''); // comments may talk about anything
      for (const [, spec] of code.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        assert.ok(!FORBIDDEN_MODULES.includes(spec!), `${file} imports ${spec}`);
        assert.match(spec!, ALLOWED_IMPORTS, `${file} imports ${spec}: not an allowed dependency of manifests`);
      }
      assert.doesNotMatch(code, /\bDate\.now\(|new Date\(|performance\.now\(|process\.hrtime|setTimeout|setInterval/, `${file} reads the clock or schedules work`);
      assert.doesNotMatch(code, /\bprocess\.(env|argv|cwd)|\brequire\(|console\./, `${file} reaches outside its arguments`);
    });
  }
});
