/**
 * The registry of `signet` sub-commands. Each entry names its module and imports it only when
 * that command runs (or its usage is asked for): `signet --help` or `signet sign` never load the
 * server, the database drivers or PKCS#11 that other commands need (issue 18 §4).
 */
import type { Command } from '../command.js';

/** A sub-command as listed by `signet --help`; `load()` imports its module on first use. */
export interface CommandEntry {
  readonly name: string;
  /** The line shown by `signet --help`; equal to the loaded command's `summary` (tested). */
  readonly summary: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  {
    name: 'admin',
    summary: 'manage users, OAuth clients, credentials and admin tokens',
    load: async () => (await import('./admin.js')).adminCommand,
  },
  {
    name: 'audit',
    summary: 'verify the hash-chained audit log',
    load: async () => (await import('./audit.js')).auditCommand,
  },
  {
    name: 'ca',
    summary: 'built-in CA: init, issue from a CSR, revoke, CRL, renew',
    load: async () => (await import('./ca.js')).caCommand,
  },
  {
    name: 'extend',
    summary: 'extend signed PDFs to PAdES B-T, B-LT or B-LTA',
    load: async () => (await import('./extend.js')).extendCommand,
  },
  {
    name: 'keys',
    summary:
      'generate keys on a PKCS#11 token or in the encrypted keystore (with a CSR); list keys; re-wrap the service keys under a new KEK',
    load: async () => (await import('./keys.js')).keysCommand,
  },
  {
    name: 'pki',
    summary: 'serve the TSA, OCSP responder and CRL of a CA directory',
    load: async () => (await import('./pki.js')).pkiCommand,
  },
  {
    name: 'receipt',
    summary: 'verify that a signed document belongs to the batch its receipt names',
    load: async () => (await import('./receipt.js')).receiptCommand,
  },
  {
    name: 'serve',
    summary: 'run the signing service (CSC API, OAuth2, PKI, admin)',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    name: 'sign',
    summary: 'sign PDF files (PAdES), one or a batch',
    load: async () => (await import('./sign.js')).signCommand,
  },
  {
    name: 'sign-remote',
    summary: 'sign PDF files (PAdES) with a credential of a CSC API provider, one or a batch',
    load: async () => (await import('./sign-csc.js')).signCscCommand,
  },
  {
    name: 'sign-csc',
    summary: 'same as sign-remote',
    load: async () => (await import('./sign-csc.js')).signCscAliasCommand,
  },
  {
    name: 'token-server',
    summary: "serve this machine's PKCS#11 tokens to signing nodes over HTTPS with mutual TLS",
    load: async () => (await import('./token-server.js')).tokenServerCommand,
  },
  {
    name: 'transparency',
    summary: 'monitor the signature transparency log for your signatures',
    load: async () => (await import('./transparency.js')).transparencyCommand,
  },
  {
    name: 'verify',
    summary: 'validate the signatures of a PDF',
    load: async () => (await import('./verify.js')).verifyCommand,
  },
];
