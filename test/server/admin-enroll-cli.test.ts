/**
 * Issue 16 §3 through the real command: `signet admin credentials create --profile P` with the
 * subject options, and `signet admin credentials enroll --csr FILE --user U --profile P`, on a data
 * directory whose certificate-profiles.json is the example of docs/certificate-profiles.md; the
 * certificates are judged by `openssl x509 -text`, a CSR with a bad signature by its coded error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { main } from '../../src/cli/main.js';
import { credentialCertificates, findCredential } from '../../src/store/index.js';
import { derToPem } from '../../src/pki/index.js';
import { opensslKeyAndCsr, requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { captureIo, openServices, serverEnv } from './support/server-fixture.js';
import { repoPath } from '../support/repo-path.js';

const profilesJson =
  /```json\n([\s\S]*?)\n```/.exec(
    readFileSync(repoPath('docs', 'certificate-profiles.md'), 'utf8'),
  )?.[1] ?? '';

async function admin(
  dataDir: string,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const saved = process.env['DATABASE_URL'];
  delete process.env['DATABASE_URL'];
  try {
    const code = await main(['admin', ...args, '--data', dataDir], io);
    return { code, out: io.stdout.text, err: io.stderr.text };
  } finally {
    if (saved !== undefined) process.env['DATABASE_URL'] = saved;
  }
}

describe('signet admin credentials create --profile / enroll --csr (issue 16 §3)', () => {
  it('issues through the configured profile and enrolls a CSR; a CSR with a bad signature is refused', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    await (await openServices(t, env)).close();
    const dir = env.dataDir;
    writeFileSync(join(dir, 'certificate-profiles.json'), profilesJson);
    const work = tempDir(t, 'signet-enroll-cli-');
    assert.equal(
      (await admin(dir, 'users', 'create', '--username', 'jan', '--password', 'correct horse'))
        .code,
      0,
    );

    const created = await admin(
      dir,
      'credentials',
      'create',
      '--user',
      'jan',
      '--profile',
      'qualified-esign',
      '--common-name',
      'Jan Novák',
      '--given-name',
      'Jan',
      '--surname',
      'Novák',
      '--serial-number',
      'PNOCZ-8001011234',
      '--json',
    );
    assert.equal(created.code, 0, created.err);
    const refusedSubject = await admin(
      dir,
      'credentials',
      'create',
      '--user',
      'jan',
      '--profile',
      'qualified-esign',
      '--common-name',
      'Jan Novák',
    );
    assert.equal(refusedSubject.code, 1);
    assert.match(refusedSubject.err, /ERR_PKI_SUBJECT_INVALID/);

    const { csr } = opensslKeyAndCsr(work, 'holder', '/CN=Jan Holder');
    const parsed = AsnConvert.parse(
      Buffer.from(
        readFileSync(csr, 'utf8')
          .replace(/-----[^-]+-----/g, '')
          .replace(/\s+/g, ''),
        'base64',
      ),
      CertificationRequest,
    );
    const sig = new Uint8Array(parsed.signature);
    sig[sig.length - 2] = (sig[sig.length - 2] as number) ^ 0x01;
    parsed.signature = sig.buffer;
    const badCsr = join(work, 'bad.csr');
    writeFileSync(
      badCsr,
      derToPem(new Uint8Array(AsnConvert.serialize(parsed)), 'CERTIFICATE REQUEST'),
    );
    const bad = await admin(dir, 'credentials', 'enroll', '--csr', badCsr, '--user', 'jan');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /ERR_PKI_CSR_BAD_POP/);

    const enrolled = await admin(
      dir,
      'credentials',
      'enroll',
      '--csr',
      csr,
      '--user',
      'jan',
      '--profile',
      'qualified-esign',
      '--given-name',
      'Jan',
      '--surname',
      'Holder',
      '--serial-number',
      'IDCCZ-123456789',
      '--json',
    );
    assert.equal(enrolled.code, 0, enrolled.err);

    const services = await openServices(t, env);
    try {
      for (const [answer, serial, mode] of [
        [created, 'PNOCZ-8001011234', 'server'],
        [enrolled, 'IDCCZ-123456789', 'external'],
      ] as const) {
        const id = (JSON.parse(answer.out) as { credentialID: string }).credentialID;
        const row = await findCredential(services.store.db, id);
        assert.equal(row?.profile, 'qualified-esign');
        assert.equal(row?.signing_mode, mode);
        const pem = join(work, `${mode}.pem`);
        writeFileSync(pem, derToPem(credentialCertificates(row)[0] as Uint8Array, 'CERTIFICATE'));
        const text = runTool('openssl', ['x509', '-in', pem, '-noout', '-text']).stdout;
        assert.match(text, new RegExp(`serialNumber ?= ?${serial}`));
        assert.match(text, /C ?= ?CZ/);
        assert.match(text, /Policy: 0\.4\.0\.194112\.1\.2/);
        assert.match(text, /X509v3 Key Usage: critical\s+Non Repudiation\n/);
        assert.match(text, /qcStatements/);
      }
    } finally {
      await services.close();
    }
  });
});
