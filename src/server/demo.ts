/**
 * `signet serve --demo`: creates ONCE a demo user (password + TOTP, role admin so the web app's
 * Administration page can be shown), a credential with a PIN and
 * a demo OAuth client, and records them in `<data dir>/demo.json` (0600). Later starts read the
 * file back and create nothing.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { randomBytes, randomInt } from 'node:crypto';
import { ServerError } from './errors.js';
import type { Services } from './services.js';

/** The content of demo.json. */
export interface DemoAccount {
  readonly username: string;
  readonly password: string;
  /** RFC 4648 base32, as authenticator apps take it. */
  readonly totpSecret: string;
  readonly credentialID: string;
  readonly pin: string;
  /** The demo OAuth client (public, PKCE). */
  readonly clientId: string;
  readonly redirectUri: string;
}

/** The demo client's redirect URI (RFC 8252 §7.3 loopback; any port is accepted for loopback). */
export const demoRedirectUri = 'http://127.0.0.1/callback';

function readDemo(path: string): DemoAccount {
  try {
    const demo = JSON.parse(readFileSync(path, 'utf8')) as DemoAccount;
    if (typeof demo.username !== 'string' || typeof demo.credentialID !== 'string') {
      throw new ServerError('ERR_SERVER_DATA_DIR', 'demo.json is malformed');
    }
    return demo;
  } catch (cause) {
    if (cause instanceof ServerError) throw cause;
    throw new ServerError('ERR_SERVER_DATA_DIR', `cannot read ${path}`, { cause });
  }
}

function writeDemo(path: string, demo: DemoAccount): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(demo, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Returns the demo account, creating it (user, TOTP, credential, client) on the first call.
 *
 * @example
 * ```ts
 * const { demo, created } = await ensureDemoAccount(services);
 * ```
 */
export async function ensureDemoAccount(
  services: Pick<Services, 'admin' | 'layout'>,
): Promise<{ readonly demo: DemoAccount; readonly created: boolean }> {
  const path = services.layout.demoFile;
  if (existsSync(path)) return { demo: readDemo(path), created: false };
  const origin = { via: 'cli' as const };
  const suffix = randomBytes(3).toString('hex');
  // A shared PostgreSQL may already hold another node's demo user: the name must be free.
  const taken = new Set((await services.admin.listUsers()).map((u) => u.username));
  const username = taken.has('demo') ? `demo-${suffix}` : 'demo';
  const password = randomBytes(12).toString('base64url');
  const user = await services.admin.createUser({ username, password, totp: true, role: 'admin' }, origin);
  const pin = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const { credentialID } = await services.admin.createCredential(
    { user: user.userId, backend: 'software', algorithm: 'EC-P256', pin, commonName: 'Signet Demo User' },
    origin,
  );
  const clientIds = new Set((await services.admin.listClients()).map((c) => c.id));
  const clientId = clientIds.has('signet-demo') ? `signet-demo-${suffix}` : 'signet-demo';
  await services.admin.createClient(
    {
      clientId,
      name: 'Signet demo client',
      clientType: 'public',
      redirectUris: [demoRedirectUri],
      allowedScopes: ['service', 'credential'],
    },
    origin,
  );
  const demo: DemoAccount = {
    username,
    password,
    totpSecret: user.totp?.secret ?? '',
    credentialID,
    pin,
    clientId,
    redirectUri: demoRedirectUri,
  };
  writeDemo(path, demo);
  return { demo, created: true };
}
