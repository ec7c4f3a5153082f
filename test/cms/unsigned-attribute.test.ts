/** addUnsignedAttribute (RFC 5652 §5.3; RFC 3161 App. A signature-time-stamp): signed bytes stay untouched. */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addUnsignedAttribute,
  buildSignedAttributes,
  buildSignedData,
  cmsOids,
  digestOf,
  parseSignedData,
  verifySignerInfo,
  type Signer,
} from '../../src/cms/index.js';
import { loadLocalSigner } from '../../src/keys/local/index.js';
import { buildTestPki, type TestPki } from '../support/pki.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';

const content = new TextEncoder().encode('document bytes');
// Stand-in for a TimeStampToken: any single DER value (a real token comes from the TSA).
const token = new Uint8Array([0x30, 0x06, 0x06, 0x01, 0x2a, 0x04, 0x01, 0x07]);

describe('addUnsignedAttribute', () => {
  let pki: TestPki<'ec-p256'>;
  let signer: Signer;
  let cms: Uint8Array;
  before(async () => {
    pki = await buildTestPki({ leaves: ['ec-p256'] });
    const leaf = pki.leaves['ec-p256'];
    signer = await loadLocalSigner({ kind: 'pem', key: leaf.privateKeyPem, certificate: leaf.pem, chain: [pki.intermediate.pem] });
    const dtbs = buildSignedAttributes({
      messageDigest: digestOf('SHA-256', content),
      digestAlgorithm: 'SHA-256',
      signingCertificate: leaf.der,
    });
    cms = buildSignedData({ signedAttributes: dtbs, signature: await signer.sign(dtbs), signatureAlgorithm: signer.signatureAlgorithm, certificates: signer.certificateChain });
  });

  it('adds id-aa-signatureTimeStampToken and keeps signed attributes, signature and certificates', async (t) => {
    const out = addUnsignedAttribute(cms, cmsOids.id_aa_signatureTimeStampToken, token);
    const before = parseSignedData(cms);
    const after = parseSignedData(out);
    const [a, b] = [before.signerInfos[0], after.signerInfos[0]];
    assert.ok(a && b);
    assert.deepEqual(b.signedAttributes, a.signedAttributes);
    assert.deepEqual(b.signature, a.signature);
    assert.deepEqual(after.certificates, before.certificates);
    assert.deepEqual(b.unsignedAttributes, [{ oid: cmsOids.id_aa_signatureTimeStampToken, values: [token] }]);
    assert.equal(
      verifySignerInfo(b, { certificate: signer.certificateChain[0] as Uint8Array, messageDigest: digestOf('SHA-256', content) }).isValid,
      true,
    );

    const twice = parseSignedData(addUnsignedAttribute(out, '1.2.3.4', new Uint8Array([0x05, 0x00])));
    assert.deepEqual(twice.signerInfos[0]?.unsignedAttributes.map((x) => x.oid).sort(), ['1.2.3.4', cmsOids.id_aa_signatureTimeStampToken].sort());

    if (!requireTools(t, 'openssl')) return;
    const dir = tempDir(t);
    writeFileSync(join(dir, 'sig.der'), out);
    writeFileSync(join(dir, 'data.bin'), content);
    writeFileSync(join(dir, 'root.pem'), pki.root.pem);
    const r = runTool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'sig.der'), '-content', join(dir, 'data.bin'), '-CAfile', join(dir, 'root.pem'), '-purpose', 'any', '-out', join(dir, 'o')]);
    assert.equal(r.status, 0, r.stderr);
  });

  it('refuses a bad index, a value that is not one DER element, and garbage CMS', () => {
    assert.throws(() => addUnsignedAttribute(cms, cmsOids.id_aa_signatureTimeStampToken, token, 1), { code: 'ERR_CMS_SIGNER_INFO_INDEX' });
    assert.throws(() => addUnsignedAttribute(cms, cmsOids.id_aa_signatureTimeStampToken, new Uint8Array([0x30, 0x05, 0x00])), { code: 'ERR_CMS_INPUT' });
    assert.throws(() => addUnsignedAttribute(cms, cmsOids.id_aa_signatureTimeStampToken, new Uint8Array([0x05, 0x00, 0x05, 0x00])), { code: 'ERR_CMS_INPUT' });
    assert.throws(() => addUnsignedAttribute(cms.subarray(0, 100), cmsOids.id_aa_signatureTimeStampToken, token), { code: 'ERR_CMS_DER' });
    assert.throws(() => addUnsignedAttribute(cms, 'not.an.oid', token), { code: 'ERR_CMS_INPUT' });
  });
});
