/**
 * SAD rows and the conditional UPDATEs that consume them (INV-2): each UPDATE re-checks its
 * WHERE clause on the locked row, so the returned row counts decide, never an earlier read.
 */
import type { UpdateQueryBuilder, UpdateResult } from 'kysely';
import { isPostgres, preparedQuery } from './prepared-query.js';
import type { Db } from './store.js';
import type { Database, SadsTable } from './schema.js';
import type { NewLogLeaf } from './transparency-log-repository.js';

/** A stored SAD (its id is the SHA-256 of the token). */
export type SadRow = Readonly<SadsTable>;

/** A hash a SAD authorises, with its place in the approved batch order when the SAD has a root. */
export interface SadHashEntry {
  readonly hash: Uint8Array;
  readonly leafIndex?: number;
}

/** Inserts a SAD and the exact hashes it authorises. */
export async function insertSad(
  trx: Db,
  sad: SadRow,
  hashes: readonly (Uint8Array | SadHashEntry)[],
): Promise<void> {
  await trx.insertInto('sads').values(sad).execute();
  if (hashes.length > 0) {
    await trx
      .insertInto('sad_hashes')
      .values(
        hashes.map((h) => {
          const e: SadHashEntry = h instanceof Uint8Array ? { hash: h } : h;
          return {
            sad_id: sad.id_hash,
            hash: e.hash,
            used: 0 as const,
            ...(e.leafIndex === undefined ? {} : { leaf_index: e.leafIndex }),
          };
        }),
      )
      .execute();
  }
}

/** The hashes of a SAD with a batch root, in the approved order (leaf index 0 first). */
export async function listSadLeaves(db: Db, idHash: Uint8Array): Promise<Uint8Array[]> {
  const rows = await db
    .selectFrom('sad_hashes')
    .select(['hash', 'leaf_index'])
    .where('sad_id', '=', idHash)
    .where('leaf_index', 'is not', null)
    .orderBy('leaf_index')
    .execute();
  return rows.map((r) => new Uint8Array(r.hash));
}

/** Reads a SAD by the hash of its token. */
export async function findSad(db: Db, idHash: Uint8Array): Promise<SadRow | undefined> {
  const row = await db
    .selectFrom('sads')
    .selectAll()
    .where('id_hash', '=', idHash)
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : {
        ...row,
        id_hash: new Uint8Array(row.id_hash),
        expires_at: Number(row.expires_at),
        created_at: Number(row.created_at),
      };
}

/** A SAD with the standing of its credential and owner, read in one query at use time. */
export interface SadForUse extends SadRow {
  readonly credential_status: string | null;
  readonly credential_locked: number | null;
  readonly user_status: string | null;
  /** When the built-in CA revoked the credential's certificate (epoch ms), or null. */
  readonly certificate_revoked_at: number | null;
}

const selectSadForUse = preparedQuery((db: Db, idHash: Uint8Array) =>
  db
    .selectFrom('sads')
    .leftJoin('credentials', 'credentials.id', 'sads.credential_id')
    .leftJoin('users', 'users.id', 'sads.user_id')
    .leftJoin('ca_certificates', 'ca_certificates.serial_hex', 'credentials.certificate_serial')
    .selectAll('sads')
    .select([
      'credentials.status as credential_status',
      'credentials.locked as credential_locked',
      'users.status as user_status',
      'ca_certificates.revoked_at as certificate_revoked_at',
    ])
    .where('sads.id_hash', '=', idHash),
);

/**
 * Reads a SAD joined with its credential's and user's current state and the CA's revocation of the
 * credential's certificate (docs/security.md SAD-16), in one query: every join is on a primary key.
 */
export async function findSadForUse(db: Db, idHash: Uint8Array): Promise<SadForUse | undefined> {
  const row = (await selectSadForUse(db, idHash)).rows[0];
  return row === undefined
    ? undefined
    : {
        ...row,
        id_hash: new Uint8Array(row.id_hash),
        expires_at: Number(row.expires_at),
        created_at: Number(row.created_at),
        batch_root: row.batch_root == null ? null : new Uint8Array(row.batch_root),
        batch_size: row.batch_size == null ? null : Number(row.batch_size),
        credential_locked: row.credential_locked === null ? null : Number(row.credential_locked),
        certificate_revoked_at:
          row.certificate_revoked_at === null ? null : Number(row.certificate_revoked_at),
      };
}

/** How many of `hashes` the SAD lists (used or not). */
export async function countListedSadHashes(
  db: Db,
  idHash: Uint8Array,
  hashes: readonly Uint8Array[],
): Promise<number> {
  if (hashes.length === 0) return 0;
  const rows = await db
    .selectFrom('sad_hashes')
    .select('hash')
    .where('sad_id', '=', idHash)
    .where('hash', 'in', [...hashes])
    .execute();
  return rows.length;
}

/**
 * `UPDATE sad_hashes SET used = 1 WHERE sad_id = ? AND hash IN (…) AND used = 0`: the number of
 * rows changed; the caller requires it to equal the number of (distinct) hashes.
 */
export async function markSadHashesUsed(
  trx: Db,
  idHash: Uint8Array,
  hashes: readonly Uint8Array[],
): Promise<number> {
  if (hashes.length === 0) return 0;
  if (hashes.length === 1) {
    // signHash of one hash, the common case: a statement of fixed shape, compiled once.
    return Number((await markOneHashUsed(trx, idHash, hashes[0] as Uint8Array)).numAffectedRows ?? 0n);
  }
  const result = await trx
    .updateTable('sad_hashes')
    .set({ used: 1 })
    .where('sad_id', '=', idHash)
    .where('hash', 'in', [...hashes])
    .where('used', '=', 0)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

const markOneHashUsed = preparedQuery((trx: Db, idHash: Uint8Array, hash: Uint8Array) =>
  trx
    .updateTable('sad_hashes')
    .set({ used: 1 })
    .where('sad_id', '=', idHash)
    .where('hash', '=', hash)
    .where('used', '=', 0),
);

/** What a consuming UPDATE requires of the SAD besides its count: the binding the caller presents. */
export interface SadUse {
  readonly idHash: Uint8Array;
  readonly userId: string;
  readonly credentialId: string;
  readonly clientId: string;
  readonly hashAlgorithmOid: string;
  /** The database-clock time of the use, epoch ms: the SAD must expire after it. */
  readonly now: number;
}

/**
 * A SAD consumed for some hashes: the row as it stands after the decrement, how many hashes were
 * marked used, and whether the given transparency-log leaf was queued with them.
 */
export interface SadConsumption {
  readonly row: SadRow;
  readonly marked: number;
  readonly leafQueued: boolean;
}

/**
 * Consumes `hashes.length` signatures of a SAD and marks each hash used, deciding by the statements
 * alone (INV-2): `UPDATE sads SET remaining = remaining - n WHERE` the id, the count, not revoked,
 * not expired, the caller's user, credential, client and hash algorithm, the credential active and
 * unlocked with no revocation record at the built-in CA, its owner active (docs/security.md
 * SAD-08…16) `RETURNING *` — the read and the consumption in one statement, each condition
 * re-checked on the locked row — then `UPDATE sad_hashes SET used = 1 WHERE … used = 0`.
 * On PostgreSQL a one-hash consumption is one statement (both UPDATEs as data-modifying WITHs, the
 * hash marked only when the count was decremented). Undefined when the SAD's UPDATE matched no row
 * (unknown, foreign, spent, expired, revoked, unusable: the caller reads the row to say which);
 * otherwise the caller requires `marked` to equal the number of (distinct) hashes and rolls back
 * when it does not.
 */
export async function consumeSadHashes(
  trx: Db,
  use: SadUse,
  hashes: readonly Uint8Array[],
  /**
   * The transparency-log leaf of the one hash, queued by the same statement on PostgreSQL (one
   * round trip less; `leafQueued` says so) and only when the SAD's UPDATE returned its row.
   */
  leaf?: NewLogLeaf,
): Promise<SadConsumption | undefined> {
  if (hashes.length === 1 && isPostgres(trx)) {
    const hash = hashes[0] as Uint8Array;
    const row = (
      leaf === undefined
        ? await consumeOneHash(trx, use.idHash, use.now, use.userId, use.credentialId, use.clientId, use.hashAlgorithmOid, hash)
        : await consumeOneHashWithLeaf(
            trx, use.idHash, use.now, use.userId, use.credentialId, use.clientId, use.hashAlgorithmOid, hash,
            leaf.user_id, leaf.credential_id, leaf.certificate_serial, leaf.hash_algorithm_oid, leaf.dtbs_hash,
            leaf.signed_at, leaf.client_id, leaf.sad_id, leaf.trace_id, leaf.leaf_hash,
          )
    ).rows[0];
    return row === undefined ? undefined : { row: toSadRow(row), marked: Number(row.marked ?? 0), leafQueued: leaf !== undefined };
  }
  const row = (
    await consumeCount(trx, use.idHash, hashes.length, use.now, use.userId, use.credentialId, use.clientId, use.hashAlgorithmOid)
  ).rows[0];
  if (row === undefined) return undefined;
  return { row: toSadRow(row), marked: await markSadHashesUsed(trx, use.idHash, hashes), leafQueued: false };
}

/** A returned `sads` row with the driver's types made plain (BLOBs as Uint8Array, bigints as numbers). */
function toSadRow(row: SadsTable): SadRow {
  return {
    ...row,
    id_hash: new Uint8Array(row.id_hash),
    remaining: Number(row.remaining),
    num_signatures: Number(row.num_signatures),
    expires_at: Number(row.expires_at),
    created_at: Number(row.created_at),
    batch_root: row.batch_root == null ? null : new Uint8Array(row.batch_root),
    batch_size: row.batch_size == null ? null : Number(row.batch_size),
  };
}

/**
 * The conditions of a consuming UPDATE on `sads` (see consumeSadHashes): the count, the SAD's own
 * state and binding, and the standing of its credential and owner at the moment of the UPDATE.
 */
function consumableSad(
  update: UpdateQueryBuilder<Database, 'sads', 'sads', UpdateResult>,
  idHash: Uint8Array, n: number, now: number,
  userId: string, credentialId: string, clientId: string, hashAlgorithmOid: string,
) {
  return update
    .set((eb) => ({ remaining: eb('remaining', '-', n) }))
    .where('id_hash', '=', idHash)
    .where('remaining', '>=', n)
    .where('revoked', '=', 0)
    .where('expires_at', '>', now)
    // docs/security.md SAD-08…11: the SAD of this user, credential, client and hash algorithm.
    .where('user_id', '=', userId)
    .where('credential_id', '=', credentialId)
    .where('client_id', '=', clientId)
    .where('hash_algorithm_oid', '=', hashAlgorithmOid)
    // docs/security.md SAD-16: the credential active and unlocked, and its certificate not revoked
    // at the built-in CA (RFC 5280 §5.3.1: a revocation takes effect at once) …
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('credentials')
          .select('credentials.id')
          .whereRef('credentials.id', '=', 'sads.credential_id')
          .where('credentials.status', '=', 'active')
          .where('credentials.locked', '=', 0)
          .where((credential) =>
            credential.not(
              credential.exists(
                credential
                  .selectFrom('ca_certificates')
                  .select('ca_certificates.serial_hex')
                  .whereRef('ca_certificates.serial_hex', '=', 'credentials.certificate_serial')
                  .where('ca_certificates.revoked_at', 'is not', null),
              ),
            ),
          ),
      ),
    )
    // … and its owner active.
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('users').select('users.id').whereRef('users.id', '=', 'sads.user_id').where('users.status', '=', 'active'),
      ),
    );
}

const consumeCount = preparedQuery(
  (
    trx: Db, idHash: Uint8Array, n: number, now: number,
    userId: string, credentialId: string, clientId: string, hashAlgorithmOid: string,
  ) => consumableSad(trx.updateTable('sads'), idHash, n, now, userId, credentialId, clientId, hashAlgorithmOid).returningAll(),
);

/** The one-hash consumption on PostgreSQL: both UPDATEs as data-modifying WITHs. */
function consumeOneHashQuery(
  trx: Db, idHash: Uint8Array, now: number,
  userId: string, credentialId: string, clientId: string, hashAlgorithmOid: string, hash: Uint8Array,
) {
  return trx
    .with('consumed', (db) =>
      consumableSad(db.updateTable('sads'), idHash, 1, now, userId, credentialId, clientId, hashAlgorithmOid).returningAll(),
    )
    .with('marked', (db) =>
      db
        .updateTable('sad_hashes')
        .set({ used: 1 })
        .where('sad_id', '=', idHash)
        .where('hash', '=', hash)
        .where('used', '=', 0)
        .where((eb) => eb.exists(eb.selectFrom('consumed').select('consumed.id_hash')))
        .returning('used'),
    );
}

const consumeOneHash = preparedQuery(
  (
    trx: Db, idHash: Uint8Array, now: number,
    userId: string, credentialId: string, clientId: string, hashAlgorithmOid: string, hash: Uint8Array,
  ) =>
    consumeOneHashQuery(trx, idHash, now, userId, credentialId, clientId, hashAlgorithmOid, hash)
      .selectFrom('consumed')
      .selectAll('consumed')
      .select((eb) => eb.selectFrom('marked').select((m) => m.fn.countAll<number>().as('n')).as('marked')),
);

// The same with the hash's transparency-log leaf queued by a third WITH, from the consumed row
// (none when the SAD's UPDATE matched nothing); the caller still rolls back on any refusal.
const consumeOneHashWithLeaf = preparedQuery(
  (
    trx: Db, idHash: Uint8Array, now: number,
    userId: string, credentialId: string, clientId: string, hashAlgorithmOid: string, hash: Uint8Array,
    leafUserId: string, leafCredentialId: string, certificateSerial: string, leafHashAlgorithmOid: string,
    dtbsHash: string, signedAt: number, leafClientId: string, sadId: string, traceId: string | null, leafHash: Uint8Array,
  ) =>
    consumeOneHashQuery(trx, idHash, now, userId, credentialId, clientId, hashAlgorithmOid, hash)
      .with('queued', (db) =>
        db
          .insertInto('transparency_leaves')
          .columns([
            'user_id', 'credential_id', 'certificate_serial', 'hash_algorithm_oid', 'dtbs_hash',
            'signed_at', 'client_id', 'sad_id', 'trace_id', 'leaf_hash',
          ])
          .expression((eb) =>
            eb.selectFrom('consumed').select([
              eb.cast<string>(eb.val(leafUserId), 'text').as('user_id'),
              eb.cast<string>(eb.val(leafCredentialId), 'text').as('credential_id'),
              eb.cast<string>(eb.val(certificateSerial), 'text').as('certificate_serial'),
              eb.cast<string>(eb.val(leafHashAlgorithmOid), 'text').as('hash_algorithm_oid'),
              eb.cast<string>(eb.val(dtbsHash), 'text').as('dtbs_hash'),
              eb.cast<number>(eb.val(signedAt), 'bigint').as('signed_at'),
              eb.cast<string>(eb.val(leafClientId), 'text').as('client_id'),
              eb.cast<string>(eb.val(sadId), 'text').as('sad_id'),
              eb.cast<string | null>(eb.val(traceId), 'text').as('trace_id'),
              eb.cast<Uint8Array>(eb.val(leafHash), 'bytea').as('leaf_hash'),
            ]),
          ),
      )
      .selectFrom('consumed')
      .selectAll('consumed')
      .select((eb) => eb.selectFrom('marked').select((m) => m.fn.countAll<number>().as('n')).as('marked')),
);

/** Revokes a SAD; true when it existed and was not yet revoked. */
export async function revokeSadRow(trx: Db, idHash: Uint8Array): Promise<boolean> {
  const result = await trx
    .updateTable('sads')
    .set({ revoked: 1 })
    .where('id_hash', '=', idHash)
    .where('revoked', '=', 0)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
