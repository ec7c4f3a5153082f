/** The registry of `signet` sub-commands (one import per command module). */
import type { Command } from '../command.js';
import { adminCommand } from './admin.js';
import { auditCommand } from './audit.js';
import { caCommand } from './ca.js';
import { extendCommand } from './extend.js';
import { keysCommand } from './keys.js';
import { pkiCommand } from './pki.js';
import { serveCommand } from './serve.js';
import { signCommand } from './sign.js';
import { signCscAliasCommand, signCscCommand } from './sign-csc.js';
import { tokenServerCommand } from './token-server.js';
import { verifyCommand } from './verify.js';

export const commands: readonly Command[] = [
  adminCommand,
  auditCommand,
  caCommand,
  extendCommand,
  keysCommand,
  pkiCommand,
  serveCommand,
  signCommand,
  signCscCommand,
  signCscAliasCommand,
  tokenServerCommand,
  verifyCommand,
];
