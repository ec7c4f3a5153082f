/** Parsing of the `signet sign` key and appearance options shared by sign and extend. */
import { readFileSync } from 'node:fs';
import type { DigestAlgorithm, SignatureScheme } from '../../cms/algorithms.js';
import type { DocMdpPermission, SignOptions, VisibleSignature } from '../../pades/index.js';
import { CliError } from '../errors.js';

/** Reads a file named on the command line, with a clear error when it is missing. */
export function readInputFile(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    throw new CliError('ERR_CLI_INPUT', `cannot read ${what} '${path}'`, { cause });
  }
}

/** Reads a secret (passphrase, PIN) from a file, without its trailing newline. */
export function readSecretFile(path: string, what: string): string {
  return Buffer.from(readInputFile(path, what)).toString('utf8').replace(/\r?\n$/, '');
}

/** `--visible PAGE,X1,Y1,X2,Y2`. */
export function parseVisible(text: string): VisibleSignature {
  const parts = text.split(',').map((p) => Number(p.trim()));
  const [page, x1, y1, x2, y2] = parts;
  if (parts.length !== 5 || parts.some((n) => !Number.isFinite(n)) || !Number.isInteger(page)) {
    throw new CliError('ERR_CLI_USAGE', `--visible expects PAGE,X1,Y1,X2,Y2 (got '${text}')`);
  }
  return { page: page as number, rect: [x1 as number, y1 as number, x2 as number, y2 as number] };
}

/** `--certify 1|2|3`. */
export function parseCertify(text: string): DocMdpPermission {
  if (text === '1' || text === '2' || text === '3') return Number(text) as DocMdpPermission;
  throw new CliError('ERR_CLI_USAGE', `--certify expects 1, 2 or 3 (got '${text}')`);
}

/** `--algorithm rsa-pss|rsa-pkcs1|ecdsa` → scheme (undefined: the key's default). */
export function parseScheme(text: string | undefined): SignatureScheme | undefined {
  switch (text?.toLowerCase()) {
    case undefined:
      return undefined;
    case 'rsa-pss':
    case 'pss':
      return 'RSASSA-PSS';
    case 'rsa':
    case 'rsa-pkcs1':
    case 'pkcs1':
      return 'RSASSA-PKCS1-v1_5';
    case 'ecdsa':
      return 'ECDSA';
    default:
      throw new CliError('ERR_CLI_USAGE', `--algorithm expects rsa-pss, rsa-pkcs1 or ecdsa (got '${text}')`);
  }
}

/** `--digest sha256|sha384|sha512`. */
export function parseDigest(text: string | undefined): DigestAlgorithm | undefined {
  switch (text?.toLowerCase().replace('-', '')) {
    case undefined:
      return undefined;
    case 'sha256':
      return 'SHA-256';
    case 'sha384':
      return 'SHA-384';
    case 'sha512':
      return 'SHA-512';
    default:
      throw new CliError('ERR_CLI_USAGE', `--digest expects sha256, sha384 or sha512 (got '${text}')`);
  }
}

/** The signature dictionary and appearance options of `signet sign` and `signet sign-remote`. */
export const appearanceOptions = {
  field: { type: 'string' },
  reason: { type: 'string' },
  location: { type: 'string' },
  contact: { type: 'string' },
  visible: { type: 'string' },
  certify: { type: 'string' },
} as const;

/** The parsed values of appearanceOptions. */
export interface AppearanceValues {
  readonly field?: string | undefined;
  readonly reason?: string | undefined;
  readonly location?: string | undefined;
  readonly contact?: string | undefined;
  readonly visible?: string | undefined;
  readonly certify?: string | undefined;
}

/** The sign options the appearance values ask for (absent values stay absent). */
export function appearanceFrom(v: AppearanceValues): Pick<SignOptions, 'fieldName' | 'reason' | 'location' | 'contactInfo' | 'visible' | 'certify'> {
  return {
    ...(v.field === undefined ? {} : { fieldName: v.field }),
    ...(v.reason === undefined ? {} : { reason: v.reason }),
    ...(v.location === undefined ? {} : { location: v.location }),
    ...(v.contact === undefined ? {} : { contactInfo: v.contact }),
    ...(v.visible === undefined ? {} : { visible: parseVisible(v.visible) }),
    ...(v.certify === undefined ? {} : { certify: parseCertify(v.certify) }),
  };
}

/** `-o OUT.pdf` for one input or `--out-dir DIR` for several, never both. */
export function checkOutputs(inputs: number, output: string | undefined, outDir: string | undefined): void {
  if (outDir === undefined && (inputs !== 1 || output === undefined)) {
    throw new CliError('ERR_CLI_USAGE', 'one input needs -o OUT.pdf; several inputs need --out-dir DIR');
  }
  if (outDir !== undefined && output !== undefined) throw new CliError('ERR_CLI_USAGE', 'use either -o or --out-dir, not both');
}
