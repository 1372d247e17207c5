import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';

/**
 * A tiny real OIDC issuer for the control plane's tests: an HTTP server on 127.0.0.1 serving
 * `/.well-known/openid-configuration` and its `jwks_uri`, and a signer for RFC 9068 access
 * tokens (`typ: at+jwt`) with its key. It counts requests, so a test can show that a token of an
 * unknown issuer made the control plane fetch nothing.
 */
export class TestIssuer {
  /** `http://127.0.0.1:PORT` (also the `iss` of its tokens). */
  url = '';
  /** Requests served, by path. */
  readonly hits: string[] = [];
  private server?: http.Server;
  private key!: CryptoKey;
  private jwk!: jose.JWK;
  readonly kid = 'test-key-1';

  static async start(): Promise<TestIssuer> {
    const issuer = new TestIssuer();
    const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
    issuer.key = privateKey;
    issuer.jwk = { ...(await jose.exportJWK(publicKey)), kid: issuer.kid, alg: 'RS256', use: 'sig' };
    issuer.server = http.createServer((req, res) => {
      issuer.hits.push(req.url ?? '');
      if (req.url === '/.well-known/openid-configuration') {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ issuer: issuer.url, jwks_uri: `${issuer.url}/jwks` }));
      } else if (req.url === '/jwks') {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ keys: [issuer.jwk] }));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => issuer.server!.listen(0, '127.0.0.1', resolve));
    issuer.url = `http://127.0.0.1:${(issuer.server.address() as AddressInfo).port}`;
    return issuer;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /**
   * An access token for `sub`. Claims default to a valid token of this issuer for `audience` and
   * `clientId`; `opts` override them (`exp` in seconds since the epoch) or the header.
   */
  async token(opts: TokenOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: jose.JWTPayload = {
      client_id: opts.clientId ?? 'navi-vscode',
      scope: 'openid',
      ...(opts.roles ? { navi_roles: opts.roles } : {}),
      ...(opts.email ? { email: opts.email } : {}),
      ...opts.claims,
    };
    const signer = new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: opts.typ ?? 'at+jwt' })
      .setIssuer(opts.issuer ?? this.url)
      .setSubject(opts.sub)
      .setAudience(opts.audience ?? 'https://navi.example/api')
      .setIssuedAt(now)
      .setExpirationTime(opts.exp ?? now + 300)
      .setJti(crypto.randomUUID());
    return signer.sign(opts.key ?? this.key);
  }
}

export interface TokenOptions {
  sub: string;
  roles?: string[];
  email?: string;
  audience?: string;
  clientId?: string;
  issuer?: string;
  exp?: number;
  typ?: string;
  /** Sign with another key (same kid): a re-signed token. */
  key?: CryptoKey;
  claims?: jose.JWTPayload;
}

/** An unsigned token (`alg: none`) with the given claims, as an attacker would craft it. */
export function unsignedToken(claims: jose.JWTPayload): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'at+jwt' })}.${enc(claims)}.`;
}

/** An HS256 token signed with a guessable secret (the "public key as HMAC secret" attack shape). */
export async function hmacToken(claims: jose.JWTPayload, secret: string): Promise<string> {
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
    .sign(new TextEncoder().encode(secret));
}

export async function otherKey(): Promise<CryptoKey> {
  return (await jose.generateKeyPair('RS256')).privateKey;
}
