/**
 * The server-rendered login and consent pages (no JavaScript, no third-party resources: RFC 9700
 * §4.16 and §4.2). Everything shown is HTML-escaped; the forms carry only the anti-CSRF token —
 * the request itself stays in the database (docs/security.md OA-33).
 */
import { approvedBatchRoot } from './approval-commitment.js';
import { digestAlgorithms } from '../../cms/index.js';
import type { DocumentFinding } from './consent-documents.js';
import type { AuthorizationRequest } from './types.js';

/** A document as the consent page shows it (contract 3). */
export interface ConsentDocumentView {
  readonly name: string;
  readonly pages: number;
  readonly hash: string;
  readonly size: number;
  readonly fieldName?: string;
  /** 0-based page and rectangle in PDF user space; absent for an invisible signature. */
  readonly placement?: { readonly page: number; readonly rect: readonly [number, number, number, number] };
  readonly findings: readonly DocumentFinding[];
}

function placementText(d: ConsentDocumentView): string {
  const field = d.fieldName === undefined ? 'a new signature field' : `the signature field “${escapeHtml(d.fieldName)}”`;
  if (d.placement === undefined) return `Your signature goes into ${field}, invisible on the pages.`;
  const [x1, y1, x2, y2] = d.placement.rect.map((n) => Math.round(n));
  return `Your signature appears in ${field} on page ${d.placement.page + 1} (a box from ${x1},${y1} to ${x2},${y2} points, from the bottom left).`;
}

/** The hash algorithm in words ("SHA-256"), its OID in small print; an unknown OID as such. */
function hashAlgorithmName(oid: string): string {
  const known = Object.values(digestAlgorithms).find((d) => d.oid === oid);
  return known === undefined ? `algorithm ${escapeHtml(oid)}` : `${known.name} <small>(${escapeHtml(oid)})</small>`;
}

/** What the checks found in one document, as a list (or the sentence that they found nothing). */
function renderFindings(d: ConsentDocumentView): string {
  if (d.findings.length === 0) return '<p class="findings-none">The checks found nothing unusual in this document.</p>';
  return `<ul class="findings" aria-label="What the checks found in ${escapeHtml(d.name)}">
${d.findings.map((f) => `<li class="${f.blocksSigning ? 'finding blocking' : 'finding'}">${f.blocksSigning ? '<strong>Cannot be signed:</strong> ' : ''}${escapeHtml(f.message)} <small>(${escapeHtml(f.code)})</small></li>`).join('\n')}
</ul>`;
}

/** The page and rectangle of a visible signature, for consent.js to draw on the rendered page. */
function placementAttributes(d: ConsentDocumentView): string {
  return d.placement === undefined ? '' : ` data-sign-page="${d.placement.page}" data-sign-rect="${d.placement.rect.map(String).join(' ')}"`;
}

function renderDocument(d: ConsentDocumentView, i: number): string {
  const n = i + 1;
  const findings = renderFindings(d);
  const place = placementAttributes(d);
  return `<section class="document" aria-labelledby="document-${n}-name">
<h2 id="document-${n}-name">Document ${n}: ${escapeHtml(d.name)}</h2>
<p><span class="page-count">${d.pages} page${d.pages === 1 ? '' : 's'}</span>, ${Math.max(1, Math.round(d.size / 1024))} KB. ${placementText(d)}</p>
<div class="pages" data-document="${i}" data-pages="${d.pages}"${place} role="group" aria-label="Pages of ${escapeHtml(d.name)}"><p class="pages-loading">The pages appear here once loaded.</p></div>
<p>Hash to be signed: <code class="document-hash">${escapeHtml(d.hash)}</code></p>
${findings}
</section>`;
}

/** Above this many documents the consent page lists them collapsed (a summary, each opened on demand). */
export const collapsedDocumentsFrom = 6;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * A document of a big request: a disclosure (`<details>`, keyboard and screen-reader operable
 * without script) whose summary names it with its page count and anything the checks found;
 * opening it shows the same facts as a small request's document, its pages rendered then
 * (consent.js renders a holder marked data-lazy when its document is opened). A document that
 * cannot be signed is open from the start.
 */
function renderCollapsedDocument(d: ConsentDocumentView, i: number): string {
  const n = i + 1;
  const blocking = d.findings.some((f) => f.blocksSigning);
  const note = blocking ? ' — cannot be signed' : d.findings.length > 0 ? ` — ${plural(d.findings.length, 'finding')}` : '';
  const findings = renderFindings(d);
  const place = placementAttributes(d);
  return `<li><details class="document"${blocking ? ' open' : ''}>
<summary id="document-${n}-name">Document ${n}: ${escapeHtml(d.name)} <span class="page-count">(${plural(d.pages, 'page')})</span>${escapeHtml(note)}</summary>
<div role="region" aria-labelledby="document-${n}-name">
<p>${Math.max(1, Math.round(d.size / 1024))} KB. ${placementText(d)}</p>
<div class="pages" data-document="${i}" data-pages="${d.pages}" data-lazy="1"${place} role="group" aria-label="Pages of ${escapeHtml(d.name)}"><p class="pages-loading">The pages appear here when the document is opened.</p></div>
<p>Hash to be signed: <code class="document-hash">${escapeHtml(d.hash)}</code></p>
${findings}
</div>
</details></li>`;
}

/** The documents of a request: each in full when few, else a summary and a collapsed list. */
function renderDocuments(docs: readonly ConsentDocumentView[]): string {
  if (docs.length < collapsedDocumentsFrom) return docs.map(renderDocument).join('\n');
  const pages = docs.reduce((sum, d) => sum + d.pages, 0);
  const flagged = docs.filter((d) => d.findings.length > 0).length;
  return `<p id="documents-summary"><strong>${plural(docs.length, 'document')}</strong>, ${plural(pages, 'page')} in all.${flagged === 0 ? ' The checks found nothing unusual in any of them.' : ` The checks found something in ${plural(flagged, 'document')} (marked below).`} Open a document to see its pages.</p>
<ol class="document-list" aria-label="Documents to sign">
${docs.map(renderCollapsedDocument).join('\n')}
</ol>`;
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, lang: string | undefined, body: string, data?: unknown): string {
  // Data for the page's script travels in a JSON block (never executed; `<` escaped so it cannot
  // close the element); the only scripts are Signet's own files (CSP script-src 'self').
  const json =
    data === undefined
      ? ''
      : `<script type="application/json" id="signet-page-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>\n`;
  return `<!DOCTYPE html>
<html lang="${escapeHtml(lang ?? 'en')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} — Signet</title>
<link rel="stylesheet" href="assets/consent.css">
<script src="assets/webauthn.js" defer></script>
<script type="module" src="assets/consent.js"></script>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
${json}</body>
</html>
`;
}

function message(text: string | undefined): string {
  return text === undefined ? '' : `<p role="alert" class="error">${escapeHtml(text)}</p>\n`;
}

/**
 * The sign-in form: username, password and a second factor — "Use passkey" (the page's script
 * checks the password, then runs the WebAuthn ceremony) or the one-time code and "Sign in" (works
 * without script). Posted back to /oauth2/authorize.
 */
export function renderLoginPage(view: {
  readonly request: AuthorizationRequest;
  readonly csrf: string;
  readonly message?: string;
  /** Offer "Use passkey" (the server has passkeys configured). */
  readonly hasPasskeys?: boolean;
}): string {
  const r = view.request;
  return page(
    'Sign in',
    r.lang,
    `<p>${escapeHtml(r.clientName)} asks to use your Signet account${r.scope === 'credential' ? ' to sign' : ''}.</p>
${message(view.message)}<p id="page-status" role="status"></p>
<form method="post" action="authorize" autocomplete="off" id="login-form">
<input type="hidden" name="csrf_token" value="${escapeHtml(view.csrf)}">
<input type="hidden" name="step" value="login">
<p><label>Username <input name="username" required autocomplete="username webauthn"></label></p>
<p><label>Password <input name="password" type="password" required autocomplete="current-password"></label></p>
${view.hasPasskeys === true ? '<p><button type="submit" name="factor" value="passkey" formnovalidate>Use passkey</button> or enter a one-time code:</p>\n' : ''}<p><label>One-time code <input name="otp" inputmode="numeric" pattern="[0-9]*" autocomplete="one-time-code"${view.hasPasskeys === true ? '' : ' required'}></label></p>
<p><button type="submit" name="factor" value="otp">Sign in</button></p>
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
  /** The documents behind the hashes (contract 3); absent for a hash-only request. */
  readonly documents?: readonly ConsentDocumentView[];
  /** Ask the credential PIN (scope credential, when the credential has one). Default true. */
  readonly pinRequired?: boolean;
  /** Base64url approval commitment (scope credential). */
  readonly commitment?: string;
  /** A passkey approval ceremony whose challenge is the commitment (the page's script runs it). */
  readonly approval?: { readonly ticket: string; readonly options: unknown };
  /** A fresh second factor is needed at approval (the user came with an existing web session). */
  readonly needsFreshFactor?: boolean;
}): string {
  const r = view.request;
  const c = r.credential;
  const docs = view.documents ?? [];
  const isBlocked = docs.some((d) => d.findings.some((f) => f.blocksSigning));
  const shown =
    c === undefined
      ? ''
      : docs.length === 0
        ? `<p id="hash-only"><strong>Signet has not seen these documents: only their hashes.</strong> It cannot show you what you are signing. Approve only if you trust ${escapeHtml(r.clientName)} to have computed these hashes from the documents you mean to sign.</p>`
        : `<p>These are the documents you are about to sign, shown from the very bytes whose hashes your signature will cover.</p>
${renderDocuments(docs)}
${isBlocked ? '<p role="alert" id="blocked">At least one document cannot be signed safely (see above), so this request cannot be approved.</p>' : ''}`;
  const what =
    c === undefined
      ? `<p>${escapeHtml(r.clientName)} asks for access to your Signet account (scope <code>service</code>): list your credentials and their certificates. It cannot sign without asking you again.</p>`
      : `<p>${escapeHtml(r.clientName)} asks to create <strong id="num-signatures">${c.numSignatures}</strong> signature(s) with your credential <code id="credential-id">${escapeHtml(c.credentialId)}</code> ${view.certificateSubject === undefined ? '' : ` (certificate <span id="certificate-subject">${escapeHtml(view.certificateSubject)}</span>)`} over exactly these document hashes (${hashAlgorithmName(c.hashAlgorithmOid)}):</p>
${docs.length >= collapsedDocumentsFrom ? `<details class="digests"><summary>The ${c.documentDigests.length} hashes (each is also shown with its document below)</summary>\n` : ''}<ol id="document-digests">
${c.documentDigests.map((d) => `<li>${d.label === undefined ? '' : `${escapeHtml(d.label)}: `}<code>${escapeHtml(d.hash)}</code></li>`).join('\n')}
</ol>${docs.length >= collapsedDocumentsFrom ? '</details>' : ''}
<dl class="batch"><dt>Documents in the batch</dt><dd id="batch-count">${c.documentDigests.length}</dd><dt>Batch root</dt><dd><code id="batch-root">${escapeHtml(approvedBatchRoot(c))}</code></dd></dl>
<p class="batch-note">The batch root is a fingerprint of exactly these documents in this order. After signing, each document comes with a receipt that proves it was part of this approval; you can check a receipt against this root with <code>signet receipt verify --root</code>.</p>`;
  const pin =
    c === undefined || view.pinRequired === false
      ? ''
      : `<p><label>Credential PIN <input name="pin" type="password" required autocomplete="off"></label></p>\n`;
  const hasPasskey = view.approval !== undefined;
  const factor =
    c === undefined
      ? ''
      : `${hasPasskey ? `<fieldset id="approval-factor">
<legend>Confirm with</legend>
<label><input type="radio" name="factor" value="passkey" checked> Passkey</label>
<label><input type="radio" name="factor" value="otp"> One-time code</label>
</fieldset>
` : ''}${hasPasskey || view.needsFreshFactor === true ? `<p id="otp-field"><label>One-time code <input name="otp" inputmode="numeric" pattern="[0-9]*" autocomplete="one-time-code"${!hasPasskey ? ' required' : ''}></label></p>\n` : ''}<input type="hidden" name="passkey_ticket" value="">
<input type="hidden" name="passkey_response" value="">
`;
  const commitment =
    view.commitment === undefined
      ? ''
      : `<p class="commitment">Your approval is bound to exactly these hashes and this request: <code id="commitment">${escapeHtml(view.commitment)}</code></p>\n`;
  return page(
    c === undefined ? 'Allow access' : 'Authorise signatures',
    r.lang,
    `<p>Signed in as <strong>${escapeHtml(view.username)}</strong>.</p>
${what}
${shown}
${r.description === undefined ? '' : `<p>The application says: <em>${escapeHtml(r.description)}</em></p>\n`}${commitment}${message(view.message)}<p id="page-status" role="status"></p>
<form method="post" action="authorize" autocomplete="off" id="consent-form">
<input type="hidden" name="csrf_token" value="${escapeHtml(view.csrf)}">
<input type="hidden" name="step" value="consent">
${pin}${factor}<p><button type="submit" name="decision" value="approve"${isBlocked ? ' disabled' : ''}>Approve</button>
<button type="submit" name="decision" value="deny" formnovalidate>Deny</button></p>
</form>`,
    view.approval === undefined ? undefined : { approval: view.approval },
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
