/**
 * Whether this process can write its audit log. docs/security.md §3.10: when an audit insert fails, the
 * change it records rolls back and the node's readiness goes red, so the load balancer sends the
 * work to a node that can still account for it (INV-5: nothing is acknowledged unaudited).
 * appendAudit reports every outcome here; the readiness probe clears a failure only after a test
 * append (rolled back) succeeds.
 */
export class AuditHealth {
  #failure: { readonly at: Date; readonly error: string } | undefined;
  readonly #now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  /** True while no append has failed since the last successful one. */
  get ok(): boolean {
    return this.#failure === undefined;
  }

  /** When and why the last append failed (undefined when healthy); never a secret, only a code or class name. */
  get lastFailure(): { readonly at: Date; readonly error: string } | undefined {
    return this.#failure;
  }

  /** An append failed: `err` is summarised to its code or class name. */
  failed(err: unknown): void {
    const code = (err as { code?: unknown } | null)?.code;
    this.#failure = { at: this.#now(), error: typeof code === 'string' ? code : err instanceof Error ? err.name : 'unknown' };
  }

  /** An append succeeded. */
  succeeded(): void {
    if (this.#failure !== undefined) this.#failure = undefined;
  }
}
