/**
 * The on-disk format of one software-keystore key: JSON holding the public key in clear and the
 * PKCS#8 private key (RFC 5208) sealed with AES-256-GCM under a data key that the KEK wraps.
 * Both AADs bind the key reference, so a blob moved to another key's file no longer opens.
 */
import { createHash } from 'node:crypto';
import type { KeyType } from '../../cms/algorithms.js';
import type { KeySpec, KeyRef } from '../key-backend.js';
import { KeyBackendError } from '../errors.js';
import type { SealedBox } from './kek.js';

/** Format version 1 of a key file. */
export interface KeyFileV1 {
  readonly format: 'signet-keystore-key';
  readonly version: 1;
  readonly ref: KeyRef;
  readonly keyType: KeyType;
  readonly spec: KeySpec;
  /** SPKI DER. */
  readonly publicKey: Uint8Array;
  readonly createdAt: string;
  /** The data key wrapped by the KEK whose id is `kekId`. */
  readonly dataKey: SealedBox & { readonly kekId: string };
  /** The PKCS#8 DER sealed under the data key. */
  readonly privateKey: SealedBox;
}

/** Largest key file accepted when reading (a 4096-bit RSA key file is about 4 KiB). */
export const maxKeyFileBytes = 64 * 1024;

const encoder = new TextEncoder();

/** AAD of the data-key wrap: format, purpose and the key reference. */
export function dataKeyAad(ref: KeyRef): Uint8Array {
  return encoder.encode(`signet-keystore-v1\u0000data-key\u0000${ref}`);
}

/** AAD of the private-key seal: format, purpose, the key reference and the public key hash. */
export function privateKeyAad(ref: KeyRef, publicKey: Uint8Array): Uint8Array {
  const spkiHash = createHash('sha256').update(publicKey).digest('hex');
  return encoder.encode(`signet-keystore-v1\u0000private-key\u0000${ref}\u0000${spkiHash}`);
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** Serialises a key file (stable key order, trailing newline). */
export function encodeKeyFile(file: KeyFileV1): Uint8Array {
  const json = {
    format: file.format,
    version: file.version,
    ref: file.ref,
    keyType: file.keyType,
    spec: file.spec,
    publicKey: b64(file.publicKey),
    createdAt: file.createdAt,
    dataKey: {
      kekId: file.dataKey.kekId,
      iv: b64(file.dataKey.iv),
      ciphertext: b64(file.dataKey.ciphertext),
    },
    privateKey: { iv: b64(file.privateKey.iv), ciphertext: b64(file.privateKey.ciphertext) },
  };
  return encoder.encode(`${JSON.stringify(json, null, 2)}\n`);
}

function corrupt(what: string): KeyBackendError {
  return new KeyBackendError('ERR_KEYSTORE_CORRUPT', `key file is malformed: ${what}`);
}

function field(obj: unknown, name: string): unknown {
  return typeof obj === 'object' && obj !== null
    ? (obj as Record<string, unknown>)[name]
    : undefined;
}

function bytesField(obj: unknown, name: string): Uint8Array {
  const v = field(obj, name);
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw corrupt(name);
  return new Uint8Array(Buffer.from(v, 'base64'));
}

function stringField(obj: unknown, name: string): string {
  const v = field(obj, name);
  if (typeof v !== 'string') throw corrupt(name);
  return v;
}

function parseSpec(v: unknown): KeySpec {
  const type = field(v, 'type');
  if (type === 'RSA') {
    const bits = field(v, 'bits');
    if (bits === 2048 || bits === 3072 || bits === 4096) return { type, bits };
  } else if (type === 'EC') {
    const curve = field(v, 'curve');
    if (curve === 'P-256' || curve === 'P-384' || curve === 'P-521') return { type, curve };
  }
  throw corrupt('spec');
}

/** Parses and checks the shape of a key file; throws `ERR_KEYSTORE_CORRUPT`. */
export function decodeKeyFile(bytes: Uint8Array): KeyFileV1 {
  if (bytes.length > maxKeyFileBytes) throw corrupt('too large');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw corrupt('not JSON');
  }
  if (field(json, 'format') !== 'signet-keystore-key' || field(json, 'version') !== 1)
    throw corrupt('format');
  const keyType = field(json, 'keyType');
  if (keyType !== 'RSA' && keyType !== 'EC') throw corrupt('keyType');
  const dataKey = field(json, 'dataKey');
  const privateKey = field(json, 'privateKey');
  return {
    format: 'signet-keystore-key',
    version: 1,
    ref: stringField(json, 'ref'),
    keyType,
    spec: parseSpec(field(json, 'spec')),
    publicKey: bytesField(json, 'publicKey'),
    createdAt: stringField(json, 'createdAt'),
    dataKey: {
      kekId: stringField(dataKey, 'kekId'),
      iv: bytesField(dataKey, 'iv'),
      ciphertext: bytesField(dataKey, 'ciphertext'),
    },
    privateKey: {
      iv: bytesField(privateKey, 'iv'),
      ciphertext: bytesField(privateKey, 'ciphertext'),
    },
  };
}
