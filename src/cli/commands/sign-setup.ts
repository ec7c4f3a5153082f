/**
 * What `signet sign` needs to sign a file, built from its parsed options: the signer and the sign
 * options. Shared by the main thread and the batch's worker threads, and imported only once the
 * workers are started (issue 18 §4: both load the signing code at the same time).
 */
import { systemClock } from '../../core/clock.js';
import { planLevel, signPdfFile, type SignOptions } from '../../pades/index.js';
import { loadSignerFromOptions, type LoadedSigner } from './load-signer.js';
import { levelSources } from './sign-level.js';
import {
  appearanceFrom,
  parseDigest,
  parseScheme,
  readSecretFile,
  type AppearanceValues,
} from './sign-options.js';

/** The parsed `signet sign` values these need (plain strings: they cross to worker threads). */
export interface SignValues extends AppearanceValues {
  readonly key?: string | undefined;
  readonly cert?: string | undefined;
  readonly chain?: readonly string[] | undefined;
  readonly 'key-pass-file'?: string | undefined;
  readonly p12?: string | undefined;
  readonly 'pass-file'?: string | undefined;
  readonly 'key-uri'?: string | undefined;
  readonly 'pkcs11-module'?: string | undefined;
  readonly 'pin-file'?: string | undefined;
  readonly keystore?: string | undefined;
  readonly 'kek-file'?: string | undefined;
  readonly 'password-file'?: string | undefined;
  readonly algorithm?: string | undefined;
  readonly digest?: string | undefined;
  readonly level?: string | undefined;
  readonly tsa?: string | undefined;
  readonly 'timeout-ms'?: string | undefined;
}

/** A loaded signer with the options every file is signed with, and the signing function. */
export interface Signing {
  readonly loaded: LoadedSigner;
  readonly options: SignOptions;
  /** Signs `input` into `output`, with a signing time taken just before. */
  signFile(input: string, output: string): Promise<void>;
}

/** Builds the signer and the sign options `values` describe. */
export async function loadSigning(v: SignValues): Promise<Signing> {
  const options: SignOptions = {
    ...(await levelSources(v, systemClock)),
    signingTime: systemClock.now(),
    ...appearanceFrom(v),
    ...(v['password-file'] === undefined
      ? {}
      : { password: readSecretFile(v['password-file'], 'the PDF password file') }),
  };
  const loaded = await loadSignerFromOptions({
    key: v.key,
    cert: v.cert,
    chain: v.chain,
    keyPassFile: v['key-pass-file'],
    p12: v.p12,
    passFile: v['pass-file'],
    keyUri: v['key-uri'],
    pkcs11Module: v['pkcs11-module'],
    pinFile: v['pin-file'],
    keystore: v.keystore,
    kekFile: v['kek-file'],
    scheme: parseScheme(v.algorithm),
    digest: parseDigest(v.digest),
  });
  // One level plan for every file: the timestamp reserve is measured once (ETSI EN 319 122-1 §5.3).
  const plan = await planLevel(options, loaded.signer.signatureAlgorithm.digest);
  return {
    loaded,
    options,
    signFile: async (input, output) => {
      // Each file gets its own signing time taken just before it is signed.
      await signPdfFile(input, output, loaded.signer, {
        ...options,
        plan,
        signingTime: systemClock.now(),
      });
    },
  };
}
