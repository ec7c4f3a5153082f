/** Value types of the signing gateway: documents in, signed documents out, per-document results. */
import type { SignOptions } from '../pades/index.js';

/** Where a document comes from. A file is read lazily and never loaded whole. */
export type DocumentSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array };

/**
 * Where the signed document goes. A file is written through a temporary file in the same folder
 * and renamed into place only when complete; `bytes` hands the whole signed file to `accept`.
 */
export type DocumentSink =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'bytes'; accept(signed: Uint8Array): void | Promise<void> };

/** PAdES options of one document (the signing time comes from the gateway's Clock). */
export type DocumentSignOptions = Omit<SignOptions, 'signingTime'>;

/** One document of a batch. */
export interface BatchDocument {
  /** The caller's name for it (a path, an upload id); echoed in results and progress. */
  readonly id: string;
  readonly source: DocumentSource;
  readonly sink: DocumentSink;
  /** Overrides of the batch's options for this document. */
  readonly options?: DocumentSignOptions;
}

/** The phase where a document failed. */
export type BatchStage = 'prepare' | 'authorize' | 'sign' | 'embed';

/** The outcome for one document. */
export type DocumentResult =
  | { readonly id: string; readonly ok: true }
  | {
      readonly id: string;
      readonly ok: false;
      readonly stage: BatchStage;
      /** The SignetError code (`ERR_…`), or `ERR_GATEWAY_NOT_SIGNED` for a foreign error. */
      readonly code: string;
      readonly message: string;
      readonly error: unknown;
    };

/** Progress events, in order per document: prepared → signed | failed. */
export interface BatchProgress {
  readonly event: 'prepared' | 'signed' | 'failed';
  readonly id: string;
  /** Documents finished (signed or failed) so far, and the batch size. */
  readonly finished: number;
  readonly total: number;
}

/** What a batch did. `results` is in input order. */
export interface BatchResult {
  readonly results: readonly DocumentResult[];
  readonly signed: number;
  readonly failed: number;
  /** credentials/authorize (or equivalent) calls made. */
  readonly authorizations: number;
  /** signatures/signHash calls made. */
  readonly signHashCalls: number;
  readonly timings: { readonly prepareMs: number; readonly signMs: number; readonly totalMs: number };
}
