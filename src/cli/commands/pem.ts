/** Reads certificates from PEM (one or more blocks) or a single DER certificate. */
import { CliError } from '../errors.js';

/** The DER certificates in a PEM or DER file's bytes. */
export function pemCertificates(bytes: Uint8Array): Uint8Array[] {
  const text = Buffer.from(bytes).toString('latin1');
  const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  if (blocks.length === 0) {
    if (bytes[0] === 0x30) return [bytes];
    throw new CliError('ERR_CLI_INPUT', 'the file holds no certificate (PEM or DER expected)');
  }
  return blocks.map((m) => new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')));
}
