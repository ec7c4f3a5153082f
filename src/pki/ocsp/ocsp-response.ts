/** OCSP response verification lives in cms (docs/architecture.md); pki's modules keep this path. */
export * from '../../cms/ocsp/ocsp-response.js';
