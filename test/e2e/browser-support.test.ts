/** The browser test harness itself: Debian's Chromium starts headless and the CDP virtual authenticator registers a real passkey. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { addVirtualAuthenticator, launchBrowser } from '../support/browser.js';

describe('browser test harness', () => {
  it('creates a WebAuthn credential with the virtual authenticator on a localhost page', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === undefined) return;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><title>t</title><button>Go</button>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    const port = (server.address() as { port: number }).port;
    const page = await browser.newPage();
    const authenticator = await addVirtualAuthenticator(page);
    await page.goto(`http://localhost:${port}/`);
    assert.equal(await page.getByRole('button', { name: 'Go' }).textContent(), 'Go');
    // Evaluated in the page (a string: the test program is compiled without the DOM library).
    const made = await page.evaluate(`(async () => {
      const cred = await navigator.credentials.create({
        publicKey: {
          rp: { id: 'localhost', name: 'test' },
          user: { id: new Uint8Array([1, 2, 3]), name: 'u', displayName: 'u' },
          challenge: new Uint8Array(32),
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
          authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        },
      });
      return cred.type;
    })()`);
    assert.equal(made, 'public-key');
    const creds = await authenticator.credentials();
    assert.equal(creds.length, 1);
    assert.equal(creds[0]?.rpId, 'localhost');
  });
});
