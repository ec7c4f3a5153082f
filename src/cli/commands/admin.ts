/**
 * `signet admin …`: the administrator operations run directly on a data directory (or
 * DATABASE_URL), through the same AdminService as the admin API, every action audited:
 * users create|disable|list|set-role|require-passkey|factors|revoke-factor|reset-factors, clients
 * create|list, credentials create|add-key|disable|revoke|list, token create (an admin bearer token for the
 * admin API). Recovery of a user who lost their second factors is `users reset-factors`.
 */
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import type { parseArgs } from 'node:util';
import {
  createLogger,
  createServices,
  dataDirLayout,
  issueAdminToken,
  loadServerConfig,
  type AdminOrigin,
  type CredentialAlgorithm,
  type Services,
  type SubjectFields,
} from '../../server/index.js';
import type { UserRole } from '../../store/index.js';
import { credentialOperationsFor } from '../../server/surfaces.js';
import type { CliIo, Command } from '../command.js';
import { CliError } from '../errors.js';
import { parseCliArgs } from '../args.js';

const usage = `usage: signet admin <area> <action> [--data DIR] [options]

  users create --username U [--password P | --password-stdin] [--totp] [--role user|admin]
               [--require-passkey]    (prints the user id, and the otpauth URI with --totp)
  users disable --user U              (by username or id)
  users list
  users set-role USER --role user|admin
  users require-passkey USER [--off]  (the user must sign in with a passkey; --off lifts it)
  users factors USER                  (TOTP state and passkeys: id, name, AAGUID, created, last used)
  users revoke-factor USER (--passkey ID | --totp)
  users reset-factors USER            (recovery: removes every passkey and the TOTP device, ends
                                       the user's web sessions; the user enrols again)
  clients create --name N [--client-id ID] [--public] [--redirect-uri URI]… [--scope S]…
                 [--tls-subject-dn DN | --tls-san-dns NAME | --tls-self-signed-cert FILE]
                                      (scopes: service, credential; prints a confidential client's secret once;
                                       a --tls-* option registers a mutual-TLS client instead, RFC 8705:
                                       no secret, its certificate authenticates it and binds its tokens)
  clients list
  credentials create --user U [--backend software|pkcs11|remote:NAME] [--algorithm EC-P256|EC-P384|RSA-2048|RSA-3072]
                     [--pin PIN] [--common-name CN] [--profile NAME] [subject options]
  credentials add-key --credential ID --backend B
                                      (a further key on another token with its own certificate,
                                       same subject; signatures go to the least busy key)
  credentials enroll --csr FILE --user U [--profile NAME] [--pin PIN] [subject options]
                     (a key held elsewhere: the CSR's signature is checked, the certificate
                      issued; the credential signs in external mode, docs/certificate-profiles.md)
      subject options: [--given-name G] [--surname S] [--serial-number PNOCZ-…] [--country CC]
                       [--organization O] (what the profile requires; the rest comes from the CSR)
  credentials disable --credential ID
  credentials revoke --credential ID [--reason keyCompromise|…]
  credentials list [--user U]
  token create [--ttl SECONDS]        (an admin API bearer token, printed once)

  Works on DIR (default ./signet-data) or DATABASE_URL; add --json for machine-readable output.`;

const options = {
  data: { type: 'string' },
  json: { type: 'boolean' },
  username: { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  totp: { type: 'boolean' },
  user: { type: 'string' },
  name: { type: 'string' },
  'client-id': { type: 'string' },
  public: { type: 'boolean' },
  'redirect-uri': { type: 'string', multiple: true },
  'tls-subject-dn': { type: 'string' },
  'tls-san-dns': { type: 'string' },
  'tls-self-signed-cert': { type: 'string' },
  scope: { type: 'string', multiple: true },
  backend: { type: 'string' },
  algorithm: { type: 'string' },
  pin: { type: 'string' },
  'common-name': { type: 'string' },
  profile: { type: 'string' },
  'given-name': { type: 'string' },
  surname: { type: 'string' },
  'serial-number': { type: 'string' },
  country: { type: 'string' },
  organization: { type: 'string' },
  csr: { type: 'string' },
  credential: { type: 'string' },
  reason: { type: 'string' },
  ttl: { type: 'string' },
  role: { type: 'string' },
  'require-passkey': { type: 'boolean' },
  off: { type: 'boolean' },
  passkey: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];

const algorithms: readonly CredentialAlgorithm[] = ['RSA-2048', 'RSA-3072', 'EC-P256', 'EC-P384'];

/** The RFC 8705 §2 binding of `clients create`: at most one of the three --tls-* options. */
function tlsClientAuthOption(
  values: Values,
): { subjectDn: string } | { sanDns: string } | { selfSignedCertificatePem: string } | undefined {
  const given = (['tls-subject-dn', 'tls-san-dns', 'tls-self-signed-cert'] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (given.length > 1) throw new CliError('ERR_CLI_USAGE', 'give one of --tls-subject-dn, --tls-san-dns, --tls-self-signed-cert');
  if (values['tls-subject-dn'] !== undefined) return { subjectDn: values['tls-subject-dn'] };
  if (values['tls-san-dns'] !== undefined) return { sanDns: values['tls-san-dns'] };
  const file = values['tls-self-signed-cert'];
  if (file === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new CliError('ERR_CLI_INPUT', `--tls-self-signed-cert ${file} cannot be read`, { cause });
  }
  return { selfSignedCertificatePem: pem };
}

function required(values: Values, name: 'username' | 'user' | 'name' | 'credential' | 'backend'): string {
  const v = values[name];
  if (v === undefined || v === '') throw new CliError('ERR_CLI_USAGE', `--${name} is required`);
  return v;
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

function print(io: CliIo, json: boolean, value: unknown, text: string): void {
  io.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => (Array.isArray(r[c]) ? (r[c] as unknown[]).join(',') : String(r[c] ?? ''))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string => row.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

/** The subject options of `credentials create|enroll`. */
function subjectFieldsOf(values: Values): SubjectFields {
  return {
    ...(values['given-name'] !== undefined ? { givenName: values['given-name'] } : {}),
    ...(values.surname !== undefined ? { surname: values.surname } : {}),
    ...(values['serial-number'] !== undefined ? { serialNumber: values['serial-number'] } : {}),
    ...(values.country !== undefined ? { country: values.country } : {}),
    ...(values.organization !== undefined ? { organization: values.organization } : {}),
  };
}

function roleOf(text: string | undefined): UserRole | undefined {
  if (text === undefined) return undefined;
  if (text !== 'user' && text !== 'admin') throw new CliError('ERR_CLI_USAGE', '--role is user or admin');
  return text;
}

/** The user named by the first positional argument or --user. */
function userArg(values: Values, positionals: readonly string[]): string {
  const user = positionals[0] ?? values.user;
  if (user === undefined || user === '') throw new CliError('ERR_CLI_USAGE', 'name the user (USER or --user)');
  return user;
}

async function dispatch(area: string, action: string, values: Values, services: Services, io: CliIo, positionals: readonly string[] = []): Promise<number> {
  const json = values.json === true;
  const origin: AdminOrigin = { via: 'cli' };
  const admin = services.admin;
  switch (`${area} ${action}`) {
    case 'users create': {
      const password = values['password-stdin'] === true ? await readStdinLine() : values.password;
      if (password === undefined) throw new CliError('ERR_CLI_USAGE', '--password or --password-stdin is required');
      const role = roleOf(values.role);
      const created = await admin.createUser(
        {
          username: required(values, 'username'),
          password,
          totp: values.totp === true,
          ...(role !== undefined ? { role } : {}),
          ...(values['require-passkey'] === true ? { requirePasskey: true } : {}),
        },
        origin,
      );
      const text = [`user ${created.username} created: ${created.userId}`];
      if (created.totp) text.push(`TOTP secret (shown once): ${created.totp.secret}`, `otpauth URI: ${created.totp.uri}`);
      print(io, json, created, text.join('\n'));
      return 0;
    }
    case 'users disable': {
      const { userId } = await admin.disableUser(required(values, 'user'), origin);
      print(io, json, { userId, status: 'disabled' }, `user ${userId} disabled`);
      return 0;
    }
    case 'users set-role': {
      const role = roleOf(values.role);
      if (role === undefined) throw new CliError('ERR_CLI_USAGE', '--role is required');
      const r = await admin.setRole(userArg(values, positionals), role, origin);
      print(io, json, r, `user ${r.userId} has the role ${r.role}`);
      return 0;
    }
    case 'users require-passkey': {
      const r = await admin.setRequirePasskey(userArg(values, positionals), values.off !== true, origin);
      print(io, json, r, `user ${r.userId} ${r.requirePasskey ? 'must sign in with a passkey' : 'may sign in with TOTP again'}`);
      return 0;
    }
    case 'users factors': {
      const f = await admin.listFactors(userArg(values, positionals));
      const passkeys = f.passkeys.map((p) => ({
        ...p,
        createdAt: new Date(p.createdAt).toISOString(),
        lastUsedAt: p.lastUsedAt === null ? 'never' : new Date(p.lastUsedAt).toISOString(),
      }));
      const totp = f.totp.enrolled ? 'enrolled' : f.totp.pending ? 'pending confirmation' : 'none';
      print(
        io,
        json,
        f,
        [
          `user ${f.userId}: TOTP ${totp}; ${f.requirePasskey ? 'passkey required' : 'TOTP or passkey'}`,
          table(passkeys as unknown as Record<string, unknown>[], ['id', 'name', 'aaguid', 'createdAt', 'lastUsedAt']),
        ].join('\n'),
      );
      return 0;
    }
    case 'users revoke-factor': {
      const user = userArg(values, positionals);
      if (values.passkey !== undefined) {
        const { sessionsEnded } = await admin.revokePasskey(user, values.passkey, origin);
        print(io, json, { revoked: values.passkey, sessionsEnded }, `revoked passkey ${values.passkey}; ${sessionsEnded} web session(s) of the user ended`);
        return 0;
      }
      if (values.totp !== true) throw new CliError('ERR_CLI_USAGE', '--passkey ID or --totp is required');
      const { sessionsEnded } = await admin.revokeTotp(user, origin);
      print(io, json, { revoked: 'totp', sessionsEnded }, `revoked the TOTP device; ${sessionsEnded} web session(s) ended`);
      return 0;
    }
    case 'users reset-factors': {
      const r = await admin.resetFactors(userArg(values, positionals), origin);
      print(io, json, r, `user ${r.userId}: ${r.passkeys} passkey(s) and ${r.totp ? 'the' : 'no'} TOTP device removed, ${r.sessions} session(s) ended; the user signs in with the password and enrols again`);
      return 0;
    }
    case 'users list': {
      const users = await admin.listUsers();
      print(io, json, users, table(users as unknown as Record<string, unknown>[], ['username', 'id', 'status', 'hasTotp', 'locked']));
      return 0;
    }
    case 'clients create': {
      const scopes = values.scope ?? ['service', 'credential'];
      const tlsClientAuth = tlsClientAuthOption(values);
      const created = await admin.createClient(
        {
          name: required(values, 'name'),
          clientType: values.public === true ? 'public' : 'confidential',
          redirectUris: values['redirect-uri'] ?? [],
          allowedScopes: scopes,
          ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
          ...(tlsClientAuth !== undefined ? { tlsClientAuth } : {}),
        },
        origin,
      );
      const text = [`client ${created.clientId} created`];
      if (created.clientSecret !== undefined) text.push(`client secret (shown once): ${created.clientSecret}`);
      print(io, json, created, text.join('\n'));
      return 0;
    }
    case 'clients list': {
      const clients = await admin.listClients();
      const rows = clients.map((c) => ({ ...c, authMethod: c.tlsClientAuth?.method ?? (c.clientType === 'public' ? 'none' : 'client_secret') }));
      print(io, json, clients, table(rows as unknown as Record<string, unknown>[], ['id', 'name', 'clientType', 'authMethod', 'allowedScopes', 'redirectUris']));
      return 0;
    }
    case 'credentials create': {
      const algorithm = (values.algorithm ?? 'EC-P256') as CredentialAlgorithm;
      if (!algorithms.includes(algorithm)) {
        throw new CliError('ERR_CLI_USAGE', `--algorithm must be one of ${algorithms.join(', ')}`);
      }
      const user = required(values, 'user');
      const created = await admin.createCredential(
        {
          user,
          backend: values.backend ?? 'software',
          algorithm,
          commonName: values['common-name'] ?? user,
          subject: subjectFieldsOf(values),
          ...(values.pin !== undefined ? { pin: values.pin } : {}),
          ...(values.profile !== undefined ? { profile: values.profile } : {}),
        },
        origin,
      );
      print(io, json, created, `credential created: ${created.credentialID}`);
      return 0;
    }
    case 'credentials add-key': {
      const id = required(values, 'credential');
      const added = await admin.addCredentialKey(id, required(values, 'backend'), origin);
      print(io, json, added, `key ${added.keyId} added to credential ${id}: certificate ${added.serialNumber}`);
      return 0;
    }
    case 'credentials enroll': {
      if (values.csr === undefined || values.csr === '') throw new CliError('ERR_CLI_USAGE', '--csr FILE is required');
      let csr: Uint8Array;
      try {
        csr = new Uint8Array(readFileSync(values.csr));
      } catch (cause) {
        throw new CliError('ERR_CLI_INPUT', `cannot read --csr ${values.csr}`, { cause });
      }
      const enrolled = await admin.enrollCredential(
        {
          user: required(values, 'user'),
          csr,
          subject: { ...subjectFieldsOf(values), ...(values['common-name'] !== undefined ? { commonName: values['common-name'] } : {}) },
          ...(values.profile !== undefined ? { profile: values.profile } : {}),
          ...(values.pin !== undefined ? { pin: values.pin } : {}),
        },
        origin,
      );
      print(io, json, enrolled, `credential enrolled (external key): ${enrolled.credentialID}, certificate ${enrolled.serialNumber}`);
      return 0;
    }
    case 'credentials disable': {
      const id = required(values, 'credential');
      await admin.disableCredential(id, origin);
      print(io, json, { credentialID: id, status: 'disabled' }, `credential ${id} disabled`);
      return 0;
    }
    case 'credentials revoke': {
      const id = required(values, 'credential');
      await admin.revokeCredential(id, values.reason ?? 'unspecified', origin);
      print(io, json, { credentialID: id, status: 'revoked' }, `credential ${id} revoked`);
      return 0;
    }
    case 'credentials list': {
      const credentials = await admin.listCredentials(values.user);
      print(io, json, credentials, table(credentials as unknown as Record<string, unknown>[], ['id', 'username', 'backendKind', 'status', 'locked', 'scal']));
      return 0;
    }
    case 'token create': {
      const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
      const issued = await issueAdminToken(services, origin, ttl);
      print(io, json, { access_token: issued.value, expiresAt: issued.expiresAt }, `admin token (shown once): ${issued.value}`);
      return 0;
    }
    default:
      io.stderr.write(`${usage}\n`);
      return 2;
  }
}

/** The `signet admin` command. */
export const adminCommand: Command = {
  name: 'admin',
  summary: 'manage users, OAuth clients, credentials and admin tokens',
  usage,
  async run(argv, io) {
    const [area, action, ...rest] = argv;
    if (area === undefined || action === undefined) {
      io.stderr.write(`${usage}\n`);
      return 2;
    }
    // `users <action> USER` takes the user as a positional argument; everything else is options.
    const parsed = parseCliArgs({ args: [...rest], options, strict: true, allowPositionals: area === 'users' });
    const values: Values = parsed.values;
    if (parsed.positionals.length > 1) throw new CliError('ERR_CLI_USAGE', 'one user at a time');
    const config = loadServerConfig(values.data !== undefined ? { dataDir: values.data } : {});
    // A served data directory holds ca/ca.json (restored from the database on a new node, issue 16)
    // or, from an older version, secrets.json: an admin command never starts a new installation.
    const layout = dataDirLayout(config.dataDir);
    if (!existsSync(layout.secretsFile) && !existsSync(join(layout.caDir, 'ca.json'))) {
      throw new CliError('ERR_CLI_INPUT', `${config.dataDir} is not an initialised data directory (run signet serve first)`);
    }
    const services = await createServices(config, {
      logger: createLogger('warn', io.stderr),
      credentials: credentialOperationsFor,
    });
    try {
      return await dispatch(area, action, values, services, io, parsed.positionals);
    } finally {
      await services.close();
    }
  },
};
