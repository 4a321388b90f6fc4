/**
 * A fixture "repository side" (test/fixtures/plans/<case>/base or /head, plain folders and
 * files, no Git) → DesiredState, in-process: the folder becomes an in-memory Snapshot the
 * way the source module would hand it over (test/unit/manifests/snapshot-builder.ts), then
 * the real loadManifests → buildDesiredState.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDesiredState, DEFAULT_INSTANCE, type DesiredState } from '../../../src/desired/index.js';
import { loadManifests, ManifestCache } from '../../../src/manifests/index.js';
import { folder, snapshot, type FileSpec } from '../manifests/snapshot-builder.js';

export const PLAN_FIXTURES = new URL('../../fixtures/plans/', import.meta.url);

/** Every case folder under test/fixtures/plans, sorted. */
export function planCases(): string[] {
  return readdirSync(PLAN_FIXTURES, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** A fake but stable 40-hex commit id per case and side. */
export function fixtureCommit(caseName: string, side: 'base' | 'head'): string {
  return createHash('sha1').update(`${caseName}/${side}`).digest('hex');
}

function filesUnder(dir: string, prefix = ''): Record<string, FileSpec> {
  const out: Record<string, FileSpec> = {};
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) Object.assign(out, filesUnder(full, `${prefix}${name}/`));
    else out[`${prefix}${name}`] = new Uint8Array(readFileSync(full));
  }
  return out;
}

/** The desired state one side of a case holds; undefined when the side's folder does not exist (no base). */
export function loadSide(caseName: string, side: 'base' | 'head'): DesiredState | undefined {
  const root = join(fileURLToPath(PLAN_FIXTURES), caseName, side);
  if (!existsSync(root)) return undefined;
  const folders = [];
  const rootFiles: Record<string, FileSpec> = {};
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory()) folders.push(folder(entry.name, filesUnder(join(root, entry.name))));
    else rootFiles[entry.name] = new Uint8Array(readFileSync(join(root, entry.name)));
  }
  const set = loadManifests(snapshot(folders, rootFiles, fixtureCommit(caseName, side)), new ManifestCache());
  return buildDesiredState(set, { instance: DEFAULT_INSTANCE });
}
