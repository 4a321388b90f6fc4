#!/usr/bin/env bash
# The README's second command: install what is missing, start the Docker engine if needed,
# type-check, then run every test (unit, integration, e2e) with node's test runner.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh
bash scripts/setup-docker.sh
npx tsc --noEmit -p tsconfig.json
bash scripts/lint.sh
shopt -s globstar nullglob
files=(test/unit/**/*.test.ts test/integration/**/*.test.ts test/e2e/**/*.test.ts)
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 "${files[@]}"
