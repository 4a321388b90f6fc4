/**
 * health: the Kubernetes probes (startup, readiness, liveness) berth runs from outside each
 * replica. `assess.ts` is pure — the kubelet's state machine for one container: thresholds,
 * initial delays, the fixed period grid, "no startup probe = started, no readiness probe =
 * ready when started, no liveness probe = live" — with time passed in. `probe.ts` runs one
 * httpGet/tcpSocket/exec probe against the replica's published port on the host (or inside
 * the container, through the RuntimeDriver's exec), never rejecting and always within its
 * timeout. `prober.ts` owns the timers for many containers and reports changes.
 *
 * Invariants: a container's probe state lives only as long as its id is listed by `sync`
 * (a replacement replica is a new id and starts fresh); a restart demand is final for that
 * container (it is not ready, and probed no more); probes of one kind never overlap on a
 * container. Probes are carried on the container as the `berth.probes` label
 * (`parseProbes`), so a restarted berth probes what it finds running.
 */
export * from './assess.js';
export * from './probe.js';
export * from './prober.js';
export * from './probes-label.js';
export * from './startup-wait.js';
