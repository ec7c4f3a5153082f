/** Key backends: where private keys live (software keystore, PKCS#11, remote), behind one interface. */
export type {
  BackendHealth,
  GeneratedKey,
  KeyBackend,
  KeyRef,
  KeySpec,
  MessageSignRequest,
  PreparedKey,
  SignRequest,
} from './key-backend.js';
export { prepareKey } from './key-backend.js';
export { KeyBackendError } from './errors.js';
export type { KeyErrorCode } from './errors.js';
export { SoftwareKeystore, keystoreRef, Kek, loadKek, parseKek, FileKeyRecords, decodeKeyEnvelope } from './software/index.js';
export type { SoftwareKeystoreOptions, KeystoreEntry, KekSource, KeyRecords, StoredKeyRecord, RotateKekOptions } from './software/index.js';
export { readSecretFile, readSecretFromEnv, readSecretText } from './secret-source.js';
export { describePublicKey, keyLabel, namedCurveOf } from './public-key-info.js';
export type { PublicKeyInfo } from './public-key-info.js';
export { encodeDigestInfo } from './digest-info.js';
export { ecdsaRawToDer } from './ecdsa-signature.js';
export { assertKeyLabel } from './key-label.js';
export { keySigner } from './signer-adapter.js';
export type { KeySignerOptions } from './signer-adapter.js';
export { Pkcs11Backend, formatPkcs11Uri, parsePkcs11Uri } from './pkcs11/index.js';
export type {
  Pkcs11BackendOptions,
  Pkcs11TokenConfig,
  Pkcs11KeyUri,
  SessionPoolStats,
} from './pkcs11/index.js';
export { openKeyFromUri } from './key-uri.js';
export type { KeyUriOptions, OpenedKey } from './key-uri.js';
export { LocalKeyError, loadLocalSigner, readPkcs12, MAX_ITERATIONS } from './local/index.js';
export type {
  LocalKeyErrorCode,
  LocalKeyInput,
  LocalSignerOptions,
  Pkcs12Contents,
  Pkcs12Limits,
} from './local/index.js';
export {
  certificationRequestToPem,
  createCertificationRequest,
  defaultSignatureAlgorithm,
} from './certification-request.js';
export type { CertificationRequestOptions } from './certification-request.js';
export { parseDistinguishedName } from './distinguished-name.js';
export { isListing } from './key-listing.js';
export type { ListingKeyBackend } from './key-listing.js';
export { RemoteKeyBackend, TokenServer } from './remote/index.js';
export type {
  MutualTlsOptions,
  RemoteKeyBackendOptions,
  TokenServerOptions,
} from './remote/index.js';
