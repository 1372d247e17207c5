import { parseArgs } from 'node:util';
import { revokeSession } from '../../extension/auth/oidc';
import { accountDisplay } from '../../extension/auth/session';
import { CONFIG_HINT, sessionStore, storedBackends } from '../auth';
import { EXIT } from '../common';

export const LOGOUT_SUMMARY = 'Sign out: revoke the session at the identity provider and delete it.';

export const LOGOUT_HELP = `Usage:
  navi logout

Revokes the stored session's tokens at the identity provider (RFC 7009: the refresh token, which
ends the grant, then the access token) and deletes the session from the OS keyring and from the
--store-file file. A JWT access token the provider cannot revoke stays valid until it expires
(minutes). NAVI_TOKEN is not touched: unset it yourself.

Exit codes: 0 signed out (also when no session was stored), 1 failure, 2 bad usage.`;

export interface LogoutIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** `navi logout` (args after `logout`). */
export async function logoutCommand(args: string[], io: LogoutIo = process): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: { help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    io.stdout.write(`${LOGOUT_HELP}\n`);
    return EXIT.ok;
  }
  let signedOut = 0;
  for (const backend of await storedBackends(io.env)) {
    const store = sessionStore(backend);
    const session = await store.read();
    if (!session) continue;
    const problems = await revokeSession(session, CONFIG_HINT);
    await store.clear();
    signedOut++;
    io.stderr.write(
      `Signed out ${accountDisplay(session.account)}; deleted the session from ${backend.where}.\n` +
        (problems.length
          ? `navi: warning: the provider did not revoke every token (${problems.join('; ')}); the access token stays valid until it expires.\n`
          : ''),
    );
  }
  if (signedOut === 0) io.stderr.write('navi: no stored session; nothing to sign out.\n');
  if (io.env.NAVI_TOKEN)
    io.stderr.write('navi: NAVI_TOKEN is still set in this environment: unset it too.\n');
  return EXIT.ok;
}
