/** PAdES signing (ETSI EN 319 142-1): staged prepare → sign → embed, fields, appearances, DocMDP, levels B-T/B-LT/B-LTA. */
export { prepareSignature, preparePdf } from './prepare-signature.js';
export { embeddedContainer, finishSignature, finishUpdates, signatureContainer, type FinishOptions } from './finish-signature.js';
export { planLevel, planData, planFor, baselinePlan } from './level-plan.js';
export { preparedFromJson, preparedToJson, type PreparedContext } from './prepared-json.js';
export { spoolSignature, temporaryPathFor, writeFileAtomically, type SignatureSink } from './signature-sink.js';
export { embedSignature, embedCms, buildCms } from './embed-signature.js';
export {
  completeSignature,
  reserveForLevel,
  signPdf,
  signPdfFile,
  signSource,
  type CompleteOptions,
  type SignOptions,
} from './sign-pdf.js';
export { extendPdf, extendSource, levelAtLeast, type ExtendOptions } from './extend-pdf.js';
export { addSignatureTimestamp } from './signature-timestamp.js';
export {
  addDocumentTimestamp,
  prepareDocumentTimestamp,
  stampDocumentTimestamp,
  type DocumentTimestampOptions,
  type DocumentTimestampRoom,
  type PreparedDocumentTimestamp,
} from './document-timestamp.js';
export {
  inlineExtensionWork,
  planExtension,
  writeExtension,
  type ExtensionPlan,
  type ExtensionPlanRequest,
  type ExtensionWork,
  type ExtensionWrite,
  type ExtensionWriteRequest,
} from './extension-steps.js';
export { buildDssUpdate, readDss, type DssContent, type DssIndex } from './document-security-store.js';
export {
  ValidationDataCollector,
  planEvidence,
  vriKeyOf,
  type EvidencePlan,
  type PlannedSignature,
  type SignatureMaterial,
  type ValidationMaterial,
} from './validation-data.js';
export { listPdfSignatures, type PdfSignature } from './pdf-signatures.js';
export { appendedSource, sourceParts } from './appended-source.js';
export { documentTimestampCapacity, measureTimestampToken, signatureTimestampReserve } from './timestamp-reserve.js';
export { listFormFields, listSignatureFields, maxSignatures, type FormField } from './signature-field.js';
export { certificationPermission } from './docmdp.js';
export { digestByteRange } from './byte-range.js';
export { formatPdfDate, parsePdfDate } from './pdf-date.js';
export { signerDisplayName } from './signer-name.js';
export { PadesError, type PadesErrorCode } from './errors.js';
export type {
  DocMdpPermission,
  LevelOptions,
  LevelPlan,
  PadesLevel,
  PrepareOptions,
  PreparedDocument,
  PreparedSignature,
  RevocationData,
  RevocationSource,
  SignatureMetadata,
  SignatureValue,
  Timestamper,
  VisibleSignature,
} from './types.js';
