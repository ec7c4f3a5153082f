/**
 * The signing thread of SigningPool: runs signDigest on the keys and digests posted to it, a
 * batch at a time, and answers each with the signature or the error's code and message (never
 * the key).
 */
import { parentPort } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { isSignetError } from '../../core/errors.js';
import { signDigest, type SoftwareSignRequest } from './sign-digest.js';

/** One signature asked of the thread: `key` indexes the batch's keys. */
export interface SigningJob {
  readonly id: number;
  readonly key: number;
  readonly request: SoftwareSignRequest;
}

/**
 * What the pool posts: the signatures asked in one turn of its event loop, with each key once —
 * a KeyObject travels as a cloned handle, never as bytes, and is cloned once per message, not
 * once per digest.
 */
export interface SigningBatch {
  readonly keys: readonly KeyObject[];
  readonly jobs: readonly SigningJob[];
}

/** The answer to a job. */
export type SigningAnswer =
  | { readonly id: number; readonly signature: Uint8Array }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string } };

function run(keys: readonly KeyObject[], job: SigningJob): SigningAnswer {
  const key = keys[job.key];
  try {
    if (key === undefined) return { id: job.id, error: { code: 'ERR_KEY_SIGN_FAILED', message: 'the signature could not be created' } };
    return { id: job.id, signature: signDigest(key, job.request) };
  } catch (err) {
    return {
      id: job.id,
      error: isSignetError(err) ? { code: err.code, message: err.message } : { code: 'ERR_KEY_SIGN_FAILED', message: 'the signature could not be created' },
    };
  }
}

const port = parentPort;
if (port !== null) {
  // The answers of a batch go back in one message (one wake-up of the pool's event loop).
  port.on('message', (batch: SigningBatch) => port.postMessage(batch.jobs.map((job) => run(batch.keys, job))));
}
