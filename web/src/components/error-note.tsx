/** An error in plain words with its stable code in small print (issue 13, Qualities). */
import type { JSX } from 'preact';
import type { ApiError } from '../api.js';
import { describeError } from '../messages.js';

export function ErrorNote({ error }: { readonly error: ApiError | undefined }): JSX.Element | null {
  if (error === undefined) return null;
  const { message: raw, code } = describeError(error);
  // Server messages are lower-case clauses ("the credential is revoked"): shown as a sentence.
  const message = `${raw.charAt(0).toUpperCase()}${raw.slice(1)}${/[.!?]$/.test(raw) ? '' : '.'}`;
  return (
    <div class="error" role="alert">
      <p>{message}</p>
      <p>
        <small>Error code: {code}</small>
      </p>
    </div>
  );
}
