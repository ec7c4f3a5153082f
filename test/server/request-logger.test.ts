/**
 * The per-request logger (src/server/request-logger.ts): made only when a request logs, and then
 * the same pino child as before — the request's trace id bound, secrets redacted (KEY-11).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { createLogger } from '../../src/server/index.js';
import { lazyChildLogger } from '../../src/server/request-logger.js';
import { Capture } from './support/server-fixture.js';

describe('request logger: a pino child made on first use (issue 19)', () => {
  it('a request that logs nothing makes no child; one that logs writes its trace id, redacted', async (t) => {
    const out = new Capture();
    const logger = createLogger('info', out);
    let children = 0;
    const child = logger.child.bind(logger);
    logger.child = ((...args: Parameters<typeof child>) => {
      children++;
      return child(...args);
    }) as typeof logger.child;
    const app = Fastify({
      loggerInstance: logger as FastifyBaseLogger,
      childLoggerFactory: lazyChildLogger,
      genReqId: () => 'f'.repeat(32),
      requestIdLogLabel: 'traceId',
      disableRequestLogging: true,
    });
    t.after(() => app.close());
    app.get('/quiet', async () => ({ ok: true }));
    app.get('/loud', async (request) => {
      request.log.warn({ body: { PIN: 'pin-secret-1' }, code: 'X' }, 'refused');
      request.log.info('again');
      return { ok: true };
    });

    await app.ready();
    children = 0;
    assert.equal((await app.inject({ method: 'GET', url: '/quiet' })).statusCode, 200);
    assert.equal(children, 0, 'no child logger for a request that logs nothing');
    assert.equal(out.text, '');

    assert.equal((await app.inject({ method: 'GET', url: '/loud' })).statusCode, 200);
    assert.equal(children, 1, 'one child for a request that logs twice');
    const lines = out.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => [l['msg'], l['traceId']]), [['refused', 'f'.repeat(32)], ['again', 'f'.repeat(32)]]);
    assert.ok(!out.text.includes('pin-secret-1'), out.text);
    assert.match(out.text, /\[redacted\]/);
  });

  it('reads the level of its parent, or of the route, without making the child', () => {
    const logger = createLogger('warn', new Capture());
    let children = 0;
    const child = logger.child.bind(logger);
    logger.child = ((...args: Parameters<typeof child>) => {
      children++;
      return child(...args);
    }) as typeof logger.child;
    assert.equal(lazyChildLogger(logger as FastifyBaseLogger, { traceId: 'a' }, {}).level, 'warn');
    assert.equal(lazyChildLogger(logger as FastifyBaseLogger, { traceId: 'a' }, { level: 'debug' }).level, 'debug');
    assert.equal(children, 0);
    const lazy = lazyChildLogger(logger as FastifyBaseLogger, { traceId: 'a' }, {});
    lazy.level = 'error';
    assert.equal(lazy.level, 'error');
    assert.equal(logger.level, 'warn', "the parent's level is unchanged");
    assert.equal(children, 1);
  });
});
