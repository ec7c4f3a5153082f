/** CLI usage errors. */
import { SignetError } from '../core/errors.js';

export type CliErrorCode = 'ERR_CLI_USAGE' | 'ERR_CLI_INPUT' | 'ERR_CLI_WORKER';

/** A command line that cannot be run as given (unknown option, missing argument, bad file). */
export class CliError extends SignetError<CliErrorCode> {}
