import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { CHAIN_CHECK_SQL, GAPS_SQL, SQLITE_MIGRATIONS } from './migrations';
import { EVENT_COLUMNS, ORDER, eventQuery, rowToEvent } from './query';
import {
  StoreRuleError,
  type ChainBreak,
  type ControlEvent,
  type EventConflict,
  type EventCursor,
  type EventFilter,
  type InsertResult,
  type NewEvent,
  type OrgRecord,
  type PolicyVersion,
  type SessionGaps,
  type Store,
  type StoredEvent,
} from './types';

/** File name of the database inside the data directory. */
export const SQLITE_FILE = 'control-plane.sqlite';

/** Rows handed out per slice while streaming an export. */
const STREAM_SLICE = 500;

/**
 * The embedded store: one SQLite file under the data directory, created on first open.
 *
 * Durability: WAL journal with `synchronous = FULL`, so a commit is fsynced to the WAL before
 * `insertEvents` returns, and an acknowledged batch survives a crash of the process and of the
 * machine (NORMAL would survive the process only). better-sqlite3 is synchronous and a single
 * connection serialises writers; exports read on a connection of their own, in one read
 * transaction (a consistent snapshot that does not block writers).
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly file: string;
  private readonly db: Database.Database;

  constructor(dataDir: string) {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.file = path.join(dataDir, SQLITE_FILE);
    this.db = new Database(this.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    // Another process (the `org` CLI) may write while the server runs: wait instead of failing.
    this.db.pragma('busy_timeout = 10000');
  }

  async migrate(): Promise<void> {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)',
    );
    // IMMEDIATE takes the write lock first, so two processes starting at once migrate one at a time.
    const run = this.db.transaction(() => {
      const done = new Set(
        (this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
          (r) => r.version,
        ),
      );
      for (const m of SQLITE_MIGRATIONS) {
        if (done.has(m.version)) continue;
        this.db.exec(m.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.name, new Date().toISOString());
      }
    });
    run.immediate();
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** For the benchmark and the million-row test: the raw connection. */
  get raw(): Database.Database {
    return this.db;
  }

  async listOrgs(): Promise<OrgRecord[]> {
    const rows = this.db.prepare('SELECT record FROM orgs ORDER BY id').all() as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as OrgRecord);
  }

  async putOrg(org: OrgRecord): Promise<void> {
    this.db.transaction(() => {
      for (const issuer of org.issuers) {
        const owner = this.db.prepare('SELECT org_id FROM org_issuers WHERE issuer = ?').get(issuer) as
          { org_id: string } | undefined;
        if (owner && owner.org_id !== org.id)
          throw new StoreRuleError(`issuer ${issuer} is already registered for org ${owner.org_id}`);
      }
      this.db
        .prepare(
          'INSERT INTO orgs (id, record) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record',
        )
        .run(org.id, JSON.stringify(org));
      this.db.prepare('DELETE FROM org_issuers WHERE org_id = ?').run(org.id);
      const add = this.db.prepare('INSERT INTO org_issuers (issuer, org_id) VALUES (?, ?)');
      for (const issuer of org.issuers) add.run(issuer, org.id);
    })();
  }

  async removeOrg(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM orgs WHERE id = ?').run(id).changes > 0;
  }

  async insertEvents(
    orgId: string,
    uploader: string,
    events: NewEvent[],
    receivedAt: string,
  ): Promise<InsertResult> {
    const insert = this.db.prepare(
      `INSERT INTO audit_events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    const byId = this.db.prepare('SELECT content FROM audit_events WHERE org_id = ? AND id = ?');
    const bySeq = this.db.prepare(
      'SELECT id FROM audit_events WHERE org_id = ? AND session_id = ? AND seq = ?',
    );
    const session = this.db.prepare(
      `INSERT INTO audit_sessions (org_id, session_id, count, max_seq) VALUES (?, ?, 1, ?)
       ON CONFLICT (org_id, session_id) DO UPDATE SET count = count + 1, max_seq = max(max_seq, excluded.max_seq)`,
    );
    const rollback = new Error('rollback');
    let result: InsertResult = { ok: true, inserted: [], duplicates: [] };
    try {
      this.db.transaction(() => {
        const inserted: string[] = [];
        const duplicates: string[] = [];
        const conflicts: EventConflict[] = [];
        for (const e of events) {
          const r = insert.run(
            orgId,
            e.id,
            e.sessionId,
            e.seq,
            e.ts,
            e.type,
            e.actorId,
            e.prevHash,
            e.hash,
            e.content,
            uploader,
            receivedAt,
          );
          if (r.changes === 1) {
            inserted.push(e.id);
            session.run(orgId, e.sessionId, e.seq);
            continue;
          }
          const same = byId.get(orgId, e.id) as { content: string } | undefined;
          if (same) {
            if (same.content === e.content) duplicates.push(e.id);
            else conflicts.push({ id: e.id, reason: 'content', existingId: e.id });
          } else {
            const taken = bySeq.get(orgId, e.sessionId, e.seq) as { id: string };
            conflicts.push({ id: e.id, reason: 'seq', existingId: taken.id });
          }
        }
        if (conflicts.length) {
          result = { ok: false, conflicts };
          throw rollback;
        }
        result = { ok: true, inserted, duplicates };
      })();
    } catch (err) {
      if (err !== rollback) throw err;
    }
    return result;
  }

  async checkChain(orgId: string, ids: string[]): Promise<ChainBreak[]> {
    if (!ids.length) return [];
    const rows = this.db
      .prepare(CHAIN_CHECK_SQL('SELECT value FROM json_each(?)', '?'))
      .all(JSON.stringify(ids), orgId) as Record<string, unknown>[];
    return rows.map((r) => ({
      sessionId: r.session_id as string,
      seq: Number(r.seq),
      id: r.id as string,
      prevHash: r.prev_hash as string,
      expected: r.expected as string,
    }));
  }

  async sessionGaps(orgId: string, sessionIds: string[]): Promise<SessionGaps[]> {
    const withGaps = this.db
      .prepare(
        `SELECT session_id FROM audit_sessions WHERE org_id = ? AND session_id IN (SELECT value FROM json_each(?))
         AND count <> max_seq + 1 ORDER BY session_id`,
      )
      .all(orgId, JSON.stringify(sessionIds)) as { session_id: string }[];
    const gaps = this.db.prepare(GAPS_SQL('?', '?'));
    return withGaps.map(({ session_id }) => ({
      sessionId: session_id,
      missing: (gaps.all(orgId, session_id) as { gap_from: number; gap_to: number }[]).map(
        (g) => [g.gap_from, g.gap_to] as [number, number],
      ),
    }));
  }

  async listEvents(
    orgId: string,
    filter: EventFilter,
    after: EventCursor | null,
    limit: number,
  ): Promise<StoredEvent[]> {
    const q = eventQuery(orgId, filter, after, () => '?');
    const rows = this.db
      .prepare(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE ${q.where} ${ORDER} LIMIT ?`)
      .all(...q.params, limit) as Record<string, unknown>[];
    return rows.map(rowToEvent);
  }

  async *streamEvents(orgId: string, filter: EventFilter): AsyncIterableIterator<StoredEvent[]> {
    const reader = new Database(this.file, { readonly: true });
    try {
      const q = eventQuery(orgId, filter, null, () => '?');
      const rows = reader
        .prepare(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE ${q.where} ${ORDER}`)
        .iterate(...q.params) as IterableIterator<Record<string, unknown>>;
      try {
        for (;;) {
          const slice: StoredEvent[] = [];
          for (let r = rows.next(); !r.done; r = rows.next()) {
            slice.push(rowToEvent(r.value));
            if (slice.length >= STREAM_SLICE) break;
          }
          if (!slice.length) return;
          yield slice;
          if (slice.length < STREAM_SLICE) return;
        }
      } finally {
        rows.return?.();
      }
    } finally {
      reader.close();
    }
  }

  async appendControlEvent(e: ControlEvent): Promise<void> {
    this.db
      .prepare('INSERT INTO control_events (id, org_id, ts, kind, actor, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.id, e.orgId, e.ts, e.kind, e.actor, JSON.stringify(e.data));
  }

  async listControlEvents(
    orgId: string,
    afterPos: number,
    limit: number,
  ): Promise<(ControlEvent & { pos: number })[]> {
    const rows = this.db
      .prepare('SELECT * FROM control_events WHERE org_id = ? AND pos > ? ORDER BY pos LIMIT ?')
      .all(orgId, afterPos, limit) as Record<string, unknown>[];
    return rows.map((r) => ({
      pos: Number(r.pos),
      id: r.id as string,
      orgId: r.org_id as string,
      ts: r.ts as string,
      kind: r.kind as string,
      actor: r.actor as string,
      data: JSON.parse(r.data as string) as Record<string, unknown>,
    }));
  }

  async latestPolicy(orgId: string): Promise<PolicyVersion | null> {
    const r = this.db
      .prepare('SELECT * FROM policies WHERE org_id = ? ORDER BY version DESC LIMIT 1')
      .get(orgId) as Record<string, unknown> | undefined;
    return r ? policyRow(r) : null;
  }

  async putPolicy(p: PolicyVersion): Promise<boolean> {
    return this.db.transaction(() => {
      const latest = this.db
        .prepare('SELECT max(version) AS v FROM policies WHERE org_id = ?')
        .get(p.orgId) as {
        v: number | null;
      };
      if ((latest.v ?? 0) + 1 !== p.version) return false;
      this.db
        .prepare(
          'INSERT INTO policies (org_id, version, document, require_audit_record, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(p.orgId, p.version, p.document, p.requireAuditRecord ? 1 : 0, p.createdAt, p.createdBy);
      return true;
    })();
  }
}

export function policyRow(r: Record<string, unknown>): PolicyVersion {
  return {
    orgId: r.org_id as string,
    version: Number(r.version),
    document: r.document as string,
    requireAuditRecord: r.require_audit_record === true || r.require_audit_record === 1,
    createdAt: r.created_at as string,
    createdBy: r.created_by as string,
  };
}
