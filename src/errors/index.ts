/**
 * Every error class Signet throws, as one union: `switch (err.code)` over an {@link AnySignetError}
 * is exhaustive (the compiler knows every `ERR_<DOMAIN>_<WHAT>` code, listed in docs/errors/), and
 * {@link isAnySignetError} narrows to it. core cannot name the domains (it imports nothing), so the
 * union lives here, above them all.
 */
import { SignetError } from '../core/errors.js';
import { AuditError } from '../audit/errors.js';
import { AuthError, OidcError, SadError, SessionError } from '../auth/errors.js';
import { OAuth2Error } from '../auth/oauth2/errors.js';
import { WebAuthnError } from '../auth/webauthn/errors.js';
import { CliError } from '../cli/errors.js';
import { CmsError } from '../cms/errors.js';
import { PkiError } from '../cms/pki-errors.js';
import { CscError } from '../csc/errors.js';
import { CscClientError } from '../csc/client/errors.js';
import { GatewayError } from '../gateway/errors.js';
import { KeyBackendError } from '../keys/errors.js';
import { LocalKeyError } from '../keys/local/errors.js';
import { PadesError } from '../pades/errors.js';
import { PdfError } from '../pdf/errors.js';
import { ServerError } from '../server/errors.js';
import { StoreError } from '../store/errors.js';
import { TransparencyError } from '../transparency/errors.js';

/** The classes of {@link AnySignetError}, for `instanceof` checks at run time. */
export const signetErrorClasses = [
  AuditError,
  AuthError,
  OidcError,
  SadError,
  SessionError,
  OAuth2Error,
  WebAuthnError,
  CliError,
  CmsError,
  PkiError,
  CscError,
  CscClientError,
  GatewayError,
  KeyBackendError,
  LocalKeyError,
  PadesError,
  PdfError,
  ServerError,
  StoreError,
  TransparencyError,
] as const;

/** Any error Signet throws; `err.code` is the union of every domain's codes. */
export type AnySignetError = InstanceType<(typeof signetErrorClasses)[number]>;

/** Every stable code (`AnySignetError['code']`). */
export type AnySignetErrorCode = AnySignetError['code'];

/**
 * True when `err` is one of Signet's domain errors; narrows to {@link AnySignetError} so that a
 * `switch (err.code)` is checked for exhaustiveness.
 *
 * @example
 * ```ts
 * if (isAnySignetError(err) && err.code === 'ERR_PDF_NOT_PDF') return badRequest(err.message);
 * ```
 */
export function isAnySignetError(err: unknown): err is AnySignetError {
  return err instanceof SignetError && signetErrorClasses.some((c) => err instanceof c);
}
