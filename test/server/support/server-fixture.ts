/** Test fixtures for the server: data directories on SQLite or a fresh PostgreSQL, captured CLI output, services. */
import { Writable } from 'node:stream';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createLogger, createServices, loadServerConfig, type ServerConfig, type Services } from '../../../src/server/index.js';
import type { CreateServicesOptions } from '../../../src/server/services.js';
import type { StoreKind } from '../../../src/store/index.js';
import { requireStore, testStores } from '../../support/stores.js';
import { tempDir } from '../../support/tmp.js';

type Hooks = Pick<TestContext, 'after'>;

/** A writable that keeps everything written to it. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** A CLI io pair capturing stdout and stderr. */
export function captureIo(): { stdout: Capture; stderr: Capture } {
  return { stdout: new Capture(), stderr: new Capture() };
}

/** An environment for one server on `kind`: a temp data dir, and DATABASE_URL for PostgreSQL. */
export interface ServerEnv {
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly databaseUrl?: string;
}

/** Creates a data dir (and a unique PostgreSQL database, dropped after the test). Undefined when PG is skipped. */
export async function serverEnv(t: TestContext, kind: StoreKind): Promise<ServerEnv | undefined> {
  if (!(await requireStore(t, kind))) return undefined;
  const dataDir = join(tempDir(t, 'signet-server-'), 'data');
  if (kind === 'sqlite') return { dataDir, env: {} };
  const db = await testStores(t).postgres();
  const url = db.config.kind === 'postgres' ? db.config.url : '';
  return { dataDir, env: { DATABASE_URL: url }, databaseUrl: url };
}

/** The config of a server on `env`, port 0. */
export function configFor(env: ServerEnv): ServerConfig {
  return loadServerConfig({ dataDir: env.dataDir, port: 0, env: env.env });
}

/** Cheap scrypt for tests (the minimum the hasher accepts). */
export const testScrypt = { N: 2 ** 14, r: 8, p: 1 } as const;

/** Opens services on `env`, closed after the test; logs go to `logs` (default: discarded). */
export async function openServices(
  t: Hooks,
  env: ServerEnv,
  options: Omit<CreateServicesOptions, 'logger'> & { readonly logs?: Writable } = {},
): Promise<Services> {
  const { logs, ...rest } = options;
  const config = configFor(env);
  const services = await createServices(config, {
    scrypt: testScrypt,
    logger: createLogger(config.logLevel, logs ?? new Capture()),
    ...rest,
  });
  t.after(() => services.close());
  return services;
}
