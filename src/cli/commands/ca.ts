/**
 * `signet ca init|issue|revoke|crl|renew`: the built-in CA on a directory (RFC 5280 issuance and
 * CRLs, RFC 2986 enrollment, RFC 5280 §5.3.1 revocation reasons). Keys stay in the encrypted
 * software keystore under DIR/keys; the KEK is a separate file or SIGNET_KEK(_FILE).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { parseArgs } from 'node:util';
import { systemClock } from '../../core/clock.js';
import {
  defaultRootCrlDays,
  derToPem,
  initCaDirectory,
  normaliseSerialHex,
  openCaDirectory,
  parseCertificate,
  parseRevocationReason,
  pemCertificates,
  pemToDer,
  renewCertificates,
  resignRootCrl,
  rootCrlFile,
  serialToHex,
  type CertificateRecord,
  type ImportedIssuingCa,
  type OpenedCaDirectory,
  type ProfileName,
} from '../../pki/index.js';
import type { CliIo, Command } from '../command.js';
import { CliError } from '../errors.js';
import { parseCliArgs } from '../args.js';

const usage = `usage: signet ca init --dir DIR [--base-url URL] [--kek-file F] [--key EC-P256|EC-P384|RSA-3072] [--org NAME] [--country CC]
       signet ca init --dir DIR --import-cert ISSUING.pem --import-key KEY.pem --import-chain CHAIN.pem [--base-url …] [--kek-file F]
       signet ca issue --dir DIR --csr REQ.pem -o CERT.pem [--profile signing|tsa|ocsp-signer] [--qc]
       signet ca revoke --dir DIR (--cert CERT.pem | --serial HEX) [--reason keyCompromise]
       signet ca crl --dir DIR [-o FILE]
       signet ca crl --root --dir DIR [--days N]
       signet ca renew --dir DIR [--within DAYS] [--serial HEX]

  init creates a root CA, an issuing CA, a TSA and an OCSP-signer certificate (keys in DIR/keys,
  encrypted under a KEK) and writes DIR/root.pem, DIR/issuing.pem, DIR/chain.pem (issuing then
  root), DIR/tsa.pem and DIR/ocsp.pem. Without --kek-file or SIGNET_KEK(_FILE) the KEK is
  created as DIR/kek (mode 0600) — development only: production keeps the KEK elsewhere.
  With --import-* an existing issuing CA is used instead (its key is moved into the encrypted
  keystore; CHAIN.pem holds its issuers up to the self-signed root); TSA and OCSP-signer
  certificates are issued by it. Every AIA/CDP URL in a certificate derives from the base URL
  stored in DIR/ca.json (--base-url at init, default http://127.0.0.1:8080; \`signet pki serve\`
  updates it). The issuing CA certificate names the root's CRL (BASE/ca/root.crl) and
  certificate (BASE/ca/root.cer).
  crl writes the issuing CA's CRL; crl --root re-signs the root's CRL, DIR/root.crl (valid
  --days N, default 365), with the root key: run it before the stored one's nextUpdate.
  Revocation reasons: unspecified, keyCompromise, cACompromise, affiliationChanged, superseded,
  cessationOfOperation, privilegeWithdrawn, aACompromise.`;

const options = {
  dir: { type: 'string' },
  'base-url': { type: 'string' },
  'kek-file': { type: 'string' },
  key: { type: 'string' },
  org: { type: 'string' },
  country: { type: 'string' },
  csr: { type: 'string' },
  output: { type: 'string', short: 'o' },
  profile: { type: 'string' },
  qc: { type: 'boolean' },
  cert: { type: 'string' },
  serial: { type: 'string' },
  reason: { type: 'string' },
  within: { type: 'string' },
  rekey: { type: 'boolean' },
  'import-cert': { type: 'string' },
  'import-key': { type: 'string' },
  'import-chain': { type: 'string' },
  root: { type: 'boolean' },
  days: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

const keySpecs = {
  'EC-P256': { type: 'EC', curve: 'P-256' },
  'EC-P384': { type: 'EC', curve: 'P-384' },
  'RSA-3072': { type: 'RSA', bits: 3072 },
} as const;

const issuableProfiles: readonly ProfileName[] = ['signing', 'tsa', 'ocsp-signer'];

function required(values: Values, name: 'dir' | 'csr' | 'output'): string {
  const v = values[name];
  if (v === undefined || v === '') throw new CliError('ERR_CLI_USAGE', `--${name === 'output' ? 'o' : name} is required`);
  return v;
}

function readInput(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    throw new CliError('ERR_CLI_INPUT', `cannot read ${path}`, { cause });
  }
}

async function withCa<T>(values: Values, fn: (ca: OpenedCaDirectory) => Promise<T>): Promise<T> {
  const opened = await openCaDirectory(required(values, 'dir'), {
    clock: systemClock,
    ...(values['kek-file'] !== undefined ? { kekFile: values['kek-file'] } : {}),
    ...(values['base-url'] !== undefined ? { baseUrl: values['base-url'] } : {}),
  });
  try {
    return await fn(opened);
  } finally {
    await opened.close();
  }
}

function saveIssued(dir: string, record: CertificateRecord): void {
  mkdirSync(join(dir, 'certs'), { recursive: true });
  writeFileSync(join(dir, 'certs', `${record.serialHex}.pem`), derToPem(record.der, 'CERTIFICATE'));
}

/** --import-cert/--import-key/--import-chain, all three or none. */
function importOption(values: Values): { importIssuing?: ImportedIssuingCa } {
  const cert = values['import-cert'];
  const key = values['import-key'];
  const chain = values['import-chain'];
  if (cert === undefined && key === undefined && chain === undefined) return {};
  if (cert === undefined || key === undefined || chain === undefined) {
    throw new CliError('ERR_CLI_USAGE', '--import-cert, --import-key and --import-chain go together');
  }
  const certificates = (path: string): Uint8Array[] => {
    const ders = pemCertificates(Buffer.from(readInput(path)).toString('utf8'));
    if (ders.length === 0) throw new CliError('ERR_CLI_INPUT', `${path} holds no PEM certificate`);
    return ders;
  };
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(Buffer.from(readInput(key)));
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new CliError('ERR_CLI_INPUT', `${key} is not an unencrypted PEM private key`, { cause });
  }
  const [issuing] = certificates(cert);
  return { importIssuing: { certificate: issuing as Uint8Array, chain: certificates(chain), privateKey } };
}

async function init(values: Values, io: CliIo): Promise<number> {
  const dir = required(values, 'dir');
  const keyName = values.key ?? 'EC-P256';
  if (!Object.hasOwn(keySpecs, keyName)) throw new CliError('ERR_CLI_USAGE', `unknown --key ${keyName}`);
  const result = await initCaDirectory({
    dir,
    ...importOption(values),
    clock: systemClock,
    keySpec: keySpecs[keyName as keyof typeof keySpecs],
    ...(values['base-url'] !== undefined ? { baseUrl: values['base-url'] } : {}),
    ...(values['kek-file'] !== undefined ? { kekFile: values['kek-file'] } : {}),
    ...(values.org !== undefined ? { organization: values.org } : {}),
    ...(values.country !== undefined ? { country: values.country } : {}),
  });
  io.stdout.write(
    `created CA in ${dir}: root.pem, issuing.pem, chain.pem (issuing then root), tsa.pem, ocsp.pem\n` +
      `AIA/CDP base URL: ${result.config.baseUrl}\n`,
  );
  if (result.createdKekFile) {
    io.stderr.write(
      `warning: the key-encryption key was created as ${result.createdKekFile} (mode 0600) next to the keys; ` +
        `production must keep the KEK elsewhere (--kek-file on another volume, or SIGNET_KEK_FILE)\n`,
    );
  }
  return 0;
}

async function issue(values: Values, io: CliIo): Promise<number> {
  const profile = (values.profile ?? 'signing') as ProfileName;
  if (!issuableProfiles.includes(profile)) {
    throw new CliError('ERR_CLI_USAGE', `--profile must be one of ${issuableProfiles.join(', ')}`);
  }
  const csr = readInput(required(values, 'csr'));
  const output = required(values, 'output');
  return withCa(values, async (opened) => {
    const record = await opened.ca.enroll(csr, {
      profile,
      ...(values.qc ? { qcStatements: { qcCompliance: true, qcSSCD: true, qcTypeESign: true } } : {}),
    });
    saveIssued(opened.dir, record);
    writeFileSync(output, derToPem(record.der, 'CERTIFICATE'));
    io.stdout.write(`issued serial ${record.serialHex} (${record.subject}), valid until ${record.notAfter.toISOString()}\n`);
    return 0;
  });
}

async function revoke(values: Values, io: CliIo): Promise<number> {
  if ((values.cert === undefined) === (values.serial === undefined)) {
    throw new CliError('ERR_CLI_USAGE', 'give exactly one of --cert CERT.pem or --serial HEX');
  }
  let serialHex: string;
  if (values.cert !== undefined) {
    serialHex = serialToHex(parseCertificate(pemToDer(readInput(values.cert), 'CERTIFICATE')).tbsCertificate.serialNumber);
  } else {
    const s = normaliseSerialHex(values.serial ?? '');
    if (s === undefined) throw new CliError('ERR_CLI_USAGE', '--serial must be hexadecimal');
    serialHex = s;
  }
  const reason = parseRevocationReason(values.reason ?? 'unspecified');
  return withCa(values, async (opened) => {
    const record = await opened.ca.revoke(serialHex, reason);
    io.stdout.write(`revoked serial ${record.serialHex} (${reason}) at ${record.revocation?.time.toISOString() ?? ''}\n`);
    return 0;
  });
}

async function crl(values: Values, io: CliIo): Promise<number> {
  if (values.root) return rootCrl(values, io);
  return withCa(values, async (opened) => {
    const der = await opened.ca.generateCrl();
    const output = values.output ?? join(opened.dir, 'crl.der');
    writeFileSync(output, der);
    io.stdout.write(`wrote CRL (DER) to ${output}\n`);
    return 0;
  });
}

async function rootCrl(values: Values, io: CliIo): Promise<number> {
  const days = Number(values.days ?? String(defaultRootCrlDays));
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new CliError('ERR_CLI_USAGE', '--days must be a whole number of days from 1 to 3650');
  const dir = required(values, 'dir');
  await resignRootCrl(dir, {
    clock: systemClock,
    days,
    ...(values['kek-file'] !== undefined ? { kekFile: values['kek-file'] } : {}),
  });
  io.stdout.write(`wrote the root CRL (DER, valid ${days} days) to ${join(dir, rootCrlFile)}\n`);
  return 0;
}

async function renew(values: Values, io: CliIo): Promise<number> {
  const within = Number(values.within ?? '30');
  if (!Number.isFinite(within) || within < 0 || within > 3650) throw new CliError('ERR_CLI_USAGE', '--within must be a number of days');
  let serialHex: string | undefined;
  if (values.serial !== undefined) {
    serialHex = normaliseSerialHex(values.serial);
    if (serialHex === undefined) throw new CliError('ERR_CLI_USAGE', '--serial must be hexadecimal');
  }
  return withCa(values, async (opened) => {
    const report = await renewCertificates({
      ca: opened.ca,
      withinDays: within,
      ...(serialHex !== undefined ? { serialHex } : {}),
      ...(values.rekey ? { rekey: { backend: opened.keystore, spec: { type: 'EC', curve: 'P-256' } } } : {}),
    });
    for (const r of report.renewed) {
      saveIssued(opened.dir, r.to);
      io.stdout.write(`renewed ${r.from} -> ${r.to.serialHex} (${join(opened.dir, 'certs', `${r.to.serialHex}.pem`)})\n`);
    }
    for (const s of report.skipped) io.stdout.write(`skipped ${s} (renewed or claimed by another run)\n`);
    if (report.renewed.length === 0 && report.skipped.length === 0) io.stdout.write('nothing to renew\n');
    return 0;
  });
}

/** The `signet ca` command. */
export const caCommand: Command = {
  name: 'ca',
  summary: 'built-in CA: init, issue from a CSR, revoke, CRL, renew',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    const values: Values = parseCliArgs({ args: [...rest], options, allowPositionals: true, strict: true }).values;
    switch (sub) {
      case 'init':
        return init(values, io);
      case 'issue':
        return issue(values, io);
      case 'revoke':
        return revoke(values, io);
      case 'crl':
        return crl(values, io);
      case 'renew':
        return renew(values, io);
      case undefined:
      default:
        io.stderr.write(`${usage}\n`);
        return 2;
    }
  },
};
