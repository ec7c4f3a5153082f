/**
 * Issue 15: the reader's budget is configurable — SIGNET_PDF_STREAM_MAX_BYTES,
 * SIGNET_PDF_DOCUMENT_MAX_BYTES, SIGNET_PDF_MAX_OBJECTS and SIGNET_PDF_TIMEOUT_MS set the
 * per-stream and per-document decompression limits, the object count and the time limit for the
 * whole process (docs/configuration.md). The real `signet sign` binary in a child, with each
 * variable set, refuses a generated file by that limit (the message names the configured value)
 * that it signs without it; the server's document workers apply them too; a malformed value is
 * ERR_PDF_CONFIG (ERR_SERVER_CONFIG for `signet serve`).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultParseLimits } from '../../src/core/limits.js';
import { isSignetError } from '../../src/core/errors.js';
import { parseLimitsFromEnvironment } from '../../src/pdf/index.js';
import { createPdfPreparer, loadPdfReaderLimits } from '../../src/server/pdf-preparation-pool.js';
import { acroFormFieldBombs, pagesInObjectStreamBombs } from '../support/pdf-bombs.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { runMeasured } from '../support/measured-run.js';
import { buildTestPki } from '../support/pki.js';
import { tempDir } from '../support/tmp.js';

const MiB = 1024 * 1024;

describe('issue 15: the reader limits from SIGNET_PDF_* variables', () => {
  it('unset: the built-in defaults; set: integers within their ranges; anything else ERR_PDF_CONFIG naming the variable', () => {
    assert.deepEqual(parseLimitsFromEnvironment({}), defaultParseLimits);
    assert.deepEqual(
      parseLimitsFromEnvironment({
        SIGNET_PDF_STREAM_MAX_BYTES: '1048576',
        SIGNET_PDF_DOCUMENT_MAX_BYTES: ' 104857600 ',
        SIGNET_PDF_MAX_OBJECTS: '16',
        SIGNET_PDF_TIMEOUT_MS: '100',
      }),
      {
        ...defaultParseLimits,
        maxDecodedStreamBytes: MiB,
        maxDecodedBytes: 100 * MiB,
        maxObjects: 16,
        maxMillis: 100,
      },
    );
    const bad: Record<string, string>[] = [
      { SIGNET_PDF_STREAM_MAX_BYTES: '32MiB' },
      { SIGNET_PDF_STREAM_MAX_BYTES: '1024' },
      { SIGNET_PDF_STREAM_MAX_BYTES: String(2 ** 31) },
      { SIGNET_PDF_DOCUMENT_MAX_BYTES: '-1' },
      { SIGNET_PDF_MAX_OBJECTS: '1e6' },
      { SIGNET_PDF_TIMEOUT_MS: '99' },
      { SIGNET_PDF_TIMEOUT_MS: '1.5' },
    ];
    for (const env of bad) {
      const [name] = Object.keys(env);
      assert.throws(
        () => parseLimitsFromEnvironment(env),
        (e) => isSignetError(e, 'ERR_PDF_CONFIG') && e.message.startsWith(`${name!} must be`),
        JSON.stringify(env),
      );
      assert.throws(
        () => loadPdfReaderLimits(env),
        (e) => isSignetError(e, 'ERR_SERVER_CONFIG') && e.message.startsWith(`${name!} must be`),
        JSON.stringify(env),
      );
    }
  });

  describe('signet sign in a child process', () => {
    const dir = tempDir({ after });
    const files: Record<string, string> = {};
    let key: string;
    let cert: string;

    before(async () => {
      const pki = await buildTestPki({ leaves: ['ec-p256'] });
      key = join(dir, 'key.pem');
      cert = join(dir, 'cert.pem');
      writeFileSync(key, pki.leaves['ec-p256'].privateKeyPem);
      writeFileSync(cert, pki.leaves['ec-p256'].pem + pki.intermediate.pem);
      const write = (name: string, bytes: Uint8Array): void => {
        files[name] = join(dir, `${name}.pdf`);
        writeFileSync(files[name], bytes);
      };
      write('pages40', makeBasePdf({ pages: 40 }));
      write('objStms', pagesInObjectStreamBombs(makeBasePdf({ pages: 9 })));
      // 20 form fields in object streams of 30 MiB each: whole within the per-stream limit, refused by the document's total.
      write('form', acroFormFieldBombs(makeBasePdf({ text: 'form' })));
    });

    const sign = (file: string, out: string, env: Record<string, string>) =>
      runMeasured(
        [
          'bin/signet.js',
          'sign',
          files[file]!,
          '-o',
          join(dir, `${out}.pdf`),
          '--key',
          key,
          '--cert',
          cert,
        ],
        { env: { ...process.env, ...env } },
      );

    it('SIGNET_PDF_MAX_OBJECTS=16: a 40-page file (87 objects) is ERR_PDF_LIMIT_OBJECTS naming 16; unset, it signs', async () => {
      const refused = await sign('pages40', 'objects-refused', { SIGNET_PDF_MAX_OBJECTS: '16' });
      assert.equal(refused.status, 1, refused.stderr);
      assert.match(refused.stderr, /ERR_PDF_LIMIT_OBJECTS.*\b16 objects/);
      const signed = await sign('pages40', 'objects-signed', {});
      assert.equal(signed.status, 0, signed.stderr);
    });

    it('SIGNET_PDF_STREAM_MAX_BYTES=1048576: the object-stream bomb is refused at 1 MiB instead of 32 MiB', async () => {
      const small = await sign('objStms', 'stream-small', {
        SIGNET_PDF_STREAM_MAX_BYTES: String(MiB),
      });
      assert.equal(small.status, 1, small.stderr);
      assert.match(small.stderr, /ERR_PDF_LIMIT_DECOMPRESSED.*more than 1048576 bytes/);
      const fallback = await sign('objStms', 'stream-default', {});
      assert.match(fallback.stderr, /ERR_PDF_LIMIT_DECOMPRESSED.*more than 33554432 bytes/);
    });

    it('SIGNET_PDF_DOCUMENT_MAX_BYTES=104857600: the form-field bombs stop at 100 MiB in total (512 MiB by default)', async () => {
      const small = await sign('form', 'document-small', {
        SIGNET_PDF_DOCUMENT_MAX_BYTES: String(100 * MiB),
      });
      assert.equal(small.status, 1, small.stderr);
      assert.match(small.stderr, /ERR_PDF_LIMIT_DECOMPRESSED.*more than 104857600 bytes in total/);
      const fallback = await sign('form', 'document-default', {});
      assert.match(
        fallback.stderr,
        /ERR_PDF_LIMIT_DECOMPRESSED.*more than 536870912 bytes in total/,
      );
      assert.ok(
        small.cpuMs < fallback.cpuMs,
        `${small.cpuMs.toFixed(0)} ms of CPU at 100 MiB, ${fallback.cpuMs.toFixed(0)} ms at 512 MiB`,
      );
    });

    it('SIGNET_PDF_TIMEOUT_MS=100: reading the form-field bombs (over a second of inflation) is ERR_PDF_LIMIT_TIME', async () => {
      const r = await sign('form', 'time', { SIGNET_PDF_TIMEOUT_MS: '100' });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /ERR_PDF_LIMIT_TIME.*longer than 100 ms/);
    });

    it('a malformed value: ERR_PDF_CONFIG naming the variable, no stack trace, no output file', async () => {
      const r = await sign('pages40', 'malformed', { SIGNET_PDF_STREAM_MAX_BYTES: 'lots' });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /ERR_PDF_CONFIG.*SIGNET_PDF_STREAM_MAX_BYTES must be an integer/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.equal(existsSync(join(dir, 'malformed.pdf')), false);
    });
  });

  it("signet serve's document workers read the same variables (set before the pool starts)", async () => {
    const options = {
      certificateChain: [new Uint8Array(1)],
      signatureAlgorithm: { scheme: 'ECDSA', digest: 'SHA-256' },
      maxSignatureSize: 72,
      signingTime: new Date(),
    } as const;
    const saved = process.env['SIGNET_PDF_MAX_OBJECTS'];
    process.env['SIGNET_PDF_MAX_OBJECTS'] = '16';
    const workers = createPdfPreparer({ workers: 1 });
    try {
      await assert.rejects(workers.pageCount(makeBasePdf({ pages: 40 })), (e) =>
        isSignetError(e, 'ERR_PDF_LIMIT_OBJECTS'),
      );
      await assert.rejects(workers.prepare(makeBasePdf({ pages: 40 }), options), (e) =>
        isSignetError(e, 'ERR_PDF_LIMIT_OBJECTS'),
      );
      assert.equal(await workers.pageCount(makeBasePdf({ pages: 2 })), 2);
    } finally {
      await workers.close();
      if (saved === undefined) delete process.env['SIGNET_PDF_MAX_OBJECTS'];
      else process.env['SIGNET_PDF_MAX_OBJECTS'] = saved;
    }
  });
});
