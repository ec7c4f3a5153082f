/** PAdES signing (ETSI EN 319 142-1): staged prepare → sign → embed, fields, appearances, DocMDP. */
export { preparePdf } from './prepare-signature.js';
export { embedSignature, embedCms, buildCms } from './embed-signature.js';
export { signPdf, signPdfFile, signSource, writeFileAtomically, type SignOptions } from './sign-pdf.js';
export { listFormFields, listSignatureFields, type FormField } from './signature-field.js';
export { certificationPermission } from './docmdp.js';
export { digestByteRange } from './byte-range.js';
export { formatPdfDate, parsePdfDate } from './pdf-date.js';
export { signerDisplayName } from './signer-name.js';
export { PadesError, type PadesErrorCode } from './errors.js';
export type {
  DocMdpPermission,
  PrepareOptions,
  PreparedSignature,
  SignatureMetadata,
  VisibleSignature,
} from './types.js';
