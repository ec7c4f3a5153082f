/**
 * `signet receipt verify` (issue 21; docs/security.md TRN-20, TRN-21, TRN-22): three real PDFs
 * signed as one approved batch; the verifier recomputes each DTBS/R hash from the signed PDF's
 * signed attributes and follows leaf → proof → root and the receipt signature. The hashes the
 * receipts are made from are the ones the signer was asked to sign (captured at the Signer), not
 * the verifier's own parse.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Signer } from '../../src/cms/index.js';
import { receiptCommand } from '../../src/cli/commands/receipt.js';
import { loadLocalSigner } from '../../src/keys/local/index.js';
import { signPdf } from '../../src/pades/index.js';
import {
  TransparencyError,
  batchProofs,
  batchRoot,
  openReceiptSigner,
  signReceipt,
  transparencyPublicKeyFromSpki,
  type Receipt,
  type ReceiptSigner,
} from '../../src/transparency/index.js';
import { testLogSigner } from '../transparency/support/log-fixture.js';
import { buildTestPki } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';

/** Signs three documents, recording the DTBS/R hash each signature was made over. */
async function signBatch(): Promise<{ pdfs: Uint8Array[]; hashes: Uint8Array[] }> {
  const pki = await buildTestPki({ leaves: ['ec-p256'] });
  const leaf = pki.leaves['ec-p256'];
  const inner = await loadLocalSigner({
    kind: 'pem',
    key: leaf.privateKeyPem,
    certificate: leaf.der,
    chain: [pki.intermediate.der, pki.root.der],
  });
  const hashes: Uint8Array[] = [];
  const signer: Signer = {
    certificateChain: inner.certificateChain,
    signatureAlgorithm: inner.signatureAlgorithm,
    maxSignatureSize: () => inner.maxSignatureSize(),
    sign: async (data) => {
      hashes.push(new Uint8Array(createHash('sha256').update(data).digest()));
      return inner.sign(data);
    },
  };
  const pdfs: Uint8Array[] = [];
  for (const text of ['contract', 'annex', 'invoice']) {
    pdfs.push(
      await signPdf(makeBasePdf({ text }), signer, {
        signingTime: new Date('2026-12-07T05:00:00Z'),
      }),
    );
  }
  return { pdfs, hashes };
}

function receipts(key: ReceiptSigner, hashes: readonly Uint8Array[]): Promise<Receipt[]> {
  const proofs = batchProofs(hashes);
  const sadId = randomBytes(32);
  return Promise.all(hashes.map((hash, i) =>
    signReceipt(key, {
      hash,
      hashAlgorithmOid: SHA256,
      proof: proofs[i]!,
      batchSize: hashes.length,
      batchRoot: batchRoot(hashes),
      sadId,
      credentialId: 'cred-1',
      signedAt: new Date('2026-12-07T05:00:01Z'),
    }),
  ));
}

async function verify(args: string[]): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await receiptCommand.run(['verify', ...args], { stdout, stderr });
  return { code, out };
}

function failsWith(code: string, text: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof TransparencyError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, text);
    return true;
  };
}

describe('signet receipt verify RECEIPT.json DOC.pdf', async () => {
  const dir = tempDir({ after });
  const { pdfs, hashes } = await signBatch();
  const log = await testLogSigner({ after });
  const key = await openReceiptSigner(log);
  const approved = await receipts(key, hashes);
  const root = Buffer.from(batchRoot(hashes)).toString('base64');
  const keyFile = join(dir, 'receipt-key.pem');
  writeFileSync(keyFile, transparencyPublicKeyFromSpki(log.publicKey).publicKeyPem);
  const files = pdfs.map((pdf, i) => {
    const p = join(dir, `doc-${i}.pdf`);
    writeFileSync(p, pdf);
    return p;
  });
  const write = (name: string, value: unknown): string => {
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(value));
    return p;
  };

  it('each document verifies against its receipt, the key and the approved root', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await verify([
        write(`r${i}.json`, approved[i]),
        files[i]!,
        '--key',
        keyFile,
        '--root',
        root,
      ]);
      assert.equal(r.code, 0);
      assert.match(
        r.out,
        new RegExp(`is leaf ${i} of the approved batch of 3 .*the approved root`),
      );
    }
  });

  it('TRN-20 a tampered receipt is refused: its signature does not verify', async () => {
    const p = write('tampered.json', { ...approved[0], signedAt: '2026-12-08T05:00:00.000Z' });
    await assert.rejects(
      verify([p, files[0]!, '--key', keyFile]),
      failsWith('ERR_TRANSPARENCY_RECEIPT_SIGNATURE', /altered/),
    );
  });

  it("TRN-21 a document outside the batch: no signature of it has the receipt's hash", async () => {
    const outside = await signPdf(
      makeBasePdf({ text: 'never approved' }),
      await loadLocalSigner({
        kind: 'pem',
        ...(await (async () => {
          const pki = await buildTestPki({ leaves: ['ec-p256'] });
          return {
            key: pki.leaves['ec-p256'].privateKeyPem,
            certificate: pki.leaves['ec-p256'].der,
            chain: [],
          };
        })()),
      }),
      { signingTime: new Date('2026-12-07T05:00:00Z') },
    );
    const p = join(dir, 'outside.pdf');
    writeFileSync(p, outside);
    await assert.rejects(
      verify([write('r0b.json', approved[0]), p, '--key', keyFile]),
      failsWith(
        'ERR_TRANSPARENCY_RECEIPT_HASH',
        /no signature of .*outside\.pdf has the receipt's hash/,
      ),
    );
    // The receipt of document 1 shown with document 0.
    await assert.rejects(
      verify([write('r1b.json', approved[1]), files[0]!, '--key', keyFile]),
      failsWith('ERR_TRANSPARENCY_RECEIPT_HASH', /another signature/),
    );
  });

  it('TRN-22 a reordered batch: the receipt verifies on its own but not against the root the person approved', async () => {
    const reordered = await receipts(key, [hashes[2]!, hashes[0]!, hashes[1]!]);
    const p = write('reordered.json', reordered[1]);
    assert.equal((await verify([p, files[0]!, '--key', keyFile])).code, 0);
    await assert.rejects(
      verify([p, files[0]!, '--key', keyFile, '--root', root]),
      failsWith('ERR_TRANSPARENCY_BATCH_ROOT', /reordered|another order/),
    );
  });
});
