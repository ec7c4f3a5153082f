/**
 * The Database type: one schema for SQLite and PostgreSQL (kysely's typed tables). Times are
 * epoch milliseconds (bigint), flags are integers 0/1, secrets are stored only as hashes.
 */
import type { Generated } from 'kysely';

/** A 0/1 flag (SQLite has no boolean type; PostgreSQL uses integer for one schema on both). */
export type Flag = 0 | 1;

/** Users: password hash (versioned scrypt string), encrypted TOTP secret, lockout state. */
export interface UsersTable {
  readonly id: string;
  readonly username: string;
  password_hash: string;
  /** TOTP secret sealed by the injected secret box (never plaintext). */
  totp_secret: Uint8Array | null;
  /** A sealed TOTP secret awaiting confirmation by a first valid code (docs/security.md SCA-09). */
  totp_pending_secret: Uint8Array | null;
  /** RFC 6238 §5.2: the last accepted time step, so a code is never accepted twice. */
  totp_last_step: number | null;
  status: string;
  failed_attempts: number;
  locked_until: number | null;
  readonly created_at: number;
  /** `user` or `admin` (0009; the web app's Administration page). */
  role: Generated<string>;
  /** 1: this user may not sign in with TOTP, only with a passkey (admin-set policy, 0009). */
  require_passkey: Generated<Flag>;
}

/** Signing credentials: a key reference on a backend, its certificate chain, PIN state. */
export interface CredentialsTable {
  readonly id: string;
  readonly user_id: string;
  readonly key_ref: string;
  readonly backend_kind: string;
  /** JSON array of base64 DER certificates, leaf first. */
  certificate_chain: string;
  status: string;
  pin_hash: string | null;
  pin_failures: number;
  locked: Flag;
  multisign: number;
  scal: string;
  readonly created_at: number;
  /** Lower-case hex serial of the leaf certificate (ca_certificates.serial_hex); null on rows from before 0006 until backfilled. */
  certificate_serial: string | null;
  /** The certificate profile the credential's certificates are issued under (0015; null: `signing`). */
  profile: string | null;
  /** `server` (the key is on a backend here) or `external` (the key holder signs; 0015). */
  signing_mode: Generated<string>;
}

/**
 * Further keys of a credential on other tokens (migration 0014, issue 16 §2): each with its own
 * certificate (same subject and purpose); the credential row holds the first key.
 */
export interface CredentialKeysTable {
  readonly id: string;
  readonly credential_id: string;
  readonly key_ref: string;
  readonly backend_kind: string;
  /** JSON array of base64 DER certificates, leaf first. */
  certificate_chain: string;
  /** Lower-case hex serial of the leaf certificate (ca_certificates.serial_hex). */
  certificate_serial: string;
  readonly created_at: number;
}

/** OAuth 2.0 clients (RFC 6749 §2): exact redirect URIs, allowed scopes, client type. */
export interface OAuthClientsTable {
  readonly id: string;
  secret_hash: string | null;
  /** JSON array of exact redirect URIs (RFC 9700 §4.1: exact string matching). */
  redirect_uris: string;
  /** JSON array of scopes. */
  allowed_scopes: string;
  client_type: string;
  name: string;
  readonly created_at: number;
  /** RFC 8705 §2: the client's certificate binding as JSON (mtls-clients-migration.ts, 0018); null: none. */
  readonly tls_client_auth?: string | null | undefined;
}

/** Authorization codes (RFC 6749 §4.1): only SHA-256 of the code is stored. */
export interface AuthorizationCodesTable {
  readonly code_hash: Uint8Array;
  readonly client_id: string;
  readonly redirect_uri: string;
  readonly code_challenge: string | null;
  readonly code_challenge_method: string | null;
  readonly user_id: string;
  readonly scope: string;
  readonly credential_id: string | null;
  readonly num_signatures: number | null;
  readonly hash_algorithm_oid: string | null;
  /** JSON array of base64 hashes (CSC `hashes`), or null. */
  readonly hashes: string | null;
  readonly expires_at: number;
  used: Flag;
  readonly created_at: number;
}

/** Access and refresh tokens: SHA-256 only; refresh tokens rotate within a family. */
export interface TokensTable {
  readonly token_hash: Uint8Array;
  readonly kind: string;
  readonly client_id: string;
  readonly user_id: string | null;
  readonly scope: string;
  readonly family_id: string;
  readonly credential_id: string | null;
  readonly expires_at: number;
  revoked: Flag;
  used: Flag;
  readonly created_at: number;
  /** RFC 8705 §3.1: base64url SHA-256 of the client certificate the token is bound to (0018); null: a bearer token. */
  readonly cnf_x5t_s256?: string | null | undefined;
}

/** Signature Activation Data (CSC credentials/authorize): SHA-256 of the SAD, its binding, its count. */
export interface SadsTable {
  readonly id_hash: Uint8Array;
  readonly user_id: string;
  readonly credential_id: string;
  readonly client_id: string;
  readonly hash_algorithm_oid: string;
  readonly num_signatures: number;
  remaining: number;
  expires_at: number;
  revoked: Flag;
  readonly created_at: number;
  /** When the transaction's original authorisation happened (successor SADs only; else null). */
  readonly authorized_at?: number | null | undefined;
  /** The SAD this one replaced through credentials/extendTransaction (else null). */
  readonly predecessor_id?: Uint8Array | null | undefined;
  /** RFC 9162 root of the ordered approved hashes (migration 0017; null: a successor SAD). */
  readonly batch_root?: Uint8Array | null | undefined;
  /** Number of hashes under `batch_root`. */
  readonly batch_size?: number | null | undefined;
}

/** The exact DTBS/R hashes one SAD authorises, each usable once (INV-2). */
export interface SadHashesTable {
  readonly sad_id: Uint8Array;
  readonly hash: Uint8Array;
  used: Flag;
  /** The hash's place in the approved order (migration 0017; null: no batch root). */
  readonly leaf_index?: number | null | undefined;
}

/** The signed receipt of each hash signed under a SAD with a batch root (issue 21). */
export interface BatchReceiptsTable {
  readonly sad_id: Uint8Array;
  readonly leaf_index: number;
  readonly user_id: string;
  readonly credential_id: string;
  readonly hash: Uint8Array;
  /** The receipt's JSON text (transparency/receipt.ts). */
  readonly receipt: string;
  readonly created_at: number;
}

/** The state of an idempotent signing request (docs/security.md §3.10 fault table). */
export type SigningRequestState = 'in_flight' | 'completed' | 'abandoned';

/**
 * A signHash/signDoc call sent with an `Idempotency-Key`: its SAD hashes were reserved when the row
 * was inserted; `result` (the response JSON) is set once, when it becomes `completed`.
 */
export interface SigningRequestsTable {
  readonly id: string;
  readonly user_id: string;
  readonly client_id: string;
  readonly idempotency_key: string;
  /** SHA-256 over the operation, the canonical request body and the SAD. */
  readonly fingerprint: Uint8Array;
  readonly sad_id: Uint8Array;
  readonly credential_id: string;
  /** `signatures/signHash` or `signatures/signDoc`. */
  readonly operation: string;
  /** JSON array of the reserved hashes (base64, sorted). */
  readonly hashes: string;
  state: SigningRequestState;
  /** 1 for the first attempt; each retry of an abandoned request adds one. */
  attempt: number;
  result: string | null;
  readonly created_at: number;
  updated_at: number;
  /** When the sweeper deletes the row (the SAD's expiry plus the abandonment bound). */
  readonly purge_at: number;
}

/** The hash-chained, HMAC'd audit log (INV-5). */
export interface AuditLogTable {
  readonly seq: number;
  readonly node_id: string;
  readonly occurred_at: number;
  readonly event_type: string;
  readonly outcome: string;
  readonly actor_user_id: string | null;
  readonly actor_client_id: string | null;
  readonly subject: string | null;
  readonly source_address: string | null;
  readonly trace_id: string | null;
  /** Canonical JSON of the event details (never secrets). */
  readonly details: string;
  readonly prev_hash: Uint8Array;
  readonly hash: Uint8Array;
  readonly mac: Uint8Array;
}

/** The single chain-head checkpoint row (id = 1), HMAC'd, updated with every append. */
export interface AuditHeadTable {
  readonly id: number;
  seq: number;
  head_hash: Uint8Array;
  mac: Uint8Array;
}

/** Fixed-window attempt counters (per source address, per anything keyed). */
export interface RateLimitsTable {
  readonly key: string;
  window_start: number;
  count: number;
}

/** OAuth 2.0 login/consent interactions: the validated authorization request, kept server-side (docs/security.md OA-33). */
export interface OAuthInteractionsTable {
  /** SHA-256 of the session handle (an HttpOnly cookie); rotated at each stage (OA-32). */
  readonly id_hash: Uint8Array;
  /** SHA-256 of the current per-request anti-CSRF token; null once spent (OA-31). */
  csrf_hash: Uint8Array | null;
  /** `login` or `consent`. */
  readonly stage: string;
  readonly client_id: string;
  /** The authenticated user (consent stage). */
  readonly user_id: string | null;
  /** JSON of the validated authorization request. */
  readonly request: string;
  readonly expires_at: number;
  readonly created_at: number;
}

/** Documents pushed for consent (POST /oauth2/documents), sealed at rest; deleted when their request ends. */
export interface ConsentDocumentsTable {
  /** SHA-256 of the opaque document_ref the client received. */
  readonly ref_hash: Uint8Array;
  readonly client_id: string;
  /** The file name the client gave (shown on the consent page). */
  readonly name: string;
  /** AES-256-GCM seal of the PDF bytes; associated data `consent-document:<hex ref_hash>`. */
  readonly sealed: Uint8Array;
  /** Standard base64 DTBS/R digest the AS computed from the document (RFC 5652 §5.4). */
  readonly hash: string;
  readonly hash_algorithm_oid: string;
  readonly pages: number;
  readonly size: number;
  /** JSON: signature field, visible rectangle, pre-signing findings. */
  readonly details: string;
  /** The authorization request the document is bound to (null until a PAR/authorize takes it). */
  request_id: string | null;
  readonly expires_at: number;
  readonly created_at: number;
}

/** Certificates issued by the built-in CA (RFC 5280), with revocation (§5.3.1) and renewal state. */
export interface CaCertificatesTable {
  /** Canonical lower-case hex. */
  readonly serial_hex: string;
  readonly issuer_id: string;
  readonly profile: string;
  readonly subject: string;
  /** SHA-256 hex of the SubjectPublicKeyInfo (unique-key rule). */
  readonly spki_sha256: string;
  readonly der: Uint8Array;
  readonly not_before: number;
  readonly not_after: number;
  revoked_at: number | null;
  /** RFC 5280 §5.3.1 reason name. */
  revocation_reason: string | null;
  readonly key_ref: string | null;
  /** JSON of the QC statements options. */
  readonly qc_statements: string | null;
  /** DER of the PKCS#10 request of a key held elsewhere (0015; renewal re-checks and reuses it). */
  readonly csr: Uint8Array | null;
  renewed_by: string | null;
  claim_claimant: string | null;
  claim_until: number | null;
}

/** Named monotonically increasing counters of the CA (CRL number, TSA serial). */
export interface CaCountersTable {
  readonly name: string;
  value: number;
}

/** A registered WebAuthn credential (W3C WebAuthn L2 §7.1 step 26). */
export interface WebauthnCredentialsTable {
  readonly id: string;
  readonly user_id: string;
  /** base64url of the credential id (at most 1023 bytes decoded, §5.1: SCA-14); unique across users. */
  readonly credential_id: string;
  /** The credential public key, COSE_Key bytes (RFC 9052 §7). */
  readonly public_key: Uint8Array;
  /** The last signature counter seen (§6.1.1). */
  counter: number;
  /** JSON array of transport hints. */
  readonly transports: string;
  readonly aaguid: string;
  name: string;
  backed_up: Flag;
  /** `singleDevice` or `multiDevice`. */
  readonly device_type: string;
  readonly created_at: number;
  last_used_at: number | null;
}

/** A pending WebAuthn ceremony: the challenge, named by SHA-256 of its ticket; single use. */
export interface WebauthnChallengesTable {
  readonly ticket_hash: Uint8Array;
  readonly challenge: Uint8Array;
  /**
   * `registration`, `login`, `approval` or `step-up`; `oidc-authorization` (an OpenID Connect
   * transaction: state, nonce, PKCE verifier) and `oidc-first-factor` (a federated first factor
   * awaiting Signet's second factor), docs/passkeys.md "Federated first factor".
   */
  readonly purpose: string;
  readonly user_id: string | null;
  /** What else the ceremony is bound to (a session, an authorization request), or null. */
  readonly binding: string | null;
  readonly expires_at: number;
  readonly created_at: number;
}

/** A first-party web session (the `signet_session` cookie; only its SHA-256 is stored). */
export interface WebSessionsTable {
  readonly id_hash: Uint8Array;
  readonly user_id: string;
  readonly created_at: number;
  last_seen_at: number;
  /** The absolute end (created_at + the absolute lifetime). */
  readonly expires_at: number;
  /** `totp`, `passkey`, or `none` (a user with no second factor enrolled: enrolment only). */
  second_factor: string;
  second_factor_at: number | null;
  revoked: Flag;
}

/** Web gateway jobs (migration 0011): one signing job of one user, its OAuth state and lease. */
export interface GatewayJobsTable {
  /** 128-bit random, base64url (unguessable, docs/security.md AC-05). */
  readonly id: string;
  readonly user_id: string;
  readonly credential_id: string;
  /** JSON of the job's signing options (level, reason, location). */
  readonly options: string;
  /** draft | authorizing | signing | done | failed. */
  state: string;
  total: number;
  signed_count: number;
  failed_count: number;
  /** SHA-256 of the pending OAuth `state` (the callback finds its job by it); null once used. */
  state_hash: Uint8Array | null;
  /** Sealed JSON of the pending authorization (state, PKCE verifier, issuer, redirect URI). */
  oauth_pending: Uint8Array | null;
  /** Sealed JSON of the approved DTBS/R hashes, in the order they were authorized. */
  approved: Uint8Array | null;
  /** Sealed credential-scope access token (the SAD, CSC v2 §8.4). */
  access_token: Uint8Array | null;
  token_expires_at: number | null;
  /** The node running the job and until when its lease holds (resumption elsewhere after it). */
  lease_owner: string | null;
  lease_until: number | null;
  error_code: string | null;
  error_message: string | null;
  readonly created_at: number;
  updated_at: number;
  purge_at: number;
  /** JSON of the provider's credentials/info answer read at Sign (migration 0012; null: this Signet's own credential). */
  provider_credential: string | null;
}

/** Documents of a gateway job; every byte column is sealed by the gateway (AAD names the row). */
export interface GatewayJobDocumentsTable {
  /** A generated id (the storage key; the file name is display text only, docs/security.md AC-09). */
  readonly id: string;
  readonly job_id: string;
  readonly position: number;
  readonly name: string;
  readonly size: number;
  readonly pages: number;
  /** JSON {page, rect} of a visible signature, or null (invisible). */
  visible: string | null;
  readonly original: Uint8Array;
  /** Sealed JSON of the prepared signature (phase one: update, signed attributes). */
  prepared: Uint8Array | null;
  /** Base64 DTBS/R digest of the prepared signature. */
  dtbs_hash: string | null;
  /** uploaded | prepared | signed | failed. */
  state: string;
  error_code: string | null;
  error_message: string | null;
  signed: Uint8Array | null;
  signed_size: number | null;
  updated_at: number;
}

/** Sealed secrets of the gateway's own OAuth clients (the built-in `signet-web`). */
export interface GatewayClientsTable {
  readonly client_id: string;
  readonly secret: Uint8Array;
  readonly created_at: number;
}

/** The gateway's service-scope authorization at its CSC provider, per web session (migration 0012). */
export interface GatewayProviderSessionsTable {
  /** The web session's id (hex SHA-256 of its cookie). */
  readonly session_id: string;
  readonly user_id: string;
  /** SHA-256 of the pending OAuth `state`; null once spent. */
  state_hash: Uint8Array | null;
  /** Sealed JSON of the pending authorization (state, PKCE verifier, issuer, redirect URI). */
  oauth_pending: Uint8Array | null;
  /** Sealed service-scope access token. */
  access_token: Uint8Array | null;
  expires_at: number;
  readonly created_at: number;
}

/** A wrapped software key (issue 16): the keystore's envelope JSON, never a clear key. */
export interface WrappedKeysTable {
  /** `credentials` (the credentials' keys) or `ca` (CA, TSA and OCSP keys). */
  readonly keystore: string;
  readonly ref: string;
  /** The id of the KEK that wraps the data key (also inside the envelope). */
  kek_id: string;
  /** Changes with every write (a cache and a re-wrap compare it). */
  stamp: string;
  envelope: Uint8Array;
  readonly created_at: number;
  updated_at: number;
}

/** Named shared state of the nodes (sealed server secrets, the CA's configuration), as JSON. */
export interface NodeStateTable {
  readonly name: string;
  value: string;
  readonly created_at: number;
  updated_at: number;
}

/** Migration bookkeeping is kysely's own; this is every table Signet reads or writes. */
export interface Database {
  users: UsersTable;
  credentials: CredentialsTable;
  credential_keys: CredentialKeysTable;
  oauth_clients: OAuthClientsTable;
  authorization_codes: AuthorizationCodesTable;
  tokens: TokensTable;
  sads: SadsTable;
  sad_hashes: SadHashesTable;
  batch_receipts: BatchReceiptsTable;
  signing_requests: SigningRequestsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  rate_limits: RateLimitsTable;
  oauth_interactions: OAuthInteractionsTable;
  consent_documents: ConsentDocumentsTable;
  ca_certificates: CaCertificatesTable;
  ca_counters: CaCountersTable;
  webauthn_credentials: WebauthnCredentialsTable;
  webauthn_challenges: WebauthnChallengesTable;
  web_sessions: WebSessionsTable;
  gateway_jobs: GatewayJobsTable;
  gateway_job_documents: GatewayJobDocumentsTable;
  gateway_clients: GatewayClientsTable;
  gateway_provider_sessions: GatewayProviderSessionsTable;
  wrapped_keys: WrappedKeysTable;
  node_state: NodeStateTable;
  transparency_leaves: TransparencyLeavesTable;
  transparency_nodes: TransparencyNodesTable;
  transparency_tree_heads: TransparencyTreeHeadsTable;
}

/**
 * The signature transparency log's leaves (migration 0016): queued by the signing transaction
 * (`leaf_index` null), sequenced by the tree-head publisher. `leaf_hash` is RFC 9162 §2.1.1's
 * hash of the entry the other columns encode (src/transparency/log-entry.ts).
 */
export interface TransparencyLeavesTable {
  readonly id: Generated<number>;
  leaf_index: number | null;
  readonly user_id: string;
  readonly credential_id: string;
  readonly certificate_serial: string;
  readonly hash_algorithm_oid: string;
  /** The DTBS/R hash signed, base64. */
  readonly dtbs_hash: string;
  readonly signed_at: number;
  readonly client_id: string;
  /** Hex SHA-256 of the SAD that authorised the signature (the token itself is never stored). */
  readonly sad_id: string;
  readonly trace_id: string | null;
  readonly leaf_hash: Uint8Array;
}

/** Hashes of the log's complete subtrees: (level, node_index) covers 2^level leaves (0016). */
export interface TransparencyNodesTable {
  readonly level: number;
  readonly node_index: number;
  readonly hash: Uint8Array;
}

/** The log's signed tree heads (0016), one per tree size. */
export interface TransparencyTreeHeadsTable {
  readonly tree_size: number;
  readonly root_hash: Uint8Array;
  readonly timestamp: number;
  readonly signature: Uint8Array;
  /** Hex SHA-256 of the log key's SubjectPublicKeyInfo (RFC 9162 §4.4 log ID, by analogy). */
  readonly key_id: string;
  readonly node_id: string;
}
