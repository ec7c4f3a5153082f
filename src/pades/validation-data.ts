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

/**
 * Parses and issuer checks of the certificates seen lately, by fingerprint: pure results (a DER
 * parses, and a signature verifies, the same way every time) that the documents of a batch share
 * — the same signer, CA and TSA certificates in each. Bounded; the oldest entries go first.
 */
const MEMO_SIZE = 1024;
const parsedMemo = new Map<string, X509Certificate | null>();
const issuedMemo = new Map<string, boolean>();

function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value as string);
  memo.set(key, value);
  return value;
}

/** A pooled certificate: its fingerprint, its DER and, once needed, its parse (null: not a certificate). */
interface PoolEntry {
  readonly key: string;
  readonly der: Uint8Array;
  parsed?: X509Certificate | null;
}

/**
 * Certificates by fingerprint and the issuer of each (RFC 5280 §6.1: the issuer's subject names
 * the certificate's issuer and its key verifies the signature). Pure: no fetches, so it runs
 * where the document is parsed (a worker thread in `signet serve`).
 */
class CertificatePool {
  readonly #pool = new Map<string, PoolEntry>();
  /** Links known in advance (an {@link EvidencePlan}'s), by the certificate's fingerprint. */
  readonly #links = new Map<string, Uint8Array>();

  #entry(der: Uint8Array): PoolEntry {
    const key = fingerprint(der);
    let entry = this.#pool.get(key);
    if (entry === undefined) {
      entry = { key, der };
      this.#pool.set(key, entry);
    }
    return entry;
  }

  add(der: Uint8Array): void {
    this.#entry(der);
  }

  /** Records that `issuer` issued `der` (found by the planner), so it is not searched for again. */
  link(der: Uint8Array, issuer: Uint8Array): void {
    this.add(issuer);
    this.#links.set(this.#entry(der).key, issuer);
  }

  x509(der: Uint8Array): X509Certificate | undefined {
    return this.#parsed(this.#entry(der));
  }

  #parsed(entry: PoolEntry): X509Certificate | undefined {
    if (entry.parsed === undefined) {
      const known = parsedMemo.get(entry.key);
      if (known !== undefined) entry.parsed = known;
      else {
        let cert: X509Certificate | null;
        try {
          cert = new X509Certificate(entry.der);
        } catch {
          cert = null;
        }
        entry.parsed = remember(parsedMemo, entry.key, cert);
      }
    }
    return entry.parsed ?? undefined;
  }

  issuerOf(der: Uint8Array): Uint8Array | undefined {
    const subject = this.#entry(der);
    const linked = this.#links.get(subject.key);
    if (linked !== undefined) return linked;
    const cert = this.#parsed(subject);
    if (!cert || cert.checkIssued(cert)) return undefined; // self-issued: a root, nothing above it
    for (const entry of this.#pool.values()) {
      if (entry.key === subject.key) continue;
      const c = this.#parsed(entry);
      if (!c || !cert.checkIssued(c)) continue;
      const pair = `${subject.key} ${entry.key}`;
      if (issuedMemo.get(pair) ?? remember(issuedMemo, pair, cert.verify(c.publicKey))) return entry.der;
    }
    return undefined;
  }
}

/** The SignedData of a container (a CMS signature or a time-stamp token), or undefined when it does not parse. */
export function readSignedData(container: Uint8Array | undefined): SignedDataView | undefined {
  if (!container) return undefined;
  try {
    return parseSignedData(container);
  } catch {
    return undefined; // an unreadable container contributes nothing; validation reports it
  }
}

/**
 * Signed containers to cover for a signature: itself (`sd`, its container parsed), plus its
 * signature-time-stamp tokens.
 */
function containersOf(sd: SignedDataView | undefined, isDocumentTimestamp: boolean): SignedDataView[] {
  if (!sd) return [];
  const out = [sd];
  if (isDocumentTimestamp) return out;
  for (const si of sd.signerInfos) {
    for (const attr of si.unsignedAttributes) {
      if (attr.oid !== cmsOids.id_aa_signatureTimeStampToken) continue;
      for (const token of attr.values) {
        const tst = readSignedData(token);
        if (tst) out.push(tst);
      }
    }
  }
  return out;
}

/**
 * The validation data a document needs, planned from the document alone (structured-clonable):
 * the certification path of every signer — of each signature, its signature-time-stamps and each
 * document timestamp — as links between certificates. What to fetch for it is the revocation
 * evidence of each linked certificate ({@link ValidationDataCollector.collectPlanned}).
 */
export interface EvidencePlan {
  /** Distinct certificates (DER) of the signers' paths. */
  readonly certificates: readonly Uint8Array[];
  /** For each certificate, the index of its issuer in `certificates`; -1: a root, or an issuer the document does not hold. */
  readonly issuers: readonly number[];
  /** One entry per signature and document timestamp, in document order. */
  readonly signatures: readonly PlannedSignature[];
}

/** The planned part of one signature: its VRI key and the indexes of its signers' certificates. */
export interface PlannedSignature {
  /** ISO 32000-2 §12.8.4.4: uppercase hex SHA-1 of the signature's /Contents value. */
  readonly vriKey: string;
  /** The signer of the signature (or timestamp) and of each of its signature-time-stamp tokens. */
  readonly signers: readonly number[];
}

/**
 * Plans the validation data of `signatures` (all of a document's, with the DSS's and the caller's
 * certificates as `extraCertificates` for path building): CMS parsing and path building, no
 * fetches. `signedData` gives each signature's container parsed (a caller that parsed them
 * already passes its reads, so no container is parsed twice). Low level: prefer `extendSource`,
 * which fetches what this names.
 *
 * @example
 * ```ts
 * const plan = planEvidence(listPdfSignatures(doc), readDss(doc).certificates);
 * ```
 */
export function planEvidence(
  signatures: readonly PdfSignature[],
  extraCertificates: readonly Uint8Array[] = [],
  signedData: (sig: PdfSignature) => SignedDataView | undefined = (sig) => readSignedData(sig.container),
): EvidencePlan {
  const pool = new CertificatePool();
  for (const c of extraCertificates) pool.add(c);
  const containers = signatures.map((sig) => containersOf(signedData(sig), sig.isDocumentTimestamp));
  for (const list of containers) for (const sd of list) for (const c of sd.certificates) pool.add(c);
  const certificates: Uint8Array[] = [];
  const issuers: number[] = [];
  const indexes = new Map<string, number>();
  const indexOf = (der: Uint8Array): number => {
    const key = fingerprint(der);
    let i = indexes.get(key);
    if (i === undefined) {
      i = certificates.push(der) - 1;
      issuers.push(-1);
      indexes.set(key, i);
    }
    return i;
  };
  const walk = (leaf: Uint8Array): number => {
    const first = indexOf(leaf);
    let current = leaf;
    let at = first;
    const seen = new Set<number>();
    for (let depth = 0; depth < MAX_PATH && !seen.has(at); depth++) {
      seen.add(at);
      if (issuers[at] !== -1) break; // walked before: the rest of the path is known
      const issuer = pool.issuerOf(current);
      if (issuer === undefined) break;
      const next = indexOf(issuer);
      issuers[at] = next;
      current = issuer;
      at = next;
    }
    return first;
  };
  const planned = signatures.map((sig, k): PlannedSignature => {
    const signers: number[] = [];
    for (const sd of containers[k] ?? []) {
      for (const si of sd.signerInfos) {
        const signer = findSignerCertificate(sd, si);
        if (signer) signers.push(walk(signer));
      }
    }
    return { vriKey: vriKeyOf(sig.contents), signers };
  });
  return { certificates, issuers, signatures: planned };
}

/** Gathers paths and revocation evidence; one instance per extension run (its caches are per run). */
export class ValidationDataCollector {
  readonly #revocation: RevocationSource;
  readonly #pool = new CertificatePool();
  readonly #fetched = new Map<string, Promise<RevocationData>>();

  constructor(revocation: RevocationSource, extraCertificates: readonly Uint8Array[] = []) {
    this.#revocation = revocation;
    for (const c of extraCertificates) this.#pool.add(c);
  }

  /** Revocation data for `cert` issued by `issuer`, fetched once per certificate. */
  #revocationFor(cert: Uint8Array, issuer: Uint8Array): Promise<RevocationData> {
    const key = fingerprint(cert);
    let pending = this.#fetched.get(key);
    if (!pending) {
      pending = this.#revocation.fetch(cert, issuer).catch((cause: unknown) => {
        const subject = this.#pool.x509(cert)?.subject.replace(/\n/g, ', ') ?? 'a certificate';
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
        const issuer = this.#pool.issuerOf(current);
        if (issuer === undefined) break;
        const data = await this.#revocationFor(current, issuer);
        into.addAll(data);
        for (const c of data.certificates) {
          this.#pool.add(c);
          queue.push(c);
        }
        current = issuer;
      }
    }
  }

  /** Collects the material of one signature or document timestamp. */
  async collect(sig: PdfSignature): Promise<SignatureMaterial> {
    const material = await this.#material(containersOf(readSignedData(sig.container), sig.isDocumentTimestamp));
    return { vriKey: vriKeyOf(sig.contents), ...material };
  }

  /**
   * Fetches what `plan` names (planned where the document was parsed, {@link planEvidence}): for
   * each signature, its signers' paths and the revocation evidence of every certificate on them,
   * and the paths and evidence of the certificates that evidence brings (a delegated OCSP
   * responder's). The document's certificates are not parsed again here: their links come from
   * the plan.
   *
   * @example
   * ```ts
   * const materials = await new ValidationDataCollector(revocation).collectPlanned(plan);
   * ```
   */
  async collectPlanned(plan: EvidencePlan): Promise<SignatureMaterial[]> {
    plan.certificates.forEach((der, i) => {
      const issuer = plan.certificates[plan.issuers[i] ?? -1];
      if (issuer === undefined) this.#pool.add(der);
      else this.#pool.link(der, issuer);
    });
    // Every planned link's evidence is asked for at once (the source bounds how many run); the
    // paths below then read the answers in order. A failure surfaces where the path reaches it.
    plan.certificates.forEach((der, i) => {
      const issuer = plan.certificates[plan.issuers[i] ?? -1];
      if (issuer !== undefined) void this.#revocationFor(der, issuer).catch(() => undefined);
    });
    const out: SignatureMaterial[] = [];
    for (const sig of plan.signatures) {
      const set = new MaterialSet();
      for (const i of sig.signers) {
        const leaf = plan.certificates[i];
        if (leaf !== undefined) await this.#cover(leaf, set);
      }
      out.push({ vriKey: sig.vriKey, certificates: set.certificates, ocspResponses: set.ocspResponses, crls: set.crls });
    }
    return out;
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
    return this.#material(containersOf(readSignedData(container), false));
  }

  async #material(containers: readonly SignedDataView[]): Promise<ValidationMaterial> {
    const set = new MaterialSet();
    for (const sd of containers) for (const c of sd.certificates) this.#pool.add(c);
    for (const sd of containers) {
      for (const si of sd.signerInfos) {
        const signer = findSignerCertificate(sd, si);
        if (signer) await this.#cover(signer, set);
      }
    }
    return { certificates: set.certificates, ocspResponses: set.ocspResponses, crls: set.crls };
  }
}
