/**
 * Service URLs carried by certificates: AIA id-ad-ocsp / id-ad-caIssuers (RFC 5280 §4.2.2.1)
 * and CRL distribution points (§4.2.1.13). Only http(s) URIs are returned.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  CRLDistributionPoints,
  id_ce_cRLDistributionPoints,
  id_pe_authorityInfoAccess,
} from '@peculiar/asn1-x509';
import type { Certificate } from '@peculiar/asn1-x509';
import { id_ad_caIssuers, id_ad_ocsp } from './ca/profiles.js';

function isHttp(uri: string | undefined): uri is string {
  return uri !== undefined && /^https?:\/\//i.test(uri);
}

/**
 * URLs per parsed certificate (parses are shared: parseCertificate), read once: a revocation
 * source asks for the same signer and CA certificates for every signature of a batch.
 */
const urlMemo = new WeakMap<Certificate, Map<string, readonly string[]>>();

function remembered(cert: Certificate, what: string, read: () => string[]): string[] {
  let perCert = urlMemo.get(cert);
  if (perCert === undefined) {
    perCert = new Map();
    urlMemo.set(cert, perCert);
  }
  let urls = perCert.get(what);
  if (urls === undefined) {
    urls = read();
    perCert.set(what, urls);
  }
  return [...urls];
}

function aia(cert: Certificate, method: string): string[] {
  return remembered(cert, method, () => readAia(cert, method));
}

function readAia(cert: Certificate, method: string): string[] {
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_pe_authorityInfoAccess);
  if (!ext) return [];
  try {
    return AsnConvert.parse(ext.extnValue, AuthorityInfoAccessSyntax)
      .filter((d) => d.accessMethod === method)
      .map((d) => d.accessLocation.uniformResourceIdentifier)
      .filter(isHttp);
  } catch {
    return [];
  }
}

/** OCSP responder URLs from the AIA extension. */
export function ocspUrls(cert: Certificate): string[] {
  return aia(cert, id_ad_ocsp);
}

/** Issuer certificate URLs from the AIA extension. */
export function caIssuersUrls(cert: Certificate): string[] {
  return aia(cert, id_ad_caIssuers);
}

/** CRL URLs from the CRL distribution points extension (full names only). */
export function crlUrls(cert: Certificate): string[] {
  return remembered(cert, 'crl', () => readCrlUrls(cert));
}

function readCrlUrls(cert: Certificate): string[] {
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_cRLDistributionPoints);
  if (!ext) return [];
  try {
    return AsnConvert.parse(ext.extnValue, CRLDistributionPoints)
      .flatMap((dp) => dp.distributionPoint?.fullName ?? [])
      .map((n) => n.uniformResourceIdentifier)
      .filter(isHttp);
  } catch {
    return [];
  }
}
