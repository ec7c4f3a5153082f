/**
 * What every node shares through the database alone (issue 16): the sealed server secrets (audit
 * MAC key, secret-box key), the CA directory's public files (ca.json, certificates, root CRL) and
 * every wrapped key (credential keys, CA, TSA and OCSP keys, the same AES-256-GCM envelopes under
 * the KEK). A node starting with an empty data directory restores the CA directory's files from
 * the database and needs nothing else but DATABASE_URL and the KEK.
 *
 * A data directory of an older version moves in once: its secrets.json, CA files and key files
 * are inserted with insert-or-ignore on their primary keys inside one transaction, under the
 * first-start advisory lock, so several nodes starting at once import it exactly once; key
 * directories are renamed `*.imported` afterwards (a crash before the rename repeats a no-op).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { decodeKeyEnvelope, type Kek } from '../keys/index.js';
import { findNodeState, insertNodeState, insertWrappedKey, replaceNodeState, type Db, type Store, type WrappedKeyRow } from '../store/index.js';
import { envelopeStamp, type ServiceKeystore } from './db-key-records.js';
import { fsyncDir } from './data-dir-lock.js';
import type { DataDirLayout } from './data-dir.js';
import { ServerError } from './errors.js';
import { generateSecrets, sealSecrets, sealedSecretsKekId, unsealSecrets, type ServerSecrets } from './secrets.js';

/** The node-state names. */
export const secretsState = 'secrets';
export const caState = 'ca';

/** The CA directory's files kept in the database (never its keys/ nor its file store). */
const caFiles = ['ca.json', 'root.pem', 'issuing.pem', 'chain.pem', 'tsa.pem', 'ocsp.pem', 'root.crl'] as const;

interface CaDirectoryState {
  readonly version: 1;
  /** File name → base64 of its bytes. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * The server secrets from the database; on the first start of a database, those of the data
 * directory's secrets.json (an older version's) or fresh ones, stored sealed under the current
 * KEK. Call under the first-start advisory lock. ERR_SERVER_SECRETS when none of `keks` sealed
 * the stored ones, ERR_SERVER_DATA_DIR when this data directory's secrets.json differs from the
 * database's (it belongs to another installation).
 */
export async function ensureNodeSecrets(db: Db, layout: DataDirLayout, keks: readonly Kek[], clock: Clock): Promise<ServerSecrets> {
  const current = keks[0];
  if (current === undefined) throw new ServerError('ERR_SERVER_SECRETS', 'no KEK');
  const fileText = existsSync(layout.secretsFile) ? readFileSync(layout.secretsFile, 'utf8') : undefined;
  const stored = await findNodeState(db, secretsState);
  if (stored !== undefined) {
    const secrets = unsealSecrets(stored, keks);
    if (fileText !== undefined && keks.some((k) => k.id === sealedSecretsKekId(fileText))) {
      const local = unsealSecrets(fileText, keks);
      if (Buffer.compare(Buffer.from(local.auditKey), Buffer.from(secrets.auditKey)) !== 0) {
        throw new ServerError(
          'ERR_SERVER_DATA_DIR',
          `${layout.secretsFile} belongs to another installation than the database (another audit key): move it aside`,
        );
      }
    }
    return secrets;
  }
  const text = fileText ?? sealSecrets(generateSecrets(), current);
  const secrets = unsealSecrets(text, keks);
  if (!(await insertNodeState(db, secretsState, text, clock.now().getTime()))) {
    return unsealSecrets((await findNodeState(db, secretsState)) as string, keks);
  }
  return secrets;
}

/** The KEK ids sealing the stored server secrets (none before the first start). */
export async function nodeSecretsKekId(db: Db): Promise<string | undefined> {
  const stored = await findNodeState(db, secretsState);
  return stored === undefined ? undefined : sealedSecretsKekId(stored);
}

/** Re-seals the stored secrets under `next` (a KEK rotation); false when they already are. */
export async function resealNodeSecrets(db: Db, keks: readonly Kek[], next: Kek, clock: Clock): Promise<boolean> {
  const stored = await findNodeState(db, secretsState);
  if (stored === undefined || sealedSecretsKekId(stored) === next.id) return false;
  const text = sealSecrets(unsealSecrets(stored, keks), next);
  return replaceNodeState(db, secretsState, stored, text, clock.now().getTime());
}

/**
 * Inserts every key file of `dir` (`*.key.json`) into the database's `keystore` in one
 * transaction (insert-or-ignore: a key already there is kept), then renames `dir` to
 * `<dir>.imported`. Refuses (ERR_SERVER_DATA_DIR) a key wrapped under none of `keks` or a file
 * that is not a key envelope, before writing anything. Returns how many keys were new.
 */
export async function importKeyDirectory(store: Store, dir: string, keystore: ServiceKeystore, keks: readonly Kek[], clock: Clock): Promise<number> {
  if (!existsSync(dir)) return 0;
  const rows: WrappedKeyRow[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.key.json') || name.startsWith('.')) continue;
    const envelope = new Uint8Array(readFileSync(join(dir, name)));
    let ref: string;
    let kekId: string;
    try {
      const file = decodeKeyEnvelope(envelope);
      ref = file.ref;
      kekId = file.dataKey.kekId;
    } catch (cause) {
      throw new ServerError('ERR_SERVER_DATA_DIR', `${join(dir, name)} is not a Signet key file`, { cause });
    }
    if (`${ref.slice('keystore:'.length)}.key.json` !== name) {
      throw new ServerError('ERR_SERVER_DATA_DIR', `${join(dir, name)} holds the key ${ref}, not the one its name says`);
    }
    if (!keks.some((k) => k.id === kekId)) {
      throw new ServerError('ERR_SERVER_DATA_DIR', `${join(dir, name)} is wrapped under KEK ${kekId}, which this node does not have: configure it (SIGNET_KEK_FILE or SIGNET_KEK_PREVIOUS_FILE) to move the key into the database`);
    }
    const now = clock.now().getTime();
    rows.push({ keystore, ref, kek_id: kekId, stamp: envelopeStamp(envelope), envelope, created_at: now, updated_at: now });
  }
  let inserted = 0;
  await store.transaction(async (trx) => {
    for (const row of rows) if (await insertWrappedKey(trx, row)) inserted++;
  });
  let target = `${dir}.imported`;
  if (existsSync(target)) target = `${dir}.imported-${clock.now().getTime()}-${randomBytes(3).toString('hex')}`;
  renameSync(dir, target);
  fsyncDir(join(dir, '..'));
  return inserted;
}

function captureCaDirectory(caDir: string): string {
  const files: Record<string, string> = {};
  for (const name of caFiles) {
    const path = join(caDir, name);
    if (existsSync(path)) files[name] = readFileSync(path).toString('base64');
  }
  const state: CaDirectoryState = { version: 1, files };
  return JSON.stringify(state);
}

function parseCaState(text: string): CaDirectoryState {
  const state = JSON.parse(text) as CaDirectoryState;
  if (state.version !== 1 || typeof state.files !== 'object' || typeof state.files['ca.json'] !== 'string') {
    throw new ServerError('ERR_SERVER_DATA_DIR', 'the CA state in the database has an unknown format');
  }
  return state;
}

/** Writes the CA files of `state` into `caDir` (each atomically), only those missing when `missingOnly`. */
function writeCaFiles(caDir: string, state: CaDirectoryState, missingOnly = false): void {
  for (const [name, b64] of Object.entries(state.files)) {
    if (!(caFiles as readonly string[]).includes(name)) continue;
    if (missingOnly && existsSync(join(caDir, name))) continue;
    const tmp = join(caDir, `${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    writeFileSync(tmp, Buffer.from(b64, 'base64'), { mode: 0o600 });
    renameSync(tmp, join(caDir, name));
  }
  fsyncDir(caDir);
}

/** True when the database holds the CA's files. */
export async function hasCaState(db: Db): Promise<boolean> {
  return (await findNodeState(db, caState)) !== undefined;
}

/** What syncCaDirectory did. */
export type CaSync = 'none' | 'stored' | 'restored' | 'refreshed';

/**
 * Brings the data directory's CA and the database's together, under the first-start advisory
 * lock: a CA only in the directory (just created, or an older version's) is stored in the
 * database with its keys; a CA only in the database is written into the directory (a new node);
 * when both hold one it must be the same root (ERR_SERVER_DATA_DIR otherwise) and only the
 * files missing here are written. Keys of `caDir/keys` move into the database's `ca` keystore.
 */
export async function syncCaDirectory(store: Store, caDir: string, keks: readonly Kek[], clock: Clock): Promise<CaSync> {
  const stored = await findNodeState(store.db, caState);
  const hasDir = existsSync(join(caDir, 'ca.json'));
  if (stored === undefined) {
    if (!hasDir) return 'none';
    await importKeyDirectory(store, join(caDir, 'keys'), 'ca', keks, clock);
    const captured = captureCaDirectory(caDir);
    await store.transaction((trx) => insertNodeState(trx, caState, captured, clock.now().getTime()));
    return 'stored';
  }
  const state = parseCaState(stored);
  if (!hasDir) {
    const partial = `${caDir}.restore-${randomBytes(6).toString('hex')}`;
    mkdirSync(partial, { recursive: true, mode: 0o700 });
    writeCaFiles(partial, state);
    renameSync(partial, caDir);
    fsyncDir(join(caDir, '..'));
    return 'restored';
  }
  const localRoot = existsSync(join(caDir, 'root.pem')) ? readFileSync(join(caDir, 'root.pem')).toString('base64') : undefined;
  if (localRoot !== state.files['root.pem']) {
    throw new ServerError(
      'ERR_SERVER_DATA_DIR',
      `${caDir} holds another CA than the database: move it aside (the database's CA is restored from it)`,
    );
  }
  await importKeyDirectory(store, join(caDir, 'keys'), 'ca', keks, clock);
  // This node's own files stay (ca.json holds the base URL this node serves under).
  writeCaFiles(caDir, state, true);
  return 'refreshed';
}

/** Stores the CA directory's current files in the database (after an upgrade changed them). */
export async function saveCaDirectory(db: Db, caDir: string, clock: Clock): Promise<void> {
  const stored = await findNodeState(db, caState);
  const next = captureCaDirectory(caDir);
  if (stored === undefined) await insertNodeState(db, caState, next, clock.now().getTime());
  else if (stored !== next) await replaceNodeState(db, caState, stored, next, clock.now().getTime());
}
