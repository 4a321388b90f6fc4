import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { EXIT } from '../../../src/core/index.js';

describe('exit-code registry', () => {
  it('README.md documents exactly the codes of the one registry', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.split('### Exit codes')[1]?.split('\n#')[0] ?? '';
    const documented = [...section.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    assert.deepEqual(
      documented,
      [...new Set(Object.values(EXIT))].sort((a, b) => a - b),
    );
  });
});
