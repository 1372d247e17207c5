import pg from 'pg';
import { CHAIN_CHECK_SQL, GAPS_SQL, POSTGRES_MIGRATIONS } from './migrations';
import { EVENT_COLUMNS, ORDER, eventQuery, rowToEvent } from './query';
import { policyRow } from './sqlite';
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

/** Key of the session-level advisory lock held while migrating ("NAVI" in ASCII). */
const MIGRATION_LOCK = 0x4e415649;
/** Rows fetched per round trip while streaming an export. */
const STREAM_SLICE = 2000;
/** Deadlocks and serialization failures are retried this many times before failing the request. */
const MAX_RETRIES = 5;

const $ = (n: number) => `$${n}`;

/**
 * The shared store for several instances behind a load balancer: PostgreSQL through a `pg` pool.
 * A batch is one transaction, acknowledged after COMMIT (synchronous_commit as the server is
 * configured; `on` by default, which waits for the WAL flush). Concurrent batches for the same
 * org on several instances are ordered by the unique indexes (`INSERT … ON CONFLICT DO NOTHING`
 * waits for the other transaction, then sees its row); rows are inserted in `(session, seq)`
 * order so two batches never lock each other's rows in opposite orders.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;

  constructor(connectionString: string, poolSize = 10) {
    this.pool = new pg.Pool({ connectionString, max: poolSize });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Two instances starting at once: the second waits here until the first has migrated.
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)',
      );
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      for (const m of POSTGRES_MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query(
            'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
            [m.version, m.name, new Date().toISOString()],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Runs fn in a transaction, retrying deadlocks and serialization failures. */
  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(client);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        const code = (err as { code?: string }).code;
        if ((code === '40P01' || code === '40001') && attempt < MAX_RETRIES) continue;
        throw err;
      } finally {
        client.release();
      }
    }
  }

  async listOrgs(): Promise<OrgRecord[]> {
    const { rows } = await this.pool.query<{ record: string }>('SELECT record FROM orgs ORDER BY id');
    return rows.map((r) => JSON.parse(r.record) as OrgRecord);
  }

  async putOrg(org: OrgRecord): Promise<void> {
    await this.tx(async (c) => {
      await c.query('LOCK TABLE org_issuers IN SHARE ROW EXCLUSIVE MODE');
      const { rows } = await c.query<{ issuer: string; org_id: string }>(
        'SELECT issuer, org_id FROM org_issuers WHERE issuer = ANY($1) AND org_id <> $2',
        [org.issuers, org.id],
      );
      if (rows[0])
        throw new StoreRuleError(`issuer ${rows[0].issuer} is already registered for org ${rows[0].org_id}`);
      await c.query(
        'INSERT INTO orgs (id, record) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record',
        [org.id, JSON.stringify(org)],
      );
      await c.query('DELETE FROM org_issuers WHERE org_id = $1', [org.id]);
      await c.query('INSERT INTO org_issuers (issuer, org_id) SELECT unnest($1::text[]), $2', [
        org.issuers,
        org.id,
      ]);
    });
  }

  async removeOrg(id: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM orgs WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async insertEvents(
    orgId: string,
    uploader: string,
    events: NewEvent[],
    receivedAt: string,
  ): Promise<InsertResult> {
    const sorted = [...events].sort((a, b) =>
      a.sessionId < b.sessionId
        ? -1
        : a.sessionId > b.sessionId
          ? 1
          : a.seq - b.seq || (a.id < b.id ? -1 : 1),
    );
    const col = <K extends keyof NewEvent>(k: K) => sorted.map((e) => e[k]);
    const rollback = new Error('rollback');
    let conflicts: EventConflict[] = [];
    try {
      return await this.tx(async (c) => {
        // Ids are unique within a batch (the ingest layer refuses repeats).
        const { rows: ins } = await c.query<{ id: string }>(
          `INSERT INTO audit_events (${EVENT_COLUMNS})
           SELECT $1, id, session_id, seq, ts, type, actor_id, prev_hash, hash, content, $11, $12
           FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
             AS t(id, session_id, seq, ts, type, actor_id, prev_hash, hash, content)
           ON CONFLICT DO NOTHING RETURNING id`,
          [
            orgId,
            col('id'),
            col('sessionId'),
            col('seq'),
            col('ts'),
            col('type'),
            col('actorId'),
            col('prevHash'),
            col('hash'),
            col('content'),
            uploader,
            receivedAt,
          ],
        );
        const inserted = new Set(ins.map((r) => r.id));
        const rest = sorted.filter((e) => !inserted.has(e.id));
        const duplicates = new Set<string>();
        conflicts = [];
        if (rest.length) {
          const { rows } = await c.query<{ id: string; session_id: string; seq: string; content: string }>(
            `SELECT id, session_id, seq, content FROM audit_events WHERE org_id = $1
             AND (id = ANY($2) OR (session_id, seq) IN (SELECT * FROM unnest($3::text[], $4::bigint[])))`,
            [orgId, rest.map((e) => e.id), rest.map((e) => e.sessionId), rest.map((e) => e.seq)],
          );
          const byId = new Map(rows.map((r) => [r.id, r]));
          const bySeq = new Map(rows.map((r) => [`${r.session_id}/${r.seq}`, r]));
          for (const e of rest) {
            const same = byId.get(e.id);
            if (same) {
              if (same.content !== e.content)
                conflicts.push({ id: e.id, reason: 'content', existingId: e.id });
              else duplicates.add(e.id);
            } else {
              const taken = bySeq.get(`${e.sessionId}/${e.seq}`);
              conflicts.push({ id: e.id, reason: 'seq', existingId: taken?.id ?? '' });
            }
          }
        }
        if (conflicts.length) throw rollback;
        if (inserted.size) {
          const counts = new Map<string, { n: number; max: number }>();
          for (const e of sorted)
            if (inserted.has(e.id)) {
              const s = counts.get(e.sessionId) ?? { n: 0, max: 0 };
              counts.set(e.sessionId, { n: s.n + 1, max: Math.max(s.max, e.seq) });
            }
          const ids = [...counts.keys()].sort();
          await c.query(
            `INSERT INTO audit_sessions (org_id, session_id, count, max_seq)
             SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::bigint[])
             ON CONFLICT (org_id, session_id) DO UPDATE SET count = audit_sessions.count + EXCLUDED.count,
               max_seq = GREATEST(audit_sessions.max_seq, EXCLUDED.max_seq)`,
            [orgId, ids, ids.map((s) => counts.get(s)!.n), ids.map((s) => counts.get(s)!.max)],
          );
        }
        return {
          ok: true as const,
          inserted: events.filter((e) => inserted.has(e.id)).map((e) => e.id),
          duplicates: events.filter((e) => duplicates.has(e.id)).map((e) => e.id),
        };
      });
    } catch (err) {
      if (err === rollback) return { ok: false, conflicts };
      throw err;
    }
  }

  async checkChain(orgId: string, ids: string[]): Promise<ChainBreak[]> {
    if (!ids.length) return [];
    const { rows } = await this.pool.query(CHAIN_CHECK_SQL('SELECT unnest($2::text[])', '$1'), [orgId, ids]);
    return rows.map((r) => ({
      sessionId: r.session_id,
      seq: Number(r.seq),
      id: r.id,
      prevHash: r.prev_hash,
      expected: r.expected,
    }));
  }

  async sessionGaps(orgId: string, sessionIds: string[]): Promise<SessionGaps[]> {
    const { rows } = await this.pool.query<{ session_id: string }>(
      `SELECT session_id FROM audit_sessions WHERE org_id = $1 AND session_id = ANY($2)
       AND count <> max_seq + 1 ORDER BY session_id`,
      [orgId, sessionIds],
    );
    const out: SessionGaps[] = [];
    for (const { session_id } of rows) {
      const gaps = await this.pool.query<{ gap_from: string; gap_to: string }>(GAPS_SQL('$1', '$2'), [
        orgId,
        session_id,
      ]);
      out.push({
        sessionId: session_id,
        missing: gaps.rows.map((g) => [Number(g.gap_from), Number(g.gap_to)]),
      });
    }
    return out;
  }

  async listEvents(
    orgId: string,
    filter: EventFilter,
    after: EventCursor | null,
    limit: number,
  ): Promise<StoredEvent[]> {
    const q = eventQuery(orgId, filter, after, $);
    const { rows } = await this.pool.query(
      `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE ${q.where} ${ORDER} LIMIT ${$(q.params.length + 1)}`,
      [...q.params, limit],
    );
    return rows.map(rowToEvent);
  }

  async *streamEvents(orgId: string, filter: EventFilter): AsyncIterableIterator<StoredEvent[]> {
    const client = await this.pool.connect();
    let open = false;
    try {
      // One snapshot for the whole export, read through a server-side cursor: constant memory.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      open = true;
      const q = eventQuery(orgId, filter, null, $);
      await client.query(
        `DECLARE navi_export NO SCROLL CURSOR FOR SELECT ${EVENT_COLUMNS} FROM audit_events WHERE ${q.where} ${ORDER}`,
        q.params,
      );
      for (;;) {
        const { rows } = await client.query(`FETCH ${STREAM_SLICE} FROM navi_export`);
        if (!rows.length) break;
        yield rows.map(rowToEvent);
        if (rows.length < STREAM_SLICE) break;
      }
    } finally {
      if (open) await client.query('ROLLBACK').catch(() => {});
      client.release();
    }
  }

  async appendControlEvent(e: ControlEvent): Promise<void> {
    await this.pool.query(
      'INSERT INTO control_events (id, org_id, ts, kind, actor, data) VALUES ($1, $2, $3, $4, $5, $6)',
      [e.id, e.orgId, e.ts, e.kind, e.actor, JSON.stringify(e.data)],
    );
  }

  async listControlEvents(
    orgId: string,
    afterPos: number,
    limit: number,
  ): Promise<(ControlEvent & { pos: number })[]> {
    const { rows } = await this.pool.query(
      'SELECT * FROM control_events WHERE org_id = $1 AND pos > $2 ORDER BY pos LIMIT $3',
      [orgId, afterPos, limit],
    );
    return rows.map((r) => ({
      pos: Number(r.pos),
      id: r.id,
      orgId: r.org_id,
      ts: r.ts,
      kind: r.kind,
      actor: r.actor,
      data: JSON.parse(r.data) as Record<string, unknown>,
    }));
  }

  async latestPolicy(orgId: string): Promise<PolicyVersion | null> {
    const { rows } = await this.pool.query(
      'SELECT * FROM policies WHERE org_id = $1 ORDER BY version DESC LIMIT 1',
      [orgId],
    );
    return rows[0] ? policyRow(rows[0]) : null;
  }

  async putPolicy(p: PolicyVersion): Promise<boolean> {
    // The primary key (org_id, version) lets exactly one of two concurrent writers of version N win.
    const r = await this.pool.query(
      `INSERT INTO policies (org_id, version, document, require_audit_record, created_at, created_by)
       SELECT $1, $2, $3, $4, $5, $6
       WHERE (SELECT coalesce(max(version), 0) FROM policies WHERE org_id = $1) = $2 - 1
       ON CONFLICT DO NOTHING`,
      [p.orgId, p.version, p.document, p.requireAuditRecord, p.createdAt, p.createdBy],
    );
    return (r.rowCount ?? 0) === 1;
  }
}
