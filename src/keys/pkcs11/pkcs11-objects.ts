/**
 * PKCS#11 object helpers (PKCS#11 v2.40 §4): attribute encodings (CK_ULONG, mechanism lists,
 * CKA_EC_PARAMS), object search, and public key objects read back as SPKI (RFC 5280 §4.1.2.7).
 */
import { createPublicKey } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { NamedCurve } from '../../cms/algorithms.js';
import { KeyBackendError } from '../errors.js';
import { namedCurveOf } from '../public-key-info.js';

// DER OIDs for CKA_EC_PARAMS (PKCS#11 v2.40 §2.3.3: an ECParameters namedCurve choice).
export const ecParams: Readonly<Record<NamedCurve, string>> = {
  'P-256': '06082a8648ce3d030107',
  'P-384': '06052b81040022',
  'P-521': '06052b81040023',
};
const curveSize: Readonly<Record<NamedCurve, number>> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

/** CKA_ALLOWED_MECHANISMS value: an array of CK_MECHANISM_TYPE (native CK_ULONG, 64-bit LE). */
export function mechanismList(mechanisms: readonly number[]): ReturnType<typeof Buffer.alloc> {
  const out = Buffer.alloc(8 * mechanisms.length);
  mechanisms.forEach((m, i) => out.writeBigUInt64LE(BigInt(m), 8 * i));
  return out;
}

/** A CK_ULONG attribute value (native byte order, 4 or 8 bytes) as a number; -1 when absent. */
export function ulong(value: unknown): number {
  if (!Buffer.isBuffer(value)) return -1;
  if (value.length === 8) return Number(value.readBigUInt64LE());
  if (value.length === 4) return value.readUInt32LE();
  return -1;
}

/** Handles of the token objects of class `cls` (and label, when given). */
export function findObjects(
  api: pkcs11js.PKCS11,
  session: pkcs11js.Handle,
  cls: number,
  label?: string,
): pkcs11js.Handle[] {
  const template: pkcs11js.Template = [
    { type: pkcs11js.CKA_CLASS, value: cls },
    { type: pkcs11js.CKA_TOKEN, value: true },
  ];
  if (label !== undefined) template.push({ type: pkcs11js.CKA_LABEL, value: label });
  api.C_FindObjectsInit(session, template);
  try {
    const out: pkcs11js.Handle[] = [];
    for (;;) {
      const batch = api.C_FindObjects(session, 64);
      out.push(...batch);
      if (batch.length < 64 || out.length >= 100_000) return out;
    }
  } finally {
    api.C_FindObjectsFinal(session);
  }
}

/** Reads a public key object and returns its SPKI DER (RFC 5280 §4.1.2.7). */
export function readPublicKey(
  api: pkcs11js.PKCS11,
  session: pkcs11js.Handle,
  handle: pkcs11js.Handle,
): Uint8Array {
  const [typeAttr] = api.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_KEY_TYPE }]);
  const keyType = ulong(typeAttr?.value);
  if (keyType === pkcs11js.CKK_RSA) {
    const [n, e] = api.C_GetAttributeValue(session, handle, [
      { type: pkcs11js.CKA_MODULUS },
      { type: pkcs11js.CKA_PUBLIC_EXPONENT },
    ]);
    if (!Buffer.isBuffer(n?.value) || !Buffer.isBuffer(e?.value)) throw malformed();
    const key = createPublicKey({
      key: { kty: 'RSA', n: n.value.toString('base64url'), e: e.value.toString('base64url') },
      format: 'jwk',
    });
    return new Uint8Array(key.export({ format: 'der', type: 'spki' }));
  }
  if (keyType === pkcs11js.CKK_EC) {
    const [params, point] = api.C_GetAttributeValue(session, handle, [
      { type: pkcs11js.CKA_EC_PARAMS },
      { type: pkcs11js.CKA_EC_POINT },
    ]);
    if (!Buffer.isBuffer(params?.value) || !Buffer.isBuffer(point?.value)) throw malformed();
    const hex = params.value.toString('hex');
    const curve = namedCurveOf((Object.entries(ecParams).find(([, v]) => v === hex) ?? [])[0]);
    if (curve === undefined)
      throw new KeyBackendError('ERR_KEY_SPEC_UNSUPPORTED', 'unsupported EC curve on the token');
    const size = curveSize[curve];
    const raw = unwrapEcPoint(point.value, size);
    const key = createPublicKey({
      key: {
        kty: 'EC',
        crv: curve,
        x: raw.subarray(1, 1 + size).toString('base64url'),
        y: raw.subarray(1 + size).toString('base64url'),
      },
      format: 'jwk',
    });
    return new Uint8Array(key.export({ format: 'der', type: 'spki' }));
  }
  throw new KeyBackendError('ERR_KEY_SPEC_UNSUPPORTED', 'unsupported key type on the token');
}

/** CKA_EC_POINT is DER OCTET STRING (PKCS#11 v2.40 §2.3.3); some tokens return the raw point. */
function unwrapEcPoint(value: Buffer, size: number): Buffer {
  const rawLength = 1 + 2 * size;
  if (value.length === rawLength && value[0] === 0x04) return value;
  if (value[0] === 0x04) {
    const long = value[1] === 0x81;
    const length = long ? value[2] : value[1];
    const start = long ? 3 : 2;
    if (length === rawLength && value.length === start + rawLength && value[start] === 0x04)
      return value.subarray(start);
  }
  throw malformed();
}

function malformed(): KeyBackendError {
  return new KeyBackendError(
    'ERR_KEY_BACKEND_UNAVAILABLE',
    'the token returned a malformed public key',
  );
}
