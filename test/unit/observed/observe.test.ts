import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { observe } from '../../../src/observed/index.js';
import type { OwnedContainer } from '../../../src/runtime/index.js';

const container = (name: string, labels: Record<string, string>, state: OwnedContainer['state'] = 'running'): OwnedContainer => ({
  id: `id-${name}`,
  name,
  image: 'busybox:1.36',
  labels: { 'berth.managed': 'true', 'berth.instance': 'default', ...labels },
  state,
  created: '2026-01-01T00:00:00.000Z',
  ports: [],
});
const full = (ns: string, name: string, rev: string, n: number) => ({
  'berth.namespace': ns,
  'berth.kind': 'Deployment',
  'berth.name': name,
  'berth.revision': rev,
  'berth.replica': String(n),
  'berth.commit': 'c1',
});

describe('observe(inventory)', () => {
  it('groups containers by namespace and deployment from labels alone, sorted', () => {
    const state = observe({
      containers: [
        container('b', full('shop', 'web', 'r1', 1)),
        container('a', full('shop', 'web', 'r1', 0)),
        container('c', full('blog', 'front', 'r9', 0), 'exited'),
      ],
      networks: [{ id: 'n', name: 'berth.shop', labels: { 'berth.managed': 'true', 'berth.namespace': 'shop' } }],
    });
    assert.deepEqual(
      state.namespaces.map((n) => n.name),
      ['blog', 'shop'],
    );
    const shop = state.namespaces[1]!;
    assert.equal(shop.network?.name, 'berth.shop');
    assert.deepEqual(
      shop.deployments[0]!.replicas.map((r) => [r.replica, r.revision, r.commit]),
      [
        [0, 'r1', 'c1'],
        [1, 'r1', 'c1'],
      ],
    );
    assert.equal(state.namespaces[0]!.deployments[0]!.replicas[0]!.state, 'exited');
  });

  const strays: [string, Record<string, string>][] = [
    ['missing revision', { 'berth.namespace': 'shop', 'berth.kind': 'Deployment', 'berth.name': 'web', 'berth.replica': '0' }],
    ['bad ordinal', { ...full('shop', 'web', 'r', 0), 'berth.replica': 'x' }],
    ['negative ordinal', { ...full('shop', 'web', 'r', 0), 'berth.replica': '-1' }],
    ['unknown kind', { ...full('shop', 'web', 'r', 0), 'berth.kind': 'Pod' }],
    ['missing name', { 'berth.namespace': 'shop', 'berth.kind': 'Deployment', 'berth.revision': 'r', 'berth.replica': '0' }],
  ];
  for (const [why, labels] of strays) {
    it(`an owned container with ${why} is a stray`, () => {
      const ns = observe({ containers: [container('x', labels)], networks: [] }).namespaces[0]!;
      assert.equal(ns.deployments.length, 0);
      assert.equal(ns.strays.length, 1);
    });
  }
});

describe('observe: the ConfigMaps a replica was made with (label berth.configmaps)', () => {
  const rows: [string, string | undefined, Record<string, string> | undefined][] = [
    ['no label: none', undefined, undefined],
    ['a name → hash map', '{"app":"1f2e3d4c5b6a7980","other":"absent"}', { app: '1f2e3d4c5b6a7980', other: 'absent' }],
    ['non-string values are dropped', '{"app":"1f2e","bad":7}', { app: '1f2e' }],
    ['malformed JSON reads as none', '{"app":', undefined],
    ['a list reads as none', '["app"]', undefined],
  ];
  for (const [what, label, expected] of rows) {
    it(what, () => {
      const labels = { ...full('shop', 'web', 'r1', 0), ...(label !== undefined ? { 'berth.configmaps': label } : {}) };
      const replica = observe({ containers: [container('a', labels)], networks: [] }).namespaces[0]!.deployments[0]!.replicas[0]!;
      assert.deepEqual(replica.configMaps, expected);
    });
  }
});
