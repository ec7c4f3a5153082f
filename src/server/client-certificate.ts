/**
 * The client certificate of the TLS connection a request came on (RFC 8705 §2: mutual TLS is a
 * property of the connection, not of a header). Read on every request, not cached per socket, so
 * a TLS 1.2 renegotiation that changes the certificate is seen. Plain HTTP and `inject()` have none.
 */
import { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { certificateThumbprint, type PresentedCertificate } from '../auth/oauth2/index.js';

/** The presented leaf and whether it chains to SIGNET_TLS_CLIENT_CA_FILE; undefined without one. */
export function presentedCertificate(request: FastifyRequest): PresentedCertificate | undefined {
  const socket = request.raw.socket;
  if (!(socket instanceof TLSSocket)) return undefined;
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) return undefined;
  // `authorized`: OpenSSL verified the chain to the client CA, with dates and the client purpose.
  return { der: new Uint8Array(cert.raw), chainsToClientCa: socket.authorized };
}

/** RFC 8705 §3.1 `x5t#S256` of the connection's client certificate; undefined without one. */
export function presentedThumbprint(request: FastifyRequest): string | undefined {
  const presented = presentedCertificate(request);
  return presented === undefined ? undefined : certificateThumbprint(presented.der);
}
