/** Runs `signet serve` as a child process on port 0 and waits for its "listening" line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { signetCommand } from '../../support/signet-command.js';


/** A running server process. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Spawns `signet serve --port 0 …args` with `env` added to the environment. */
export function startServe(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...signetCommand(), 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: '', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`signet serve did not start in time:\n${out}\n${err}`));
    }, timeoutMs);
    const onData = (): void => {
      const m = /^signet: listening on (\S+) port=(\d+)$/m.exec(out);
      if (!m?.[1] || !m[2]) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({
        child,
        url: m[1],
        port: Number(m[2]),
        stdout: () => out,
        stderr: () => err,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`signet serve exited with ${code}:\n${out}\n${err}`));
    });
  });
}
