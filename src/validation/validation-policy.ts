/**
 * The validation policy: the data the second pass judges the facts with (EN 319 102-1 §5.2.8
 * signature acceptance, §5.2.5–§5.2.6 revocation). The default policy is the JSON file next to
 * this module (documented in docs/validation.md); an operator passes a stricter one.
 */
import type { VerifiableDigest } from '../cms/index.js';
import defaultPolicyJson from './default-policy.json' with { type: 'json' };

/** One digest's acceptance: acceptable until the end of `acceptableUntil` (ISO date), or for ever. */
export interface DigestAcceptance {
  readonly acceptableUntil?: string;
}

/**
 * One key-size step of a public-key algorithm (ETSI TS 119 312 §7.2): a key of at least
 * `minBits` (RSA modulus, EC field size) is acceptable until the end of `acceptableUntil`, or for
 * ever. The step with the largest `minBits` the key reaches applies.
 */
export interface KeySizeAcceptance {
  readonly minBits: number;
  readonly acceptableUntil?: string;
}

/** Public-key algorithms a validator judges (the signer's key type). */
export type PublicKeyAlgorithm = 'RSA' | 'EC';

/** A validation policy (the shape of default-policy.json). */
export interface ValidationPolicy {
  readonly name: string;
  readonly description?: string;
  readonly signatureAcceptance: {
    /** Digests accepted; a digest not listed is not acceptable (ETSI TS 119 312 §6.2). */
    readonly digests: Readonly<Partial<Record<VerifiableDigest, DigestAcceptance>>>;
    /** Key sizes accepted per public-key algorithm; an algorithm not listed, or a key below every step, is not acceptable. */
    readonly publicKeys: Readonly<Partial<Record<PublicKeyAlgorithm, readonly KeySizeAcceptance[]>>>;
  };
  readonly revocation: {
    /** Without revocation evidence a signature is INDETERMINATE, never TOTAL-PASSED. */
    readonly requireEvidence: boolean;
    /**
     * A CA certificate (of a signer's or a time-stamping authority's path) that names neither a
     * CRL distribution point nor an OCSP responder, with no evidence in the document or fetched:
     * `error` (absent: the same) — like any certificate without evidence, INDETERMINATE /
     * TRY_LATER; `warning` — its status is not checked (EN 319 102-1 §5.2.4 X.509 validation
     * constraints), a warning finding says so, and the PAdES level does not wait for evidence
     * that cannot exist.
     */
    readonly caWithoutRevocationSource?: 'error' | 'warning';
    /**
     * Revocation freshness (EN 319 102-1 §5.2.5; EU DSS constraint.xml RevocationFreshness):
     * evidence counts when issued (thisUpdate) at or after the best-signature-time minus this many
     * seconds — 0: issued after it; `"nextUpdate"` (absent: the same): the evidence's own
     * nextUpdate − thisUpdate, so its validity interval reaches the best-signature-time. Evidence
     * that is not fresh counts as none: INDETERMINATE / REVOCATION_OUT_OF_BOUNDS_NO_POE after a
     * time-stamp, TRY_LATER without one.
     */
    readonly maxAgeSeconds?: number | 'nextUpdate';
    /** Fetch OCSP, then CRL, from the certificate's AIA/CDP when the document carries none. */
    readonly fetchOnline: boolean;
    /** Upper bound of one online fetch. */
    readonly timeoutMs: number;
  };
}

/** Signet's default policy (default-policy.json). */
export const defaultValidationPolicy: ValidationPolicy = defaultPolicyJson as ValidationPolicy;

function pastEnd(acceptableUntil: string | undefined, at: Date): boolean {
  return acceptableUntil !== undefined && at.getTime() > Date.parse(`${acceptableUntil}T23:59:59Z`);
}

/** Why `digest` is not acceptable at `at` under `policy`, or undefined when it is. */
export function digestRefusal(policy: ValidationPolicy, digest: VerifiableDigest, at: Date): string | undefined {
  const rule = policy.signatureAcceptance.digests[digest];
  if (rule === undefined) return `${digest} is not accepted by the validation policy ${policy.name}`;
  if (pastEnd(rule.acceptableUntil, at)) {
    return `${digest} is acceptable only until ${rule.acceptableUntil} under the validation policy ${policy.name} (ETSI TS 119 312)`;
  }
  return undefined;
}

/** The signer's public key as a validator judges it: its algorithm and size in bits (undefined: a key the policy cannot size). */
export interface PublicKeyFacts {
  /** `RSA`, `EC`, or node:crypto's name of another key type (e.g. `ed25519`, `dsa`). */
  readonly algorithm: string;
  readonly bits: number | undefined;
  /** The named curve of an EC key (node:crypto's name). */
  readonly curve?: string;
}

/**
 * Why the key is not acceptable at `at` under `policy`, or undefined when it is (ETSI TS 119 312
 * §7.2: RSA modulus and EC field sizes with end dates).
 */
export function publicKeyRefusal(policy: ValidationPolicy, key: PublicKeyFacts, at: Date): string | undefined {
  const what = key.algorithm === 'EC' ? `an EC key on ${key.curve ?? 'an unnamed curve'}` : `a ${key.bits ?? '?'}-bit ${key.algorithm} key`;
  const steps = key.algorithm === 'RSA' || key.algorithm === 'EC' ? policy.signatureAcceptance.publicKeys[key.algorithm] : undefined;
  if (steps === undefined || key.bits === undefined) return `${what} is not accepted by the validation policy ${policy.name}`;
  const bits = key.bits;
  const step = steps.filter((s) => bits >= s.minBits).sort((a, b) => b.minBits - a.minBits)[0];
  if (step === undefined) return `${what} is below every key size the validation policy ${policy.name} accepts`;
  if (pastEnd(step.acceptableUntil, at)) {
    return `${what}${key.algorithm === 'EC' ? ` (${bits} bits)` : ''} is acceptable only until ${step.acceptableUntil} under the validation policy ${policy.name} (ETSI TS 119 312)`;
  }
  return undefined;
}

/** The largest `revocation.maxAgeSeconds` a policy may give: ten years. */
const maxRevocationAgeSeconds = 10 * 366 * 24 * 3600;

const digestNames: readonly VerifiableDigest[] = ['SHA-1', 'SHA-224', 'SHA-256', 'SHA-384', 'SHA-512'];
const keyAlgorithms: readonly PublicKeyAlgorithm[] = ['RSA', 'EC'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads a validation policy an operator wrote (the shape of default-policy.json), default-deny:
 * an unknown key, a digest or key type the validator does not know, a date that is not
 * YYYY-MM-DD, or a value of the wrong type is a problem, and no policy is returned. Library
 * results are data: the problems are listed, nothing is thrown.
 *
 * @example
 * ```ts
 * const read = readValidationPolicy(JSON.parse(readFileSync('policy.json', 'utf8')));
 * if ('problems' in read) console.error(read.problems.join('\n'));
 * else verifyPdfLongTerm(bytes, { trustAnchors, policy: read.policy });
 * ```
 */
export function readValidationPolicy(value: unknown): { readonly policy: ValidationPolicy } | { readonly problems: readonly string[] } {
  const problems: string[] = [];
  const onlyKeys = (v: Record<string, unknown>, where: string, allowed: readonly string[]): void => {
    for (const k of Object.keys(v)) if (!allowed.includes(k)) problems.push(`${where}: unknown key "${k}"`);
  };
  const date = (v: unknown, where: string): void => {
    if (v === undefined) return;
    if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T23:59:59Z`))) {
      problems.push(`${where}: acceptableUntil must be a date YYYY-MM-DD`);
    }
  };
  if (!isRecord(value)) return { problems: ['the policy must be a JSON object'] };
  onlyKeys(value, 'policy', ['name', 'description', 'signatureAcceptance', 'revocation']);
  if (typeof value['name'] !== 'string' || value['name'] === '') problems.push('policy: "name" must be a non-empty string');
  if (value['description'] !== undefined && typeof value['description'] !== 'string') problems.push('policy: "description" must be a string');

  const acceptance = value['signatureAcceptance'];
  if (!isRecord(acceptance)) problems.push('policy: "signatureAcceptance" must be an object');
  else {
    onlyKeys(acceptance, 'signatureAcceptance', ['digests', 'publicKeys']);
    const digests = acceptance['digests'];
    if (!isRecord(digests)) problems.push('signatureAcceptance: "digests" must be an object');
    else
      for (const [name, rule] of Object.entries(digests)) {
        const where = `signatureAcceptance.digests.${name}`;
        if (!(digestNames as readonly string[]).includes(name)) problems.push(`${where}: not a digest the validator knows (${digestNames.join(', ')})`);
        if (!isRecord(rule)) problems.push(`${where}: must be an object`);
        else {
          onlyKeys(rule, where, ['acceptableUntil']);
          date(rule['acceptableUntil'], where);
        }
      }
    const keys = acceptance['publicKeys'];
    if (!isRecord(keys)) problems.push('signatureAcceptance: "publicKeys" must be an object');
    else
      for (const [name, steps] of Object.entries(keys)) {
        const where = `signatureAcceptance.publicKeys.${name}`;
        if (!(keyAlgorithms as readonly string[]).includes(name)) problems.push(`${where}: not a key type the validator knows (${keyAlgorithms.join(', ')})`);
        if (!Array.isArray(steps)) problems.push(`${where}: must be an array of steps`);
        else
          steps.forEach((step: unknown, i) => {
            const at = `${where}[${i}]`;
            if (!isRecord(step)) return void problems.push(`${at}: must be an object`);
            onlyKeys(step, at, ['minBits', 'acceptableUntil']);
            if (!Number.isInteger(step['minBits']) || (step['minBits'] as number) <= 0) problems.push(`${at}: "minBits" must be a positive integer`);
            date(step['acceptableUntil'], at);
          });
      }
  }

  const revocation = value['revocation'];
  if (!isRecord(revocation)) problems.push('policy: "revocation" must be an object');
  else {
    onlyKeys(revocation, 'revocation', ['requireEvidence', 'caWithoutRevocationSource', 'maxAgeSeconds', 'fetchOnline', 'timeoutMs']);
    for (const k of ['requireEvidence', 'fetchOnline']) {
      if (typeof revocation[k] !== 'boolean') problems.push(`revocation: "${k}" must be true or false`);
    }
    const ca = revocation['caWithoutRevocationSource'];
    if (ca !== undefined && ca !== 'error' && ca !== 'warning') problems.push('revocation: "caWithoutRevocationSource" must be "error" or "warning"');
    const maxAge = revocation['maxAgeSeconds'];
    if (maxAge !== undefined && maxAge !== 'nextUpdate' && !(Number.isInteger(maxAge) && (maxAge as number) >= 0 && (maxAge as number) <= maxRevocationAgeSeconds)) {
      problems.push(`revocation: "maxAgeSeconds" must be "nextUpdate" or an integer from 0 to ${maxRevocationAgeSeconds}`);
    }
    const timeout = revocation['timeoutMs'];
    if (!Number.isInteger(timeout) || (timeout as number) <= 0 || (timeout as number) > 60_000) {
      problems.push('revocation: "timeoutMs" must be an integer from 1 to 60000');
    }
  }
  return problems.length > 0 ? { problems } : { policy: value as unknown as ValidationPolicy };
}
