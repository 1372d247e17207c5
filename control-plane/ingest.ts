import { randomUUID } from 'node:crypto';
import { AuditEvent } from '../protocol/audit';
import { canonicalJson, eventHash } from '../server/audit/canonical';
import type { Identity } from './auth';
import type { Metrics } from './metrics';
import type { ChainBreak, EventConflict, NewEvent, SessionGaps, Store } from './store/types';

/**
 * `POST /api/audit/events`: validate a batch with NAVI's own event schema, recompute every hash,
 * store it atomically and idempotently, then report the hash-chain state of the sessions it
 * touched. See docs/control-plane.md for the response fields.
 */

export interface IngestOk {
  /** Ids stored by this request, in request order. */
  inserted: string[];
  /** Ids that were already stored with identical content (a retry), in request order. */
  duplicates: string[];
  chain: {
    /** Stored events whose prevHash matches neither their session predecessor nor any event of the org. */
    breaks: ChainBreak[];
    /** Sessions of this batch with missing seqs (a later upload may fill them). */
    gaps: SessionGaps[];
  };
}

export type IngestOutcome =
  | { status: 200; body: IngestOk }
  | { status: 400 | 413; body: { error: string; message: string; index?: number; id?: string } }
  | { status: 409; body: { error: 'conflict'; message: string; conflicts: EventConflict[] } };

export async function ingest(
  store: Store,
  who: Identity,
  events: unknown[],
  maxEvents: number,
  metrics: Metrics,
): Promise<IngestOutcome> {
  const refuse = (
    status: 400 | 413,
    error: string,
    message: string,
    extra: { index?: number; id?: string } = {},
  ) => {
    metrics.rejected.inc();
    return { status, body: { error, message, ...extra } } as const;
  };
  if (events.length === 0) return refuse(400, 'empty_batch', 'events must hold at least one event');
  if (events.length > maxEvents)
    return refuse(413, 'batch_too_large', `a batch holds at most ${maxEvents} events; split it`);

  const batch: NewEvent[] = [];
  const seen = new Set<string>();
  for (const [index, raw] of events.entries()) {
    const parsed = AuditEvent.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : undefined;
      return refuse(
        400,
        'invalid_event',
        `event ${index}: ${issue?.path.join('.') || '(event)'}: ${issue?.message}`,
        {
          index,
          ...(id ? { id } : {}),
        },
      );
    }
    const e = parsed.data;
    // Hash what was sent (strict schema: parsing added or dropped nothing that the hash covers).
    const record = raw as Record<string, unknown>;
    if (eventHash(record) !== e.hash)
      return refuse(400, 'hash_mismatch', `event ${index} (${e.id}): hash does not match its content`, {
        index,
        id: e.id,
      });
    if (seen.has(e.id))
      return refuse(400, 'repeated_id', `event ${index} (${e.id}) appears twice in the batch`, {
        index,
        id: e.id,
      });
    seen.add(e.id);
    batch.push({
      id: e.id,
      sessionId: e.sessionId,
      seq: e.seq,
      ts: e.ts,
      type: e.type,
      actorId: e.actor.id ?? null,
      prevHash: e.prevHash,
      hash: e.hash,
      content: canonicalJson(record),
    });
  }

  const now = new Date().toISOString();
  const result = await store.insertEvents(who.orgId, who.sub, batch, now);
  if (!result.ok) {
    metrics.conflicts.inc(result.conflicts.length);
    // The refusal is itself evidence: someone tried to replace a stored event.
    await store.appendControlEvent({
      id: randomUUID(),
      orgId: who.orgId,
      ts: now,
      kind: 'conflict',
      actor: who.sub,
      data: {
        clientId: who.clientId,
        conflicts: result.conflicts.map((c) => ({
          ...c,
          hash: batch.find((e) => e.id === c.id)?.hash,
        })),
      },
    });
    return {
      status: 409,
      body: {
        error: 'conflict',
        message:
          'the batch was not stored: an event id or session position is already stored with different content',
        conflicts: result.conflicts,
      },
    };
  }
  metrics.ingested.inc(result.inserted.length);
  metrics.duplicates.inc(result.duplicates.length);

  const breaks = await store.checkChain(who.orgId, result.inserted);
  const gaps = await store.sessionGaps(who.orgId, [...new Set(batch.map((e) => e.sessionId))]);
  if (breaks.length) {
    metrics.chainBreaks.inc(breaks.length);
    await store.appendControlEvent({
      id: randomUUID(),
      orgId: who.orgId,
      ts: now,
      kind: 'chain.broken',
      actor: who.sub,
      data: { breaks },
    });
  }
  return {
    status: 200,
    body: { inserted: result.inserted, duplicates: result.duplicates, chain: { breaks, gaps } },
  };
}
