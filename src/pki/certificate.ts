/** Certificate parsing lives in cms (docs/architecture.md); pki's modules keep this path. */
export * from '../cms/certificate.js';
