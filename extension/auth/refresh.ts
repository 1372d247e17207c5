/**
 * One refresh across windows.
 *
 * Every VS Code window runs its own extension host, and all of them share one SecretStorage. The
 * identity provider rotates refresh tokens: a refresh token works once, and a second use of it is
 * taken as theft and revokes the whole grant (RFC 9700 section 4.14). So when the access token is
 * about to expire, exactly one window may refresh; the others must pick up its result.
 *
 * SecretStorage has get / store / delete and a change event, but no compare-and-swap. The lease
 * is therefore "write, let it settle, read back":
 *
 *   1. read the lease record; if another owner holds it and it has not expired, wait;
 *   2. write {owner: me, until: now + ttl};
 *   3. wait `settleMs`, then read it again: the lease is mine only if my write is still there.
 *      Two windows that both saw no lease both write; the store applies writes in order, so
 *      after the settle delay both read the same last write, and only its owner proceeds;
 *   4. with the lease, RE-READ THE SESSION: another window may have refreshed between my first
 *      read and my lease; if the stored access token is fresh now, use it and refresh nothing.
 *      This re-read is what makes the scheme safe even if a slow write slips past step 3: the
 *      late window finds the new session and does not spend the (now rotated) refresh token;
 *   5. refresh, store the new session, delete the lease (only if it is still mine).
 *
 * A window that crashes while holding the lease blocks nobody for long: the lease expires after
 * `ttlMs` (longer than a token request may take). Waiting windows poll the session and stop
 * waiting as soon as it is fresh. Within one window, concurrent callers share one refresh.
 *
 * vscode-free: the extension passes SecretStorage, the CLI the keyring or a file, tests a fake.
 */
import { randomUUID } from 'node:crypto';
import { isExpired, needsRefresh, parseSession, serializeSession, type StoredSession } from './session';

/** The part of VS Code's SecretStorage (or any secret store) this needs. */
export interface SecretKV {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

/** The lease record, stored as JSON under `${key}.refreshLease`. */
export interface LeaseRecord {
  owner: string;
  /** ms since the epoch after which the lease is void. */
  until: number;
}

export interface SessionStoreOptions {
  /** Where the session lives in the store. */
  key: string;
  /** Obtains a new session from the refresh token (the network call). */
  refresh: (session: StoredSession) => Promise<StoredSession>;
  /** This window's id; a random one by default. */
  owner?: string;
  /** How long a lease is valid: longer than a token request may take. Default 30 s. */
  leaseTtlMs?: number;
  /** How long a written lease settles before it is read back. Default 250 ms. */
  settleMs?: number;
  /** How often a waiting window re-reads the session. Default 250 ms. */
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The refresh token was refused (revoked, expired, re-used): the user must sign in again. */
export class SessionExpiredError extends Error {
  constructor(message = 'Your NAVI session has ended. Sign in again.') {
    super(message);
    this.name = 'SessionExpiredError';
  }
}

export class SessionStore {
  readonly key: string;
  readonly leaseKey: string;
  readonly owner: string;
  private readonly opts: Required<Omit<SessionStoreOptions, 'key' | 'owner'>>;
  private inFlight: Promise<StoredSession | undefined> | undefined;

  constructor(
    private readonly kv: SecretKV,
    options: SessionStoreOptions,
  ) {
    this.key = options.key;
    this.leaseKey = `${options.key}.refreshLease`;
    this.owner = options.owner ?? randomUUID();
    this.opts = {
      refresh: options.refresh,
      leaseTtlMs: options.leaseTtlMs ?? 30_000,
      settleMs: options.settleMs ?? 250,
      pollMs: options.pollMs ?? 250,
      now: options.now ?? Date.now,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    };
  }

  async read(): Promise<StoredSession | undefined> {
    return parseSession(await this.kv.get(this.key));
  }

  async write(session: StoredSession): Promise<void> {
    await this.kv.store(this.key, serializeSession(session));
  }

  async clear(): Promise<void> {
    await this.kv.delete(this.key);
  }

  /**
   * The stored session with an access token that is not about to expire: refreshed first when
   * due, by this window or another. Undefined when signed out. Throws SessionExpiredError when the
   * provider refused the refresh token (the session is deleted), and the refresh's own error when
   * the provider could not be reached (the session is kept: it may work again later).
   */
  fresh(): Promise<StoredSession | undefined> {
    this.inFlight ??= this.freshOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async freshOnce(): Promise<StoredSession | undefined> {
    const { now, sleep, leaseTtlMs, pollMs } = this.opts;
    let session = await this.read();
    if (!session || !needsRefresh(session, now())) return session;
    if (!session.refreshToken) {
      if (isExpired(session, now())) throw new SessionExpiredError();
      return session;
    }
    const giveUpAt = now() + leaseTtlMs + 5_000;
    for (;;) {
      if (await this.tryAcquireLease()) {
        try {
          session = await this.read();
          if (!session || !needsRefresh(session, now())) return session;
          let next: StoredSession;
          try {
            next = await this.opts.refresh(session);
          } catch (error) {
            if (!(error instanceof SessionExpiredError)) throw error;
            // Refused. Unless someone stored another session meanwhile, this one is over.
            const latest = await this.read();
            if (latest && latest.refreshToken !== session.refreshToken) return latest;
            await this.clear();
            throw error;
          }
          await this.write(next);
          return next;
        } finally {
          await this.releaseLease();
        }
      }
      await sleep(pollMs);
      session = await this.read();
      if (!session || !needsRefresh(session, now())) return session;
      if (now() > giveUpAt) {
        if (!isExpired(session, now())) return session;
        throw new Error('Another NAVI window holds the session refresh and did not finish it.');
      }
    }
  }

  private async readLease(): Promise<LeaseRecord | undefined> {
    try {
      const lease = JSON.parse((await this.kv.get(this.leaseKey)) ?? 'null') as LeaseRecord | null;
      return lease && typeof lease.owner === 'string' && typeof lease.until === 'number' ? lease : undefined;
    } catch {
      return undefined;
    }
  }

  /** Steps 1–3 above. */
  async tryAcquireLease(): Promise<boolean> {
    const { now, sleep, leaseTtlMs, settleMs } = this.opts;
    const current = await this.readLease();
    if (current && current.owner !== this.owner && current.until > now()) return false;
    await this.kv.store(this.leaseKey, JSON.stringify({ owner: this.owner, until: now() + leaseTtlMs }));
    await sleep(settleMs);
    return (await this.readLease())?.owner === this.owner;
  }

  async releaseLease(): Promise<void> {
    if ((await this.readLease())?.owner === this.owner) await this.kv.delete(this.leaseKey);
  }
}

/** Secrets in this process only: the CLI without a keyring, and tests. */
export class MemoryKV implements SecretKV {
  readonly values = new Map<string, string>();
  async get(key: string) {
    return this.values.get(key);
  }
  async store(key: string, value: string) {
    this.values.set(key, value);
  }
  async delete(key: string) {
    this.values.delete(key);
  }
}
