/**
 * The dependency rule (STYLE.md), checked mechanically: imports point toward core, upstream
 * along the data flow, or at a port; never at a concrete adapter (only main.ts constructs
 * those); pure modules import no I/O library and never read the clock; another module is
 * entered only through its index.ts.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Which top-level modules each module may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  source: ['core'],
  manifests: ['core', 'source'],
  desired: ['core', 'manifests'],
  runtime: ['core'],
  observed: ['core', 'runtime'],
  health: ['core', 'desired', 'observed', 'runtime'],
  policy: ['core', 'manifests', 'desired'],
  plan: ['core', 'manifests', 'desired', 'observed', 'runtime', 'policy'],
  secrets: ['core', 'manifests', 'desired'],
  rollout: ['core', 'manifests', 'desired', 'observed', 'runtime', 'health', 'plan', 'secrets'],
  store: ['core'],
  proxy: ['core', 'runtime'],
  controller: ['core', 'source', 'manifests', 'desired', 'runtime', 'observed', 'health', 'policy', 'plan', 'rollout', 'store', 'proxy', 'secrets'],
  server: ['core', 'source', 'manifests', 'desired', 'runtime', 'observed', 'plan', 'store', 'controller'],
  cli: ['core', 'source', 'manifests', 'desired', 'runtime', 'observed', 'policy', 'plan', 'rollout', 'store', 'controller', 'server', 'secrets', 'proxy'],
};
const PURE = ['core', 'manifests', 'desired', 'observed', 'plan', 'policy'];
const IO = /^(dockerode|isomorphic-git|isomorphic-git\/.*|pino|pino-pretty|node-cron|(node:)?(fs|fs\/promises|net|http|https|child_process))$/;
/** Adapter folders: only main.ts (and their own folder) may import them. */
const ADAPTERS = ['runtime/docker', 'secrets/host'];

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.name.endsWith('.ts')) yield full;
  }
}

function imports(text: string): string[] {
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
}

describe('dependency rule', async () => {
  const files: { file: string; module: string; text: string }[] = [];
  for await (const file of walk(SRC)) {
    const rel = relative(SRC, file);
    files.push({ file: rel, module: rel.includes('/') ? rel.split('/')[0]! : '(root)', text: await readFile(file, 'utf8') });
  }

  it('finds the source tree', () => assert.ok(files.length > 30));

  it('modules import only what the data flow allows, through index.ts, never an adapter', () => {
    const problems: string[] = [];
    for (const { file, module, text } of files) {
      if (module === '(root)') continue; // main.ts: the composition root
      for (const spec of imports(text)) {
        if (!spec.startsWith('.')) continue;
        const target = relative(SRC, resolve(dirname(join(SRC, file)), spec));
        if (target.startsWith('..')) continue; // outside src/: schemas/*.json
        const targetModule = target.split('/')[0]!;
        if (targetModule === module) continue;
        if (!(ALLOWED[module] ?? []).includes(targetModule)) problems.push(`${file}: imports ${targetModule} (${spec})`);
        if (ADAPTERS.some((a) => target.startsWith(a + '/'))) problems.push(`${file}: imports the adapter ${target}`);
        if (!/^[a-z-]+\/index\.(js|ts)$/.test(target)) problems.push(`${file}: enters ${targetModule} through ${target}, not its index.ts`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('pure modules import no I/O library and never read the clock', () => {
    const problems: string[] = [];
    for (const { file, module, text } of files) {
      if (!PURE.includes(module)) continue;
      for (const spec of imports(text)) if (IO.test(spec)) problems.push(`${file}: imports ${spec}`);
      if (/Date\.now\(\)|new Date\(\s*\)|performance\.now\(|process\.hrtime|setTimeout|setInterval/.test(text)) problems.push(`${file}: reads the clock or schedules work`);
    }
    assert.deepEqual(problems, []);
  });

  it('every module has an index.ts that opens with what it owns', () => {
    const modules = new Set(files.map((f) => f.module).filter((m) => m !== '(root)'));
    for (const m of modules) {
      const index = files.find((f) => f.file === `${m}/index.ts`);
      assert.ok(index, `${m}/index.ts missing`);
      assert.match(index.text, /^\/\*\*/, `${m}/index.ts should open with a comment on what it owns`);
    }
  });
});
