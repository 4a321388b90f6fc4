#!/usr/bin/env bash
# swarm-rig.sh - berth's test rig: a real 3-node Docker Swarm (1 manager + 2 workers) on this
# one Linux host, for the swarm driver's tests (test/swarm, `npm run test:swarm`).
# Each node is an extra dockerd (with its own containerd) in its own network namespace and
# UTS namespace (hostname node1/node2/node3), with its own data-root, exec-root, pidfile,
# socket, containerd namespaces and cgroup parent. The main engine (/var/run/docker.sock),
# its iptables rules, containers, networks and images are never touched: it is only read
# from, to copy the test images onto the nodes.
# Modelled on /work/shared/recipes/swarm-netns.sh (measured there); different names and
# addresses, so both can run at once.
#
#   swarm-rig.sh up              net + 3 dockerds + swarm + images + labels (idempotent; ~0.5 s when up)
#   swarm-rig.sh down            tear everything down (idempotent; kills only the rig's own PIDs)
#   swarm-rig.sh status          pids, RSS, swarm node list
#   swarm-rig.sh sock node2      unix:///tmp/berth-swarm/node2/docker.sock
#   swarm-rig.sh ip node2        10.79.0.12
#   swarm-rig.sh tcp node2       tcp://10.79.0.12:2376 (TLS verified both ways: see `tls`)
#   swarm-rig.sh tls             the client TLS folder (ca.pem, cert.pem, key.pem) for tcp://
#   swarm-rig.sh ssh node1       ssh://root@10.79.0.11 (starts that node's sshd when it is not running)
#   swarm-rig.sh ssh-home        a HOME whose .ssh has the client key and the nodes' host keys (known_hosts)
#   swarm-rig.sh kill node3      kill -9 the node's dockerd and everything it started (a node failure)
#   swarm-rig.sh start node3     start a killed node again and wait until the manager sees it Ready
#   swarm-rig.sh freeze node3    SIGSTOP the node's dockerd: its agent stops answering (the manager marks it
#                                Down after a few heartbeats), what it runs keeps running
#   swarm-rig.sh thaw node3      SIGCONT it and wait until the manager sees it Ready again
#   swarm-rig.sh d node2 ps      docker CLI against one node
#
# Environment: BERTH_SWARM_BASE (default /tmp/berth-swarm; absolute and short: the containerd
# socket under it must fit a unix socket path), BERTH_SWARM_HEARTBEAT (swarm dispatcher
# heartbeat, default 1s: a dead node is Down after a few seconds).
#
# Topology (every address exists only inside this host):
#
#   root netns: berthsw-host 10.79.0.1/24
#        |  veth
#   netns berthsw-sw: bridge br0  (uplink, p-node1, p-node2, p-node3)
#        |  veth                          |                     |
#   netns berthsw-node1 eth0 10.79.0.11   berthsw-node2 .12     berthsw-node3 .13
#
# Why the bridge lives in a netns of its own rather than in the root netns: br_netfilter is
# loaded and bridge-nf-call-iptables=1 in the root netns, so bridged node<->node frames would
# go through the main engine's FORWARD chain (policy DROP) and be dropped. A fresh netns has
# no rules, so bridging just works, and the root netns reaches the nodes as a plain directly
# connected subnet (no forwarding).
#
# Inside each node netns dockerd runs with --iptables=true: those rules live in the node's own
# netns and cannot collide with the main engine's. The kernel has no IP_VS: the ingress routing
# mesh and service VIPs do not work. Services must use --publish mode=host and
# --endpoint-mode dnsrr (or tasks.<svc>); a fixed published port allows at most one task per
# node, an ephemeral one (PublishedPort 0) any number. Use Init (busybox httpd as PID 1
# ignores SIGTERM, so every stop would wait out the grace period).
#
# Other choices, each for a reason:
#  - nsenter --net, not `ip netns exec`: the latter remounts /sys in a new mount namespace and
#    hides the cgroup v1 mounts from dockerd. dockerd stays in the root mount namespace, so its
#    mounts (overlay2, netns bind mounts) are visible here and `down` can unmount them.
#  - setsid: the dockerds are not in the caller's process group (a Ctrl-C of a test run, or a
#    test runner killing its process group, does not kill half a cluster).
#  - DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1: a swarm task uses the node's local image instead of
#    asking a registry first (there is none here; asking costs time and then fails).
#  - deprecated-key-path (only settable in a config file in 20.10): each engine gets its own
#    identity key, not the shared /etc/docker/key.json.
#  - --cgroup-parent berthsw-<node>: a node's containers are found (and killed) through its
#    cgroups after a kill -9, when no dockerd is left to ask.
#  - kill_node: after kill -9 of dockerd, its containerd, the shims, docker-proxy and the
#    containers themselves keep running; they are found by cmdline, netns and cgroup. SIGKILLed
#    shims leave sockets in /run/containerd/s (shared with the main engine's shims: only the
#    ones computed from our shims' cmdlines are removed). Everything else a node has (its
#    libnetwork and containerd sockets included) is under $BASE/<node>.
#  - A lock ($BASE/.lock, flock): test files running in parallel may all call `up`.
set -euo pipefail

# ------------------------------------------------------------------ configuration
BASE=${BERTH_SWARM_BASE:-/tmp/berth-swarm}  # $BASE/<node>/{data,exec,docker.sock,...}, $BASE/logs
PREFIX=berthsw                              # netns / veth / cgroup / containerd-namespace prefix
NET=10.79.0                                 # /24 used for the test LAN
CIDR=24
HOST_IP=$NET.1                              # root-netns address on the test LAN
HOST_VETH=$PREFIX-host                      # root-netns end of the root<->switch veth
SW_NS=$PREFIX-sw                            # netns holding the bridge
SW_BR=br0
NODES=(node1 node2 node3)                   # the first one is the manager
MANAGER=${NODES[0]}
declare -A NODE_IP=([node1]=$NET.11 [node2]=$NET.12 [node3]=$NET.13)
MTU=1500                                    # veth MTU; overlay networks use MTU-50 by themselves
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
DOCKER=${DOCKER_CLI:-docker}
MAIN_SOCK=/var/run/docker.sock              # the main engine: only read (docker save)
IMAGES=(busybox:1.36 busybox:latest berth-test/busybox:1)  # built there by scripts/setup-docker.sh
ENGINE_LABEL=berth.engine                   # node label: that node's own engine (driver: exec/logs/stats)
HEARTBEAT=${BERTH_SWARM_HEARTBEAT:-1s}      # swarm dispatcher heartbeat
START_TIMEOUT=60                            # seconds, per wait
LOGS=$BASE/logs                             # kept by `down`
TLS=$BASE/tls                               # a CA, the nodes' server certificate, berth's client certificate
SERVICE_RANGE=10.96.0.0/16                  # berth's cluster Service addresses, on this host: routed here by every node
TCP_PORT=2376                               # each engine also listens at tcp://<node ip>:2376, TLS verified both ways
SSH=$BASE/ssh                               # `ssh <node>`: an sshd in the node's netns, its keys, berth's client home
SSHD_CACHE=/var/cache/berth-swarm-rig/sshd  # Debian's sshd unpacked (never installed: no system service)
# -------------------------------------------------------------------------------

unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH   # DOCKER_HOST is always set explicitly

ns_of()   { echo "$PREFIX-$1"; }                  # node netns name
cg_of()   { echo "$PREFIX-$1"; }                  # cgroup parent (cgroupfs driver)
sock_of() { echo "unix://$BASE/$1/docker.sock"; }
log_of()  { echo "$LOGS/$1-dockerd.log"; }
d()       { local n=$1; shift; DOCKER_HOST=$(sock_of "$n") "$DOCKER" "$@"; }
main()    { DOCKER_HOST=unix://$MAIN_SOCK "$DOCKER" "$@"; }
log()     { printf '[swarm-rig] %s %s\n' "$(date +%T.%3N)" "$*" >&2; }
die()     { log "$*"; exit 1; }
now_us()  { echo "${EPOCHREALTIME/./}"; }
since()   { local us=$(( $(now_us) - $1 )); printf '%d.%01d s' $(( us / 1000000 )) $(( us % 1000000 / 100000 )); }
is_node() { [[ " ${NODES[*]} " == *" $1 "* ]] || die "unknown node '$1' (nodes: ${NODES[*]})"; }

node_pid() {   # prints the dockerd pid of node if alive (verified via its cmdline), else fails
  local n=$1 f pid cmd
  for f in "$BASE/$n/docker.pid" "$BASE/$n/launch.pid"; do
    [ -s "$f" ] || continue
    pid=$(<"$f"); [ -r "/proc/$pid/cmdline" ] || continue
    cmd=$( { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null) || continue
    [[ $cmd == *"$DOCKERD"*"$BASE/$n/docker.sock"* ]] || continue
    echo "$pid"; return 0
  done
  return 1
}

ping_node() { curl -fsS -m 5 --unix-socket "$BASE/$1/docker.sock" http://localhost/_ping >/dev/null 2>&1; }

# ------------------------------------------------------------------ network
net_up() {
  [ -e "/run/netns/$SW_NS" ] || { ip netns add "$SW_NS"; ip -n "$SW_NS" link set lo up; }
  ip -n "$SW_NS" link show "$SW_BR" >/dev/null 2>&1 || {
    ip -n "$SW_NS" link add "$SW_BR" mtu "$MTU" type bridge
    ip -n "$SW_NS" link set "$SW_BR" up
  }
  ip link show "$HOST_VETH" >/dev/null 2>&1 || {
    ip -n "$SW_NS" link del uplink 2>/dev/null || true
    ip link add "$HOST_VETH" mtu "$MTU" type veth peer name uplink netns "$SW_NS"
    ip -n "$SW_NS" link set uplink master "$SW_BR" up
    ip addr add "$HOST_IP/$CIDR" dev "$HOST_VETH"
    ip link set "$HOST_VETH" up
  }
  local n ns
  for n in "${NODES[@]}"; do
    ns=$(ns_of "$n")
    [ -e "/run/netns/$ns" ] || ip netns add "$ns"
    ip -n "$SW_NS" link show "p-$n" >/dev/null 2>&1 || {
      ip -n "$ns" link del eth0 2>/dev/null || true
      ip -n "$SW_NS" link add "p-$n" mtu "$MTU" type veth peer name eth0 netns "$ns"
      ip -n "$SW_NS" link set "p-$n" master "$SW_BR" up
      ip -n "$ns" addr add "${NODE_IP[$n]}/$CIDR" dev eth0
      ip -n "$ns" link set eth0 up
      ip -n "$ns" link set lo up
    }
    # berth serves a cluster's Services from this host (10.96.0.0/16, desired/cluster-ips.ts): each node routes them here.
    ip -n "$ns" route replace "$SERVICE_RANGE" via "$HOST_IP"
  done
}

net_down() {
  local n ns
  for n in "${NODES[@]}"; do
    ns=$(ns_of "$n")
    if [ -e "/run/netns/$ns" ]; then ip netns del "$ns"; fi
  done
  ip link del "$HOST_VETH" 2>/dev/null || true
  if [ -e "/run/netns/$SW_NS" ]; then ip netns del "$SW_NS"; fi
}

# ------------------------------------------------------------------ TLS
# One CA for the rig; one server certificate for every node (its IPs and names); one client
# certificate, in $TLS/client as the Docker CLI's DOCKER_CERT_PATH holds it (ca.pem, cert.pem,
# key.pem): what berth's --docker-tls-dir is given. EC keys: made in milliseconds. Kept across
# `down` (remade when less than a day is left).
tls_up() {
  [ -s "$TLS/client/key.pem" ] && openssl x509 -checkend 86400 -noout -in "$TLS/client/cert.pem" >/dev/null 2>&1 &&
    openssl x509 -checkend 86400 -noout -in "$TLS/server-cert.pem" >/dev/null 2>&1 && return 0
  rm -rf "$TLS"; mkdir -p "$TLS/client"
  local san="subjectAltName=IP:127.0.0.1" n
  for n in "${NODES[@]}"; do san+=",IP:${NODE_IP[$n]},DNS:$n"; done
  (
    cd "$TLS"
    key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
    key ca-key.pem
    openssl req -new -x509 -key ca-key.pem -subj /CN=berth-swarm-rig-ca -days 7 -out ca.pem 2>/dev/null
    key server-key.pem
    openssl req -new -key server-key.pem -subj /CN=berth-swarm-rig-node -out server.csr 2>/dev/null
    printf '%s\nextendedKeyUsage=serverAuth\n' "$san" > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 7 -extfile server.ext -out server-cert.pem 2>/dev/null
    key client/key.pem
    openssl req -new -key client/key.pem -subj /CN=berth -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' > client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 7 -extfile client.ext -out client/cert.pem 2>/dev/null
    cp ca.pem client/ca.pem
    chmod 600 ca-key.pem server-key.pem client/key.pem
  ) || die "could not make the rig's TLS certificates (openssl)"
}

# ------------------------------------------------------------------ nodes
start_node() {   # starts the node's dockerd, does not wait
  local n=$1 dir=$BASE/$1
  node_pid "$n" >/dev/null && return 0
  tls_up
  mkdir -p "$LOGS"
  # A new node (no state yet) starts a new log; the previous one is kept as .1.
  if [ ! -d "$dir/data" ] && [ -e "$(log_of "$n")" ]; then mv -f "$(log_of "$n")" "$(log_of "$n").1"; fi
  mkdir -p "$dir"
  rm -f "$dir/docker.pid" "$dir/launch.pid"
  printf '{"deprecated-key-path": "%s"}\n' "$dir/key.json" > "$dir/daemon.json"
  printf '\n===== %s swarm-rig: starting dockerd for %s\n' "$(date -Is)" "$n" >> "$(log_of "$n")"
  # nsenter --net keeps the root mount namespace; unshare --uts gives the node its hostname.
  # setsid, nsenter (for a net namespace) and unshare (for uts) exec without forking, so $! is
  # dockerd's own pid. 9>&- : the lock must not be inherited by the daemon.
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 \
  setsid nsenter --net="/run/netns/$(ns_of "$n")" -- \
    unshare --uts -- /bin/sh -c 'hostname "$0" && exec "$@"' "$n" \
    "$DOCKERD" --config-file "$dir/daemon.json" \
      --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/docker.pid" \
      -H "$(sock_of "$n")" -H "tcp://${NODE_IP[$n]}:$TCP_PORT" \
      --tlsverify --tlscacert "$TLS/ca.pem" --tlscert "$TLS/server-cert.pem" --tlskey "$TLS/server-key.pem" \
      --cgroup-parent "$(cg_of "$n")" \
      --containerd-namespace "$PREFIX-$n" --containerd-plugins-namespace "$PREFIX-$n-plugins" \
      --iptables=true --ip-masq=true --userland-proxy=true --mtu "$MTU" \
      --storage-driver overlay2 \
      </dev/null >>"$(log_of "$n")" 2>&1 9>&- &
  echo $! > "$dir/launch.pid"
}

sshd_bin() {   # Debian's sshd: the installed one, else its package (and libwrap0's) unpacked into $SSHD_CACHE
  if [ -x /usr/sbin/sshd ]; then echo /usr/sbin/sshd; return; fi
  if [ ! -x "$SSHD_CACHE/usr/sbin/sshd" ]; then
    local dl="$SSHD_CACHE.dl" deb
    rm -rf "$dl" && mkdir -p "$dl" "$SSHD_CACHE"
    ( cd "$dl" && { apt-get download openssh-server libwrap0 >/dev/null 2>&1 ||
        { DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && apt-get download openssh-server libwrap0 >/dev/null 2>&1; }; } ) ||
      die "could not download openssh-server from apt"
    for deb in "$dl"/*.deb; do dpkg -x "$deb" "$SSHD_CACHE"; done
    rm -rf "$dl"
  fi
  echo "$SSHD_CACHE/usr/sbin/sshd"
}

ssh_up() {   # an sshd at <node ip>:22 in the node's netns; its key's only command: `docker system dial-stdio` to that node's engine
  local n=$1 dir=$SSH/$1 bin i known
  if [ -f "$dir/sshd.pid" ] && kill -0 "$(cat "$dir/sshd.pid")" 2>/dev/null; then return 0; fi
  bin=$(sshd_bin)
  mkdir -p "$dir" "$SSH/home/.ssh" /run/sshd "$LOGS"
  # sshd's privilege separation user, as the package's postinst makes it.
  id sshd >/dev/null 2>&1 || useradd --system --home-dir /run/sshd --shell /usr/sbin/nologin sshd
  [ -f "$SSH/home/.ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C berth-swarm-rig -f "$SSH/home/.ssh/id_ed25519"
  [ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "$n" -f "$dir/host_ed25519"
  # Every node shares this host's files, so the key's command names the node's own socket.
  printf 'command="exec env DOCKER_HOST=%s %s system dial-stdio",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding %s\n' \
    "$(sock_of "$n")" "$(command -v "$DOCKER")" "$(cat "$SSH/home/.ssh/id_ed25519.pub")" > "$dir/authorized_keys"
  printf '%s\n' "ListenAddress ${NODE_IP[$n]}:22" "HostKey $dir/host_ed25519" "AuthorizedKeysFile $dir/authorized_keys" \
    "PidFile $dir/sshd.pid" "PermitRootLogin prohibit-password" "PasswordAuthentication no" "KbdInteractiveAuthentication no" \
    "UsePAM no" "StrictModes no" "AllowTcpForwarding no" "X11Forwarding no" "PrintMotd no" > "$dir/sshd_config"
  known="${NODE_IP[$n]} $(cut -d' ' -f1,2 "$dir/host_ed25519.pub")"
  grep -qxF "$known" "$SSH/home/.ssh/known_hosts" 2>/dev/null || echo "$known" >> "$SSH/home/.ssh/known_hosts"
  rm -f "$dir/sshd.pid"
  # sshd daemonizes (its pid file says where it went); 9>&- : the lock is not inherited.
  LD_LIBRARY_PATH="$SSHD_CACHE/lib/x86_64-linux-gnu:$SSHD_CACHE/usr/lib/x86_64-linux-gnu" \
    setsid nsenter --net="/run/netns/$(ns_of "$n")" -- "$bin" -f "$dir/sshd_config" -E "$LOGS/$n-sshd.log" </dev/null 9>&- ||
    die "sshd for $n did not start (see $LOGS/$n-sshd.log)"
  for i in $(seq 1 50); do [ -s "$dir/sshd.pid" ] && return 0; sleep 0.1; done
  die "sshd for $n wrote no pid file (see $LOGS/$n-sshd.log)"
}

ssh_down() {
  local pidf
  for pidf in "$SSH"/*/sshd.pid; do if [ -f "$pidf" ]; then kill "$(cat "$pidf")" 2>/dev/null || true; fi; done
  rm -rf "${SSH:?}"
}

wait_node() {   # waits until the node's engine answers
  local n=$1 t0 pid; t0=$(now_us)
  until ping_node "$n"; do
    pid=$(<"$BASE/$n/launch.pid")
    if [ ! -d "/proc/$pid" ] || (( $(now_us) - t0 > START_TIMEOUT * 1000000 )); then
      log "$n: dockerd did not come up; the end of $(log_of "$n") since this start:"
      awk '/^===== .* swarm-rig: starting dockerd/ { n = 0 } { line[n++] = $0 } END { for (i = (n > 25 ? n - 25 : 0); i < n; i++) print line[i] }' \
        "$(log_of "$n")" >&2
      return 1
    fi
    sleep 0.1
  done
}

shim_socket() {   # containerd 1.6 shim v2 socket: /run/containerd/s/sha256(<address>/<ns>/<id>)
  local a ns="" id="" addr="" i
  mapfile -d '' -t a < "/proc/$1/cmdline" 2>/dev/null || return 0
  for (( i=0; i<${#a[@]}-1; i++ )); do
    case ${a[$i]} in -namespace) ns=${a[$i+1]};; -id) id=${a[$i+1]};; -address) addr=${a[$i+1]};; esac
  done
  if [ -n "$ns" ] && [ -n "$id" ] && [ -n "$addr" ]; then
    echo "/run/containerd/s/$(printf '%s' "$addr/$ns/$id" | sha256sum | cut -d' ' -f1)"
  fi
}

node_leftovers() {   # pids of everything the node started: by cmdline, netns and cgroup
  # (each source on its own: none may stop the others, e.g. grep failing when nothing matches)
  local n=$1 dir=$BASE/$1 c
  # The pattern comes from a file, so that grep does not find its own cmdline. Only the node's
  # own daemons (dockerd, containerd, its shims, docker-proxy, runc): a client whose arguments name
  # the node's socket (berth --docker-socket …/node1/docker.sock) is no part of the node.
  local p
  { grep -laF -f <(printf '%s\n' "$dir/") /proc/[0-9]*/cmdline 2>/dev/null || true; } | cut -d/ -f3 |
    while read -r p; do
      case $(cat "/proc/$p/comm" 2>/dev/null) in dockerd | containerd | containerd-shim* | docker-proxy | runc | docker-init) echo "$p" ;; esac
    done
  # docker-proxy and anything else in the node's netns (its cmdline does not name $dir)
  if [ -e "/run/netns/$(ns_of "$n")" ]; then ip netns pids "$(ns_of "$n")" 2>/dev/null || true; fi
  # the containers (also after their shims are gone)
  for c in /sys/fs/cgroup/*/"$(cg_of "$n")"; do
    if [ -d "$c" ]; then find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null || true; fi
  done
}

kill_node() {   # kill -9 everything of the node, then unmount, remove its cgroups and runtime state
  local n=$1 dir=$BASE/$1 pid p i pids=() socks=()
  if pid=$(node_pid "$n"); then kill -KILL "$pid" 2>/dev/null || true; fi
  for i in $(seq 50); do
    mapfile -t pids < <(node_leftovers "$n" | sort -un)
    (( ${#pids[@]} )) || break
    for p in "${pids[@]}"; do
      [[ $( { tr '\0' ' ' < "/proc/$p/cmdline"; } 2>/dev/null) == *containerd-shim* ]] && socks+=("$(shim_socket "$p")")
      kill -KILL "$p" 2>/dev/null || true
    done
    sleep 0.1
  done
  (( ${#pids[@]} )) && die "$n: processes survived kill -9: ${pids[*]}"
  (( ${#socks[@]} )) && rm -f "${socks[@]}"   # SIGKILLed shims leave their socket files behind
  unmount_under "$dir/"
  local c
  for c in /sys/fs/cgroup/*/"$(cg_of "$n")"; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  # What a rebooted machine loses: the runtime state (on a real node a tmpfs under /run).
  rm -rf "$dir/exec" "$dir/docker.pid" "$dir/launch.pid"
}

unmount_under() {   # lazy-unmounts every mount below $1 (deepest first)
  local m
  awk -v d="$1" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

wait_ready() {   # waits until the manager sees every given node id Ready
  local t0 out id missing; t0=$(now_us)
  for (( ;; )); do
    out=$(d "$MANAGER" node ls --format '{{.ID}} {{.Status}}' 2>/dev/null || true)
    missing=()
    for id in "$@"; do [[ $out == *"$id Ready"* ]] || missing+=("$id"); done
    (( ${#missing[@]} )) || return 0
    if [ -n "${STARTING:-}" ] && ! node_pid "$STARTING" >/dev/null; then log "$STARTING: dockerd exited before it was Ready"; return 1; fi
    if (( $(now_us) - t0 > START_TIMEOUT * 1000000 )); then
      log "nodes not Ready after ${START_TIMEOUT}s: ${missing[*]}"; d "$MANAGER" node ls >&2 || true; return 1
    fi
    sleep 0.2
  done
}

wait_active() {   # waits until the node itself says it is back in its swarm
  local n=$1 t0 st; t0=$(now_us)
  until st=$(d "$n" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null) && [ "$st" = active ]; do
    node_pid "$n" >/dev/null || { log "$n: dockerd exited before its swarm was active"; return 1; }
    if (( $(now_us) - t0 > START_TIMEOUT * 1000000 )); then
      log "$n: swarm state '$st' after ${START_TIMEOUT}s (not active)"; return 1
    fi
    sleep 0.2
  done
}

wait_all() {   # waits for every pid given; fails if any failed
  local p rc=0
  for p in "$@"; do wait "$p" || rc=1; done
  return $rc
}

# ------------------------------------------------------------------ swarm
declare -A NODE_ID=()

swarm_up() {
  local m=$MANAGER n tok st id known pids=()
  read -r st id < <(d "$m" info --format '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}')
  case $st in
    active) ;;
    pending) wait_active "$m" ;;   # just restarted
    *)
      if [ "$st" != inactive ]; then log "$m: swarm state '$st', leaving"; d "$m" swarm leave --force >/dev/null; fi
      d "$m" swarm init --advertise-addr "${NODE_IP[$m]}" --listen-addr "${NODE_IP[$m]}:2377" >/dev/null
      id=$(d "$m" info --format '{{.Swarm.NodeID}}') ;;
  esac
  NODE_ID[$m]=$id
  [ "$(d "$m" info --format '{{.Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}}')" = "$HEARTBEAT" ] ||
    d "$m" swarm update --dispatcher-heartbeat "$HEARTBEAT" >/dev/null
  known=$(d "$m" node ls --format '{{.ID}} {{.Hostname}} {{.Status}}')
  tok=$(d "$m" swarm join-token -q worker)
  for n in "${NODES[@]:1}"; do
    read -r st id < <(d "$n" info --format '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}')
    if [ "$st" != inactive ] && [[ $known != *"$id $n "* ]]; then   # in another (older) swarm
      log "$n: swarm state '$st' as ${id:-?}, unknown to the manager: leaving"
      d "$n" swarm leave --force >/dev/null; st=inactive
    fi
    case $st in
      active) NODE_ID[$n]=$id ;;
      pending) wait_active "$n"; NODE_ID[$n]=$id ;;   # just restarted
      *)
        if [ "$st" != inactive ]; then log "$n: swarm state '$st', leaving"; d "$n" swarm leave --force >/dev/null; fi
        d "$n" swarm join --token "$tok" --advertise-addr "${NODE_IP[$n]}" \
          --listen-addr "${NODE_IP[$n]}:2377" "${NODE_IP[$m]}:2377" >/dev/null &
        pids+=($!) ;;
    esac
  done
  wait_all "${pids[@]}"
  for n in "${NODES[@]:1}"; do
    [ -n "${NODE_ID[$n]:-}" ] || NODE_ID[$n]=$(d "$n" info --format '{{.Swarm.NodeID}}')
  done
  # Entries left by an earlier incarnation of one of our nodes (its data was wiped, or it
  # left): a second "node2" would make `docker node update node2` ambiguous.
  while read -r id n st; do
    [[ " ${NODES[*]} " == *" $n "* ]] || continue
    [ "${NODE_ID[$n]}" = "$id" ] && continue
    log "removing stale node entry $id ($n, $st)"; d "$m" node rm --force "$id" >/dev/null
  done <<<"$known"
  wait_ready "${NODE_ID[@]}"
}

labels_up() {   # every node: Active, labelled with its own engine's socket
  local n id want line args
  for n in "${NODES[@]}"; do
    id=${NODE_ID[$n]}
    want="$(sock_of "$n")"
    line=$(d "$MANAGER" node inspect "$id" --format "{{.Spec.Availability}} {{index .Spec.Labels \"$ENGINE_LABEL\"}}")
    args=()
    [ "$line" = "active $want" ] && continue
    [ "${line%% *}" = active ] || args+=(--availability active)
    [ "${line#* }" = "$want" ] || args+=(--label-add "$ENGINE_LABEL=$want")
    d "$MANAGER" node update "${args[@]}" "$id" >/dev/null
  done
}

images_up() {   # copies the test images from the main engine to every node that lacks one
  local n pids=() checked=
  for n in "${NODES[@]}"; do
    d "$n" image inspect "${IMAGES[@]}" >/dev/null 2>&1 && continue
    [ -n "$checked" ] || main image inspect "${IMAGES[@]}" >/dev/null 2>&1 ||
      die "the main engine lacks one of ${IMAGES[*]}: run scripts/setup-docker.sh"
    checked=1
    { main save "${IMAGES[@]}" | d "$n" load -q >/dev/null; } &
    pids+=($!)
  done
  wait_all "${pids[@]}"
}

# ------------------------------------------------------------------ commands
up() {
  local t0 n t1; t0=$(now_us)
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces, dockerd)"
  [[ $BASE == /* ]] || die "BERTH_SWARM_BASE must be an absolute path"
  curl -fsS -m 5 --unix-socket "$MAIN_SOCK" http://localhost/_ping >/dev/null 2>&1 ||
    die "the main engine ($MAIN_SOCK) is not running: run scripts/setup-docker.sh"
  net_up
  t1=$(now_us)
  for n in "${NODES[@]}"; do start_node "$n"; done
  for n in "${NODES[@]}"; do wait_node "$n"; done
  local engines; engines=$(since "$t1")
  swarm_up
  labels_up
  images_up
  log "up: ${#NODES[@]} nodes Ready (manager $MANAGER ${NODE_IP[$MANAGER]}), engines in $engines, all in $(since "$t0"); logs in $LOGS"
}

down() {
  local t0 n; t0=$(now_us)
  [ "$(id -u)" = 0 ] || die "needs root"
  # No graceful `swarm leave` or container stops: the whole cluster goes, so kill -9 is enough
  # and quick; kill_node removes what a kill leaves behind.
  for n in "${NODES[@]}"; do
    local pid; if pid=$(node_pid "$n"); then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  ssh_down
  for n in "${NODES[@]}"; do
    kill_node "$n"
    rm -rf "${BASE:?}/$n"
  done
  unmount_under "$BASE/"
  net_down
  log "down in $(since "$t0") (logs kept in $LOGS)"
}

rss_mib() { awk '/^VmRSS/ {printf "%d", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }

status() {
  local n pid c
  for n in "${NODES[@]}"; do
    if pid=$(node_pid "$n"); then
      c=$(pgrep -P "$pid" -x containerd | head -1 || true)
      printf '%s ip=%s sock=%s dockerd pid=%s rss=%sMiB containerd pid=%s rss=%sMiB\n' "$n" "${NODE_IP[$n]}" \
        "$(sock_of "$n")" "$pid" "$(rss_mib "$pid")" "${c:-?}" "$(rss_mib "${c:-0}")"
    else
      printf '%s ip=%s dockerd not running\n' "$n" "${NODE_IP[$n]}"
    fi
  done
  d "$MANAGER" node ls 2>/dev/null || true
}

with_lock() {   # serializes up/down/kill/start (test files may run in parallel)
  mkdir -p "$BASE"
  exec 9>"$BASE/.lock"
  flock -w 300 9 || die "could not lock $BASE/.lock"
  "$@"
}

cmd=${1:-}; shift || true
case "$cmd" in
  up)     with_lock up ;;
  down)   with_lock down ;;
  status) status ;;
  sock)   is_node "${1:-}"; sock_of "$1" ;;
  ip)     is_node "${1:-}"; echo "${NODE_IP[$1]}" ;;
  tcp)    is_node "${1:-}"; echo "tcp://${NODE_IP[$1]}:$TCP_PORT" ;;
  tls)    echo "$TLS/client" ;;
  ssh)    is_node "${1:-}"; with_lock ssh_up "$1"; echo "ssh://root@${NODE_IP[$1]}" ;;
  ssh-home) echo "$SSH/home" ;;
  kill)   is_node "${1:-}"; with_lock kill_node "$1"; log "$1 killed" ;;
  start)
    is_node "${1:-}"
    # A dockerd that exits while it starts is started again, as systemd's docker.service
    # (Restart=always) does. Docker 20.10's manager can panic as it becomes leader again:
    # swarmkit's SetServiceTasksRemove reads a task the task reaper has just deleted (a nil
    # pointer; a CI run met it restarting node1). What the dead one left is killed first, as a
    # reboot would. A node that stays up but not Ready fails.
    start_one() {
      local t0 try; t0=$(now_us)
      [ -d "$BASE/$1/data" ] || die "$1 has no state to start from (use up)"
      net_up
      for try in 1 2 3; do
        start_node "$1"
        if wait_node "$1" && wait_active "$1" && STARTING=$1 wait_ready "$(d "$1" info --format '{{.Swarm.NodeID}}')"; then
          log "$1 started and Ready in $(since "$t0")"; return 0
        fi
        node_pid "$1" >/dev/null && return 1
        log "$1: dockerd exited while starting (try $try): $(awk '/^===== .* swarm-rig: starting dockerd/ { p = "" } /^panic:/ && p == "" { p = $0 } END { print (p == "" ? "no panic in its log" : p) }' "$(log_of "$1")")"
        # What it left (its containerd holds the node's state: a new dockerd timed out waiting for its own).
        kill_node "$1"
      done
      return 1
    }
    with_lock start_one "$1" ;;
  freeze) is_node "${1:-}"; pid=$(node_pid "$1") || die "$1 is not running"; kill -STOP "$pid"; log "$1 frozen (dockerd $pid)" ;;
  thaw)
    is_node "${1:-}"; pid=$(node_pid "$1") || die "$1 is not running"; kill -CONT "$pid"
    t0=$(now_us); wait_node "$1" && STARTING=$1 wait_ready "$(d "$1" info --format '{{.Swarm.NodeID}}')" || die "$1 not Ready after thaw"
    log "$1 thawed and Ready in $(since "$t0")" ;;
  d)      is_node "${1:-}"; d "$@" ;;
  *) echo "usage: $0 up | down | status | sock <node> | ip <node> | tcp <node> | tls | ssh <node> | ssh-home | kill <node> | start <node> | freeze <node> | thaw <node> | d <node> <docker args...>" >&2; exit 2 ;;
esac
