/** Entry point of the `signet` command: dispatches to a sub-command, maps errors to one line. */
import { isSignetError } from '../core/errors.js';
import type { CliIo } from './command.js';
import { commands } from './commands/index.js';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: signet <command> [options]\n\ncommands:\n${lines.join('\n')}\n  ${'help'.padEnd(width)}  show a command's usage\n`;
}

/** Runs `signet argv…`; never throws; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === 'help') {
    const target = commands.find((c) => c.name === rest[0]);
    io.stdout.write(target ? `${target.usage}\n` : usage());
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`error: ERR_CLI_USAGE: unknown command '${name}' (try 'signet help')\n`);
    return 2;
  }
  try {
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

