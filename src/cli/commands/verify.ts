/** `signet verify`: validates the signatures of a PDF and prints a report (text or JSON). */
import { parseArgs } from 'node:util';
import { FileSource, PdfDocument } from '../../pdf/index.js';
import { systemClock } from '../../core/clock.js';
import { CrlClient, OcspClient, revocationSourceFromClients } from '../../pki/index.js';
import {
  defaultValidationPolicy,
  fetchRevocationEvidence,
  readValidationPolicy,
  verifyPdfLongTerm,
  type DocumentReport,
  type RevocationMode,
  type SignatureReport,
  type ValidationPolicy,
} from '../../validation/index.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { readInputFile, readSecretFile } from './sign-options.js';
import { pemCertificates } from './pem.js';

const usage = `usage: signet verify IN.pdf [--trust ROOT.pem …] [--offline] [--json] [--password-file F] [--policy POLICY.json]

Checks every signature: ByteRange structure and coverage, the CMS signature and message digest,
and a certification path to the trust anchors given with --trust; then signature and document
timestamps, revocation and the PAdES level reached (B-B, B-T, B-LT, B-LTA). Revocation evidence
the document's DSS lacks is fetched online (OCSP, then CRL, from the certificate; 5 s per lookup);
--offline forbids it. Without revocation evidence a signature is INDETERMINATE / TRY_LATER. Each
problem names its finding code and the EN 319 102-1 check; a file that cannot be read still gets
a report (TOTAL-FAILED / FORMAT_FAILURE). An encrypted file opens with the empty user password, or
the one in --password-file. --policy judges with another validation policy than the default (the
shape of docs/validation.md's default policy; a file that does not fit it is refused). Exit code 0
only when every signature is TOTAL-PASSED.`;

/** The signer certificate's EN 319 412-5 claims in words. */
function describeQc(qc: NonNullable<SignatureReport['qcStatements']>): string {
  const parts = [
    ...(qc.qcCompliance ? ['QcCompliance (EU qualified certificate)'] : []),
    ...(qc.qcSSCD ? ['QcSSCD (key in a QSCD)'] : []),
    ...qc.qcTypes.map((t) => `QcType ${t}`),
    ...qc.pds.map((p) => `PDS ${p.language} ${p.url}`),
  ];
  return parts.length === 0 ? 'no ETSI statements' : parts.join('; ');
}

function describe(s: SignatureReport): string {
  const lines = [
    `signature '${s.fieldName}': ${s.indication}${s.subIndication ? ` / ${s.subIndication}` : ''}`,
    `  signer:        ${s.signerSubject ?? '(unknown)'}${s.chain.length > 1 ? ` (via ${s.chain.slice(1).join(' → ')})` : ''}`,
    ...(s.qcStatements ? [`  qualified:     ${describeQc(s.qcStatements)}`] : []),
    `  claimed time:  ${s.claimedSigningTime?.toISOString() ?? '(none)'}`,
    `  sub-filter:    ${s.subFilter ?? '(none)'}`,
    // isIntact is the cryptographic check alone (pdfsig's "Signature is Valid"); the verdict on the
    // first line also weighs the format, the certificate path and the changes since signing.
    `  integrity:     ${s.isIntact ? 'signed bytes unchanged (CMS signature and digest verify)' : 'NOT intact'}; covers ${s.coversWholeDocument ? 'the whole document' : 'a prior revision only'}`,
    `  certificate:   ${s.chainStatus ?? '(none)'}`,
    ...(s.level ? [`  PAdES level:   ${s.level}`] : []),
    ...(s.revocation ? [`  revocation:    ${s.revocation.status}${s.revocation.source ? ` (${s.revocation.origin === 'online' ? 'online' : 'DSS'} ${s.revocation.source})` : ''}`] : []),
    ...(s.timestamps ?? []).map(
      (t) => `  timestamp:     ${t.kind} ${t.isValid ? 'valid' : 'NOT valid'}, ${t.genTime?.toISOString() ?? '(no time)'} by ${t.tsaSubject ?? '(unknown TSA)'}`,
    ),
    ...(s.findings !== undefined
      ? s.findings.map((f) => `  ${(f.severity === 'error' ? 'problem:' : f.severity === 'warning' ? 'warning:' : 'note:').padEnd(15)}${f.message} (${f.code}, ${f.check})`)
      : [...s.problems.map((p) => `  problem:       ${p}`), ...s.warnings.map((w) => `  warning:       ${w}`)]),
  ];
  return lines.join('\n');
}

/** The validation policy in `path` (JSON, the shape of default-policy.json), or ERR_CLI_INPUT naming what does not fit. */
function loadPolicy(path: string): ValidationPolicy {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(readInputFile(path, 'validation policy')).toString('utf8'));
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new CliError('ERR_CLI_INPUT', `the validation policy '${path}' is not JSON`, { cause });
  }
  const read = readValidationPolicy(json);
  if ('problems' in read) throw new CliError('ERR_CLI_INPUT', `the validation policy '${path}' does not fit: ${read.problems.join('; ')}`);
  return read.policy;
}

/** The file-level verdict of a file that could not be read (every file gets a report). */
function describeDocument(report: DocumentReport): string[] {
  if (report.indication === undefined) return [];
  return [
    `file: ${report.indication}${report.subIndication ? ` / ${report.subIndication}` : ''}`,
    ...(report.findings ?? []).map((f) => `  problem:       ${f.message} (${f.code}, ${f.check})`),
  ];
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'validate the signatures of a PDF',
  usage,
  async run(argv, io) {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...argv],
        options: { trust: { type: 'string', multiple: true }, json: { type: 'boolean' }, offline: { type: 'boolean' }, 'password-file': { type: 'string' }, policy: { type: 'string' } },
        allowPositionals: true,
      });
    } catch (cause) {
      throw new CliError('ERR_CLI_USAGE', cause instanceof Error ? cause.message : 'bad arguments', { cause });
    }
    const [input, ...extra] = parsed.positionals;
    if (input === undefined || extra.length > 0) throw new CliError('ERR_CLI_USAGE', usage);
    const anchors = (parsed.values.trust ?? []).flatMap((p) => pemCertificates(readInputFile(p, 'trust anchor file')));
    const passwordFile = parsed.values['password-file'];
    const password = passwordFile === undefined ? {} : { password: readSecretFile(passwordFile, 'the PDF password file') };
    const policy = parsed.values.policy === undefined ? defaultValidationPolicy : loadPolicy(parsed.values.policy);
    readInputFile(input, 'PDF'); // a clear error for a missing file before opening it lazily
    const source = FileSource.open(input);
    try {
      // EN 319 102-1 §5.2.5: revocation evidence the document lacks is fetched (OCSP, then CRL,
      // from the certificate's AIA/CDP, each lookup bounded) unless --offline forbids it.
      // One document for the revocation lookups and the validation: its streams are decoded once
      // and one decode budget covers both (issue 15); a file that cannot be opened is reported by
      // the validation, from the source.
      let document: PdfDocument | undefined;
      try {
        document = PdfDocument.open(source, password);
      } catch {
        document = undefined;
      }
      const revocation: RevocationMode =
        parsed.values.offline === true || !policy.revocation.fetchOnline
          ? { mode: 'offline' }
          : await fetchRevocationEvidence(document ?? source, {
              source: revocationSourceFromClients({
                ocsp: new OcspClient({ clock: systemClock, timeoutMs: policy.revocation.timeoutMs }),
                crl: new CrlClient({ clock: systemClock, timeoutMs: policy.revocation.timeoutMs }),
              }),
              trustAnchors: anchors,
              clock: systemClock,
              timeoutMs: policy.revocation.timeoutMs,
              policy, // which DSS evidence is fresh enough, so what must be fetched (EN 319 102-1 §5.2.5)
              ...password,
            });
      const report = verifyPdfLongTerm(document ?? source, { trustAnchors: anchors, revocation, policy, ...password });
      if (parsed.values.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        for (const line of describeDocument(report)) io.stdout.write(`${line}\n`);
        if (report.signatures.length === 0 && report.indication === undefined) io.stdout.write('no signatures\n');
        for (const s of report.signatures) io.stdout.write(`${describe(s)}\n`);
        for (const w of report.warnings) io.stdout.write(`document warning: ${w}\n`);
        for (const l of report.revocationLookups ?? []) {
          const got = l.outcome === 'evidence' ? `${l.ocspResponses} OCSP response(s), ${l.crls} CRL(s)` : l.outcome;
          io.stdout.write(`revocation lookup: ${l.subject}: ${got}${l.message ? ` (${l.message})` : ''}\n`);
        }
      }
      const ok = report.signatures.length > 0 && report.signatures.every((s) => s.indication === 'TOTAL-PASSED');
      return ok ? 0 : 1;
    } finally {
      source.close();
    }
  },
};
