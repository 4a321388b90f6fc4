import { userInfo } from 'node:os';
import { BerthError, describeError } from '../core/index.js';
import { EXIT } from './exit-codes.js';

/**
 * The commands that ask a running `berth run` (over its HTTP API, `--server`) rather than act
 * themselves: one call, the bearer token from BERTH_API_TOKEN, the answer's JSON (or `{}`).
 */
export interface ApiAnswer<T> {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly body: T & { readonly error?: { readonly code?: string; readonly message?: string } };
}

export async function callApi<T>(o: {
  readonly server: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
}): Promise<ApiAnswer<T>> {
  const url = `${o.server.replace(/\/$/, '')}${o.path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: o.method,
      headers: {
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
        // Writes always carry the token; reads when there is one (plans read the manifests' values: readers only).
        ...(o.method === 'POST' || process.env.BERTH_API_TOKEN ? { authorization: `Bearer ${process.env.BERTH_API_TOKEN ?? ''}` } : {}),
      },
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    });
  } catch (err) {
    throw new BerthError('SOURCE_UNREACHABLE', `cannot reach berth at ${o.server}: is \`berth run\` running? (${describeError(err)})`);
  }
  const body = (await res.json().catch(() => ({}))) as ApiAnswer<T>['body'];
  return { ok: res.ok, status: res.status, statusText: res.statusText, body };
}

/** A refused call: the API's code and message on stderr; exit 4 for a bad request, else 3. */
export function reportRefusal(answer: ApiAnswer<unknown>): void {
  process.stderr.write(`berth: ${answer.body.error?.code ?? answer.status}: ${answer.body.error?.message ?? answer.statusText}\n`);
  process.exitCode = answer.status === 400 ? EXIT.usage : EXIT.failure;
}

/** Who a confirmation is from, as the store records it: the local user name, when there is one. */
export function localUser(): string | undefined {
  try {
    const name = process.env.USER || userInfo().username;
    return /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}
