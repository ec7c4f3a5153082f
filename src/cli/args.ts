/** Argument parsing shared by the commands: node:util parseArgs with its errors as ERR_CLI_USAGE. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './errors.js';

/** `parseArgs(config)`, a bad option or value becoming `CliError('ERR_CLI_USAGE')` (exit 2). */
export function parseCliArgs<const T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (cause) {
    throw new CliError('ERR_CLI_USAGE', cause instanceof Error ? cause.message : 'bad arguments', { cause });
  }
}
