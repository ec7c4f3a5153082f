/**
 * Issue 18 §5: a large PDF is signed with one read of its bytes (the digest's), the kernel copying
 * the original while it is hashed and the update appended from memory; the result is the original
 * followed by the update, and pdfsig calls it valid.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, sign as rawSign } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Signer } from '../../src/cms/index.js';
import { preparePdf, signPdfFile } from '../../src/pades/index.js';
import { FileSource } from '../../src/pdf/index.js';
import { buildTestPki } from '../support/pki.js';
import { writeBigPdf } from '../support/pdf-fixtures.js';
import { pdfsig } from '../support/judges.js';
import { requireTools } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';

const SIZE = 48 * 1024 * 1024;

describe('issue 18 §5: large files', () => {
  it('prepare reads a 48 MB file once (the digest pass plus the tail and cross-reference data)', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'big.pdf');
    writeBigPdf(path, SIZE);
    const pki = await buildTestPki({ leaves: ['rsa'] });
    const source = FileSource.open(path);
    try {
      preparePdf(source, {
        certificateChain: pki.chain('rsa'),
        signatureAlgorithm: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' },
        maxSignatureSize: 256,
        signingTime: new Date('2026-11-23T12:00:00Z'),
      });
      assert.ok(source.bytesRead >= source.length, 'every byte was digested');
      assert.ok(
        source.bytesRead < source.length + 1024 * 1024,
        `read ${source.bytesRead} bytes of a ${source.length}-byte file`,
      );
    } finally {
      source.close();
    }
  });

  it('signPdfFile writes the original unchanged followed by the update; pdfsig: valid', async (t) => {
    if (!requireTools(t, 'pdfsig')) return;
    const dir = tempDir(t);
    const path = join(dir, 'big.pdf');
    const out = join(dir, 'big-signed.pdf');
    writeBigPdf(path, SIZE);
    const pki = await buildTestPki({ leaves: ['rsa'] });
    const key = pki.leaves.rsa.privateKey;
    const signer: Signer = {
      certificateChain: pki.chain('rsa'),
      signatureAlgorithm: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' },
      sign: async (data) => new Uint8Array(rawSign('sha256', data, key)),
      maxSignatureSize: () => 256,
    };
    await signPdfFile(path, out, signer, { signingTime: new Date('2026-11-23T12:00:00Z') });
    const original = readFileSync(path);
    const signed = readFileSync(out);
    assert.ok(signed.length > original.length && signed.length < original.length + 64 * 1024);
    const digest = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
    assert.equal(
      digest(signed.subarray(0, original.length)),
      digest(original),
      'the original bytes come first, unchanged',
    );
    assert.equal(statSync(out).size, signed.length);
    const sigs = pdfsig(out);
    assert.equal(sigs.length, 1);
    assert.ok(sigs[0]?.isValid, sigs[0]?.text);
  });
});
