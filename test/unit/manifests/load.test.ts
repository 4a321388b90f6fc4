import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compareDiagnostics, type Diagnostic } from '../../../src/core/index.js';
import {
  loadManifests,
  ManifestCache,
  ManifestCacheMissError,
  type DeploymentManifest,
  type ManifestSet,
  type NamespaceManifests,
} from '../../../src/manifests/index.js';
import { asSourceWouldRead, deployment, folder, snapshot } from './snapshot-builder.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/manifests/${name}`, import.meta.url), 'utf8');
const namespaceYaml = (name: string): string => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

function ns(set: ManifestSet, name: string): NamespaceManifests {
  const found = set.namespaces.find((n) => n.name === name);
  assert.ok(found, `namespace ${name} in ${set.namespaces.map((n) => n.name).join(', ')}`);
  return found;
}

function only(diagnostics: readonly Diagnostic[], code: string): Diagnostic {
  const matching = diagnostics.filter((d) => d.code === code);
  assert.equal(matching.length, 1, `one ${code} in ${JSON.stringify(diagnostics, null, 1)}`);
  return matching[0]!;
}

describe('loadManifests: folders are namespaces', () => {
  it('loads the public nginx-deployment example cleanly, its requests kept (an HPA measures against them)', () => {
    const set = loadManifests(snapshot([folder('web', { 'nginx-deployment.yaml': fixture('nginx-deployment.yaml') })]), new ManifestCache());
    const web = ns(set, 'web');
    assert.equal(web.valid, true);
    assert.equal(web.objects.length, 1);
    assert.deepEqual(web.diagnostics, []);
    const d = web.objects[0] as DeploymentManifest;
    assert.deepEqual(d.source, { file: 'web/nginx-deployment.yaml', document: 0, line: 3 });
    assert.equal(d.spec.template.spec.containers[0]?.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(d.spec.template.spec.containers[0]?.resources, { requests: { memory: '64Mi', cpu: '250m' }, limits: { memory: '128Mi', cpu: '500m' } });
  });

  it('objects keep file then document order and carry their source', () => {
    const set = loadManifests(
      snapshot([folder('shop', { 'b.yaml': deployment('b'), 'a.yml': `${namespaceYaml('shop')}---\n${deployment('a')}`, 'README.md': '# not yaml: [' })]),
      new ManifestCache(),
    );
    const shop = ns(set, 'shop');
    assert.equal(shop.valid, true, JSON.stringify(shop.diagnostics));
    assert.deepEqual(
      shop.objects.map((o) => [o.kind, o.metadata.name, o.source.file, o.source.document, o.source.line]),
      [
        ['Namespace', 'shop', 'shop/a.yml', 0, 1],
        ['Deployment', 'a', 'shop/a.yml', 1, 6],
        ['Deployment', 'b', 'shop/b.yaml', 0, 1],
      ],
    );
  });

  it('accepts *.YAML and *.yml, ignores other files silently', () => {
    const set = loadManifests(
      snapshot([folder('shop', { 'A.YAML': deployment('a'), 'b.yml': deployment('b'), 'c.json': '{', 'notes.txt': 'x', '.env': 'A=1' })]),
      new ManifestCache(),
    );
    assert.deepEqual(
      ns(set, 'shop').objects.map((o) => o.metadata.name),
      ['a', 'b'],
    );
    assert.deepEqual(ns(set, 'shop').diagnostics, []);
  });

  it('sorts namespaces by name; an empty folder is a valid, empty namespace', () => {
    const set = loadManifests(snapshot([folder('zeta', { 'x.yaml': deployment('x') }), folder('alpha', { 'README.md': 'docs' })]), new ManifestCache());
    assert.deepEqual(
      set.namespaces.map((n) => [n.name, n.valid, n.objects.length]),
      [
        ['alpha', true, 0],
        ['zeta', true, 1],
      ],
    );
  });

  it('metadata.namespace must equal the folder', () => {
    const set = loadManifests(
      snapshot([
        folder('shop', {
          'web.yaml': deployment('web', { metadata: '  namespace: other\n' }),
          'ok.yaml': deployment('ok', { metadata: '  namespace: shop\n' }),
        }),
      ]),
      new ManifestCache(),
    );
    const shop = ns(set, 'shop');
    assert.equal(shop.valid, false);
    assert.deepEqual(shop.objects, [], 'an invalid namespace hands over no objects');
    const d = only(shop.diagnostics, 'NAMESPACE_MISMATCH');
    assert.deepEqual([d.severity, d.file, d.line, d.column, d.field, d.namespace], ['error', 'shop/web.yaml', 5, 3, 'metadata.namespace', 'shop']);
    assert.match(d.message, /"other".*folder "shop"/);
  });

  it('a Namespace object must be named after its folder (so there is at most one)', () => {
    const set = loadManifests(snapshot([folder('shop', { 'ns.yaml': `${namespaceYaml('shop')}---\n${namespaceYaml('store')}` })]), new ManifestCache());
    const d = only(ns(set, 'shop').diagnostics, 'NAMESPACE_NAME_MISMATCH');
    assert.deepEqual([d.file, d.line, d.document], ['shop/ns.yaml', 9, 1]);
    const twice = loadManifests(snapshot([folder('shop', { 'a.yaml': namespaceYaml('shop'), 'b.yaml': namespaceYaml('shop') })]), new ManifestCache());
    assert.match(only(ns(twice, 'shop').diagnostics, 'DUPLICATE_OBJECT').message, /duplicate Namespace "shop": already defined at shop\/a.yaml:4/);
  });

  it('duplicate kind/name across files: an error on the second, naming the first file:line', () => {
    const set = loadManifests(
      snapshot([folder('shop', { 'a.yaml': deployment('web'), 'b.yaml': `${namespaceYaml('shop')}---\n${deployment('web')}` })]),
      new ManifestCache(),
    );
    const shop = ns(set, 'shop');
    assert.equal(shop.valid, false);
    const d = only(shop.diagnostics, 'DUPLICATE_OBJECT');
    assert.deepEqual([d.file, d.document, d.line, d.field], ['shop/b.yaml', 1, 9, 'metadata.name']);
    assert.equal(d.message, 'duplicate Deployment "web": already defined at shop/a.yaml:4');
  });

  it('duplicate kind/name within one file', () => {
    const set = loadManifests(snapshot([folder('shop', { 'a.yaml': `${deployment('web')}---\n${deployment('web')}` })]), new ManifestCache());
    const d = only(ns(set, 'shop').diagnostics, 'DUPLICATE_OBJECT');
    assert.deepEqual([d.file, d.line], ['shop/a.yaml', 22]);
    assert.match(d.message, /shop\/a.yaml:4$/);
  });

  it('the same name in different kinds or namespaces is fine', () => {
    const set = loadManifests(
      snapshot([
        folder('a', { 'x.yaml': deployment('web') }),
        folder('b', { 'x.yaml': deployment('web') }),
        folder('web', { 'ns.yaml': namespaceYaml('web'), 'd.yaml': deployment('web') }),
      ]),
      new ManifestCache(),
    );
    assert.ok(set.namespaces.every((n) => n.valid));
  });

  it('any error makes the whole folder invalid; other folders are unaffected', () => {
    const set = loadManifests(
      snapshot([folder('bad', { 'a.yaml': deployment('a'), 'b.yaml': 'kind: [' }), folder('good', { 'a.yaml': deployment('a') })]),
      new ManifestCache(),
    );
    assert.deepEqual([ns(set, 'bad').valid, ns(set, 'bad').objects.length], [false, 0]);
    assert.deepEqual([ns(set, 'good').valid, ns(set, 'good').objects.length], [true, 1]);
  });

  it('a *.yaml symlink in a namespace folder is an error; other symlinks are warnings; never followed', () => {
    const set = loadManifests(
      snapshot([folder('shop', { 'web.yaml': { symlink: '../other/web.yaml' } }), folder('docs', { LICENSE: { symlink: '../LICENSE' } })]),
      new ManifestCache(),
    );
    const d = only(ns(set, 'shop').diagnostics, 'SYMLINK');
    assert.deepEqual([d.severity, d.file, ns(set, 'shop').valid], ['error', 'shop/web.yaml', false]);
    const w = only(ns(set, 'docs').diagnostics, 'SYMLINK');
    assert.deepEqual([w.severity, ns(set, 'docs').valid], ['warning', true]);
  });

  it('files in sub-folders are ignored with a warning (yaml) or silently (others)', () => {
    const set = loadManifests(
      snapshot([folder('shop', { 'web.yaml': deployment('web'), 'old/web.yaml': deployment('web'), 'old/notes.md': 'x', 'deep/er/x.yml': 'broken: [' })]),
      new ManifestCache(),
    );
    const shop = ns(set, 'shop');
    assert.equal(shop.valid, true, 'nested files are not read, so they cannot break the folder');
    assert.deepEqual(
      shop.diagnostics.map((d) => [d.code, d.severity, d.file]),
      [
        ['NESTED_FILE', 'warning', 'shop/deep/er/x.yml'],
        ['NESTED_FILE', 'warning', 'shop/old/web.yaml'],
      ],
    );
    assert.match(shop.diagnostics[0]!.message, /berth reads only files directly in the namespace folder/);
  });

  it('submodules are ignored with a warning', () => {
    const set = loadManifests(snapshot([folder('shop', { vendor: { submodule: true } })], { lib: { submodule: true } }), new ManifestCache());
    assert.equal(only(ns(set, 'shop').diagnostics, 'SUBMODULE').severity, 'warning');
    assert.equal(only(set.diagnostics, 'SUBMODULE').file, 'lib');
  });

  it('yaml files at the root belong to no namespace: a warning; other root files are silent', () => {
    const set = loadManifests(
      snapshot([folder('shop', { 'a.yaml': deployment('a') })], {
        'web.yaml': deployment('web'),
        'README.md': '# hi',
        'link.yaml': { symlink: 'shop/a.yaml' },
      }),
      new ManifestCache(),
    );
    assert.deepEqual(
      set.diagnostics.map((d) => [d.code, d.severity, d.file, d.namespace]),
      [
        ['SYMLINK', 'warning', 'link.yaml', undefined],
        ['ROOT_FILE', 'warning', 'web.yaml', undefined],
      ],
    );
  });

  it('folder names must be DNS labels: the folder is skipped with a set-level diagnostic', () => {
    const set = loadManifests(
      snapshot([
        folder('Shop', { 'a.yaml': deployment('a') }),
        folder('my_docs', { 'index.md': '#' }),
        folder('.github', { 'workflows/ci.yml': 'on: push' }),
        folder('ok', {}),
      ]),
      new ManifestCache(),
    );
    assert.deepEqual(
      set.namespaces.map((n) => n.name),
      ['ok'],
    );
    assert.deepEqual(
      set.diagnostics.map((d) => [d.code, d.severity, d.file]),
      [
        ['INVALID_FOLDER_NAME', 'warning', 'my_docs'],
        ['INVALID_FOLDER_NAME', 'error', 'Shop'],
      ],
    );
    assert.equal(set.diagnostics[1]!.namespace, undefined);
    assert.match(set.diagnostics[1]!.message, /not a namespace.*DNS label.*its manifests are not loaded/);
  });

  it('diagnostics are sorted and carry file, namespace, line, column', () => {
    const set = loadManifests(
      snapshot([folder('shop', { 'b.yaml': deployment('b', { spec: '  bogus: 1\n' }), 'a.yaml': `${deployment('a').replace('replicas: 2', 'replicas: x')}` })]),
      new ManifestCache(),
    );
    const diagnostics = ns(set, 'shop').diagnostics;
    assert.ok(diagnostics.length >= 2);
    assert.deepEqual([...diagnostics].sort(compareDiagnostics), diagnostics);
    for (const d of diagnostics) {
      assert.equal(d.namespace, 'shop');
      assert.ok(d.file && d.line && d.column, JSON.stringify(d));
    }
  });

  it('the kitchen-sink fixture: every error located, nothing valid', () => {
    const set = loadManifests(snapshot([folder('shop', { 'kitchen-sink-invalid.yaml': fixture('kitchen-sink-invalid.yaml') })]), new ManifestCache());
    const shop = ns(set, 'shop');
    assert.equal(shop.valid, false);
    const codes = new Set(shop.diagnostics.map((d) => d.code));
    for (const code of ['INVALID_VALUE', 'UNKNOWN_FIELD', 'UNSUPPORTED_FIELD', 'IGNORED_FIELD', 'INVALID_QUANTITY']) assert.ok(codes.has(code), code);
    for (const d of shop.diagnostics) assert.ok(d.line && d.column && d.field, JSON.stringify(d));
  });
});

describe('loadManifests: the cache', () => {
  const base = () =>
    snapshot([folder('shop', { 'web.yaml': deployment('web'), 'api.yaml': deployment('api') }), folder('blog', { 'web.yaml': deployment('web') })]);

  it('an unchanged tree: the second load parses nothing and returns the same namespace results', () => {
    const cache = new ManifestCache();
    const first = loadManifests(base(), cache);
    assert.equal(cache.stats.parsedFiles, 2, 'shop/web.yaml and blog/web.yaml are one blob: parsed once');
    cache.retain(first);
    const omitted = asSourceWouldRead(base(), cache);
    assert.ok(
      omitted.folders.every((f) => f.files === undefined),
      'the source omits known trees',
    );
    const second = loadManifests(omitted, cache);
    assert.equal(cache.stats.parsedFiles, 2, 'no file parsed again');
    assert.equal(cache.stats.reusedNamespaces, 2);
    assert.equal(ns(second, 'shop'), ns(first, 'shop'), 'the very same result object');
    assert.deepEqual(second, { ...first, commit: second.commit });
  });

  it('a changed tree: only the changed blob is parsed, the rest come from the blob cache', () => {
    const cache = new ManifestCache();
    cache.retain(loadManifests(base(), cache));
    const changed = snapshot([
      folder('shop', { 'web.yaml': deployment('web').replace('replicas: 2', 'replicas: 3'), 'api.yaml': deployment('api') }),
      folder('blog', { 'web.yaml': deployment('web') }),
    ]);
    const set = loadManifests(asSourceWouldRead(changed, cache), cache);
    assert.equal(cache.stats.parsedFiles, 3, 'one new blob');
    assert.equal((ns(set, 'shop').objects.find((o) => o.metadata.name === 'web') as DeploymentManifest).spec.replicas, 3);
  });

  it('a file moved to another folder is not parsed again, and reports its new path', () => {
    const cache = new ManifestCache();
    const broken = deployment('web', { spec: '  bogus: 1\n' });
    cache.retain(loadManifests(snapshot([folder('shop', { 'web.yaml': broken })]), cache));
    const moved = loadManifests(asSourceWouldRead(snapshot([folder('store', { 'moved.yaml': broken })]), cache), cache);
    assert.equal(cache.stats.parsedFiles, 1);
    const d = only(ns(moved, 'store').diagnostics, 'UNKNOWN_FIELD');
    assert.deepEqual([d.file, d.namespace], ['store/moved.yaml', 'store']);
  });

  it('the same tree under another folder name is re-assembled without parsing', () => {
    const cache = new ManifestCache();
    const tree = { 'web.yaml': deployment('web', { metadata: '  namespace: shop\n' }) };
    loadManifests(snapshot([folder('shop', tree)]), cache);
    const copy = folder('store', tree);
    assert.equal(copy.treeId, folder('shop', tree).treeId, 'git gives equal trees equal ids');
    const set = loadManifests(asSourceWouldRead(snapshot([folder('shop', tree), copy]), cache), cache);
    assert.equal(cache.stats.parsedFiles, 1);
    assert.equal(ns(set, 'shop').valid, true);
    assert.equal(ns(set, 'store').valid, false, 'metadata.namespace: shop is wrong in folder store');
    assert.equal(only(ns(set, 'store').diagnostics, 'NAMESPACE_MISMATCH').file, 'store/web.yaml');
  });

  it('results do not depend on the cache', () => {
    const cache = new ManifestCache();
    loadManifests(base(), cache);
    const warm = loadManifests(asSourceWouldRead(base(), cache), cache);
    const cold = loadManifests(base(), new ManifestCache());
    assert.deepEqual(warm, cold);
  });

  it('retain keeps what the latest set references and evicts the rest', () => {
    const cache = new ManifestCache();
    const first = loadManifests(base(), cache);
    const blogTree = ns(first, 'blog').treeId;
    const shopTree = ns(first, 'shop').treeId;
    const onlyShop = loadManifests(snapshot([folder('shop', { 'web.yaml': deployment('web'), 'api.yaml': deployment('api') })]), cache);
    cache.retain(onlyShop);
    assert.equal(cache.hasTree(shopTree), true);
    assert.equal(cache.hasTree(blogTree), false);
    assert.deepEqual([cache.stats.trees, cache.stats.files], [1, 2], 'blog/web.yaml is byte-identical to shop/web.yaml, so that blob stays');
    cache.retain({ commit: 'x', namespaces: [], diagnostics: [] });
    assert.deepEqual([cache.stats.trees, cache.stats.files], [0, 0]);
  });

  it('hasTree/hasBlob can be passed unbound, as the source callbacks are', () => {
    const cache = new ManifestCache();
    loadManifests(base(), cache);
    const { hasTree, hasBlob } = cache;
    const s = base();
    assert.equal(hasTree(s.folders[0]!.treeId), true);
    assert.equal(hasBlob(s.folders[0]!.files![0]!.oid), true);
    assert.equal(hasBlob('0'.repeat(40)), false);
  });

  it('a folder without files that the cache does not know is a caller bug: a clear internal error', () => {
    const s = snapshot([folder('shop', { 'web.yaml': deployment('web') })]);
    const withoutFiles = { ...s, folders: [{ name: 'shop', treeId: s.folders[0]!.treeId }] };
    assert.throws(
      () => loadManifests(withoutFiles, new ManifestCache()),
      (e: unknown) => e instanceof ManifestCacheMissError && /internal error: folder "shop" .*came without files/.test(e.message),
    );
    const withoutContent = { ...s, folders: [{ ...s.folders[0]!, files: s.folders[0]!.files!.map(({ path, oid, mode }) => ({ path, oid, mode })) }] };
    assert.throws(() => loadManifests(withoutContent, new ManifestCache()), /internal error: file shop\/web.yaml .*came without content/);
  });

  it('different limits empty the cache (results depend on them)', () => {
    const cache = new ManifestCache();
    const s = snapshot([folder('shop', { 'web.yaml': deployment('web') })]);
    assert.equal(ns(loadManifests(s, cache), 'shop').valid, true);
    const strict = loadManifests(s, cache, { maxFileBytes: 100 });
    assert.equal(cache.stats.parsedFiles, 2);
    assert.equal(only(ns(strict, 'shop').diagnostics, 'FILE_TOO_LARGE').file, 'shop/web.yaml');
  });

  it('reload of 500 unchanged namespaces parses nothing', () => {
    const folders = Array.from({ length: 500 }, (_, i) => folder(`ns-${i}`, { 'a.yaml': deployment(`a${i}`), 'b.yaml': deployment(`b${i}`) }));
    const cache = new ManifestCache();
    cache.retain(loadManifests(snapshot(folders), cache));
    const parsed = cache.stats.parsedFiles;
    const set = loadManifests(asSourceWouldRead(snapshot(folders), cache), cache);
    assert.equal(cache.stats.parsedFiles, parsed);
    assert.equal(set.namespaces.length, 500);
  });
});
