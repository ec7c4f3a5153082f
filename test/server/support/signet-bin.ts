/** `signet` straight from the TypeScript sources (no build), for child-process tests: node --import tsx signet-bin.ts … */
import { main } from '../../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
