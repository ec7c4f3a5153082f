/**
 * The qcStatements extension (RFC 3739 §3.2.6) with the ETSI EN 319 412-5 §4.2 statements
 * QcCompliance, QcSSCD and QcType (id-etsi-qct-esign). No schema class exists for
 * QCStatements, so it is written with the minimal DER writer:
 *
 * ```asn1
 * QCStatements ::= SEQUENCE OF QCStatement
 * QCStatement ::= SEQUENCE { statementId OBJECT IDENTIFIER, statementInfo ANY OPTIONAL }
 * QcType ::= SEQUENCE OF OBJECT IDENTIFIER
 * ```
 */
import {
  id_etsi_qcs_qcCompliance,
  id_etsi_qcs_qcSSCD,
  id_etsi_qcs_qcType,
  id_etsi_qct_esign,
} from '@peculiar/asn1-x509-qualified-etsi';
import { encodeOid, encodeTlv, tags } from '../../cms/der.js';

const seq = (...items: readonly Uint8Array[]): Uint8Array => encodeTlv(tags.sequence, ...items);

/** id-pe-qcStatements (RFC 3739 §3.2.6). */
export const id_pe_qcStatements = '1.3.6.1.5.5.7.1.3';

/** Which ETSI statements to claim. Claiming them is a legal statement: off by default. */
export interface QcStatementsOptions {
  readonly qcCompliance: boolean;
  readonly qcSSCD: boolean;
  readonly qcTypeESign: boolean;
}

/** DER of the QCStatements value (the extnValue contents). */
export function encodeQcStatements(options: QcStatementsOptions): Uint8Array {
  const statements: Uint8Array[] = [];
  if (options.qcCompliance) statements.push(seq(encodeOid(id_etsi_qcs_qcCompliance)));
  if (options.qcSSCD) statements.push(seq(encodeOid(id_etsi_qcs_qcSSCD)));
  if (options.qcTypeESign) {
    statements.push(seq(encodeOid(id_etsi_qcs_qcType), seq(encodeOid(id_etsi_qct_esign))));
  }
  return seq(...statements);
}
