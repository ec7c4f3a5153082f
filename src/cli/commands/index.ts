/** The registry of `signet` sub-commands (one import per command module). */
import type { Command } from '../command.js';
import { keysCommand } from './keys.js';
import { tokenServerCommand } from './token-server.js';

export const commands: readonly Command[] = [keysCommand, tokenServerCommand];
