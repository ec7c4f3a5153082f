/** Base error class for every Signet error: a stable code, a public message, internal detail. */

export interface SignetErrorOptions {
  /** The underlying error, kept for logs. */
  readonly cause?: unknown;
  /** Internal detail: logged, never sent to a client. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * Every error Signet throws extends this class. `code` is stable API (`ERR_<DOMAIN>_<WHAT>`),
 * listed in docs/errors/ (one page per domain); `message` is safe to show to a user; `detail` is for logs only.
 *
 * @example
 * ```ts
 * class PdfError extends SignetError<'ERR_PDF_SYNTAX'> {}
 * throw new PdfError('ERR_PDF_SYNTAX', 'unexpected token at offset 12');
 * ```
 */
export class SignetError<C extends string = string> extends Error {
  readonly code: C;
  readonly detail: Readonly<Record<string, unknown>> | undefined;

  constructor(code: C, message: string, options: SignetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.detail = options.detail;
  }
}

/** True when `err` is a SignetError (optionally with the given code). */
export function isSignetError(err: unknown, code?: string): err is SignetError {
  return err instanceof SignetError && (code === undefined || err.code === code);
}
