/**
 * A small, independent CSC API v2 provider for client and gateway tests: node:http on port 0,
 * real keys from the test PKI signing real digests (keys/software signDigest), SADs bound to
 * credential, hashes and count (CSC v2 §8.2, §11.6, §11.10), errors in the specified form. It is
 * deliberately not Signet's server, so the client is shown to work against another provider.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { KeyObject } from 'node:crypto';
import { signDigest } from '../../../../src/keys/software/sign-digest.js';
import type { SignRequest } from '../../../../src/keys/index.js';
import { digestByOid, oids, type DigestAlgorithm, type SignatureScheme } from '../../../../src/cms/index.js';

export interface MiniCredential {
  readonly id: string;
  /** The key, or a key backend's sign (e.g. a SoftwareKeystore key) via `signWith`. */
  readonly privateKey?: KeyObject;
  readonly signWith?: (request: SignRequest) => Promise<Uint8Array>;
  /** DER, leaf first. */
  readonly chain: readonly Uint8Array[];
  /** What credentials/info lists in key.algo. */
  readonly algos: readonly string[];
  readonly multisign: number;
  readonly pin: string;
  /** Return ECDSA values as raw r||s (as some providers do). */
  readonly rawEcdsa?: boolean;
  /** Return a signature over other bytes (a broken or hostile provider). */
  readonly corrupt?: boolean;
}

export interface MiniRsspOptions {
  readonly username: string;
  readonly password: string;
  readonly credentials: readonly MiniCredential[];
  /** The OTP(s) the next authorize may carry (a list: e.g. the current time step and the one before it). */
  readonly otp: () => string | readonly string[];
  /** Refuse signHash calls with more hashes than this (a provider limit). */
  readonly maxHashesPerCall?: number;
  /** Delay every reply by this many ms (timeout tests). */
  readonly delayMs?: number;
}

interface Sad {
  readonly credentialId: string;
  readonly hashes: Set<string>;
  remaining: number;
}

export interface MiniRssp {
  readonly url: string;
  readonly calls: Record<string, number>;
  /** Largest number of hashes seen in one signHash call. */
  readonly maxHashesSeen: () => number;
  close(): Promise<void>;
}

class CscReply extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

function schemeOf(signAlgo: string, hashAlgorithmOID: string | undefined): { scheme: SignatureScheme; digest: DigestAlgorithm } {
  const implied: Record<string, { scheme: SignatureScheme; digest: DigestAlgorithm }> = {
    [oids.sha256WithRSAEncryption]: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' },
    [oids.sha384WithRSAEncryption]: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-384' },
    [oids.sha512WithRSAEncryption]: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-512' },
    [oids.ecdsa_with_SHA256]: { scheme: 'ECDSA', digest: 'SHA-256' },
    [oids.ecdsa_with_SHA384]: { scheme: 'ECDSA', digest: 'SHA-384' },
    [oids.ecdsa_with_SHA512]: { scheme: 'ECDSA', digest: 'SHA-512' },
  };
  const hit = implied[signAlgo];
  if (hit) return hit;
  const digest = hashAlgorithmOID === undefined ? undefined : digestByOid(hashAlgorithmOID)?.name;
  if (digest === undefined) throw new CscReply(400, 'invalid_request', 'Missing (or invalid type) string parameter hashAlgorithmOID');
  if (signAlgo === oids.rsaEncryption) return { scheme: 'RSASSA-PKCS1-v1_5', digest };
  if (signAlgo === oids.id_RSASSA_PSS) return { scheme: 'RSASSA-PSS', digest };
  throw new CscReply(400, 'invalid_request', 'Invalid parameter signAlgo');
}

function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array {
  // SEQUENCE { INTEGER r, INTEGER s } with short lengths (P-256/P-384).
  let p = 2;
  const out = new Uint8Array(size * 2);
  for (let i = 0; i < 2; i++) {
    const len = der[p + 1] as number;
    let v = der.subarray(p + 2, p + 2 + len);
    while (v.length > size && v[0] === 0) v = v.subarray(1);
    out.set(v, i * size + size - v.length);
    p += 2 + len;
  }
  return out;
}

/** Starts the provider on 127.0.0.1, port 0. */
export async function startMiniRssp(options: MiniRsspOptions): Promise<MiniRssp> {
  const tokens = new Set<string>();
  const sads = new Map<string, Sad>();
  const calls: Record<string, number> = {};
  let maxSeen = 0;
  const credentials = new Map(options.credentials.map((c) => [c.id, c]));

  const bearer = (req: IncomingMessage): void => {
    const h = req.headers.authorization ?? '';
    if (!h.startsWith('Bearer ') || !tokens.has(h.slice(7))) throw new CscReply(401, 'invalid_token', 'Invalid access token');
  };
  const credential = (body: Record<string, unknown>): MiniCredential => {
    const c = typeof body['credentialID'] === 'string' ? credentials.get(body['credentialID']) : undefined;
    if (!c) throw new CscReply(400, 'invalid_request', 'Invalid parameter credentialID');
    return c;
  };

  const handlers: Record<string, (req: IncomingMessage, body: Record<string, unknown>) => unknown> = {
    info: () => ({
      specs: '2.0.0.2',
      name: 'mini-rssp',
      logo: 'https://example.invalid/logo.png',
      region: 'EU',
      lang: 'en-US',
      description: 'test provider',
      authType: ['basic'],
      methods: ['auth/login', 'credentials/list', 'credentials/info', 'credentials/authorize', 'signatures/signHash'],
    }),
    'auth/login': (req) => {
      const h = req.headers.authorization ?? '';
      const [user, pass] = Buffer.from(h.replace(/^Basic /, ''), 'base64').toString('utf8').split(':');
      if (!h.startsWith('Basic ') || user !== options.username || pass !== options.password) {
        throw new CscReply(400, 'authentication_error', 'The user or password is not valid');
      }
      const token = randomBytes(16).toString('hex');
      tokens.add(token);
      return { access_token: token, expires_in: 3600 };
    },
    'auth/revoke': (req, body) => {
      bearer(req);
      tokens.delete(String(body['token']));
      return undefined;
    },
    'credentials/list': (req) => {
      bearer(req);
      return { credentialIDs: [...credentials.keys()] };
    },
    'credentials/info': (req, body) => {
      bearer(req);
      const c = credential(body);
      const chain = body['certificates'] === 'chain' ? c.chain : c.chain.slice(0, 1);
      return {
        key: { status: 'enabled', algo: c.algos, len: c.privateKey?.asymmetricKeyDetails?.modulusLength ?? 256 },
        cert: { status: 'valid', certificates: chain.map((d) => Buffer.from(d).toString('base64')) },
        auth: {
          mode: 'explicit',
          expression: 'PIN AND OTP',
          objects: [
            { type: 'Password', id: 'PIN', format: 'N', label: 'PIN' },
            { type: 'Password', id: 'OTP', format: 'N', generator: 'totp', label: 'Mobile OTP' },
          ],
        },
        SCAL: '2',
        multisign: c.multisign,
        lang: 'en-US',
      };
    },
    'credentials/authorize': (req, body) => {
      bearer(req);
      const c = credential(body);
      const n = body['numSignatures'];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new CscReply(400, 'invalid_request', 'Missing (or invalid type) integer parameter numSignatures');
      if (n > c.multisign) throw new CscReply(400, 'invalid_request', 'Numbers of signatures is too high');
      const hashes = body['hashes'];
      if (!Array.isArray(hashes) || hashes.length === 0) throw new CscReply(400, 'invalid_request', 'Missing (or invalid type) array parameter hashes');
      if (typeof body['hashAlgorithmOID'] !== 'string') throw new CscReply(400, 'invalid_request', 'Missing (or invalid type) string parameter hashAlgorithmOID');
      const authData = (Array.isArray(body['authData']) ? body['authData'] : []) as { id: string; value?: string }[];
      const pin = authData.find((a) => a.id === 'PIN')?.value;
      const otp = authData.find((a) => a.id === 'OTP')?.value;
      const accepted = options.otp();
      if (pin !== c.pin || otp === undefined || !(typeof accepted === 'string' ? [accepted] : accepted).includes(otp)) throw new CscReply(400, 'invalid_authentication_data', 'Invalid PIN or OTP');
      const sad = randomBytes(16).toString('base64url');
      sads.set(sad, { credentialId: c.id, hashes: new Set(hashes as string[]), remaining: n });
      return { SAD: sad, expiresIn: 300 };
    },
    'signatures/signHash': (req, body) => {
      bearer(req);
      const c = credential(body);
      const sad = typeof body['SAD'] === 'string' ? sads.get(body['SAD']) : undefined;
      if (!sad || sad.credentialId !== c.id) throw new CscReply(400, 'invalid_request', 'Invalid parameter SAD');
      const hashes = body['hashes'];
      if (!Array.isArray(hashes) || hashes.length === 0) throw new CscReply(400, 'invalid_request', 'Missing (or invalid type) array parameter hashes');
      if (options.maxHashesPerCall !== undefined && hashes.length > options.maxHashesPerCall) throw new CscReply(400, 'invalid_request', 'Too many hashes');
      maxSeen = Math.max(maxSeen, hashes.length);
      for (const h of hashes) if (!sad.hashes.has(h as string)) throw new CscReply(400, 'invalid_request', 'Hash is not authorized by the SAD');
      if (hashes.length > sad.remaining) throw new CscReply(400, 'invalid_request', 'Invalid parameter SAD');
      sad.remaining -= hashes.length;
      const signAlgo = String(body['signAlgo']);
      if (!c.algos.includes(signAlgo) && !(signAlgo.startsWith('1.2.840.10045.4.3') && c.algos.includes(oids.id_ecPublicKey))) {
        throw new CscReply(400, 'invalid_request', 'Invalid parameter signAlgo');
      }
      const { scheme, digest } = schemeOf(signAlgo, typeof body['hashAlgorithmOID'] === 'string' ? body['hashAlgorithmOID'] : undefined);
      return Promise.all(
        (hashes as string[]).map(async (h) => {
          const d = new Uint8Array(Buffer.from(h, 'base64'));
          if (c.corrupt) d[0] = (d[0] as number) ^ 1;
          const request = { scheme, digestAlgorithm: digest, digest: d };
          let sig = c.signWith ? await c.signWith(request) : signDigest(c.privateKey as KeyObject, request);
          if (scheme === 'ECDSA' && c.rawEcdsa) sig = ecdsaDerToRaw(sig, digest === 'SHA-256' ? 32 : 48);
          return Buffer.from(sig).toString('base64');
        }),
      ).then((signatures) => ({ signatures }));
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/csc\/v2\//, '');
      calls[method] = (calls[method] ?? 0) + 1;
      const send = (status: number, body: unknown): void => {
        const reply = (): void => {
          if (body === undefined) {
            res.writeHead(204).end();
            return;
          }
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        if (options.delayMs) setTimeout(reply, options.delayMs);
        else reply();
      };
      const fail = (err: unknown): void => {
        if (err instanceof CscReply) send(err.status, { error: err.error, error_description: err.description });
        else send(500, { error: 'server_error', error_description: 'Internal error' });
      };
      try {
        const handler = handlers[method];
        if (req.method !== 'POST' || !handler) throw new CscReply(404, 'invalid_request', 'Unknown method');
        const text = Buffer.concat(chunks).toString('utf8');
        const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
        Promise.resolve(handler(req, body)).then((out) => send(200, out), fail);
      } catch (err) {
        fail(err);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/csc/v2`,
    calls,
    maxHashesSeen: () => maxSeen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
