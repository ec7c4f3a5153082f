/** Local key files as a Signer: PEM keys and PKCS#12 containers (RFC 7292). */
export { LocalKeyError, type LocalKeyErrorCode } from './errors.js';
export { loadLocalSigner, type LocalKeyInput, type LocalSignerOptions } from './local-signer.js';
export { readPkcs12, type Pkcs12Contents, type Pkcs12Limits } from './pkcs12.js';
export { MAX_ITERATIONS } from './password-based-encryption.js';
