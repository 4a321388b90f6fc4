/**
 * pino redact paths for the shapes that could hold resolved secret values: a ContainerSpec's
 * `env` (`[{ name, value }]`) and the engine's create options (`Env: ["NAME=value"]`), at the
 * top of a log object and up to two levels down. Nothing logs those shapes today (the executor
 * and the driver log container names and ids only); these are defence in depth for the
 * composition root's pino `redact` option, should a log line include one later.
 */
export const REDACT_SECRET_PATHS: readonly string[] = ['env[*].value', '*.env[*].value', '*.*.env[*].value', 'Env', '*.Env', '*.*.Env'];
