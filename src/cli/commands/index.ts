/** The registry of `signet` sub-commands (one import per command module). */
import type { Command } from '../command.js';

export const commands: readonly Command[] = [];
