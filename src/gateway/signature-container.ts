/**
 * Phase two's CMS for a remote signature value (shared by the batch and the web jobs): the
 * SignedData over the prepared signed attributes (RFC 5652 §5.3) and, from B-T on, the
 * signature-time-stamp over the signature value (ETSI EN 319 142-1 §6.3).
 */
import { buildSignedData, type DigestAlgorithm, type SignatureAlgorithm } from '../cms/index.js';
import { addSignatureTimestamp, forgetTimestampSize, type Timestamper } from '../pades/index.js';
import { GatewayError } from './errors.js';

/** What {@link buildSignatureContainer} needs of a prepared document. */
export interface ContainerInput {
  readonly signedAttributes: Uint8Array;
  readonly signature: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly certificateChain: readonly Uint8Array[];
  readonly digestAlgorithm: DigestAlgorithm;
  /** /Contents capacity in bytes: a token that does not fit makes the next reserve re-measure. */
  readonly contentsCapacity: number;
}

/**
 * The CMS SignedData to embed, with the signature-time-stamp when `timestamper` is given (B-T
 * and above). What buildCms does, without decoding the chain and the signed attributes again.
 */
export async function buildSignatureContainer(input: ContainerInput, timestamper: Timestamper | undefined): Promise<Uint8Array> {
  if (input.signature.length === 0) throw new GatewayError('ERR_GATEWAY_NOT_SIGNED', 'the provider returned an empty signature');
  const cms = buildSignedData({
    signedAttributes: input.signedAttributes,
    signature: input.signature,
    signatureAlgorithm: input.signatureAlgorithm,
    certificates: input.certificateChain,
  });
  if (!timestamper) return cms;
  const withToken = await addSignatureTimestamp(cms, timestamper, input.digestAlgorithm);
  if (withToken.length > input.contentsCapacity) forgetTimestampSize(timestamper);
  return withToken;
}
