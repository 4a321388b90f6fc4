import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderNodes } from '../../../src/cli/nodes.js';
import { nodeRows } from '../../../src/observed/index.js';
import type { NodeInfo, OwnedContainer } from '../../../src/runtime/index.js';

const node = (hostname: string, over: Partial<NodeInfo> = {}): NodeInfo => ({
  id: hostname,
  hostname,
  role: 'worker',
  state: 'ready',
  availability: 'active',
  address: `10.0.0.${hostname.slice(-1)}`,
  labels: {},
  leader: false,
  ...over,
});
const replica = (name: string, node: string | undefined, state: OwnedContainer['state'] = 'running'): OwnedContainer => ({
  id: name,
  name,
  image: 'busybox',
  labels: { 'berth.namespace': name.split('.')[0]!, ...(node ? { 'berth.node': node } : {}) },
  state,
  created: '2026-12-05T10:00:00.000Z',
  ports: [],
});

describe('nodeRows: each node with the replicas berth runs there', () => {
  it('counts running replicas by their node, namespace/name.revision.n, sorted; pending and exited ones run nowhere', () => {
    const rows = nodeRows(
      [node('node1', { role: 'manager', leader: true }), node('node2'), node('node3', { availability: 'drain' })],
      [
        replica('shop.web.r1.1', 'node2'),
        replica('shop.web.r1.0', 'node2'),
        replica('blog.feed.r2.0', 'node1'),
        replica('shop.web.r1.2', undefined, 'pending'),
        replica('shop.api.r3.0', 'node3', 'exited'),
      ],
    );
    assert.deepEqual(
      rows.map((r) => [r.hostname, r.replicas]),
      [
        ['node1', ['blog/feed.r2.0']],
        ['node2', ['shop/web.r1.0', 'shop/web.r1.1']],
        ['node3', []],
      ],
    );
    assert.equal(
      renderNodes(rows),
      [
        'NAME    ROLE               STATUS   AVAILABILITY   ADDRESS    REPLICAS   LABELS',
        'node1   manager (leader)   ready    active         10.0.0.1   1          <none>',
        'node2   worker             ready    active         10.0.0.2   2          <none>',
        'node3   worker             ready    drain          10.0.0.3   0          <none>',
        '',
      ].join('\n'),
    );
  });
});
