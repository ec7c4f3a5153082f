/**
 * The web gateway's provider settings: a foreign provider is its URL with the client this gateway
 * is registered as there (both or neither), the secret read from a file, the TSA from
 * configuration; without them the provider is this Signet (nothing foreign).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadGatewayConfig } from '../../src/server/gateway-config.js';
import { tempDir } from '../support/tmp.js';

describe('gateway provider configuration', () => {
  it('this Signet by default; a foreign provider needs its client id; the secret comes from a file', (t) => {
    const local = loadGatewayConfig({});
    assert.equal(local.providerUrl, undefined);
    assert.equal(local.foreign, undefined);
    assert.throws(() => loadGatewayConfig({ SIGNET_GATEWAY_PROVIDER_URL: 'https://rssp.example' }), { code: 'ERR_SERVER_CONFIG' });
    assert.throws(() => loadGatewayConfig({ SIGNET_GATEWAY_CLIENT_ID: 'gw' }), { code: 'ERR_SERVER_CONFIG' });
    const file = join(tempDir(t), 'secret');
    writeFileSync(file, 's3cret-value\n');
    const foreign = loadGatewayConfig({
      SIGNET_GATEWAY_PROVIDER_URL: 'https://rssp.example/',
      SIGNET_GATEWAY_CLIENT_ID: 'gw',
      SIGNET_GATEWAY_CLIENT_SECRET_FILE: file,
      SIGNET_GATEWAY_TSA_URL: 'https://tsa.example/tsr',
    });
    assert.equal(foreign.providerUrl, 'https://rssp.example');
    assert.deepEqual(foreign.foreign, { name: 'rssp.example', clientId: 'gw', clientSecret: 's3cret-value' });
    assert.equal(foreign.tsaUrl, 'https://tsa.example/tsr');
    const named = loadGatewayConfig({ SIGNET_GATEWAY_PROVIDER_URL: 'https://rssp.example', SIGNET_GATEWAY_CLIENT_ID: 'gw', SIGNET_GATEWAY_PROVIDER_NAME: 'Example Trust' });
    assert.deepEqual(named.foreign, { name: 'Example Trust', clientId: 'gw' }, 'a public client without a secret file');
    assert.throws(() => loadGatewayConfig({ SIGNET_GATEWAY_PROVIDER_URL: 'https://rssp.example', SIGNET_GATEWAY_CLIENT_ID: 'gw', SIGNET_GATEWAY_CLIENT_SECRET_FILE: join(tempDir(t), 'missing') }), { code: 'ERR_SERVER_CONFIG' });
    assert.throws(() => loadGatewayConfig({ SIGNET_GATEWAY_TSA_URL: 'ftp://tsa.example' }), { code: 'ERR_SERVER_CONFIG' });
  });
});
