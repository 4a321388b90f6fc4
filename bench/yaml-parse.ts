/**
 * YAML parse benchmark: the Deployments bench/reconcile.ts generates, parsed in this process
 * through `parseYamlText` (the one entry manifests/ uses), two ways:
 *
 *  - plain: the files as generated: plain block YAML, which the simple-yaml fast path takes;
 *  - library: the same files with one trailing comment (`replicas: N # scaled`), which the fast
 *    path refuses, so every file goes through the yaml library (Lexer → Parser → Composer).
 *
 * Reports the median per round of `--files` files and the cost per file. It measures the parse
 * only (no Git, no validation); bench/reconcile.ts has the whole pass.
 *
 *   node --import tsx bench/yaml-parse.ts [--files 2000] [--rounds 7]
 */
import { parseArgs } from 'node:util';
import { parseYamlText } from '../src/manifests/parse.js';
import { deploymentYaml } from './reconcile/generate.js';
import { summarize } from './reconcile/stats.js';

const { values } = parseArgs({ options: { files: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '7' } } });
const files = Number(values.files);
const rounds = Number(values.rounds);

const plain = Array.from({ length: files }, (_, i) => deploymentYaml(i % 500, i));
const library = plain.map((text) => text.replace(/^( {2}replicas: \d+)$/m, '$1 # scaled'));

function round(texts: readonly string[]): number {
  const started = performance.now();
  for (const text of texts) {
    const parsed = parseYamlText(text);
    if (parsed.diagnostics.length > 0 || parsed.documents.length !== 1) throw new Error(`unexpected parse result: ${JSON.stringify(parsed.diagnostics)}`);
  }
  return performance.now() - started;
}

const samples: Record<'plain' | 'library', number[]> = { plain: [], library: [] };
round(plain); // warm-up: JIT and the yaml library's lazy setup
round(library);
for (let r = 0; r < rounds; r++) {
  samples.plain.push(round(plain));
  samples.library.push(round(library));
}

console.log(`| path (${files} Deployments, ${rounds} rounds) | median per round | per file | max |`);
console.log('|---|---|---|---|');
for (const kind of ['plain', 'library'] as const) {
  const s = summarize(samples[kind]);
  console.log(
    `| ${kind === 'plain' ? 'plain (simple-yaml fast path)' : 'library (one trailing comment)'} | ${s.median.toFixed(1)} ms | ${((s.median / files) * 1000).toFixed(1)} µs | ${s.max.toFixed(1)} ms |`,
  );
}
