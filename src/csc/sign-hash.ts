/**
 * signatures/signHash (CSC API v2 §11.10): the SAD is consumed atomically BEFORE any key operation
 * (docs/security.md SAD-21/22), every signature is checked against the certificate's key before release
 * (SAD-24). The consumption's audit entry records credential, hashes, client and origin. With an
 * `Idempotency-Key` header the call follows idempotent-signing.ts (SAD-07, FLT-01…04).
 */
import { hashOpaqueToken, isAccessTokenValueShape, maxSadSignatures } from '../auth/index.js';
import { digestAlgorithms, verifySignatureOverDigest, type SignatureAlgorithm } from '../cms/index.js';
import type { Receipt } from '../transparency/index.js';
import { findBearerAndCredential, type CredentialRow } from '../store/index.js';
import { origin } from './auth-operations.js';
import type { CredentialCertificate } from './credential-certificate.js';
import { chooseCredentialKey, signWithFailover, type ChosenKey, type CredentialKey } from './credential-key.js';
import { candidateKeys, credentialKeyEntries, keyChoiceOf, type CredentialKeyEntry } from './credential-keys.js';
import type { CscDeps, CscRequestContext } from './csc-deps.js';
import { optionalBatchProofs } from './batch-proofs.js';
import { CscError, invalidParameter, missingParameter } from './errors.js';
import { refuseExternalCredential } from './external-signing.js';
import { parseIdempotencyKey } from './idempotency-key.js';
import { signIdempotently } from './idempotent-signing.js';
import { asBody, optionalString, requiredHashes, requiredString, toBase64 } from './request-params.js';
import {
  bearerTokenOf,
  readAhead,
  requireBearer,
  requireOwnCredential,
  requireUsableCredential,
  type Caller,
  type RequestTrail,
} from './request-scope.js';
import { checkPssSaltFits, digestOid, resolveSignAlgo } from './sign-algorithm.js';

/**
 * The SAD of a signing call: the body's `SAD`, else the bearer itself when it is a
 * credential-scope token (CSC v2 §11.10: "Not needed if … an access token with scope credential").
 */
export function sadOf(body: Readonly<Record<string, unknown>>, caller: Caller): string {
  const given = optionalString(body, 'SAD', 512);
  if (given !== undefined) return given;
  if (caller.info.scope === 'credential') return caller.token;
  throw missingParameter('string', 'SAD');
}

/** `operationMode`: only synchronous operation (`S`) is offered (info.asynchronousOperationMode false). */
export function checkOperationMode(body: Readonly<Record<string, unknown>>): void {
  const mode = optionalString(body, 'operationMode');
  if (mode !== undefined && mode !== 'S') throw invalidParameter('operationMode');
}

/**
 * Signs digests with the credential's key (prepared before the SAD was consumed, see
 * credential-key.ts), checking each result against the certificate's key; never releases a bad
 * one. A backend that checks its own output (PreparedKey.signChecked: the software keystore's
 * ECDSA, whose check with the nonce and scalar it used costs about a third of one made from
 * outside over a bare digest, issue 19) is given the certificate's key; every other signature is
 * checked here.
 */
export async function signDigests(
  key: CredentialKey,
  row: CredentialRow,
  cert: CredentialCertificate,
  algorithm: SignatureAlgorithm & { readonly saltLength?: number },
  digests: readonly Uint8Array[],
): Promise<Uint8Array[]> {
  return Promise.all(
    digests.map(async (digest) => {
      const request = {
        scheme: algorithm.scheme,
        digestAlgorithm: algorithm.digest,
        digest,
        ...(algorithm.saltLength !== undefined ? { saltLength: algorithm.saltLength } : {}),
      };
      // SAD-24 by the signer: a signature that does not verify under the certificate's key is
      // never returned (ERR_KEY_SIGN_FAILED).
      if (key.signChecked !== undefined) return key.signChecked(request, cert.publicKey);
      const signature = await key.sign(request);
      // The one output self-check from outside (cms/verify-signature), over the digest: SAD-24.
      if (!verifySignatureOverDigest(cert.publicKey, algorithm, digest, signature)) {
        throw new CscError('ERR_CSC_SERVER', 'The signature could not be created', {
          detail: { reason: 'output self-check failed', credential: row.id, backend: key.backendKind },
        });
      }
      return signature;
    }),
  );
}

/**
 * signHash: `{signatures}` in the order of `hashes` (and `signet_key`, the certificate that
 * signed, for a credential on several tokens).
 */
export async function signHash(
  deps: CscDeps,
  rawBody: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<SignHashAnswer> {
  const body = asBody(rawBody);
  const idempotencyKey = parseIdempotencyKey(ctx.idempotencyKey);
  // The token, the credential and its further keys are read in one statement (issue 19: one
  // round trip on PostgreSQL, one statement on SQLite, instead of three); nothing of the
  // credential is used, or said, before the token and the ownership checks pass, in the same
  // order as with separate reads.
  const givenId = typeof body['credentialID'] === 'string' && body['credentialID'].length <= 255 ? body['credentialID'] : undefined;
  const bearer = bearerTokenOf(ctx);
  const reads =
    givenId === undefined || bearer === undefined || !isAccessTokenValueShape(bearer)
      ? undefined
      : readAhead(() => findBearerAndCredential(deps.store.db, hashOpaqueToken(bearer), givenId));
  const caller = await requireBearer(deps, ctx, trail, reads === undefined ? undefined : async () => (await reads).token);
  const row = await requireOwnCredential(deps, caller, requiredString(body, 'credentialID', 255), trail, reads?.then((r) => r.credential));
  refuseExternalCredential(row);
  const sad = sadOf(body, caller);
  const max = Math.min(deps.limits?.maxHashes ?? maxSadSignatures, maxSadSignatures);
  const hashes = requiredHashes(body, 'hashes', max);
  const proofs = optionalBatchProofs(body, hashes.length);
  const algorithm = resolveSignAlgo({
    signAlgo: requiredString(body, 'signAlgo', 64),
    hashAlgorithmOid: optionalString(body, 'hashAlgorithmOID', 64),
    signAlgoParams: optionalString(body, 'signAlgoParams', 512),
  });
  checkOperationMode(body);
  optionalString(body, 'clientData', 4096);
  const digestLength = digestAlgorithms[algorithm.digest].length;
  if (hashes.some((h) => h.length !== digestLength)) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'Invalid digest value length');
  }
  await requireUsableCredential(deps, row, { consultCa: false });
  // Issue 16 §2: which of the credential's keys may sign (credential-keys.ts); they share the
  // algorithm and subject, so the first key's certificate answers the algorithm checks.
  const choice = keyChoiceOf(body);
  const entries = await credentialKeyEntries(deps, row, reads?.then((r) => r.keys));
  const candidates = candidateKeys(entries, choice, deps.clock.now());
  const cert = (candidates[0] as CredentialKeyEntry).cert;
  if (cert.keyType !== algorithm.keyType) throw invalidParameter('signAlgo');
  checkPssSaltFits(algorithm, cert.publicKey.asymmetricKeyDetails?.modulusLength ?? 0);
  const binding = {
    userId: caller.info.userId,
    credentialId: row.id,
    clientId: caller.info.clientId,
    hashAlgorithmOid: digestOid(algorithm.digest),
    ...(proofs === undefined ? {} : { proofs }),
    // Issue 21: the transparency leaf names the certificate (the chosen key's, below, when known first).
    certificateSerial: cert.serialHex.toUpperCase(),
    ...origin(ctx),
  };
  // The answer names the certificate that signed when the credential has several keys or the
  // request chose one (a Signet extension; a single-key answer stays the plain CSC one).
  const named = entries.length > 1 || choice.kind !== 'first';
  const signWith = async (chosen: ChosenKey): Promise<SignHashAnswer> => {
    checkCertificateCurrent(deps, chosen.entry.cert);
    const signatures = (await signDigests(chosen.key, row, chosen.entry.cert, algorithm, hashes)).map(toBase64);
    return named ? { signatures, signet_key: keyAnswer(chosen.entry) } : { signatures };
  };
  const sign = async (first: ChosenKey): Promise<SignHashAnswer> =>
    (await signWithFailover(deps, row, first, candidates, hashes.length, choice.kind === 'any', signWith)).result;
  // INV-2: the whole request is consumed (or refused) in one transaction before the key is used.
  // Without an Idempotency-Key (the hot path: one transaction):
  // Its `sad.consume` audit entry (credential, hashes, client, source address, trace id) commits
  // with the consumption and is the record of these signatures; a failure after it is audited
  // as csc.signatures.signHash:failure and the reservation stays burned (docs/security.md INV-2).
  // Issue 16: the key is found (and a software key decrypted) before the SAD is consumed, so a
  // key that cannot be reached leaves the SAD usable (ERR_CSC_KEY_UNAVAILABLE).
  if (idempotencyKey === undefined) {
    const chosen = await chooseCredentialKey(deps, row, candidates, hashes.length);
    try {
      const { receipts } = await deps.sads.consume({ ...binding, certificateSerial: chosen.entry.cert.serialHex.toUpperCase(), sad, hashes });
      const answer = await sign(chosen);
      // Issue 21: the batch receipts, one per hash in the order of `hashes` (a Signet extension).
      return receipts === undefined ? answer : { ...answer, signet_receipts: [...receipts] };
    } finally {
      chosen.release();
    }
  }
  // With an Idempotency-Key: reserve, sign, store, then answer (idempotent-signing.ts, SAD-07);
  // the key is prepared before the reservation (a replay of a stored answer needs no key).
  let prepared: ChosenKey | undefined;
  try {
    const response = await signIdempotently(
      deps,
      {
        key: idempotencyKey,
        operation: 'signatures/signHash',
        body,
        reservation: { ...binding, sad, hashes },
        prepare: async () => {
          prepared?.release();
          prepared = await chooseCredentialKey(deps, row, candidates, hashes.length);
        },
      },
      async (receipts) => {
        prepared ??= await chooseCredentialKey(deps, row, candidates, hashes.length);
        const answer = await sign(prepared);
        // Issue 21: the receipts go into the stored answer, so every replay returns the same ones.
        return receipts === undefined ? answer : { ...answer, signet_receipts: [...receipts] };
      },
    );
    return response as SignHashAnswer;
  } finally {
    prepared?.release();
  }
}

/** The signHash answer: CSC `signatures`, and the Signet extension naming the key that signed. */
export type SignHashAnswer = {
  readonly signatures: string[];
  readonly signet_key?: KeyAnswer;
  /** Issue 21: the receipt of each signed hash, when the SAD binds a batch root. */
  readonly signet_receipts?: Receipt[];
};

/** The certificate of the key that signed: its serial number and chain (base64 DER, leaf first). */
export type KeyAnswer = {
  readonly serialNumber: string;
  readonly certificates: string[];
};

function keyAnswer(entry: CredentialKeyEntry): KeyAnswer {
  return { serialNumber: entry.cert.serialHex.toUpperCase(), certificates: entry.cert.chain.map(toBase64) };
}

/** A further key's certificate must be within its validity too (the first one's is checked above). */
function checkCertificateCurrent(deps: CscDeps, cert: CredentialCertificate): void {
  const now = deps.clock.now().getTime();
  if (now < cert.notBefore.getTime() || now > cert.notAfter.getTime()) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'Signing certificate is expired');
  }
}
