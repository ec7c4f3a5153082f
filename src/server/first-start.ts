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
import type { DbCaStore } from '../pki/index.js';
import { hasCaCertificates, withAdvisoryLock, type Store } from '../store/index.js';
import { ensureSetupToken } from './admin/admin-tokens.js';
import { importFileCaStore } from './ca-records.js';
import type { ServerConfig } from './config.js';
import { ensureCaDirectory, listPartialCaDirectories, type BootstrapResult } from './data-dir.js';
import { ServerError } from './errors.js';

/** What the first-start step needs. */
export interface FirstStartDeps {
  readonly config: ServerConfig;
  readonly boot: Pick<BootstrapResult, 'layout' | 'kekChoice'>;
  readonly clock: Clock;
  readonly store: Store;
  readonly caStore: DbCaStore;
  readonly audit: AuditContext;
  readonly logger: Logger;
}

/** The advisory lock every node takes for the database part of its start. */
const firstStartLock = 'first-start';

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
  return withAdvisoryLock(store, firstStartLock, async () => {
    await removePartialCaDirectories(deps);
    if (!existsSync(join(boot.layout.caDir, 'ca.json')) && (await hasCaCertificates(store.db))) {
      throw new ServerError(
        'ERR_SERVER_DATA_DIR',
        `the database already holds a CA but ${boot.layout.caDir} has none: give every node the first node's data directory (KEK, secrets.json, ca/, keys/)`,
      );
    }
    if (await ensureCaDirectory(config, boot, clock)) logger.info({ caDir: boot.layout.caDir }, 'CA created (first start)');
    // A fresh CA and an older directory's ca-store.json take the same path into the database: one
    // idempotent, audited transaction (a crash before it just repeats it on the next start).
    const imported = await importFileCaStore(boot.layout.caDir, caStore, audit);
    if (imported !== undefined && imported.certificates + imported.counters > 0) {
      logger.info({ ...imported }, 'CA records moved from ca-store.json into the database');
    }
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
