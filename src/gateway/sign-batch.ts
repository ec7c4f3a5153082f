/**
 * Batch signing through a CSC provider (the Gateway of docs/architecture.md): prepare every PDF
 * (phase one), authorize the whole set of DTBS/R hashes once (CSC v2 §8.2, SCAL 2 binds the
 * SAD to them; split only where the credential's `multisign` demands it), sign them with
 * `signatures/signHash` in chunks (§11.10), then finish each document (pades' one phase two) and deliver it.
 * From B-T on, the documents of a chunk are finished a few at a time so their time-stamp requests
 * overlap, and from B-LT on each certificate's validation data is fetched once for the batch.
 * A failing document is reported and the others go on; memory stays bounded because prepared
 * documents are spooled to disk next to their destination.
 */
import { randomUUID } from 'node:crypto';
import { monotonicMs, type Clock } from '../core/clock.js';
import { isSignetError } from '../core/errors.js';
import { digestAlgorithms } from '../cms/index.js';
import { planLevel, type LevelOptions } from '../pades/index.js';
import { checkRemoteSignature, normalizeSignatureValue, type CscClient, type RemoteCredential } from '../csc/client/index.js';
import { revocationSourceForBatch } from '../pki/index.js';
import type { HashAuthorization, HashAuthorizer } from './authorizer.js';
import { GatewayError } from './errors.js';
import { finishDocument, releaseDocument, spoolDocument, type SpoolBudget, type SpooledDocument } from './spooled-document.js';
import type { BatchDocument, BatchProgress, BatchResult, BatchStage, DocumentResult, DocumentSignOptions } from './types.js';

/** Options of {@link signBatch}. */
export interface BatchSigningOptions {
  readonly client: CscClient;
  readonly credential: RemoteCredential;
  readonly authorize: HashAuthorizer;
  /** Source of each document's signing time (taken just before it is prepared). */
  readonly clock: Clock;
  /**
   * PAdES options for every document (a document's own options override them), including the
   * level (ETSI EN 319 142-1 §6) with its timestamper (B-T) and revocation source (B-LT).
   */
  readonly options?: DocumentSignOptions;
  /** Hashes per signHash call (default 50: smaller chunks let embedding overlap the provider's signing). */
  readonly hashesPerCall?: number;
  /**
   * Signatures per authorization (default: the credential's `multisign`, at most 1000 — the most
   * hashes Signet's RSSP binds to one SAD; ceiling: `multisign`).
   */
  readonly signaturesPerAuthorization?: number;
  /** signHash calls in flight at once (default 2). */
  readonly concurrency?: number;
  /**
   * Documents finished at once per signHash call in flight (default 4; at most `concurrency` ×
   * this in all): their signature-time-stamp, validation-data and document-timestamp requests
   * overlap instead of waiting for each other, and while they are finished the next chunks are signed.
   */
  readonly finishConcurrency?: number;
  /**
   * Check each returned signature with the certificate before embedding it (default true): a
   * wrong signature fails its document instead of producing an invalid PDF.
   */
  readonly verifySignatures?: boolean;
  readonly onProgress?: (progress: BatchProgress) => void;
  /**
   * Bytes of prepared documents held in memory between the phases (default 64 MiB); documents
   * beyond it, or larger than 4 MiB, wait in a temporary file next to their destination.
   */
  readonly memoryBudgetBytes?: number;
}

function failure(id: string, stage: BatchStage, error: unknown): DocumentResult {
  const code = isSignetError(error) ? error.code : 'ERR_GATEWAY_NOT_SIGNED';
  const message = error instanceof Error ? error.message : String(error);
  return { id, ok: false, stage, code, message, error };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

/**
 * Runs the tasks given to it, at most `concurrency` at once, in the order given; `drained()`
 * resolves when every task given so far has ended. Tasks handle their own failures.
 */
function boundedRunner(concurrency: number): { run(task: () => Promise<void>): void; drained(): Promise<void> } {
  const waiting: (() => Promise<void>)[] = [];
  let running = 0;
  let idle: (() => void) | undefined;
  const next = (): void => {
    while (running < concurrency && waiting.length > 0) {
      const task = waiting.shift() as () => Promise<void>;
      running++;
      void task().finally(() => {
        running--;
        next();
      });
    }
    if (running === 0 && waiting.length === 0) idle?.();
  };
  return {
    run(task) {
      waiting.push(task);
      next();
    },
    drained: () =>
      running === 0 && waiting.length === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            idle = resolve;
          }),
  };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new GatewayError('ERR_GATEWAY_USAGE', `${name} must be a positive integer`);
  return v;
}

/**
 * Signs `documents` with one remote credential. Never throws for a document's failure: each
 * outcome is in `results` (input order). Throws only for misuse (bad options).
 *
 * @example
 * ```ts
 * const credential = await loadRemoteCredential(client, credentialID);
 * const result = await signBatch(
 *   files.map((f) => ({ id: f, source: { kind: 'file', path: f }, sink: { kind: 'file', path: `out/${f}` } })),
 *   { client, credential, clock: systemClock, authorize: explicitAuthorizer(client, credential, () => ({ pin, otp })) },
 * );
 * ```
 */
export async function signBatch(documents: readonly BatchDocument[], options: BatchSigningOptions): Promise<BatchResult> {
  const started = monotonicMs();
  const { client, credential } = options;
  const hashesPerCall = positive(options.hashesPerCall, 50, 'hashesPerCall');
  const perAuthorization = Math.min(positive(options.signaturesPerAuthorization, Math.min(credential.multisign, 1000), 'signaturesPerAuthorization'), credential.multisign);
  const concurrency = positive(options.concurrency, 2, 'concurrency');
  const finishConcurrency = positive(options.finishConcurrency, 4, 'finishConcurrency');
  const verifySignatures = options.verifySignatures ?? true;
  const total = documents.length;
  const budget: SpoolBudget = { remaining: options.memoryBudgetBytes ?? 64 * 1024 * 1024, perDocument: 4 * 1024 * 1024 };
  const results = new Array<DocumentResult | undefined>(total);
  let finished = 0;
  const progress = (event: BatchProgress['event'], id: string): void => options.onProgress?.({ event, id, finished, total });
  const settle = (index: number, result: DocumentResult): void => {
    results[index] = result;
    finished++;
    progress(result.ok ? 'signed' : 'failed', result.id);
  };

  // Phase one: prepare and spool every document.
  const { signatureAlgorithm } = credential.algorithm;
  const given: LevelOptions = options.options ?? {};
  // Issue 19: the validation data of B-LT/B-LTA is fetched once per certificate for the whole
  // batch (the signer's, its CA's and the TSA's are the same for every document).
  const levelOptions: LevelOptions = given.revocation === undefined ? given : { ...given, revocation: revocationSourceForBatch(given.revocation) };
  // One plan for the batch: the level with its sources, and the room in /Contents for the
  // signature-time-stamp token (B-T and above), measured once.
  const plan = await planLevel(levelOptions, signatureAlgorithm.digest);
  const byHash = new Map<string, { index: number; spooled: SpooledDocument }[]>();
  for (const [index, document] of documents.entries()) {
    try {
      const spooled = spoolDocument(
        document,
        {
          ...options.options,
          ...document.options,
          signingTime: options.clock.now(),
          reserveBytes: options.options?.reserveBytes ?? 0,
          certificateChain: credential.certificateChain,
          signatureAlgorithm,
          maxSignatureSize: credential.key.maxSignatureSize,
        },
        plan,
        budget,
      );
      // Identical DTBS (identical inputs at the same second) are signed once and share the value.
      const same = byHash.get(spooled.hash);
      if (same) same.push({ index, spooled });
      else byHash.set(spooled.hash, [{ index, spooled }]);
      progress('prepared', document.id);
    } catch (error) {
      settle(index, failure(document.id, 'prepare', error));
    }
  }
  const prepareMs = monotonicMs() - started;

  // Phase two: authorize per group of ≤ multisign hashes, signHash in chunks, embed as they come.
  const hashes = [...byHash.keys()];
  const hashAlgorithmOID = digestAlgorithms[signatureAlgorithm.digest].oid;
  const { signAlgo, signAlgoParams } = credential.algorithm;
  let authorizations = 0;
  let signHashCalls = 0;
  const failAll = (list: readonly string[], stage: BatchStage, error: unknown): void => {
    for (const h of list) {
      for (const { index, spooled } of byHash.get(h) ?? []) {
        releaseDocument(spooled, budget);
        settle(index, failure(spooled.document.id, stage, error));
      }
    }
  };
  const embed = async (hash: string, value: Uint8Array): Promise<void> => {
    for (const { index, spooled } of byHash.get(hash) ?? []) {
      try {
        const signature = verifySignatures
          ? checkRemoteSignature(credential, spooled.prepared.signedAttributes, value)
          : normalizeSignatureValue(value, credential.key);
        await finishDocument(spooled, { kind: 'signature', signature });
        if (spooled.spool.kind === 'memory') budget.remaining += spooled.spool.charged;
        settle(index, { id: spooled.document.id, ok: true });
      } catch (error) {
        releaseDocument(spooled, budget);
        settle(index, failure(spooled.document.id, 'embed', error));
      }
    }
  };

  // Issue 19: the documents of a chunk are finished while the provider signs the next chunks — a
  // signHash lane that waited for its chunk's documents left the provider idle about half the
  // time (bench/csc: the RSSP's signing thread idle 1.0 s of a 2.3 s batch). As many documents
  // are finished at once as the lanes finished before (`concurrency` × `finishConcurrency`), in
  // the order signed.
  const finishing = boundedRunner(concurrency * finishConcurrency);
  const groups = chunk(hashes, perAuthorization);
  for (const [g, group] of groups.entries()) {
    let authorization: HashAuthorization;
    try {
      authorizations++;
      authorization = await options.authorize({ credentialID: credential.credentialID, hashes: group, hashAlgorithmOID, numSignatures: group.length });
    } catch (error) {
      // Stop here: retrying with the same secrets could lock the credential (CSC v2 §11.6).
      failAll(groups.slice(g).flat(), 'authorize', error);
      break;
    }
    const sad = typeof authorization === 'string' ? authorization : undefined;
    const signer = typeof authorization === 'object' ? client.withAccessToken(authorization.accessToken) : client;
    await runPool(chunk(group, hashesPerCall), concurrency, async (part) => {
      let signatures: readonly string[];
      try {
        signHashCalls++;
        ({ signatures } = await signer.signHash({
          credentialID: credential.credentialID,
          ...(sad === undefined ? {} : { SAD: sad }),
          hashes: part,
          signAlgo,
          // CSC v2 §11.10: hashAlgorithmOID only where signAlgo does not imply the digest.
          ...(credential.algorithm.hashAlgorithmOID === undefined ? {} : { hashAlgorithmOID }),
          ...(signAlgoParams === undefined ? {} : { signAlgoParams }),
          // A fresh key per call: a response lost on the way back is fetched again by the
          // client's one retry instead of spending the SAD (docs/security.md SAD-07).
        }, { idempotencyKey: randomUUID() }));
      } catch (error) {
        failAll(part, 'sign', error);
        return;
      }
      part.forEach((hash, i) => {
        const value = signatures[i];
        if (value === undefined) finishing.run(async () => failAll([hash], 'sign', new GatewayError('ERR_GATEWAY_NOT_SIGNED', 'the provider returned no signature for it')));
        else finishing.run(() => embed(hash, new Uint8Array(Buffer.from(value, 'base64'))));
      });
    });
  }
  await finishing.drained();

  const done = results.map((r, i) => r ?? failure(documents[i]?.id ?? String(i), 'sign', new GatewayError('ERR_GATEWAY_NOT_SIGNED', 'not signed')));
  const signed = done.filter((r) => r.ok).length;
  return {
    results: done,
    signed,
    failed: done.length - signed,
    authorizations,
    signHashCalls,
    timings: { prepareMs, signMs: monotonicMs() - started - prepareMs, totalMs: monotonicMs() - started },
  };
}
