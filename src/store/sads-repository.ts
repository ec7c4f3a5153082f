/**
 * SAD rows and the conditional UPDATEs that consume them (INV-2): each UPDATE re-checks its
 * WHERE clause on the locked row, so the returned row counts decide, never an earlier read.
 */
import { isPostgres, preparedQuery } from './prepared-query.js';
import type { Db } from './store.js';
import type { SadsTable } from './schema.js';

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
 * `UPDATE sads SET remaining = remaining - n WHERE id = ? AND remaining >= n AND revoked = 0 AND
 * expires_at > now RETURNING remaining`: the new remaining count when exactly this row changed,
 * undefined when the WHERE clause no longer holds.
 */
export async function decrementSadRemaining(
  trx: Db,
  idHash: Uint8Array,
  n: number,
  now: number,
): Promise<number | undefined> {
  const row = (await decrementRemaining(trx, idHash, n, now)).rows[0];
  return row === undefined ? undefined : Number(row.remaining);
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

const decrementRemaining = preparedQuery((trx: Db, idHash: Uint8Array, n: number, now: number) =>
  trx
    .updateTable('sads')
    .set((eb) => ({ remaining: eb('remaining', '-', n) }))
    .where('id_hash', '=', idHash)
    .where('remaining', '>=', n)
    .where('revoked', '=', 0)
    .where('expires_at', '>', now)
    .returning('remaining'),
);

const markOneHashUsed = preparedQuery((trx: Db, idHash: Uint8Array, hash: Uint8Array) =>
  trx
    .updateTable('sad_hashes')
    .set({ used: 1 })
    .where('sad_id', '=', idHash)
    .where('hash', '=', hash)
    .where('used', '=', 0),
);

/**
 * `decrementSadRemaining` and `markSadHashesUsed` for one hash: on PostgreSQL in one statement
 * (both conditional UPDATEs as data-modifying WITHs, the hash marked only when the count was
 * decremented; one round trip instead of two), on SQLite as the two statements. The caller still
 * decides by the results: `remaining` undefined or `marked` ≠ 1 refuses and rolls back (INV-2).
 */
export async function consumeOneSadHash(
  trx: Db,
  idHash: Uint8Array,
  hash: Uint8Array,
  now: number,
): Promise<{ readonly remaining: number | undefined; readonly marked: number }> {
  if (!isPostgres(trx)) {
    const remaining = await decrementSadRemaining(trx, idHash, 1, now);
    return { remaining, marked: remaining === undefined ? 0 : await markSadHashesUsed(trx, idHash, [hash]) };
  }
  const row = (await consumeOne(trx, idHash, now, hash)).rows[0];
  return {
    remaining: row?.remaining == null ? undefined : Number(row.remaining),
    marked: Number(row?.marked ?? 0),
  };
}

const consumeOne = preparedQuery((trx: Db, idHash: Uint8Array, now: number, hash: Uint8Array) =>
  trx
    .with('decremented', (db) =>
      db
        .updateTable('sads')
        .set((eb) => ({ remaining: eb('remaining', '-', 1) }))
        .where('id_hash', '=', idHash)
        .where('remaining', '>=', 1)
        .where('revoked', '=', 0)
        .where('expires_at', '>', now)
        .returning('remaining'),
    )
    .with('marked', (db) =>
      db
        .updateTable('sad_hashes')
        .set({ used: 1 })
        .where('sad_id', '=', idHash)
        .where('hash', '=', hash)
        .where('used', '=', 0)
        .where((eb) => eb.exists(eb.selectFrom('decremented').select('remaining')))
        .returning('used'),
    )
    .selectNoFrom((eb) => [
      eb.selectFrom('decremented').select('remaining').as('remaining'),
      eb.selectFrom('marked').select((m) => m.fn.countAll<number>().as('n')).as('marked'),
    ]),
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
