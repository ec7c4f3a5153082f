/** RFC 3161 PKIFailureInfo names live in cms (docs/architecture.md); pki's modules keep this path. */
export * from '../../cms/tsa/pki-failure-info.js';
