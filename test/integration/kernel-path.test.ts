/**
 * The kernel path's rules in the host's real nat table (iptables): a data plane takes its own
 * chains over, removes those of data planes that are gone (a kill -9 leaves its rules; the pid in
 * their comment says it is gone), never touches a live one's, and a graceful stop leaves nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { KernelPath } from '../../src/proxy/kernel-path.js';
import { kernelChains, kernelRoutes } from '../../src/proxy/kernel-rules.js';

const saved = () => execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' });
const restore = (text: string) => execFileSync('iptables-restore', ['--noflush'], { input: text });
const logger = pino({ level: 'silent' });

/** Chains as a data plane with this pid would have left them (a jump in each hook, one rule each). */
function leaveChains(tag: string, pid: number): void {
  const c = kernelChains(tag);
  restore(
    [
      '*nat',
      `:${c.services} - [0:0]`,
      `:${c.masquerade} - [0:0]`,
      `:${c.namespacePrefix}00000000 - [0:0]`,
      `-A ${c.services} -s 10.254.9.0/24 -j ${c.namespacePrefix}00000000`,
      `-A ${c.namespacePrefix}00000000 -d 10.254.9.200/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.254.9.5:8080`,
      `-A ${c.masquerade} -m conntrack --ctstate DNAT --ctorigdst 10.254.9.128/25 -j MASQUERADE`,
      `-I PREROUTING 1 -m comment --comment berth-pid=${pid} -j ${c.services}`,
      `-I POSTROUTING 1 -m comment --comment berth-pid=${pid} -j ${c.masquerade}`,
      'COMMIT',
      '',
    ].join('\n'),
  );
}

/** A pid no process has: one that just exited. */
const deadPid = () => spawnSync('true').pid!;

describe('the kernel path in the real nat table', () => {
  const tags = { dead: randomBytes(4).toString('hex'), live: randomBytes(4).toString('hex'), raced: randomBytes(4).toString('hex') };
  const started: KernelPath[] = [];
  after(async () => {
    for (const k of started) await k.stop();
    for (const tag of Object.values(tags)) {
      const c = kernelChains(tag);
      const text = saved();
      const jumps = text.split('\n').filter((l) => l.startsWith('-A P') && (l.endsWith(c.services) || l.endsWith(c.masquerade)));
      const all = [c.services, c.masquerade, `${c.namespacePrefix}00000000`].filter((x) => text.includes(`:${x} `));
      const lines = ['*nat', ...all.map((x) => `:${x} - [0:0]`), ...jumps.map((l) => l.replace(/^-A/, '-D')), ...all.map((x) => `-X ${x}`), 'COMMIT', ''];
      if (all.length > 0) restore(lines.join('\n'));
    }
  });

  it('takes over its own chains, removes a dead data plane’s, keeps a live one’s; a stop removes its own', async () => {
    leaveChains(tags.dead, deadPid());
    leaveChains(tags.live, process.ppid); // alive: the process that runs this test
    const identity = `/tmp/kernel-path-test-${randomBytes(4).toString('hex')}/proxy-table.json`;
    const first = new KernelPath({ identity, logger, now: Date.now, forgetAfterMs: 60_000 });
    const liberal = '/proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal';
    writeFileSync(liberal, '0\n');
    assert.equal(await first.start(), undefined);
    assert.equal(
      readFileSync(liberal, 'utf8').trim(),
      '1',
      'conntrack is liberal: no resets from out-of-window packets (kube-proxy --conntrack-tcp-be-liberal)',
    );
    // A second start of the same identity (the data plane restarted after a kill -9) takes the same chains over.
    const again = new KernelPath({ identity, logger, now: Date.now, forgetAfterMs: 60_000 });
    started.push(again);
    assert.equal(await again.start(), undefined);
    assert.deepEqual(again.chains, first.chains);
    const text = saved();
    const dead = kernelChains(tags.dead);
    const live = kernelChains(tags.live);
    assert.ok(
      !text.includes(dead.services) && !text.includes(dead.masquerade) && !text.includes(dead.namespacePrefix),
      'the dead data plane’s chains are gone',
    );
    assert.ok(text.includes(`-j ${live.services}`) && text.includes(`-j ${live.masquerade}`), 'the live one’s stay');
    const mine = text.split('\n').filter((l) => l.includes(`-j ${again.chains.services}`) || l.includes(`-j ${again.chains.masquerade}`));
    assert.deepEqual(mine.sort(), [
      `-A POSTROUTING -m comment --comment "berth-pid=${process.pid}" -j ${again.chains.masquerade}`,
      `-A PREROUTING -m comment --comment "berth-pid=${process.pid}" -j ${again.chains.services}`,
    ]);

    const network = { subnet: '10.254.8.0/24', gateway: '10.254.8.1', bridge: 'br-none' };
    const routes = kernelRoutes(
      [
        {
          namespace: 'n',
          network,
          ingresses: [],
          services: [{ name: 'web', clusterIP: '10.254.8.130', ports: [{ port: 80, backends: [{ id: 'a', host: '10.254.8.5', port: 8080 }] }] }],
        },
      ],
      () => false,
    );
    assert.equal(await again.apply(routes), undefined);
    assert.match(saved(), new RegExp(`-A ${again.chains.services} -s 10.254.8.0/24 -i br-none -j ${again.chains.namespacePrefix}[0-9a-f]{8}`));
    assert.match(
      saved(),
      new RegExp(`-A ${again.chains.namespacePrefix}[0-9a-f]{8} -d 10.254.8.130/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.254.8.5:8080`),
    );
    // A jump somebody removed (a racing data plane's stop, a flushed hook) is put back with the next change.
    execFileSync('iptables', ['-t', 'nat', '-D', 'PREROUTING', '-m', 'comment', '--comment', `berth-pid=${process.pid}`, '-j', again.chains.services]);
    assert.equal(await again.apply([]), undefined);
    assert.match(saved(), new RegExp(`-A PREROUTING -m comment --comment "berth-pid=${process.pid}" -j ${again.chains.services}`));
    assert.doesNotMatch(saved(), /10\.254\.8\.130/, 'the route is gone');
    assert.doesNotMatch(saved(), new RegExp(again.chains.namespacePrefix), 'and its namespace chain');

    await again.stop();
    started.length = 0;
    assert.doesNotMatch(saved(), new RegExp(again.chains.services), 'a graceful stop leaves nothing');
  });

  it('two data planes starting at once over a dead one’s chains both start: the one whose batch failed reads the table again', async () => {
    // Each reads the table, sees the dead chains and deletes them in its batch: the batch written
    // second deleted what was gone already, and failed as a whole (a CI run met it between files).
    for (let round = 0; round < 3; round++) {
      leaveChains(tags.raced, deadPid());
      // Two data planes are two processes: each stands in for one that is alive (this one, its parent).
      const planes = [process.pid, process.ppid].map(
        (pid) =>
          new KernelPath({
            identity: `/tmp/kernel-path-race-${randomBytes(4).toString('hex')}-${pid}/proxy-table.json`,
            logger,
            now: Date.now,
            forgetAfterMs: 60_000,
            pid,
          }),
      );
      started.push(...planes);
      assert.deepEqual(await Promise.all(planes.map((k) => k.start())), [undefined, undefined], `round ${round}: both started`);
      const text = saved();
      assert.ok(!text.includes(kernelChains(tags.raced).services), `round ${round}: the dead one’s chains are gone`);
      for (const k of planes) assert.ok(text.includes(`-j ${k.chains.services}`), `round ${round}: ${k.chains.services} is jumped to`);
      await Promise.all(planes.map((k) => k.stop()));
      started.length = 0;
      const after = saved();
      for (const k of planes) assert.ok(!after.includes(k.chains.services), `round ${round}: stopped at once, ${k.chains.services} is gone`);
    }
  });
});
