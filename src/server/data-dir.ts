/**
 * First-start bootstrap of the data directory: the KEK file (0600), the sealed server secrets,
 * the credential keystore and the SQLite file; then (once the database is open) the CA directory
 * (root + issuing CA + TSA + OCSP signer, keys in the encrypted keystore, records in the
 * database). Every later start reuses all of it: nothing is ever regenerated, and a partly
 * initialised directory is refused rather than repaired with new keys. Callers hold the data
 * directory's lock (data-dir-lock.ts) around this, so several nodes starting at once take turns.
 * New files appear whole or not at all: written under a temporary name, fsync'ed, then linked or
 * renamed into place; the CA is built in a `ca.partial-*` directory renamed to `ca` when complete.
 */
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { loadKek, type Kek } from '../keys/index.js';
import { initCaDirectory, type KekChoice } from '../pki/index.js';
import type { ServerConfig } from './config.js';
import { ServerError } from './errors.js';
import { newCaMarker } from './ca-records.js';
import { fsyncDir } from './data-dir-lock.js';
import { findNodeState, type Store } from '../store/index.js';
import { readSecretsFile, unsealSecrets, type ServerSecrets } from './secrets.js';

/** The files and folders of a data directory. */
export interface DataDirLayout {
  readonly root: string;
  readonly kekFile: string;
  readonly secretsFile: string;
  /** The CA directory (`signet ca` layout). */
  readonly caDir: string;
  /** The software keystore of the credentials' keys. */
  readonly keysDir: string;
  readonly demoFile: string;
}

/** The layout under `root`. */
export function dataDirLayout(root: string): DataDirLayout {
  return {
    root,
    kekFile: join(root, 'kek'),
    secretsFile: join(root, 'secrets.json'),
    caDir: join(root, 'ca'),
    keysDir: join(root, 'keys'),
    demoFile: join(root, 'demo.json'),
  };
}

/** What bootstrap found or made. */
export interface BootstrapResult {
  readonly layout: DataDirLayout;
  /** True when this data directory held nothing yet (no secrets.json, CA or keys). */
  readonly fresh: boolean;
  /** The current KEK: wraps new keys. */
  readonly kek: Kek;
  /** Every accepted KEK, the current one first, then SIGNET_KEK_PREVIOUS_FILE's (a rotation). */
  readonly keks: readonly Kek[];
  /** True when this start created the KEK file (development default). */
  readonly kekCreated: boolean;
  /** How to open the CA directory's keystore (the same KEK). */
  readonly kekChoice: KekChoice;
}

/**
 * Creates `path` (0600) with `text`, atomically: a temporary file is written and fsync'ed, then
 * hard-linked to `path` (EEXIST if it appeared meanwhile: never overwritten), so a crash leaves
 * either no file or the whole file, never a truncated key.
 */
function writeNewSecretFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } finally {
    unlinkSync(tmp);
  }
  fsyncDir(join(path, '..'));
}

/** Directories a crashed first start left behind (see ensureCaDirectory). */
export const partialCaPrefix = 'ca.partial-';

/** The `ca.partial-*` directories under the data directory (left by a crash mid-creation). */
export function listPartialCaDirectories(layout: DataDirLayout): readonly string[] {
  return readdirSync(layout.root).filter((name) => name.startsWith(partialCaPrefix));
}

function kekChoiceOf(config: ServerConfig): KekChoice {
  return config.kek.kind === 'file'
    ? { kekFile: config.kek.file, env: {} }
    : { env: config.kek.environment };
}

function loadConfiguredKek(config: ServerConfig): Kek {
  return config.kek.kind === 'file'
    ? loadKek({ file: config.kek.file })
    : loadKek({ env: 'SIGNET_KEK', environment: config.kek.environment });
}

/**
 * Creates what is missing on first start and opens the rest. Refuses (ERR_SERVER_DATA_DIR) a
 * directory whose keys or secrets exist without their KEK, or whose CA exists without its secrets.
 *
 * @example
 * ```ts
 * const { fresh, kek, secrets } = await bootstrapDataDir(loadServerConfig());
 * ```
 */
export async function bootstrapDataDir(config: ServerConfig): Promise<BootstrapResult> {
  const layout = dataDirLayout(config.dataDir);
  try {
    if (!existsSync(layout.root)) mkdirSync(layout.root, { recursive: true, mode: 0o700 });
    else if (!statSync(layout.root).isDirectory()) {
      throw new ServerError('ERR_SERVER_DATA_DIR', `${layout.root} is not a directory`);
    }
  } catch (cause) {
    if (cause instanceof ServerError) throw cause;
    throw new ServerError('ERR_SERVER_DATA_DIR', `cannot create the data directory ${layout.root}`, { cause });
  }
  const hasSecrets = existsSync(layout.secretsFile);
  const hasCa = existsSync(join(layout.caDir, 'ca.json'));
  const hasKeys = existsSync(layout.keysDir);
  const fresh = !hasSecrets && !hasCa && !hasKeys;

  let kekCreated = false;
  if (config.kek.kind === 'file' && !existsSync(config.kek.file)) {
    if (hasSecrets || hasCa || hasKeys) {
      // A new KEK would orphan every wrapped key: refuse instead (docs/security.md KEY-03).
      throw new ServerError(
        'ERR_SERVER_DATA_DIR',
        `${layout.root} holds keys but its KEK file is missing; restore it or set SIGNET_KEK_FILE`,
      );
    }
    writeNewSecretFile(config.kek.file, `${randomBytes(32).toString('hex')}\n`);
    kekCreated = true;
  }
  const kek = loadConfiguredKek(config);
  const previous = config.previousKekFile === undefined ? [] : [loadKek({ file: config.previousKekFile })];
  const keks = [kek, ...previous.filter((k) => k.id !== kek.id)];
  // The server secrets, the CA's files and every key live in the database (node-state.ts): an
  // older directory's secrets.json, ca/ and keys/ move in at the first start on the database.
  const kekChoice = kekChoiceOf(config);

  if (config.database.kind === 'sqlite' && !existsSync(config.database.file)) {
    // An empty file is a valid empty SQLite database; creating it first makes it 0600 (WAL and
    // shared-memory files inherit the database file's permissions).
    writeNewSecretFile(config.database.file, '');
  }
  if (config.database.kind === 'sqlite') chmodSync(config.database.file, 0o600);
  return { layout, fresh, kek, keks, kekCreated, kekChoice };
}

/**
 * Creates the CA directory on first start; true when it did. Call after bootstrapDataDir, holding
 * the data directory lock. The CA (keys, certificates, its records in a `ca-store.json` file
 * store) is built in a fresh `ca.partial-*` directory, fsync'ed and renamed to `ca` once
 * complete: a crash before the rename leaves only the partial directory (removed on the next
 * start, see first-start.ts) and nothing in the database; the records reach the database
 * afterwards through importFileCaStore, one idempotent transaction.
 *
 * @example
 * ```ts
 * const created = await ensureCaDirectory(config, boot, systemClock);
 * ```
 */
export async function ensureCaDirectory(
  config: ServerConfig,
  boot: Pick<BootstrapResult, 'layout' | 'kekChoice'>,
  clock: Clock,
): Promise<boolean> {
  if (existsSync(join(boot.layout.caDir, 'ca.json'))) return false;
  if (existsSync(boot.layout.caDir)) {
    throw new ServerError(
      'ERR_SERVER_DATA_DIR',
      `${boot.layout.caDir} exists without ca.json (an interrupted CA creation by an older version); move it aside to create a new CA`,
    );
  }
  const partial = join(boot.layout.root, `${partialCaPrefix}${randomBytes(6).toString('hex')}`);
  await initCaDirectory({
    dir: partial,
    clock,
    baseUrl: `${config.baseUrl ?? `http://${config.host}:${config.port}`}/pki`,
    organization: 'Signet',
    ...boot.kekChoice,
  });
  writeNewSecretFile(join(partial, newCaMarker), '');
  syncTree(partial);
  renameSync(partial, boot.layout.caDir);
  fsyncDir(boot.layout.root);
  return true;
}

/** fsyncs every file and directory under `dir` (the CA is small: a dozen files). */
function syncTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) syncTree(path);
    else if (entry.isFile()) {
      const fd = openSync(path, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }
  fsyncDir(dir);
}

/**
 * The server secrets of an initialised installation, without creating anything (for offline
 * tools such as `signet audit verify`): from the database (issue 16), else from an older data
 * directory's secrets.json; ERR_SERVER_DATA_DIR when neither exists.
 *
 * @example
 * ```ts
 * const secrets = await openServerSecrets(config, store);
 * ```
 */
export async function openServerSecrets(config: ServerConfig, store: Store): Promise<ServerSecrets> {
  const layout = dataDirLayout(config.dataDir);
  if (config.kek.kind === 'file' && !existsSync(config.kek.file)) {
    throw new ServerError('ERR_SERVER_DATA_DIR', `no KEK: ${config.kek.file} is missing and SIGNET_KEK(_FILE) is not set`);
  }
  const kek = loadConfiguredKek(config);
  const keks = config.previousKekFile === undefined ? [kek] : [kek, loadKek({ file: config.previousKekFile })];
  const stored = await findNodeState(store.db, 'secrets');
  if (stored !== undefined) return unsealSecrets(stored, keks);
  if (!existsSync(layout.secretsFile)) {
    throw new ServerError('ERR_SERVER_DATA_DIR', `neither the database nor ${layout.root} holds the server secrets (run signet serve first)`);
  }
  return readSecretsFile(layout.secretsFile, kek);
}
