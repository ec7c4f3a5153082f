/**
 * CSC API v2 signatures/signDoc `validationInfo` (§11.11): the OCSP responses,
 * CRLs and certificates a verifier needs for the returned signatures and their signature
 * time-stamps — for the signer's and the TSA's certification paths, each certificate's revocation
 * evidence — so a PAdES client can write them into the DSS (ETSI EN 319 142-1 §5.4.2, B-LT).
 */
import { ValidationDataCollector, type RevocationSource } from '../pades/index.js';
import { toBase64 } from './request-params.js';

/** The wire object: standard Base64 DER values (OCSPResponse, CertificateList, Certificate). */
export interface ValidationInfo {
  readonly ocsp: string[];
  readonly crl: string[];
  readonly certificates: string[];
}

/** Accumulates validation material from several signatures, each value once. */
export class ValidationInfoBuilder {
  readonly #collector: ValidationDataCollector;
  readonly #info: ValidationInfo = { ocsp: [], crl: [], certificates: [] };
  readonly #seen = new Set<string>();

  /** `chain`: the credential's certificates, offered for path building (they may not all be in the CMS). */
  constructor(revocation: RevocationSource, chain: readonly Uint8Array[]) {
    this.#collector = new ValidationDataCollector(revocation, chain);
  }

  #add(kind: keyof ValidationInfo, values: readonly Uint8Array[]): void {
    for (const der of values) {
      const b64 = toBase64(der);
      if (this.#seen.has(`${kind}:${b64}`)) continue;
      this.#seen.add(`${kind}:${b64}`);
      this.#info[kind].push(b64);
    }
  }

  /** Adds the material of a detached CMS signature (with its signature-time-stamp tokens). */
  async addContainer(cms: Uint8Array): Promise<void> {
    const m = await this.#collector.collectContainer(cms);
    this.#add('certificates', m.certificates);
    this.#add('ocsp', m.ocspResponses);
    this.#add('crl', m.crls);
  }

  /** The collected object. */
  result(): ValidationInfo {
    return { ocsp: [...this.#info.ocsp], crl: [...this.#info.crl], certificates: [...this.#info.certificates] };
  }
}
