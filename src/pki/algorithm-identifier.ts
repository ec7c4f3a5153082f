/** X.509 algorithm identifiers and signature checks live in cms (docs/architecture.md); pki's modules keep this path. */
export * from '../cms/x509-algorithm.js';
