/** An error in plain words with its stable code in small print (issue 13, Qualities). */
import type { JSX } from 'preact';
import type { ApiError } from '../api.js';

export function ErrorNote({ error }: { readonly error: ApiError | undefined }): JSX.Element | null {
  if (error === undefined) return null;
  return (
    <div class="error" role="alert">
      <p>{error.message}</p>
      <p>
        <small>Error code: {error.code}</small>
      </p>
    </div>
  );
}
