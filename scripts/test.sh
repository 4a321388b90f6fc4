#!/usr/bin/env bash
# The README's second command: install what is missing, start the Docker engine if needed,
# type-check, lint, then run every test (unit, integration, e2e) with node's test runner.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh
bash scripts/setup-docker.sh
# The swarm tests' cluster: three dockerds in network namespaces (scripts/swarm-rig.sh, ~2 s),
# taken down again when the run ends, however it ends (its output goes to its log, so the last
# lines stay the test runner's summary).
bash scripts/swarm-rig.sh up
trap 'bash scripts/swarm-rig.sh down >>"${BERTH_SWARM_BASE:-/tmp/berth-swarm}.down.log" 2>&1 || true' EXIT
npx tsc --noEmit -p tsconfig.json
bash scripts/lint.sh
shopt -s globstar nullglob
# Two runs. First chaos.test.ts, which stops and restarts the machine's Docker engine (one of its
# cases), with only the unit files beside it: they never touch the engine, and they use the CPU
# while chaos mostly waits for the engine. Then every other file (they all use the engine), four
# at a time: each mostly waits on containers and probes, so they overlap on two cores; a fifth or
# sixth no longer helps (measured 2026-12-05: the engine's own CPU is the limit then).
# The last lines are the second run's summary; a failure in the first stops here (set -e).
# The longest files start first (a scheduling hint, measured 2026-12-05; a file missing from it
# simply runs in glob order), so none of them starts last and makes the whole run wait.
# The rig's own test runs in the first run too: the swarm files share one cluster, and the
# other one (in the second run) drains and kills its nodes.
first=(test/e2e/chaos.test.ts test/swarm/rig.test.ts test/unit/**/*.test.ts)
longest=(test/swarm/berth-on-swarm.test.ts test/e2e/plan-agrees.test.ts test/e2e/services-in-namespace.test.ts test/e2e/rollout.test.ts
  test/e2e/cli-usage.test.ts test/e2e/hostile-commits.test.ts test/e2e/statefulsets.test.ts test/e2e/reconcile-loop.test.ts)
files=()
for f in "${longest[@]}" test/e2e/**/*.test.ts test/integration/**/*.test.ts test/swarm/**/*.test.ts; do
  if [[ -f "$f" && " ${first[*]} ${files[*]} " != *" $f "* ]]; then files+=("$f"); fi
done
# Each file runs from its own bundle (scripts/build-tests.mjs: one esbuild call, beside its source),
# not through tsx: loading the sources through tsx cost each test process 1–2 CPU-seconds.
built=$(node scripts/build-tests.mjs "${first[@]}" "${files[@]}")
mapfile -t bundles <<<"$built"
first=("${bundles[@]:0:${#first[@]}}")
files=("${bundles[@]:${#first[@]}}")
node --enable-source-maps --test --test-reporter=spec --test-concurrency=3 "${first[@]}"
node --enable-source-maps --test --test-reporter=spec --test-concurrency="${BERTH_TEST_CONCURRENCY:-4}" "${files[@]}"
