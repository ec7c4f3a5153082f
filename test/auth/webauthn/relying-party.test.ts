/**
 * The WebAuthn relying party from configuration (W3C WebAuthn L2 §5.1.4.1: the RP ID is a
 * registrable domain suffix of the origin, never an IP address): defaults from the base URL,
 * SIGNET_WEBAUTHN_RP_ID / SIGNET_WEBAUTHN_ORIGINS, and the refusals.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { relyingPartyFor } from '../../../src/auth/index.js';
import { loadServerConfig } from '../../../src/server/index.js';

describe('WebAuthn relying party (§5.1.4.1)', () => {
  it('defaults from the base URL; an IP address host gives the RP ID localhost and the http://localhost:PORT origin', () => {
    assert.deepEqual(relyingPartyFor('https://sign.example.org'), { rpId: 'sign.example.org', rpName: 'Signet', origins: ['https://sign.example.org'] });
    assert.deepEqual(relyingPartyFor('http://127.0.0.1:8080'), { rpId: 'localhost', rpName: 'Signet', origins: ['http://localhost:8080'] });
    assert.deepEqual(relyingPartyFor('http://localhost:8080/'), { rpId: 'localhost', rpName: 'Signet', origins: ['http://localhost:8080'] });
  });

  it('takes SIGNET_WEBAUTHN_RP_ID and SIGNET_WEBAUTHN_ORIGINS from the environment', () => {
    const config = loadServerConfig({ port: 0, env: { SIGNET_WEBAUTHN_RP_ID: 'example.org', SIGNET_WEBAUTHN_ORIGINS: 'https://sign.example.org, https://example.org:8443' } });
    assert.deepEqual(relyingPartyFor('https://sign.example.org', config.webauthn), {
      rpId: 'example.org',
      rpName: 'Signet',
      origins: ['https://sign.example.org', 'https://example.org:8443'],
    });
  });

  it('refuses an IP address as RP ID, an origin outside the RP ID, an insecure origin, and a path in an origin', () => {
    assert.throws(() => relyingPartyFor('https://x.example', { rpId: '10.0.0.1' }), { code: 'ERR_WEBAUTHN_CONFIG' });
    assert.throws(() => relyingPartyFor('https://x.example', { rpId: 'example.org', origins: 'https://evil.example' }), { code: 'ERR_WEBAUTHN_CONFIG' });
    assert.throws(() => relyingPartyFor('https://x.example', { rpId: 'example.org', origins: 'http://sign.example.org' }), { code: 'ERR_WEBAUTHN_CONFIG' });
    assert.throws(() => relyingPartyFor('https://x.example', { origins: 'https://x.example/app' }), { code: 'ERR_WEBAUTHN_CONFIG' });
  });
});
