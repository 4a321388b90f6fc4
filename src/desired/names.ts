/**
 * Deterministic engine names (DESIGN §2). The default instance uses the bare names; another
 * instance (tests, a second berth on the same engine) prefixes its own name so two never
 * collide: `<namespace>.<name>.<revision>.<n>`, `berth.<namespace>`, `<namespace>.<claim>`.
 */
export const DEFAULT_INSTANCE = 'default';

function prefix(instance: string): string {
  return instance === DEFAULT_INSTANCE ? '' : `${instance}.`;
}

export function containerName(instance: string, namespace: string, name: string, revision: string, replica: number): string {
  return `${prefix(instance)}${namespace}.${name}.${revision}.${replica}`;
}

/** The Docker volume of a replica's emptyDir shared with its init containers: `<replica container name>.<volume>`. */
export function emptyDirVolumeName(instance: string, namespace: string, name: string, revision: string, replica: number, volume: string): string {
  return `${containerName(instance, namespace, name, revision, replica)}.${volume}`;
}

export function networkName(instance: string, namespace: string): string {
  return `berth.${prefix(instance)}${namespace}`;
}

/**
 * The Docker volume of a PersistentVolumeClaim: `<namespace>.<claim>` (DESIGN §2), prefixed with
 * the instance like every other name, so two berth installations on one engine never share data.
 */
export function volumeName(instance: string, namespace: string, claim: string): string {
  return `${prefix(instance)}${namespace}.${claim}`;
}

/** A StatefulSet replica's name (its hostname, and its DNS name under the headless Service): `<name>-<ordinal>`. */
export function ordinalName(statefulSet: string, ordinal: number): string {
  return `${statefulSet}-${ordinal}`;
}

/** The claim a StatefulSet's claim template gives an ordinal, as Kubernetes names it: `<template>-<statefulset>-<ordinal>`. */
export function ordinalClaim(template: string, statefulSet: string, ordinal: number): string {
  return `${template}-${ordinalName(statefulSet, ordinal)}`;
}
