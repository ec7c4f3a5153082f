/**
 * The signing thread of SigningPool: runs signDigest on the keys and digests posted to it and
 * answers with the signature or the error's code and message (never the key).
 */
import { parentPort } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { isSignetError } from '../../core/errors.js';
import { signDigest, type SoftwareSignRequest } from './sign-digest.js';

/** A job posted by the pool: the KeyObject travels as a cloned handle, never as bytes. */
export interface SigningJob {
  readonly id: number;
  readonly key: KeyObject;
  readonly request: SoftwareSignRequest;
}

/** The answer to a job. */
export type SigningAnswer =
  | { readonly id: number; readonly signature: Uint8Array }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string } };

const port = parentPort;
if (port !== null) {
  port.on('message', (job: SigningJob) => {
    let answer: SigningAnswer;
    try {
      answer = { id: job.id, signature: signDigest(job.key, job.request) };
    } catch (err) {
      answer = {
        id: job.id,
        error: isSignetError(err) ? { code: err.code, message: err.message } : { code: 'ERR_KEY_SIGN_FAILED', message: 'the signature could not be created' },
      };
    }
    port.postMessage(answer);
  });
}
