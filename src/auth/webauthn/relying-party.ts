/**
 * The WebAuthn relying party (W3C WebAuthn L2 §5.1.4.1, §13.4.9): its RP ID (a registrable domain
 * suffix of every allowed origin, never an IP address) and the exact origins whose ceremonies are
 * accepted, from `SIGNET_WEBAUTHN_RP_ID` / `SIGNET_WEBAUTHN_ORIGINS` or derived from the base URL.
 */
import { isIP } from 'node:net';
import { WebAuthnError } from './errors.js';

/** Who the ceremonies are for, and from where they are accepted. */
export interface RelyingParty {
  /** The RP ID: a domain (never an IP address: WebAuthn §5.1.4.1 and the HTML "valid domain"). */
  readonly rpId: string;
  /** The name shown by authenticators. */
  readonly rpName: string;
  /** Exact origins (scheme://host[:port]) accepted in clientDataJSON.origin (§7.1 step 9, §7.2 step 13). */
  readonly origins: readonly string[];
}

/** The configuration as read from the environment (empty: derive from the base URL). */
export interface RelyingPartySettings {
  readonly rpId?: string | undefined;
  /** Comma-separated origins. */
  readonly origins?: string | undefined;
  readonly rpName?: string | undefined;
}

function originOf(text: string): { origin: string; hostname: string; protocol: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new WebAuthnError('ERR_WEBAUTHN_CONFIG', `not an origin: ${text}`, { cause });
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== text.replace(/\/+$/, '')) {
    throw new WebAuthnError('ERR_WEBAUTHN_CONFIG', `an allowed origin must be scheme://host[:port] only: ${text}`);
  }
  return { origin: url.origin, hostname: url.hostname, protocol: url.protocol };
}

/** WebAuthn needs a secure context: https, or http on localhost (HTML "potentially trustworthy origin"). */
function isSecureContextOrigin(o: { hostname: string; protocol: string }): boolean {
  return o.protocol === 'https:' || o.hostname === 'localhost' || o.hostname.endsWith('.localhost');
}

/**
 * Resolves the relying party. Without settings: the RP ID is the base URL's host name; when that
 * is an IP address (the default `http://127.0.0.1:PORT`), it is `localhost`, and the origins are
 * the base URL's and `http://localhost:PORT` (Chromium serves localhost from 127.0.0.1).
 *
 * @example
 * ```ts
 * relyingPartyFor('https://sign.example.org', {}); // { rpId: 'sign.example.org', origins: ['https://sign.example.org'] }
 * ```
 */
export function relyingPartyFor(baseUrl: string, settings: RelyingPartySettings = {}): RelyingParty {
  const base = originOf(new URL(baseUrl).origin);
  const rpName = settings.rpName ?? 'Signet';
  let origins: string[];
  if (settings.origins !== undefined && settings.origins.trim() !== '') {
    origins = settings.origins.split(',').map((o) => o.trim()).filter((o) => o !== '').map((o) => originOf(o).origin);
  } else if (isIP(base.hostname.replace(/^\[|\]$/g, '')) !== 0) {
    const port = new URL(baseUrl).port;
    origins = [base.origin, `${base.protocol}//localhost${port === '' ? '' : `:${port}`}`];
  } else {
    origins = [base.origin];
  }
  const rpId = (settings.rpId !== undefined && settings.rpId.trim() !== '' ? settings.rpId.trim() : undefined) ??
    (isIP(base.hostname.replace(/^\[|\]$/g, '')) !== 0 ? 'localhost' : base.hostname);
  if (isIP(rpId) !== 0 || !/^[a-z0-9.-]+$/i.test(rpId) || rpId.startsWith('.') || rpId.endsWith('.')) {
    throw new WebAuthnError('ERR_WEBAUTHN_CONFIG', `the WebAuthn RP ID must be a domain name, not ${rpId}`);
  }
  const id = rpId.toLowerCase();
  // §5.1.4.1 / §7.1 step 9 via the RP ID hash: an origin outside the RP ID's domain could never assert.
  const explicit = settings.origins !== undefined && settings.origins.trim() !== '';
  const usable = origins.filter((o) => {
    const u = originOf(o);
    return (u.hostname === id || u.hostname.endsWith(`.${id}`)) && (!explicit || isSecureContextOrigin(u));
  });
  if (explicit && usable.length !== origins.length) {
    throw new WebAuthnError('ERR_WEBAUTHN_CONFIG', `every WebAuthn origin must be https (or http://localhost) on ${id} or a subdomain of it`);
  }
  if (usable.length === 0) {
    throw new WebAuthnError('ERR_WEBAUTHN_CONFIG', `no origin can use the RP ID ${id}: set SIGNET_WEBAUTHN_ORIGINS (https, or http://localhost)`);
  }
  return { rpId: id, rpName, origins: usable };
}
