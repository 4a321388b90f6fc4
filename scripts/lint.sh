#!/usr/bin/env bash
# Formatting and lint (Biome; rules and style in biome.json) over src/ test/ bench/.
# Fails on any file the formatter would change, any lint error and any lint warning.
# Fix formatting with: npx biome format --write src test bench
set -euo pipefail
cd "$(dirname "$0")/.."
exec npx --no-install biome check --error-on-warnings src test bench
