/**
 * Issue 18 §4: the worker threads of `signet sign --out-dir` — a worker loads its own signer from
 * the same key files and signs whole files; an unreadable file is its coded error line; a worker
 * whose key cannot be loaded is reported unavailable (the batch then signs on the main thread).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchWorkerCount, defaultWorkerCount, startBatchWorker } from '../../src/cli/commands/sign-batch-workers.js';
import { CliError } from '../../src/cli/errors.js';
import { writePkiFiles, type PkiFiles } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { pdfsig } from '../support/judges.js';
import { requireTools } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';

describe('signet sign batch worker threads (issue 18 §4)', () => {
  const dir = tempDir({ after });
  let files: PkiFiles;

  before(async () => {
    files = await writePkiFiles(dir, 'rsa');
  });

  it('a worker signs whole files with its own signer; a bad file is one coded error line', async (t) => {
    if (!requireTools(t, 'pdfsig')) return;
    const worker = startBatchWorker({ key: files.key, cert: files.cert, chain: [files.chain] });
    try {
      assert.equal(await worker.ready, true);
      const inputs = [0, 1, 2].map((i) => {
        const p = join(dir, `in-${i}.pdf`);
        writeFileSync(p, makeBasePdf({ text: `Worker ${i}` }));
        return p;
      });
      const results = await Promise.all(
        inputs.map((p, i) => worker.sign(p, join(dir, `out-${i}.pdf`))),
      );
      assert.deepEqual(results, [undefined, undefined, undefined]);
      for (let i = 0; i < 3; i++)
        assert.ok(pdfsig(join(dir, `out-${i}.pdf`))[0]?.isValid, `out-${i}.pdf is valid`);
      const bad = join(dir, 'bad.pdf');
      writeFileSync(bad, 'not a PDF');
      assert.match(
        (await worker.sign(bad, join(dir, 'bad-out.pdf'))) ?? '',
        /^error: ERR_PDF_[A-Z_]+: /,
      );
    } finally {
      await worker.stop();
    }
    assert.equal(worker.isAlive, false);
  });

  it('a worker whose key cannot be loaded is unavailable, with no file lost', async () => {
    const worker = startBatchWorker({ key: join(dir, 'missing.pem'), cert: files.cert });
    assert.equal(await worker.ready, false);
    assert.match(
      (await worker.sign(join(dir, 'x.pdf'), join(dir, 'y.pdf'))) ?? '',
      /^error: ERR_CLI_WORKER: /,
    );
    await worker.stop();
  });

  it('--workers: an integer 0–64 for key files only; by default none for a small batch or a --key-uri key', () => {
    assert.equal(batchWorkerCount({ workers: '3' }, 1), 3);
    assert.equal(batchWorkerCount({ key: 'k' }, 2), 0);
    assert.equal(batchWorkerCount({ 'key-uri': 'pkcs11:token=a;object=b' }, 10_000), 0);
    assert.throws(
      () => batchWorkerCount({ workers: '-1' }, 10),
      (e) => e instanceof CliError && e.code === 'ERR_CLI_USAGE',
    );
    assert.throws(
      () => batchWorkerCount({ workers: '2', 'key-uri': 'pkcs11:x' }, 10),
      (e) => e instanceof CliError && e.code === 'ERR_CLI_USAGE',
    );
  });

  it('by default no worker on two cores (the main thread and the libuv pool use both), one per idle core beyond two', () => {
    // 200 × 100 KB on an idle 2-core machine: 266 files/s with one worker, 344 without (issue 18 §4).
    assert.equal(defaultWorkerCount(2, 0, 200), 0);
    assert.equal(defaultWorkerCount(2, 0, 10_000), 0);
    assert.equal(defaultWorkerCount(4, 0.5, 200), 1);
    assert.equal(defaultWorkerCount(8, 1, 200), 5);
    assert.equal(defaultWorkerCount(8, 1, 48), 2);
    assert.equal(defaultWorkerCount(8, 7, 10_000), 0);
    assert.equal(defaultWorkerCount(64, 0, 10_000), 8);
  });
});
