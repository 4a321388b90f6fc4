import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byCodeUnit } from '../../../src/core/index.js';

describe('byCodeUnit: code-unit order, whatever the locale', () => {
  const rows: [string, string[], string[]][] = [
    ['DNS labels, a prefix first', ['b', 'a-1', 'a'], ['a', 'a-1', 'b']],
    ['digits before letters, upper case before lower', ['web', 'Web', '9web'], ['9web', 'Web', 'web']],
    ['punctuation is not ignored (localeCompare would put a-b after ab)', ['ab', 'a-b'], ['a-b', 'ab']],
    ['equal strings keep their order', ['x', 'x'], ['x', 'x']],
  ];
  for (const [what, input, expected] of rows) it(what, () => assert.deepEqual([...input].sort(byCodeUnit), expected));
});
