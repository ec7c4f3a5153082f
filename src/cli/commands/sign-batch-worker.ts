/**
 * A worker thread of `signet sign --out-dir` (issue 18 §4: a batch uses every core): loads its own
 * signer from the same options, then signs each file the main thread sends and answers with the
 * outcome. Started by sign-batch-workers.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { formatError } from '../main.js';
import { loadSigning, type SignValues } from './sign-setup.js';
import type { WorkerReply, WorkerRequest } from './sign-batch-workers.js';

const port = parentPort;
if (port !== null) {
  const post = (m: WorkerReply): void => port.postMessage(m);
  try {
    const signing = await loadSigning(workerData as SignValues);
    port.on('message', (m: WorkerRequest) => {
      if (m.kind === 'stop') {
        void signing.loaded.close().finally(() => port.close());
        return;
      }
      signing.signFile(m.input, m.output).then(
        () => post({ kind: 'signed', id: m.id }),
        (err: unknown) => post({ kind: 'failed', id: m.id, message: formatError(err) }),
      );
    });
    post({ kind: 'ready' });
  } catch (err) {
    post({ kind: 'unavailable', message: formatError(err) });
  }
}
