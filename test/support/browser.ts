/**
 * Headless Chromium for browser tests: Debian's `/usr/bin/chromium` driven by playwright-core
 * (never a downloaded browser), the CDP virtual authenticator for real WebAuthn ceremonies, and
 * screenshots kept as test artifacts under `artifacts/` (git-ignored; CI keeps the folder).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { requireTools } from './tools.js';

/** Debian's Chromium (package `chromium`, installed by scripts/test-setup.sh). */
export const chromiumPath = process.env['SIGNET_CHROMIUM'] ?? '/usr/bin/chromium';

/** Where screenshots and other browser artifacts go. */
export const artifactsDir = join(process.cwd(), 'artifacts');

type Hooks = Pick<TestContext, 'after' | 'skip'>;

/**
 * Launches headless Chromium for one test file and closes it after. Outside CI a missing
 * Chromium skips the test (returns undefined); with CI=true it fails.
 */
export async function launchBrowser(t: Hooks & TestContext): Promise<Browser | undefined> {
  if (!requireTools(t, 'chromium')) return undefined;
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // The machine has no network beyond loopback: keep Chromium from calling home.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-features=Translate,OptimizationHints,MediaRouter',
    ],
  });
  t.after(() => browser.close());
  return browser;
}

/** A virtual FIDO2 authenticator attached to a page (CDP WebAuthn domain): ctap2, internal, UV on. */
export interface VirtualAuthenticator {
  readonly cdp: CDPSession;
  readonly authenticatorId: string;
  /** The credentials the authenticator holds (id, rpId, signCount …). */
  credentials(): Promise<readonly { credentialId: string; rpId?: string; signCount: number; userHandle?: string }[]>;
  /** Sets whether the next ceremonies report user verification. */
  setUserVerified(isUserVerified: boolean): Promise<void>;
  remove(): Promise<void>;
}

/**
 * Adds a virtual authenticator to the page's browser context (Chrome DevTools Protocol
 * `WebAuthn.addVirtualAuthenticator`): a platform passkey (internal transport, resident keys,
 * user verification performed and successful, presence simulated automatically).
 */
export async function addVirtualAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    authenticatorId,
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials;
    },
    async setUserVerified(isUserVerified) {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified });
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    },
  };
}

/** A fresh context (own cookies and storage) with a desktop or phone viewport. */
export async function newContext(
  browser: Browser,
  viewport: 'desktop' | 'phone' = 'desktop',
): Promise<BrowserContext> {
  return browser.newContext(
    viewport === 'phone'
      ? { viewport: { width: 360, height: 740 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true }
      : { viewport: { width: 1280, height: 900 } },
  );
}

/** Saves a full-page screenshot as `artifacts/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
