#!/usr/bin/env bash
# The README's second command: install what is missing, start the Docker engine if needed,
# type-check, lint, then run every test (unit, integration, e2e) with node's test runner.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh
bash scripts/setup-docker.sh
npx tsc --noEmit -p tsconfig.json
bash scripts/lint.sh
shopt -s globstar nullglob
# chaos.test.ts stops and restarts the machine's Docker engine (one of its cases): it runs first,
# alone. Then every other file, three at a time: the e2e files first (each mostly waits on
# containers and probes, so they overlap well on two cores), then the integration and unit files.
# The last lines are the second run's summary; a failure in the first stops here (set -e).
# The longest files start first (a scheduling hint, measured 2026-12-04; a file missing from it
# simply runs in glob order), so none of them starts last and makes the whole run wait.
exclusive=(test/e2e/chaos.test.ts)
longest=(test/e2e/services-in-namespace.test.ts test/e2e/rollout.test.ts test/e2e/hostile-commits.test.ts
  test/e2e/plan-agrees.test.ts test/e2e/statefulsets.test.ts test/e2e/cli-usage.test.ts test/e2e/reconcile-loop.test.ts)
files=()
for f in "${longest[@]}" test/e2e/**/*.test.ts test/integration/**/*.test.ts test/unit/**/*.test.ts; do
  if [[ -f "$f" && " ${exclusive[*]} ${files[*]} " != *" $f "* ]]; then files+=("$f"); fi
done
# Each file runs from its own bundle (scripts/build-tests.mjs: one esbuild call, beside its source),
# not through tsx: loading the sources through tsx cost each test process 1–2 CPU-seconds.
built=$(node scripts/build-tests.mjs "${exclusive[@]}" "${files[@]}")
mapfile -t bundles <<<"$built"
exclusive=("${bundles[@]:0:${#exclusive[@]}}")
files=("${bundles[@]:${#exclusive[@]}}")
node --enable-source-maps --test --test-reporter=spec --test-concurrency=1 "${exclusive[@]}"
exec node --enable-source-maps --test --test-reporter=spec --test-concurrency="${BERTH_TEST_CONCURRENCY:-3}" "${files[@]}"
