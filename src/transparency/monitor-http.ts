/**
 * The monitor's view of a Signet service over HTTP(S): the public transparency routes and the
 * user's `GET /api/v1/me/signatures` (every page), with the user's bearer access token (RFC 6750
 * §2.1). The fetch function is injected (global fetch in the CLI; the server in process in tests).
 */
import { TransparencyError } from './errors.js';
import type { MonitorSource, ServedSignature } from './monitor.js';

/** The subset of `fetch` the monitor uses. */
export type MonitorFetch = (url: string, init: { readonly headers: Record<string, string> }) => Promise<{ readonly status: number; text(): Promise<string> }>;

/**
 * A MonitorSource for the service at `serviceUrl` (e.g. `https://sign.example`).
 *
 * @example
 * ```ts
 * const source = httpMonitorSource(fetch, 'https://sign.example', token);
 * ```
 */
export function httpMonitorSource(fetchFn: MonitorFetch, serviceUrl: string, token: string): MonitorSource {
  const base = serviceUrl.replace(/\/+$/, '');
  const get = async (path: string, authorized = false): Promise<Record<string, unknown>> => {
    let status: number;
    let text: string;
    try {
      const response = await fetchFn(`${base}${path}`, {
        headers: { accept: 'application/json', ...(authorized ? { authorization: `Bearer ${token}` } : {}) },
      });
      status = response.status;
      text = await response.text();
    } catch (cause) {
      throw new TransparencyError('ERR_TRANSPARENCY_MONITOR_FETCH', `GET ${path} failed: ${(cause as Error).message}`, { cause });
    }
    if (status !== 200) throw new TransparencyError('ERR_TRANSPARENCY_MONITOR_FETCH', `GET ${path} answered ${status}: ${text.slice(0, 200)}`);
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new TransparencyError('ERR_TRANSPARENCY_MONITOR_FETCH', `GET ${path} answered a body that is not a JSON object`);
  };
  const strings = (value: unknown, path: string): string[] => {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      throw new TransparencyError('ERR_TRANSPARENCY_MONITOR_FETCH', `GET ${path} answered a malformed proof`);
    }
    return value as string[];
  };
  return {
    async logKey() {
      const body = await get('/api/v1/transparency/key');
      if (typeof body['publicKey'] !== 'string') throw new TransparencyError('ERR_TRANSPARENCY_MONITOR_FETCH', 'the log key answer has no publicKey');
      return new Uint8Array(Buffer.from(body['publicKey'], 'base64'));
    },
    treeHead: () => get('/api/v1/transparency/sth'),
    async consistency(first, second) {
      const path = `/api/v1/transparency/proof/consistency?first=${first}&second=${second}`;
      return strings((await get(path))['consistency'], path);
    },
    async signatures() {
      const signatures: ServedSignature[] = [];
      let treeHead: unknown = null;
      let before: unknown = undefined;
      for (let page = 0; page < 100_000; page++) {
        const path = `/api/v1/me/signatures?limit=100${typeof before === 'number' ? `&before=${before}` : ''}`;
        const body = await get(path, true);
        if (page === 0) treeHead = body['treeHead'] ?? null;
        if (!Array.isArray(body['signatures'])) throw new TransparencyError('ERR_TRANSPARENCY_MONITOR_FETCH', `GET ${path} answered no signatures`);
        signatures.push(...(body['signatures'] as ServedSignature[]));
        before = body['nextBefore'];
        if (typeof before !== 'number') break;
      }
      return { treeHead, signatures };
    },
  };
}
