/**
 * Signature Activation Data (CSC API v2 credentials/authorize, EN 419 241-1 SCAL2): issue a random
 * 256-bit SAD bound to user, credential, client, hash algorithm and the exact hashes, and consume
 * it in ONE transaction with row-count-checked conditional UPDATEs (INV-1, INV-2).
 */
import type { Clock } from '../core/clock.js';
import { toHex } from '../core/bytes.js';
import { digestByOid } from '../cms/index.js';
import {
  consumeSadHashes,
  countListedSadHashes,
  findCredential,
  findSad,
  findSadForUse,
  findUserById,
  insertBatchReceipts,
  insertLogLeaves,
  insertSad,
  listSadBatchReceipts,
  revokeSadRow,
  type Db,
  type SadForUse,
  type SadRow,
  type Store,
} from '../store/index.js';
import { appendAudit, appendAuditNow, type AuditContext } from '../audit/index.js';
import {
  batchRoot,
  isBatchMember,
  signReceipt,
  signatureLeafRows,
  type BatchProof,
  type Receipt,
  type ReceiptSigner,
} from '../transparency/index.js';
import { SadError } from './errors.js';
import { SadBatchTrees } from './sad-batch-trees.js';
import { checkSadBinding } from './sad-checks.js';
import { generateOpaqueToken, hashOpaqueToken } from './opaque-token.js';
import { extendSadTransaction, type ExtendedSad, type ExtendSadRequest } from './sad-extension.js';

/** Upper bound on numSignatures and on hashes per SAD (INV-7; CSC leaves it to the RSSP). */
export const maxSadSignatures = 1000;

/** SHA-256 of a SAD token: the only form stored (docs/security.md SAD-20, OA-20). */
export function hashSadToken(sad: string): Uint8Array {
  return hashOpaqueToken(sad);
}

/** Where a request came from, for the audit entry. */
export interface RequestOrigin {
  readonly sourceAddress?: string;
  readonly traceId?: string;
}

/** What a SAD binds. */
export interface SadBinding {
  readonly userId: string;
  readonly credentialId: string;
  readonly clientId: string;
  /** The digest algorithm OID of the hashes (CSC `hashAlgorithmOID`). */
  readonly hashAlgorithmOid: string;
}

/** A request to issue a SAD after the user's strong authentication. */
export interface IssueSadRequest extends SadBinding, RequestOrigin {
  /** The exact DTBS/R hashes (CSC `hashes`), each of the algorithm's length, no duplicates. */
  readonly hashes: readonly Uint8Array[];
  /** CSC `numSignatures`: ≥ the number of hashes, ≤ maxSadSignatures. */
  readonly numSignatures: number;
  /** Lifetime in seconds (CSC leaves it to the RSSP; minutes at most). */
  readonly lifetimeSeconds: number;
}

/** The issued SAD: the token is returned once and never stored. */
export interface IssuedSad {
  readonly sad: string;
  readonly expiresAt: Date;
}

/** A request to consume a SAD for some of its hashes (CSC signatures/signHash). */
export interface ConsumeSadRequest extends SadBinding, RequestOrigin {
  readonly sad: string;
  readonly hashes: readonly Uint8Array[];
  /**
   * Issue 21: each hash's inclusion proof against the batch root the SAD binds, aligned with
   * `hashes` (signHash's `signet_batchProofs`); required past `exactListMax`.
   */
  readonly proofs?: readonly BatchProof[];
  /** Upper-case hex serial of the certificate of the key about to sign: recorded in the transparency log. */
  readonly certificateSerial?: string;
}

/** What a consumption answers: the remaining count and, under a batch root, a receipt per hash. */
export interface ConsumedSad {
  readonly remaining: number;
  /** Aligned with the request's `hashes`; absent when the SAD binds no root or no key signs receipts. */
  readonly receipts?: readonly Receipt[];
}

/** A SAD whose hashes a transaction reserved (or re-checked): what idempotent signing records. */
export interface ReservedSad {
  /** SHA-256 of the SAD token. */
  readonly idHash: Uint8Array;
  /** Expiry, epoch ms. */
  readonly expiresAt: number;
  /** The receipts of the reserved hashes (aligned with the request's `hashes`), when issued. */
  readonly receipts?: readonly Receipt[];
}

/** The stored receipts of `hashes` under one SAD, in their order; undefined when one is missing. */
async function storedReceipts(trx: Db, sadId: Uint8Array, hashes: readonly Uint8Array[]): Promise<Receipt[] | undefined> {
  const byHash = new Map((await listSadBatchReceipts(trx, sadId)).map((r) => [toHex(r.hash), r.receipt]));
  const texts = hashes.map((h) => byHash.get(toHex(h)));
  return texts.every((t) => t !== undefined) ? texts.map((t) => JSON.parse(t as string) as Receipt) : undefined;
}

/** The receipt key as a consumption finds it (opened before its transaction). */
type ReadyReceiptKey =
  | { readonly kind: 'none' }
  | { readonly kind: 'ready'; readonly signer: ReceiptSigner }
  | { readonly kind: 'failed'; readonly error: unknown };

/** The SAD service: issue, consume, extend, revoke. State lives in the database only. */
export interface SadServiceOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  /** Longest lifetime a SAD may be given or extended to, in seconds (default 600). */
  readonly maxLifetimeSeconds?: number;
  /**
   * Opens the key that signs a receipt for every hash consumed under a batch root (issue 21: the
   * transparency log's key); absent, none are made. Called before each consuming transaction.
   */
  readonly receiptKey?: () => Promise<ReceiptSigner>;
  /**
   * Whether each consumption queues its signatures' transparency-log leaves (default true). Only
   * bench/transparency.bench.ts turns it off, to measure what the log costs a signHash; no
   * configuration or environment variable reaches it.
   */
  readonly signatureLog?: boolean;
  /**
   * Largest approved batch whose hashes may be named without their inclusion proof (the exact
   * list, as before issue 21); past it signHash must send `signet_batchProofs`. Default
   * `maxSadSignatures` (proofs always optional). SIGNET_BATCH_EXACT_LIST_MAX.
   */
  readonly exactListMax?: number;
}

function checkHashes(hashes: readonly Uint8Array[], hashAlgorithmOid: string): void {
  const digest = digestByOid(hashAlgorithmOid);
  if (digest === undefined) {
    throw new SadError('ERR_SAD_ALGORITHM', 'the hash algorithm is not supported');
  }
  if (hashes.length === 0 || hashes.length > maxSadSignatures) {
    throw new SadError(
      'ERR_SAD_HASH_INVALID',
      `between 1 and ${maxSadSignatures} hashes are required`,
    );
  }
  const seen = new Set<string>();
  for (const h of hashes) {
    if (h.length !== digest.length) {
      throw new SadError(
        'ERR_SAD_HASH_INVALID',
        `a hash has ${h.length} bytes; ${digest.name} hashes have ${digest.length}`,
      );
    }
    const hex = toHex(h);
    if (seen.has(hex))
      throw new SadError('ERR_SAD_HASH_INVALID', 'the hash list contains duplicates');
    seen.add(hex);
  }
}

/** The use-time checks of a SAD row (docs/security.md SAD-08…16); throws the refusal. */
function checkSadForUse(
  row: SadForUse | undefined,
  request: SadBinding,
  now: number,
): asserts row is SadForUse {
  checkSadBinding(row, request, now);
  // docs/security.md SAD-16: a revocation record at the built-in CA (any node, any path: RFC 5280
  // §5.3.1 revocation takes effect at once) stops signing, whatever the node clocks say.
  if (row.certificate_revoked_at !== null) {
    throw new SadError('ERR_SAD_CERTIFICATE_REVOKED', 'the credential certificate is revoked');
  }
  // docs/security.md SAD-16: the credential and its owner must still be in good standing at use time.
  if (row.credential_status !== 'active' || row.credential_locked !== 0 || row.user_status !== 'active') {
    throw new SadError('ERR_SAD_CREDENTIAL_UNUSABLE', 'the credential cannot sign at present');
  }
}

/**
 * Issue 21: inclusion proofs, when sent, must each lead from their hash to the SAD's batch root
 * (RFC 9162 §2.1.3.2); past `exactListMax` approved hashes they are required. Refusals consume nothing.
 */
function checkBatchProofs(row: SadRow, request: ConsumeSadRequest, exactListMax: number): void {
  const proofs = request.proofs;
  if (proofs === undefined) {
    if (row.batch_size != null && row.batch_size > exactListMax) {
      throw new SadError(
        'ERR_SAD_BATCH_PROOF_REQUIRED',
        `the approved batch holds ${row.batch_size} hashes; past ${exactListMax} each hash needs its inclusion proof`,
      );
    }
    return;
  }
  if (row.batch_root == null || row.batch_size == null) {
    throw new SadError('ERR_SAD_BATCH_PROOF', 'the SAD binds no batch root to prove against');
  }
  if (proofs.length !== request.hashes.length) {
    throw new SadError('ERR_SAD_BATCH_PROOF', 'one inclusion proof per hash is required');
  }
  for (let i = 0; i < proofs.length; i++) {
    const proof = proofs[i] as BatchProof;
    if (!isBatchMember(request.hashes[i] as Uint8Array, proof, row.batch_size, row.batch_root)) {
      throw new SadError(
        'ERR_SAD_BATCH_PROOF',
        `hash ${i} is not leaf ${proof.leafIndex} of the approved batch: its inclusion proof does not lead to the batch root`,
      );
    }
  }
}

/** Sorted copies, so concurrent consumers touch rows in the same order. */
function sortedHashes(hashes: readonly Uint8Array[]): Uint8Array[] {
  return [...hashes].sort((a, b) => Buffer.compare(a, b)).map((h) => new Uint8Array(h));
}

/**
 * The refusal when a SAD that passed its checks did not cover these hashes: a hash it does not
 * list, else one already signed or too few signatures left (read only on the refusal path).
 */
async function hashRefusal(trx: Db, idHash: Uint8Array, hashes: readonly Uint8Array[]): Promise<SadError> {
  return (await countListedSadHashes(trx, idHash, hashes)) !== hashes.length
    ? new SadError('ERR_SAD_HASH_NOT_AUTHORIZED', 'a hash is not authorised by the SAD')
    : new SadError('ERR_SAD_CONSUMED', 'the SAD does not authorise these signatures any more');
}

/**
 * Issues, consumes, extends and revokes SADs. Every success and every refusal is audited.
 *
 * @example
 * ```ts
 * const sads = new SadService({ store, clock: systemClock, audit });
 * const { sad } = await sads.issue({ userId, credentialId, clientId, hashAlgorithmOid, hashes, numSignatures: 2, lifetimeSeconds: 300 });
 * await sads.consume({ sad, userId, credentialId, clientId, hashAlgorithmOid, hashes });
 * ```
 */
export class SadService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #audit: AuditContext;
  readonly #maxLifetimeSeconds: number;
  readonly #receiptKey: (() => Promise<ReceiptSigner>) | undefined;
  readonly #exactListMax: number;
  readonly #batchTrees = new SadBatchTrees();
  readonly #signatureLog: boolean;

  constructor(options: SadServiceOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#audit = options.audit;
    this.#maxLifetimeSeconds = options.maxLifetimeSeconds ?? 600;
    this.#receiptKey = options.receiptKey;
    this.#exactListMax = options.exactListMax ?? maxSadSignatures;
    this.#signatureLog = options.signatureLog ?? true;
  }

  /** Issues a SAD. docs/security.md SAD-18: inconsistent requests are refused and nothing is stored. */
  async issue(request: IssueSadRequest): Promise<IssuedSad> {
    checkHashes(request.hashes, request.hashAlgorithmOid);
    const n = request.numSignatures;
    if (!Number.isSafeInteger(n) || n < request.hashes.length || n > maxSadSignatures) {
      throw new SadError(
        'ERR_SAD_REQUEST_INVALID',
        `numSignatures must be between the number of hashes and ${maxSadSignatures}`,
      );
    }
    const lifetime = request.lifetimeSeconds;
    if (!Number.isSafeInteger(lifetime) || lifetime < 1 || lifetime > this.#maxLifetimeSeconds) {
      throw new SadError(
        'ERR_SAD_REQUEST_INVALID',
        `the SAD lifetime must be between 1 and ${this.#maxLifetimeSeconds} seconds`,
      );
    }
    const { token: sad, hash: idHash } = generateOpaqueToken();
    const now = this.#clock.now().getTime();
    const expiresAt = now + lifetime * 1000;
    // Issue 21: the SAD binds the RFC 9162 root of the hashes in the order the person approved them.
    const root = batchRoot(request.hashes);
    const leafIndex = new Map(request.hashes.map((h, i) => [toHex(h), i]));
    await this.#store.transaction(async (trx) => {
      // INV-1, docs/security.md AC-02: only the owner's own, usable credential can be authorised; a
      // foreign credential is answered like an unknown one.
      const credential = await findCredential(trx, request.credentialId);
      if (credential === undefined || credential.user_id !== request.userId) {
        throw new SadError('ERR_SAD_BINDING', 'the credential is not available to this user');
      }
      const user = await findUserById(trx, request.userId);
      if (credential.status !== 'active' || credential.locked !== 0 || user?.status !== 'active') {
        throw new SadError('ERR_SAD_CREDENTIAL_UNUSABLE', 'the credential cannot sign at present');
      }
      await insertSad(
        trx,
        {
          id_hash: idHash,
          user_id: request.userId,
          credential_id: request.credentialId,
          client_id: request.clientId,
          hash_algorithm_oid: request.hashAlgorithmOid,
          num_signatures: n,
          remaining: n,
          expires_at: expiresAt,
          revoked: 0,
          created_at: now,
          batch_root: root,
          batch_size: request.hashes.length,
        },
        sortedHashes(request.hashes).map((hash) => ({ hash, leafIndex: leafIndex.get(toHex(hash)) as number })),
      );
      await appendAudit(
        trx,
        this.#event(request, 'sad.issue', 'success', {
          sadRef: sadRef(idHash),
          numSignatures: n,
          hashes: request.hashes.map(toBase64),
          batchRoot: toBase64(root),
        }),
        this.#audit,
      );
    });
    return { sad, expiresAt: new Date(expiresAt) };
  }

  /**
   * Consumes the SAD for `hashes` in one transaction: one conditional UPDATE of the SAD (binding,
   * expiry, revocation, credential and owner standing, remaining ≥ count) whose returned row
   * decides, then each hash marked used, its row count checked. Any failure rolls back everything
   * and is audited; on success the audit row commits with the consumption. Call BEFORE the key operation.
   */
  async consume(request: ConsumeSadRequest): Promise<ConsumedSad> {
    const key = await this.#readyReceiptKey();
    return this.#audited(request, async (trx, idHash, hashes, now) => {
      const { row, remaining } = await this.#consumeIn(trx, idHash, hashes, now, request);
      const receipts = await this.#receiptsIn(trx, row, request, now, key);
      // Issue 21: the receipts are stored with this entry, which names their root and signatures.
      await appendAudit(
        trx,
        this.#event(request, 'sad.consume', 'success', {
          sadRef: sadRef(row.id_hash),
          hashes: hashes.map(toBase64),
          ...(receipts === undefined
            ? {}
            : { batchRoot: toBase64(row.batch_root as Uint8Array), receipts: receipts.map((r) => r.signature) }),
        }),
        this.#audit,
      );
      return receipts === undefined ? { remaining } : { remaining, receipts };
    });
  }

  /**
   * Like `consume`, but instead of the `sad.consume` entry runs `within` in the same transaction
   * (which must write its own audit entry): the reservation and what records it commit together.
   * Used by idempotent signing, which inserts its request row there (docs/security.md §3.10).
   */
  async reserve<T>(request: ConsumeSadRequest, within: (trx: Db, sad: ReservedSad) => Promise<T>): Promise<T> {
    const key = await this.#readyReceiptKey();
    return this.#audited(request, async (trx, idHash, hashes, now) => {
      const { row } = await this.#consumeIn(trx, idHash, hashes, now, request);
      const receipts = await this.#receiptsIn(trx, row, request, now, key);
      return within(trx, {
        idHash: row.id_hash,
        expiresAt: row.expires_at,
        ...(receipts === undefined ? {} : { receipts }),
      });
    });
  }

  /**
   * Re-checks a SAD whose hashes an earlier attempt already reserved (binding, expiry, revocation,
   * credential and owner standing: INV-1 holds at every key operation) WITHOUT consuming anything,
   * and runs `within` in the same transaction. The caller proves the reservation is its own.
   * The receipts are the ones the reservation stored (issue 21: a retry answers the same ones).
   */
  async recheck<T>(request: ConsumeSadRequest, within: (trx: Db, sad: ReservedSad) => Promise<T>): Promise<T> {
    return this.#audited(request, async (trx, idHash, _hashes, now) => {
      const row = await findSadForUse(trx, idHash);
      checkSadForUse(row, request, now);
      checkBatchProofs(row, request, this.#exactListMax);
      const receipts = row.batch_root == null ? undefined : await storedReceipts(trx, row.id_hash, request.hashes);
      return within(trx, { idHash: row.id_hash, expiresAt: row.expires_at, ...(receipts === undefined ? {} : { receipts }) });
    });
  }

  /** Checks the request's hashes, runs `use` in a transaction, and audits a refusal (sad.consume failure). */
  async #audited<T>(
    request: ConsumeSadRequest,
    use: (trx: Db, idHash: Uint8Array, hashes: Uint8Array[], now: number) => Promise<T>,
  ): Promise<T> {
    const idHash = hashSadToken(request.sad);
    try {
      checkHashes(request.hashes, request.hashAlgorithmOid);
      const hashes = sortedHashes(request.hashes);
      return await this.#store.transaction(async (trx) => use(trx, idHash, hashes, this.#clock.now().getTime()));
    } catch (err) {
      if (err instanceof SadError) {
        await appendAuditNow(
          this.#store,
          this.#event(request, 'sad.consume', 'failure', {
            sadRef: sadRef(idHash),
            error: err.code,
          }),
          this.#audit,
        );
      }
      throw err;
    }
  }

  /**
   * INV-2: `remaining -= count` by one conditional UPDATE that also holds every use-time check of
   * the SAD (sads-repository.ts consumeSadHashes; the returned row decides, never an earlier
   * read), every hash marked used with its row count checked, and the batch proofs checked against
   * the returned row; any refusal throws and rolls the transaction back. Then one
   * transparency-log leaf per hash in the same transaction (issue 21: no signature without its
   * leaf), on PostgreSQL in the consuming statement for one hash.
   */
  async #consumeIn(
    trx: Db,
    idHash: Uint8Array,
    hashes: Uint8Array[],
    now: number,
    request: ConsumeSadRequest,
  ): Promise<{ readonly row: SadRow; readonly remaining: number }> {
    const use = {
      idHash,
      userId: request.userId,
      credentialId: request.credentialId,
      clientId: request.clientId,
      hashAlgorithmOid: request.hashAlgorithmOid,
      now,
    };
    // Issue 21: one transparency-log leaf per hash in the same transaction (no signature without
    // its leaf); a one-hash call on PostgreSQL queues it in the consuming statement itself.
    const leaves = this.#signatureLog
      ? signatureLeafRows({
          userId: request.userId,
          credentialId: request.credentialId,
          certificateSerial: request.certificateSerial ?? '',
          hashAlgorithmOid: request.hashAlgorithmOid,
          // In the request's order (the signatures' order), not the sorted one.
          hashes: request.hashes,
          signedAt: now,
          clientId: request.clientId,
          sadIdHash: idHash,
          ...(request.traceId !== undefined ? { traceId: request.traceId } : {}),
        })
      : [];
    const consumed = await consumeSadHashes(trx, use, hashes, leaves.length === 1 ? leaves[0] : undefined);
    if (consumed === undefined) throw await this.#refusal(trx, idHash, hashes, now, request);
    const row = consumed.row;
    checkBatchProofs(row, request, this.#exactListMax);
    if (consumed.marked !== hashes.length) throw await hashRefusal(trx, idHash, hashes);
    if (leaves.length > 0 && !consumed.leafQueued) await insertLogLeaves(trx, leaves);
    return { row, remaining: row.remaining };
  }

  /**
   * Why the consuming UPDATE matched no row, read only on that path and in the same transaction:
   * the use-time checks on the SAD as it stands (the same refusals, in the same order, as before
   * the read and the UPDATE were one statement), then the proofs, then the hashes. Whatever it
   * finds, the request is refused: the UPDATE decided (INV-2).
   */
  async #refusal(trx: Db, idHash: Uint8Array, hashes: Uint8Array[], now: number, request: ConsumeSadRequest): Promise<SadError> {
    const row = await findSadForUse(trx, idHash);
    checkSadForUse(row, request, now);
    checkBatchProofs(row, request, this.#exactListMax);
    return hashRefusal(trx, idHash, hashes);
  }

  /**
   * The receipt key made ready before the transaction (its keystore may live in this very
   * database). A key that cannot be opened matters only to a SAD with a batch root.
   */
  async #readyReceiptKey(): Promise<ReadyReceiptKey> {
    if (this.#receiptKey === undefined) return { kind: 'none' };
    try {
      return { kind: 'ready', signer: await this.#receiptKey() };
    } catch (error) {
      return { kind: 'failed', error };
    }
  }

  /**
   * Issue 21: signs and stores a receipt for each hash of the request when the SAD binds a batch
   * root, in the consuming transaction (so a receipt exists exactly when its hash was consumed).
   * The proofs come from the request when it sent them (already verified), else from the stored
   * approved order.
   */
  async #receiptsIn(
    trx: Db,
    row: SadRow,
    request: ConsumeSadRequest,
    now: number,
    ready: ReadyReceiptKey,
  ): Promise<Receipt[] | undefined> {
    if (ready.kind === 'none' || row.batch_root == null || row.batch_size == null) return undefined;
    if (ready.kind === 'failed') throw ready.error;
    const key = ready.signer;
    const root = row.batch_root;
    const size = row.batch_size;
    let proofs: readonly BatchProof[];
    if (request.proofs !== undefined) {
      proofs = request.proofs;
    } else {
      // The approved order's tree, read once per SAD (sad-batch-trees.ts), not once per call.
      proofs = await this.#batchTrees.proofs(trx, row.id_hash, root, request.hashes);
    }
    const signedAt = new Date(now);
    const receipts = await Promise.all(request.hashes.map((hash, i) =>
      signReceipt(key, {
        hash,
        hashAlgorithmOid: row.hash_algorithm_oid,
        proof: proofs[i] as BatchProof,
        batchSize: size,
        batchRoot: root,
        sadId: row.id_hash,
        credentialId: row.credential_id,
        signedAt,
      }),
    ));
    await insertBatchReceipts(
      trx,
      receipts.map((receipt, i) => ({
        sad_id: row.id_hash,
        leaf_index: (proofs[i] as BatchProof).leafIndex,
        user_id: row.user_id,
        credential_id: row.credential_id,
        hash: new Uint8Array(request.hashes[i] as Uint8Array),
        receipt: JSON.stringify(receipt),
        created_at: now,
      })),
    );
    return receipts;
  }

  /**
   * CSC credentials/extendTransaction: retires this SAD and returns a NEW one for the next hashes
   * of the same transaction, inheriting the remaining count, the binding, the original
   * authorisation time and its expiry ceiling (sad-extension.ts states the rules).
   */
  async extend(request: ExtendSadRequest): Promise<ExtendedSad> {
    return extendSadTransaction(
      {
        store: this.#store,
        clock: this.#clock,
        audit: this.#audit,
        maxLifetimeSeconds: this.#maxLifetimeSeconds,
      },
      request,
    );
  }

  /** Revokes a SAD (CSC auth/revoke, oauth2/revoke). Unknown or foreign SADs are ignored silently (RFC 7009 §2.2). */
  async revoke(
    request: { readonly sad: string; readonly userId: string } & RequestOrigin,
  ): Promise<void> {
    const idHash = hashSadToken(request.sad);
    await this.#store.transaction(async (trx) => {
      const row = await findSad(trx, idHash);
      if (row === undefined || row.user_id !== request.userId) return;
      if (await revokeSadRow(trx, idHash)) {
        await appendAudit(
          trx,
          {
            type: 'sad.revoke',
            outcome: 'success',
            actorUserId: request.userId,
            subject: `credential:${row.credential_id}`,
            details: { sadRef: sadRef(idHash) },
            ...origin(request),
          },
          this.#audit,
        );
      }
    });
  }

  #event(
    request: SadBinding & RequestOrigin,
    type: string,
    outcome: 'success' | 'failure',
    details: { readonly [key: string]: string | number | readonly string[] },
  ) {
    return {
      type,
      outcome,
      actorUserId: request.userId,
      actorClientId: request.clientId,
      subject: `credential:${request.credentialId}`,
      details,
      ...origin(request),
    } as const;
  }
}

function origin(request: RequestOrigin): { sourceAddress?: string; traceId?: string } {
  return {
    ...(request.sourceAddress === undefined ? {} : { sourceAddress: request.sourceAddress }),
    ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
  };
}

/** Hashes are audited in base64, as CSC clients send them. */
function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** A non-secret reference to a SAD for the audit log: a prefix of the stored hash, never the token. */
function sadRef(idHash: Uint8Array): string {
  return toHex(idHash.subarray(0, 8));
}
