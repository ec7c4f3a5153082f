/**
 * Worker-thread entry of the consent-document inspector: inspects one document per message, so a
 * hostile PDF costs a worker's time and heap (bounded by its resourceLimits and a deadline), never
 * the server's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ParseLimits } from '../core/limits.js';
import { inspectConsentDocument, type InspectionInput } from './consent-document-inspection.js';

const limits = (workerData as { limits: Partial<ParseLimits> }).limits;

parentPort?.on('message', (message: { readonly id: number; readonly input: InspectionInput }) => {
  let result;
  try {
    result = inspectConsentDocument(message.input, limits);
  } catch {
    result = { kind: 'refused', code: 'ERR_OAUTH2_DOCUMENT_MALFORMED', message: 'the document is not a readable PDF' } as const;
  }
  parentPort?.postMessage({ id: message.id, result });
});
// Loaded: the pool starts the first document's deadline now, not while the worker was starting.
parentPort?.postMessage({ ready: true });
