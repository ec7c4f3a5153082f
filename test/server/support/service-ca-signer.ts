/** A signer certified by the service's own CA, as the credentials it creates are. */
import { generateKeyPairSync } from 'node:crypto';
import type { Signer } from '../../../src/cms/index.js';
import { loadLocalSigner } from '../../../src/keys/local/index.js';
import type { Services } from '../../../src/server/index.js';

/**
 * A fresh P-256 key whose certificate the service's CA issues with the `signing` profile, chained
 * to that CA and the service's root.
 */
export async function serviceCaSigner(services: Services): Promise<Signer> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const record = await services.ca.issue({
    subject: { commonName: 'Vera Validator' },
    subjectPublicKey: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    profile: 'signing',
  });
  return loadLocalSigner({
    kind: 'pem',
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificate: record.der,
    chain: [services.ca.certificate, services.rootCertificate],
  });
}
