/** Errors of the transparency log and the verifiable batches (RFC 9162 Merkle trees), with stable codes. */
import { SignetError, type SignetErrorOptions } from '../core/errors.js';

/** Every code the transparency domain throws (listed in docs/errors/transparency.md). */
export type TransparencyErrorCode =
  | 'ERR_TRANSPARENCY_RANGE'
  // Verifiable batches and receipts (batch-tree.ts, receipt.ts, transparency-key.ts).
  | 'ERR_TRANSPARENCY_KEY'
  | 'ERR_TRANSPARENCY_RECEIPT_MALFORMED'
  | 'ERR_TRANSPARENCY_RECEIPT_KEY'
  | 'ERR_TRANSPARENCY_RECEIPT_SIGNATURE'
  | 'ERR_TRANSPARENCY_RECEIPT_HASH'
  | 'ERR_TRANSPARENCY_BATCH_PROOF'
  | 'ERR_TRANSPARENCY_BATCH_ROOT'
  // The signature log (log-*.ts, tree-head*.ts, monitor*.ts).
  | 'ERR_TRANSPARENCY_NO_TREE_HEAD'
  | 'ERR_TRANSPARENCY_LOG_INCOMPLETE'
  | 'ERR_TRANSPARENCY_HEAD_EXISTS'
  | 'ERR_TRANSPARENCY_MONITOR_FETCH'
  | 'ERR_TRANSPARENCY_MONITOR_STATE';

/**
 * A transparency or Merkle-proof error. `code` is stable; `message` is safe to show.
 *
 * @example
 * ```ts
 * throw new TransparencyError('ERR_TRANSPARENCY_RANGE', 'Out of range: leaf 9 in a tree of 8');
 * ```
 */
export class TransparencyError extends SignetError<TransparencyErrorCode> {
  constructor(code: TransparencyErrorCode, message: string, options?: SignetErrorOptions) {
    super(code, message, options);
  }
}
