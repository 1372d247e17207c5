/**
 * A NAVI sign-in session as stored (VS Code SecretStorage, the OS keyring, or the CLI's opt-in
 * file), how it reads, and when it must be refreshed.
 *
 * vscode-free on purpose: the CLI and the unit tests use it too.
 */
import * as z from 'zod';

/** Who the session belongs to, from the ID token (or the access token) claims. Display only. */
export const SessionAccount = z.object({
  /** `sub` of the tokens. */
  sub: z.string(),
  /** `email`, `preferred_username`, `name` or `sub`, the first that is set. */
  label: z.string(),
  email: z.string().optional(),
  name: z.string().optional(),
  /** The org: claim `navi_org` (else `org`, `org_name`), else the issuer's host name. */
  org: z.string(),
  /** Claim `navi_roles` (member, auditor, admin); the control plane decides what they allow. */
  roles: z.array(z.string()),
});
export type SessionAccount = z.infer<typeof SessionAccount>;

export const StoredSession = z.object({
  version: z.literal(1),
  /** Random id of this sign-in; stays the same across refreshes. */
  id: z.string(),
  /** The issuer, client id and audience it was obtained for: a change of settings signs out. */
  issuer: z.string(),
  clientId: z.string(),
  audience: z.string().optional(),
  scopes: z.array(z.string()),
  accessToken: z.string(),
  refreshToken: z.string().optional(),
  idToken: z.string().optional(),
  /** When the access token expires, ms since the epoch (from `expires_in`, else its `exp`). */
  expiresAt: z.number(),
  /** When the access token was obtained, ms since the epoch. */
  obtainedAt: z.number(),
  account: SessionAccount,
});
export type StoredSession = z.infer<typeof StoredSession>;

/** JSON for the secret store. */
export function serializeSession(session: StoredSession): string {
  return JSON.stringify(session);
}

/** The stored text as a session, or undefined when it is missing, not JSON or not a session. */
export function parseSession(text: string | undefined): StoredSession | undefined {
  if (!text) return undefined;
  try {
    const parsed = StoredSession.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Refresh this long before expiry: 10 % of the lifetime, at least 10 s, at most 5 minutes. */
export function refreshMarginMs(session: Pick<StoredSession, 'expiresAt' | 'obtainedAt'>): number {
  const lifetime = Math.max(0, session.expiresAt - session.obtainedAt);
  return Math.min(5 * 60_000, Math.max(10_000, lifetime / 10));
}

/** When a refresh is due (ms since the epoch). */
export function refreshDueAt(session: Pick<StoredSession, 'expiresAt' | 'obtainedAt'>): number {
  return session.expiresAt - refreshMarginMs(session);
}

export function needsRefresh(session: Pick<StoredSession, 'expiresAt' | 'obtainedAt'>, now: number): boolean {
  return now >= refreshDueAt(session);
}

/** Expired, with 5 s allowed for clock skew and the request in flight. */
export function isExpired(session: Pick<StoredSession, 'expiresAt'>, now: number): boolean {
  return now >= session.expiresAt - 5_000;
}

/**
 * The claims of a JWT, decoded WITHOUT verifying it: for display and expiry only. Whoever relies
 * on a token (the control plane) verifies it. Undefined when it is not a JWT.
 */
export function decodeJwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The account from token claims (ID token first, then access token claims fill the gaps). */
export function accountFromClaims(
  issuer: string,
  ...sources: (Record<string, unknown> | undefined)[]
): SessionAccount {
  const claim = (name: string): unknown => sources.find((c) => c?.[name] !== undefined)?.[name];
  const text = (name: string): string | undefined => {
    const value = claim(name);
    return typeof value === 'string' && value.trim() ? value.trim() : undefined;
  };
  const sub = text('sub');
  if (!sub) throw new Error('the tokens name no user (no "sub" claim)');
  const email = text('email');
  const name = text('name');
  const rolesClaim = claim('navi_roles');
  const roles = Array.isArray(rolesClaim)
    ? rolesClaim.filter((r): r is string => typeof r === 'string')
    : typeof rolesClaim === 'string'
      ? rolesClaim.split(/[\s,]+/).filter(Boolean)
      : [];
  return {
    sub,
    label: email ?? text('preferred_username') ?? name ?? sub,
    ...(email ? { email } : {}),
    ...(name ? { name } : {}),
    org: text('navi_org') ?? text('org') ?? text('org_name') ?? hostOf(issuer),
    roles,
  };
}

function hostOf(issuer: string): string {
  try {
    return new URL(issuer).hostname;
  } catch {
    return issuer;
  }
}

/** "alice@acme.test (acme)": how the account reads in VS Code's Accounts menu and the CLI. */
export function accountDisplay(account: SessionAccount): string {
  return `${account.label} (${account.org})`;
}

/** "in 4 min", "in 2 h", "3 min ago": a readable distance between two instants. */
export function relativeTime(at: number, now: number): string {
  const seconds = Math.round((at - now) / 1000);
  const abs = Math.abs(seconds);
  const amount =
    abs < 90 ? `${abs} s` : abs < 90 * 60 ? `${Math.round(abs / 60)} min` : `${Math.round(abs / 3600)} h`;
  return seconds >= 0 ? `in ${amount}` : `${amount} ago`;
}
