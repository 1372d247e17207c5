import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as z from 'zod';
import type { EffectivePolicy } from '../exec/policy';
import type { PolicyLoader } from '../exec/policyLayers';
import type { Logger } from '../taskContext';
import { writeFileDurably } from '../durableFile';
import { describeError, type OrgSession } from './session';

/**
 * The org policy from the control plane (`GET /api/policy`, docs/control-plane.md) as the org
 * layer of the policy engine (`FilePolicyLoader.setOrgPolicy`), with its `requireAuditRecord`
 * setting.
 *
 * - Fetched when a session arrives and every `refreshMs` (default 5 min), with `If-None-Match`
 *   (a 304 costs nothing). The loader reports a changed layer as `policy.changed` (source: the
 *   policy URL) before it judges with it.
 * - Cached on disk per control plane and org (`<stateDir>/org/policy-<key>.json`), so the org's
 *   rules and `requireAuditRecord` still apply when the control plane cannot be reached.
 * - Until the first answer (or the cache) is there, judging waits for it, at most `firstFetchWaitMs`
 *   (default 5 s): a command typed right after start-up is judged with the org's rules.
 * - Signed out: the layer is dropped (the machine's /etc/navi/policy.json applies again).
 */

export interface OrgPolicyTarget {
  setOrgPolicy(policy: { source: string; text: string } | undefined): void;
}

const Cached = z.object({
  version: z.number().int().nonnegative(),
  etag: z.string(),
  requireAuditRecord: z.boolean(),
  policy: z.unknown(),
  fetchedAt: z.string(),
});
type Cached = z.infer<typeof Cached>;

export interface OrgPolicyOptions {
  loader: OrgPolicyTarget;
  stateDir: () => string;
  session: () => OrgSession | undefined;
  token: (reason?: 'rejected') => Promise<string | undefined>;
  log: Logger;
  fetch?: typeof fetch;
  refreshMs?: number;
  firstFetchWaitMs?: number;
}

export class OrgPolicySync {
  private current: (Cached & { key: string }) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private first: Promise<void> | undefined;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: OrgPolicyOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  /** The org requires every command's record at the control plane before it runs. */
  requireAuditRecord(): boolean {
    return this.options.session() !== undefined && this.current?.requireAuditRecord === true;
  }

  version(): number | undefined {
    return this.current?.version;
  }

  /** A new session or sign-out: load the cache of that org, fetch, and plan refreshes. */
  sessionChanged(): void {
    clearTimeout(this.timer);
    const session = this.options.session();
    if (!session) {
      this.current = undefined;
      this.first = undefined;
      this.options.loader.setOrgPolicy(undefined);
      return;
    }
    const key = keyOf(session);
    if (this.current?.key !== key) {
      this.current = undefined;
      this.options.loader.setOrgPolicy(undefined);
    }
    this.first = this.loadCache(session).then(() => this.refresh());
    this.first.catch(() => undefined);
  }

  /** Fetches the policy now; keeps what it has when the control plane cannot answer. */
  async refresh(): Promise<void> {
    clearTimeout(this.timer);
    const session = this.options.session();
    if (!session) return;
    try {
      await this.fetchOnce(session);
    } catch (error) {
      this.options.log.warn(
        `Org policy: could not fetch it from ${session.controlPlaneUrl} (${describeError(error)}); ${this.current ? `keeping version ${this.current.version}` : 'no org policy yet'}.`,
      );
    } finally {
      if (sameOrg(this.options.session(), session)) {
        this.timer = setTimeout(() => void this.refresh(), this.options.refreshMs ?? 5 * 60_000);
        this.timer.unref?.();
      }
    }
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** Wraps the policy loader so the first judgement after a session waits for the org policy. */
  wrap(loader: PolicyLoader): PolicyLoader {
    return {
      load: async (workspaceRoot: string, trusted: boolean): Promise<EffectivePolicy> => {
        if (this.first && !this.current) {
          const wait = this.options.firstFetchWaitMs ?? 5_000;
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            this.first.catch(() => undefined),
            new Promise<void>((resolve) => (timer = setTimeout(resolve, wait))),
          ]);
          clearTimeout(timer);
        }
        return loader.load(workspaceRoot, trusted);
      },
    };
  }

  private async fetchOnce(session: OrgSession, retried = false): Promise<void> {
    const token = await this.options.token(retried ? 'rejected' : undefined);
    if (!token) throw new Error('no access token');
    const url = policyUrl(session);
    const key = keyOf(session);
    const res = await this.fetch(url, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(this.current?.key === key ? { 'if-none-match': this.current.etag } : {}),
      },
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status === 304) return;
    if (res.status === 401 && !retried) return this.fetchOnce(session, true);
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    const body = Cached.omit({ fetchedAt: true }).parse(await res.json());
    if (!sameOrg(this.options.session(), session)) return; // signed out or switched meanwhile
    const next = { ...body, fetchedAt: new Date().toISOString() };
    this.apply(session, next);
    await writeFileDurably(cachePath(this.options.stateDir(), session), `${JSON.stringify(next)}\n`).catch(
      (error: unknown) => this.options.log.warn(`Org policy: could not cache it (${describeError(error)}).`),
    );
  }

  private async loadCache(session: OrgSession): Promise<void> {
    if (this.current?.key === keyOf(session)) return;
    try {
      const parsed = Cached.safeParse(
        JSON.parse(await fsp.readFile(cachePath(this.options.stateDir(), session), 'utf8')),
      );
      if (parsed.success && sameOrg(this.options.session(), session) && !this.current)
        this.apply(session, parsed.data);
    } catch {
      // no cache yet
    }
  }

  private apply(session: OrgSession, policy: Cached): void {
    const changed =
      this.current?.version !== policy.version ||
      this.current?.requireAuditRecord !== policy.requireAuditRecord;
    this.current = { ...policy, key: keyOf(session) };
    // The text the loader hashes and parses: the policy document as the control plane serves it.
    this.options.loader.setOrgPolicy({ source: policyUrl(session), text: JSON.stringify(policy.policy) });
    if (changed)
      this.options.log.info(
        `Org policy: version ${policy.version} of ${session.org}${policy.requireAuditRecord ? '; commands run only once the control plane has their audit record' : ''}.`,
      );
  }
}

function sameOrg(a: OrgSession | undefined, b: OrgSession): boolean {
  return a !== undefined && keyOf(a) === keyOf(b);
}

function policyUrl(session: OrgSession): string {
  return `${session.controlPlaneUrl}/api/policy`;
}

function keyOf(session: OrgSession): string {
  return createHash('sha256').update(`${session.controlPlaneUrl}\n${session.org}`).digest('hex').slice(0, 20);
}

function cachePath(stateDir: string, session: OrgSession): string {
  return path.join(stateDir, 'org', `policy-${keyOf(session)}.json`);
}
