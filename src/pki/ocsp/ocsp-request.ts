/**
 * Reading an OCSPRequest (RFC 6960 §4.1.1) straight from its DER with the strict reader of
 * cms/der.ts: the responder needs each CertID (its exact bytes, echoed in the SingleResponse, and
 * its four fields) and the request's extensions; a schema parse cost more than the response's
 * signature (the CPU profile of the responder, issue 19). The optional signature and requestor
 * name are not used (§4.1.2: a responder that does not require signed requests ignores them).
 *
 * OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest, optionalSignature [0] EXPLICIT Signature OPTIONAL }
 * TBSRequest ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, requestorName [1] EXPLICIT GeneralName OPTIONAL,
 *                           requestList SEQUENCE OF Request, requestExtensions [2] EXPLICIT Extensions OPTIONAL }
 * Request ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
 * CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING,
 *                       issuerKeyHash OCTET STRING, serialNumber CertificateSerialNumber }
 * Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 */
import { id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { digestAlgorithms } from '../../cms/algorithms.js';
import {
  checkDer,
  childrenOf,
  contentOf,
  encodeOid,
  rawOf,
  readOid,
  readSmallInteger,
  tags,
  type DerElement,
} from '../../cms/der.js';
import { bytesEqual } from '../../core/bytes.js';
import { id_sha1 } from './cert-id.js';

/** One CertID of the request list. */
export interface OcspSingleRequest {
  /** DER CertID as the request carried it. */
  readonly certId: Uint8Array;
  readonly hashAlgorithmOid: string;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  /** Content octets of the serialNumber INTEGER. */
  readonly serialNumber: Uint8Array;
}

/** One request extension. */
export interface OcspRequestExtension {
  readonly extnId: string;
  readonly critical: boolean;
  /** Content octets of extnValue. */
  readonly extnValue: Uint8Array;
}

/** The fields of an OCSPRequest that parsed. */
export interface OcspRequestFields {
  readonly requests: readonly OcspSingleRequest[];
  readonly extensions: readonly OcspRequestExtension[];
}

/** The OIDs every request carries (CertID hashes, the nonce), matched by their encoding. */
const knownOids = [id_sha1, ...Object.values(digestAlgorithms).map((d) => d.oid), id_pkix_ocsp_nonce].map((oid) => ({ oid, der: encodeOid(oid) }));

function oidOf(der: Uint8Array, el: DerElement): string {
  const raw = rawOf(der, el);
  for (const known of knownOids) if (bytesEqual(raw, known.der)) return known.oid;
  return readOid(der, el);
}

const boolean = 0x01;
const explicit0 = 0xa0;
const explicit1 = 0xa1;
const explicit2 = 0xa2;

function readCertId(der: Uint8Array, el: DerElement): OcspSingleRequest | undefined {
  if (el.tag !== tags.sequence) return undefined;
  const [algorithmEl, nameHashEl, keyHashEl, serialEl, ...extra] = childrenOf(der, el);
  if (
    algorithmEl?.tag !== tags.sequence ||
    nameHashEl?.tag !== tags.octetString ||
    keyHashEl?.tag !== tags.octetString ||
    serialEl?.tag !== tags.integer ||
    serialEl.end === serialEl.contentStart ||
    extra.length > 0
  )
    return undefined;
  const [oidEl, ...params] = childrenOf(der, algorithmEl);
  if (oidEl === undefined || params.length > 1) return undefined;
  return {
    certId: rawOf(der, el),
    hashAlgorithmOid: oidOf(der, oidEl),
    issuerNameHash: contentOf(der, nameHashEl),
    issuerKeyHash: contentOf(der, keyHashEl),
    serialNumber: contentOf(der, serialEl),
  };
}

function readExtensions(der: Uint8Array, el: DerElement): OcspRequestExtension[] | undefined {
  const [list, ...extra] = childrenOf(der, el);
  if (list?.tag !== tags.sequence || extra.length > 0) return undefined;
  const out: OcspRequestExtension[] = [];
  for (const ext of childrenOf(der, list)) {
    if (ext.tag !== tags.sequence) return undefined;
    const parts = childrenOf(der, ext);
    const [idEl] = parts;
    const criticalEl = parts.length === 3 ? parts[1] : undefined;
    const valueEl = parts[parts.length - 1];
    if (idEl?.tag !== tags.oid || valueEl?.tag !== tags.octetString || parts.length < 2 || parts.length > 3) return undefined;
    let critical = false;
    if (criticalEl !== undefined) {
      const value = contentOf(der, criticalEl);
      if (criticalEl.tag !== boolean || value.length !== 1) return undefined;
      critical = value[0] !== 0;
    }
    out.push({ extnId: oidOf(der, idEl), critical, extnValue: contentOf(der, valueEl) });
  }
  return out;
}

/** Parses a DER OCSPRequest; undefined when it is not one (the responder answers malformedRequest). */
export function parseOcspRequest(der: Uint8Array): OcspRequestFields | undefined {
  try {
    const root = checkDer(der, { maxDepth: 32, maxNodes: 4096 });
    if (root.tag !== tags.sequence) return undefined;
    const [tbsEl, signatureEl, ...rest] = childrenOf(der, root);
    if (tbsEl?.tag !== tags.sequence || (signatureEl !== undefined && signatureEl.tag !== explicit0) || rest.length > 0) return undefined;
    const fields = childrenOf(der, tbsEl);
    let at = 0;
    if (fields[at]?.tag === explicit0) {
      // version [0] EXPLICIT Version: v1(0) is the only one defined.
      const [versionEl, ...more] = childrenOf(der, fields[at] as DerElement);
      if (versionEl === undefined || more.length > 0 || readSmallInteger(der, versionEl) !== 0) return undefined;
      at++;
    }
    if (fields[at]?.tag === explicit1) at++;
    const listEl = fields[at++];
    if (listEl?.tag !== tags.sequence) return undefined;
    let extensions: OcspRequestExtension[] = [];
    const extensionsEl = fields[at];
    if (extensionsEl !== undefined) {
      if (extensionsEl.tag !== explicit2 || at + 1 !== fields.length) return undefined;
      const read = readExtensions(der, extensionsEl);
      if (read === undefined) return undefined;
      extensions = read;
    }
    const requests: OcspSingleRequest[] = [];
    for (const requestEl of childrenOf(der, listEl)) {
      if (requestEl.tag !== tags.sequence) return undefined;
      const [certIdEl, singleExtensions, ...more] = childrenOf(der, requestEl);
      if (certIdEl === undefined || more.length > 0) return undefined;
      if (singleExtensions !== undefined) {
        // RFC 6960 §4.4: none is understood here, so a critical one cannot be honoured.
        const read = singleExtensions.tag === explicit0 ? readExtensions(der, singleExtensions) : undefined;
        if (read === undefined || read.some((e) => e.critical)) return undefined;
      }
      const single = readCertId(der, certIdEl);
      if (single === undefined) return undefined;
      requests.push(single);
    }
    return { requests, extensions };
  } catch {
    return undefined;
  }
}
