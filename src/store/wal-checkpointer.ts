/**
 * SQLite WAL checkpoints on a thread of their own (SQLite §"Write-Ahead Logging", 6. Automatic
 * Checkpoint): with the default auto-checkpoint, the commit that pushes the WAL past 1000 pages
 * copies it back into the database file and syncs both, on the event loop, inside a request —
 * measured on signatures/signHash at ~0.4 ms per commit on average under load, spent in a few
 * commits of several ms. Here the serving connection's auto-checkpoint is off and a worker thread
 * with its own connection runs a PASSIVE checkpoint (it never waits for readers or writers) every
 * `intervalMs`, and a RESTART one (which waits for readers so the WAL can start over) when the WAL
 * has grown past `restartPages`. Durability is unchanged: a checkpoint syncs the WAL first, as the
 * automatic one does. If the thread stops, the connection's auto-checkpoint is switched back on.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

/** Options of a checkpointer. */
export interface WalCheckpointerOptions {
  /** Time between PASSIVE checkpoints (default 200 ms). */
  readonly intervalMs?: number;
  /** WAL size in pages after a PASSIVE checkpoint past which a RESTART one follows (default 16384). */
  readonly restartPages?: number;
}

/** Figures of the checkpoint thread (tests and metrics). */
export interface WalCheckpointStats {
  /** Checkpoints run so far. */
  readonly checkpoints: number;
  /** Frames in the WAL and frames copied back, as the last checkpoint reported them. */
  readonly logFrames: number;
  readonly checkpointedFrames: number;
}

/** The checkpoint thread of one SQLite database file. */
export interface WalCheckpointer {
  stats(): WalCheckpointStats;
  /** Stops the thread (the connection's auto-checkpoint is switched back on). */
  stop(): Promise<void>;
}

/** Checkpoints failing in a row after which the connection checkpoints by itself again. */
const maxFailures = 5;

// CommonJS on purpose: an eval'd worker runs as a script; the driver's path comes from the parent.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
let timer;
const run = () => {
  try {
    let [r] = db.pragma('wal_checkpoint(PASSIVE)');
    if (r.log > workerData.restartPages) [r] = db.pragma('wal_checkpoint(RESTART)');
    parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message) });
  }
  timer = setTimeout(run, workerData.intervalMs);
};
timer = setTimeout(run, workerData.intervalMs);
parentPort.on('message', () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Turns `database`'s auto-checkpoint off and checkpoints its file from a worker thread.
 *
 * @example
 * ```ts
 * const checkpointer = startWalCheckpointer(database, file);
 * await checkpointer.stop(); // before closing the connection
 * ```
 */
export function startWalCheckpointer(
  database: BetterSqlite3.Database,
  file: string,
  options: WalCheckpointerOptions = {},
): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: {
      driver,
      file,
      intervalMs: options.intervalMs ?? 200,
      restartPages: options.restartPages ?? 16384,
    },
  });
  worker.unref();
  database.pragma('wal_autocheckpoint = 0');
  let running = true;
  const fallBack = (): void => {
    if (!running) return;
    running = false;
    // SQLite's default: the connection checkpoints by itself again.
    if (database.open) database.pragma('wal_autocheckpoint = 1000');
  };
  let stats: WalCheckpointStats = { checkpoints: 0, logFrames: 0, checkpointedFrames: 0 };
  let failures = 0;
  worker.on('message', (m: { log?: number; checkpointed?: number; error?: string }) => {
    if (m.error === undefined) {
      failures = 0;
      stats = {
        checkpoints: stats.checkpoints + 1,
        logFrames: m.log ?? 0,
        checkpointedFrames: m.checkpointed ?? 0,
      };
    } else if (++failures >= maxFailures) {
      // A file the thread cannot checkpoint (a RESTART timing out again and again, an I/O error):
      // the connection does it again, as SQLite does by default.
      fallBack();
      void worker.terminate();
    }
  });
  worker.on('error', fallBack);
  worker.on('exit', fallBack);
  return {
    stats: () => stats,
    stop: async () => {
      if (!running) return;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      // Held until it has closed its connection (an unref'd thread would not keep the caller waiting).
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
