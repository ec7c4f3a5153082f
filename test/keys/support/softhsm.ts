/** SoftHSM2 test tokens: a private SOFTHSM2_CONF and token directory per test file. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from '../../support/tools.js';

/** Debian's SoftHSM2 PKCS#11 library. */
export const softhsmModule = '/usr/lib/softhsm/libsofthsm2.so';

/** A token initialised for a test. */
export interface TestToken {
  readonly label: string;
  readonly pin: string;
  readonly soPin: string;
}

/**
 * Points this process's SOFTHSM2_CONF at a fresh token directory under `dir` (never the system
 * one) and initialises the tokens with `softhsm2-util --init-token --free`. Call before the
 * first backend opens the library in this process (SoftHSM reads its config at C_Initialize).
 */
export function initSoftHsm(dir: string, labels: readonly string[]): TestToken[] {
  const tokenDir = join(dir, 'tokens');
  mkdirSync(tokenDir, { recursive: true });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  process.env['SOFTHSM2_CONF'] = conf;
  return labels.map((label, i) => {
    const token = { label, pin: `user-pin-${i}-1234`, soPin: `so-pin-${i}-5678` };
    const r = runTool(
      'softhsm2-util',
      ['--init-token', '--free', '--label', label, '--so-pin', token.soPin, '--pin', token.pin],
      {
        env: { ...process.env, SOFTHSM2_CONF: conf },
      },
    );
    if (r.status !== 0) throw new Error(`softhsm2-util --init-token failed: ${r.stderr}`);
    return token;
  });
}
