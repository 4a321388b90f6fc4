import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shared, shareStrings } from '../../../src/manifests/share-strings.js';

describe('shareStrings: the same values, one copy of each string', () => {
  it('replaces strings in nested objects and arrays by equal strings, in place', () => {
    const text = 'image: registry.example.com/team/web:1.2.3\n';
    const doc = { spec: { image: text.slice(7, -1), args: ['-c', text.slice(0, 5)], n: 3, ok: true, none: null } };
    const before = structuredClone(doc);
    assert.equal(shareStrings(doc), doc);
    assert.deepEqual(doc, before);
  });

  it('keeps an own __proto__ key an own key', () => {
    const doc = JSON.parse('{"__proto__": "web-frontend-01"}') as Record<string, unknown>;
    shareStrings(doc);
    assert.equal(Object.getPrototypeOf(doc), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(doc, '__proto__')?.value, 'web-frontend-01');
  });

  it('walks an object reached twice (a YAML alias) once, and a cycle ends', () => {
    const shared1: Record<string, unknown> = { name: 'web-frontend-01' };
    const doc: Record<string, unknown> = { a: shared1, b: shared1 };
    shared1['self'] = doc;
    assert.equal(shareStrings(doc), doc);
    assert.equal((doc['b'] as Record<string, unknown>)['name'], 'web-frontend-01');
  });

  it('leaves frozen objects and class instances alone', () => {
    const frozen = Object.freeze({ name: 'web-frontend-01' });
    const date = new Date(0);
    const doc = { frozen, date };
    shareStrings(doc);
    assert.equal(doc.frozen, frozen);
    assert.equal(doc.date, date);
  });

  it('shared() answers an equal string, long ones included', () => {
    for (const s of ['', 'a', 'web', 'spec.template.spec.containers[0].image', 'x'.repeat(1000)]) assert.equal(shared(s), s);
  });
});
