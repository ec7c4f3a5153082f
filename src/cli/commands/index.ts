/** The registry of `signet` sub-commands (one import per command module). */
import type { Command } from '../command.js';
import { caCommand } from './ca.js';
import { extendCommand } from './extend.js';
import { keysCommand } from './keys.js';
import { pkiCommand } from './pki.js';
import { signCommand } from './sign.js';
import { tokenServerCommand } from './token-server.js';
import { verifyCommand } from './verify.js';

export const commands: readonly Command[] = [
  caCommand,
  extendCommand,
  keysCommand,
  pkiCommand,
  signCommand,
  tokenServerCommand,
  verifyCommand,
];
