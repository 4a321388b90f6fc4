/**
 * Property test (issue #15): generated image references, names and paths go through
 * validate → desired → the engine path builder (src/runtime/docker/engine-path.ts), and
 * nothing throws outside BerthError. What validation accepts, the engine path builder accepts
 * too, and what it builds never decodes to a "."/".." or empty path segment (the engine would
 * clean it with a redirect: the class of bug that killed `berth run`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hasErrors, isBerthError } from '../../../src/core/index.js';
import { buildDesiredState } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache } from '../../../src/manifests/index.js';
import { imagePathValue, objectPathValue } from '../../../src/runtime/docker/engine-path.js';
import { deployment, folder, snapshot } from './snapshot-builder.js';

const RUNS = Number(process.env['BERTH_FUZZ_RUNS'] ?? 500);
const SEED = process.env['BERTH_FUZZ_SEED'] !== undefined ? Number(process.env['BERTH_FUZZ_SEED']) : 0x15;

const FRAGMENTS = [
  '..',
  '.',
  '/',
  '//',
  '%2e',
  '%2E',
  '%2f',
  ':',
  '@',
  'sha256:',
  'a'.repeat(64),
  '#',
  '?',
  '&',
  '=',
  '\\',
  ' ',
  '\u0000',
  '\n',
  'busybox',
  '1.36',
  'v1.40',
  'containers',
  'create',
  'json',
  'images',
  'localhost',
  'registry.example.com',
  ':5000',
  '_',
  '__',
  '-',
  'A',
  'é',
  '\u202e',
  '~',
  '$',
  '{',
  '}',
];
const imageLike = fc.oneof(
  fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 8 }).map((parts) => parts.join('')),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...'abc./:@-_%2e0A'.split('')), maxLength: 30 }),
);

function check(image: string): void {
  // Validate → desired: every problem is a diagnostic, never an exception.
  const set = loadManifests(
    snapshot([folder('shop', { 'web.yaml': deployment('web').replace('image: busybox:1.36', `image: ${JSON.stringify(image)}`) })]),
    new ManifestCache(),
  );
  const desired = buildDesiredState(set, { instance: 'default' });
  const ns = set.namespaces.find((n) => n.name === 'shop');
  assert.ok(ns, 'the namespace is loaded');
  const accepted = !hasErrors(ns.diagnostics);
  // The engine edge: only BerthErrors.
  let built: string | undefined;
  try {
    built = imagePathValue(image);
  } catch (err) {
    assert.ok(isBerthError(err), `imagePathValue(${JSON.stringify(image)}) threw a non-BerthError: ${String(err)}`);
  }
  if (accepted) {
    assert.ok(built !== undefined, `validation accepted ${JSON.stringify(image)} but the engine edge refused it`);
    const templates = desired.namespaces.find((n) => n.name === 'shop')?.deployments.map((d) => d.template.image) ?? [];
    assert.deepEqual(templates, [image], 'the desired image is the manifest image');
  }
  if (built !== undefined) {
    const segments = decodeURIComponent(built).split('/');
    assert.ok(!segments.some((s) => s === '' || s === '.' || s === '..'), `${JSON.stringify(image)} builds a path the engine would redirect: ${built}`);
    assert.ok(!/[?#\s]/.test(decodeURIComponent(built)), `${JSON.stringify(image)} builds a path with a query, fragment or space`);
  }
}

describe('engine values: validate → desired → engine path builder', () => {
  it('never throws outside BerthError, and what validation accepts the engine edge accepts', () => {
    fc.assert(
      fc.property(imageLike, (image) => check(image)),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('object names and ids: only BerthErrors, and never a redirecting path', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 30 }),
          fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 6 }).map((p) => p.join('')),
        ),
        (value) => {
          for (const kind of ['container', 'network', 'volume', 'exec'] as const) {
            try {
              const built = objectPathValue(kind, value);
              assert.ok(
                !decodeURIComponent(built)
                  .split('/')
                  .some((s) => s === '' || s === '.' || s === '..'),
                `${kind} ${JSON.stringify(value)} → ${built}`,
              );
            } catch (err) {
              assert.ok(isBerthError(err), `objectPathValue threw a non-BerthError for ${JSON.stringify(value)}: ${String(err)}`);
            }
          }
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
