import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { v7 as uuidv7 } from 'uuid';
import type { AuditEventInput } from '../../../protocol/audit';
import { canonicalJson, eventHash } from '../../../server/audit/canonical';
import { openAuditLog, type AuditLog, type OpenAuditLogOptions } from '../../../server/audit/log';

/** Typed builders for audit events and logs in temporary directories. */

export function tempLogDir(): { dir: string; file: string; cleanup(): void } {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'navi-audit-')));
  return {
    dir,
    file: path.join(dir, 'state', 'audit.ndjson'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export const ev = {
  proposed(command = 'npm test', commandId = uuidv7()): AuditEventInput {
    return {
      type: 'command.proposed',
      actor: { kind: 'agent', name: 'navi-agent' },
      workspace: '/work/repo',
      data: { commandId, command, cwd: '/work/repo', proposer: 'agent' },
    };
  },
  verdict(verdict: 'allow' | 'ask' | 'deny', reasons: string[], commandId = uuidv7()): AuditEventInput {
    return {
      type: 'command.verdict',
      actor: { kind: 'policy' },
      data: { commandId, verdict, reasons, ruleIds: ['builtin:test'] },
    };
  },
  approved(commandId = uuidv7()): AuditEventInput {
    return {
      type: 'command.approved',
      actor: { kind: 'user', id: 'alice' },
      data: { commandId, by: 'user', scope: 'always', expiresAt: '2030-01-01T00:00:00.000Z' },
    };
  },
  executed(exitCode: number | null = 0, commandId = uuidv7()): AuditEventInput {
    return {
      type: 'command.executed',
      actor: { kind: 'system' },
      data: {
        commandId,
        exitCode,
        signal: exitCode === null ? 'SIGKILL' : null,
        durationMs: 1234,
        timedOut: false,
        cancelled: false,
        sandboxed: true,
        output: { bytes: 42, sha256: 'a'.repeat(64) },
      },
    };
  },
};

/** Opens a log, appends `count` proposed commands (`cmd 0`, `cmd 1`…), closes it. */
export async function writeSession(
  file: string,
  count: number,
  opts: OpenAuditLogOptions = {},
): Promise<AuditLog> {
  const log = await openAuditLog(file, opts);
  for (let i = 0; i < count; i++) await log.append(ev.proposed(`cmd ${i}`));
  await log.close();
  return log;
}

export function readLines(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined);
}

export function writeLines(file: string, lines: string[]): void {
  fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
}

/**
 * Re-hashes and re-links every event (what someone who edits the log and knows the algorithm
 * would do), so a test can check the checks that do not depend on hashes.
 */
export function rechain(events: Record<string, unknown>[]): string[] {
  let prevHash = '0'.repeat(64);
  return events.map((e) => {
    const unsigned: Record<string, unknown> = { ...e, prevHash };
    delete unsigned.hash;
    const hash = eventHash(unsigned);
    prevHash = hash;
    return canonicalJson({ ...unsigned, hash });
  });
}

/** A Writable that keeps what it is given, for in-process CLI runs. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}
