/**
 * CSC API v1.0.4 bodies ↔ the v2 services (docs/csc.md): the v1 names (`hash`, `hashAlgo`,
 * `PIN`, `OTP`, `authMode`, `PIN{}`/`OTP{}` info objects) are mapped, never re-implemented.
 */
import { digestOid, digestForLength } from './sign-algorithm.js';

type Body = Readonly<Record<string, unknown>>;

function rename(body: Body, from: string, to: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  if (from in out) {
    out[to] = out[from];
    delete out[from];
  }
  return out;
}

/** v1 authorize carries no hash algorithm: it is implied by the hash length (SHA-256/384/512). */
function impliedHashAlgorithm(hashes: unknown): string | undefined {
  if (!Array.isArray(hashes) || typeof hashes[0] !== 'string') return undefined;
  const digest = digestForLength(Buffer.from(hashes[0], 'base64').length);
  return digest === undefined ? undefined : digestOid(digest);
}

/** Maps a v1 request body to the v2 body of the same operation. */
export function v1RequestToV2(operation: string, body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const b = body as Body;
  switch (operation) {
    case 'credentials/list': {
      // v1 paging: Signet returns every credential at once and never a nextPageToken.
      const rest: Record<string, unknown> = { ...b };
      delete rest['maxResults'];
      delete rest['pageToken'];
      return rest;
    }
    case 'credentials/info':
      return { ...b, authInfo: true };
    case 'credentials/authorize': {
      const { PIN, OTP, hash, ...rest } = b;
      const authData = [
        ...(typeof PIN === 'string' ? [{ id: 'PIN', value: PIN }] : []),
        ...(typeof OTP === 'string' ? [{ id: 'OTP', value: OTP }] : []),
      ];
      const alg = impliedHashAlgorithm(hash);
      return {
        ...rest,
        ...(hash === undefined ? {} : { hashes: hash }),
        ...(alg === undefined ? {} : { hashAlgorithmOID: alg }),
        authData,
      };
    }
    case 'credentials/extendTransaction': {
      // v1.0.4 extendTransaction has no hash algorithm either: implied by the hash length.
      const alg = impliedHashAlgorithm(b['hash']);
      const renamed = rename(b, 'hash', 'hashes');
      return alg === undefined || 'hashAlgorithmOID' in renamed ? renamed : { ...renamed, hashAlgorithmOID: alg };
    }
    case 'signatures/signHash':
      return rename(rename(b, 'hash', 'hashes'), 'hashAlgo', 'hashAlgorithmOID');
    default:
      return b;
  }
}

/** Maps a v2 response body to its v1 shape. */
export function v2ResponseToV1(operation: string, body: Record<string, unknown>): Record<string, unknown> {
  if (operation === 'credentials/list') return { credentialIDs: body['credentialIDs'] };
  if (operation !== 'credentials/info') return body;
  const { auth, ...rest } = body as { auth?: { objects?: { id: string }[] } } & Record<string, unknown>;
  const ids = new Set((auth?.objects ?? []).map((o) => o.id));
  return {
    ...rest,
    authMode: 'explicit',
    PIN: ids.has('PIN')
      ? { presence: 'true', format: 'N', label: 'PIN', description: 'The credential PIN' }
      : { presence: 'false' },
    OTP: ids.has('OTP')
      ? {
          presence: 'true',
          type: 'offline',
          format: 'N',
          label: 'OTP',
          description: 'A one-time password from the authenticator app (RFC 6238)',
          ID: 'totp',
          provider: 'Signet',
        }
      : { presence: 'false' },
  };
}
