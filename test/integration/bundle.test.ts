/**
 * bin/bundle.mjs: berth starts from one bundle of its sources, rebuilt whenever their content
 * changes. Driven on a scratch project (src/main.ts, a schema it imports, package.json) with the
 * real esbuild: each row changes one thing and says whether the next start rebuilds and what the
 * bundle then prints. Last, the real berth answers the same from its bundle as through tsx.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
// @ts-expect-error: a plain ES module of the launcher, without type declarations
import { bundledEntry } from '../../bin/bundle.mjs';
import { runBerth } from '../helpers/berth-cli.js';

const run = promisify(execFile);
const entry = bundledEntry as (root?: string) => Promise<string | undefined>;

async function output(url: string): Promise<string> {
  return (await run(process.execPath, [fileURLToPath(url)])).stdout.trim();
}

/** Writes `text` at `path` dated an hour ago: a copy that keeps older times (`rsync -a`, `cp -p`) must still rebuild. */
async function edit(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  const anHourAgo = Date.now() / 1000 - 3600;
  await utimes(path, anHourAgo, anHourAgo);
}

describe('the bundle berth starts from', () => {
  it('is built when missing, kept while nothing changed, rebuilt after each kind of change', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'berth-bundle-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    await mkdir(join(root, 'src', 'lib'), { recursive: true });
    await mkdir(join(root, 'schemas'));
    await mkdir(join(root, 'bin'));
    await writeFile(join(root, 'package.json'), '{"type":"module"}');
    await writeFile(join(root, 'tsconfig.json'), '{}');
    await writeFile(join(root, 'bin', 'bundle.mjs'), '// stands in for the launcher');
    await writeFile(join(root, 'schemas', 'kind.json'), '{"kind":"Deployment"}');
    await writeFile(join(root, 'src', 'lib', 'word.ts'), "export const word: string = 'one';");
    await writeFile(
      join(root, 'src', 'main.ts'),
      "import schema from '../schemas/kind.json' with { type: 'json' };\nimport { word } from './lib/word.js';\nconsole.log(word + ' ' + schema.kind);\n",
    );
    // The entry of the process a mirror's first fetch runs in, built beside berth's from the same inputs.
    await mkdir(join(root, 'src', 'source'));
    await writeFile(join(root, 'src', 'source', 'fetch-child.ts'), "import { word } from '../lib/word.js';\nconsole.log('child ' + word);\n");
    const bundle = join(root, 'dist', 'berth.mjs');
    const child = join(root, 'dist', 'fetch-child.mjs');

    const first = await entry(root);
    assert.ok(first, 'a missing bundle is built');
    assert.equal(await output(first), 'one Deployment');
    assert.equal(await output(pathToFileURL(child).href), 'child one', 'the child entry is built beside it');

    type Row = readonly [what: string, change: () => Promise<void>, rebuilt: boolean, prints: string];
    const rows: readonly Row[] = [
      ['nothing changed', async () => {}, false, 'one Deployment'],
      [
        'a source under src/ edited (dated older than the bundle)',
        () => edit(join(root, 'src', 'lib', 'word.ts'), "export const word: string = 'two';"),
        true,
        'two Deployment',
      ],
      ['a schema edited', () => edit(join(root, 'schemas', 'kind.json'), '{"kind":"Service"}'), true, 'two Service'],
      ['a file added', () => edit(join(root, 'src', 'lib', 'unused.ts'), 'export {};'), true, 'two Service'],
      ['a file removed', () => rm(join(root, 'src', 'lib', 'unused.ts')), true, 'two Service'],
      ['package.json edited', () => edit(join(root, 'package.json'), '{"type":"module","version":"2"}'), true, 'two Service'],
      ['a source touched, its content the same', async () => utimes(join(root, 'src', 'main.ts'), new Date(), new Date()), false, 'two Service'],
      ['nothing changed again', async () => {}, false, 'two Service'],
    ];
    for (const [what, change, rebuilt, prints] of rows) {
      const before = await stat(bundle);
      const childBefore = await stat(child);
      await change();
      const url = await entry(root);
      assert.ok(url, what);
      const after = await stat(bundle);
      assert.equal(after.ino !== before.ino, rebuilt, `${what}: rebuilt ${rebuilt}`);
      assert.equal((await stat(child)).ino !== childBefore.ino, rebuilt, `${what}: the child rebuilt ${rebuilt}`);
      assert.equal(await output(url), prints, what);
      assert.equal(await output(pathToFileURL(child).href), `child ${prints.split(' ')[0]}`, `${what}: the child`);
    }

    // A source that does not compile: no bundle (berth then runs through tsx, which says where),
    // the last good bundle stays, and no temporary file is left behind.
    const good = await stat(bundle);
    await edit(join(root, 'src', 'lib', 'word.ts'), 'export const word: string = ;');
    assert.equal(await entry(root), undefined);
    assert.equal((await stat(bundle)).ino, good.ino);
    assert.deepEqual((await readdir(join(root, 'dist'))).sort(), ['berth.mjs', 'fetch-child.mjs']);
    assert.deepEqual((await readdir(root)).sort(), ['bin', 'dist', 'package.json', 'schemas', 'src', 'tsconfig.json'], 'no temporary folder left');

    // A child entry removed from dist/ alone is built again: a bundle never runs without its child.
    await edit(join(root, 'src', 'lib', 'word.ts'), "export const word: string = 'two';");
    assert.ok(await entry(root));
    await rm(child);
    assert.ok(await entry(root));
    assert.equal(await output(pathToFileURL(child).href), 'child two');
  });

  it('BERTH_BUNDLE=0 runs the sources instead, and the real berth answers the same both ways', async () => {
    process.env.BERTH_BUNDLE = '0';
    try {
      assert.equal(await entry(), undefined);
    } finally {
      delete process.env.BERTH_BUNDLE;
    }
    const bundled = await runBerth(['validate', '--path', 'manifests', '--help']);
    const sources = await runBerth(['validate', '--path', 'manifests', '--help'], { env: { BERTH_BUNDLE: '0' } });
    assert.equal(bundled.code, 0, bundled.stderr);
    assert.deepEqual(bundled, sources);
    const version = await runBerth(['version', '-o', 'json'], { env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
    const versionTsx = await runBerth(['version', '-o', 'json'], { env: { DOCKER_HOST: 'unix:///nonexistent.sock', BERTH_BUNDLE: '0' } });
    assert.match(version.stdout, /"berth": "\d+\.\d+\.\d+"/, 'the bundle finds package.json');
    assert.deepEqual(version, versionTsx);
  });

  it('started as an executable (npm start, npm run berth, an npm-linked berth), node gets the memory flag and the malloc setting of its first line', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-flags-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const probe = join(dir, 'exec-argv.cjs');
    await writeFile(probe, "process.stderr.write('execArgv=' + JSON.stringify(process.execArgv) + '\\narena=' + process.env.MALLOC_ARENA_MAX + '\\n');\n");
    const bin = fileURLToPath(new URL('../../bin/berth.mjs', import.meta.url));
    const { MALLOC_ARENA_MAX: _unset, ...env } = process.env;
    const { stdout, stderr } = await run(bin, ['--help'], { env: { ...env, NODE_OPTIONS: `--require=${probe}` } });
    assert.match(stdout, /^Usage: berth/);
    const execArgv = JSON.parse(/^execArgv=(.*)$/m.exec(stderr)?.[1] ?? 'null') as string[] | null;
    assert.deepEqual(execArgv, ['--max-semi-space-size=4']);
    assert.match(stderr, /^arena=1$/m, 'glibc gets one malloc arena');
  });
});
