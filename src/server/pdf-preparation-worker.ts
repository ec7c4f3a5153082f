/**
 * Worker-thread entry of signDoc's PDF preparation (issue 15): parses the document, checks it and
 * builds the incremental update (preparePdf) in a worker with a heap limit and a deadline, so a
 * hostile PDF never stalls the server's event loop. Errors come back as their code and message.
 */
import { parentPort } from 'node:worker_threads';
import { isSignetError } from '../core/errors.js';
import { preparePdf, type PrepareOptions, type PreparedSignature } from '../pades/index.js';

/** One job: the document and the options of preparePdf (all structured-clonable). */
export interface PreparationInput {
  readonly pdf: Uint8Array;
  readonly options: PrepareOptions;
}

/** The answer: the prepared signature, or the coded error that refused the document. */
export type PreparationResult =
  | { readonly prepared: PreparedSignature }
  | { readonly error: { readonly code: string; readonly message: string } };

parentPort?.on('message', (message: { readonly id: number; readonly input: PreparationInput }) => {
  let result: PreparationResult;
  try {
    result = { prepared: preparePdf(message.input.pdf, message.input.options) };
  } catch (err) {
    result = isSignetError(err)
      ? { error: { code: err.code, message: err.message } }
      : { error: { code: 'ERR_PADES_PREPARED_INVALID', message: 'the document could not be prepared for signing' } };
  }
  parentPort?.postMessage({ id: message.id, result });
});
// Loaded: the pool starts the first document's deadline now, not while the worker was starting.
parentPort?.postMessage({ ready: true });
