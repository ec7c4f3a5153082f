/**
 * Reads the credential certificate profiles file (docs/certificate-profiles.md) at start: a named
 * file that is missing or not JSON is ERR_SERVER_CONFIG, a malformed profile ERR_PKI_PROFILE_CONFIG;
 * without a file only the built-in `signing` profile is offered.
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  defaultCredentialProfiles,
  parseCredentialProfiles,
  type CredentialProfiles,
} from '../pki/index.js';
import type { ServerConfig } from './config.js';
import { ServerError } from './errors.js';

/**
 * The profiles the CA issues credential certificates under.
 *
 * @example
 * ```ts
 * const profiles = loadCertificateProfiles(config.certificateProfiles);
 * ```
 */
export function loadCertificateProfiles(
  source: ServerConfig['certificateProfiles'],
): CredentialProfiles {
  if (!existsSync(source.file)) {
    if (source.required)
      throw new ServerError(
        'ERR_SERVER_CONFIG',
        `SIGNET_CERTIFICATE_PROFILES_FILE: ${source.file} does not exist`,
      );
    return defaultCredentialProfiles();
  }
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(source.file, 'utf8'));
  } catch (cause) {
    throw new ServerError(
      'ERR_SERVER_CONFIG',
      `the certificate profiles file ${source.file} is not readable JSON`,
      { cause },
    );
  }
  return parseCredentialProfiles(document);
}
