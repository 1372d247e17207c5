import { AuditEvent, GENESIS_PREV_HASH } from '../../protocol/audit';
import { canonicalJson, eventHash, isJsonObject } from './canonical';
import { MAX_LINE_BYTES, readAuditLines, type RawAuditLine } from './log';

/** A place in the log and what is wrong (or worth knowing) there. */
export interface AuditLogProblem {
  /** 1-based line number in the file. */
  line: number;
  /** The event's `id`, when the line has one. */
  eventId?: string;
  /** The event's `sessionId`, when the line has one. */
  sessionId?: string;
  /** The event's `seq`, when the line has one. */
  seq?: number;
  reason: string;
}

export interface AuditVerifyResult {
  /** The whole file verifies (warnings allowed). */
  ok: boolean;
  /** Events that verified: all of them when ok, those before `firstBroken` otherwise. */
  events: number;
  /** Distinct sessions among those events. */
  sessions: number;
  /** Lines read (torn lines included). */
  lines: number;
  /** Line of the last verified event (0 when none). */
  lastLine: number;
  /** `hash` of the last verified event: the head of the chain (the genesis hash when none). */
  headHash: string;
  /** The first line where the chain breaks; verification stops there. */
  firstBroken?: AuditLogProblem;
  /** Torn writes the chain skips over (crash leftovers), and a last event without its newline. */
  warnings: AuditLogProblem[];
}

/**
 * Verifies an audit log line by line, with bounded memory apart from the ids and hashes seen.
 *
 * Every line must be the canonical JSON of an event that matches the schema, whose `hash`
 * recomputes, whose `prevHash` is the hash of the previous event, whose id is new, and whose
 * `seq` (+1, from 0 at `session.started`) and `ts` (non-decreasing) continue its session.
 *
 * The one tolerance, for crashes: a line that is not JSON at all is a torn write. It is a
 * warning when the next event links past it (its prevHash is the hash of the last event before
 * the torn line), or when only torn lines follow it and the file does not end with a newline;
 * otherwise the chain is broken at the torn line. An empty line is never a torn write.
 *
 * Throws only when the file cannot be read (ENOENT, EACCES).
 */
export async function verifyAuditLog(file: string): Promise<AuditVerifyResult> {
  const ids = new Map<string, number>();
  const hashes = new Map<string, number>([[GENESIS_PREV_HASH, 0]]);
  const sessions = new Map<string, { seq: number; ts: string; line: number; startLine: number }>();
  const warnings: AuditLogProblem[] = [];
  let torn: RawAuditLine[] = [];
  let headHash = GENESIS_PREV_HASH;
  let lastLine = 0;
  let lines = 0;
  let events = 0;

  const result = (firstBroken?: AuditLogProblem): AuditVerifyResult => ({
    ok: firstBroken === undefined,
    events,
    sessions: sessions.size,
    lines,
    lastLine,
    headHash,
    ...(firstBroken ? { firstBroken } : {}),
    warnings,
  });

  for await (const raw of readAuditLines(file)) {
    lines = raw.line;
    if (raw.oversized) return result({ line: raw.line, reason: `line longer than ${MAX_LINE_BYTES} bytes` });
    if (raw.bytes.length === 0)
      return result({ line: raw.line, reason: 'empty line (NAVI never writes one)' });
    let value: unknown;
    try {
      value = JSON.parse(raw.bytes.toString('utf8'));
    } catch {
      torn.push(raw);
      continue;
    }
    const at = where(raw.line, value);
    if (torn.length > 0) {
      const prevHash = isJsonObject(value) ? value.prevHash : undefined;
      if (prevHash !== headHash) {
        return result({
          line: torn[0]!.line,
          reason:
            'not a JSON event: changed after it was written, or a torn write that no later event links past ' +
            `(line ${raw.line} does not link to line ${lastLine})`,
        });
      }
      for (const t of torn) {
        warnings.push({
          line: t.line,
          reason: `torn write (an append interrupted by a crash); line ${raw.line} links past it`,
        });
      }
      torn = [];
    }
    const problem = checkEvent(value, raw);
    if (problem) return result({ ...at, reason: problem });
    const event = value as AuditEvent;

    if (event.prevHash !== headHash) {
      const linked = hashes.get(event.prevHash);
      let reason: string;
      if (lastLine === 0) {
        reason =
          'prevHash is not the genesis hash, yet this is the first event: earlier events were removed or lines reordered';
      } else if (event.prevHash === GENESIS_PREV_HASH) {
        reason = `prevHash is the genesis hash but line ${lastLine} comes before it: lines were reordered or logs spliced`;
      } else if (linked !== undefined) {
        reason = `prevHash links to line ${linked}, not to the previous event (line ${lastLine}): events were removed or reordered`;
      } else {
        reason = `prevHash does not match the previous event (line ${lastLine}): an event before it was removed or reordered`;
      }
      return result({ ...at, reason });
    }
    const dup = ids.get(event.id);
    if (dup !== undefined) return result({ ...at, reason: `duplicate event id (first at line ${dup})` });

    const session = sessions.get(event.sessionId);
    if (!session) {
      if (event.seq !== 0 || event.type !== 'session.started') {
        return result({
          ...at,
          reason: `first event of session ${event.sessionId} is seq ${event.seq} ${event.type}, expected seq 0 session.started: events were removed or reordered`,
        });
      }
    } else {
      if (event.type === 'session.started') {
        return result({
          ...at,
          reason: `session ${event.sessionId} starts again (first at line ${session.startLine})`,
        });
      }
      if (event.seq !== session.seq + 1) {
        return result({
          ...at,
          reason: `seq ${event.seq} follows seq ${session.seq} of its session (line ${session.line}): expected ${session.seq + 1}`,
        });
      }
      if (event.ts < session.ts) {
        return result({
          ...at,
          reason: `ts ${event.ts} is earlier than the session's previous event (line ${session.line}, ${session.ts})`,
        });
      }
    }

    ids.set(event.id, raw.line);
    hashes.set(event.hash, raw.line);
    sessions.set(event.sessionId, {
      seq: event.seq,
      ts: event.ts,
      line: raw.line,
      startLine: session?.startLine ?? raw.line,
    });
    headHash = event.hash;
    lastLine = raw.line;
    events++;
    if (!raw.terminated) {
      warnings.push({
        ...at,
        reason: 'the last line has no newline (the writer stopped); its event is complete',
      });
    }
  }

  if (torn.length > 0) {
    // A crash leaves bytes without a final newline; a complete last line that is not JSON was edited.
    if (torn[torn.length - 1]!.terminated) {
      return result({ line: torn[0]!.line, reason: 'not a JSON event: changed after it was written' });
    }
    for (const t of torn) {
      warnings.push({
        line: t.line,
        reason: `torn write at the end of the log (an append interrupted by a crash); the log verifies up to line ${lastLine}`,
      });
    }
  }
  return result();
}

/** Why a JSON line is not a stored event, or undefined when it is one (the chain aside). */
function checkEvent(value: unknown, raw: RawAuditLine): string | undefined {
  if (!isJsonObject(value)) return 'not an audit event (not a JSON object)';
  // The hash first: a change after writing reads as one, even when it also breaks the schema.
  if (typeof value.hash === 'string' && eventHash(value) !== value.hash) {
    return 'hash mismatch: content changed after it was written';
  }
  const parsed = AuditEvent.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `does not match the event schema: ${issue?.path.join('.') || '(event)'}: ${issue?.message}`;
  }
  if (!Buffer.from(canonicalJson(value), 'utf8').equals(raw.bytes)) {
    return 'not canonical JSON: the line was edited after it was written';
  }
  return undefined;
}

function where(line: number, value: unknown): Omit<AuditLogProblem, 'reason'> {
  if (!isJsonObject(value)) return { line };
  return {
    line,
    ...(typeof value.id === 'string' ? { eventId: value.id } : {}),
    ...(typeof value.sessionId === 'string' ? { sessionId: value.sessionId } : {}),
    ...(typeof value.seq === 'number' ? { seq: value.seq } : {}),
  };
}
