/**
 * Collects the validation data of PAdES B-LT (ETSI EN 319 142-1 §5.4.2, §6.4): for every
 * signature and every timestamp (signature-time-stamps and document timestamps), the signer's
 * certification path and revocation evidence for each certificate in it, fetched once per
 * certificate even when it appears in several paths.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { cmsOids } from '../cms/cms-oids.js';
import { parseSignedData, type SignedDataView } from '../cms/parse-signed-data.js';
import { findSignerCertificate } from '../cms/signer-certificate.js';
import { isSignetError } from '../core/errors.js';
import { PadesError } from './errors.js';
import type { PdfSignature } from './pdf-signatures.js';
import type { RevocationData, RevocationSource } from './types.js';

/** Certificates and revocation values (DER), deduplicated by content. */
export interface ValidationMaterial {
  readonly certificates: readonly Uint8Array[];
  readonly ocspResponses: readonly Uint8Array[];
  readonly crls: readonly Uint8Array[];
}

/** The material of one signature, keyed for its VRI entry. */
export interface SignatureMaterial extends ValidationMaterial {
  /** ISO 32000-2 §12.8.4.4: uppercase hex SHA-1 of the signature's /Contents value. */
  readonly vriKey: string;
}

const MAX_PATH = 16;

const fingerprint = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

/** Uppercase hex SHA-1 of a /Contents value (the VRI dictionary key). */
export function vriKeyOf(contents: Uint8Array): string {
  return createHash('sha1').update(contents).digest('hex').toUpperCase();
}

class MaterialSet {
  readonly #seen = new Set<string>();
  readonly certificates: Uint8Array[] = [];
  readonly ocspResponses: Uint8Array[] = [];
  readonly crls: Uint8Array[] = [];

  add(kind: 'certificates' | 'ocspResponses' | 'crls', der: Uint8Array): void {
    const key = `${kind}:${fingerprint(der)}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this[kind].push(der);
  }

  addAll(data: RevocationData): void {
    for (const o of data.ocspResponses) this.add('ocspResponses', o);
    for (const c of data.crls) this.add('crls', c);
    for (const c of data.certificates) this.add('certificates', c);
  }
}

/** Gathers paths and revocation evidence; one instance per extension run (its caches are per run). */
export class ValidationDataCollector {
  readonly #revocation: RevocationSource;
  readonly #parsed = new Map<string, X509Certificate | undefined>();
  readonly #pool = new Map<string, Uint8Array>();
  readonly #fetched = new Map<string, Promise<RevocationData>>();

  constructor(revocation: RevocationSource, extraCertificates: readonly Uint8Array[] = []) {
    this.#revocation = revocation;
    for (const c of extraCertificates) this.#addToPool(c);
  }

  #addToPool(der: Uint8Array): void {
    this.#pool.set(fingerprint(der), der);
  }

  #x509(der: Uint8Array): X509Certificate | undefined {
    const key = fingerprint(der);
    if (!this.#parsed.has(key)) {
      let cert: X509Certificate | undefined;
      try {
        cert = new X509Certificate(der);
      } catch {
        cert = undefined;
      }
      this.#parsed.set(key, cert);
    }
    return this.#parsed.get(key);
  }

  #issuerOf(der: Uint8Array): Uint8Array | undefined {
    const cert = this.#x509(der);
    if (!cert || cert.checkIssued(cert)) return undefined; // self-issued: a root, nothing above it
    for (const candidate of this.#pool.values()) {
      const c = this.#x509(candidate);
      if (c && c.fingerprint256 !== cert.fingerprint256 && cert.checkIssued(c) && cert.verify(c.publicKey)) return candidate;
    }
    return undefined;
  }

  /** Revocation data for `cert` issued by `issuer`, fetched once per certificate. */
  #revocationFor(cert: Uint8Array, issuer: Uint8Array): Promise<RevocationData> {
    const key = fingerprint(cert);
    let pending = this.#fetched.get(key);
    if (!pending) {
      pending = this.#revocation.fetch(cert, issuer).catch((cause: unknown) => {
        const subject = this.#x509(cert)?.subject.replace(/\n/g, ', ') ?? 'a certificate';
        throw new PadesError(
          'ERR_PADES_REVOCATION_UNAVAILABLE',
          `no revocation evidence for ${subject}${isSignetError(cause) ? `: ${cause.message}` : ''}`,
          { cause },
        );
      });
      this.#fetched.set(key, pending);
    }
    return pending;
  }

  /** The path of `leaf` and revocation data for each certificate in it (and for the evidence's own signers). */
  async #cover(leaf: Uint8Array, into: MaterialSet): Promise<void> {
    const queue: Uint8Array[] = [leaf];
    const done = new Set<string>();
    while (queue.length > 0) {
      let current: Uint8Array | undefined = queue.shift() as Uint8Array;
      for (let depth = 0; current !== undefined && depth < MAX_PATH; depth++) {
        const key = fingerprint(current);
        if (done.has(key)) break;
        done.add(key);
        into.add('certificates', current);
        const issuer = this.#issuerOf(current);
        if (issuer === undefined) break;
        const data = await this.#revocationFor(current, issuer);
        into.addAll(data);
        for (const c of data.certificates) {
          this.#addToPool(c);
          queue.push(c);
        }
        current = issuer;
      }
    }
  }

  /** Signed containers to cover for a signature: itself, plus its signature-time-stamp tokens. */
  #containersOf(container: Uint8Array | undefined, isDocumentTimestamp: boolean): SignedDataView[] {
    if (!container) return [];
    let sd: SignedDataView;
    try {
      sd = parseSignedData(container);
    } catch {
      return [];
    }
    const out = [sd];
    if (isDocumentTimestamp) return out;
    for (const si of sd.signerInfos) {
      for (const attr of si.unsignedAttributes) {
        if (attr.oid !== cmsOids.id_aa_signatureTimeStampToken) continue;
        for (const token of attr.values) {
          try {
            out.push(parseSignedData(token));
          } catch {
            // an unreadable token contributes nothing; validation reports it
          }
        }
      }
    }
    return out;
  }

  /** Collects the material of one signature or document timestamp. */
  async collect(sig: PdfSignature): Promise<SignatureMaterial> {
    const material = await this.#material(this.#containersOf(sig.container, sig.isDocumentTimestamp));
    return { vriKey: vriKeyOf(sig.contents), ...material };
  }

  /**
   * Collects the material of a detached CMS signature (and its signature-time-stamp tokens) that
   * is not in a PDF yet: what a remote signer returns for the client's DSS (CSC v2 signDoc
   * `validationInfo`, ETSI EN 319 142-1 §5.4.2).
   *
   * @example
   * ```ts
   * const { certificates, ocspResponses, crls } = await new ValidationDataCollector(revocation).collectContainer(cms);
   * ```
   */
  async collectContainer(container: Uint8Array): Promise<ValidationMaterial> {
    return this.#material(this.#containersOf(container, false));
  }

  async #material(containers: readonly SignedDataView[]): Promise<ValidationMaterial> {
    const set = new MaterialSet();
    for (const sd of containers) for (const c of sd.certificates) this.#addToPool(c);
    for (const sd of containers) {
      for (const si of sd.signerInfos) {
        const signer = findSignerCertificate(sd, si);
        if (signer) await this.#cover(signer, set);
      }
    }
    return { certificates: set.certificates, ocspResponses: set.ocspResponses, crls: set.crls };
  }
}
