// Signet's sign-in and consent pages: the one small script they run (CSP script-src 'self').
// - Consent: renders each document's pages with pdf.js (served by Signet, isEvalSupported: false)
//   from the very bytes the server hashed, fetched under the interaction cookie, and outlines
//   where a visible signature goes. Untrusted PDFs are parsed here, in the browser's sandbox.
// - Sign-in with a passkey: password first (POST login/passkey), then the WebAuthn ceremony.
// - Approval with a passkey: the assertion's challenge is the approval commitment.
// Everything is optional: without script the pages still work with a one-time code.

const status = document.getElementById('page-status');

function say(text) {
  if (status) status.textContent = text;
}

function pageData() {
  const el = document.getElementById('signet-page-data');
  if (!el) return {};
  try {
    return JSON.parse(el.textContent || '{}');
  } catch {
    return {};
  }
}

function webauthn() {
  // The UMD bundle of @simplewebauthn/browser (assets/webauthn.js) defines this global.
  return globalThis.SimpleWebAuthnBrowser;
}

function chosenFactor(form) {
  const checked = form.querySelector('input[name="factor"]:checked');
  return checked ? checked.value : 'otp';
}

function syncOtpField(form) {
  const otp = form.querySelector('#otp-field');
  if (!otp) return;
  const usePasskey = chosenFactor(form) === 'passkey' && form.querySelector('input[name="factor"]');
  otp.hidden = Boolean(usePasskey);
}

/* ---------------------------------------------------------------- documents (pdf.js) */

const MAX_PAGES_SHOWN = 50;

let viewer;

/** pdf.js, loaded once, when the first document is shown. */
function loadViewer() {
  viewer ??= import(new URL('assets/pdf.min.mjs', document.baseURI).href).then((pdfjs) => {
    pdfjs.GlobalWorkerOptions.workerSrc = new URL('assets/pdf.worker.min.mjs', document.baseURI).href;
    return pdfjs;
  });
  return viewer;
}

async function show(holder) {
  if (holder.dataset.rendered) return;
  holder.dataset.rendered = 'loading';
  let pdfjs;
  try {
    pdfjs = await loadViewer();
  } catch (err) {
    showProblem(holder, 'The document viewer could not be loaded.');
    return;
  }
  try {
    await renderOne(pdfjs, holder);
  } catch (err) {
    showProblem(holder, 'This document could not be shown. Do not approve what you cannot see.');
  }
}

// A few documents are rendered at once; in a big request (data-lazy) a document's pages are
// rendered when the person opens it, so 200 documents do not all load.
async function renderDocuments() {
  const holders = [...document.querySelectorAll('.pages[data-document]')];
  for (const holder of holders) {
    const details = holder.closest('details');
    if (holder.dataset.lazy && details) {
      details.addEventListener('toggle', () => {
        if (details.open) void show(holder);
      });
      if (!details.open) continue;
    }
    await show(holder);
  }
}

function showProblem(holder, text) {
  holder.replaceChildren();
  const p = document.createElement('p');
  p.setAttribute('role', 'alert');
  p.textContent = text;
  holder.append(p);
  holder.dataset.rendered = 'failed';
}

async function renderOne(pdfjs, holder) {
  const index = holder.dataset.document;
  const res = await fetch(new URL(`documents/${index}`, document.baseURI), { credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) throw new TypeError(`HTTP ${res.status}`);
  const data = new Uint8Array(await res.arrayBuffer());
  const task = pdfjs.getDocument({ data, isEvalSupported: false, enableXfa: false, stopAtErrors: false });
  const pdf = await task.promise;
  const name = holder.getAttribute('aria-label')?.replace(/^Pages of /, '') ?? 'the document';
  const signPage = holder.dataset.signPage === undefined ? -1 : Number(holder.dataset.signPage);
  const signRect = (holder.dataset.signRect ?? '').split(' ').map(Number);
  holder.replaceChildren();
  const shown = Math.min(pdf.numPages, MAX_PAGES_SHOWN);
  for (let n = 1; n <= shown; n++) {
    const page = await pdf.getPage(n);
    const base = page.getViewport({ scale: 1 });
    const width = Math.min(holder.clientWidth || 600, 720);
    const viewport = page.getViewport({ scale: width / base.width });
    const ratio = window.devicePixelRatio || 1;
    const canvas = document.createElement('canvas');
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = `${Math.floor(viewport.width)}px`;
    canvas.style.height = `${Math.floor(viewport.height)}px`;
    canvas.setAttribute('role', 'img');
    const hasSignature = n - 1 === signPage && signRect.length === 4;
    canvas.setAttribute('aria-label', `Page ${n} of ${pdf.numPages} of ${name}${hasSignature ? ', with the place of your signature outlined' : ''}`);
    const figure = document.createElement('figure');
    const caption = document.createElement('figcaption');
    caption.textContent = `Page ${n} of ${pdf.numPages}`;
    figure.append(canvas, caption);
    holder.append(figure);
    const ctx = canvas.getContext('2d');
    ctx.scale(ratio, ratio);
    await page.render({ canvasContext: ctx, canvas, viewport }).promise;
    if (hasSignature) {
      const [x1, y1, x2, y2] = viewport.convertToViewportRectangle(signRect);
      ctx.save();
      ctx.strokeStyle = '#b00020';
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.strokeRect(Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1));
      ctx.fillStyle = '#b00020';
      ctx.font = '12px sans-serif';
      ctx.fillText('Your signature', Math.min(x1, x2), Math.max(12, Math.min(y1, y2) - 4));
      ctx.restore();
      caption.textContent += ' — your signature goes in the outlined box';
    }
    if (n === 1) holder.dataset.rendered = 'first-page';
  }
  if (pdf.numPages > shown) {
    const more = document.createElement('p');
    more.textContent = `${pdf.numPages - shown} more pages are not shown here.`;
    holder.append(more);
  }
  holder.dataset.rendered = 'done';
  await pdf.destroy();
}

/* ---------------------------------------------------------------- sign-in with a passkey */

function setupLogin() {
  const form = document.getElementById('login-form');
  if (!form) return;
  form.addEventListener('submit', (event) => {
    if (!event.submitter || event.submitter.value !== 'passkey') return;
    event.preventDefault();
    void passkeyLogin(form, event.submitter);
  });
}

async function passkeyLogin(form, button) {
  const lib = webauthn();
  if (!lib || !lib.browserSupportsWebAuthn()) {
    say('This browser cannot use passkeys here: choose One-time code.');
    return;
  }
  if (!form.elements.username.value || !form.elements.password.value) {
    say('Enter your username and password first.');
    return;
  }
  button.disabled = true;
  try {
    say('Checking your password…');
    const body = new URLSearchParams({
      csrf_token: form.elements.csrf_token.value,
      username: form.elements.username.value,
      password: form.elements.password.value,
    });
    const res = await fetch(new URL('login/passkey', document.baseURI), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const answer = await res.json();
    if (!res.ok) {
      if (answer.csrf_token) form.elements.csrf_token.value = answer.csrf_token;
      say(answer.error_description || 'The sign-in was refused.');
      return;
    }
    say('Confirm with your passkey…');
    const assertion = await lib.startAuthentication({ optionsJSON: answer.options });
    form.elements.csrf_token.value = answer.csrf_token;
    form.elements.step.value = 'passkey';
    addHidden(form, 'passkey_ticket', answer.ticket);
    addHidden(form, 'passkey_response', JSON.stringify(assertion));
    form.elements.password.value = '';
    form.submit();
  } catch (err) {
    say('The passkey did not confirm your sign-in. Try again, or choose One-time code.');
  } finally {
    button.disabled = false;
  }
}

function addHidden(form, name, value) {
  let input = form.querySelector(`input[type="hidden"][name="${name}"]`);
  if (!input) {
    input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    form.append(input);
  }
  input.value = value;
}

/* ---------------------------------------------------------------- approval with a passkey */

function setupConsent() {
  const form = document.getElementById('consent-form');
  if (!form) return;
  const data = pageData();
  form.addEventListener('change', () => syncOtpField(form));
  syncOtpField(form);
  form.addEventListener('submit', (event) => {
    const submitter = event.submitter;
    if (!submitter || submitter.value !== 'approve') return;
    if (!data.approval || chosenFactor(form) !== 'passkey') return;
    if (form.elements.passkey_response.value !== '') return;
    event.preventDefault();
    void passkeyApproval(form, data.approval, submitter);
  });
}

async function passkeyApproval(form, approval, submitter) {
  const lib = webauthn();
  if (!lib || !lib.browserSupportsWebAuthn()) {
    say('This browser cannot use passkeys here: choose One-time code.');
    return;
  }
  submitter.disabled = true;
  try {
    say('Confirm the approval with your passkey…');
    // The challenge in these options is the approval commitment computed by the server.
    const assertion = await lib.startAuthentication({ optionsJSON: approval.options });
    form.elements.passkey_ticket.value = approval.ticket;
    form.elements.passkey_response.value = JSON.stringify(assertion);
    addHidden(form, 'decision', 'approve');
    form.submit();
  } catch (err) {
    say('The passkey did not confirm the approval. Try again, or choose One-time code.');
    submitter.disabled = false;
  }
}

setupLogin();
setupConsent();
void renderDocuments();
