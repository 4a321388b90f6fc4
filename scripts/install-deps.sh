#!/usr/bin/env bash
# Installs the Node dependencies when missing or out of date (idempotent, no downloads of
# browsers or prebuilt toolchains). npm 11 runs no install scripts unless allowed, so dockerode's
# optional native add-ons (ssh2, cpu-features) are not compiled; a unix socket needs neither.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stamp=node_modules/.berth-install-stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "[install-deps] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  touch "$stamp"
fi
