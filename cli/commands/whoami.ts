import { parseArgs } from 'node:util';
import { SessionExpiredError } from '../../extension/auth/refresh';
import { decodeJwtClaims, relativeTime, type StoredSession } from '../../extension/auth/session';
import { sessionStore, storedBackends } from '../auth';
import { EXIT } from '../common';

export const WHOAMI_SUMMARY = 'Show who you are signed in as: user, org, roles, token expiry.';

export const WHOAMI_HELP = `Usage:
  navi whoami [--json]

Prints the user, org, roles and token expiry of the bearer token NAVI would send: NAVI_TOKEN
when it is set (decoded, NOT verified: the control plane verifies it), else the session that
navi login stored (renewed first when it is about to expire).

Options:
  --json    Print {source, sub, email, name, org, roles, issuer, audience, expiresAt} as JSON.

Exit codes: 0 signed in (or NAVI_TOKEN set), 1 not signed in or the session ended, 2 bad usage.`;

export interface WhoamiIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

interface Identity {
  source: 'NAVI_TOKEN' | 'keyring' | 'file';
  sub?: string;
  email?: string;
  name?: string;
  org?: string;
  roles: string[];
  issuer?: string;
  audience?: string | string[];
  /** ISO-8601, when the access token expires. */
  expiresAt?: string;
}

/** `navi whoami …` (args after `whoami`). */
export async function whoamiCommand(args: string[], io: WhoamiIo = process): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(`${WHOAMI_HELP}\n`);
    return EXIT.ok;
  }

  let identity: Identity | undefined;
  let where = '';
  if (io.env.NAVI_TOKEN) {
    const claims = decodeJwtClaims(io.env.NAVI_TOKEN.trim());
    if (!claims) {
      io.stderr.write(
        'navi: NAVI_TOKEN is set but is not a JWT; NAVI sends it as it is and cannot show who it names.\n',
      );
      return EXIT.failure;
    }
    identity = fromClaims(claims);
    where = 'from NAVI_TOKEN (decoded, not verified: the control plane verifies it)';
  } else {
    for (const backend of await storedBackends(io.env)) {
      let session: StoredSession | undefined;
      try {
        session = await sessionStore(backend).fresh();
      } catch (error) {
        if (!(error instanceof SessionExpiredError)) throw error;
        io.stderr.write(`navi: ${error.message.replace('Sign in again', 'Run "navi login"')}\n`);
        return EXIT.failure;
      }
      if (!session) continue;
      identity = fromSession(session, backend.kind === 'keyring' ? 'keyring' : 'file');
      where = `session in ${backend.where}`;
      break;
    }
  }
  if (!identity) {
    if (values.json) io.stdout.write('null\n');
    io.stderr.write('navi: not signed in. Run "navi login" (or set NAVI_TOKEN in CI).\n');
    return EXIT.failure;
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(identity, null, 2)}\n`);
    return EXIT.ok;
  }
  const expires = identity.expiresAt ? Date.parse(identity.expiresAt) : undefined;
  const lines = [
    `Signed in as ${identity.email ?? identity.sub ?? 'an unnamed user'}${identity.name ? ` (${identity.name})` : ''}, ${where}`,
    `  org:      ${identity.org ?? '(no org claim)'}`,
    `  roles:    ${identity.roles.join(', ') || '(none)'}`,
    `  subject:  ${identity.sub ?? '(none)'}`,
    `  issuer:   ${identity.issuer ?? '(none)'}`,
    ...(identity.audience ? [`  audience: ${[identity.audience].flat().join(', ')}`] : []),
    ...(expires !== undefined
      ? [
          `  expires:  ${identity.expiresAt} (${expires <= Date.now() ? 'EXPIRED ' : ''}${relativeTime(expires, Date.now())})`,
        ]
      : []),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

function fromSession(session: StoredSession, source: Identity['source']): Identity {
  const { account } = session;
  return {
    source,
    sub: account.sub,
    ...(account.email ? { email: account.email } : {}),
    ...(account.name ? { name: account.name } : {}),
    org: account.org,
    roles: account.roles,
    issuer: session.issuer,
    ...(session.audience ? { audience: session.audience } : {}),
    expiresAt: new Date(session.expiresAt).toISOString(),
  };
}

function fromClaims(claims: Record<string, unknown>): Identity {
  const text = (name: string) => (typeof claims[name] === 'string' ? (claims[name] as string) : undefined);
  const roles = claims.navi_roles;
  const aud = claims.aud;
  const result: Identity = {
    source: 'NAVI_TOKEN',
    roles: Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [],
  };
  for (const [key, claim] of [
    ['sub', 'sub'],
    ['email', 'email'],
    ['name', 'name'],
    ['org', 'navi_org'],
    ['issuer', 'iss'],
  ] as const) {
    const value = text(claim);
    if (value) result[key] = value;
  }
  if (typeof aud === 'string' || Array.isArray(aud)) result.audience = aud as string | string[];
  if (typeof claims.exp === 'number') result.expiresAt = new Date(claims.exp * 1000).toISOString();
  return result;
}
