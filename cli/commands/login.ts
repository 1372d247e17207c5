import { parseArgs } from 'node:util';
import { startDeviceAuthorization } from '../../extension/auth/oidc';
import { accountDisplay } from '../../extension/auth/session';
import {
  CONFIG_HINT,
  configFile,
  fileBackend,
  memoryBackend,
  openKeyring,
  resolveSettings,
  sessionFile,
  sessionStore,
  storedBackends,
  type SessionBackend,
} from '../auth';
import { EXIT, UsageError } from '../common';

export const LOGIN_SUMMARY = "Sign in to your org's identity provider (device code).";

export const LOGIN_HELP = `Usage:
  navi login [--issuer URL] [--client-id ID] [--audience A] [--scopes S] [--store-file] [--print-token]

Signs in with the OAuth device code flow (RFC 8628): NAVI prints a URL and a code; open the URL
on any device, enter the code and sign in. NAVI waits until you approve (or the code expires).

Where the session is kept:
  - the OS keyring (Secret Service, Keychain, Credential Manager) when the optional keytar module
    is installed and the keyring answers;
  - with --store-file, ${sessionFile()} (mode 0600), readable by anyone who can read your
    files as you: use it only where no keyring exists;
  - otherwise nowhere: navi login refuses, unless --print-token prints the access token for
    NAVI_TOKEN (export NAVI_TOKEN=$(navi login --print-token)); it is not renewed.
The session is renewed with its refresh token before it expires.

Options:
  --issuer URL      The OIDC issuer (https; http only for 127.0.0.1 / localhost).
  --client-id ID    The client id NAVI is registered with. Default: navi.
  --audience A      Resource indicator of the org's control plane (sent as "resource").
  --scopes S        Space-separated. Default: "openid email profile offline_access".
  --store-file      Keep the session in the file above when no keyring is available.
  --print-token     Print the access token on stdout (everything else goes to stderr).

Defaults for --issuer, --client-id, --audience and --scopes come from "auth" in
${configFile()}:
  { "auth": { "issuer": "https://login.example.com", "clientId": "navi", "audience": "urn:navi:control-plane" } }

Exit codes: 0 signed in, 1 failure (denied, expired, unreachable issuer), 2 bad usage, 130 interrupted.`;

export interface LoginIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** `navi login …` (args after `login`). */
export async function loginCommand(args: string[], io: LoginIo = process): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      audience: { type: 'string' },
      scopes: { type: 'string' },
      'store-file': { type: 'boolean', default: false },
      'print-token': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(`${LOGIN_HELP}\n`);
    return EXIT.ok;
  }
  const settings = resolveSettings(values, io.env);

  // Decide where the session goes before asking the user to sign in.
  const keyring = await openKeyring(io.env);
  let backend: SessionBackend;
  if (keyring.backend) backend = keyring.backend;
  else if (values['store-file']) backend = fileBackend(io.env);
  else if (values['print-token']) backend = memoryBackend();
  else {
    throw new UsageError(
      `cannot keep a session: ${keyring.problem}. Choose one:\n` +
        `  navi login --store-file      keep it in ${sessionFile(io.env)} (mode 0600)\n` +
        `  export NAVI_TOKEN=$(navi login --print-token)   this shell only, not renewed\n` +
        `  or install NAVI with its optional dependencies (keytar; on Linux it needs libsecret and a running Secret Service)`,
    );
  }
  if (backend.kind === 'memory')
    io.stderr.write(`navi: ${keyring.problem}; the session is not stored, only printed.\n`);

  const pending = await startDeviceAuthorization(settings, CONFIG_HINT);
  io.stderr.write(
    `To sign in, open ${pending.verificationUri}\nand enter the code: ${pending.userCode}\n` +
      (pending.verificationUriComplete ? `(or open ${pending.verificationUriComplete})\n` : '') +
      `Waiting for approval (the code expires in ${Math.round((pending.expiresAt - Date.now()) / 60_000)} min; Ctrl+C to stop)…\n`,
  );

  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  let session;
  try {
    session = await pending.wait(abort.signal);
  } catch (error) {
    if (abort.signal.aborted) {
      io.stderr.write('navi: sign-in interrupted.\n');
      return EXIT.interrupted;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
  }

  // A previous session elsewhere (say the file, now that a keyring exists) would shadow nothing
  // but stay readable: remove it.
  for (const other of await storedBackends(io.env)) {
    if (other.kind !== backend.kind) await sessionStore(other).clear();
  }
  const store = sessionStore(backend);
  await store.write(session);
  io.stderr.write(
    `Signed in as ${accountDisplay(session.account)}${session.account.roles.length ? `, roles ${session.account.roles.join(', ')}` : ''}.\n` +
      (backend.kind === 'memory' ? '' : `Session kept in ${backend.where}.\n`),
  );
  if (values['print-token']) io.stdout.write(`${session.accessToken}\n`);
  return EXIT.ok;
}
