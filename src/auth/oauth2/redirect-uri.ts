/**
 * Redirect URI rules: exact string comparison with the registered URIs (RFC 9700 §2.1 and §4.1.3,
 * RFC 6749 §3.1.2), the one exception being the port of a loopback redirect registered by a
 * native client (RFC 8252 §7.3); and what may be registered at all.
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);
/** RFC 8252 §7.3: `http://127.0.0.1:{port}/path` or `http://[::1]:{port}/path`, nothing else. */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?(\/[^?#]*)?(\?[^#]*)?$/;

/** Returns `uri` without its port when it is a loopback redirect in RFC 8252 §7.3 form, else undefined. */
function loopbackWithoutPort(uri: string): string | undefined {
  const m = LOOPBACK.exec(uri);
  if (m === null) return undefined;
  const port = m[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535 || port.startsWith('0'))) {
    return undefined;
  }
  return `http://${m[1] ?? ''}${m[3] ?? ''}${m[4] ?? ''}`;
}

/**
 * True when `requested` is one of `registered`, compared as exact strings (no prefix, case,
 * trailing-slash or percent-encoding tolerance: docs/security.md OA-01). A loopback URI registered
 * without a port matches the same URI with any port (RFC 8252 §7.3, OA-30); `localhost` is not
 * a loopback literal and gets no such tolerance (RFC 8252 §8.3).
 */
export function isRegisteredRedirectUri(requested: string, registered: readonly string[]): boolean {
  if (registered.includes(requested)) return true;
  const requestedBase = loopbackWithoutPort(requested);
  if (requestedBase === undefined) return false;
  return registered.some((r) => loopbackWithoutPort(r) === requestedBase && !hasPort(r));
}

function hasPort(uri: string): boolean {
  return /^http:\/\/(127\.0\.0\.1|\[::1\]):/.test(uri);
}

/**
 * Why `uri` cannot be registered, or undefined when it can: an absolute URI without fragment
 * (RFC 6749 §3.1.2), https, or http on a loopback literal (RFC 8252 §7.3), or a private-use
 * scheme in reverse-domain form (RFC 8252 §7.1); no user info (an `a@evil` host confusion).
 */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.length === 0 || uri.length > 2000) return 'must have 1 to 2000 characters';
  if (/[\s<>"\\^`{|}]/.test(uri) || /[^\x21-\x7E]/.test(uri))
    return 'contains characters a URI may not';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URI';
  }
  if (uri.includes('#')) return 'must not contain a fragment (RFC 6749 §3.1.2)';
  if (url.username !== '' || url.password !== '') return 'must not contain user information';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(url.hostname)
      ? undefined
      : 'http is allowed only on 127.0.0.1 or [::1] (RFC 8252 §7.3)';
  }
  // RFC 8252 §7.1: private-use schemes in reverse domain name form, e.g. com.example.app:/cb.
  return /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/.test(url.protocol)
    ? undefined
    : 'must use https, loopback http or a reverse-domain private-use scheme';
}
