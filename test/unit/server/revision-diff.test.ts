import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { revisionDiffView } from '../../../src/server/revision-diff.js';
import { deployment, template } from '../../helpers/builders.js';

const C1 = '1111111111111111111111111111111111111111';
const C2 = '2222222222222222222222222222222222222222';
const v1 = deployment({
  revision: 'r1',
  template: template({
    image: 'web:1',
    env: [
      { name: 'VERSION', value: 'v1' },
      { name: 'DB_PASSWORD', value: 'hunter2' },
    ],
  }),
});
const v2 = deployment({
  revision: 'r2',
  replicas: 4,
  template: template({
    image: 'web:2',
    env: [
      { name: 'VERSION', value: 'v2' },
      { name: 'DB_PASSWORD', value: 'hunter3' },
    ],
  }),
});

describe('revisionDiffView', () => {
  it('field by field, secret-looking env values masked', () => {
    const view = revisionDiffView({ revision: 'r1', commit: C1, deployment: v1 }, { revision: 'r2', commit: C2, deployment: v2 });
    assert.deepEqual(view.from, { revision: 'r1', commit: C1 });
    assert.deepEqual(view.to, { revision: 'r2', commit: C2 });
    assert.deepEqual(view.fields, [
      { field: 'replicas', change: 'changed', from: '3', to: '4' },
      { field: 'image', change: 'changed', from: 'web:1', to: 'web:2' },
      { field: 'env.DB_PASSWORD', change: 'changed', masked: true },
      { field: 'env.VERSION', change: 'changed', from: 'v1', to: 'v2' },
    ]);
    assert.deepEqual(view.notes, []);
    assert.ok(!JSON.stringify(view).includes('hunter'), 'no secret-looking value');
  });

  const cases = [
    {
      name: 'a commit that no longer declares the Deployment: no fields, a note',
      from: { revision: 'r1', commit: C1 },
      to: { revision: 'r2', commit: C2, deployment: v2 },
      notes: [`the manifests at ${C1.slice(0, 12)} do not declare this Deployment validly any more: nothing to compare`],
      fields: 0,
    },
    {
      name: 'a revision whose hash moved since (a ConfigMap): compared, with a note',
      from: { revision: 'r0', commit: C1, deployment: v1 },
      to: { revision: 'r2', commit: C2, deployment: v2 },
      notes: [`the manifests at ${C1.slice(0, 12)} give revision r1, not r0 (something outside the template, such as a ConfigMap, changed its hash)`],
      fields: 4,
    },
    {
      name: 'the same template twice',
      from: { revision: 'r1', commit: C1, deployment: v1 },
      to: { revision: 'r1', commit: C2, deployment: v1 },
      notes: ['the two templates are the same'],
      fields: 0,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const view = revisionDiffView(c.from, c.to);
      assert.deepEqual(view.notes, c.notes);
      assert.equal(view.fields.length, c.fields);
    });
});
