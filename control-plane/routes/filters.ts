import type { Identity } from '../auth';
import { canReadOrg } from '../auth';
import type { EventCursor, EventFilter } from '../store/types';

/** Query fields shared by listing and export (JSON schema for validation and OpenAPI). */
export const FILTER_PROPERTIES = {
  from: {
    type: 'string',
    format: 'date-time',
    description: 'Only events with ts at or after this instant (ISO-8601)',
  },
  to: {
    type: 'string',
    format: 'date-time',
    description: 'Only events with ts before this instant (ISO-8601)',
  },
  type: { type: 'string', maxLength: 100, description: 'Only events of this type (command.executed…)' },
  session: { type: 'string', maxLength: 100, description: 'Only events of this session id' },
  actor: {
    type: 'string',
    maxLength: 256,
    description: "Only events whose actor.id is this (the writer's claim inside the event)",
  },
} as const;

export interface FilterQuery {
  from?: string;
  to?: string;
  type?: string;
  session?: string;
  actor?: string;
}

export class BadQuery extends Error {
  readonly statusCode = 400;
  readonly code = 'invalid_request';
}

/** The store filter for a caller: members see only what they uploaded, auditors and admins the org. */
export function filterFor(who: Identity, q: FilterQuery): EventFilter {
  const f: EventFilter = {};
  if (q.from !== undefined) f.from = instant(q.from, 'from');
  if (q.to !== undefined) f.to = instant(q.to, 'to');
  if (q.type !== undefined) f.type = q.type;
  if (q.session !== undefined) f.sessionId = q.session;
  if (q.actor !== undefined) f.actorId = q.actor;
  if (!canReadOrg(who)) f.uploader = who.sub;
  return f;
}

function instant(s: string, name: string): string {
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new BadQuery(`${name} is not an ISO-8601 instant`);
  return new Date(t).toISOString();
}

/** Opaque cursor: base64url of `[ts, sessionId, seq]` of the last event of the previous page. */
export function encodeCursor(c: EventCursor): string {
  return Buffer.from(JSON.stringify([c.ts, c.sessionId, c.seq])).toString('base64url');
}

export function decodeCursor(s: string): EventCursor {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      v.length === 3 &&
      typeof v[0] === 'string' &&
      typeof v[1] === 'string' &&
      Number.isSafeInteger(v[2])
    )
      return { ts: v[0], sessionId: v[1], seq: v[2] as number };
  } catch {
    // fall through
  }
  throw new BadQuery('cursor is not one this server issued');
}
