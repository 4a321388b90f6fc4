#!/usr/bin/env bash
# Builds a tiny busybox image locally (no registry here) and tags it with the public names the
# sample manifests use, so the same manifests pull normally on a machine that has a registry.
set -euo pipefail
log() { printf '[build-images] %s\n' "$*" >&2; }
docker_cli=$(command -v /usr/bin/docker || command -v docker)
names=(busybox:1.36 busybox:latest berth-test/busybox:1)
missing=0
for n in "${names[@]}"; do "$docker_cli" image inspect "$n" >/dev/null 2>&1 || missing=1; done
[ "$missing" = 0 ] && { log "images present"; exit 0; }
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp /bin/busybox "$ctx/busybox"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox","--install","-s","/bin"]
CMD ["sh"]
DOCKERFILE
DOCKER_BUILDKIT=0 "$docker_cli" build -q -t "${names[0]}" "$ctx" >/dev/null
for n in "${names[@]:1}"; do "$docker_cli" tag "${names[0]}" "$n"; done
log "built ${names[*]}"
