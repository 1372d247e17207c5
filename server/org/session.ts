import type { OrgSessionParams, OrgTokenParams, OrgTokenResult } from '../../protocol/requests';
import type { Logger } from '../taskContext';

/**
 * The agent's org session: which control plane it talks to and the bearer token it uses, both
 * supplied by the client (`navi/orgSession`) and renewed by it (`navi/orgToken`). The agent never
 * signs in itself, never stores the token and never logs it.
 */

export interface OrgSession {
  /** Base URL without a trailing slash. */
  controlPlaneUrl: string;
  accessToken: string;
  /** ms since the epoch, when the client said. */
  expiresAt?: number;
  org: string;
  user: string;
}

/** Ask the client for a fresh token this long before the one we have expires. */
export const TOKEN_EXPIRY_MARGIN_MS = 60_000;
/** How long a `navi/orgToken` request may take before it counts as signed out. */
export const TOKEN_REQUEST_TIMEOUT_MS = 30_000;

export interface OrgSessionHolderOptions {
  /** Sends `navi/orgToken` to the client. */
  requestToken: (params: OrgTokenParams) => Promise<OrgTokenResult>;
  log: Logger;
  now?: () => number;
}

export class OrgSessionHolder {
  private session: OrgSession | undefined;
  private readonly listeners = new Set<(session: OrgSession | undefined, previous?: OrgSession) => void>();
  private renewing: Promise<string | undefined> | undefined;
  /** Bumped on every change: a token answer for an older session is dropped. */
  private generation = 0;
  private readonly now: () => number;

  constructor(private readonly options: OrgSessionHolderOptions) {
    this.now = options.now ?? Date.now;
  }

  current(): OrgSession | undefined {
    return this.session;
  }

  /** Applies a `navi/orgSession` from the client; listeners hear about a new target or sign-out. */
  set(params: OrgSessionParams): void {
    const previous = this.session;
    this.generation++;
    this.renewing = undefined;
    if ('signedOut' in params) {
      this.session = undefined;
      if (previous) this.options.log.info(`Org session ended (${previous.org}); audit upload paused.`);
    } else {
      this.session = {
        controlPlaneUrl: params.controlPlaneUrl.replace(/\/+$/, ''),
        accessToken: params.accessToken,
        ...(params.expiresAt !== undefined ? { expiresAt: params.expiresAt } : {}),
        org: params.org,
        user: params.user,
      };
      if (!previous || !sameTarget(previous, this.session))
        this.options.log.info(
          `Org session: ${this.session.user} in ${this.session.org}, control plane ${this.session.controlPlaneUrl}.`,
        );
    }
    for (const listener of this.listeners) listener(this.session, previous);
  }

  /** Called with the new session (undefined: signed out) after every `set`. */
  onChange(listener: (session: OrgSession | undefined, previous?: OrgSession) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A token to send now: the current one, or (when it is about to expire, or `rejected` says the
   * control plane refused it) a fresh one from the client. Undefined when signed out or the client
   * has none. Concurrent callers share one request.
   */
  async token(reason?: 'rejected'): Promise<string | undefined> {
    const session = this.session;
    if (!session) return undefined;
    const expiring =
      session.expiresAt !== undefined && session.expiresAt - this.now() < TOKEN_EXPIRY_MARGIN_MS;
    if (!reason && !expiring) return session.accessToken;
    this.renewing ??= this.renew(reason ?? 'expiring', session.accessToken).finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async renew(reason: OrgTokenParams['reason'], stale: string): Promise<string | undefined> {
    const generation = this.generation;
    let answer: OrgTokenResult;
    try {
      answer = await withTimeout(this.options.requestToken({ reason }), TOKEN_REQUEST_TIMEOUT_MS);
    } catch (error) {
      this.options.log.warn(`Org session: the client gave no fresh token (${describeError(error)}).`);
      // A token that is merely expiring may still work for a while; a refused one does not.
      return reason === 'rejected' ? undefined : this.session?.accessToken;
    }
    if (generation !== this.generation) return this.session?.accessToken;
    if ('signedOut' in answer) {
      this.set({ signedOut: true });
      return undefined;
    }
    if (!this.session) return undefined;
    if (reason === 'rejected' && answer.accessToken === stale) {
      // The client has nothing newer: the server refuses this token, so stop using it until the
      // client sends a new session (sign-in again, or its own refresh).
      this.options.log.warn(
        'Org session: the control plane refused the token and the client has no newer one.',
      );
      return undefined;
    }
    this.session = {
      ...this.session,
      accessToken: answer.accessToken,
      ...(answer.expiresAt !== undefined ? { expiresAt: answer.expiresAt } : {}),
    };
    return answer.accessToken;
  }
}

function sameTarget(a: OrgSession, b: OrgSession): boolean {
  return a.controlPlaneUrl === b.controlPlaneUrl && a.org === b.org && a.user === b.user;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const code = cause && typeof cause === 'object' && 'code' in cause ? String(cause.code) : undefined;
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
