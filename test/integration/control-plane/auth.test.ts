import assert from 'node:assert/strict';
import { TestIssuer, hmacToken, otherKey, unsignedToken } from './issuer';
import {
  AUDIENCE,
  CLIENT,
  call,
  openTestStore,
  orgFor,
  startApp,
  type RunningApp,
  type StoreHandle,
} from './helpers';

/** Token verification against a real (tiny) OIDC issuer over HTTP. */
describe('control plane: token verification', () => {
  let acme: TestIssuer;
  let stranger: TestIssuer;
  let h: StoreHandle;
  let app: RunningApp;

  before(async () => {
    acme = await TestIssuer.start();
    stranger = await TestIssuer.start();
    h = await openTestStore('sqlite');
    app = await startApp(h.store, {
      orgs: [
        orgFor('acme', acme),
        orgFor('idtok', await TestIssuer.start().then((i) => (idIssuer = i)), { acceptIdTokens: true }),
      ],
    });
  });
  let idIssuer: TestIssuer;
  after(async () => {
    await app.close();
    await h.dispose();
    await acme.stop();
    await stranger.stop();
    await idIssuer.stop();
  });

  const me = (token: string | undefined) => call(app.url, token, 'GET', '/api/me');
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts a valid access token and takes org, user and roles from it', async () => {
    const r = await me(await acme.token({ sub: 'alice', roles: ['auditor'], email: 'alice@acme.example' }));
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      org: 'acme',
      sub: 'alice',
      email: 'alice@acme.example',
      roles: ['auditor'],
      clientId: CLIENT,
      tokenType: 'access',
    });
    const plain = await me(await acme.token({ sub: 'bob', roles: ['superuser'] }));
    assert.deepEqual(plain.body.roles, ['member']);
  });

  it('answers 401 with WWW-Authenticate when the token is missing or not a bearer token', async () => {
    const none = await me(undefined);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_request"/);
    const basic = await call(app.url, undefined, 'GET', '/api/me', undefined, {
      authorization: 'Basic YTpi',
    });
    assert.equal(basic.status, 401);
  });

  const rejected: [string, () => Promise<string>, RegExp][] = [
    ['expired', () => acme.token({ sub: 'alice', exp: now() - 120 }), /expired/],
    ['wrong audience', () => acme.token({ sub: 'alice', audience: 'https://other.example/api' }), /audience/],
    ['client not allowed', () => acme.token({ sub: 'alice', clientId: 'rogue-app' }), /client/],
    [
      're-signed with another key, same kid',
      async () => acme.token({ sub: 'alice', key: await otherKey() }),
      /signature/,
    ],
    [
      'unsigned (alg: none)',
      async () =>
        unsignedToken({ iss: acme.url, sub: 'alice', aud: AUDIENCE, client_id: CLIENT, exp: now() + 300 }),
      /algorithm/,
    ],
    [
      'HS256 (symmetric)',
      () =>
        hmacToken(
          { iss: acme.url, sub: 'alice', aud: AUDIENCE, client_id: CLIENT, exp: now() + 300 },
          'secret',
        ),
      /algorithm/,
    ],
    [
      'an ID token where access tokens are required',
      () => acme.token({ sub: 'alice', typ: 'JWT' }),
      /token type/,
    ],
    ['no subject', () => acme.token({ sub: '' }), /sub/],
    ['garbage', async () => 'not.a.jwt', /JWT/],
  ];
  for (const [name, make, reason] of rejected) {
    it(`rejects a token: ${name}`, async () => {
      const r = await me(await make());
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.match(r.body.message, reason);
    });
  }

  it('gives a percent-encoded or oddly written path no way around authentication', async () => {
    for (const route of ['/%61pi/me', '/api/me/', '/api//me', '/api/%6De', '/api/audit/events?', '/API/me']) {
      const r = await call(app.url, undefined, 'GET', route);
      assert.ok(r.status === 401 || r.status === 404, `${route}: ${r.status}`);
    }
  });

  it('rejects an unknown issuer before fetching anything from it', async () => {
    const r = await me(await stranger.token({ sub: 'mallory' }));
    assert.equal(r.status, 401);
    assert.match(r.body.message, /not registered/);
    assert.deepEqual(stranger.hits, []);
  });

  it("rejects a registered issuer's name on a token signed by a stranger's key", async () => {
    const forged = await stranger.token({ sub: 'mallory', issuer: acme.url });
    const r = await me(forged);
    assert.equal(r.status, 401);
    assert.deepEqual(stranger.hits, []);
  });

  it('accepts ID tokens only for an org that allows them, with the client as audience', async () => {
    const ok = await me(
      await idIssuer.token({ sub: 'dana', typ: 'JWT', audience: CLIENT, claims: { azp: CLIENT } }),
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.tokenType, 'id');
    const wrong = await me(await idIssuer.token({ sub: 'dana', typ: 'JWT', audience: 'someone-else' }));
    assert.equal(wrong.status, 401);
  });

  it('never writes a token or Authorization header to the logs', async () => {
    const token = await acme.token({ sub: 'alice' });
    await me(token);
    await me(`${token}x`);
    const logs = app.logs.join('');
    assert.ok(logs.includes('"url":"/api/me"'), 'requests are logged');
    assert.ok(!logs.includes(token.slice(0, 40)), 'the token is not in the log');
    assert.ok(!/bearer/i.test(logs));
  });
});
