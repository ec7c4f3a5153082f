/**
 * KEK rotation of a running installation (issue 16, `signet keys rewrap --new-kek-file F`): every
 * wrapped key in the database (the credentials' keystore and the CA's) is re-wrapped under the new
 * KEK in batches, each key replaced only if it did not change meanwhile (its stamp), and the
 * server secrets are re-sealed; private keys are never decrypted, only their data keys. Nodes keep
 * signing throughout when they accept both KEKs (SIGNET_KEK_FILE and SIGNET_KEK_PREVIOUS_FILE):
 * the KEK id on each envelope picks the one that opens it. Audited as `keys.kek.rewrap`.
 */
import { appendAuditNow, createAuditKey } from '../audit/index.js';
import { loadKek, SoftwareKeystore, type Kek } from '../keys/index.js';
import { connectStore, findNodeState, startDatabaseClock, withAdvisoryLock } from '../store/index.js';
import type { ServerConfig } from './config.js';
import { DbKeyRecords, type ServiceKeystore } from './db-key-records.js';
import { ServerError } from './errors.js';
import { firstStartLock } from './first-start.js';
import { nodeSecretsKekId, resealNodeSecrets } from './node-state.js';
import { unsealSecrets } from './secrets.js';

/** What a rewrap did. */
export interface RewrapResult {
  /** Keys re-wrapped per keystore. */
  readonly rewrapped: Readonly<Record<ServiceKeystore, number>>;
  readonly secretsResealed: boolean;
  /** The id of the KEK every key is wrapped under now. */
  readonly kekId: string;
}

/** Options of rewrapKeys. */
export interface RewrapOptions {
  readonly newKekFile: string;
  /** Keys per batch (default 100). */
  readonly batchSize?: number;
  /** Called after each key. */
  readonly onRewrapped?: (keystore: ServiceKeystore, ref: string) => void;
}

/**
 * Re-wraps every key of the installation of `config` under the KEK in `newKekFile`. The KEKs that
 * open the current keys are the configured ones (SIGNET_KEK_FILE / SIGNET_KEK and
 * SIGNET_KEK_PREVIOUS_FILE) and the new one (a node already restarted with it may have made keys
 * under it). ERR_KEYSTORE_KEK when a key is wrapped under none of them, before anything changed.
 *
 * @example
 * ```ts
 * const { rewrapped } = await rewrapKeys(loadServerConfig(), { newKekFile: '/run/secrets/kek-2' });
 * ```
 */
export async function rewrapKeys(config: ServerConfig, options: RewrapOptions): Promise<RewrapResult> {
  const current = config.kek.kind === 'file' ? loadKek({ file: config.kek.file }) : loadKek({ env: 'SIGNET_KEK', environment: config.kek.environment });
  const next = loadKek({ file: options.newKekFile });
  const keks: Kek[] = [next, current];
  if (config.previousKekFile !== undefined) keks.push(loadKek({ file: config.previousKekFile }));
  const accepted = keks.filter((k, i) => keks.findIndex((o) => o.id === k.id) === i);
  const store = await connectStore(config.database);
  const clock = await startDatabaseClock(store);
  try {
    const stored = await findNodeState(store.db, 'secrets');
    if (stored === undefined) throw new ServerError('ERR_SERVER_DATA_DIR', 'the database holds no installation yet (start signet serve first)');
    const secrets = unsealSecrets(stored, accepted);
    const keystores = await Promise.all(
      (['credentials', 'ca'] as const).map(async (name) => ({
        name,
        keystore: await SoftwareKeystore.open({ records: new DbKeyRecords(store, name, clock), kek: next, previousKeks: accepted.slice(1), clock, keyCacheSeconds: 0 }),
      })),
    );
    const rewrapped: Record<ServiceKeystore, number> = { credentials: 0, ca: 0 };
    try {
      for (const { name, keystore } of keystores) {
        const result = await keystore.rotateKek(next, {
          ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
          onRewrapped: (ref) => options.onRewrapped?.(name, ref),
        });
        rewrapped[name] = result.rewrapped;
      }
    } finally {
      for (const { keystore } of keystores) await keystore.close();
    }
    // The secrets under the first-start lock: a node starting meanwhile reads them whole.
    const secretsResealed = await withAdvisoryLock(store, firstStartLock, () => store.transaction((trx) => resealNodeSecrets(trx, accepted, next, clock)));
    if ((await nodeSecretsKekId(store.db)) !== next.id) throw new ServerError('ERR_SERVER_SECRETS', 'the server secrets could not be re-sealed (changed meanwhile): run the rewrap again');
    await appendAuditNow(
      store,
      {
        type: 'keys.kek.rewrap',
        outcome: 'success',
        subject: `kek:${next.id}`,
        details: { credentials: rewrapped.credentials, ca: rewrapped.ca, secretsResealed, from: accepted.slice(1).map((k) => k.id) },
      },
      { key: createAuditKey(secrets.auditKey), nodeId: config.nodeId, clock },
    );
    return { rewrapped, secretsResealed, kekId: next.id };
  } finally {
    clock.stop();
    await store.close();
  }
}
