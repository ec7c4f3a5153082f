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
};

/** The error with its message in plain words when the code is known. */
export function describeError(error: ApiError): ApiError {
  const text = words[error.code];
  return text === undefined ? error : new ApiError(error.status, error.code, text);
}
