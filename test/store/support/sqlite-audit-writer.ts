/**
 * A second process writing to one SQLite file (docs/security.md FLT-09): appends `count` audit entries,
 * each in its own write transaction, and prints `{ written, busy, errors }` as JSON.
 * Usage: node --import tsx sqlite-audit-writer.ts <file> <count> <audit key hex> <node id>
 */
import { appendAudit, createAuditKey } from '../../../src/audit/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { StoreError, connectStore } from '../../../src/store/index.js';

const [file, countText, keyHex, nodeId] = process.argv.slice(2);
const store = await connectStore({ kind: 'sqlite', file: file as string });
const audit = { key: createAuditKey(Buffer.from(keyHex as string, 'hex')), nodeId: nodeId as string, clock: systemClock };
let written = 0;
let busy = 0;
const errors: string[] = [];
for (let i = 0; i < Number(countText); i++) {
  try {
    await store.transaction((trx) => appendAudit(trx, { type: 'test.write', outcome: 'success', subject: `${nodeId}:${i}` }, audit));
    written++;
  } catch (err) {
    if (err instanceof StoreError && err.code === 'ERR_STORE_BUSY') busy++;
    else errors.push(String((err as { code?: string }).code ?? err));
  }
}
await store.close();
process.stdout.write(`${JSON.stringify({ written, busy, errors })}\n`);
