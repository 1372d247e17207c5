/**
 * The one storage interface of the control plane. Two implementations: `sqlite.ts` (embedded,
 * the default: a file under the data directory) and `postgres.ts` (when `DATABASE_URL` is set,
 * so several instances can share it). One contract suite (test/integration/control-plane/
 * store.contract.test.ts) runs against both.
 *
 * Audit tables are append-only in the database itself: the schema refuses UPDATE and DELETE
 * (SQLite triggers, PostgreSQL triggers), so no code path of ours, and no operator with only the
 * application's credentials, can change a stored event.
 */

/** An org's registration: who may sign in for it and how its tokens are checked (docs/control-plane.md). */
export interface OrgRecord {
  /** Stable org id: lower-case letters, digits and `-`, 1–64 characters. */
  id: string;
  /** Display name. */
  name: string;
  /** OIDC issuer URLs (exactly as in the tokens' `iss`); each issuer belongs to one org only. */
  issuers: string[];
  /** The `aud` an access token must carry (the control plane's resource indicator). */
  audience: string;
  /** OAuth client ids allowed to call the API (`client_id` / `azp` of the token). */
  clientIds: string[];
  /** Claim holding the user's NAVI roles (array or space-separated string). */
  rolesClaim: string;
  /** Also accept OIDC ID tokens (then `aud` must be an allowed client id). */
  acceptIdTokens: boolean;
}

export type Role = 'member' | 'auditor' | 'admin';

/** One NAVI audit event as stored, beside what the server knows about its upload. */
export interface StoredEvent {
  orgId: string;
  id: string;
  sessionId: string;
  seq: number;
  ts: string;
  type: string;
  /** `actor.id` of the event (the writer's claim, part of the hashed content), or null. */
  actorId: string | null;
  prevHash: string;
  hash: string;
  /** The event exactly as uploaded, as RFC 8785 canonical JSON. */
  content: string;
  /** Verified token subject of whoever uploaded it. */
  uploader: string;
  /** When the control plane committed it (ISO-8601 UTC, ms). */
  receivedAt: string;
}

/** What `insertEvents` is given for one event (validated and hash-checked by the caller). */
export type NewEvent = Omit<StoredEvent, 'orgId' | 'uploader' | 'receivedAt'>;

/** Why an uploaded event cannot be stored. */
export interface EventConflict {
  id: string;
  /** `content`: same id, other content; `seq`: the session's seq is taken by another event id. */
  reason: 'content' | 'seq';
  /** The id of the stored event it collides with. */
  existingId: string;
}

export type InsertResult =
  { ok: true; inserted: string[]; duplicates: string[] } | { ok: false; conflicts: EventConflict[] };

/** A hash-chain finding about a stored event. */
export interface ChainBreak {
  sessionId: string;
  seq: number;
  id: string;
  /** The `prevHash` the event carries. */
  prevHash: string;
  /** The hash of the session's stored event at `seq - 1`. */
  expected: string;
}

export interface SessionGaps {
  sessionId: string;
  /** Missing seq ranges `[from, to]` (inclusive) between 0 and the highest stored seq. */
  missing: [number, number][];
}

/** An event the control plane writes about itself (conflicts, exports, policy changes). */
export interface ControlEvent {
  id: string;
  orgId: string;
  ts: string;
  /** `conflict`, `export`, `policy.changed`, `chain.broken`. */
  kind: string;
  /** Verified token subject that caused it. */
  actor: string;
  /** Kind-specific details (JSON object). */
  data: Record<string, unknown>;
}

/** Filters of `GET /api/audit/events` and the export; all optional, combined with AND. */
export interface EventFilter {
  /** Only events with `ts` at or after this ISO instant. */
  from?: string;
  /** Only events with `ts` before this ISO instant. */
  to?: string;
  type?: string;
  sessionId?: string;
  /** `actor.id` of the event. */
  actorId?: string;
  /** Only events uploaded by this verified subject (members see only their own). */
  uploader?: string;
}

/** Keyset position: the order is `(ts, sessionId, seq)`, stable and unique per org. */
export interface EventCursor {
  ts: string;
  sessionId: string;
  seq: number;
}

export interface PolicyVersion {
  orgId: string;
  /** 1, 2, …; 0 means "no policy stored yet" (the empty default). */
  version: number;
  /** The policy file (protocol/policy.ts `PolicyFile`), as JSON text. */
  document: string;
  requireAuditRecord: boolean;
  createdAt: string;
  createdBy: string;
}

export interface Store {
  /** `sqlite` or `postgres`, for logs and /readyz. */
  readonly kind: 'sqlite' | 'postgres';
  /** Runs the migrations (idempotent; safe when several instances start at once). */
  migrate(): Promise<void>;
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;

  listOrgs(): Promise<OrgRecord[]>;
  /** Adds or replaces an org; throws when one of its issuers belongs to another org. */
  putOrg(org: OrgRecord): Promise<void>;
  /** Removes an org's registration (its events stay: they are append-only). */
  removeOrg(id: string): Promise<boolean>;

  /**
   * Stores a batch atomically: all new events, or nothing when any event conflicts. Events that
   * are already stored with identical content are duplicates (idempotent retries). Committed
   * durably before the promise resolves.
   */
  insertEvents(
    orgId: string,
    uploader: string,
    events: NewEvent[],
    receivedAt: string,
  ): Promise<InsertResult>;
  /** Chain links of the given events checked against their stored session neighbours. */
  checkChain(orgId: string, ids: string[]): Promise<ChainBreak[]>;
  /** Missing seqs of the given sessions (only sessions that have gaps are returned). */
  sessionGaps(orgId: string, sessionIds: string[]): Promise<SessionGaps[]>;
  /** One page in `(ts, sessionId, seq)` order, strictly after `after`. */
  listEvents(
    orgId: string,
    filter: EventFilter,
    after: EventCursor | null,
    limit: number,
  ): Promise<StoredEvent[]>;
  /**
   * All matching events in order, in slices, from one consistent snapshot; holds a dedicated
   * connection until the iteration ends or is abandoned (`return()`).
   */
  streamEvents(orgId: string, filter: EventFilter): AsyncIterableIterator<StoredEvent[]>;

  appendControlEvent(event: ControlEvent): Promise<void>;
  listControlEvents(
    orgId: string,
    afterPos: number,
    limit: number,
  ): Promise<(ControlEvent & { pos: number })[]>;

  /** The latest policy version of the org, or null. */
  latestPolicy(orgId: string): Promise<PolicyVersion | null>;
  /** Stores `version` (must be latest + 1); false when another writer stored it first. */
  putPolicy(policy: PolicyVersion): Promise<boolean>;
}

/** Thrown for a registry rule violation (issuer owned by another org…): a usage error, not a bug. */
export class StoreRuleError extends Error {
  override name = 'StoreRuleError';
}

/** Sort key used by both stores (documented order of listing and export). */
export function cursorOf(e: Pick<StoredEvent, 'ts' | 'sessionId' | 'seq'>): EventCursor {
  return { ts: e.ts, sessionId: e.sessionId, seq: e.seq };
}
