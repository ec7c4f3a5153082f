/** scrypt secret hashing (RFC 7914) and the AES-256-GCM secret box: round trips, refusals, format checks. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  AuthError,
  createAesGcmSecretBox,
  createScryptHasher,
  defaultScryptParams,
} from '../../src/auth/index.js';

const fast = createScryptHasher({ N: 2 ** 10, r: 8, p: 1 }, { minimumN: 2 ** 10 });
const isCode = (code: string) => (e: unknown) => e instanceof AuthError && e.code === code;

describe('scrypt secret hasher', () => {
  it('verifies the right secret, refuses a wrong one, salts every hash', async () => {
    const a = await fast.hash('correct horse');
    const b = await fast.hash('correct horse');
    assert.match(a, /^\$scrypt\$v=1\$N=1024,r=8,p=1\$/);
    assert.notEqual(a, b);
    assert.equal(await fast.verify('correct horse', a), true);
    assert.equal(await fast.verify('correct horsf', a), false);
    assert.equal(await fast.verify('', a), false);
    assert.equal(await fast.verifyDummy('anything'), false);
  });

  it('normalises Unicode (NFC) so the same password typed differently matches', async () => {
    const stored = await fast.hash('caf\u00e9');
    assert.equal(await fast.verify('cafe\u0301', stored), true);
  });

  it('refuses empty and over-long secrets at hash time; over-long never matches', async () => {
    await assert.rejects(fast.hash(''), isCode('ERR_AUTH_POLICY'));
    await assert.rejects(fast.hash('x'.repeat(1025)), isCode('ERR_AUTH_POLICY'));
    const stored = await fast.hash('x'.repeat(1024));
    assert.equal(await fast.verify('x'.repeat(1024), stored), true);
    assert.equal(await fast.verify('x'.repeat(1025), stored), false);
  });

  it('refuses malformed stored hashes and parameters below the minimum or above 2^20', async () => {
    const stored = await fast.hash('pw');
    await assert.rejects(fast.verify('pw', 'plain'), isCode('ERR_AUTH_SECRET_FORMAT'));
    await assert.rejects(
      fast.verify('pw', stored.replace('N=1024', 'N=512')),
      isCode('ERR_AUTH_SECRET_FORMAT'),
    );
    await assert.rejects(
      fast.verify('pw', stored.replace('N=1024', 'N=1000')),
      isCode('ERR_AUTH_SECRET_FORMAT'),
    );
    await assert.rejects(
      fast.verify('pw', stored.replace('N=1024', `N=${2 ** 21}`)),
      isCode('ERR_AUTH_SECRET_FORMAT'),
    );
    const strict = createScryptHasher(defaultScryptParams);
    await assert.rejects(strict.verify('pw', stored), isCode('ERR_AUTH_SECRET_FORMAT'));
    assert.throws(() => createScryptHasher({ N: 2 ** 10, r: 8, p: 1 }), isCode('ERR_AUTH_POLICY'));
  });
});

describe('AES-256-GCM secret box', () => {
  const box = createAesGcmSecretBox(randomBytes(32));
  it('opens what it sealed, with the same associated data only', () => {
    const secret = randomBytes(20);
    const sealed = box.seal(secret, 'signet:totp:u1');
    assert.equal(sealed.length, 1 + 12 + 16 + 20);
    assert.deepEqual(Buffer.from(box.open(sealed, 'signet:totp:u1')), secret);
    assert.throws(() => box.open(sealed, 'signet:totp:u2'), isCode('ERR_AUTH_SECRET_BOX'));
    const tampered = new Uint8Array(sealed);
    tampered[tampered.length - 1]! ^= 1;
    assert.throws(() => box.open(tampered, 'signet:totp:u1'), isCode('ERR_AUTH_SECRET_BOX'));
    assert.throws(
      () => createAesGcmSecretBox(randomBytes(32)).open(sealed, 'signet:totp:u1'),
      isCode('ERR_AUTH_SECRET_BOX'),
    );
    assert.throws(
      () => box.open(sealed.subarray(0, 20), 'signet:totp:u1'),
      isCode('ERR_AUTH_SECRET_BOX'),
    );
    assert.throws(() => createAesGcmSecretBox(randomBytes(16)), isCode('ERR_AUTH_POLICY'));
  });
});
