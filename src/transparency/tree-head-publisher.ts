/**
 * Publishes the log's signed tree heads. One node at a time (a PostgreSQL advisory lock; SQLite
 * is one process) and in one transaction: the queued leaves get the next contiguous leaf indexes,
 * the complete subtrees they close are hashed and stored, and the new head (RFC 9162 §4.10) is
 * signed, stored and audited. Heads are unique per tree size in the database too, so two nodes
 * can never publish two different heads of one size (a split view), even without the lock.
 */
import { appendAudit, type AuditContext } from '../audit/index.js';
import type { Clock } from '../core/clock.js';
import { toHex } from '../core/bytes.js';
import {
  findLatestTreeHead,
  findLogNodes,
  insertLogNodes,
  insertTreeHead,
  listLogLeafHashes,
  sequenceLogLeaves,
  tryAdvisoryLock,
  type Db,
  type LogNode,
  type Store,
} from '../store/index.js';
import { TransparencyError } from './errors.js';
import type { LogSigner } from './log-key.js';
import { withStoredTree } from './log-hash-source.js';
import { emptyTreeHash, hashChildren, treeHead } from './merkle-tree.js';
import { treeHeadDigest, type SignedTreeHead } from './tree-head.js';

/** Options of the publisher. */
export interface TreeHeadPublisherOptions {
  readonly store: Store;
  readonly clock: Clock;
  /** The log key, opened (and made on a new log) when first needed. */
  readonly signer: () => Promise<LogSigner>;
  readonly audit: AuditContext;
  /** Names the node in the head's row. */
  readonly nodeId: string;
  /** Most leaves sequenced by one head (default 100,000); a longer queue takes several. */
  readonly maxLeavesPerHead?: number;
}

/** The advisory lock the publishing node holds. */
export const treeHeadLock = 'transparency-tree-head';

/**
 * Sequences queued leaves and signs tree heads.
 *
 * @example
 * ```ts
 * const publisher = new TreeHeadPublisher({ store, clock, signer: () => openLogSigner(keystore, ref), audit, nodeId: 'node-1' });
 * publisher.start(10_000); // and publisher.stop() at shutdown
 * ```
 */
export class TreeHeadPublisher {
  readonly #options: TreeHeadPublisherOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(options: TreeHeadPublisherOptions) {
    this.#options = options;
  }

  /**
   * Publishes a head over every leaf queued so far (and a head of the empty tree on a new log).
   * Undefined when there was nothing new or another node is publishing.
   */
  async publish(): Promise<SignedTreeHead | undefined> {
    const { store } = this.#options;
    const outcome = await tryAdvisoryLock(store, treeHeadLock, async () => {
      // The key is read before the transaction: its keystore may live in this very database.
      const sign = await (await this.#options.signer()).prepare();
      return store.transaction((trx) => this.#publishIn(trx, sign));
    });
    return outcome.ran ? outcome.value : undefined;
  }

  /** Publishes every `intervalMs` until stop(); a failed round is reported to `onError` and retried next time. */
  start(intervalMs: number, onError: (err: unknown) => void = () => undefined): void {
    if (this.#timer !== undefined) return;
    const tick = (): void => {
      this.#running ??= this.publish()
        .catch(onError)
        .finally(() => {
          this.#running = undefined;
        });
    };
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
    tick();
  }

  /** Stops the timer and waits for a round in progress. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #publishIn(trx: Db, sign: (digest: Uint8Array) => Promise<Uint8Array>): Promise<SignedTreeHead | undefined> {
    const { clock, audit, nodeId } = this.#options;
    const signer = await this.#options.signer();
    const latest = await findLatestTreeHead(trx);
    const oldSize = latest?.tree_size ?? 0;
    const added = await sequenceLogLeaves(trx, oldSize, this.#options.maxLeavesPerHead ?? 100_000);
    if (added === 0 && latest !== undefined) return undefined;
    const newSize = oldSize + added;
    if (added > 0) await storeSubtrees(trx, oldSize, newSize);
    const rootHash = newSize === 0 ? emptyTreeHash() : await withStoredTree(trx, newSize, (tree) => treeHead(tree));
    // RFC 9162 §4.10: a later head never carries an earlier timestamp than the one before it.
    const timestamp = Math.max(clock.now().getTime(), latest?.timestamp ?? 0);
    const signature = await sign(treeHeadDigest(newSize, timestamp, rootHash));
    const head: SignedTreeHead = { treeSize: newSize, timestamp, rootHash, signature, keyId: signer.keyId };
    const stored = await insertTreeHead(trx, {
      tree_size: newSize,
      root_hash: rootHash,
      timestamp,
      signature,
      key_id: signer.keyId,
      node_id: nodeId,
    });
    if (!stored) {
      throw new TransparencyError('ERR_TRANSPARENCY_HEAD_EXISTS', `A tree head of size ${newSize} exists already`);
    }
    await appendAudit(
      trx,
      {
        type: 'transparency.sth.publish',
        outcome: 'success',
        subject: `tree:${newSize}`,
        details: { treeSize: newSize, rootHash: toHex(rootHash), timestamp, previousTreeSize: oldSize },
      },
      audit,
    );
    return head;
  }
}

/**
 * Stores the leaf hashes of [oldSize, newSize) as level-0 nodes and every complete subtree they
 * close, level by level; a new node's left child may be an older node (read once per level).
 */
async function storeSubtrees(trx: Db, oldSize: number, newSize: number): Promise<void> {
  const leaves = await listLogLeafHashes(trx, oldSize, newSize);
  if (leaves.length !== newSize - oldSize || leaves.some((l, i) => l.index !== oldSize + i)) {
    throw new TransparencyError('ERR_TRANSPARENCY_LOG_INCOMPLETE', 'The log is missing sequenced leaves', {
      detail: { from: oldSize, to: newSize, found: leaves.length },
    });
  }
  // The old right frontier: at level L-1, node 2·s_L is old when it precedes the first new one.
  const wanted: { level: number; index: number }[] = [];
  for (let level = 1; Math.floor(newSize / 2 ** level) > Math.floor(oldSize / 2 ** level); level++) {
    const left = 2 * Math.floor(oldSize / 2 ** level);
    if (left < Math.floor(oldSize / 2 ** (level - 1))) wanted.push({ level: level - 1, index: left });
  }
  const old = new Map<string, Uint8Array>();
  for (const n of await findLogNodes(trx, wanted)) old.set(`${n.level}:${n.index}`, n.hash);
  // Level 0 copies the leaf hashes: the tree is its nodes, the leaves table holds the entries.
  const created: LogNode[] = leaves.map((l) => ({ level: 0, index: l.index, hash: l.hash }));
  let below = new Map<number, Uint8Array>(leaves.map((l) => [l.index, l.hash]));
  for (let level = 1; ; level++) {
    const first = Math.floor(oldSize / 2 ** level);
    const end = Math.floor(newSize / 2 ** level);
    if (end <= first) break;
    const here = new Map<number, Uint8Array>();
    for (let j = first; j < end; j++) {
      const left = below.get(2 * j) ?? old.get(`${level - 1}:${2 * j}`);
      const right = below.get(2 * j + 1);
      if (left === undefined || right === undefined) {
        throw new TransparencyError('ERR_TRANSPARENCY_LOG_INCOMPLETE', 'The log is missing a subtree hash it published', {
          detail: { level: level - 1, index: left === undefined ? 2 * j : 2 * j + 1 },
        });
      }
      const hash = hashChildren(left, right);
      here.set(j, hash);
      created.push({ level, index: j, hash });
    }
    below = here;
  }
  await insertLogNodes(trx, created);
}
