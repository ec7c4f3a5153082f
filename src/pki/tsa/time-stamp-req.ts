/**
 * Reading a TimeStampReq (RFC 3161 §2.4.1) straight from its DER with the strict reader of
 * cms/der.ts: the TSA needs six fields and the message imprint's exact bytes (§2.4.2 echoes
 * them), and a schema parse cost more than the token's signature (the CPU profile of the TSA).
 *
 * TimeStampReq ::= SEQUENCE {
 *   version          INTEGER { v1(1) },
 *   messageImprint   MessageImprint,
 *   reqPolicy        TSAPolicyId        OPTIONAL,
 *   nonce            INTEGER            OPTIONAL,
 *   certReq          BOOLEAN            DEFAULT FALSE,
 *   extensions       [0] IMPLICIT Extensions OPTIONAL }
 * MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
 */
import {
  checkDer,
  childrenOf,
  contentOf,
  rawOf,
  readOid,
  readSmallInteger,
  tags,
  type DerElement,
} from '../../cms/der.js';

/** The fields of a TimeStampReq that parsed. */
export interface TimeStampReqFields {
  readonly version: number;
  /** DER MessageImprint as sent. */
  readonly messageImprint: Uint8Array;
  readonly hashAlgorithmOid: string;
  readonly hashedMessage: Uint8Array;
  readonly reqPolicy?: string;
  /** Content octets of the nonce INTEGER. */
  readonly nonce?: Uint8Array;
  readonly certReq: boolean;
  readonly hasExtensions: boolean;
}

const boolean = 0x01;
const extensionsTag = 0xa0;

/** Parses a DER TimeStampReq; undefined when it is not one (the TSA answers badDataFormat). */
export function parseTimeStampReq(der: Uint8Array): TimeStampReqFields | undefined {
  try {
    const root = checkDer(der, { maxDepth: 8, maxNodes: 256 });
    if (root.tag !== tags.sequence) return undefined;
    const fields = childrenOf(der, root);
    const [versionEl, imprintEl] = fields;
    if (versionEl?.tag !== tags.integer || imprintEl?.tag !== tags.sequence) return undefined;
    const [algorithmEl, hashedEl, ...extra] = childrenOf(der, imprintEl);
    if (
      algorithmEl?.tag !== tags.sequence ||
      hashedEl?.tag !== tags.octetString ||
      extra.length > 0
    )
      return undefined;
    const [oidEl, ...params] = childrenOf(der, algorithmEl);
    if (oidEl === undefined || params.length > 1) return undefined;
    let reqPolicy: string | undefined;
    let nonce: Uint8Array | undefined;
    let certReq = false;
    let hasExtensions = false;
    // The optional fields, each at most once and in the order of the definition.
    let position = 0;
    const order = (el: DerElement): number =>
      el.tag === tags.oid
        ? 1
        : el.tag === tags.integer
          ? 2
          : el.tag === boolean
            ? 3
            : el.tag === extensionsTag
              ? 4
              : 0;
    for (const el of fields.slice(2)) {
      const at = order(el);
      if (at <= position) return undefined;
      position = at;
      if (at === 1) reqPolicy = readOid(der, el);
      else if (at === 2) {
        nonce = contentOf(der, el);
        if (nonce.length === 0) return undefined;
      } else if (at === 3) {
        const value = contentOf(der, el);
        if (value.length !== 1) return undefined;
        certReq = value[0] !== 0;
      } else hasExtensions = el.end > el.contentStart;
    }
    return {
      version: readSmallInteger(der, versionEl),
      messageImprint: rawOf(der, imprintEl),
      hashAlgorithmOid: readOid(der, oidEl),
      hashedMessage: contentOf(der, hashedEl),
      ...(reqPolicy === undefined ? {} : { reqPolicy }),
      ...(nonce === undefined ? {} : { nonce }),
      certReq,
      hasExtensions,
    };
  } catch {
    return undefined;
  }
}
