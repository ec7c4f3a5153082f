/** The `info` method (CSC API v2 §11.1; v1.0.4 §11.1): service metadata, no authentication. */
import type { CscDeps, CscVersion } from './csc-deps.js';
import { conformanceNames } from './pades-levels.js';
import { allSignAlgos } from './sign-algorithm.js';

/** v2 method names implemented (CSC v2 Table 4). */
export const v2Methods = [
  'auth/login',
  'auth/revoke',
  'credentials/list',
  'credentials/info',
  'credentials/authorize',
  'credentials/authorizeCheck',
  'credentials/getChallenge',
  'credentials/extendTransaction',
  'signatures/signHash',
  'signatures/signDoc',
  'signatures/timestamp',
] as const;

/** v1.0.4 method names implemented. */
export const v1Methods = [
  'auth/login',
  'auth/revoke',
  'credentials/list',
  'credentials/info',
  'credentials/authorize',
  'credentials/extendTransaction',
  'signatures/signHash',
  'signatures/timestamp',
] as const;

/** The info response of `version`. */
export function infoResponse(deps: CscDeps, version: CscVersion): Record<string, unknown> {
  const i = deps.info;
  const oauth = i.oauth2Issuer !== undefined;
  const methods = (version === 'v2' ? v2Methods : v1Methods).filter(
    (m) => m !== 'signatures/timestamp' || deps.tsa !== undefined,
  );
  const common = {
    name: i.name,
    logo: i.logo,
    region: i.region,
    lang: i.lang,
    description: i.description,
    authType: oauth ? ['basic', 'oauth2code', 'oauth2client'] : ['basic'],
  };
  if (version === 'v1') {
    return { specs: '1.0.4.0', ...common, ...(oauth ? { oauth2: i.oauth2Issuer } : {}), methods };
  }
  return {
    // CSC API 2.2.0.0 (the EUDI reference client refuses any other `specs` value).
    specs: '2.2.0.0',
    ...common,
    ...(oauth ? { oauth2Issuer: i.oauth2Issuer, supportsRar: i.supportsRar ?? false } : {}),
    asynchronousOperationMode: false,
    methods,
    // CSC v2 §11.1: returnValidationInfo is supported beyond P + B-LT + documentDigests when a
    // revocation source is configured (signDoc, validation-info.ts).
    validationInfo: deps.pades?.revocation !== undefined,
    signAlgorithms: { algos: allSignAlgos() },
    signature_formats: { formats: ['P'], envelope_properties: [['Revision', 'Certification']] },
    conformance_levels: conformanceNames(deps),
    supportedHashTypes: ['SHA-256', 'SHA-384', 'SHA-512'],
  };
}
