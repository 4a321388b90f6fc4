#!/usr/bin/env bash
# npm run test:swarm: the swarm tests (test/swarm) against a real 3-node Docker Swarm on this
# machine (scripts/swarm-rig.sh; needs root and the main engine with the test images, i.e.
# scripts/setup-docker.sh). Brings the rig up (cheap when it already is) and leaves it up for
# the next run; `bash scripts/swarm-rig.sh down` removes it.
# One file at a time by default: the files share one cluster, and some kill, drain or label
# its nodes (BERTH_SWARM_TEST_CONCURRENCY to change).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/swarm-rig.sh up
shopt -s globstar nullglob
files=(test/swarm/**/*.test.ts)
[ ${#files[@]} -gt 0 ] || { echo "no test/swarm/**/*.test.ts" >&2; exit 1; }
exec node --import tsx --enable-source-maps --test --test-reporter=spec --test-concurrency="${BERTH_SWARM_TEST_CONCURRENCY:-1}" "$@" "${files[@]}"
