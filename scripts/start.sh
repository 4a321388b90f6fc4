#!/usr/bin/env bash
# The README's first command: install what is missing, start the Docker engine if needed,
# then run berth on the bundled sample-repo/ (Ctrl-C stops berth; the containers keep running).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh
bash scripts/setup-docker.sh
exec ./bin/berth.mjs run "$@" # its first line gives node its memory flag
