/** Audit event types in plain words, for the "Activity" list of the Account page. */

const words: Readonly<Record<string, string>> = {
  'auth.session.login': 'Signed in',
  'auth.session.logout': 'Signed out',
  'auth.password': 'Password checked',
  'auth.otp': 'One-time code checked',
  'auth.totp': 'One-time code checked',
  'auth.totp.enroll': 'Authenticator app set up started',
  'auth.totp.confirm': 'Authenticator app confirmed',
  'auth.totp.remove': 'Authenticator app removed',
  'auth.pin': 'PIN checked',
  'auth.passkey.register': 'Passkey added',
  'auth.passkey.rename': 'Passkey renamed',
  'auth.passkey.remove': 'Passkey removed',
  'auth.passkey.use': 'Passkey used',
  'auth.passkey.clone_suspected': 'Passkey refused: it may have been copied',
  'auth.factors.reset': 'Second factors reset by an administrator',
  'csc.auth.login': 'Signed in to the signing API',
  'csc.auth.revoke': 'Signing API access ended',
  'oauth2.login': 'Signed in to approve signatures',
  'oauth2.consent': 'Signatures approved',
  'oauth2.authorize': 'Approval requested',
  'oauth2.token': 'Approval exchanged for a signing authorization',
  'sad.issue': 'Signing authorization issued',
  'sad.consume': 'Signature made with your key',
  'sad.revoke': 'Signing authorization withdrawn',
  'signing.started': 'Signing started',
  'signing.completed': 'Signing completed',
  'signing.replayed': 'Signing request repeated (nothing signed twice)',
  'signing.abandoned': 'Signing abandoned',
  'credential.create': 'Signing certificate created',
  'credential.revoke': 'Signing certificate revoked',
  'credential.disable': 'Signing certificate disabled',
  'credential.enable': 'Signing certificate enabled',
  'credential.locked': 'Signing certificate locked after wrong PINs',
  'user.locked': 'Account locked after too many attempts',
  'user.unlock': 'Account unlocked',
  'gateway.job.download': 'Signed documents downloaded',
};

/** "sad.consume" → "Signature made with your key"; unknown types read as words. */
export function activityWords(type: string): string {
  return words[type] ?? type.replace(/[._]+/g, ' ').replace(/^./, (c) => c.toUpperCase());
}
