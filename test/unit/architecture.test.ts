/**
 * The dependency rule (STYLE.md), checked mechanically: imports point toward core, upstream
 * along the data flow, or at a port; never at a concrete adapter (only main.ts constructs
 * those); an adapter package (dockerode, isomorphic-git, fastify, pino, node-cron, prom-client,
 * …) is imported only inside its adapter; pure files import no I/O and never read the clock;
 * effectful code reads time only through the injected `Clock`; another module is entered only
 * through its index.ts.
 */
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Which top-level modules each module may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  files: [], // durable local files: effectful, a leaf like core
  source: ['core', 'files'], // files: berth's own folder, where the first fetch's process entry is shipped
  manifests: ['core', 'source'],
  desired: ['core', 'manifests'],
  runtime: ['core'],
  observed: ['core', 'runtime'],
  health: ['core', 'desired', 'observed', 'runtime'],
  policy: ['core', 'manifests', 'desired'],
  autoscale: ['core', 'desired'], // the HPA algorithm: pure
  plan: ['core', 'manifests', 'desired', 'observed', 'runtime', 'policy'],
  preview: ['core', 'manifests', 'desired', 'plan'], // the pull-request preview: reuses the live plan's rules
  secrets: ['core', 'manifests', 'desired'],
  rollout: ['core', 'manifests', 'desired', 'observed', 'runtime', 'health', 'plan', 'secrets'],
  store: ['core', 'files'],
  proxy: ['core', 'runtime', 'files'],
  controller: [
    'core',
    'source',
    'manifests',
    'desired',
    'runtime',
    'observed',
    'health',
    'policy',
    'plan',
    'rollout',
    'store',
    'proxy',
    'secrets',
    'autoscale',
  ],
  server: ['core', 'files', 'source', 'manifests', 'desired', 'runtime', 'observed', 'plan', 'preview', 'store', 'controller', 'autoscale'], // preview: the dashboard's revision diff
  notify: ['core', 'store'],
  cli: [
    'core',
    'files',
    'source',
    'manifests',
    'desired',
    'runtime',
    'observed',
    'policy',
    'plan',
    'rollout',
    'store',
    'controller',
    'server',
    'secrets',
    'proxy',
    'notify',
    'autoscale',
    'preview',
  ],
};
/** Modules that are pure as a whole. */
const PURE = ['core', 'manifests', 'desired', 'observed', 'plan', 'preview', 'policy', 'autoscale'];
/**
 * The pure files of the split modules (STYLE.md: "split"): decisions, ports and vocabularies.
 * A new pure file belongs here; a file here that needs I/O is an effect that belongs behind a port.
 */
const PURE_FILES = [
  'notify/events.ts', // which status transitions are worth a notification
  'notify/targets.ts', // what each receiver is sent
  'rollout/step.ts', // nextStep: the rollout decision
  'rollout/availability.ts', // alive, ready, available, the replica counts
  'rollout/stateful-step.ts', // a StatefulSet's moves (nextStep hands them here)
  'rollout/fenceposts.ts',
  'rollout/backoff.ts',
  'rollout/member-restarts.ts', // which containers of a Pod restart in place
  'rollout/container-spec.ts', // desired template → ContainerSpec
  'health/assess.ts', // Healthy/Progressing/Degraded from facts
  'health/probes-label.ts',
  'controller/routes.ts', // desired + observed → the data plane's table
  'desired/cluster-ips.ts', // Services → stable virtual addresses (desired is pure as a whole; listed for the reason)
  'controller/error-handling.ts', // an error → result, conditions, log level
  'controller/decide.ts', // every workload's next step, a hold or a refusal, and its status line
  'controller/decision-memo.ts', // the settled decisions kept between passes, and which decisions read no clock
  'controller/live-plan.ts', // the decision rendered as the live plan
  'controller/status.ts', // what a pass writes: status, conditions, history
  'controller/rollback.ts', // a failed rollout → its history entry and the pin that rolls back or holds
  'runtime/driver.ts', // the RuntimeDriver port
  'runtime/labels.ts',
  'runtime/swarm/map.ts', // Swarm services, tasks and nodes ↔ the port's types
  'runtime/swarm/replica-state.ts', // a replica's service and newest task → an owned container, eviction, creation progress
  'secrets/redaction.ts',
  'secrets/resolver.ts', // the SecretResolver port
  'store/types.ts', // the Store port and its records
  'proxy/control.ts', // the data plane's control interface
  'proxy/ingress-match.ts',
  'proxy/round-robin.ts',
  'proxy/kernel-rules.ts', // tables → the kernel path's NAT rules; what a drain waits for in the conntrack table
  'proxy/table-validation.ts',
  'server/control.ts', // what the server asks of the controller
  'server/http-errors.ts',
  'server/log-redaction.ts',
  'server/hook-providers.ts',
  'server/constant-time.ts', // node:crypto only: HMACs and a compare
  'server/session.ts', // the dashboard's sessions and the write check (cookie + CSRF, or Bearer)
  'server/dashboard-view.ts', // store state + pods → what the dashboard draws
  'server/plan-view.ts', // a live plan → what the dashboard's plan panel draws
  'server/revision-diff.ts', // two templates of a Deployment → the dashboard's revision diff
  'source/snapshot.ts',
  'source/commit-summary.ts',
  'source/ref-name.ts',
  'source/revision.ts',
  'cli/exit-codes.ts',
  'cli/rollout-status.ts',
  'cli/get.ts', // kubectl get's tables from status and pod rows
  'cli/logs.ts', // which containers berth logs reads, and its lines
  'cli/parsed-flags.ts', // commander's parsed values → typed fields
];
/** Node built-ins that reach outside the process (files, network, processes, the host). */
const IO_BUILTINS = /^(node:)?(fs|fs\/promises|net|http|https|http2|tls|dgram|dns|dns\/promises|child_process|cluster|worker_threads|os|readline|inspector)$/;
/** Reading the clock or scheduling work (STYLE.md: time is injected). */
const CLOCK = /Date\.now\(\)|new Date\(\s*\)|performance\.now\(|process\.hrtime|setTimeout|setInterval|setImmediate/;
/** The process's own I/O and environment. */
const PROCESS_IO = /process\.(env|argv|stdin|stdout|stderr|exit|cwd|chdir|kill|on)\b/;
/**
 * Where each package may be imported: a folder (ending in /) or a file. Adapter packages live
 * only in their adapter; every other package is listed too, so a new dependency gets a home
 * here. dockerode types stop in runtime/docker, isomorphic-git's in source, yaml nodes and ajv
 * errors in manifests (STYLE.md, anti-corruption at every edge).
 */
const PACKAGE_HOMES: Record<string, string[]> = {
  dockerode: ['runtime/docker/', 'runtime/swarm/'], // one engine; a Swarm cluster through its manager's engine API
  'isomorphic-git': ['source/'],
  fastify: ['server/'],
  'prom-client': ['server/metrics.ts'], // the metrics live in the server
  pino: ['main.ts'], // the Logger adapter is constructed in the composition root
  'pino-pretty': ['main.ts'],
  'node-cron': ['controller/controller.ts'], // the poll trigger
  yaml: ['manifests/', 'cli/structured-output.ts'], // manifests; the CLI's -o yaml
  ajv: ['manifests/', 'server/'], // manifest validation; the API's request schemas
  'ajv-formats': ['manifests/', 'server/'],
  commander: ['cli/'],
  'dns-packet': ['proxy/cluster-dns.ts'], // the namespace DNS of the data plane (issue #9)
  '@grpc/grpc-js': ['health/grpc-probe.ts'], // gRPC probes (grpc.health.v1)
  'grpc-health-check': ['health/grpc-probe.ts'], // the gRPC project's health service definition
  // The dashboard's UI library, sent to the browser as files (dashboard.ts resolves them in
  // node_modules); the server never runs them.
  preact: ['server/dashboard.ts'],
  htm: ['server/dashboard.ts'],
  ssh2: ['runtime/docker/ssh-agent.ts', 'runtime/docker/client.ts'], // engines at ssh:// (client.ts: its connect options' type)
  'tar-stream': ['runtime/docker/pause-image.ts', 'runtime/docker/volume-root.ts'], // the infra container image's root filesystem (a Pod of several containers)
  'playwright-core': [], // a devDependency: the dashboard's e2e test drives Chromium with it; never src
};
/** Adapter folders: only main.ts (and their own folder) may import them. */
const ADAPTERS = ['runtime/docker', 'runtime/swarm', 'secrets/host'];
/**
 * Files that read the wall clock themselves: main.ts builds the Clock adapter; everything else
 * takes a `Clock` (or `now`) as an argument, so tests and the planner see one time.
 */
const CLOCK_READERS = [
  'main.ts',
  // Names a corrupt status.json aside by time (FileStore.open has no Clock yet). Known exception, to go when
  // the store's recovery is reworked (issue 15, item 5, in progress in parallel): FileStore.open takes a Clock then.
  'store/file-store.ts',
];

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.name.endsWith('.ts')) yield full;
  }
}

interface Import {
  readonly spec: string;
  /** `import type …`, `export type …` or every named binding `type X`: erased at run time. */
  readonly typeOnly: boolean;
  /** The values a named import takes (`{ a, type B, c as d }` → a, c); undefined for `*` and default imports. */
  readonly values?: readonly string[];
}

function imports(text: string): Import[] {
  const found: Import[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?([\w\s{},*$]*?)\s*from\s+['"]([^'"]+)['"]/gm)) {
    const clause = m[2]!.trim();
    const named = /^\{([^}]*)\}$/.exec(clause);
    const allTypes =
      named !== null &&
      named[1]!
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b.length > 0)
        .every((b) => b.startsWith('type '));
    const values =
      named === null
        ? undefined
        : named[1]!
            .split(',')
            .map((b) => b.trim())
            .filter((b) => b.length > 0 && !b.startsWith('type '))
            .map((b) => b.split(/\s+as\s+/)[0]!);
    found.push({ spec: m[3]!, typeOnly: m[1] !== undefined || allTypes, ...(values ? { values } : {}) });
  }
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push({ spec: m[1]!, typeOnly: false }); // side effects only
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ spec: m[1]!, typeOnly: false });
  return found;
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`; undefined for relative and node: specifiers. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Strips comments, so a comment about `Date.now()` or `process.env` is not a finding. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

describe('dependency rule', async () => {
  const files: { file: string; module: string; text: string }[] = [];
  for await (const file of walk(SRC)) {
    const rel = relative(SRC, file);
    files.push({ file: rel, module: rel.includes('/') ? rel.split('/')[0]! : '(root)', text: await readFile(file, 'utf8') });
  }
  const byFile = new Map(files.map((f) => [f.file, f]));
  const isPureFile = (file: string): boolean => PURE.includes(file.split('/')[0]!) || PURE_FILES.includes(file);
  /** The src-relative file a relative specifier names (`.js` → `.ts`), or undefined outside src/. */
  const target = (from: string, spec: string): string | undefined => {
    const t = relative(SRC, resolve(dirname(join(SRC, from)), spec)).replace(/\.js$/, '.ts');
    return t.startsWith('..') ? undefined : t;
  };
  /** A file whose values a pure file may import: pure itself, or an index.ts re-exporting only such files. */
  const isPureTarget = (file: string, seen = new Set<string>()): boolean => {
    if (isPureFile(file)) return true;
    const entry = byFile.get(file);
    if (!entry || !file.endsWith('/index.ts') || seen.has(file)) return false;
    seen.add(file);
    return imports(entry.text).every((i) => i.typeOnly || (i.spec.startsWith('.') && isPureTarget(target(file, i.spec) ?? '', seen)));
  };

  /**
   * The file an index.ts takes a value from (`export * from './x.js'` whose file declares it, or
   * `export { name } from './x.js'`), or undefined. A pure file may import a pure value through an
   * index that also exports effects (rollout's nextStep beside its executor).
   */
  const sourceOf = (index: string, name: string): string | undefined => {
    const text = byFile.get(index)?.text ?? '';
    for (const m of text.matchAll(/^export\s+(?:\*|\{([^}]*)\})\s+from\s+['"]([^'"]+)['"]/gm)) {
      const file = target(index, m[2]!);
      if (file === undefined) continue;
      const listed = m[1]?.split(',').map((b) => b.trim().split(/\s+as\s+/));
      if (listed) {
        if (listed.some((b) => (b[1] ?? b[0]) === name)) return file;
        continue;
      }
      const declares = new RegExp(`^export\\s+(?:async\\s+)?(?:function\\*?|const|let|class|enum)\\s+${name}\\b`, 'm');
      if (declares.test(byFile.get(file)?.text ?? '')) return file;
    }
    return undefined;
  };

  it('finds the source tree', () => assert.ok(files.length > 30));

  it('lists only pure files that exist', () => {
    for (const f of PURE_FILES) assert.ok(byFile.has(f), `PURE_FILES names ${f}, which does not exist`);
  });

  it('modules import only what the data flow allows, through index.ts, never an adapter', () => {
    const problems: string[] = [];
    for (const { file, module, text } of files) {
      if (module === '(root)') continue; // main.ts: the composition root
      for (const { spec } of imports(text)) {
        if (!spec.startsWith('.')) continue;
        const to = target(file, spec);
        if (to === undefined) continue; // outside src/: schemas/*.json
        const targetModule = to.split('/')[0]!;
        if (targetModule === module) continue;
        if (!(ALLOWED[module] ?? []).includes(targetModule)) problems.push(`${file}: imports ${targetModule} (${spec})`);
        if (ADAPTERS.some((a) => to.startsWith(a + '/'))) problems.push(`${file}: imports the adapter ${to}`);
        if (!/^[a-z-]+\/index\.ts$/.test(to)) problems.push(`${file}: enters ${targetModule} through ${to}, not its index.ts`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('packages are imported only where they belong (adapter packages only inside their adapter)', () => {
    const problems: string[] = [];
    for (const { file, text } of files) {
      for (const { spec } of imports(text)) {
        const pkg = packageOf(spec);
        if (pkg === undefined) continue;
        const homes = PACKAGE_HOMES[pkg];
        if (!homes) problems.push(`${file}: imports ${pkg}, which has no home in PACKAGE_HOMES (say where it may be used)`);
        else if (!homes.some((h) => (h.endsWith('/') ? file.startsWith(h) : file === h)))
          problems.push(`${file}: imports ${pkg}, allowed only in ${homes.join(', ')}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('pure files import no I/O, touch no process state and never read the clock', () => {
    const problems: string[] = [];
    for (const { file, text } of files) {
      if (!isPureFile(file)) continue;
      for (const { spec, typeOnly, values } of imports(text)) {
        if (IO_BUILTINS.test(spec)) problems.push(`${file}: imports ${spec}`);
        const pkg = packageOf(spec);
        if (pkg !== undefined && !typeOnly && ['dockerode', 'isomorphic-git', 'fastify', 'pino', 'pino-pretty', 'node-cron', 'prom-client'].includes(pkg))
          problems.push(`${file}: imports the adapter package ${pkg}`);
        if (!spec.startsWith('.') || typeOnly) continue;
        const to = target(file, spec);
        const pureValues =
          to !== undefined &&
          to.endsWith('/index.ts') &&
          values !== undefined &&
          values.every((v) => {
            const from = sourceOf(to, v);
            return from !== undefined && isPureTarget(from);
          });
        if (to !== undefined && !isPureTarget(to) && !pureValues)
          problems.push(`${file}: imports ${to}, which is not pure (import types only, or move the value to a pure file)`);
      }
      const body = code(text);
      if (CLOCK.test(body)) problems.push(`${file}: reads the clock or schedules work (${CLOCK.exec(body)![0]})`);
      if (PROCESS_IO.test(body)) problems.push(`${file}: touches the process (${PROCESS_IO.exec(body)![0]})`);
    }
    assert.deepEqual(problems, []);
  });

  it('time is read only through the injected Clock', () => {
    const problems: string[] = [];
    const wallClock = /Date\.now\(\)|new Date\(\s*\)|performance\.now\(\)/;
    for (const { file, text } of files) {
      if (CLOCK_READERS.includes(file)) continue;
      const found = wallClock.exec(code(text));
      if (found) problems.push(`${file}: ${found[0]} (take a Clock)`);
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
