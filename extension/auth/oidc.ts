/**
 * OpenID Connect for NAVI with openid-client: discovery, authorization code + PKCE, the device
 * authorization grant, refresh and revocation, and errors that say what to do.
 *
 * vscode-free: used by the extension (extension/features/auth.ts) and the CLI (cli/commands/login.ts).
 */
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { SessionExpiredError } from './refresh';
import { accountFromClaims, decodeJwtClaims, type StoredSession } from './session';

/** Where sign-in goes: from the `navi.auth.*` settings or the CLI's flags / config file. */
export interface OidcSettings {
  /** The issuer URL (https; http only for a loopback address, for tests and local IdPs). */
  issuer: string;
  clientId: string;
  /** Resource indicator (RFC 8707) of the control plane; access tokens are minted for it. */
  audience?: string;
  /** Scopes to request. `openid` is added when missing; `offline_access` gives a refresh token. */
  scopes: string[];
}

export const DEFAULT_SCOPES = ['openid', 'email', 'profile', 'offline_access'];

/** A sign-in failure with a message for the user (what happened and what to do). */
export class SignInError extends Error {
  constructor(
    message: string,
    readonly code: string = 'sign-in-failed',
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

const configs = new Map<string, Promise<oidc.Configuration>>();

/**
 * The provider's metadata (`/.well-known/openid-configuration`), fetched once per issuer and
 * client. `hint` names where the issuer came from, for the error message
 * ("Check navi.auth.issuer.", "Check --issuer or ~/.config/navi/config.json.").
 */
export function discover(settings: OidcSettings, hint: string): Promise<oidc.Configuration> {
  const cacheKey = `${settings.issuer}\n${settings.clientId}`;
  let config = configs.get(cacheKey);
  if (!config) {
    config = discoverUncached(settings, hint);
    configs.set(cacheKey, config);
    config.catch(() => configs.delete(cacheKey));
  }
  return config;
}

async function discoverUncached(settings: OidcSettings, hint: string): Promise<oidc.Configuration> {
  let url: URL;
  try {
    url = new URL(settings.issuer);
  } catch {
    throw new SignInError(`Sign in failed: "${settings.issuer}" is not a URL. ${hint}`, 'bad-issuer');
  }
  const loopback = isLoopback(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new SignInError(
      `Sign in failed: the issuer ${settings.issuer} must use https (http only for a loopback address such as 127.0.0.1 or localhost). ${hint}`,
      'bad-issuer',
    );
  }
  if (!settings.clientId)
    throw new SignInError(`Sign in failed: no client id is set. ${hint}`, 'no-client-id');
  try {
    return await oidc.discovery(url, settings.clientId, undefined, oidc.None(), {
      timeout: 15,
      ...(loopback && url.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
    });
  } catch (error) {
    throw new SignInError(
      `Sign in failed: the issuer ${settings.issuer} ${describeNetworkError(error)}. ${hint}`,
      'issuer-unreachable',
    );
  }
}

/** localhost, 127.0.0.0/8 or ::1: traffic that never leaves the machine. */
export function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    hostname === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

function scopeOf(settings: OidcSettings): string {
  const scopes = settings.scopes.includes('openid') ? settings.scopes : ['openid', ...settings.scopes];
  return scopes.join(' ');
}

function resourceParams(settings: OidcSettings): Record<string, string> {
  return settings.audience ? { resource: settings.audience } : {};
}

/** An authorization request in progress: open `url`, then pass the redirect to `finish`. */
export interface PendingAuthorization {
  url: URL;
  redirectUri: string;
  finish(callback: URL): Promise<StoredSession>;
}

/** Authorization code + PKCE (S256) with `state`, for a loopback or URI-handler redirect. */
export async function startAuthorization(
  settings: OidcSettings,
  redirectUri: string,
  hint: string,
): Promise<PendingAuthorization> {
  const config = await discover(settings, hint);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: scopeOf(settings),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    // OIDC Core section 11: a request for offline access (a refresh token) MUST use
    // prompt=consent; providers that follow it (oidc-provider, Google) drop offline_access otherwise.
    ...(settings.scopes.includes('offline_access') ? { prompt: 'consent' } : {}),
    ...resourceParams(settings),
  });
  return {
    url,
    redirectUri,
    finish: async (callback) => {
      try {
        const tokens = await oidc.authorizationCodeGrant(
          config,
          callback,
          { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true },
          { redirect_uri: redirectUri, ...resourceParams(settings) },
        );
        return sessionFromTokens(settings, tokens);
      } catch (error) {
        throw asSignInError(error, settings);
      }
    },
  };
}

/** The device authorization grant (RFC 8628): what to show the user, then wait for it. */
export interface PendingDeviceAuthorization {
  userCode: string;
  verificationUri: string;
  /** The verification URI with the code filled in, when the provider offers one. */
  verificationUriComplete?: string;
  /** ms since the epoch when the code expires. */
  expiresAt: number;
  /** Polls the token endpoint (at the provider's interval) until the user approves or denies. */
  wait(signal?: AbortSignal): Promise<StoredSession>;
}

export async function startDeviceAuthorization(
  settings: OidcSettings,
  hint: string,
): Promise<PendingDeviceAuthorization> {
  const config = await discover(settings, hint);
  if (!config.serverMetadata().device_authorization_endpoint) {
    throw new SignInError(
      `Sign in failed: the issuer ${settings.issuer} does not offer the device code flow (no device_authorization_endpoint). Use the browser sign-in or ask your IdP admin to enable it.`,
      'no-device-flow',
    );
  }
  let response: oidc.DeviceAuthorizationResponse;
  try {
    response = await oidc.initiateDeviceAuthorization(config, {
      scope: scopeOf(settings),
      ...resourceParams(settings),
    });
  } catch (error) {
    throw asSignInError(error, settings);
  }
  return {
    userCode: response.user_code,
    verificationUri: response.verification_uri,
    ...(response.verification_uri_complete
      ? { verificationUriComplete: response.verification_uri_complete }
      : {}),
    expiresAt: Date.now() + response.expires_in * 1000,
    wait: async (signal) => {
      try {
        const tokens = await oidc.pollDeviceAuthorizationGrant(
          config,
          response,
          resourceParams(settings),
          signal ? { signal } : undefined,
        );
        return sessionFromTokens(settings, tokens);
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        throw asSignInError(error, settings);
      }
    },
  };
}

/** A new session from the refresh token; SessionExpiredError when the provider refuses it. */
export async function refreshSession(session: StoredSession, hint: string): Promise<StoredSession> {
  const settings = settingsOf(session);
  if (!session.refreshToken) throw new SessionExpiredError();
  const config = await discover(settings, hint);
  try {
    const tokens = await oidc.refreshTokenGrant(config, session.refreshToken, resourceParams(settings));
    return sessionFromTokens(settings, tokens, session);
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError && error.error === 'invalid_grant') {
      throw new SessionExpiredError(
        `Your NAVI session has ended (the identity provider refused to renew it: ${error.error_description ?? error.error}). Sign in again.`,
      );
    }
    throw new SignInError(
      `Renewing the NAVI session failed: the issuer ${settings.issuer} ${describeNetworkError(error)}.`,
      'refresh-failed',
    );
  }
}

/**
 * Revokes the refresh token (which ends the grant, and with it every token issued under it) and
 * then the access token (RFC 7009). A JWT access token often cannot be revoked (the provider says
 * `unsupported_token_type`): it stays valid until it expires, minutes at most. Returns what the
 * provider did not accept, for the log; never throws for a provider's refusal.
 */
export async function revokeSession(session: StoredSession, hint: string): Promise<string[]> {
  const settings = settingsOf(session);
  const problems: string[] = [];
  let config: oidc.Configuration;
  try {
    config = await discover(settings, hint);
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
  if (!config.serverMetadata().revocation_endpoint) return ['the provider has no revocation endpoint'];
  const tokens: [string, string | undefined][] = [
    ['refresh_token', session.refreshToken],
    ['access_token', session.accessToken],
  ];
  for (const [hintType, token] of tokens) {
    if (!token) continue;
    try {
      await oidc.tokenRevocation(config, token, { token_type_hint: hintType });
    } catch (error) {
      // Many providers cannot revoke a JWT access token; it ends at its `exp` (minutes).
      if (
        error instanceof oidc.ResponseBodyError &&
        error.error === 'unsupported_token_type' &&
        hintType === 'access_token'
      )
        continue;
      const reason = error instanceof oidc.ResponseBodyError ? error.error : describeNetworkError(error);
      problems.push(`${hintType}: ${reason}`);
    }
  }
  return problems;
}

export function settingsOf(session: StoredSession): OidcSettings {
  return {
    issuer: session.issuer,
    clientId: session.clientId,
    ...(session.audience ? { audience: session.audience } : {}),
    scopes: session.scopes,
  };
}

/** Same issuer, client and audience: a session made for these settings. */
export function sessionMatches(session: StoredSession, settings: OidcSettings): boolean {
  return (
    session.issuer === settings.issuer &&
    session.clientId === settings.clientId &&
    (session.audience ?? '') === (settings.audience ?? '')
  );
}

type TokenResponse = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

function sessionFromTokens(
  settings: OidcSettings,
  tokens: TokenResponse,
  previous?: StoredSession,
): StoredSession {
  const now = Date.now();
  const accessClaims = decodeJwtClaims(tokens.access_token);
  const idClaims = tokens.claims() as Record<string, unknown> | undefined;
  const expiresAt =
    typeof tokens.expires_in === 'number'
      ? now + tokens.expires_in * 1000
      : typeof accessClaims?.exp === 'number'
        ? accessClaims.exp * 1000
        : now + 5 * 60_000;
  const idToken = tokens.id_token ?? previous?.idToken;
  const refreshToken = tokens.refresh_token ?? previous?.refreshToken;
  const account =
    idClaims || accessClaims ? accountFromClaims(settings.issuer, idClaims, accessClaims) : previous?.account;
  if (!account)
    throw new SignInError('Sign in failed: the provider returned no ID token and no readable access token.');
  return {
    version: 1,
    id: previous?.id ?? randomUUID(),
    issuer: settings.issuer,
    clientId: settings.clientId,
    ...(settings.audience ? { audience: settings.audience } : {}),
    scopes: settings.scopes,
    accessToken: tokens.access_token,
    ...(refreshToken ? { refreshToken } : {}),
    ...(idToken ? { idToken } : {}),
    expiresAt,
    obtainedAt: now,
    account,
  };
}

function asSignInError(error: unknown, settings: OidcSettings): SignInError {
  if (error instanceof SignInError) return error;
  if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError) {
    const what = error.error_description ? `${error.error}: ${error.error_description}` : error.error;
    if (error.error === 'access_denied')
      return new SignInError(
        `Sign in was cancelled or denied at ${settings.issuer} (${what}).`,
        'access-denied',
      );
    if (error.error === 'expired_token')
      return new SignInError(
        'Sign in failed: the code expired before it was approved. Sign in again.',
        'expired',
      );
    if (error.error === 'invalid_target')
      return new SignInError(
        `Sign in failed: the issuer ${settings.issuer} does not know the audience "${settings.audience}" (${what}). Check navi.auth.audience.`,
        'bad-audience',
      );
    return new SignInError(`Sign in failed: the issuer ${settings.issuer} answered ${what}.`);
  }
  return new SignInError(`Sign in failed: the issuer ${settings.issuer} ${describeNetworkError(error)}.`);
}

/** "did not answer (ECONNREFUSED)", "answered HTTP 500", "timed out": for messages. */
export function describeNetworkError(error: unknown): string {
  // fetch wraps the socket error (TypeError "fetch failed" → cause {code: 'ECONNREFUSED'}), and
  // openid-client may wrap that again: walk the causes for a system error code.
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return `did not answer (${code})`;
    if (typeof code === 'string' && code.startsWith('UND_ERR_')) return `did not answer in time (${code})`;
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'did not answer in time';
  if (error instanceof oidc.ResponseBodyError)
    return `answered ${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  const response = (error as { response?: Response } | undefined)?.response;
  if (response instanceof Response) return `answered HTTP ${response.status}`;
  const messages: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++)
    messages.push(e instanceof Error ? e.message : String(e));
  return `failed (${messages.join(': ')})`;
}
