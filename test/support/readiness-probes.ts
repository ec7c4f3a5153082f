/**
 * A loop of GET probes on its own thread (issue 15): the probing thread's event loop is not the
 * server's, so a probe starts on time even while the server's loop is blocked, and its latency
 * shows the block — probes sent from the server's own thread would only start once it is free.
 */
import { Worker } from 'node:worker_threads';

/** A running probe loop; `stop()` ends it and gives the latencies (ms) and any status other than 200. */
export interface ProbeLoop {
  stop(): Promise<{ readonly latencies: readonly number[]; readonly failures: readonly string[] }>;
}

const source = `
const { parentPort, workerData } = require('node:worker_threads');
let stop = false;
parentPort.on('message', () => (stop = true));
(async () => {
  // One probe unrecorded: the thread's first fetch loads and connects the HTTP client.
  await (await fetch(workerData.url)).arrayBuffer();
  parentPort.postMessage('started');
  const latencies = [];
  const failures = [];
  while (!stop) {
    const t0 = performance.now();
    try {
      const res = await fetch(workerData.url);
      await res.arrayBuffer();
      if (res.status !== 200) failures.push('status ' + res.status);
    } catch (err) {
      failures.push(String(err));
    }
    latencies.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, workerData.gapMs));
  }
  parentPort.postMessage({ latencies, failures });
})();
`;

/** Starts probing `url` every `gapMs` after the previous answer; resolves once the first (unrecorded) probe was answered. */
export async function probeLoop(url: string, gapMs = 20): Promise<ProbeLoop> {
  const worker = new Worker(source, { eval: true, workerData: { url, gapMs } });
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  await Promise.race([new Promise((resolve) => worker.once('message', resolve)), failed]);
  const result = Promise.race([
    new Promise<{ latencies: number[]; failures: string[] }>((resolve) =>
      worker.once('message', resolve),
    ),
    failed,
  ]);
  return {
    async stop() {
      worker.postMessage('stop');
      const r = await result;
      await worker.terminate();
      return r;
    },
  };
}
