/** The shape of one audit event (who did what to which subject, from where) and of a stored entry. */

/** A JSON value allowed in event details. */
export type AuditJson =
  string | number | boolean | null | readonly AuditJson[] | { readonly [key: string]: AuditJson };

/** What the caller records. Details must never contain secrets (PINs, OTPs, passwords, tokens, SADs). */
export interface AuditEvent {
  /** Dotted event type, e.g. `auth.password`, `sad.consume`, `credential.locked`. */
  readonly type: string;
  readonly outcome: 'success' | 'failure';
  readonly actorUserId?: string;
  readonly actorClientId?: string;
  /** What the event is about, e.g. `credential:<id>`. */
  readonly subject?: string;
  readonly sourceAddress?: string;
  readonly traceId?: string;
  readonly details?: { readonly [key: string]: AuditJson };
}

/** One entry as stored and verified. */
export interface AuditEntry {
  readonly seq: number;
  readonly nodeId: string;
  readonly occurredAt: Date;
  readonly type: string;
  readonly outcome: string;
  readonly actorUserId: string | null;
  readonly actorClientId: string | null;
  readonly subject: string | null;
  readonly sourceAddress: string | null;
  readonly traceId: string | null;
  readonly details: { readonly [key: string]: AuditJson };
  readonly prevHash: Uint8Array;
  readonly hash: Uint8Array;
}
