import * as jose from 'jose';
import type { Config } from './config';
import type { OrgRegistry } from './registry';
import type { OrgRecord, Role } from './store/types';

/**
 * Who is calling: derived only from a verified token. Nothing else of a request (body, query,
 * headers other than Authorization) and nothing of the server's environment contributes.
 */
export interface Identity {
  /** The org whose registered issuer signed the token. */
  orgId: string;
  /** The token's `sub`. */
  sub: string;
  email?: string;
  name?: string;
  /** NAVI roles from the org's roles claim; `member` when the claim is absent or names none. */
  roles: Role[];
  /** The OAuth client the token was issued to (`client_id`, or `azp`/`aud` of an ID token). */
  clientId: string;
  tokenType: 'access' | 'id';
}

/** A request that carries no acceptable token: 401 with an RFC 6750 `WWW-Authenticate` header. */
export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    message: string,
    /** `invalid_request` (no or malformed header) or `invalid_token`. */
    readonly error: 'invalid_request' | 'invalid_token' = 'invalid_token',
  ) {
    super(message);
  }
}

const ROLES: readonly Role[] = ['member', 'auditor', 'admin'];
const MAX_TOKEN_CHARS = 16 * 1024;
const DISCOVERY_TIMEOUT_MS = 5000;
/** A failed discovery is retried at most this often per issuer (a broken IdP is not hammered). */
const DISCOVERY_RETRY_MS = 10_000;

interface IssuerKeys {
  jwks: ReturnType<typeof jose.createRemoteJWKSet>;
  expiresAt: number;
}

/**
 * Verifies bearer tokens with jose against the JWKS of the issuer registered for the token's org.
 *
 * Order matters: the unverified `iss` is decoded only to pick the registered org; an issuer no org
 * registered is refused before anything is fetched, so a token cannot make the control plane
 * contact a URL of its choosing. Then signature (JWKS from the issuer's discovery document),
 * issuer, audience, algorithm allow-list, expiry and token type are checked by `jwtVerify`.
 */
export class TokenVerifier {
  private readonly keys = new Map<string, IssuerKeys>();
  private readonly pending = new Map<string, Promise<IssuerKeys>>();
  private readonly failedAt = new Map<string, { at: number; message: string }>();

  constructor(
    private readonly registry: OrgRegistry,
    private readonly config: Pick<Config, 'algorithms' | 'clockToleranceSeconds' | 'jwksCacheSeconds'>,
  ) {}

  async verify(authorization: string | undefined): Promise<Identity> {
    if (!authorization) throw new AuthError('missing Authorization header', 'invalid_request');
    const match = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/.exec(authorization);
    if (!match) throw new AuthError('Authorization must be "Bearer <token>"', 'invalid_request');
    const token = match[1]!;
    if (token.length > MAX_TOKEN_CHARS) throw new AuthError('token too long');

    let header: jose.ProtectedHeaderParameters;
    let unverified: jose.JWTPayload;
    try {
      header = jose.decodeProtectedHeader(token);
      unverified = jose.decodeJwt(token);
    } catch {
      throw new AuthError('token is not a JWT');
    }
    const algorithms: string[] = this.config.algorithms;
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg))
      throw new AuthError(`token algorithm ${String(header.alg)} is not accepted`);
    if (typeof unverified.iss !== 'string') throw new AuthError('token has no issuer');
    const org = await this.registry.findByIssuer(unverified.iss);
    if (!org) throw new AuthError('token issuer is not registered for any org');

    const jwks = await this.keysFor(unverified.iss);
    let payload: jose.JWTPayload;
    let protectedHeader: jose.JWTHeaderParameters;
    try {
      ({ payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
        issuer: unverified.iss,
        algorithms,
        clockTolerance: this.config.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      throw new AuthError(describe(err));
    }
    return identityOf(org, payload, protectedHeader);
  }

  /** The issuer's JWKS, from its discovery document's `jwks_uri`; cached per issuer. */
  private async keysFor(issuer: string): Promise<IssuerKeys['jwks']> {
    const cached = this.keys.get(issuer);
    if (cached && cached.expiresAt > Date.now()) return cached.jwks;
    const failed = this.failedAt.get(issuer);
    if (failed && Date.now() - failed.at < DISCOVERY_RETRY_MS)
      throw new AuthError(`issuer discovery failed: ${failed.message}`);
    let p = this.pending.get(issuer);
    if (!p) {
      p = this.discover(issuer).finally(() => this.pending.delete(issuer));
      this.pending.set(issuer, p);
    }
    try {
      return (await p).jwks;
    } catch (err) {
      const message = (err as Error).message;
      this.failedAt.set(issuer, { at: Date.now(), message });
      throw new AuthError(`issuer discovery failed: ${message}`);
    }
  }

  private async discover(issuer: string): Promise<IssuerKeys> {
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS), redirect: 'error' });
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== issuer) throw new Error(`${url} names issuer ${String(doc.issuer)}`);
    if (typeof doc.jwks_uri !== 'string') throw new Error(`${url} has no jwks_uri`);
    const jwksUri = new URL(doc.jwks_uri);
    if (jwksUri.protocol !== 'https:' && new URL(issuer).protocol === 'https:')
      throw new Error('jwks_uri must be https for an https issuer');
    const ttl = this.config.jwksCacheSeconds * 1000;
    const entry = {
      jwks: jose.createRemoteJWKSet(jwksUri, {
        cacheMaxAge: ttl,
        timeoutDuration: DISCOVERY_TIMEOUT_MS,
      }),
      expiresAt: Date.now() + ttl,
    };
    this.keys.set(issuer, entry);
    this.failedAt.delete(issuer);
    return entry;
  }
}

/** Token type, audience and client checks; then the identity. */
function identityOf(org: OrgRecord, payload: jose.JWTPayload, header: jose.JWTHeaderParameters): Identity {
  const typ = (header.typ ?? '').toLowerCase().replace(/^application\//, '');
  const aud = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
  let clientId: string;
  let tokenType: Identity['tokenType'];
  if (typ === 'at+jwt') {
    // RFC 9068 JWT access token: issued for our API (resource indicator) to an allowed client.
    if (!aud.includes(org.audience)) throw new AuthError('token audience is not this control plane');
    if (typeof payload.client_id !== 'string' || !org.clientIds.includes(payload.client_id))
      throw new AuthError('token client is not allowed for this org');
    clientId = payload.client_id;
    tokenType = 'access';
  } else if ((typ === '' || typ === 'jwt') && org.acceptIdTokens) {
    // OIDC ID token: its audience is the client; with several audiences `azp` names the client.
    const azp = typeof payload.azp === 'string' ? payload.azp : undefined;
    if (aud.length > 1 && !azp) throw new AuthError('ID token with several audiences has no azp');
    const client = azp ?? aud[0];
    if (!client || !org.clientIds.includes(client) || !aud.includes(client))
      throw new AuthError('token audience is not an allowed client of this org');
    clientId = client;
    tokenType = 'id';
  } else {
    throw new AuthError(`token type "${header.typ ?? ''}" is not accepted (expected an at+jwt access token)`);
  }
  if (typeof payload.sub !== 'string' || !payload.sub || payload.sub.length > 256)
    throw new AuthError('token subject is missing or too long');
  const identity: Identity = {
    orgId: org.id,
    sub: payload.sub,
    roles: rolesOf(payload[org.rolesClaim]),
    clientId,
    tokenType,
  };
  if (typeof payload.email === 'string') identity.email = payload.email.slice(0, 320);
  if (typeof payload.name === 'string') identity.name = payload.name.slice(0, 256);
  return identity;
}

/** Roles from the claim (array or space-separated string); unknown names are ignored. */
export function rolesOf(claim: unknown): Role[] {
  const names = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/\s+/) : [];
  const roles = ROLES.filter((r) => names.includes(r));
  return roles.length ? roles : ['member'];
}

/** What a role may do. admin ⊇ auditor ⊇ member. */
export function canReadOrg(id: Identity): boolean {
  return id.roles.includes('auditor') || id.roles.includes('admin');
}
export function isAdmin(id: Identity): boolean {
  return id.roles.includes('admin');
}

function describe(err: unknown): string {
  if (err instanceof jose.errors.JWTExpired) return 'token expired';
  if (err instanceof jose.errors.JWTClaimValidationFailed)
    return `token claim ${err.claim} is invalid: ${err.reason}`;
  if (err instanceof jose.errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (err instanceof jose.errors.JWKSNoMatchingKey) return 'no key of the issuer matches the token';
  if (err instanceof jose.errors.JOSEAlgNotAllowed) return 'token algorithm is not accepted';
  if (err instanceof jose.errors.JOSEError) return `token rejected: ${err.code}`;
  return 'token rejected';
}
