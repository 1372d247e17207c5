import { strict as assert } from 'node:assert';
import {
  accountFromClaims,
  decodeJwtClaims,
  isExpired,
  needsRefresh,
  parseSession,
  refreshDueAt,
  refreshMarginMs,
  relativeTime,
  serializeSession,
  type StoredSession,
} from '../../../extension/auth/session';

const base: StoredSession = {
  version: 1,
  id: 's-1',
  issuer: 'https://login.acme.test',
  clientId: 'navi',
  audience: 'urn:navi:control-plane',
  scopes: ['openid'],
  accessToken: 'a.b.c',
  refreshToken: 'rt',
  expiresAt: 1_000_000 + 3_600_000,
  obtainedAt: 1_000_000,
  account: { sub: 'u1', label: 'alice@acme.test', org: 'acme', roles: [] },
};

describe('auth: sessions', () => {
  it('round-trips through the secret store and rejects anything else', () => {
    assert.deepEqual(parseSession(serializeSession(base)), base);
    assert.equal(parseSession(undefined), undefined);
    assert.equal(parseSession('not json'), undefined);
    assert.equal(parseSession(JSON.stringify({ ...base, version: 2 })), undefined);
    assert.equal(parseSession(JSON.stringify({ ...base, accessToken: 42 })), undefined);
  });

  it('refreshes 10 % of the lifetime before expiry, at least 10 s and at most 5 min before', () => {
    assert.equal(refreshMarginMs(base), 300_000, 'one hour: capped at 5 min');
    assert.equal(refreshMarginMs({ obtainedAt: 0, expiresAt: 300_000 }), 30_000, 'five minutes: 30 s');
    assert.equal(refreshMarginMs({ obtainedAt: 0, expiresAt: 20_000 }), 10_000, 'twenty seconds: 10 s');
    assert.equal(refreshDueAt(base), base.expiresAt - 300_000);
    assert.equal(needsRefresh(base, base.expiresAt - 300_001), false);
    assert.equal(needsRefresh(base, base.expiresAt - 300_000), true);
    assert.equal(isExpired(base, base.expiresAt - 5_001), false);
    assert.equal(isExpired(base, base.expiresAt - 5_000), true);
  });

  it('reads the account and org from the claims, ID token first', () => {
    const account = accountFromClaims(
      'https://login.acme.test',
      { sub: 'u1', email: 'alice@acme.test', name: 'Alice', navi_org: 'acme' },
      { sub: 'u1', navi_roles: ['member', 'admin'], navi_org: 'ignored' },
    );
    assert.deepEqual(account, {
      sub: 'u1',
      label: 'alice@acme.test',
      email: 'alice@acme.test',
      name: 'Alice',
      org: 'acme',
      roles: ['member', 'admin'],
    });
    assert.equal(
      accountFromClaims('https://login.globex.test/realms/x', { sub: 'u2' }).org,
      'login.globex.test',
    );
    assert.deepEqual(accountFromClaims('https://i', { sub: 'u3', navi_roles: 'member auditor' }).roles, [
      'member',
      'auditor',
    ]);
    assert.throws(() => accountFromClaims('https://i', { email: 'x@y' }), /no user/);
  });

  it('decodes a JWT without trusting it, and nothing else', () => {
    const jwt = ['{"alg":"none"}', '{"sub":"u1","exp":1}', '']
      .map((p) => Buffer.from(p).toString('base64url'))
      .join('.');
    assert.deepEqual(decodeJwtClaims(jwt), { sub: 'u1', exp: 1 });
    assert.equal(decodeJwtClaims('opaque-token'), undefined);
    assert.equal(decodeJwtClaims('a.b.c'), undefined);
  });

  it('says how far away an instant is', () => {
    assert.equal(relativeTime(61_000, 0), 'in 61 s');
    assert.equal(relativeTime(0, 300_000), '5 min ago');
    assert.equal(relativeTime(7_200_000, 0), 'in 2 h');
  });
});
