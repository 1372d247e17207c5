import type { EventCursor, EventFilter, StoredEvent } from './types';

/**
 * The SELECT of listing and export, shared by both stores so they filter and order the same way.
 * `ph(n)` renders the n-th (1-based) placeholder: `?` for SQLite, `$n` for PostgreSQL.
 */

export const EVENT_COLUMNS =
  'org_id, id, session_id, seq, ts, type, actor_id, prev_hash, hash, content, uploader, received_at';

export function eventQuery(
  orgId: string,
  filter: EventFilter,
  after: EventCursor | null,
  ph: (n: number) => string,
): { where: string; params: unknown[] } {
  const params: unknown[] = [orgId];
  const clauses = [`org_id = ${ph(1)}`];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    clauses.push(sql(ph(params.length)));
  };
  if (filter.uploader !== undefined) add((p) => `uploader = ${p}`, filter.uploader);
  if (filter.from !== undefined) add((p) => `ts >= ${p}`, filter.from);
  if (filter.to !== undefined) add((p) => `ts < ${p}`, filter.to);
  if (filter.type !== undefined) add((p) => `type = ${p}`, filter.type);
  if (filter.sessionId !== undefined) add((p) => `session_id = ${p}`, filter.sessionId);
  if (filter.actorId !== undefined) add((p) => `actor_id = ${p}`, filter.actorId);
  if (after) {
    params.push(after.ts, after.sessionId, after.seq);
    const n = params.length;
    clauses.push(`(ts, session_id, seq) > (${ph(n - 2)}, ${ph(n - 1)}, ${ph(n)})`);
  }
  return { where: clauses.join(' AND '), params };
}

export const ORDER = 'ORDER BY ts, session_id, seq';

/** A database row (snake_case) as a StoredEvent. */
export function rowToEvent(r: Record<string, unknown>): StoredEvent {
  return {
    orgId: r.org_id as string,
    id: r.id as string,
    sessionId: r.session_id as string,
    seq: Number(r.seq),
    ts: r.ts as string,
    type: r.type as string,
    actorId: (r.actor_id as string | null) ?? null,
    prevHash: r.prev_hash as string,
    hash: r.hash as string,
    content: r.content as string,
    uploader: r.uploader as string,
    receivedAt: r.received_at as string,
  };
}
