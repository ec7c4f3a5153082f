/**
 * Issue 15: the web gateway's PDF work — the upload check (the page count) and the preparation at
 * Sign — runs on `signet serve`'s document workers, as signDoc's does. Against a real listening
 * Signet: a page bomb is refused at upload with the reader's code (ERR_PDF_LIMIT_DECOMPRESSED),
 * two files whose form fields inflate 30 MiB each (about 2 s of inflation apiece on the caller's
 * thread, until the document's budget refuses them) pass the upload check and fail at Sign with
 * that code, an ordinary file beside them is offered for approval — and /health/ready, probed in a
 * loop over HTTP the whole time, keeps answering within 100 ms. In a B-LT job, a file whose DSS
 * cannot be read within the budget fails at Sign too, before anything is signed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  acroFormFieldBombs,
  dssStreamBombs,
  pagesInObjectStreamBombs,
} from '../support/pdf-bombs.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { probeLoop } from '../support/readiness-probes.js';
import { api, upload, webJobsEnv } from './support/web-jobs-env.js';

describe('issue 15: the web gateway reads uploads and prepares documents on the document workers', () => {
  it('sqlite: a page bomb refused at upload, form-field bombs failed at Sign (ERR_PDF_LIMIT_DECOMPRESSED), a plain file offered — /health/ready within 100 ms throughout; a DSS bomb in a B-LT job failed at Sign', async (t) => {
    const env = await webJobsEnv(t, 'sqlite');
    if (!env) return;
    const alice = await env.addSigner('alice');
    const browser = await env.signIn(alice);
    const created = await api(browser, env.node, 'POST', '/jobs', {
      credentialID: alice.credentialId,
      level: 'B-B',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const jobId = created.body['id'] as string;
    const pageBomb = pagesInObjectStreamBombs(makeBasePdf({ pages: 9 }));
    const formBomb = acroFormFieldBombs(makeBasePdf({ text: 'a form that inflates' }));

    const ready = `${env.node.url}/health/ready`;
    // The probes run on a thread of their own, so a blocked server loop shows as a late answer.
    const probes = await probeLoop(ready);
    const elu = performance.eventLoopUtilization();
    const started = performance.now();
    const work = async (): Promise<void> => {
      const refused = await upload(browser, env.node, jobId, 'pages.pdf', pageBomb);
      assert.deepEqual(
        [refused.status, refused.body['error']],
        [400, 'ERR_PDF_LIMIT_DECOMPRESSED'],
        JSON.stringify(refused.body),
      );
      for (const name of ['form-1.pdf', 'form-2.pdf']) {
        const accepted = await upload(browser, env.node, jobId, name, formBomb);
        assert.deepEqual(
          [accepted.status, accepted.body['pages']],
          [201, 1],
          JSON.stringify(accepted.body),
        );
      }
      const plain = await upload(
        browser,
        env.node,
        jobId,
        'plain.pdf',
        makeBasePdf({ text: 'an ordinary file' }),
      );
      assert.equal(plain.status, 201, JSON.stringify(plain.body));
      const sign = await api(browser, env.node, 'POST', `/jobs/${jobId}/sign`);
      assert.equal(sign.status, 200, JSON.stringify(sign.body));
    };
    const failed = await work().then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    const { latencies, failures } = await probes.stop();
    if (failed !== undefined) throw failed.error;
    const busy = performance.eventLoopUtilization(elu);
    const elapsed = performance.now() - started;

    const job = await api(browser, env.node, 'GET', `/jobs/${jobId}`);
    const documents = job.body['documents'] as {
      name: string;
      state: string;
      error?: { code: string };
    }[];
    assert.deepEqual(
      documents.map((d) => [d.name, d.error?.code ?? d.state]),
      [
        ['form-1.pdf', 'ERR_PDF_LIMIT_DECOMPRESSED'],
        ['form-2.pdf', 'ERR_PDF_LIMIT_DECOMPRESSED'],
        ['plain.pdf', 'prepared'],
      ],
    );
    // Inline, each form bomb held the event loop for about 2 s (4 s of the Sign request); on the
    // workers readiness answers throughout. On this shared 2-core machine a thread is sometimes not
    // scheduled for 50–170 ms whatever it does, so the bound is on the 90th percentile, with the
    // worst probe under half a second.
    assert.deepEqual(failures, []);
    const sorted = [...latencies].sort((x, y) => x - y);
    const seen = latencies.map((l) => l.toFixed(1)).join(' ');
    assert.ok(
      latencies.length >= 10,
      `probed ${latencies.length} times in ${elapsed.toFixed(0)} ms`,
    );
    const p90 = sorted[Math.floor(sorted.length * 0.9)]!;
    assert.ok(
      p90 < 100,
      `/health/ready p90 ${p90.toFixed(1)} ms while the bombs were read (${seen})`,
    );
    assert.ok(
      sorted[sorted.length - 1]! < 500,
      `/health/ready took up to ${sorted[sorted.length - 1]!.toFixed(1)} ms (${seen})`,
    );
    assert.ok(
      busy.utilization < 0.5,
      `the event loop was busy ${(busy.utilization * 100).toFixed(0)} % of the time`,
    );

    // A B-LT job: a file whose DSS streams inflate 40 MiB each (over the 32 MiB one stream may
    // decode to) fails at Sign, in phase one — phase two, after the signature, would merge the new
    // evidence into that DSS and could not read it —, the file beside it is prepared.
    const lt = await api(browser, env.node, 'POST', '/jobs', {
      credentialID: alice.credentialId,
      level: 'B-LT',
    });
    assert.equal(lt.status, 201, JSON.stringify(lt.body));
    const ltId = lt.body['id'] as string;
    const dssBomb = dssStreamBombs(makeBasePdf({ text: 'a DSS that cannot be read' }), 8, 40);
    for (const [name, pdf] of [
      ['dss.pdf', dssBomb],
      ['plain.pdf', makeBasePdf({ text: 'an ordinary file' })],
    ] as const) {
      const accepted = await upload(browser, env.node, ltId, name, pdf);
      assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    }
    const signLt = await api(browser, env.node, 'POST', `/jobs/${ltId}/sign`);
    assert.equal(signLt.status, 200, JSON.stringify(signLt.body));
    const ltJob = await api(browser, env.node, 'GET', `/jobs/${ltId}`);
    assert.deepEqual(
      (ltJob.body['documents'] as { name: string; state: string; error?: { code: string } }[]).map(
        (d) => [d.name, d.error?.code ?? d.state],
      ),
      [
        ['dss.pdf', 'ERR_PDF_LIMIT_DECOMPRESSED'],
        ['plain.pdf', 'prepared'],
      ],
    );
  });
});
