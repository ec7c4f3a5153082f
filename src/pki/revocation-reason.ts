/** RFC 5280 §5.3.1 revocation reasons live in cms (docs/architecture.md); pki's modules keep this path. */
export * from '../cms/revocation-reason.js';
