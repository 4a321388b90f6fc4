/**
 * Golden tests for `berth plan --base --head`: each folder under test/fixtures/plans/<case>/
 * holds a base and a head "repository" (plain files, no Git) and the expected renderings
 * expected.txt, expected.md and expected.json. The goldens are the spec: read them by eye
 * when they change.
 *
 * To regenerate them after an intended change of output:
 *   BERTH_UPDATE_GOLDEN=1 node --import tsx --test test/unit/plan/change-set-golden.test.ts
 * then review `git diff test/fixtures/plans`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import {
  compare,
  planExitCode,
  renderChangeSetJson,
  renderChangeSetMarkdown,
  renderChangeSetText,
  type ChangeSet,
  type PlanExitCode,
} from '../../../src/preview/index.js';
import { loadSide, PLAN_FIXTURES, planCases } from './fixture-repo.js';

const UPDATE = process.env.BERTH_UPDATE_GOLDEN === '1';

/** What each case must exit with (0 no change, 1 changes, 2 the head has errors or is refused). */
const EXPECTED_EXIT: Record<string, PlanExitCode> = {
  'empty-head': 2,
  'invalid-base': 1,
  'invalid-head': 2,
  'mixed-changes': 1,
  'most-deployments-removed': 1,
  'namespace-removed': 1,
  'no-base': 1,
  'no-change': 0,
  'secret-references': 1,
  'services-and-ingresses': 1,
};

function changeSetOf(caseName: string): ChangeSet {
  const head = loadSide(caseName, 'head');
  assert.ok(head, `${caseName}: a case needs a head/ folder`);
  return compare(loadSide(caseName, 'base'), head);
}

function renderings(cs: ChangeSet): Record<'txt' | 'md' | 'json', string> {
  return { txt: renderChangeSetText(cs), md: renderChangeSetMarkdown(cs), json: renderChangeSetJson(cs) };
}

describe('berth plan --base --head: golden outputs', () => {
  const cases = planCases();

  it('every fixture case has an expected exit code, and every expected exit code a case', () => {
    assert.deepEqual(cases, Object.keys(EXPECTED_EXIT).sort());
  });

  for (const name of cases) {
    it(`${name}: text, markdown and json match the goldens; exit ${EXPECTED_EXIT[name]}`, () => {
      const cs = changeSetOf(name);
      for (const [ext, actual] of Object.entries(renderings(cs))) {
        const path = new URL(`${name}/expected.${ext}`, PLAN_FIXTURES);
        if (UPDATE) writeFileSync(path, actual);
        assert.equal(actual, readFileSync(path, 'utf8'), `${name}/expected.${ext} differs (BERTH_UPDATE_GOLDEN=1 regenerates; then review the diff)`);
      }
      assert.equal(planExitCode(cs), EXPECTED_EXIT[name], `${name}: exit code`);
    });
  }

  it('the same input renders byte-identical output, whatever order the desired states list namespaces in', () => {
    for (const name of cases) {
      const first = renderings(changeSetOf(name));
      const second = renderings(changeSetOf(name));
      assert.deepEqual(second, first, `${name}: two renders differ`);
      const base = loadSide(name, 'base');
      const head = loadSide(name, 'head')!;
      const reversed = compare(base && { ...base, namespaces: [...base.namespaces].reverse() }, { ...head, namespaces: [...head.namespaces].reverse() });
      assert.deepEqual(renderings(reversed), first, `${name}: namespace order leaked into the output`);
    }
  });
});

/** Every value of a secret-looking env var anywhere in the fixtures (parsed, so quoting does not matter), and the raw scalars. */
function secretValues(): string[] {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry)) {
        const text = readFileSync(full, 'utf8');
        for (const doc of parseAllDocuments(text)) {
          const env =
            (doc.toJS() as { spec?: { template?: { spec?: { containers?: { env?: { name: string; value?: unknown }[] }[] } } } } | null)?.spec?.template?.spec
              ?.containers?.[0]?.env ?? [];
          for (const e of env)
            if (/(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE|CREDENTIAL)/i.test(e.name) && e.value !== undefined) found.add(String(e.value));
        }
      }
    }
  };
  walk(fileURLToPath(PLAN_FIXTURES));
  return [...found].sort();
}

describe('secret values never appear', () => {
  it('in any rendering of any case, nor in the goldens on disk', () => {
    const secrets = secretValues();
    assert.ok(secrets.length >= 4, `the fixtures should hold secret-looking env values to test with, found ${JSON.stringify(secrets)}`);
    for (const name of planCases()) {
      const outputs = renderings(changeSetOf(name));
      for (const ext of ['txt', 'md', 'json'] as const) {
        const golden = readFileSync(new URL(`${name}/expected.${ext}`, PLAN_FIXTURES), 'utf8');
        for (const secret of secrets) {
          assert.equal(outputs[ext].includes(secret), false, `${name} ${ext}: leaks ${secret}`);
          assert.equal(golden.includes(secret), false, `${name}/expected.${ext}: leaks ${secret}`);
        }
      }
    }
  });
});
