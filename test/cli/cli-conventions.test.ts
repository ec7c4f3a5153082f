/**
 * Issue 22, the CLI as people use it: every command answers --help and -h with its usage on
 * stdout and exit status 0 (GNU coding standards §4.8.2); a reader that closes the pipe
 * (`signet verify F | head -1`) ends the command without a stack trace; `signet serve --demo` is
 * not ready before demo.json exists.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { commands } from '../../src/cli/commands/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';
import { captureIo, serverEnv } from '../server/support/server-fixture.js';
import { startServe } from '../server/support/serve-process.js';

const bin = join(process.cwd(), 'bin', 'signet.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('CLI conventions (issue 22)', () => {
  it('every command, and a sub-command, answers --help and -h with its usage on stdout, exit 0', async () => {
    assert.ok(commands.length >= 10);
    for (const entry of commands) {
      const command = await entry.load();
      assert.equal(command.name, entry.name);
      assert.equal(command.summary, entry.summary, `${entry.name}: the registry's summary is the command's`);
      for (const flag of ['--help', '-h']) {
        for (const argv of [[command.name, flag], [command.name, 'x', flag, '--other']]) {
          const io = captureIo();
          const code = await main(argv, io);
          assert.equal(code, 0, `${argv.join(' ')}: exit ${code}, stderr ${io.stderr.text}`);
          assert.equal(io.stdout.text, `${command.usage}\n`, argv.join(' '));
          assert.equal(io.stderr.text, '', argv.join(' '));
        }
      }
    }
    // After `--` an argument is an operand, not a request for help.
    const io = captureIo();
    assert.equal(await main(['verify', '--', '--help'], io), 1);
    assert.equal(io.stdout.text, '');
  });

  it('`signet verify F` whose reader has closed the pipe ends quietly with its own exit status', async () => {
    assert.ok(existsSync(join(process.cwd(), 'dist', 'cli', 'main.js')), 'run npm run build before the CLI tests');
    const dir = tempDir({ after: (fn) => void process.once('exit', fn) });
    const pdf = join(dir, 'in.pdf');
    writeFileSync(pdf, makeBasePdf());
    const run = (closeEarly: boolean) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, [bin, 'verify', pdf], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        let stdout = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        // `| head -0`: the reader is gone before the first line is written.
        if (closeEarly) child.stdout.destroy();
        else child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout }));
      });
    const normal = await run(false);
    assert.ok(normal.stdout.length > 0, 'verify writes a report');
    const closed = await run(true);
    assert.equal(closed.stderr, '', 'no stack trace, no EPIPE message');
    assert.equal(closed.signal, null);
    assert.equal(closed.code, normal.code, 'the exit status is the command’s own');
  });

  it('`signet serve --demo`: /health/ready is never true before demo.json exists', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const port = await freePort();
    const demoPath = join(env.dataDir, 'demo.json');
    let stop = false;
    const seen: { ready: boolean; demo: boolean }[] = [];
    const poll = (async () => {
      while (!stop) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
          const body = (await res.json()) as { ready: boolean; starting?: boolean };
          // Read the file state after the answer: a true answer must come after demo.json.
          seen.push({ ready: body.ready, demo: existsSync(demoPath) });
          if (body.ready) break;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const server = await startServe(['--data', env.dataDir, '--demo', '--port', String(port)], env.env);
    t.after(() => server.stop());
    await poll;
    stop = true;
    const firstReady = seen.findIndex((s) => s.ready);
    assert.ok(firstReady >= 0, 'ready in the end');
    for (const s of seen.filter((x) => x.ready)) assert.ok(s.demo, 'ready only once demo.json is written');
    assert.ok(seen.some((s) => !s.ready), `a not-ready answer was seen while the demo was made (${seen.length} answers)`);
  });
});
