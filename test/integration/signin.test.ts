import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startLoopbackRedirect } from '../../extension/auth/loopback';
import {
  refreshSession,
  revokeSession,
  SignInError,
  startAuthorization,
  type OidcSettings,
} from '../../extension/auth/oidc';
import { MemoryKV, SessionExpiredError, SessionStore } from '../../extension/auth/refresh';
import { serializeSession, type StoredSession } from '../../extension/auth/session';
import { startOidcProvider, type OidcFixture } from '../fixtures/oidc';
import { CLI, requireBuild, runCli, tempDir } from './helpers';

const HINT = 'Check navi.auth.issuer.';

describe('sign-in against a real OpenID Provider (oidc-provider)', function () {
  this.timeout(60_000);
  let idp: OidcFixture;
  let settings: OidcSettings;

  before(async () => {
    requireBuild();
    idp = await startOidcProvider();
    settings = {
      issuer: idp.issuer,
      clientId: idp.clientId,
      audience: idp.audience,
      scopes: ['openid', 'email', 'profile', 'offline_access'],
    };
  });
  after(() => idp?.stop());

  /** The extension's browser flow, with the fixture's login page in place of the browser. */
  async function signInWithLoopback(user: string): Promise<{ session: StoredSession; page: string }> {
    const loopback = await startLoopbackRedirect({ timeoutMs: 20_000 });
    try {
      const pending = await startAuthorization(settings, loopback.redirectUri, HINT);
      const { delivered } = await idp.completeAuthorization(pending.url, user);
      const callback = await loopback.callback;
      return { session: await pending.finish(callback), page: delivered ?? '' };
    } finally {
      loopback.close();
    }
  }

  describe('authorization code + PKCE on a loopback redirect', () => {
    it('signs in through the login page and returns a session for the user and org', async () => {
      const { session, page } = await signInWithLoopback('alice');
      assert.match(page, /Signed in to NAVI/);
      assert.equal(session.account.sub, 'u-alice');
      assert.equal(session.account.label, 'alice@acme.test');
      assert.equal(session.account.org, 'acme');
      assert.deepEqual(session.account.roles, ['member']);
      assert.ok(session.refreshToken, 'offline_access gives a refresh token');
      assert.ok(session.expiresAt > Date.now() + 60_000);

      // The access token is a JWT for the control plane that verifies against the issuer's keys.
      const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
      const { payload, protectedHeader } = await jwtVerify(session.accessToken, jwks, {
        issuer: idp.issuer,
        audience: idp.audience,
        typ: 'at+jwt',
      });
      assert.equal(protectedHeader.alg, 'RS256');
      assert.equal(payload.sub, 'u-alice');
      assert.equal(payload.navi_org, 'acme');
      assert.deepEqual(payload.navi_roles, ['member']);
    });

    it('the redirect uses 127.0.0.1 with a port of its own and PKCE S256', async () => {
      const loopback = await startLoopbackRedirect({ timeoutMs: 5_000 });
      try {
        const pending = await startAuthorization(settings, loopback.redirectUri, HINT);
        assert.match(pending.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
        assert.equal(pending.url.searchParams.get('code_challenge_method'), 'S256');
        assert.ok(pending.url.searchParams.get('code_challenge'));
        assert.ok(pending.url.searchParams.get('state'));
        assert.equal(pending.url.searchParams.get('resource'), idp.audience);
      } finally {
        loopback.close();
      }
    });

    it('a callback with another state is refused (no code is exchanged)', async () => {
      const loopback = await startLoopbackRedirect({ timeoutMs: 20_000 });
      try {
        const pending = await startAuthorization(settings, loopback.redirectUri, HINT);
        const { callback } = await idp.completeAuthorization(pending.url, 'alice', { deliver: false });
        callback.searchParams.set('state', 'forged');
        await assert.rejects(pending.finish(callback), SignInError);
      } finally {
        loopback.close();
      }
    });

    it('a wrong password stays on the login page', async () => {
      const pending = await startAuthorization(settings, 'http://127.0.0.1:4321/callback', HINT);
      await assert.rejects(
        idp.completeAuthorization(pending.url, 'alice', { password: 'wrong' }),
        /Wrong username or password/,
      );
    });

    it('an issuer that does not answer is named with what to check', async () => {
      const closed = { ...settings, issuer: 'http://127.0.0.1:59999' };
      await assert.rejects(
        startAuthorization(closed, 'http://127.0.0.1:4321/callback', HINT),
        /the issuer http:\/\/127\.0\.0\.1:59999 did not answer \(ECONNREFUSED\)\. Check navi\.auth\.issuer\./,
      );
    });
  });

  describe('refresh', () => {
    /** The stored session made due now, as if its access token were about to expire. */
    const due = (s: StoredSession): StoredSession => ({
      ...s,
      obtainedAt: Date.now() - 300_000,
      expiresAt: Date.now() + 1_000,
    });

    it('renews the access token with the refresh token before it expires (rotated refresh token)', async () => {
      const { session } = await signInWithLoopback('bob');
      const kv = new MemoryKV();
      await kv.store('s', serializeSession(due(session)));
      const before = idp.grants.refresh_token;
      const store = new SessionStore(kv, { key: 's', refresh: (s) => refreshSession(s, HINT), settleMs: 20 });
      const renewed = await store.fresh();
      assert.equal(idp.grants.refresh_token, before + 1);
      assert.notEqual(renewed!.accessToken, session.accessToken);
      assert.notEqual(renewed!.refreshToken, session.refreshToken, 'the provider rotates refresh tokens');
      assert.equal(renewed!.id, session.id, 'the same session');
      assert.equal(renewed!.account.org, 'acme');
      assert.ok(renewed!.expiresAt > Date.now() + 60_000);
      assert.equal(
        (await idp.introspect(session.refreshToken!)).active,
        false,
        'the old refresh token is spent',
      );
      // Re-using the spent token is refused: why only one window may refresh.
      await assert.rejects(refreshSession(session, HINT), SessionExpiredError);
    });

    it('two windows sharing one secret store refresh once at the provider', async () => {
      const { session } = await signInWithLoopback('alice');
      const shared = new MemoryKV();
      // Each window reaches the shared store with its own latency.
      const window = () => ({
        get: async (k: string) => (await tick(), shared.get(k)),
        store: async (k: string, v: string) => (await tick(), shared.store(k, v)),
        delete: async (k: string) => (await tick(), shared.delete(k)),
      });
      await shared.store('s', serializeSession(due(session)));
      const before = idp.grants.refresh_token;
      const windows = [1, 2].map(
        (n) =>
          new SessionStore(window(), {
            key: 's',
            owner: `window-${n}`,
            refresh: (s) => refreshSession(s, HINT),
            settleMs: 50,
            pollMs: 20,
          }),
      );
      const [a, b] = await Promise.all(windows.map((w) => w.fresh()));
      assert.equal(idp.grants.refresh_token - before, 1, 'one refresh_token grant at the provider');
      assert.equal(a!.accessToken, b!.accessToken);
      // The grant is intact (no refresh token was re-used): the session renews again.
      await shared.store('s', serializeSession(due(a!)));
      assert.ok(await windows[0]!.fresh());
      assert.equal(idp.grants.refresh_token - before, 2);
    });
  });

  describe('sign-out', () => {
    it('revokes the refresh token at the provider (introspection: inactive) and with it the grant', async () => {
      const { session } = await signInWithLoopback('carol');
      assert.equal((await idp.introspect(session.refreshToken!)).active, true);
      const problems = await revokeSession(session, HINT);
      assert.deepEqual(problems, []);
      assert.equal((await idp.introspect(session.refreshToken!)).active, false);
      await assert.rejects(refreshSession(session, HINT), SessionExpiredError);
    });
  });

  describe('the CLI: navi login (device code), whoami, logout', () => {
    it('signs in with the device flow, shows the user and org, and signs out with revocation', async () => {
      const home = tempDir('signin');
      const env = { XDG_CONFIG_HOME: home, NAVI_NO_KEYRING: '1', NAVI_TOKEN: '' };
      const login = spawnCli(
        [
          'login',
          '--issuer',
          idp.issuer,
          '--client-id',
          idp.clientId,
          '--audience',
          idp.audience,
          '--store-file',
        ],
        env,
      );
      const code = await login.waitFor(/enter the code: (\S+)/);
      assert.match(login.stderr(), new RegExp(`open ${idp.issuer}/device`));
      await idp.approveDevice(code[1]!, 'alice');
      const result = await login.exit;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /Signed in as alice@acme\.test \(acme\), roles member\./);
      assert.match(result.stderr, /Session kept in .*session\.json \(mode 0600\)/);
      assert.doesNotMatch(result.stdout + result.stderr, /eyJ/, 'no token printed');

      const file = path.join(home, 'navi', 'session.json');
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);

      const whoami = await runCli(['whoami'], { env });
      assert.equal(whoami.code, 0, whoami.stderr);
      assert.match(
        whoami.stdout,
        /Signed in as alice@acme\.test \(Alice Archer\), session in .*session\.json/,
      );
      assert.match(whoami.stdout, /org: {6}acme/);
      assert.match(whoami.stdout, /subject: {2}u-alice/);
      const json = JSON.parse((await runCli(['whoami', '--json'], { env })).stdout) as Record<
        string,
        unknown
      >;
      assert.equal(json.org, 'acme');
      assert.equal(json.source, 'file');

      const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
      const session = JSON.parse(Object.values(stored)[0]!) as StoredSession;

      // CI: NAVI_TOKEN wins, and whoami says where it came from.
      const ci = await runCli(['whoami'], { env: { ...env, NAVI_TOKEN: session.accessToken } });
      assert.equal(ci.code, 0, ci.stderr);
      assert.match(ci.stdout, /from NAVI_TOKEN \(decoded, not verified/);
      assert.match(ci.stdout, /org: {6}acme/);

      const logout = await runCli(['logout'], { env });
      assert.equal(logout.code, 0, logout.stderr);
      assert.match(logout.stderr, /Signed out alice@acme\.test \(acme\)/);
      assert.equal(fs.existsSync(file), false);
      assert.equal((await idp.introspect(session.refreshToken!)).active, false, 'revoked at the provider');
      const after = await runCli(['whoami'], { env });
      assert.equal(after.code, 1);
      assert.match(after.stderr, /not signed in/);
    });

    it('without a keyring and without --store-file, login says how to keep the session and signs nobody in', async () => {
      const env = { XDG_CONFIG_HOME: tempDir('signin'), NAVI_NO_KEYRING: '1', NAVI_TOKEN: '' };
      const result = await runCli(['login', '--issuer', idp.issuer], { env });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /cannot keep a session: NAVI_NO_KEYRING=1 is set/);
      assert.match(result.stderr, /--store-file/);
      assert.match(result.stderr, /--print-token/);
    });

    it('reads the issuer from ~/.config/navi/config.json and names an unreachable one', async () => {
      const home = tempDir('signin');
      fs.mkdirSync(path.join(home, 'navi'));
      fs.writeFileSync(
        path.join(home, 'navi', 'config.json'),
        JSON.stringify({ auth: { issuer: 'http://127.0.0.1:59999' } }),
      );
      const result = await runCli(['login', '--store-file'], {
        env: { XDG_CONFIG_HOME: home, NAVI_NO_KEYRING: '1' },
      });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /the issuer http:\/\/127\.0\.0\.1:59999 did not answer \(ECONNREFUSED\)/);
    });
  });
});

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 10));

/** The real CLI as a child process whose stderr the test can wait on. */
function spawnCli(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters) w();
  });
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return {
    exit,
    stderr: () => stderr,
    waitFor: (pattern: RegExp) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(stderr);
          if (m) resolve(m);
        };
        waiters.push(check);
        check();
        void exit.then(() => reject(new Error(`the CLI exited before printing ${pattern}: ${stderr}`)));
      }),
  };
}
