/**
 * Wire types of the CSC API v2 methods the client speaks (CSC API v2.0.0.2 §11, OpenAPI 2.1.0.1
 * `input-*` / `output-*`). Field names are the specification's, unchanged.
 */

/** `info` response (CSC v2 §11.1). Only `specs`, `name`, `methods` are relied upon. */
export interface CscInfo {
  readonly specs: string;
  readonly name: string;
  readonly logo?: string;
  readonly region?: string;
  readonly lang?: string;
  readonly description?: string;
  readonly authType?: readonly string[];
  readonly oauth2?: string;
  readonly oauth2Issuer?: string;
  readonly methods: readonly string[];
  readonly signAlgorithms?: { readonly algos: readonly string[]; readonly algoParams?: readonly (string | null)[] };
  readonly conformance_levels?: readonly string[];
  readonly [extra: string]: unknown;
}

/** `auth/login` response (§11.2). */
export interface CscLoginResponse {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly expires_in?: number;
}

/** `certificates` parameter of credentials/list and credentials/info. */
export type CscCertificatesParam = 'none' | 'single' | 'chain';

/** `credentials/list` request (§11.4). */
export interface CscCredentialsListRequest {
  readonly userID?: string;
  readonly credentialInfo?: boolean;
  readonly certificates?: CscCertificatesParam;
  readonly certInfo?: boolean;
  readonly authInfo?: boolean;
  readonly onlyValid?: boolean;
  readonly lang?: string;
  readonly clientData?: string;
}

/** One authentication object of `auth.objects` (§8.3). */
export interface CscAuthObject {
  readonly type: string;
  readonly id: string;
  readonly format?: string;
  readonly generator?: string;
  readonly label?: string;
  readonly description?: string;
}

/** `credentials/info` response (§11.5); also an entry of `credentialInfos`. */
export interface CscCredentialInfo {
  readonly credentialID?: string;
  readonly description?: string;
  readonly signatureQualifier?: string;
  readonly key: {
    readonly status: string;
    readonly algo: readonly string[];
    readonly len: number;
    readonly curve?: string;
  };
  readonly cert?: {
    readonly status?: string;
    readonly certificates?: readonly string[];
    readonly issuerDN?: string;
    readonly subjectDN?: string;
    readonly serialNumber?: string;
    readonly validFrom?: string;
    readonly validTo?: string;
  };
  readonly auth?: {
    readonly mode: string;
    readonly expression?: string;
    readonly objects?: readonly CscAuthObject[];
  };
  readonly SCAL?: string;
  readonly multisign: number;
  readonly lang?: string;
}

/** `credentials/list` response. */
export interface CscCredentialsListResponse {
  readonly credentialIDs: readonly string[];
  readonly credentialInfos?: readonly CscCredentialInfo[];
  readonly onlyValid?: boolean;
}

/** `credentials/info` request. */
export interface CscCredentialsInfoRequest {
  readonly credentialID: string;
  readonly certificates?: CscCertificatesParam;
  readonly certInfo?: boolean;
  readonly authInfo?: boolean;
  readonly lang?: string;
  readonly clientData?: string;
}

/** `credentials/authorize` request (§11.6, explicit mode). */
export interface CscAuthorizeRequest {
  readonly credentialID: string;
  readonly numSignatures: number;
  /** Standard Base64 digests; required for SCAL 2. */
  readonly hashes?: readonly string[];
  readonly hashAlgorithmOID?: string;
  /** `[{id, value}]` matching the credential's `auth.objects`. */
  readonly authData?: readonly { readonly id: string; readonly value?: string }[];
  readonly description?: string;
  readonly clientData?: string;
}

/** `credentials/authorize` 200 response (202 `{handle}` is surfaced as `handle`). */
export interface CscAuthorizeResponse {
  readonly SAD?: string;
  readonly expiresIn?: number;
  readonly handle?: string;
}

/** `credentials/extendTransaction` request (§11.9). */
export interface CscExtendTransactionRequest {
  readonly credentialID: string;
  readonly SAD: string;
  readonly hashes?: readonly string[];
  readonly hashAlgorithmOID?: string;
  readonly clientData?: string;
}

/** `signatures/signHash` request (§11.10). */
export interface CscSignHashRequest {
  readonly credentialID: string;
  /** Omitted when the bearer is a scope-`credential` access token (§8.4). */
  readonly SAD?: string;
  readonly hashes: readonly string[];
  readonly hashAlgorithmOID?: string;
  readonly signAlgo: string;
  readonly signAlgoParams?: string;
  readonly clientData?: string;
}

/** Options of a signing call (signatures/signHash). */
export interface CscSigningCallOptions {
  /**
   * Sent as `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header; 1–255 characters of
   * `A-Z a-z 0-9 - . _ ~ : + / =`): one fresh value per distinct request, e.g. a random UUID.
   */
  readonly idempotencyKey?: string;
}

/** `signatures/signHash` synchronous response. */
export interface CscSignHashResponse {
  readonly signatures: readonly string[];
}

/** `signatures/timestamp` request (§11.13; note `hashAlgo`, not `hashAlgorithmOID`). */
export interface CscTimestampRequest {
  readonly hash: string;
  readonly hashAlgo: string;
  /** Hex nonce; the TSA puts it in the token. */
  readonly nonce?: string;
  readonly clientData?: string;
}

/** `signatures/timestamp` response: a Base64 RFC 3161 TimeStampToken. */
export interface CscTimestampResponse {
  readonly timestamp: string;
}
