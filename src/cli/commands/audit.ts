/**
 * `signet audit verify [--data DIR]`: verifies the audit log of a data directory (or DATABASE_URL)
 * offline: every entry hash, the chain links, the sequence, each entry's HMAC and the HMAC'd head
 * (docs/security.md AUD-01…05). Exits 1 naming the first bad entry on any edit, deletion or reordering.
 */
import { createAuditKey, verifyAuditStore } from '../../audit/index.js';
import { loadServerConfig, openServerSecrets } from '../../server/index.js';
import { connectStore } from '../../store/index.js';
import type { Command } from '../command.js';
import { parseCliArgs } from '../args.js';

const usage = `usage: signet audit verify [--data DIR] [--json]

  Verifies the hash chain, the per-entry MACs and the head checkpoint of the audit log kept in
  DIR (default ./signet-data) or in DATABASE_URL. Exit 0: intact; exit 1: the first bad entry
  is named (edited, deleted, reordered or truncated entries are all detected).`;

/** The exit line's code when verification fails (docs/errors/core.md). */
const tamperedCode = 'ERR_CLI_AUDIT_TAMPERED';

const options = { data: { type: 'string' }, json: { type: 'boolean' } } as const;

/** The `signet audit` command. */
export const auditCommand: Command = {
  name: 'audit',
  summary: 'verify the hash-chained audit log',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub !== 'verify') {
      io.stderr.write(`${usage}\n`);
      return 2;
    }
    const { values } = parseCliArgs({ args: [...rest], options, strict: true });
    const config = loadServerConfig(values.data !== undefined ? { dataDir: values.data } : {});
    const store = await connectStore(config.database);
    try {
      const secrets = await openServerSecrets(config, store);
      const report = await verifyAuditStore(store, createAuditKey(secrets.auditKey));
      if (values.json === true) io.stdout.write(`${JSON.stringify(report)}\n`);
      if (report.ok) {
        if (values.json !== true) io.stdout.write(`audit log intact: ${report.entries} entries, last seq ${report.lastSeq}\n`);
        return 0;
      }
      const first = report.problems[0];
      for (const p of report.problems) io.stderr.write(`audit: entry ${p.seq}: ${p.kind}: ${p.message}\n`);
      io.stderr.write(
        `error: ${tamperedCode}: the audit log fails verification; first bad entry seq ${first?.seq ?? '?'} (${first?.kind ?? 'unknown'})\n`,
      );
      return 1;
    } finally {
      await store.close();
    }
  },
};
