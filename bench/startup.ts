/**
 * Starting berth: loading it (`berth --help`) and a one-shot command (`berth validate` of the
 * bundled sample), each from the bundle
 * bin/berth.mjs loads (bin/bundle.mjs), beside the same command through tsx (BERTH_BUNDLE=0,
 * how berth started before), node doing nothing (the floor) and the Docker CLI's `docker
 * version` (a peer CLI that also talks to the engine). Wall time and CPU time (user + system
 * of the child, from the shell's `times`) per start, median and p90 of `--runs` starts each,
 * interleaved so the host's noise falls on all of them alike. The bundle is built before the
 * first run (its one-time cost is reported on its own line).
 *
 *   node --import tsx bench/startup.ts [--runs 15]
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ms, summarize } from './reconcile/stats.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
const root = fileURLToPath(new URL('..', import.meta.url));
const node = process.execPath;

interface Start {
  readonly name: string;
  readonly command: string;
}
const starts: readonly Start[] = [
  { name: 'node -e 0 (the floor)', command: `${node} -e 0` },
  { name: 'berth --help (loading only), bundle', command: `${node} bin/berth.mjs --help` },
  { name: 'berth --help (loading only), tsx (before)', command: `BERTH_BUNDLE=0 ${node} bin/berth.mjs --help` },
  { name: 'berth validate, bundle', command: `${node} bin/berth.mjs validate --repo . --path sample-repo` },
  { name: 'berth validate, tsx (before)', command: `BERTH_BUNDLE=0 ${node} bin/berth.mjs validate --repo . --path sample-repo` },
  { name: 'docker version (peer CLI)', command: 'docker version --format "{{.Server.Version}}"' },
];

/** One start: wall ms and the child's CPU ms (bash's `times`: the children's user and system time). */
function once(command: string): { wall: number; cpu: number } {
  const started = performance.now();
  const out = spawnSync('bash', ['-c', `${command} > /dev/null 2>&1 || { echo failed >&2; exit 1; }; times`], { cwd: root, encoding: 'utf8' });
  const wall = performance.now() - started;
  if (out.status !== 0) throw new Error(`${command}: ${out.stderr}`);
  // `times` prints the shell's own line, then its children's: "0m0.650s 0m0.180s".
  const children = out.stdout.trim().split('\n').at(-1)!.split(/\s+/);
  const seconds = (t: string) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  };
  return { wall, cpu: (seconds(children[0]!) + seconds(children[1]!)) * 1000 };
}

rmSync(`${root}/dist`, { recursive: true, force: true });
const build = once(`${node} bin/berth.mjs validate --repo . --path sample-repo`);
const samples = new Map(starts.map((s) => [s.name, { wall: [] as number[], cpu: [] as number[] }]));
for (let r = 0; r < runs; r++) {
  for (const s of starts) {
    const { wall, cpu } = once(s.command);
    samples.get(s.name)!.wall.push(wall);
    samples.get(s.name)!.cpu.push(cpu);
  }
}

console.log(`| start (${runs} runs each, interleaved) | wall median | wall p90 | CPU median | CPU p90 |`);
console.log('|---|---|---|---|---|');
for (const s of starts) {
  const w = summarize(samples.get(s.name)!.wall);
  const c = summarize(samples.get(s.name)!.cpu);
  console.log(`| ${s.name} | ${ms(w.median)} | ${ms(w.p90)} | ${ms(c.median)} | ${ms(c.p90)} |`);
}
console.log(`| berth validate, first start after a checkout (builds the bundle) | ${ms(build.wall)} | | ${ms(build.cpu)} | |`);
