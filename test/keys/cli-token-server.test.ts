/**
 * `signet token-server` as a real process over a SoftHSM token (spawns bin/signet.js; run
 * `npm run build` first): a remote client signs, the process is stopped and started again on
 * the same port, and later signatures succeed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isSignetError } from '../../src/core/errors.js';
import { Pkcs11Backend, RemoteKeyBackend } from '../../src/keys/index.js';
import { requireTools } from '../support/tools.js';
import { initSoftHsm, softhsmModule } from './support/softhsm.js';
import { makeMutualTls } from './support/tls.js';

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
}

/** Starts the server and resolves with its URL once it prints "listening on". */
function startServer(args: readonly string[]): Promise<Running> {
  const child = spawn(process.execPath, ['bin/signet.js', 'token-server', ...args], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (https:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('exit', (code) => reject(new Error(`token-server exited with ${code}: ${err}`)));
  });
}

function stop(running: Running): Promise<number | null> {
  return new Promise((resolve) => {
    running.child.removeAllListeners('exit');
    running.child.on('exit', (code) => resolve(code));
    running.child.kill('SIGTERM');
  });
}

const dir = mkdtempSync(join(tmpdir(), 'signet-cli-token-server-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('signet token-server', () => {
  it('serves a SoftHSM token over mutual TLS and survives a restart', async (t) => {
    if (!requireTools(t, 'softhsm2-util', 'openssl')) return;
    const [token] = initSoftHsm(join(dir, 'hsm'), ['served']);
    assert.ok(token);
    const hsm = await Pkcs11Backend.open({
      module: softhsmModule,
      tokens: [{ label: token.label, pin: token.pin }],
    });
    const { ref, publicKey } = await hsm.generateKey({ type: 'RSA', bits: 2048 }, 'served-rsa');
    await hsm.close();
    const tls = makeMutualTls(dir);
    writeFileSync(join(dir, 'pin'), token.pin);
    const args = [
      '--pkcs11-module',
      softhsmModule,
      '--token',
      token.label,
      '--pin-file',
      join(dir, 'pin'),
      '--tls-cert',
      join(dir, 'server.pem'),
      '--tls-key',
      join(dir, 'server.key'),
      '--client-ca',
      join(dir, 'ca.pem'),
      '--listen',
      '127.0.0.1:0',
    ];
    let running = await startServer(args);
    const port = new URL(running.url).port;
    const client = new RemoteKeyBackend({ url: running.url, tls: tls.client, retries: 0 });
    t.after(() => client.close());
    const pub = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
    const signAndCheck = async (text: string): Promise<void> => {
      const data = Buffer.from(text);
      const sig = await client.sign(ref, {
        scheme: 'RSASSA-PSS',
        digestAlgorithm: 'SHA-256',
        digest: createHash('sha256').update(data).digest(),
      });
      assert.ok(
        verify(
          'sha256',
          data,
          { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
          sig,
        ),
      );
    };
    assert.deepEqual(await client.listKeyRefs(), [ref]);
    await signAndCheck('before restart');
    assert.equal(await stop(running), 0, 'clean exit on SIGTERM');
    await assert.rejects(signAndCheck('while down'), (err: unknown) =>
      isSignetError(err, 'ERR_KEY_BACKEND_UNAVAILABLE'),
    );
    running = await startServer(args.map((a) => (a === '127.0.0.1:0' ? `127.0.0.1:${port}` : a)));
    t.after(() => stop(running));
    await signAndCheck('after restart');
  });
});
