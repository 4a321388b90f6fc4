import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commitSummary, SUBJECT_MAX } from '../../../src/source/index.js';

const T = '2026-12-04T06:00:00.000Z';

describe('commitSummary', () => {
  const long = 'x'.repeat(SUBJECT_MAX + 5);
  const cases = [
    {
      name: 'the first line only',
      message: 'Fix web\n\nA long body\nBerth-Confirm-Prune: yes\n',
      author: 'Ada Lovelace <ada@example.org>',
      subject: 'Fix web',
      who: 'Ada Lovelace',
    },
    { name: 'a one-line message without newline', message: 'web v2', author: 'Berth Test <test@berth.invalid>', subject: 'web v2', who: 'Berth Test' },
    { name: 'surrounding blanks trimmed', message: '  spaced  \nbody', author: 'Bob   <b@x>  ', subject: 'spaced', who: 'Bob' },
    { name: 'a long subject cut with an ellipsis', message: long, author: 'C <c@x>', subject: `${'x'.repeat(SUBJECT_MAX - 1)}…`, who: 'C' },
    { name: 'an author without an address kept', message: 'm', author: 'Nobody', subject: 'm', who: 'Nobody' },
    { name: 'an empty message', message: '', author: 'D <d@x>', subject: '', who: 'D' },
  ];
  for (const c of cases)
    it(c.name, () => {
      const got = commitSummary({ oid: 'a'.repeat(40), message: c.message, author: c.author, time: T });
      assert.deepEqual(got, { subject: c.subject, author: c.who, time: T });
      assert.ok(got.subject.length <= SUBJECT_MAX);
    });
});
