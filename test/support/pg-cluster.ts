/**
 * A test-owned PostgreSQL cluster (Debian's initdb/pg_ctl on a free loopback port, trust auth,
 * fsync off) for destructive tests: restarts and crashes never touch the shared server
 * (docs/security.md §5 "Destructive DB tests own their PostgreSQL cluster"). As root the cluster runs
 * as the `postgres` user (the server refuses to run as root).
 */
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A running (or stopped) test cluster. */
export interface TestCluster {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /**
   * `pg_ctl stop -m immediate` (a crash: no checkpoint, connections cut) or `fast`. Asynchronous,
   * so the servers under test keep running while the cluster goes down.
   */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  start(): Promise<void>;
  /** Runs SQL with psql against `database` (default postgres) and returns its unaligned output. */
  psql(sql: string, database?: string): Promise<string>;
}

function pgBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** True when initdb/pg_ctl can be found (Debian layout). */
export function hasClusterTools(): boolean {
  return pgBinDir() !== undefined;
}

/** A free loopback TCP port (bound once, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function postgresUid(): { uid: number; gid: number } | undefined {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/**
 * Creates and starts a cluster, stopped and removed after the test. Throws when the tools are
 * missing (callers check hasClusterTools() and skip or fail per CI first).
 */
export async function startTestCluster(t: Pick<TestContext, 'after'>): Promise<TestCluster> {
  const bin = pgBinDir();
  if (bin === undefined) throw new Error('initdb/pg_ctl not found under /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'signet-pgcluster-'));
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? postgresUid() : undefined;
  if (asRoot && owner === undefined) throw new Error('running as root but there is no postgres user to run the cluster');
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  const argvOf = (tool: string, args: readonly string[]): [string, string[]] =>
    owner !== undefined ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), [...args]];
  const runSync = (tool: string, args: readonly string[]): void => {
    const [command, argv] = argvOf(tool, args);
    const r = spawnSync(command, argv, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${tool} failed (${r.status}): ${r.stderr}${r.stdout}`);
  };
  const run = (tool: string, args: readonly string[]): Promise<string> => {
    const [command, argv] = argvOf(tool, args);
    return new Promise((resolve, reject) => {
      execFile(command, argv, { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${tool} failed: ${stderr}${stdout}`, { cause: err }));
        else resolve(stdout);
      });
    });
  };
  const data = join(dir, 'data');
  runSync('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  let running = false;
  const cluster: TestCluster = {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start: async () => {
      await run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
      running = true;
    },
    stop: async (mode = 'fast') => {
      await run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
      running = false;
    },
    psql: (sql, database = 'postgres') =>
      run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql]),
  };
  t.after(() => {
    try {
      if (running) runSync('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await cluster.start();
  return cluster;
}

/** Skips the test when initdb/pg_ctl are missing; with CI=true fails it instead. */
export function requireClusterTools(t: TestContext): boolean {
  if (hasClusterTools()) return true;
  if (process.env['CI'] === 'true') throw new Error('initdb/pg_ctl (postgresql server package) missing in CI');
  t.skip('initdb/pg_ctl not installed');
  return false;
}
