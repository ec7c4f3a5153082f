/**
 * `signet token-server` as a child process over its own SoftHSM2 token (run from the TypeScript
 * sources, no build), with the mutual-TLS files a signing node needs: the real thing a test can
 * kill (issue 16 §2).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initSoftHsm, softhsmModule } from './softhsm.js';
import { makeMutualTls } from './tls.js';
import { signetCommand } from '../../support/signet-command.js';


/** The client identity files of a signing node (SIGNET_TOKEN_SERVER_*_FILE). */
export interface TokenClientFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  /** The server side, for the token servers. */
  readonly serverCert: string;
  readonly serverKey: string;
}

/** Makes a CA, a server and a client certificate under `dir` and writes them as files. */
export function tokenTlsFiles(dir: string): TokenClientFiles {
  mkdirSync(dir, { recursive: true });
  const tls = makeMutualTls(dir);
  const files = {
    cert: join(dir, 'node-cert.pem'),
    key: join(dir, 'node-key.pem'),
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
  };
  writeFileSync(files.cert, tls.client.cert);
  writeFileSync(files.key, tls.client.key, { mode: 0o600 });
  return files;
}

/** The environment of a signing node using `servers` (name → URL). */
export function tokenServersEnv(
  files: TokenClientFiles,
  servers: Readonly<Record<string, string>>,
): NodeJS.ProcessEnv {
  return {
    SIGNET_TOKEN_SERVERS: Object.entries(servers)
      .map(([name, url]) => `${name}=${url}`)
      .join(','),
    SIGNET_TOKEN_SERVER_CERT_FILE: files.cert,
    SIGNET_TOKEN_SERVER_KEY_FILE: files.key,
    SIGNET_TOKEN_SERVER_CA_FILE: files.ca,
  };
}

/** Two token servers as the issue 16 §2 tests use them, and the node environment naming them. */
export interface TwoTokenServers {
  readonly files: TokenClientFiles;
  /** `t1` over token card-1, `t2` over card-2, each with its own SoftHSM2 directory. */
  readonly t1: TokenServerProcess;
  readonly t2: TokenServerProcess;
  /** SIGNET_TOKEN_SERVERS (t1, t2) and the client identity files. */
  readonly env: NodeJS.ProcessEnv;
}

/** Starts `t1` and `t2` under `dir` (mutual-TLS files in `dir/tls`), stopped when the test ends. */
export async function startTwoTokenServers(
  t: { after(fn: () => unknown): void },
  dir: string,
): Promise<TwoTokenServers> {
  const files = tokenTlsFiles(join(dir, 'tls'));
  const [t1, t2] = await Promise.all([
    startTokenServerProcess(join(dir, 'hsm-1'), ['card-1'], files),
    startTokenServerProcess(join(dir, 'hsm-2'), ['card-2'], files),
  ]);
  t.after(() => Promise.all([t1.stop(), t2.stop()]));
  return { files, t1, t2, env: tokenServersEnv(files, { t1: t1.url, t2: t2.url }) };
}

/** A running token server process. */
export interface TokenServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGKILL (a crashed machine or a pulled cable): resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

/**
 * Initialises SoftHSM2 tokens `labels` in `dir` (a token directory of their own) and starts
 * `signet token-server` over them on 127.0.0.1 (port 0, or `port` to come back on the same one).
 */
export async function startTokenServerProcess(
  dir: string,
  labels: readonly string[],
  files: TokenClientFiles,
  port = 0,
  timeoutMs = 60_000,
): Promise<TokenServerProcess> {
  mkdirSync(dir, { recursive: true });
  const tokens = initSoftHsm(dir, labels);
  const args = ['token-server', '--pkcs11-module', softhsmModule];
  tokens.forEach((token, i) => {
    const pinFile = join(dir, `pin-${i}`);
    writeFileSync(pinFile, token.pin, { mode: 0o600 });
    args.push('--token', token.label, '--pin-file', pinFile);
  });
  args.push(
    '--tls-cert',
    files.serverCert,
    '--tls-key',
    files.serverKey,
    '--client-ca',
    files.ca,
    '--listen',
    `127.0.0.1:${port}`,
  );
  return spawnTokenServer(
    args,
    { ...process.env, SOFTHSM2_CONF: join(dir, 'softhsm2.conf') },
    timeoutMs,
  );
}

function spawnTokenServer(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<TokenServerProcess> {
  const child = spawn(process.execPath, [...signetCommand(), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`signet token-server did not start in time:\n${out}\n${err}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (https:\/\/\S+)/.exec(out);
      if (m?.[1] === undefined) return;
      clearTimeout(timer);
      resolve({ url: m[1], child, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') });
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`signet token-server exited:\n${out}\n${err}`));
    });
  });
}
