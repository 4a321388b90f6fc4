#!/usr/bin/env bash
# Installs (if missing) and starts (if not running) a local Docker engine, then builds the
# busybox-based images the sample and tests use. Idempotent: safe to run any number of times.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[setup-docker] %s\n' "$*" >&2; }

need_apt=()
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
# The data plane's kernel path writes NAT rules with iptables-restore (docker.io pulls it in; said here).
command -v iptables-restore >/dev/null 2>&1 || need_apt+=(iptables)
{ [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -x httpd >/dev/null; } || need_apt+=(busybox-static)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then log "need root to install ${need_apt[*]}"; exit 1; fi
  log "installing ${need_apt[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

sock=/var/run/docker.sock
engine_up() { [ -S "$sock" ] && curl -fsS --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; }
if ! engine_up; then
  log "starting dockerd"
  mkdir -p /var/log
  (setsid dockerd >/var/log/berth-dockerd.log 2>&1 &)
  for _ in $(seq 1 120); do engine_up && break; sleep 0.5; done
  engine_up || { log "dockerd did not come up; see /var/log/berth-dockerd.log"; tail -20 /var/log/berth-dockerd.log >&2; exit 1; }
fi
log "engine up"
"$here/build-images.sh"
