/**
 * The CA side of the qcStatements extension (RFC 3739 §3.2.6, ETSI EN 319 412-5 §4): the encoding
 * lives with the other ASN.1 code in cms (cms/qc-statements.ts), where the validator reads it too.
 */
export { encodeQcStatements, hasQcStatements, id_pe_qcStatements } from '../../cms/qc-statements.js';
export type { PdsLocationInput, QcStatementsOptions } from '../../cms/qc-statements.js';
