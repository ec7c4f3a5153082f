/** The shape of one `signet` sub-command. */

/** Where a command writes; injected so tests can capture output. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** One sub-command: `signet <name> …`. `run` returns the process exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage text printed by `signet help <name>`. */
  readonly usage: string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}
