/**
 * Migration 0018 (issue 17, RFC 8705): mutual-TLS OAuth clients and certificate-bound tokens.
 * `oauth_clients.tls_client_auth` holds a client's registered certificate binding as JSON (the
 * subject DN or dNSName of tls_client_auth, §2.1.2, or the SHA-256 thumbprint of the certificate
 * of self_signed_tls_client_auth, §2.2); `tokens.cnf_x5t_s256` the `x5t#S256` confirmation of an
 * access token bound to the client's certificate (§3.1). Both null for everything else.
 */
import type { Kysely, Migration } from 'kysely';

/** The two nullable columns. */
export const mtlsClientsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('oauth_clients').addColumn('tls_client_auth', 'text').execute();
    await db.schema.alterTable('tokens').addColumn('cnf_x5t_s256', 'text').execute();
  },
};
