/**
 * The server-rendered login and consent pages (no JavaScript, no third-party resources: RFC 9700
 * §4.16 and §4.2). Everything shown is HTML-escaped; the forms carry only the anti-CSRF token —
 * the request itself stays in the database (SECURITY.md OA-33).
 */
import type { AuthorizationRequest } from './types.js';

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, lang: string | undefined, body: string): string {
  return `<!DOCTYPE html>
<html lang="${escapeHtml(lang ?? 'en')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} — Signet</title>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

function message(text: string | undefined): string {
  return text === undefined ? '' : `<p role="alert" class="error">${escapeHtml(text)}</p>\n`;
}

/** The sign-in form: username, password and the TOTP code, posted back to /oauth2/authorize. */
export function renderLoginPage(view: {
  readonly request: AuthorizationRequest;
  readonly csrf: string;
  readonly message?: string;
}): string {
  const r = view.request;
  return page(
    'Sign in',
    r.lang,
    `<p>${escapeHtml(r.clientName)} asks to use your Signet account${r.scope === 'credential' ? ' to sign' : ''}.</p>
${message(view.message)}<form method="post" action="authorize" autocomplete="off">
<input type="hidden" name="csrf_token" value="${escapeHtml(view.csrf)}">
<input type="hidden" name="step" value="login">
<p><label>Username <input name="username" required autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password" required autocomplete="current-password"></label></p>
<p><label>One-time code <input name="otp" inputmode="numeric" pattern="[0-9]*" required autocomplete="one-time-code"></label></p>
<p><button type="submit">Sign in</button></p>
</form>`,
  );
}

/**
 * The consent form: what exactly is authorised. For scope credential: the credential, the number
 * of signatures and every document hash with its label, and the credential PIN (SCAL2, explicit).
 */
export function renderConsentPage(view: {
  readonly request: AuthorizationRequest;
  readonly csrf: string;
  readonly username: string;
  readonly message?: string;
  /** The credential certificate's subject (scope credential). */
  readonly certificateSubject?: string;
}): string {
  const r = view.request;
  const c = r.credential;
  const what =
    c === undefined
      ? `<p>${escapeHtml(r.clientName)} asks for access to your Signet account (scope <code>service</code>): list your credentials and their certificates. It cannot sign without asking you again.</p>`
      : `<p>${escapeHtml(r.clientName)} asks to create <strong id="num-signatures">${c.numSignatures}</strong> signature(s) with your credential <code id="credential-id">${escapeHtml(c.credentialId)}</code> ${view.certificateSubject === undefined ? '' : ` (certificate <span id="certificate-subject">${escapeHtml(view.certificateSubject)}</span>)`} over exactly these document hashes (algorithm ${escapeHtml(c.hashAlgorithmOid)}):</p>
<ol id="document-digests">
${c.documentDigests.map((d) => `<li>${d.label === undefined ? '' : `${escapeHtml(d.label)}: `}<code>${escapeHtml(d.hash)}</code></li>`).join('\n')}
</ol>`;
  const pin =
    c === undefined
      ? ''
      : `<p><label>Credential PIN <input name="pin" type="password" required autocomplete="off"></label></p>\n`;
  return page(
    c === undefined ? 'Allow access' : 'Authorise signatures',
    r.lang,
    `<p>Signed in as <strong>${escapeHtml(view.username)}</strong>.</p>
${what}
${r.description === undefined ? '' : `<p>The application says: <em>${escapeHtml(r.description)}</em></p>\n`}${message(view.message)}<form method="post" action="authorize" autocomplete="off">
<input type="hidden" name="csrf_token" value="${escapeHtml(view.csrf)}">
<input type="hidden" name="step" value="consent">
${pin}<p><button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" formnovalidate>Deny</button></p>
</form>`,
  );
}

/** An error shown to the user instead of redirecting (RFC 6749 §4.1.2.1). */
export function renderErrorPage(view: {
  readonly title: string;
  readonly message: string;
}): string {
  return page(
    view.title,
    undefined,
    `<p role="alert">${escapeHtml(view.message)}</p>
<p>Return to the application you came from and start again.</p>`,
  );
}
