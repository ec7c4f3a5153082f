/**
 * The app's only door to the server: same-origin fetch to /api/v1 with the session cookie. Every
 * state-changing request carries `X-Signet-Request: 1` (docs/decisions/0001 Contract 1: a header a
 * cross-origin page cannot send without a preflight, which Signet refuses). Errors become
 * `ApiError` with the server's stable code and plain-language message.
 */

/** An answer other than 2xx: `code` is the stable wire code (`error`), shown in small print. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The signed-in person (GET /api/v1/session). */
export interface SessionUser {
  readonly id: string;
  readonly username: string;
  readonly role: 'user' | 'admin';
}

/** The answer of every sign-in and of GET /api/v1/session (Contract 1). */
export interface SignedIn {
  readonly user: SessionUser;
  /** `none`: no second factor enrolled yet; the session may only enrol one. */
  readonly secondFactor?: 'totp' | 'passkey' | 'none';
}

type Body = { readonly json: unknown } | { readonly pdf: Blob } | undefined;

async function errorOf(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = response.statusText || 'The server refused the request.';
  try {
    const body = (await response.json()) as { error?: unknown; error_description?: unknown };
    if (typeof body.error === 'string') code = body.error;
    if (typeof body.error_description === 'string') message = body.error_description;
  } catch {
    // Not JSON (a proxy's page): keep the status line.
  }
  return new ApiError(response.status, code, message);
}

/** Sends one request; resolves with the parsed JSON (undefined for 204), rejects with ApiError. */
export async function request<T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: Body): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-signet-request'] = '1';
  let payload: BodyInit | undefined;
  if (body !== undefined && 'json' in body) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body.json);
  } else if (body !== undefined) {
    headers['content-type'] = 'application/pdf';
    payload = body.pdf;
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin', ...(payload !== undefined ? { body: payload } : {}) });
  } catch {
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection and try again.');
  }
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path);
export const post = <T>(path: string, json: unknown = {}): Promise<T> => request<T>('POST', path, { json });
export const patch = <T>(path: string, json: unknown): Promise<T> => request<T>('PATCH', path, { json });
export const put = <T>(path: string, json: unknown): Promise<T> => request<T>('PUT', path, { json });
export const del = <T>(path: string): Promise<T> => request<T>('DELETE', path);
export const postPdf = <T>(path: string, pdf: Blob): Promise<T> => request<T>('POST', path, { pdf });

/** Turns anything thrown into an ApiError (for display). */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DOMException && err.name === 'NotAllowedError') {
    return new ApiError(0, 'passkey_cancelled', 'The passkey request was cancelled or timed out.');
  }
  return new ApiError(0, 'client_error', err instanceof Error ? err.message : 'Something went wrong.');
}
