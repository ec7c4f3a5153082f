/** A local Signer over one leaf of the test PKI, with its chain up to the root. */
import type { Signer } from '../../src/cms/index.js';
import { loadLocalSigner, type LocalSignerOptions } from '../../src/keys/local/index.js';
import type { LeafKind, TestPki } from './pki.js';

/**
 * The leaf's PEM key and DER certificate, chained to the intermediate and the root (DER), in
 * process: `options` choose the scheme and digest where the default does not fit.
 */
export function leafSigner<K extends LeafKind>(
  pki: TestPki<K>,
  kind: K,
  options: LocalSignerOptions = {},
): Promise<Signer> {
  const leaf = pki.leaves[kind];
  return loadLocalSigner(
    {
      kind: 'pem',
      key: leaf.privateKeyPem,
      certificate: leaf.der,
      chain: [pki.intermediate.der, pki.root.der],
    },
    options,
  );
}
