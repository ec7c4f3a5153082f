/**
 * The qcStatements certificate extension (RFC 3739 §3.2.6) with the ETSI EN 319 412-5 §4
 * statements QcCompliance (§4.2.1), QcSSCD (§4.2.2), QcType (§4.2.3) and QcPDS (§4.3.4):
 * written for the CA's profiles and read back for the validation report. No schema class exists
 * for QCStatements itself, so the outer SEQUENCE is written and read with the minimal DER code:
 *
 * ```asn1
 * QCStatements ::= SEQUENCE OF QCStatement
 * QCStatement ::= SEQUENCE { statementId OBJECT IDENTIFIER, statementInfo ANY OPTIONAL }
 * QcType ::= SEQUENCE OF OBJECT IDENTIFIER
 * QcEuPDS ::= SEQUENCE SIZE (1..MAX) OF PdsLocation
 * PdsLocation ::= SEQUENCE { url IA5String, language PrintableString (SIZE(2)) }
 * ```
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  PdsLocation,
  QcEuPDS,
  id_etsi_qcs_qcCompliance,
  id_etsi_qcs_qcPDS,
  id_etsi_qcs_qcSSCD,
  id_etsi_qcs_qcType,
  id_etsi_qct_eseal,
  id_etsi_qct_esign,
  id_etsi_qct_web,
} from '@peculiar/asn1-x509-qualified-etsi';
import { childrenOf, encodeOid, encodeTlv, readElement, readOid, tags } from './der.js';
import { CmsError } from './errors.js';

/** id-pe-qcStatements (RFC 3739 §3.2.6). */
export const id_pe_qcStatements = '1.3.6.1.5.5.7.1.3';

/** A PKI Disclosure Statement location (EN 319 412-5 §4.3.4): an https URL and its ISO 639-1 language. */
export interface PdsLocationInput {
  readonly url: string;
  readonly language: string;
}

/** Which ETSI statements to claim. Claiming them is a legal statement: off by default. */
export interface QcStatementsOptions {
  readonly qcCompliance: boolean;
  readonly qcSSCD: boolean;
  /** QcType id-etsi-qct-esign (certificate for electronic signatures). */
  readonly qcTypeESign: boolean;
  /** QcPDS locations; at least one in English when present (EN 319 412-5 §4.3.4). */
  readonly qcPds?: readonly PdsLocationInput[];
}

/** The QC types of EN 319 412-5 §4.2.3 by name. */
export type QcTypeName = 'esign' | 'eseal' | 'web';

const qcTypeNames: Readonly<Record<string, QcTypeName>> = {
  [id_etsi_qct_esign]: 'esign',
  [id_etsi_qct_eseal]: 'eseal',
  [id_etsi_qct_web]: 'web',
};

/** What a certificate's qcStatements extension says, as read. */
export interface QcStatementsInfo {
  readonly qcCompliance: boolean;
  readonly qcSSCD: boolean;
  /** Named QC types; an unknown type OID appears as its dotted form. */
  readonly qcTypes: readonly (QcTypeName | string)[];
  readonly pds: readonly PdsLocationInput[];
}

const seq = (...items: readonly Uint8Array[]): Uint8Array => encodeTlv(tags.sequence, ...items);

/** True when `options` claims at least one statement. */
export function hasQcStatements(
  options: QcStatementsOptions | undefined,
): options is QcStatementsOptions {
  return (
    options !== undefined &&
    (options.qcCompliance ||
      options.qcSSCD ||
      options.qcTypeESign ||
      (options.qcPds?.length ?? 0) > 0)
  );
}

/**
 * DER of the QCStatements value (the extension's extnValue contents).
 *
 * @example
 * ```ts
 * const der = encodeQcStatements({ qcCompliance: true, qcSSCD: true, qcTypeESign: true });
 * ```
 */
export function encodeQcStatements(options: QcStatementsOptions): Uint8Array {
  const statements: Uint8Array[] = [];
  if (options.qcCompliance) statements.push(seq(encodeOid(id_etsi_qcs_qcCompliance)));
  if (options.qcSSCD) statements.push(seq(encodeOid(id_etsi_qcs_qcSSCD)));
  if (options.qcTypeESign) {
    statements.push(seq(encodeOid(id_etsi_qcs_qcType), seq(encodeOid(id_etsi_qct_esign))));
  }
  if (options.qcPds !== undefined && options.qcPds.length > 0) {
    const pds = new QcEuPDS(
      options.qcPds.map((p) => new PdsLocation({ url: p.url, language: p.language })),
    );
    statements.push(seq(encodeOid(id_etsi_qcs_qcPDS), new Uint8Array(AsnConvert.serialize(pds))));
  }
  return seq(...statements);
}

/**
 * Reads a QCStatements value (the extnValue contents). Unknown statements are skipped, as RFC
 * 3739 §3.2.6 allows for a non-critical extension; a malformed value is ERR_CMS_DER/STRUCTURE.
 *
 * @example
 * ```ts
 * const { qcTypes } = decodeQcStatements(extnValue); // ['esign']
 * ```
 */
export function decodeQcStatements(der: Uint8Array): QcStatementsInfo {
  const outer = readElement(der, 0);
  if (outer.tag !== tags.sequence || outer.end !== der.length) {
    throw new CmsError('ERR_CMS_STRUCTURE', 'QCStatements is not one SEQUENCE');
  }
  let qcCompliance = false;
  let qcSSCD = false;
  const qcTypes: string[] = [];
  const pds: PdsLocationInput[] = [];
  for (const statement of childrenOf(der, outer)) {
    const [id, info] = childrenOf(der, statement);
    if (statement.tag !== tags.sequence || id === undefined || id.tag !== tags.oid) {
      throw new CmsError('ERR_CMS_STRUCTURE', 'a QCStatement has no statementId');
    }
    const oid = readOid(der, id);
    if (oid === id_etsi_qcs_qcCompliance) qcCompliance = true;
    else if (oid === id_etsi_qcs_qcSSCD) qcSSCD = true;
    else if (oid === id_etsi_qcs_qcType && info !== undefined && info.tag === tags.sequence) {
      for (const t of childrenOf(der, info)) {
        const typeOid = readOid(der, t);
        qcTypes.push(qcTypeNames[typeOid] ?? typeOid);
      }
    } else if (oid === id_etsi_qcs_qcPDS && info !== undefined) {
      try {
        for (const p of AsnConvert.parse(der.subarray(info.start, info.end), QcEuPDS))
          pds.push({ url: p.url, language: p.language });
      } catch (cause) {
        throw new CmsError('ERR_CMS_STRUCTURE', 'QcPDS is malformed', { cause });
      }
    }
  }
  return { qcCompliance, qcSSCD, qcTypes, pds };
}
