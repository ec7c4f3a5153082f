/**
 * Issue 18 §4, a CLI that starts at once: the real binary imports a command's code only when that
 * command runs. `signet --help` loads nothing but the command table, and `signet sign` /
 * `signet verify` never reach the server, the database drivers or PKCS#11 — a static import that
 * brings them back fails here (the modules are recorded by a resolve hook in the child process).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadedFrom, modulesLoadedBy } from '../support/module-loads.js';

const serverSide = {
  packages: ['fastify', '@fastify', 'pg', 'better-sqlite3', 'kysely', 'pkcs11js', 'pino'],
  folders: ['server', 'store', 'csc', 'gateway', 'auth', 'audit'],
};

describe('signet starts at once (issue 18 §4)', () => {
  it('the compiled CLI exists', () => {
    assert.ok(existsSync(join(process.cwd(), 'dist', 'cli', 'main.js')), 'run npm run build before the CLI tests');
  });

  it('`signet --help` loads the command table and nothing of any command', () => {
    const r = modulesLoadedBy(['--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^usage: signet <command>/);
    const ours = r.urls.filter((u) => u.includes('/dist/'));
    assert.ok(ours.some((u) => u.endsWith('/dist/cli/main.js')), 'the hook saw the CLI load');
    assert.deepEqual(
      ours.filter((u) => !/\/dist\/(cli\/main|cli\/commands\/index|core\/errors)\.js$/.test(u)),
      [],
    );
    assert.deepEqual(r.urls.filter((u) => u.includes('/node_modules/')), []);
    assert.deepEqual(loadedFrom(r.urls, serverSide), []);
  });
});
