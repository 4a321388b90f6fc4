import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../core/index.js';
import { PROJECT_ROOT } from '../files/index.js';
import type { Adapters } from './adapters.js';

/** What `berth version` reports: berth's own version, the Node running it, and the engine's when it answers. */
export interface VersionReport {
  readonly berth: string;
  readonly node: string;
  readonly docker: { readonly version: string; readonly apiVersion: string } | { readonly error: string };
}

/** How long the engine gets to answer before the report says it did not (the command never fails for it). */
const ENGINE_WAIT_MS = 3000;

export async function versionReport(adapters: Adapters, dockerSocket?: string, dockerTlsDir?: string): Promise<VersionReport> {
  const berth = await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8').then(
    (text) => String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown'),
    () => 'unknown',
  );
  const logger = adapters.logger('error');
  const driver = await adapters.openDriver(
    {
      repo: '',
      path: '',
      stateDir: '',
      instance: 'berth',
      driver: 'docker',
      logLevel: 'error',
      ...(dockerSocket ? { dockerSocket } : {}),
      ...(dockerTlsDir ? { dockerTlsDir } : {}),
    },
    logger,
  );
  let timer: NodeJS.Timeout | undefined;
  const docker = await Promise.race([
    driver.engineVersion ? driver.engineVersion() : Promise.reject(new Error('this runtime driver does not report a version')),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ENGINE_WAIT_MS / 1000}s`)), ENGINE_WAIT_MS);
    }),
  ]).then(
    (v) => v,
    (err: unknown) => ({ error: describeError(err) }),
  );
  clearTimeout(timer);
  return { berth, node: process.versions.node, docker };
}

export function renderVersion(report: VersionReport): string {
  const engine = 'error' in report.docker ? `unreachable (${report.docker.error})` : `${report.docker.version} (API ${report.docker.apiVersion})`;
  return `berth ${report.berth}\nnode ${report.node}\ndocker engine ${engine}\n`;
}
