import { strict as assert } from 'node:assert';
import { SessionExpiredError, SessionStore, type SecretKV } from '../../../extension/auth/refresh';
import { serializeSession, type StoredSession } from '../../../extension/auth/session';

/**
 * One SecretStorage shared by several "windows", as VS Code's is: every call crosses to the main
 * process with its own latency, and the store applies operations in the order they arrive.
 */
class SharedSecretStorage {
  readonly values = new Map<string, string>();
  writes = 0;
  constructor(private readonly maxLatencyMs = 8) {}
  private hop(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.random() * this.maxLatencyMs));
  }
  window(): SecretKV {
    return {
      get: async (key) => {
        await this.hop();
        return this.values.get(key);
      },
      store: async (key, value) => {
        await this.hop();
        this.values.set(key, value);
        this.writes++;
      },
      delete: async (key) => {
        await this.hop();
        this.values.delete(key);
      },
    };
  }
}

const SESSION_KEY = 'navi.auth.session';

function session(overrides: Partial<StoredSession> = {}): StoredSession {
  const now = Date.now();
  return {
    version: 1,
    id: 's-1',
    issuer: 'https://idp.example',
    clientId: 'navi',
    scopes: ['openid', 'offline_access'],
    accessToken: 'at-0',
    refreshToken: 'rt-0',
    expiresAt: now + 5_000, // inside the 10 s minimum margin: due
    obtainedAt: now - 295_000,
    account: { sub: 'u-alice', label: 'alice@acme.test', org: 'acme', roles: ['member'] },
    ...overrides,
  };
}

/** A fake provider with rotating refresh tokens: each one works once, re-use is refused. */
function rotatingProvider(latencyMs = 30) {
  let generation = 0;
  const used = new Set<string>();
  const calls: string[] = [];
  return {
    calls,
    refresh: async (s: StoredSession): Promise<StoredSession> => {
      calls.push(s.refreshToken!);
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      if (used.has(s.refreshToken!)) throw new SessionExpiredError('refresh token re-used: grant revoked');
      used.add(s.refreshToken!);
      generation++;
      const now = Date.now();
      return {
        ...s,
        accessToken: `at-${generation}`,
        refreshToken: `rt-${generation}`,
        obtainedAt: now,
        expiresAt: now + 300_000,
      };
    },
  };
}

const fastLease = { settleMs: 25, pollMs: 10, leaseTtlMs: 2_000 };

describe('auth: one refresh across windows', () => {
  it('two windows that find the token due at the same moment refresh it once and both get the new one', async () => {
    for (let round = 0; round < 15; round++) {
      const storage = new SharedSecretStorage();
      storage.values.set(SESSION_KEY, serializeSession(session()));
      const provider = rotatingProvider();
      const windows = ['window-a', 'window-b'].map(
        (owner) =>
          new SessionStore(storage.window(), {
            key: SESSION_KEY,
            owner,
            refresh: provider.refresh,
            ...fastLease,
          }),
      );
      const results = await Promise.all(windows.map((w) => w.fresh()));
      assert.deepEqual(provider.calls, ['rt-0'], `round ${round}: exactly one refresh call`);
      assert.equal(results[0]!.accessToken, 'at-1');
      assert.equal(results[1]!.accessToken, 'at-1');
      assert.equal(storage.values.has(`${SESSION_KEY}.refreshLease`), false, 'the lease is released');
    }
  });

  it('five windows, one refresh', async () => {
    const storage = new SharedSecretStorage(15);
    storage.values.set(SESSION_KEY, serializeSession(session()));
    const provider = rotatingProvider();
    const windows = [1, 2, 3, 4, 5].map(
      (n) =>
        new SessionStore(storage.window(), {
          key: SESSION_KEY,
          owner: `w${n}`,
          refresh: provider.refresh,
          ...fastLease,
        }),
    );
    const results = await Promise.all(windows.map((w) => w.fresh()));
    assert.equal(provider.calls.length, 1);
    assert.deepEqual(new Set(results.map((r) => r!.accessToken)), new Set(['at-1']));
  });

  it('concurrent callers in one window share one refresh', async () => {
    const storage = new SharedSecretStorage();
    storage.values.set(SESSION_KEY, serializeSession(session()));
    const provider = rotatingProvider();
    const store = new SessionStore(storage.window(), {
      key: SESSION_KEY,
      refresh: provider.refresh,
      ...fastLease,
    });
    const results = await Promise.all([store.fresh(), store.fresh(), store.fresh()]);
    assert.equal(provider.calls.length, 1);
    assert.ok(results.every((r) => r!.accessToken === 'at-1'));
  });

  it('a token that is not due is returned as stored, without a lease or a refresh', async () => {
    const storage = new SharedSecretStorage();
    const now = Date.now();
    storage.values.set(SESSION_KEY, serializeSession(session({ obtainedAt: now, expiresAt: now + 300_000 })));
    const provider = rotatingProvider();
    const store = new SessionStore(storage.window(), {
      key: SESSION_KEY,
      refresh: provider.refresh,
      ...fastLease,
    });
    assert.equal((await store.fresh())!.accessToken, 'at-0');
    assert.equal(provider.calls.length, 0);
    assert.equal(storage.writes, 0);
  });

  it('a lease left by a window that died expires, and another window refreshes', async () => {
    const storage = new SharedSecretStorage();
    storage.values.set(SESSION_KEY, serializeSession(session()));
    storage.values.set(
      `${SESSION_KEY}.refreshLease`,
      JSON.stringify({ owner: 'dead-window', until: Date.now() + 150 }),
    );
    const provider = rotatingProvider();
    const store = new SessionStore(storage.window(), {
      key: SESSION_KEY,
      refresh: provider.refresh,
      ...fastLease,
    });
    assert.equal((await store.fresh())!.accessToken, 'at-1');
    assert.equal(provider.calls.length, 1);
  });

  it('a window waiting on the lease takes the session the holder stored', async () => {
    const storage = new SharedSecretStorage();
    storage.values.set(SESSION_KEY, serializeSession(session()));
    storage.values.set(
      `${SESSION_KEY}.refreshLease`,
      JSON.stringify({ owner: 'other', until: Date.now() + 60_000 }),
    );
    const provider = rotatingProvider();
    const store = new SessionStore(storage.window(), {
      key: SESSION_KEY,
      refresh: provider.refresh,
      ...fastLease,
    });
    const result = store.fresh();
    setTimeout(() => {
      const now = Date.now();
      storage.values.set(
        SESSION_KEY,
        serializeSession(
          session({
            accessToken: 'at-other',
            refreshToken: 'rt-other',
            obtainedAt: now,
            expiresAt: now + 300_000,
          }),
        ),
      );
    }, 60);
    assert.equal((await result)!.accessToken, 'at-other');
    assert.equal(provider.calls.length, 0);
  });

  it('a refused refresh token deletes the session and says to sign in again', async () => {
    const storage = new SharedSecretStorage();
    storage.values.set(SESSION_KEY, serializeSession(session()));
    const store = new SessionStore(storage.window(), {
      key: SESSION_KEY,
      refresh: async () => {
        throw new SessionExpiredError();
      },
      ...fastLease,
    });
    await assert.rejects(store.fresh(), SessionExpiredError);
    assert.equal(storage.values.has(SESSION_KEY), false);
  });

  it('a network failure keeps the session (it may work again later)', async () => {
    const storage = new SharedSecretStorage();
    storage.values.set(SESSION_KEY, serializeSession(session()));
    const store = new SessionStore(storage.window(), {
      key: SESSION_KEY,
      refresh: async () => {
        throw new Error('ECONNREFUSED');
      },
      ...fastLease,
    });
    await assert.rejects(store.fresh(), /ECONNREFUSED/);
    assert.equal(storage.values.has(SESSION_KEY), true);
    assert.equal(storage.values.has(`${SESSION_KEY}.refreshLease`), false);
  });

  it('signed out: undefined, nothing written', async () => {
    const storage = new SharedSecretStorage();
    const store = new SessionStore(storage.window(), {
      key: SESSION_KEY,
      refresh: rotatingProvider().refresh,
    });
    assert.equal(await store.fresh(), undefined);
    assert.equal(storage.writes, 0);
  });
});
