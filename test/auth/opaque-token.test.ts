/** Opaque tokens: 256 random bits in base64url, stored only as SHA-256 (docs/security.md SAD-20, OA-20). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generateOpaqueToken, hashOpaqueToken } from '../../src/auth/index.js';

describe('opaque tokens', () => {
  it('are 32 random bytes in base64url, hashed with SHA-256, never repeated', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const { token, hash } = generateOpaqueToken();
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(token, 'base64url').length, 32);
      assert.deepEqual(Buffer.from(hash), createHash('sha256').update(token).digest());
      assert.deepEqual(hashOpaqueToken(token), hash);
      seen.add(token);
    }
    assert.equal(seen.size, 1000);
  });
});
