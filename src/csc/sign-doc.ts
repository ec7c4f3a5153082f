/**
 * signatures/signDoc for PAdES (CSC API v2 §11.11, signature_format `P`): `documents` → enveloped
 * signed PDFs (`DocumentWithSignature`), `documentDigests` → detached CMS (`SignatureObject`).
 * Each document's hash (or each digest) must be one the SAD authorises (403 invalid_hash); the
 * whole request is consumed from the SAD before any key operation.
 *
 * Levels with `documentDigests` (the RSSP never holds the PDF): B-B; B-T adds the
 * signature-time-stamp over the signature value (ETSI EN 319 122-1 §5.3) to the CMS; B-LT is that
 * B-T CMS plus `validationInfo`, which the client writes into the DSS (CSC v2 §11.11 makes
 * `returnValidationInfo` mandatory to support for exactly P + AdES-B-LT + documentDigests), so
 * B-LT with digests requires `returnValidationInfo: true`; B-LTA needs a document time-stamp over
 * the whole PDF including its DSS (ETSI EN 319 142-1 §5.5, §6.5), which only the document's holder
 * can add: refused as `Invalid parameter conformance_level`. `returnValidationInfo` is honoured
 * for every level and for `documents` when a revocation source is configured (info.validationInfo).
 */
import { createHash } from 'node:crypto';
import { appendAuditNow } from '../audit/index.js';
import { SadError, maxSadSignatures } from '../auth/index.js';
import { buildSignedAttributes, buildSignedData, digestAlgorithms } from '../cms/index.js';
import { keySigner } from '../keys/index.js';
import { isSignetError } from '../core/errors.js';
import { addSignatureTimestamp, embeddedContainer, finishSignature, planLevel, prepareSignature, type PadesLevel, type PrepareOptions, type PreparedDocument } from '../pades/index.js';
import { origin } from './auth-operations.js';
import { levelOptions, requestedLevel } from './pades-levels.js';
import type { CscDeps, CscRequestContext } from './csc-deps.js';
import { CscError, invalidParameter, missingParameter } from './errors.js';
import { parseIdempotencyKey } from './idempotency-key.js';
import { signIdempotently } from './idempotent-signing.js';
import {
  asBody,
  decodeBase64,
  optionalBoolean,
  optionalHashes,
  optionalString,
  requiredObjectArray,
  requiredString,
  toBase64,
  type CscBody,
} from './request-params.js';
import { requireBearer, requireOwnCredential, requireUsableCredential, type RequestTrail } from './request-scope.js';
import { checkOperationMode, sadOf, signDigests } from './sign-hash.js';
import { chooseCredentialKey, signWithFailover, type ChosenKey } from './credential-key.js';
import { candidateKeys, credentialKeyEntries, keyChoiceOf, type CredentialKeyEntry } from './credential-keys.js';
import { refuseExternalCredential } from './external-signing.js';
import { digestFromOid, digestOid, resolveSignAlgo, type ResolvedSignAlgo } from './sign-algorithm.js';
import { ValidationInfoBuilder } from './validation-info.js';

/** Per-entry PAdES parameters shared by `documents[]` and `documentDigests[]`. */
interface PadesEntry {
  readonly algorithm: ResolvedSignAlgo;
  readonly certify: boolean;
  readonly level: PadesLevel;
}

function padesEntry(deps: CscDeps, entry: CscBody, hashAlgorithmOid: string | undefined): PadesEntry {
  if (requiredString(entry, 'signature_format', 4) !== 'P') invalidFormat();
  const level = requestedLevel(deps, optionalString(entry, 'conformance_level', 32) ?? 'AdES-B-B');
  if (level === undefined) throw invalidParameter('conformance_level');
  const envelope = optionalString(entry, 'signed_envelope_property', 32) ?? 'Revision';
  if (envelope !== 'Revision' && envelope !== 'Certification') throw invalidParameter('signed_envelope_property');
  const props = entry['signed_props'];
  // signDoc `signed_props` (CSC API v2 §11.11): nothing may change what was shown at consent, so none are accepted.
  if (props !== undefined && props !== null && !(Array.isArray(props) && props.length === 0)) {
    throw invalidParameter('signed_props');
  }
  const algorithm = resolveSignAlgo({
    signAlgo: requiredString(entry, 'signAlgo', 64),
    hashAlgorithmOid,
    signAlgoParams: optionalString(entry, 'signAlgoParams', 512),
  });
  // The CMS SignerInfo carries PSS parameters with salt = hLen (RFC 4055 §3.1, what Signet's
  // validator and the algorithm table accept): signDoc takes no other salt length.
  if (algorithm.saltLength !== undefined && algorithm.saltLength !== digestAlgorithms[algorithm.digest].length) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'Invalid parameter signAlgoParams: signDoc signs RSASSA-PSS with saltLength equal to the hash length');
  }
  return { algorithm, certify: envelope === 'Certification', level };
}

/** The code of an error of phase one that is the document's own (the parse, the checks before signing): a bad request. */
function documentErrorCode(err: unknown): string | undefined {
  return isSignetError(err) && (/^ERR_(PDF|PADES)_/.test(err.code) || err.code === 'ERR_SERVER_PDF_UNREADABLE') ? err.code : undefined;
}

function invalidFormat(): never {
  throw invalidParameter('signature_format');
}

/** signDoc. */
export async function signDoc(
  deps: CscDeps,
  rawBody: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<Record<string, unknown>> {
  const body = asBody(rawBody);
  const idempotencyKey = parseIdempotencyKey(ctx.idempotencyKey);
  const caller = await requireBearer(deps, ctx, trail);
  const credentialId = optionalString(body, 'credentialID', 255);
  if (credentialId === undefined) throw missingParameter('string', 'credentialID');
  const row = await requireOwnCredential(deps, caller, credentialId, trail);
  refuseExternalCredential(row);
  const sad = sadOf(body, caller);
  checkOperationMode(body);
  optionalString(body, 'clientData', 4096);
  const hashAlgorithmOid = optionalString(body, 'hashAlgorithmOID', 64);
  const returnValidationInfo = optionalBoolean(body, 'returnValidationInfo') ?? false;
  // Refused before the SAD is touched when this deployment has no revocation source.
  const revocation = deps.pades?.revocation;
  if (returnValidationInfo && revocation === undefined) throw invalidParameter('returnValidationInfo');
  const hasDigests = body['documentDigests'] !== undefined && body['documentDigests'] !== null;
  const hasDocuments = body['documents'] !== undefined && body['documents'] !== null;
  if (hasDigests && hasDocuments) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'Both documentDigests and documents parameters passed');
  }
  if (!hasDigests && !hasDocuments) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'Empty documentDigests and documents objects');
  }
  const maxDocuments = deps.limits?.maxDocuments ?? 20;
  const cert = await requireUsableCredential(deps, row, { consultCa: false });
  const binding = {
    userId: caller.info.userId,
    credentialId: row.id,
    clientId: caller.info.clientId,
    ...origin(ctx),
  };
  const notAuthorized = (err: unknown): unknown =>
    err instanceof SadError && err.code === 'ERR_SAD_HASH_NOT_AUTHORIZED'
      ? new CscError('ERR_CSC_INVALID_HASH', 'documentDigests or documents are not authorized by the SAD', { cause: err })
      : err;
  // Issue 16 §2: which of the credential's keys may sign (credential-keys.ts). signDoc builds the
  // signed attributes itself, signing-certificate-v2 naming the chosen key's certificate (ETSI EN
  // 319 122-1 §5.2.2.3), so without `signet_key` any available key signs, and on a token failure
  // the next one signs the request again with its own certificate.
  const choice = body['signet_key'] === undefined || body['signet_key'] === null ? ({ kind: 'any' } as const) : keyChoiceOf(body);
  const keys = await credentialKeyEntries(deps, row);
  const candidates = candidateKeys(keys, choice, deps.clock.now());
  const named = (entry: CredentialKeyEntry): Record<string, unknown> =>
    keys.length > 1 || choice.kind !== 'any'
      ? { signet_key: { serialNumber: entry.cert.serialHex.toUpperCase(), certificates: entry.cert.chain.map(toBase64) } }
      : {};
  // With an Idempotency-Key the key is chosen after the reservation: the log names the first candidate's certificate.
  const firstSerial = candidates[0] === undefined ? {} : { certificateSerial: candidates[0].cert.serialHex.toUpperCase() };
  // Consumes the SAD for `hashes` before `produce` runs any key operation: in one transaction, or
  // with an Idempotency-Key through the two-transaction protocol (idempotent-signing.ts, SAD-07).
  let chosen: ChosenKey | undefined;
  const authorizeAndSign = async (
    hashAlg: string,
    hashes: Uint8Array[],
    produceWith: (key: ChosenKey) => Promise<Record<string, unknown>>,
    prepareWith?: (key: ChosenKey) => Promise<void>,
  ): Promise<Record<string, unknown>> => {
    const reservation = { ...binding, hashAlgorithmOid: hashAlg, sad, hashes, ...firstSerial };
    // Issue 16: the key is found before the SAD is consumed (credential-key.ts).
    const prepare = async (): Promise<void> => {
      chosen?.release();
      chosen = await chooseCredentialKey(deps, row, candidates, hashes.length);
      await prepareWith?.(chosen);
    };
    const produce = async (): Promise<Record<string, unknown>> => {
      chosen ??= await chooseCredentialKey(deps, row, candidates, hashes.length);
      const { chosen: signer, result } = await signWithFailover(deps, row, chosen, candidates, hashes.length, choice.kind === 'any', produceWith);
      return { ...result, ...named(signer.entry) };
    };
    try {
      try {
        if (idempotencyKey !== undefined) {
          return await signIdempotently(deps, { key: idempotencyKey, operation: 'signatures/signDoc', body, reservation, prepare }, produce);
        }
        await prepare();
        // Issue 21: the transparency leaf names the certificate of the key chosen to sign.
        await deps.sads.consume({ ...reservation, ...(chosen === undefined ? {} : { certificateSerial: chosen.entry.cert.serialHex.toUpperCase() }) });
      } catch (err) {
        throw notAuthorized(err);
      }
      return await produce();
    } finally {
      chosen?.release();
    }
  };

  if (hasDocuments) {
    const entries = requiredObjectArray(body, 'documents', maxDocuments);
    const maxBytes = deps.limits?.maxDocumentBytes ?? 32 * 1024 * 1024;
    const docs = entries.map((entry) => {
      const text = requiredString(entry, 'document', Math.ceil((maxBytes * 4) / 3) + 4);
      const documentType = optionalString(entry, 'documentType', 8);
      if (documentType !== undefined && documentType !== 'sod') throw invalidParameter('documentType');
      return { bytes: decodeBase64(text, 'document'), pades: padesEntry(deps, entry, hashAlgorithmOid) };
    });
    // Issue 20: a document that is not a PDF is refused before the SAD is touched (ISO 32000-1
    // §7.5.2: the %PDF- header within the first 1024 bytes, the engine's ERR_PDF_NOT_PDF rule).
    docs.forEach((d, i) => {
      if (!Buffer.from(d.bytes.subarray(0, 1024)).includes('%PDF-')) {
        throw new CscError('ERR_CSC_INVALID_REQUEST', `Invalid parameter documents: document ${i + 1} is not a PDF file (no %PDF- header)`);
      }
    });
    // The authorised hash of a document is its digest under the signature's hash algorithm.
    const digest = (docs[0] as (typeof docs)[number]).pades.algorithm.digest;
    if (docs.some((d) => d.pades.algorithm.digest !== digest)) throw invalidParameter('signAlgo');
    if (docs.some((d) => d.pades.algorithm.keyType !== cert.keyType)) throw invalidParameter('signAlgo');
    const hashes = docs.map(
      (d) => new Uint8Array(createHash(digestAlgorithms[digest].nodeName).update(d.bytes).digest()),
    );
    // Issue 20 §1: phase one for every document with the chosen key's chain before the SAD is
    // consumed, so a document that cannot be signed is refused with nothing spent.
    let preparedFor: { readonly entry: CredentialKeyEntry; readonly documents: readonly PreparedDocument[] } | undefined;
    const prepareAll = async ({ key, entry }: ChosenKey): Promise<readonly PreparedDocument[]> => {
      const documents: PreparedDocument[] = [];
      for (const [i, d] of docs.entries()) {
        const signer = keySigner(key, entry.keyRef, entry.cert.chain, d.pades.algorithm);
        const options: PrepareOptions = {
          signingTime: deps.clock.now(),
          ...(d.pades.certify ? { certify: 2 as const } : {}),
          certificateChain: signer.certificateChain,
          signatureAlgorithm: signer.signatureAlgorithm,
          maxSignatureSize: signer.maxSignatureSize(),
        };
        const plan = await planLevel(levelOptions(deps, d.pades.level, entry.cert.chain), signer.signatureAlgorithm.digest);
        try {
          // In `signet serve` the parse runs on a worker thread with a heap limit and a deadline (issue 15).
          documents.push(deps.documents === undefined ? prepareSignature(d.bytes, options, plan) : await deps.documents.prepare(d.bytes, options, plan));
        } catch (err) {
          const code = documentErrorCode(err);
          if (code === undefined) throw err;
          const message = err instanceof Error ? err.message : String(err);
          throw new CscError('ERR_CSC_INVALID_REQUEST', `Invalid parameter documents: document ${i + 1} cannot be signed (${code}): ${message}`, { cause: err });
        }
      }
      preparedFor = { entry, documents };
      return documents;
    };
    const extension = deps.documents?.extension === undefined ? {} : { extension: deps.documents.extension };
    return authorizeAndSign(digestOid(digest), hashes, async (chosenKey) => {
      const { key, entry } = chosenKey;
      const { cert } = entry;
      // After a token failure another key signs: its own certificate goes into the documents.
      const prepared = preparedFor?.entry === entry ? preparedFor.documents : await prepareAll(chosenKey);
      const signed: Uint8Array[] = [];
      for (const [i, d] of docs.entries()) {
        const signer = keySigner(key, entry.keyRef, cert.chain, d.pades.algorithm);
        const document = prepared[i] as PreparedDocument;
        const signature = await signer.sign(document.signedAttributes);
        // B-LT/B-LTA: the signed document is parsed and written on the same workers as phase one.
        signed.push(await finishSignature(document, { kind: 'signature', signature }, { kind: 'memory' }, extension));
      }
      await audit(deps, ctx, binding, row.id, hashes, 'documents', docs.map((d) => d.pades.level));
      const response: Record<string, unknown> = { DocumentWithSignature: signed.map(toBase64) };
      if (returnValidationInfo && revocation !== undefined) {
        const info = new ValidationInfoBuilder(revocation, cert.chain);
        // The containers just embedded, read where they were placed: the signed PDFs are not parsed here.
        for (const [i, pdf] of signed.entries()) await info.addContainer(embeddedContainer(prepared[i] as PreparedDocument, pdf));
        response['validationInfo'] = info.result();
      }
      return response;
    }, async (chosenKey) => void (await prepareAll(chosenKey)));
  }

  const entries = requiredObjectArray(body, 'documentDigests', maxDocuments);
  const groups = entries.map((entry) => {
    const entryAlg = optionalString(entry, 'hashAlgorithmOID', 64) ?? hashAlgorithmOid;
    if (entryAlg === undefined) throw missingParameter('string', 'hashAlgorithmOID');
    digestFromOid(entryAlg, 'hashAlgorithmOID');
    const hashes = optionalHashes(entry, 'hashes', maxSadSignatures);
    if (hashes === undefined) throw missingParameter('array', 'hashes');
    const pades = padesEntry(deps, entry, entryAlg);
    // See the module header: B-LTA needs the whole PDF; B-LT is B-T plus validationInfo.
    if (pades.level === 'B-LTA') throw invalidParameter('conformance_level');
    if (pades.level === 'B-LT' && !returnValidationInfo) throw invalidParameter('returnValidationInfo');
    if (pades.algorithm.keyType !== cert.keyType) throw invalidParameter('signAlgo');
    if (hashes.some((h) => h.length !== digestAlgorithms[pades.algorithm.digest].length)) {
      throw new CscError('ERR_CSC_INVALID_REQUEST', 'Invalid digest value length');
    }
    return { hashes, pades };
  });
  const all = groups.flatMap((g) => g.hashes);
  const digest = (groups[0] as (typeof groups)[number]).pades.algorithm.digest;
  if (groups.some((g) => g.pades.algorithm.digest !== digest)) throw invalidParameter('hashAlgorithmOID');
  return authorizeAndSign(digestOid(digest), all, async ({ key, entry }) => {
    const { cert } = entry;
    const objects: Uint8Array[] = [];
    for (const g of groups) {
      const { timestamper } = levelOptions(deps, g.pades.level, cert.chain);
      const attributes = g.hashes.map((h) =>
        buildSignedAttributes({ messageDigest: h, digestAlgorithm: digest, signingCertificate: cert.chain[0] as Uint8Array }),
      );
      const dtbs = attributes.map(
        (a) => new Uint8Array(createHash(digestAlgorithms[g.pades.algorithm.digest].nodeName).update(a).digest()),
      );
      const signatures = await signDigests(key, row, cert, g.pades.algorithm, dtbs);
      for (const [i, a] of attributes.entries()) {
        const cms = buildSignedData({
          signedAttributes: a,
          signature: signatures[i] as Uint8Array,
          signatureAlgorithm: g.pades.algorithm,
          certificates: cert.chain,
        });
        // ETSI EN 319 122-1 §5.3: the signature-time-stamp is an unsigned attribute over the signature value.
        objects.push(g.pades.level === 'B-B' || timestamper === undefined ? cms : await addSignatureTimestamp(cms, timestamper));
      }
    }
    await audit(deps, ctx, binding, row.id, all, 'documentDigests', groups.map((g) => g.pades.level));
    const response: Record<string, unknown> = { SignatureObject: objects.map(toBase64) };
    if (returnValidationInfo && revocation !== undefined) {
      const info = new ValidationInfoBuilder(revocation, cert.chain);
      for (const cms of objects) await info.addContainer(cms);
      response['validationInfo'] = info.result();
    }
    return response;
  });
}

async function audit(
  deps: CscDeps,
  ctx: CscRequestContext,
  binding: { readonly userId: string; readonly clientId: string },
  credentialId: string,
  hashes: readonly Uint8Array[],
  input: string,
  levels: readonly string[],
): Promise<void> {
  await appendAuditNow(
    deps.store,
    {
      type: 'csc.signatures.signDoc',
      outcome: 'success',
      actorUserId: binding.userId,
      actorClientId: binding.clientId,
      subject: `credential:${credentialId}`,
      details: { hashes: hashes.map(toBase64), input, format: 'P', levels: [...levels] },
      ...origin(ctx),
    },
    deps.audit,
  );
}
