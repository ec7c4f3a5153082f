/** The PKI domain: CA with profiles, enrollment, renewal, revocation, CRL, OCSP responder, TSA, their HTTP host and clients. */
export { PkiError } from './errors.js';
export type { PkiErrorCode } from './errors.js';
export type { CaKey } from './ca-key.js';
export { signWithCaKey } from './ca-key.js';
export {
  digestAlgorithmIdentifier,
  signatureAlgorithmFromIdentifier,
  signatureAlgorithmIdentifier,
  verifySignature,
} from './algorithm-identifier.js';
export {
  derToPem,
  keyIdentifier,
  nameToString,
  normaliseSerialHex,
  parseCertificate,
  pemCertificates,
  pemToDer,
  serialToHex,
  spkiDer,
  subjectKeyIdentifierOf,
} from './certificate.js';
export { caIssuersUrls, crlUrls, ocspUrls } from './certificate-urls.js';
export { parseRevocationReason, revocationReasonCodes } from './revocation-reason.js';
export type { RevocationReason } from './revocation-reason.js';
export { buildSubject, subjectFromName } from './ca/subject.js';
export type { SubjectInput } from './ca/subject.js';
export { checkPublicKey } from './ca/public-key-policy.js';
export type { AcceptedKey } from './ca/public-key-policy.js';
export { generateSerialNumber } from './ca/serial-number.js';
export { profileByName, profiles, signetDevelopmentPolicyOid } from './ca/profiles.js';
export type {
  CertificateProfile,
  PkiUrls,
  ProfileContext,
  ProfileModifier,
  ProfileName,
  ProfileValidator,
  ServiceProfileName,
} from './ca/profiles.js';
export type { PdsLocationInput, QcStatementsOptions } from './ca/qc-statements.js';
export {
  defaultCredentialProfile,
  defaultCredentialProfiles,
  etsiPolicyOids,
  parseCredentialProfiles,
} from './ca/credential-profiles.js';
export type {
  CredentialProfileDefinition,
  CredentialProfiles,
  KeyUsageName,
  SubjectAttribute,
} from './ca/credential-profiles.js';
export { issueCertificate } from './ca/issue-certificate.js';
export type { CertificateIssuer, IssueCertificateOptions, IssuedCertificate } from './ca/issue-certificate.js';
export { CertificateAuthority } from './ca/certificate-authority.js';
export type { CertificateAuthorityOptions, EnrollOptions, IssueRequest } from './ca/certificate-authority.js';
export { createCaHierarchy, signatureAlgorithmForKey } from './ca/create-ca-hierarchy.js';
export type { CaHierarchy, CreateCaHierarchyOptions, HierarchyMember } from './ca/create-ca-hierarchy.js';
export {
  defaultBaseUrl,
  initCaDirectory,
  markCaDirectoryInDatabase,
  openCaDirectory,
  pkiUrlsFor,
  readCaDirectoryConfig,
  resignRootCrl,
  rootPkiUrlsFor,
  updateBaseUrl,
  upgradeCaDirectory,
} from './ca/ca-directory.js';
export { defaultRootCrlDays, readRootCrl, rootCrlFile, writeRootCrl } from './ca/root-crl.js';
export type { WriteRootCrlOptions } from './ca/root-crl.js';
export type {
  CaDirectoryConfig,
  CaDirectoryUpgrade,
  ImportedIssuingCa,
  InitCaDirectoryOptions,
  KekChoice,
  OpenedCaDirectory,
} from './ca/ca-directory.js';
export { verifyCsr } from './enrollment/verify-csr.js';
export type { VerifiedCsr } from './enrollment/verify-csr.js';
export type { CaStore, CertificateRecord, Revocation } from './store/ca-store.js';
export { FileCaStore } from './store/file-ca-store.js';
// DbCaStore is in './database.ts', so that this entry does not load the database drivers.
export { renewCertificates } from './renewal/renew-certificates.js';
export type { RenewalReport, RenewCertificatesOptions } from './renewal/renew-certificates.js';
export { buildCrl } from './crl/build-crl.js';
export type { BuildCrlOptions, CrlEntry } from './crl/build-crl.js';
export { CrlClient, verifyCrl } from './crl/crl-client.js';
export type { CrlClientOptions, CrlResult } from './crl/crl-client.js';
export { createOcspResponder } from './ocsp/ocsp-responder.js';
export type { OcspIssuer, OcspResponder, OcspResponderOptions } from './ocsp/ocsp-responder.js';
export { OcspClient } from './ocsp/ocsp-client.js';
export type { OcspClientOptions, OcspResult } from './ocsp/ocsp-client.js';
export { createTimestampAuthority, tsaSerialCounter } from './tsa/timestamp-authority.js';
export type { PkiFailure, TimestampAuthority, TimestampAuthorityOptions } from './tsa/timestamp-authority.js';
export { createTimestampTokenEncoder } from './tsa/timestamp-token.js';
export type { TimestampTokenEncoder, TimestampTokenEncoderOptions, TstInfoFields } from './tsa/timestamp-token.js';
export { TimestampClient, checkTimestampingEku } from './tsa/timestamp-client.js';
export type { TimestampClientOptions, TimestampResult } from './tsa/timestamp-client.js';
export type { PkiHttpHandler, PkiHttpRequest, PkiHttpResponse } from './http/pki-http.js';
export { fetchBytes } from './http/fetch-transport.js';
export { handlerFetch } from './http/handler-fetch.js';
export type { FetchLike, FetchedBytes, TransportOptions } from './http/fetch-transport.js';
export { pkiRoutes, startPkiHttpHost } from './http-host.js';
export type { PkiHttpHost, PkiHttpHostOptions, PkiRoute, PkiRoutesOptions } from './http-host.js';
export { ocspResponseCertificates, revocationSourceFromClients, timestamperFromClient } from './ltv-sources.js';
export type { RevocationEvidence, RevocationSourceOptions } from './ltv-sources.js';
export { revocationSourceForBatch } from './batch-revocation-source.js';
export type { BatchRevocationOptions, BatchRevocationSource, RevocationFetcher } from './batch-revocation-source.js';
export { verifyOcspEvidence } from './ocsp/ocsp-evidence.js';
export type { OcspEvidence } from './ocsp/ocsp-evidence.js';
