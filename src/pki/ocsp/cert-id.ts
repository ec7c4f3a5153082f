/** RFC 6960 CertID helpers live in cms (docs/architecture.md); pki's modules keep this path. */
export * from '../../cms/ocsp/cert-id.js';
