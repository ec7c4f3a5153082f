/**
 * The signer's monitor of the transparency log (issue 21): keeps the last tree head it trusted,
 * checks each new head's signature (RFC 9162 §4.10) and its consistency with the kept one (§2.1.4.2),
 * spots two different heads of one size (a split view), checks every one of the user's leaves
 * against the head (§2.1.3.2, the leaf hash recomputed from the entry served) and that leaves seen
 * before are still served unchanged, and names every signature the user has not marked as known.
 * Transport is injected: the CLI reads over HTTPS, tests through the server in process.
 */
import { toHex } from '../core/bytes.js';
import { TransparencyError } from './errors.js';
import { logEntryLeafHash, type LogEntry } from './log-entry.js';
import { verifyConsistency, verifyInclusion } from './merkle-tree.js';
import { logKeyId, treeHeadFromJson, treeHeadToJson, verifyTreeHead, type SignedTreeHead, type SignedTreeHeadJson } from './tree-head.js';

/** One of the user's signatures as `GET /api/v1/me/signatures` serves it. */
export interface ServedSignature {
  readonly leafIndex: number | null;
  readonly leafHash: string;
  readonly entry: LogEntry;
  readonly auditPath: readonly string[] | null;
}

/** What the monitor reads from the service. */
export interface MonitorSource {
  /** GET /api/v1/transparency/key → the SubjectPublicKeyInfo DER. */
  logKey(): Promise<Uint8Array>;
  /** GET /api/v1/transparency/sth. */
  treeHead(): Promise<unknown>;
  /** GET /api/v1/transparency/proof/consistency. */
  consistency(first: number, second: number): Promise<readonly string[]>;
  /** Every page of GET /api/v1/me/signatures: the head the proofs are against, and the signatures. */
  signatures(): Promise<{ readonly treeHead: unknown; readonly signatures: readonly ServedSignature[] }>;
}

/** The monitor's state file. */
export interface MonitorState {
  readonly version: 1;
  /** The log key, base64 SPKI (pinned on first use). */
  readonly logKey: string;
  readonly treeHead: SignedTreeHeadJson;
  /** Leaves of the user's signatures seen so far: leaf index → base64 leaf hash. */
  readonly seen: Readonly<Record<string, string>>;
}

/** A finding. `integrity` findings mean the log cannot be trusted; `unknown` names a signature. */
export interface MonitorFinding {
  readonly kind:
    | 'forged-head'
    | 'key-changed'
    | 'split-view'
    | 'inconsistent'
    | 'backdated-head'
    | 'future-head'
    | 'not-included'
    | 'missing-leaf'
    | 'unknown-signature';
  readonly message: string;
}

/** The outcome of one run. */
export interface MonitorReport {
  readonly findings: readonly MonitorFinding[];
  /** The state to keep: the new head when the log checked out, else the old state unchanged. */
  readonly state: MonitorState | undefined;
  readonly treeSize: number;
  readonly signaturesChecked: number;
  /** 0: nothing to report; 1: signatures not marked known; 2: the log failed a check. */
  readonly exitCode: 0 | 1 | 2;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const fromB64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** A signature's name in a finding: leaf, time, client, DTBS/R hash. */
export function describeSignature(s: ServedSignature): string {
  const at = Number.isSafeInteger(s.entry.signedAt) ? new Date(s.entry.signedAt).toISOString() : String(s.entry.signedAt);
  return `${s.leafIndex === null ? 'pending leaf' : `leaf ${s.leafIndex}`} (${at}, credential ${s.entry.credentialId}, client ${s.entry.clientId}, DTBS/R hash ${s.entry.dtbsHash})`;
}

/**
 * Whether `known` (lines of the --known file) marks `s`: a line is a leaf index, a DTBS/R hash
 * (base64 or hex) or a SAD id; `#` starts a comment.
 */
export function isKnown(known: ReadonlySet<string>, s: ServedSignature): boolean {
  const hex = toHex(fromB64(s.entry.dtbsHash));
  return (
    (s.leafIndex !== null && known.has(String(s.leafIndex))) ||
    known.has(s.entry.dtbsHash) ||
    known.has(hex) ||
    known.has(hex.toUpperCase()) ||
    known.has(s.entry.sadId)
  );
}

function parseHead(value: unknown, what: string): SignedTreeHead {
  const head = treeHeadFromJson(value);
  if (head === undefined) throw new TransparencyError('ERR_TRANSPARENCY_MONITOR_FETCH', `The service answered a malformed ${what}`);
  return head;
}

/** How a run judges the heads' timestamps. */
export interface MonitorOptions {
  /** The monitor's time: a head stamped later than this plus `maxFutureSkewMs` is refused. */
  readonly now: Date;
  /** Clock difference tolerated between the service and the monitor (default 5 minutes). */
  readonly maxFutureSkewMs?: number;
}

/** Five minutes: the skew tolerated by default (RFC 6962 monitors use a similar bound). */
export const defaultMaxFutureSkewMs = 5 * 60_000;

/**
 * One monitoring run. Besides signatures and proofs, the heads' timestamps: a new head older than
 * the kept one (RFC 9162 §4.10 heads are issued in time order: a log that signs an older time is
 * replaying or forging its history) or later than `options.now` plus the skew is a finding.
 *
 * @example
 * ```ts
 * const report = await runMonitor(source, previousState, new Set(['0', 'b64hash…']));
 * if (report.exitCode !== 2) writeState(report.state);
 * ```
 */
export async function runMonitor(
  source: MonitorSource,
  previous: MonitorState | undefined,
  known: ReadonlySet<string>,
  options?: MonitorOptions,
): Promise<MonitorReport> {
  const findings: MonitorFinding[] = [];
  const fail = (kind: MonitorFinding['kind'], message: string): void => void findings.push({ kind, message });
  const served = await source.logKey();
  const key = previous === undefined ? served : fromB64(previous.logKey);
  if (!sameBytes(key, served)) fail('key-changed', `The log key changed: kept ${logKeyId(key)}, served ${logKeyId(served)}`);
  const kept = previous === undefined ? undefined : parseHead(previous.treeHead, 'kept tree head');

  // The head the user's proofs are against, and the log's published head; both must verify.
  const mine = await source.signatures();
  const published = parseHead(await source.treeHead(), 'tree head');
  const heads = mine.treeHead === null ? [published] : [published, parseHead(mine.treeHead, 'tree head of the signature list')];
  for (const head of heads) {
    if (!verifyTreeHead(key, head)) {
      fail('forged-head', `The tree head of size ${head.treeSize} (root ${b64(head.rootHash)}) is not signed by the log key ${logKeyId(key)}: forged or altered`);
    }
  }
  const iso = (ms: number): string => (Number.isSafeInteger(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));
  for (const head of heads) {
    if (kept !== undefined && head.timestamp < kept.timestamp) {
      fail('backdated-head', `The tree head of size ${head.treeSize} is stamped ${iso(head.timestamp)}, before the kept head of size ${kept.treeSize} (${iso(kept.timestamp)}): the log went back in time`);
    }
    const latest = options === undefined ? undefined : options.now.getTime() + (options.maxFutureSkewMs ?? defaultMaxFutureSkewMs);
    if (latest !== undefined && head.timestamp > latest) {
      fail('future-head', `The tree head of size ${head.treeSize} is stamped ${iso(head.timestamp)}, later than this monitor's time ${iso(options!.now.getTime())} allows (skew ${(options!.maxFutureSkewMs ?? defaultMaxFutureSkewMs) / 1000} s)`);
    }
  }
  // Every pair of heads (kept, published, the list's) must be consistent; equal sizes, equal roots.
  const all = kept === undefined ? heads : [kept, ...heads];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const [a, b] = all[i]!.treeSize <= all[j]!.treeSize ? [all[i]!, all[j]!] : [all[j]!, all[i]!];
      if (a.treeSize === b.treeSize) {
        if (!sameBytes(a.rootHash, b.rootHash)) {
          fail('split-view', `Split view: two signed tree heads of size ${a.treeSize} differ (root ${b64(a.rootHash)} at ${new Date(a.timestamp).toISOString()} and root ${b64(b.rootHash)} at ${new Date(b.timestamp).toISOString()})`);
        }
        continue;
      }
      const proof = (await source.consistency(a.treeSize, b.treeSize)).map(fromB64);
      if (!verifyConsistency(a.treeSize, b.treeSize, a.rootHash, b.rootHash, proof)) {
        fail('inconsistent', `The log is inconsistent: the tree of ${b.treeSize} leaves does not extend the tree of ${a.treeSize} leaves (a leaf was removed, edited or reordered)`);
      }
    }
  }
  const head = heads[heads.length - 1]!;

  // The user's leaves: each recomputed from its entry and proved included in the head.
  const present = new Map<number, string>();
  for (const s of mine.signatures) {
    if (s.leafIndex === null || s.auditPath === null) continue;
    const leafHash = logEntryLeafHash(s.entry);
    present.set(s.leafIndex, b64(leafHash));
    if (s.leafIndex >= head.treeSize || !verifyInclusion(leafHash, s.leafIndex, head.treeSize, s.auditPath.map(fromB64), head.rootHash)) {
      fail('not-included', `The signature at ${describeSignature(s)} is not included in the signed tree head of size ${head.treeSize}: its log entry was edited or its leaf replaced`);
    }
  }
  for (const [index, hash] of Object.entries(previous?.seen ?? {})) {
    const now = present.get(Number(index));
    if (Number(index) < head.treeSize && now === undefined) {
      fail('missing-leaf', `The signature at leaf ${index}, seen before, is no longer listed: its log entry was deleted or moved to another user`);
    } else if (now !== undefined && now !== hash) {
      fail('missing-leaf', `The signature at leaf ${index} changed since it was seen: its log entry was edited`);
    }
  }
  const integrity = findings.length > 0;
  for (const s of mine.signatures) {
    if (!isKnown(known, s)) fail('unknown-signature', `Signature not marked as known: ${describeSignature(s)}`);
  }
  const state: MonitorState | undefined = integrity
    ? previous
    : { version: 1, logKey: b64(key), treeHead: treeHeadToJson(head), seen: { ...(previous?.seen ?? {}), ...Object.fromEntries(present) } };
  return {
    findings,
    state,
    treeSize: head.treeSize,
    signaturesChecked: mine.signatures.length,
    exitCode: integrity ? 2 : findings.length > 0 ? 1 : 0,
  };
}

/** A state file's contents; ERR_TRANSPARENCY_MONITOR_STATE when malformed. */
export function parseMonitorState(text: string): MonitorState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TransparencyError('ERR_TRANSPARENCY_MONITOR_STATE', 'The monitor state file is not JSON', { cause });
  }
  const v = value as Partial<MonitorState> | null;
  if (v?.version !== 1 || typeof v.logKey !== 'string' || treeHeadFromJson(v.treeHead) === undefined || typeof v.seen !== 'object' || v.seen === null) {
    throw new TransparencyError('ERR_TRANSPARENCY_MONITOR_STATE', 'The monitor state file is malformed');
  }
  return v as MonitorState;
}

/** The --known file's entries: one per line, blank lines and `#` comments ignored. */
export function parseKnownSignatures(text: string): Set<string> {
  return new Set(
    text
      .split(/\r?\n/)
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l !== ''),
  );
}
