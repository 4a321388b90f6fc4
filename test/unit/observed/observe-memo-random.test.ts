import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { observe, ObserveMemo } from '../../../src/observed/index.js';
import type { Inventory, OwnedContainer, OwnedNetwork, OwnedVolume } from '../../../src/runtime/index.js';
import { seededRandom } from '../../helpers/random.js';

/**
 * The ObserveMemo against observe() without one, over random histories of one engine: each
 * sequence starts from a few namespaces and changes one thing per look, of every kind a
 * container, network or volume goes through: a state, exit code, reason or eviction; an address
 * or a published port; a rename or another image; gone, added, replaced (a new id, with or
 * without the old name); listed in another order; strays and Pods; networks made, gone or
 * recreated; claims made or gone. Each look lists the whole engine or one namespace, as the
 * daemon asks.
 * At every look the memo's answer must equal the answer built from scratch, and no earlier answer
 * may have changed (results are shared between looks, so they must never be written to).
 * Seeded: a failure names its seed and look, and replays.
 */

const NAMESPACES = ['blog', 'shop', 'zoo'];
const DEPLOYMENTS = ['web', 'api'];

interface World {
  containers: OwnedContainer[];
  networks: OwnedNetwork[];
  volumes: OwnedVolume[];
  serial: number;
}

const labelsOf = (ns: string, name: string, rev: string, ordinal: number): Record<string, string> => ({
  'berth.managed': 'true',
  'berth.instance': 'default',
  'berth.namespace': ns,
  'berth.kind': 'Deployment',
  'berth.name': name,
  'berth.revision': rev,
  'berth.replica': String(ordinal),
  'berth.commit': `c-${rev}`,
});

function container(w: World, labels: Record<string, string>, over: Partial<OwnedContainer> = {}): OwnedContainer {
  const n = w.serial++;
  return {
    id: `id-${n}`,
    name: `c-${n}`,
    image: 'busybox:1.36',
    labels,
    state: 'running',
    created: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    ports: [],
    ...over,
  };
}

/** A namespace network; a cluster's overlay has no bridge on this host, so a recreated one differs in its id alone. */
const network = (ns: string, id: string, overlay = ns === 'zoo'): OwnedNetwork => ({
  id,
  name: `berth.${ns}`,
  labels: { 'berth.managed': 'true', 'berth.namespace': ns },
  subnet: '10.213.1.0/24',
  gateway: '10.213.1.1',
  ...(overlay ? {} : { bridge: `br-${id}` }),
});

const claim = (ns: string, name: string): OwnedVolume => ({
  name: `berth.${ns}.${name}`,
  driver: 'local',
  labels: { 'berth.managed': 'true', 'berth.namespace': ns, 'berth.name': name, 'berth.kind': 'PersistentVolumeClaim' },
});

function start(rnd: () => number): World {
  const w: World = { containers: [], networks: [], volumes: [], serial: 0 };
  for (const ns of NAMESPACES) {
    w.networks.push(network(ns, `net-${ns}-0`));
    for (const name of DEPLOYMENTS) {
      const n = 1 + Math.floor(rnd() * 3);
      for (let i = 0; i < n; i++) w.containers.push(container(w, labelsOf(ns, name, 'r1', i)));
    }
  }
  w.volumes.push(claim('shop', 'data'));
  return w;
}

/** One change to the world, picked at random; its name for the failure message. */
function change(w: World, rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const at = () => Math.floor(rnd() * w.containers.length);
  const replace = (i: number, over: Partial<OwnedContainer>) => {
    w.containers[i] = { ...w.containers[i]!, ...over };
  };
  const kinds: [string, () => void][] = [
    ['nothing', () => {}],
    ['exited', () => w.containers.length > 0 && replace(at(), { state: 'exited', exitCode: pick([0, 1, 137]) })],
    ['dead with a reason', () => w.containers.length > 0 && replace(at(), { state: 'dead', reason: pick(['node lost', 'no suitable node']) })],
    ['evicted', () => w.containers.length > 0 && replace(at(), { evicted: true })],
    ['created, not started', () => w.containers.length > 0 && replace(at(), { state: 'created' })],
    ['running again', () => w.containers.length > 0 && replace(at(), { state: 'running', exitCode: undefined, reason: undefined })],
    ['got an address', () => w.containers.length > 0 && replace(at(), { address: `10.213.1.${2 + Math.floor(rnd() * 200)}` })],
    ['got a cluster address', () => w.containers.length > 0 && replace(at(), { clusterAddress: `10.214.0.${2 + Math.floor(rnd() * 200)}` })],
    [
      'published a port',
      () =>
        w.containers.length > 0 &&
        replace(at(), { ports: [{ containerPort: 8080, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 32000 + Math.floor(rnd() * 50) }] }),
    ],
    ['renamed', () => w.containers.length > 0 && replace(at(), { name: `renamed-${w.serial++}` })],
    ['another image', () => w.containers.length > 0 && replace(at(), { image: pick(['busybox:1.36', 'busybox:1.37']) })],
    ['gone', () => w.containers.length > 0 && w.containers.splice(at(), 1)],
    ['added', () => w.containers.push(container(w, labelsOf(pick(NAMESPACES), pick(DEPLOYMENTS), pick(['r1', 'r2']), Math.floor(rnd() * 4))))],
    [
      'replaced: same labels, a new id',
      () => {
        if (w.containers.length === 0) return;
        const i = at();
        w.containers[i] = container(w, w.containers[i]!.labels);
      },
    ],
    [
      // berth reuses a slot's name; the engine lists creation times in whole seconds.
      'replaced under the same name within the same second, by another revision',
      () => {
        if (w.containers.length === 0) return;
        const i = at();
        const old = w.containers[i]!;
        const labels = { ...old.labels, 'berth.revision': pick(['r1', 'r2', 'r3']) };
        w.containers[i] = { ...container(w, labels), name: old.name, created: old.created };
      },
    ],
    [
      'listed in another order',
      () => {
        for (let i = w.containers.length - 1; i > 0; i--) {
          const j = Math.floor(rnd() * (i + 1));
          [w.containers[i], w.containers[j]] = [w.containers[j]!, w.containers[i]!];
        }
      },
    ],
    ['a stray', () => w.containers.push(container(w, { 'berth.managed': 'true', 'berth.namespace': pick(NAMESPACES), 'berth.kind': 'Job' }))],
    [
      'a Pod with a member',
      () => {
        const ns = pick(NAMESPACES);
        w.containers.push(container(w, { ...labelsOf(ns, 'pod', 'p1', 0), 'berth.pod': 'app' }));
        w.containers.push(container(w, { ...labelsOf(ns, 'pod', 'p1', 0), 'berth.member': 'app' }));
      },
    ],
    [
      'a network recreated',
      () => {
        const i = Math.floor(rnd() * w.networks.length);
        if (w.networks[i]) w.networks[i] = network(w.networks[i]!.labels['berth.namespace']!, `net-${w.serial++}`);
      },
    ],
    ['a network gone', () => w.networks.length > 0 && w.networks.splice(Math.floor(rnd() * w.networks.length), 1)],
    [
      'a network made',
      () => {
        const ns = pick(NAMESPACES);
        if (!w.networks.some((n) => n.name === `berth.${ns}`)) w.networks.push(network(ns, `net-${w.serial++}`));
      },
    ],
    ['a claim made', () => w.volumes.push(claim(pick(NAMESPACES), `v${w.serial++}`))],
    ['a claim gone', () => w.volumes.length > 0 && w.volumes.splice(Math.floor(rnd() * w.volumes.length), 1)],
  ];
  const [name, apply] = pick(kinds);
  apply();
  return name;
}

/** What the engine answers: the whole engine, or one namespace (a pass's own list); always fresh objects. */
function list(w: World, namespace: string | undefined): Inventory {
  const mine = <T extends { labels: Record<string, string> }>(xs: readonly T[]) =>
    namespace ? xs.filter((x) => x.labels['berth.namespace'] === namespace) : xs;
  return structuredClone({ containers: mine(w.containers), networks: mine(w.networks), volumes: mine(w.volumes) });
}

describe('ObserveMemo over random histories of an engine: the same answers as observe() without it', () => {
  const SEQUENCES = 150;
  const LOOKS = 16;
  it(`${SEQUENCES} seeded histories of ${LOOKS} looks each`, () => {
    let memoHits = 0;
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const rnd = seededRandom(seed);
      const w = start(rnd);
      const memo = new ObserveMemo(1 + Math.floor(rnd() * 40));
      const earlier: { answer: ReturnType<typeof observe>; copy: ReturnType<typeof observe> }[] = [];
      let what = 'first look';
      for (let look = 0; look < LOOKS; look++) {
        const namespace = rnd() < 0.3 ? NAMESPACES[Math.floor(rnd() * NAMESPACES.length)] : undefined;
        const where = `seed ${seed}, look ${look} (${what}; ${namespace ? `namespace ${namespace} alone` : 'the whole engine'})`;
        const answer = observe(list(w, namespace), memo);
        assert.deepEqual(answer, observe(list(w, namespace)), `${where}: the memo's answer differs`);
        for (const e of earlier) assert.deepEqual(e.answer, e.copy, `${where}: an earlier answer changed`);
        const previous = earlier.at(-1)?.answer;
        if (previous) memoHits += answer.namespaces.filter((n) => previous.namespaces.includes(n)).length;
        earlier.push({ answer, copy: structuredClone(answer) });
        what = change(w, rnd);
      }
    }
    // The histories exercise the memo: namespaces are handed back as the same objects, not only rebuilt.
    assert.ok(memoHits > SEQUENCES, `namespaces handed back: ${memoHits}`);
  });
});
