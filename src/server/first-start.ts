/**
 * The database half of a node's start, safe when several nodes start at once on one data
 * directory and one PostgreSQL: under a cluster-wide advisory lock, exactly one node removes what
 * a crashed first start left (audited), creates the CA (data-dir.ts ensureCaDirectory), moves its
 * records into the database and issues the one-time set-up token; the others wait, then find all
 * of it and only load it. A database that already holds a CA while this data directory has none
 * is refused: a second CA on one database would split the service's trust.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { appendAudit, type AuditContext } from '../audit/index.js';
import type { Clock } from '../core/clock.js';
import type { SoftwareKeystore } from '../keys/index.js';
import type { DbCaStore } from '../pki/database.js';
import { upgradeCaDirectory } from '../pki/index.js';
import { hasCaCertificates, withAdvisoryLock, type Store } from '../store/index.js';
import { ensureSetupToken } from './admin/admin-tokens.js';
import { importFileCaStore } from './ca-records.js';
import type { ServerConfig } from './config.js';
import { ensureCaDirectory, listPartialCaDirectories, type BootstrapResult } from './data-dir.js';
import { ServerError } from './errors.js';
import { hasCaState, importKeyDirectory, saveCaDirectory, syncCaDirectory } from './node-state.js';

/** What the first-start step needs. */
export interface FirstStartDeps {
  readonly config: ServerConfig;
  readonly boot: Pick<BootstrapResult, 'layout' | 'kekChoice' | 'keks'>;
  /** The CA's keystore in the database (its root key re-signs the root CRL on an upgrade). */
  readonly caKeystore: SoftwareKeystore;
  readonly clock: Clock;
  readonly store: Store;
  readonly caStore: DbCaStore;
  readonly audit: AuditContext;
  readonly logger: Logger;
}

/** The advisory lock every node takes for the database part of its start. */
export const firstStartLock = 'first-start';

/**
 * Recovers, creates or loads the CA and the set-up token; returns the token on the start that
 * created it. Call with the data directory lock held (data-dir-lock.ts).
 *
 * @example
 * ```ts
 * const { setupToken } = await ensureFirstStart({ config, boot, clock, store, caStore, audit, logger });
 * ```
 */
export async function ensureFirstStart(deps: FirstStartDeps): Promise<{ readonly setupToken: string | undefined }> {
  const { config, boot, clock, store, caStore, audit, logger } = deps;
  const { caDir } = boot.layout;
  return withAdvisoryLock(store, firstStartLock, async () => {
    await removePartialCaDirectories(deps);
    const inDatabase = await hasCaState(store.db);
    if (!inDatabase && !existsSync(join(caDir, 'ca.json')) && (await hasCaCertificates(store.db))) {
      throw new ServerError(
        'ERR_SERVER_DATA_DIR',
        `the database holds the records of a CA whose files and keys are not in it yet: start once a node that has the original data directory (its CA and keys then move into the database)`,
      );
    }
    if (!inDatabase && (await ensureCaDirectory(config, boot, clock))) logger.info({ caDir }, 'CA created (first start)');
    if (existsSync(join(caDir, 'ca.json'))) {
      // A fresh CA and an older directory's ca-store.json take the same path into the database:
      // one idempotent, audited transaction (a crash before it just repeats it on the next start).
      const imported = await importFileCaStore(caDir, caStore, audit);
      if (imported !== undefined && imported.certificates + imported.counters > 0) {
        logger.info({ ...imported }, 'CA records moved from ca-store.json into the database');
      }
    }
    // Issue 16: the CA's files and keys live in the database; an empty data directory gets them.
    const synced = await syncCaDirectory(store, caDir, boot.keks, clock);
    if (synced === 'stored') logger.info({ caDir }, 'CA files and keys moved into the database');
    if (synced === 'restored') logger.info({ caDir }, 'CA files restored from the database');
    // A CA made by an older version gets its root CRL and an issuing CA certificate naming it
    // (re-issued for the same key), once: the result goes back into the database.
    const upgraded = await upgradeCaDirectory(caDir, { clock, ...boot.kekChoice, keystore: deps.caKeystore });
    if (upgraded.reissuedIssuing || upgraded.wroteRootCrl) {
      await store.transaction((trx) => saveCaDirectory(trx, caDir, clock));
      logger.info(upgraded, 'CA directory brought up to date');
    }
    const movedKeys = await importKeyDirectory(store, boot.layout.keysDir, 'credentials', boot.keks, clock);
    if (movedKeys > 0) logger.info({ keys: movedKeys }, 'credential keys moved from the data directory into the database');
    return { setupToken: await ensureSetupToken({ store, clock, audit }) };
  });
}

/**
 * Removes `ca.partial-*` directories (a crash mid-creation: their keys were never used and none of
 * their records reached the database). Audited first, so a removal is never unrecorded; a crash
 * in between repeats both on the next start.
 */
async function removePartialCaDirectories(deps: FirstStartDeps): Promise<void> {
  const { boot, store, audit, logger } = deps;
  const partial = listPartialCaDirectories(boot.layout);
  if (partial.length === 0) return;
  await store.transaction((trx) =>
    appendAudit(
      trx,
      {
        type: 'server.first_start.recover',
        outcome: 'success',
        subject: 'ca:partial',
        details: { removed: [...partial] },
      },
      audit,
    ),
  );
  for (const name of partial) rmSync(join(boot.layout.root, name), { recursive: true, force: true });
  logger.warn({ removed: partial }, 'removed an interrupted CA creation (keys never used, no database records)');
}
