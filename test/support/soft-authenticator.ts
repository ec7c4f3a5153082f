/**
 * A software WebAuthn authenticator for hand-crafted ceremony responses (docs/security.md SCA-10…17):
 * an EC P-256 key per credential from node:crypto, attestation `none` in CBOR, authenticator data
 * and clientDataJSON laid out as W3C WebAuthn L2 §6.1 / §5.8.1 say, so a test can build a correct
 * response and then break exactly one element. Never used outside tests; the browser tests use
 * Chromium's virtual authenticator instead.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

type Cbor = number | string | Uint8Array | readonly Cbor[] | Map<number | string, Cbor> | boolean;

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(n, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

/** RFC 8949 deterministic encoding of the few types WebAuthn needs. */
export function cbor(v: Cbor): Buffer {
  if (typeof v === 'boolean') return Buffer.from([v ? 0xf5 : 0xf4]);
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    return Buffer.concat([head(3, s.length), s]);
  }
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), Buffer.from(v)]);
  if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map((x: Cbor) => cbor(x))]);
  const m = v as Map<number | string, Cbor>;
  return Buffer.concat([head(5, m.size), ...[...m].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

/** One credential held by the soft authenticator. */
export interface SoftCredential {
  readonly id: Buffer;
  readonly privateKey: KeyObject;
  readonly cose: Buffer;
  readonly userHandle: string;
  counter: number;
}

/** Elements a test may break (each undefined: the correct value). */
export interface Tamper {
  readonly type?: string;
  readonly challenge?: string;
  readonly origin?: string;
  readonly crossOrigin?: boolean;
  readonly topOrigin?: string;
  readonly rpId?: string;
  /** Flags byte (default UP|UV, plus AT at registration). */
  readonly flags?: number;
  readonly counter?: number;
  readonly userHandle?: string | null;
  /** Sign with this key instead of the credential's. */
  readonly signWith?: KeyObject;
  /** COSE algorithm in the registered public key (default -7). */
  readonly alg?: number;
  /** Present a different credential id (raw bytes). */
  readonly credentialId?: Buffer;
  /** Append bytes after the authenticator data. */
  readonly leftover?: Buffer;
}

const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

/** Options as the server sends them (the subset read here). */
interface CreationOptions {
  readonly challenge: string;
  readonly rp: { readonly id?: string };
  readonly user: { readonly id: string };
}
interface RequestOptions {
  readonly challenge: string;
  readonly rpId?: string;
}

/** A software authenticator bound to one origin. */
export class SoftAuthenticator {
  readonly origin: string;
  readonly credentials: SoftCredential[] = [];

  constructor(origin: string) {
    this.origin = origin;
  }

  #clientData(type: string, challenge: string, t: Tamper): string {
    const data: Record<string, unknown> = {
      type: t.type ?? type,
      challenge: t.challenge ?? challenge,
      origin: t.origin ?? this.origin,
      crossOrigin: t.crossOrigin ?? false,
    };
    if (t.topOrigin !== undefined) data['topOrigin'] = t.topOrigin;
    return Buffer.from(JSON.stringify(data), 'utf8').toString('base64url');
  }

  /** navigator.credentials.create(): a new EC P-256 credential and its attestation (`none`). */
  register(options: CreationOptions, t: Tamper = {}): { response: Record<string, unknown>; credential: SoftCredential } {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = cbor(
      new Map<number, Cbor>([
        [1, 2],
        [3, t.alg ?? -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x as string, 'base64url')],
        [-3, Buffer.from(jwk.y as string, 'base64url')],
      ]),
    );
    const id = t.credentialId ?? randomBytes(32);
    const credential: SoftCredential = { id, privateKey, cose, userHandle: options.user.id, counter: t.counter ?? 0 };
    const rpId = t.rpId ?? options.rp.id ?? '';
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(credential.counter, 0);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length, 0);
    const authData = Buffer.concat([
      createHash('sha256').update(rpId).digest(),
      Buffer.from([t.flags ?? UP | UV | AT]),
      counter,
      Buffer.alloc(16),
      idLength,
      id,
      cose,
      t.leftover ?? Buffer.alloc(0),
    ]);
    const attestationObject = cbor(new Map<string, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    const response = {
      id: id.toString('base64url'),
      rawId: id.toString('base64url'),
      type: 'public-key',
      response: {
        clientDataJSON: this.#clientData('webauthn.create', options.challenge, t),
        attestationObject: attestationObject.toString('base64url'),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
    return { response, credential };
  }

  /** Keeps a registered credential for later assertions. */
  keep(credential: SoftCredential): void {
    this.credentials.push(credential);
  }

  /** navigator.credentials.get(): an assertion by `credential` (default: the first kept one). */
  assert(options: RequestOptions, t: Tamper = {}, credential: SoftCredential | undefined = this.credentials[0]): Record<string, unknown> {
    if (credential === undefined) throw new TypeError('no credential');
    if (t.counter === undefined) credential.counter += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(t.counter ?? credential.counter, 0);
    const authData = Buffer.concat([
      createHash('sha256').update(t.rpId ?? options.rpId ?? '').digest(),
      Buffer.from([t.flags ?? UP | UV]),
      counter,
      t.leftover ?? Buffer.alloc(0),
    ]);
    const clientDataJSON = this.#clientData('webauthn.get', options.challenge, t);
    const signed = Buffer.concat([authData, createHash('sha256').update(Buffer.from(clientDataJSON, 'base64url')).digest()]);
    const signature = sign('sha256', signed, t.signWith ?? credential.privateKey);
    const id = t.credentialId ?? credential.id;
    const userHandle = t.userHandle === undefined ? credential.userHandle : t.userHandle;
    return {
      id: id.toString('base64url'),
      rawId: id.toString('base64url'),
      type: 'public-key',
      response: {
        clientDataJSON,
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        ...(userHandle === null ? {} : { userHandle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}

/** The flag bits, for tampering. */
export const authenticatorFlags = { UP, UV, AT } as const;
