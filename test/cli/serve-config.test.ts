/**
 * `signet serve --print-config` and the refusal of malformed settings (issue 17, "Configuration"):
 * the real command as a child process prints every setting with its source, secrets masked, and
 * creates nothing; each malformed value stops the start (with or without --print-config) with
 * exit 1 and exactly one line on stderr naming the variable and the reason.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/tmp.js';
import { signetCommand } from '../support/signet-command.js';


interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function signet(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...signetCommand(), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DATABASE_URL: '', NODE_ENV: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('signet serve --print-config (issue 17)', () => {
  it('prints every setting with its source, masks the secrets, creates nothing and exits 0', async (t) => {
    const dir = tempDir(t);
    const data = join(dir, 'not-yet');
    const kek = 'aa'.repeat(32);
    const run = await signet(['serve', '--print-config', '--data', data, '--port', '9443'], {
      SIGNET_KEK: kek,
      DATABASE_URL: 'postgres://signet:pg-Secret-1@127.0.0.1:5432/signet',
      SIGNET_PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so',
      SIGNET_PKCS11_TOKENS: 'a,b',
      SIGNET_PKCS11_PIN: 'pin-Secret-2',
      SIGNET_PDF_WORKERS: '3',
      SIGNET_NODE_ID: 'node-a',
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const lines = new Map(
      run.stdout
        .split('\n')
        .filter((l) => /^[A-Z]/.test(l))
        .map((l) => {
          const m = /^([A-Z0-9_]+)=(.*?)\s+# (\S+)$/.exec(l);
          assert.ok(m, `line shape: ${l}`);
          return [m[1] as string, { value: m[2] as string, source: m[3] as string }] as const;
        }),
    );
    assert.deepEqual(lines.get('SIGNET_DATA_DIR'), { value: data, source: '--data' });
    assert.deepEqual(lines.get('SIGNET_PORT'), { value: '9443', source: '--port' });
    assert.deepEqual(lines.get('SIGNET_PDF_WORKERS'), { value: '3', source: 'environment' });
    assert.deepEqual(lines.get('SIGNET_NODE_ID'), { value: 'node-a', source: 'environment' });
    assert.deepEqual(lines.get('SIGNET_HOST'), { value: '127.0.0.1', source: 'default' });
    assert.deepEqual(lines.get('SIGNET_KEK'), { value: '****', source: 'environment' });
    assert.deepEqual(lines.get('SIGNET_PKCS11_PIN'), { value: '****', source: 'environment' });
    assert.deepEqual(lines.get('DATABASE_URL'), {
      value: 'postgres://signet:****@127.0.0.1:5432/signet',
      source: 'environment',
    });
    for (const secret of [kek, 'pg-Secret-1', 'pin-Secret-2'])
      assert.ok(!run.stdout.includes(secret), `${secret} is printed`);
    assert.ok(lines.size > 50, `${lines.size} settings`);
    assert.equal(existsSync(data), false, 'printing the configuration creates no data directory');
  });

  it('a secret read from a file shows the file, never its content', async (t) => {
    const dir = tempDir(t);
    const kekFile = join(dir, 'kek');
    writeFileSync(kekFile, 'bb'.repeat(32), { mode: 0o600 });
    const urlFile = join(dir, 'database-url');
    writeFileSync(urlFile, 'postgres://signet:pg-Secret-3@db.example:5432/signet\n', {
      mode: 0o600,
    });
    const run = await signet(['serve', '--print-config', '--data', join(dir, 'data')], {
      SIGNET_KEK_FILE: kekFile,
      SIGNET_KEK: '',
      DATABASE_URL_FILE: urlFile,
    });
    assert.equal(run.code, 0, run.stderr);
    // DATABASE_URL_FILE (the *_FILE convention of a secret row) is read, its password masked.
    assert.match(
      run.stdout,
      /^DATABASE_URL=postgres:\/\/signet:\*\*\*\*@db\.example:5432\/signet\s+# environment$/m,
    );
    assert.ok(!run.stdout.includes('pg-Secret-3'));
    assert.match(run.stdout, new RegExp(`^SIGNET_KEK_FILE=${kekFile}\\s+# environment$`, 'm'));
    assert.ok(!run.stdout.includes('bb'.repeat(32)));
  });

  const bad: readonly (readonly [Record<string, string>, string, RegExp])[] = [
    [{ SIGNET_PORT: '70000' }, 'SIGNET_PORT', /port number/],
    [{ SIGNET_HOST: 'not a host!' }, 'SIGNET_HOST', /IP address or a host name/],
    [{ SIGNET_LOG_LEVEL: 'loud' }, 'SIGNET_LOG_LEVEL', /one of fatal, error/],
    [{ SIGNET_BASE_URL: 'ftp://signet.example' }, 'SIGNET_BASE_URL', /http: or https:/],
    [{ DATABASE_URL: 'mysql://db/signet' }, 'DATABASE_URL', /postgres:\/\//],
    [{ SIGNET_PDF_WORKERS: '0' }, 'SIGNET_PDF_WORKERS', /from 1 to 64/],
    [{ SIGNET_UPLOAD_MAX_BYTES: 'lots' }, 'SIGNET_UPLOAD_MAX_BYTES', /integer between/],
    [{ SIGNET_SESSION_IDLE_SECONDS: '0' }, 'SIGNET_SESSION_IDLE_SECONDS', /at least 1/],
    [{ SIGNET_VALIDATE_MAX_BYTES: '12' }, 'SIGNET_VALIDATE_MAX_BYTES', /at least 1024/],
    [{ SIGNET_NODE_ID: 'a b' }, 'SIGNET_NODE_ID', /printable/],
    [
      { SIGNET_TLS_CERT_FILE: '/etc/hostname' },
      'SIGNET_TLS_KEY_FILE',
      /SIGNET_TLS_CERT_FILE needs SIGNET_TLS_KEY_FILE/,
    ],
  ];
  it('a malformed setting stops the start: exit 1, one line naming the variable and the reason', async (t) => {
    const dir = tempDir(t);
    const runs: { run: Run; data: string }[] = [];
    // Three at a time: a loaded 2-core machine starts ten Node processes slowly.
    for (let start = 0; start < bad.length; start += 3) {
      const batch = bad.slice(start, start + 3).map(([env], j) => {
        const i = start + j;
        const data = join(dir, `data-${i}`);
        // Half without --print-config: the real start is refused the same way, before the data directory.
        return signet(['serve', ...(i % 2 === 0 ? ['--print-config'] : []), '--data', data], {
          SIGNET_PORT: '0',
          ...env,
        }).then((run) => ({ run, data }));
      });
      runs.push(...(await Promise.all(batch)));
    }
    for (const [i, { run, data }] of runs.entries()) {
      const [, variable, reason] = bad[i] as (typeof bad)[number];
      assert.equal(run.code, 1, `${variable}: ${run.stdout}${run.stderr}`);
      const lines = run.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `${variable}: ${run.stderr}`);
      const line = lines[0] as string;
      assert.match(line, /^error: ERR_SERVER_CONFIG: /);
      assert.ok(line.includes(variable), `${line} names ${variable}`);
      assert.match(line, reason);
      assert.doesNotMatch(run.stdout, /listening/);
      assert.equal(existsSync(data), false, `${variable}: nothing created`);
    }
  });
});
