/**
 * PDF signatures whose CMS other producers write and Signet never does (issue 14): legacy
 * digests (SHA-1), ECDSA with explicit NULL parameters, RSASSA-PSS with any salt (RFC 8017
 * §9.1), adbe.pkcs7.sha1 and adbe.pkcs7.detached, BER encodings, encapsulated content. The CMS
 * is assembled here by hand over a real ByteRange; Signet's own CMS builder stays strict.
 */
import { createHash, sign, constants, type KeyObject } from 'node:crypto';
import { cmsOids, encodeOid, encodeTlv, readCertificateId, readElement, tags } from '../../src/cms/index.js';
import { encodeSetOf, encodeSmallInteger, isConstructed } from '../../src/cms/der.js';
import { preparePdf } from '../../src/pades/index.js';

/** Digests used here: OIDs of RFC 3370 §2.1 and RFC 5754 §2. */
const digestOids = { sha1: '1.3.14.3.2.26', sha256: '2.16.840.1.101.3.4.2.1' } as const;
type Hash = keyof typeof digestOids;
const NULL = Uint8Array.of(0x05, 0x00);

function algId(oid: string, params?: Uint8Array): Uint8Array {
  return params === undefined ? encodeTlv(tags.sequence, encodeOid(oid)) : encodeTlv(tags.sequence, encodeOid(oid), params);
}

function attribute(oid: string, value: Uint8Array): Uint8Array {
  return encodeTlv(tags.sequence, encodeOid(oid), encodeTlv(tags.set, value));
}

/** How the SignerInfo signs. */
export type VariantAlgorithm =
  | { readonly kind: 'rsa-pkcs1'; readonly hash: Hash }
  | { readonly kind: 'rsa-pss'; readonly hash: Hash; readonly saltLength: number }
  | { readonly kind: 'ecdsa'; readonly hash: Hash; readonly explicitNull: boolean };

/** Options of {@link buildVariantCms}. */
export interface VariantCmsOptions {
  readonly key: KeyObject;
  /** Leaf first. */
  readonly chain: readonly Uint8Array[];
  readonly algorithm: VariantAlgorithm;
  /** The data whose digest is the message-digest attribute. */
  readonly signedContent: Uint8Array;
  /** eContent to encapsulate (absent: detached). */
  readonly eContent?: Uint8Array;
  /** The ESS attribute: v2 with SHA-256 (CAdES), v1 with SHA-1, or none (plain PKCS #7). */
  readonly ess: 'v2' | 'v1' | 'none';
  /** No signed attributes at all: the signature is over the content itself (RFC 5652 §5.4; RSA PKCS #1 only here). */
  readonly withoutSignedAttributes?: boolean;
  /** An unsignedAttrs [1] SET with no attribute (RFC 5652 §5.3 says SIZE (1..MAX); some producers write it). */
  readonly emptyUnsignedAttributes?: boolean;
}

function signatureAlgorithmId(a: VariantAlgorithm): Uint8Array {
  if (a.kind === 'rsa-pkcs1') return algId(a.hash === 'sha1' ? '1.2.840.113549.1.1.5' : '1.2.840.113549.1.1.11', NULL);
  if (a.kind === 'ecdsa') return algId(a.hash === 'sha1' ? '1.2.840.10045.4.1' : '1.2.840.10045.4.3.2', a.explicitNull ? NULL : undefined);
  const hash = algId(digestOids[a.hash]);
  // RFC 4055 §3.1 RSASSA-PSS-params.
  const params = encodeTlv(
    tags.sequence,
    encodeTlv(0xa0, hash),
    encodeTlv(0xa1, algId('1.2.840.113549.1.1.8', hash)),
    encodeTlv(0xa2, encodeSmallInteger(a.saltLength)),
  );
  return algId('1.2.840.113549.1.1.10', params);
}

function essAttribute(kind: 'v1' | 'v2', cert: Uint8Array): Uint8Array {
  if (kind === 'v1') {
    // RFC 2634 §5.4: SigningCertificate { certs SEQUENCE OF ESSCertID { certHash (SHA-1) } }.
    const hash = createHash('sha1').update(cert).digest();
    return attribute(cmsOids.id_aa_signingCertificate, encodeTlv(tags.sequence, encodeTlv(tags.sequence, encodeTlv(tags.sequence, encodeTlv(tags.octetString, hash)))));
  }
  const hash = createHash('sha256').update(cert).digest();
  // RFC 5035 §3: ESSCertIDv2 with the DEFAULT hash (SHA-256) omitted.
  return attribute(cmsOids.id_aa_signingCertificateV2, encodeTlv(tags.sequence, encodeTlv(tags.sequence, encodeTlv(tags.sequence, encodeTlv(tags.octetString, hash)))));
}

/** A DER ContentInfo(SignedData) built as the options say. */
export function buildVariantCms(o: VariantCmsOptions): Uint8Array {
  const leaf = o.chain[0];
  if (leaf === undefined) throw new Error('empty chain');
  const hash = o.algorithm.hash;
  const attrs = [
    attribute(cmsOids.id_contentType, encodeOid(cmsOids.id_data)),
    attribute(cmsOids.id_messageDigest, encodeTlv(tags.octetString, createHash(hash).update(o.signedContent).digest())),
    ...(o.ess === 'none' ? [] : [essAttribute(o.ess, leaf)]),
  ];
  const signedAttrs = encodeSetOf(attrs);
  const a = o.algorithm;
  const signature = o.withoutSignedAttributes
    ? sign(hash, o.signedContent, o.key)
    : a.kind === 'rsa-pss'
      ? sign(hash, signedAttrs, { key: o.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: a.saltLength })
      : a.kind === 'ecdsa'
        ? sign(hash, signedAttrs, { key: o.key, dsaEncoding: 'der' })
        : sign(hash, signedAttrs, o.key);
  const id = readCertificateId(leaf);
  const signerInfo = encodeTlv(
    tags.sequence,
    encodeSmallInteger(1),
    encodeTlv(tags.sequence, id.issuer, id.serialNumber),
    algId(digestOids[hash]),
    ...(o.withoutSignedAttributes ? [] : [encodeSetOf(attrs, 0xa0)]),
    signatureAlgorithmId(a),
    encodeTlv(tags.octetString, signature),
    ...(o.emptyUnsignedAttributes ? [encodeTlv(0xa1)] : []),
  );
  const encap =
    o.eContent === undefined
      ? encodeTlv(tags.sequence, encodeOid(cmsOids.id_data))
      : encodeTlv(tags.sequence, encodeOid(cmsOids.id_data), encodeTlv(0xa0, encodeTlv(tags.octetString, o.eContent)));
  const signedData = encodeTlv(
    tags.sequence,
    encodeSmallInteger(1),
    encodeTlv(tags.set, algId(digestOids[hash])),
    encap,
    encodeTlv(0xa0, ...o.chain),
    encodeTlv(tags.set, signerInfo),
  );
  return encodeTlv(tags.sequence, encodeOid(cmsOids.id_signedData), encodeTlv(0xa0, signedData));
}

/**
 * The same ContentInfo(SignedData) in BER as streaming producers write it (X.690 §8.1.3.6): the
 * constructed elements down to each SignerInfo with the indefinite length and the OCTET STRINGs
 * longer than 16 bytes (eContent, the signature value) in constructed form (§8.7.3), 16-byte
 * segments. Certificates and the signer identifier are kept as issued (DER), as those producers
 * copy them; `signedAttributes: 'ber'` re-encodes the signed attributes too (a validator hashes
 * their DER form, RFC 5652 §5.4).
 */
export function toBer(der: Uint8Array, options: { readonly signedAttributes?: 'der' | 'ber' } = {}): Uint8Array {
  const out: number[] = [];
  const walk = (offset: number, path: readonly number[]): number => {
    const el = readElement(der, offset);
    const content = der.subarray(el.contentStart, el.end);
    const here = [...path, el.tag];
    // ContentInfo / [0] / SignedData / [0] certificates / Certificate: copied as is.
    const isCertificate = here.length === 5 && path[3] === 0xa0;
    // … / SignedData / SET signerInfos / SignerInfo / child: only [0] signedAttrs may be BER.
    const inSignerInfo = here.length >= 6 && path[3] === tags.set;
    const berHere = !isCertificate && (!inSignerInfo || (here[5] === 0xa0 && options.signedAttributes === 'ber'));
    if (el.tag === tags.octetString && content.length > 16 && (here.length <= 6 || !inSignerInfo || berHere)) {
      out.push(0x24, 0x80);
      for (let p = 0; p < content.length; p += 16) out.push(...encodeTlv(tags.octetString, content.subarray(p, p + 16)));
      out.push(0, 0);
    } else if (isConstructed(el.tag) && berHere) {
      out.push(el.tag, 0x80);
      for (let p = el.contentStart; p < el.end; ) p = walk(p, here);
      out.push(0, 0);
    } else out.push(...der.subarray(offset, el.end));
    return el.end;
  };
  walk(0, []);
  return Uint8Array.from(out);
}

/** A prepared signature revision whose CMS the caller assembles (see {@link signWithCms}). */
export interface CraftedRevision {
  /** The bytes the /ByteRange covers. */
  readonly covered: Uint8Array;
  finish(cms: Uint8Array): Uint8Array;
}

/**
 * Prepares a signature on `pdf` with /SubFilter `subFilter` and lets the caller put any CMS into
 * /Contents (hex, zero-padded). The /SubFilter name is patched in place with trailing spaces, so
 * every offset stays valid.
 */
export function prepareCrafted(pdf: Uint8Array, signingCertificate: Uint8Array, subFilter = 'ETSI.CAdES.detached'): CraftedRevision {
  const prepared = preparePdf(pdf, {
    certificateChain: [signingCertificate],
    signatureAlgorithm: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' },
    maxSignatureSize: 512,
    signingTime: new Date('2026-11-23T10:00:00Z'),
    reserveBytes: 12_000,
  });
  const file = Buffer.concat([pdf, Buffer.from(prepared.update, 'base64')]);
  if (subFilter !== 'ETSI.CAdES.detached') {
    const from = Buffer.from('/ETSI.CAdES.detached', 'latin1');
    const at = file.indexOf(from, pdf.length);
    if (at < 0 || subFilter.length > 19) throw new Error('cannot patch /SubFilter');
    file.write(`/${subFilter}`.padEnd(from.length, ' '), at, 'latin1');
  }
  const [a, b, c, d] = prepared.byteRange;
  const covered = Buffer.concat([file.subarray(a, a + b), file.subarray(c, c + d)]);
  return {
    covered: new Uint8Array(covered),
    finish(cms) {
      const hex = Buffer.from(cms).toString('hex');
      if (hex.length > c - b - 2) throw new Error('the CMS does not fit /Contents');
      const out = Buffer.from(file);
      out.write(hex, b + 1, 'latin1');
      return new Uint8Array(out);
    },
  };
}

/** Replaces the CMS of the first signature whose hole is at /ByteRange [_ b c _] (e.g. with its BER form). */
export function replaceContents(signed: Uint8Array, byteRange: readonly number[], cms: Uint8Array): Uint8Array {
  const [, b = 0, c = 0] = byteRange;
  const hex = Buffer.from(cms).toString('hex');
  if (hex.length > c - b - 2) throw new Error('the CMS does not fit /Contents');
  const out = Buffer.from(signed);
  out.fill('0', b + 1, c - 1, 'latin1');
  out.write(hex, b + 1, 'latin1');
  return new Uint8Array(out);
}
