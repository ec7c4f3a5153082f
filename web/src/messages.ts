/**
 * Plain words for the stable error codes a person may meet in the app; the code itself stays in
 * small print. Unknown codes keep the server's own message (every Signet message is written to
 * be shown).
 */
import { ApiError } from './api.js';

const words: Readonly<Record<string, string>> = {
  unauthenticated: 'Your session has ended. Sign in again.',
  temporarily_unavailable: 'Too many requests just now. Wait a minute and try again.',
  network_error: 'The server cannot be reached. Check your connection and try again.',
  passkey_cancelled: 'The passkey request was cancelled or timed out. Try again.',
  ERR_AUTH_INVALID_CREDENTIALS: 'The username or password is wrong.',
  ERR_AUTH_OTP_INVALID: 'The one-time code is wrong or has expired. Enter the current code from your authenticator app.',
  ERR_AUTH_OTP_REPLAYED: 'This one-time code was already used. Wait for the next code and enter it.',
  ERR_AUTH_LOCKED: 'This account is locked after too many attempts. Try again later, or ask your administrator.',
  ERR_AUTH_THROTTLED: 'Too many attempts just now. Wait a minute and try again.',
  ERR_SESSION_SECOND_FACTOR_REQUIRED: 'Enter the one-time code from your authenticator app, or use your passkey.',
  ERR_SESSION_PASSKEY_REQUIRED: 'Your account must sign in with a passkey: choose "Use passkey".',
  ERR_SESSION_PASSWORDLESS_DISABLED: 'Enter your username and password first, then choose "Use passkey".',
  ERR_SESSION_STEP_UP_REQUIRED: 'For this change, confirm it is you: sign out and sign in again with your second factor.',
  ERR_SESSION_LAST_FACTOR: 'This is your last second factor. Add another one before removing it.',
  ERR_GATEWAY_PROVIDER_NOT_CONNECTED: 'Your signing keys are kept at another signing service. Connect to it first, then try again.',
  ERR_PDF_NOT_PDF: 'This file is not a PDF.',
  ERR_OIDC_USER_UNKNOWN: 'Your identity provider signed you in, but there is no Signet account for you. Ask your administrator.',
  ERR_OIDC_STATE_INVALID: 'That sign-in at your identity provider cannot be used (it was finished already). Start again.',
  ERR_OIDC_STATE_EXPIRED: 'The sign-in at your identity provider took too long. Start again.',
  ERR_OIDC_FIRST_FACTOR_INVALID: 'Sign in at your identity provider again: the previous sign-in has expired.',
};

/** The error with its message in plain words when the code is known. */
export function describeError(error: ApiError): ApiError {
  const text = words[error.code];
  return text === undefined ? error : new ApiError(error.status, error.code, text);
}
