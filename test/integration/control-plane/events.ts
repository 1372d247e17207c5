import { v7 as uuidv7 } from 'uuid';
import { GENESIS_PREV_HASH, type AuditEvent } from '../../../protocol/audit';
import { eventHash } from '../../../server/audit/canonical';

/**
 * Typed builders of valid NAVI audit events, hash-chained per session exactly as the agent's
 * local log writes them (one session per log here, so prevHash is the session predecessor).
 */

export interface SessionOptions {
  /** Events after `session.started` (seq 0). */
  commands?: number;
  /** Millisecond timestamp of seq 0; later events +1 ms each. */
  start?: number;
  /** Text of each proposed command (default `npm test`). */
  command?: (i: number) => string;
  actorId?: string;
  /** prevHash of seq 0 (another session's last hash when logs interleave). */
  firstPrevHash?: string;
}

export function session(opts: SessionOptions = {}): AuditEvent[] {
  const sessionId = uuidv7();
  const start = opts.start ?? Date.now();
  const events: AuditEvent[] = [];
  let prevHash = opts.firstPrevHash ?? GENESIS_PREV_HASH;
  const add = (body: Omit<AuditEvent, 'id' | 'sessionId' | 'seq' | 'ts' | 'prevHash' | 'hash'>) => {
    const seq = events.length;
    const e = {
      ...body,
      id: uuidv7(),
      sessionId,
      seq,
      ts: new Date(start + seq).toISOString(),
      prevHash,
    } as Omit<AuditEvent, 'hash'>;
    const full = { ...e, hash: eventHash(e as Record<string, unknown>) } as AuditEvent;
    prevHash = full.hash;
    events.push(full);
  };
  const actor = { kind: 'user' as const, ...(opts.actorId ? { id: opts.actorId } : {}) };
  add({
    type: 'session.started',
    actor,
    data: {
      agentVersion: 'test',
      pid: 1,
      platform: 'linux',
      arch: 'x64',
      nodeVersion: 'v20.0.0',
      client: 'cli',
    },
  } as never);
  for (let i = 0; i < (opts.commands ?? 3); i++) {
    add({
      type: 'command.proposed',
      actor,
      workspace: '/work/repo',
      data: {
        commandId: uuidv7(),
        command: opts.command ? opts.command(i) : 'npm test',
        cwd: '/work/repo',
        proposer: 'user',
      },
    } as never);
  }
  return events;
}

/** Re-hashes an edited event (a tampered event that is internally consistent). */
export function rehash<T extends AuditEvent>(e: T): T {
  return { ...e, hash: eventHash(e as unknown as Record<string, unknown>) };
}
