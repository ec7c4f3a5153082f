/**
 * Runs the benchmark RSSP (csc-rssp.ts) in a worker thread, so the server has its own event loop
 * as it would in its own process, and the client's work does not queue behind it.
 */
import { parentPort, workerData, Worker } from 'node:worker_threads';
import type { CredentialAlgorithm } from '../src/csc/index.js';
import type { CreateServicesOptions } from '../src/server/index.js';
import { startBenchRssp, withOtp, type BenchRssp, type BenchUserData } from './csc-rssp.js';
import { askCpu, threadCpuMs, threadId } from './thread-cpu.js';

interface Started {
  readonly url: string;
  readonly users: readonly BenchUserData[];
  readonly rootCertificate: Uint8Array;
}

if (parentPort !== null && (workerData as { benchRssp?: boolean } | undefined)?.benchRssp) {
  const { userCount, algorithms, steps, without } = workerData as {
    userCount: number;
    algorithms: CredentialAlgorithm[];
    steps: SharedArrayBuffer;
    without?: CreateServicesOptions['benchmarkWithout'];
  };
  const port = parentPort;
  const rssp = await startBenchRssp(userCount, algorithms, new Int32Array(steps), without);
  const started: Started = {
    url: rssp.url,
    users: rssp.users.map((u) => ({ username: u.username, password: u.password, credentials: u.credentials, pin: u.pin, totpSecret: u.totpSecret })),
    rootCertificate: rssp.rootCertificate,
  };
  port.postMessage(started);
  port.on('message', (m) => {
    if (m === 'close') void rssp.close().then(() => port.postMessage('closed'));
    // The server thread's CPU so far (csc.bench.ts: CPU per call).
    if (m === 'cpu') port.postMessage({ cpuMs: threadCpuMs() });
    // Its thread id (csc.bench.ts: the batch's CPU split by thread).
    if (m === 'tid') port.postMessage({ tid: threadId() });
  });
}

/** Starts the RSSP in a worker thread; same shape as startBenchRssp. */
export async function startBenchRsspWorker(
  userCount: number,
  algorithms: readonly CredentialAlgorithm[],
  without?: CreateServicesOptions['benchmarkWithout'],
): Promise<BenchRssp> {
  const shared = new SharedArrayBuffer(4);
  const steps = new Int32Array(shared);
  // The worker loads this TypeScript file through tsx's loader, registered first.
  const entry = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  const worker = new Worker(entry, { eval: true, workerData: { benchRssp: true, userCount, algorithms, steps: shared, without } });
  const started = await new Promise<Started>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    url: started.url,
    users: started.users.map((u) => withOtp(u, steps)),
    rootCertificate: started.rootCertificate,
    serverCpuMs: () => askCpu(worker),
    serverThreadId: () =>
      new Promise((resolve) => {
        const answer = (m: unknown): void => {
          if (typeof m !== 'object' || m === null || !('tid' in m)) return;
          worker.off('message', answer);
          resolve((m as { tid: number | undefined }).tid);
        };
        worker.on('message', answer);
        worker.postMessage('tid');
      }),
    async close() {
      const closed = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage('close');
      await closed;
      await worker.terminate();
    },
  };
}
