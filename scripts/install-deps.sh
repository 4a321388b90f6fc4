#!/usr/bin/env bash
# Installs the Node dependencies when missing or out of date (idempotent, no downloads of
# browsers or prebuilt toolchains). npm 11 runs no install scripts unless allowed, so dockerode's
# optional native add-ons (ssh2's crypto binding, cpu-features) are not compiled; ssh2 runs on
# Node's own crypto without them (engines at ssh://).
# The dashboard's e2e test drives Debian's Chromium (playwright-core never downloads a browser):
# installed from apt when /usr/bin/chromium is missing (CI runs as root, without a terminal).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stamp=node_modules/.berth-install-stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "[install-deps] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  touch "$stamp"
fi
if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo -n"; fi
  echo "[install-deps] apt-get install chromium (for the dashboard's e2e test)" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
fi
