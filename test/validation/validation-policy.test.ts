/**
 * The validation policy is data an operator writes (issue 14: "the policy is data (a JSON file; the
 * default one documented), so an operator can tighten it"): readValidationPolicy takes the shape of
 * default-policy.json and refuses, default-deny, what does not fit it, naming each problem.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { defaultValidationPolicy, readValidationPolicy } from '../../src/validation/index.js';

const problemsOf = (value: unknown): readonly string[] => {
  const read = readValidationPolicy(value);
  return 'problems' in read ? read.problems : [];
};

describe('readValidationPolicy: the shape of default-policy.json, default-deny', () => {
  it('reads the default policy file back as it is', () => {
    const json: unknown = JSON.parse(readFileSync('src/validation/default-policy.json', 'utf8'));
    const read = readValidationPolicy(json);
    assert.ok('policy' in read, JSON.stringify(read));
    assert.deepEqual(read.policy, defaultValidationPolicy);
  });

  it('names every problem: unknown keys, digests and key types it does not know, bad dates, wrong types', () => {
    const policy = structuredClone(defaultValidationPolicy) as unknown as Record<
      string,
      Record<string, unknown>
    >;
    const acceptance = policy['signatureAcceptance'] as {
      digests: Record<string, unknown>;
      publicKeys: Record<string, unknown>;
    };
    acceptance.digests['MD5'] = {};
    acceptance.digests['SHA-1'] = { acceptableUntil: '31/12/2013' };
    acceptance.publicKeys['RSA'] = [{ minBits: 2048.5 }];
    acceptance.publicKeys['Ed25519'] = [{ minBits: 256 }];
    policy['revocation'] = {
      requireEvidense: true,
      requireEvidence: 'yes',
      fetchOnline: true,
      timeoutMs: 0,
      caWithoutRevocationSource: 'ignore',
    };
    assert.deepEqual([...problemsOf(policy)].sort(), [
      'revocation: "caWithoutRevocationSource" must be "error" or "warning"',
      'revocation: "requireEvidence" must be true or false',
      'revocation: "timeoutMs" must be an integer from 1 to 60000',
      'revocation: unknown key "requireEvidense"',
      'signatureAcceptance.digests.MD5: not a digest the validator knows (SHA-1, SHA-224, SHA-256, SHA-384, SHA-512)',
      'signatureAcceptance.digests.SHA-1: acceptableUntil must be a date YYYY-MM-DD',
      'signatureAcceptance.publicKeys.Ed25519: not a key type the validator knows (RSA, EC)',
      'signatureAcceptance.publicKeys.RSA[0]: "minBits" must be a positive integer',
    ]);
    assert.deepEqual(problemsOf([]), ['the policy must be a JSON object']);
    assert.deepEqual(problemsOf({ ...defaultValidationPolicy, name: '' }), [
      'policy: "name" must be a non-empty string',
    ]);
  });
});
