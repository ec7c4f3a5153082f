/** Entry point of the `signet` command: dispatches to a sub-command, maps errors to one line. */
import { isSignetError } from '../core/errors.js';
import type { CliIo } from './command.js';
import { commands } from './commands/index.js';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: signet <command> [options]\n\ncommands:\n${lines.join('\n')}\n  ${'help'.padEnd(width)}  show a command's usage\n`;
}

/** True when `--help` or `-h` comes before a `--` terminator. */
function asksForHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

const quietOutputs = new WeakSet<NodeJS.WritableStream>();

/**
 * A reader that closes the pipe (`signet verify F | head -1`) makes the next write fail with
 * EPIPE, emitted as an 'error' event that nothing handled: a stack trace and exit 1. From then
 * on the output is simply gone: later writes are dropped and the command ends as it would have
 * (the exit code stays its own), without a word on stderr.
 */
function dropWritesAfterClosedPipe(stream: NodeJS.WritableStream): void {
  if (quietOutputs.has(stream)) return;
  quietOutputs.add(stream);
  let closed = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    // After EPIPE the stream is destroyed; what later writes report is the same closed pipe.
    if (closed || err.code === 'EPIPE') {
      closed = true;
      return;
    }
    throw err;
  });
}

/** Runs `signet argv…`; never throws; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  dropWritesAfterClosedPipe(io.stdout);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  try {
    if (name === 'help') {
      const target = commands.find((c) => c.name === rest[0]);
      io.stdout.write(target ? `${(await target.load()).usage}\n` : usage());
      return 0;
    }
    const entry = commands.find((c) => c.name === name);
    if (!entry) {
      io.stderr.write(`error: ERR_CLI_USAGE: unknown command '${name}' (try 'signet help')\n`);
      return 2;
    }
    // Only the command that runs is imported (issue 18 §4: the CLI starts at once).
    const command = await entry.load();
    // GNU coding standards §4.8.2: --help prints the usage on stdout and exits successfully.
    if (asksForHelp(rest)) {
      io.stdout.write(`${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    io.stderr.write(`${formatError(err)}\n`);
    return isSignetError(err) && err.code === 'ERR_CLI_USAGE' ? 2 : 1;
  }
}

/** One line, `error: ERR_<CODE>: <message>`, never a stack trace. */
export function formatError(err: unknown): string {
  if (isSignetError(err)) return `error: ${err.code}: ${err.message}`;
  const code =
    typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
      ? err.code
      : 'ERR_INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  return `error: ${code.startsWith('ERR_') ? code : `ERR_SYSTEM_${code}`}: ${message.split('\n')[0]}`;
}

