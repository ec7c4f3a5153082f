/** Builds the Signer named by `signet sign` options: PEM key, PKCS#12, or a key URI on a backend. */
import { X509Certificate } from 'node:crypto';
import { digestForCurve, namedCurveOf, type DigestAlgorithm, type SignatureAlgorithm, type SignatureScheme } from '../../cms/algorithms.js';
import type { Signer } from '../../cms/signer.js';
// Key files need only keys/local; the key-URI backends (PKCS#11 and pkcs11js, the keystore,
// remote token servers) are imported when --key-uri asks for one (issue 18 §4).
import { loadLocalSigner } from '../../keys/local/local-signer.js';
import { CliError } from '../errors.js';
import { pemCertificates } from './pem.js';
import { readInputFile, readSecretFile } from './sign-options.js';

/** The key options of `signet sign` (already parsed). */
export interface KeyOptions {
  readonly key?: string | undefined;
  readonly cert?: string | undefined;
  readonly chain?: readonly string[] | undefined;
  readonly keyPassFile?: string | undefined;
  readonly p12?: string | undefined;
  readonly passFile?: string | undefined;
  readonly keyUri?: string | undefined;
  readonly pkcs11Module?: string | undefined;
  readonly pinFile?: string | undefined;
  readonly keystore?: string | undefined;
  readonly kekFile?: string | undefined;
  readonly scheme?: SignatureScheme | undefined;
  readonly digest?: DigestAlgorithm | undefined;
}

/** A loaded signer and how to release what it holds (backend sessions). */
export interface LoadedSigner {
  readonly signer: Signer;
  close(): Promise<void>;
}

/** The default algorithm for a certificate's key (RSA → PKCS#1 v1.5 SHA-256; EC → ECDSA with the curve's digest). */
function algorithmFor(certificate: Uint8Array, scheme?: SignatureScheme, digest?: DigestAlgorithm): SignatureAlgorithm {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certificate);
  } catch (cause) {
    throw new CliError('ERR_CLI_INPUT', 'the certificate is not a valid X.509 certificate', { cause });
  }
  const key = cert.publicKey;
  if (key.asymmetricKeyType === 'ec') {
    const curve = namedCurveOf(key.asymmetricKeyDetails?.namedCurve);
    if (!curve) throw new CliError('ERR_CLI_INPUT', 'the certificate uses an unsupported curve');
    return { scheme: 'ECDSA', digest: digest ?? digestForCurve(curve) };
  }
  return { scheme: scheme ?? 'RSASSA-PKCS1-v1_5', digest: digest ?? 'SHA-256' };
}

/** Loads the signer described by the options (exactly one of --key, --p12, --key-uri). */
export async function loadSignerFromOptions(o: KeyOptions): Promise<LoadedSigner> {
  const chosen = [o.key, o.p12, o.keyUri].filter((x) => x !== undefined).length;
  if (chosen !== 1) {
    throw new CliError('ERR_CLI_USAGE', 'give exactly one of --key/--cert, --p12/--pass-file or --key-uri/--cert');
  }
  const algorithm = { ...(o.scheme ? { scheme: o.scheme } : {}), ...(o.digest ? { digest: o.digest } : {}) };
  const chain = (o.chain ?? []).flatMap((p) => pemCertificates(readInputFile(p, 'chain file')));

  if (o.p12 !== undefined) {
    if (o.passFile === undefined) throw new CliError('ERR_CLI_USAGE', '--p12 needs --pass-file');
    const signer = await loadLocalSigner(
      { kind: 'pkcs12', data: readInputFile(o.p12, 'PKCS#12 file'), passphrase: readSecretFile(o.passFile, 'pass file') },
      algorithm,
    );
    return { signer, close: async () => {} };
  }
  if (o.cert === undefined) throw new CliError('ERR_CLI_USAGE', '--cert is required with --key and --key-uri');
  const certs = pemCertificates(readInputFile(o.cert, 'certificate file'));
  const leafAndChain = [...certs, ...chain];

  if (o.key !== undefined) {
    const [certificate, ...rest] = leafAndChain;
    const signer = await loadLocalSigner(
      {
        kind: 'pem',
        key: readInputFile(o.key, 'key file'),
        certificate: certificate as Uint8Array,
        chain: rest,
        ...(o.keyPassFile === undefined ? {} : { passphrase: readSecretFile(o.keyPassFile, 'key pass file') }),
      },
      algorithm,
    );
    return { signer, close: async () => {} };
  }

  const { keySigner, openKeyFromUri } = await import('../../keys/index.js');
  const opened = await openKeyFromUri(o.keyUri as string, {
    ...(o.pkcs11Module === undefined ? {} : { pkcs11Module: o.pkcs11Module }),
    ...(o.pinFile === undefined ? {} : { pinFile: o.pinFile }),
    ...(o.keystore === undefined ? {} : { keystoreDir: o.keystore }),
    ...(o.kekFile === undefined ? {} : { kekFile: o.kekFile }),
  });
  const signer = await keySigner(
    opened.backend,
    opened.ref,
    leafAndChain,
    algorithmFor(leafAndChain[0] as Uint8Array, o.scheme, o.digest),
  );
  return { signer, close: () => opened.close() };
}
