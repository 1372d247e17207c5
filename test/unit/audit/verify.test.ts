import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { AuditEvent } from '../../../protocol/audit';
import { verifyAuditLog, type AuditVerifyResult } from '../../../server/audit/verify';
import { readLines, rechain, tempLogDir, writeLines, writeSession } from './builders';

describe('audit/verify', () => {
  let t: ReturnType<typeof tempLogDir>;
  /** Lines of a log of three sessions: 1 + 4 events, 1 + 3, 1 + 2 (12 lines). */
  let lines: string[];
  let events: AuditEvent[];

  beforeEach(async () => {
    t = tempLogDir();
    await writeSession(t.file, 4);
    await writeSession(t.file, 3);
    await writeSession(t.file, 2);
    lines = readLines(t.file);
    events = lines.map((l) => JSON.parse(l) as AuditEvent);
  });
  afterEach(() => t.cleanup());

  function brokenAt(result: AuditVerifyResult, line: number, reason: RegExp): void {
    assert.equal(result.ok, false, 'the log must not verify');
    assert.equal(
      result.firstBroken?.line,
      line,
      `broken at line ${line}: ${JSON.stringify(result.firstBroken)}`,
    );
    assert.match(result.firstBroken!.reason, reason);
    assert.equal(result.events, line - 1, 'the events before it verify');
  }

  it('accepts an intact log: events, sessions, chain head', async () => {
    const result = await verifyAuditLog(t.file);
    assert.equal(result.ok, true, JSON.stringify(result.firstBroken));
    assert.deepEqual(
      [result.events, result.sessions, result.lines, result.lastLine, result.headHash, result.warnings],
      [12, 3, 12, 12, events[11]!.hash, []],
    );
  });

  it('reports a byte changed in any field at the line where it changed', async () => {
    // Same-length edits of one character, in the middle of the file (line 7 = session 2, seq 1).
    const line = 7;
    const e = events[line - 1]!;
    assert.ok(e.type === 'command.proposed');
    const edits: [string, string, string][] = [
      ['command', `"command":"cmd 0"`, `"command":"cmd 1"`],
      ['seq', `"seq":1,`, `"seq":2,`],
      ['ts', `"ts":"${e.ts}"`, `"ts":"${e.ts.replace(/\d(?=Z)/, (d) => String((Number(d) + 1) % 10))}"`],
      ['actor', `"kind":"agent"`, `"kind":"agenT"`],
      ['prevHash', `"prevHash":"${e.prevHash}"`, `"prevHash":"${flip(e.prevHash)}"`],
      ['hash', `"hash":"${e.hash}"`, `"hash":"${flip(e.hash)}"`],
      ['id', `"id":"${e.id}"`, `"id":"${flip(e.id)}"`],
    ];
    for (const [field, from, to] of edits) {
      assert.ok(lines[line - 1]!.includes(from), `${field}: ${from}`);
      const edited = [...lines];
      edited[line - 1] = lines[line - 1]!.replace(from, to);
      assert.equal(edited[line - 1]!.length, lines[line - 1]!.length);
      writeLines(t.file, edited);
      const result = await verifyAuditLog(t.file);
      brokenAt(result, line, /^hash mismatch: content changed after it was written$/);
      assert.equal(result.firstBroken!.seq, field === 'seq' ? 2 : 1, field);
      assert.equal(result.firstBroken!.eventId, field === 'id' ? flip(e.id) : e.id, field);
      assert.equal(result.firstBroken!.sessionId, e.sessionId);
    }
  });

  it('reports a byte flip that breaks the JSON of a middle line at that line', async () => {
    const edited = [...lines];
    edited[4] = lines[4]!.replace('{"actor"', '{"actor"'.replace('"', 'x'));
    writeLines(t.file, edited);
    brokenAt(await verifyAuditLog(t.file), 5, /^not a JSON event/);
  });

  it('reports an edit that keeps the value but not the canonical bytes', async () => {
    const edited = [...lines];
    edited[3] = lines[3]!.replace('{"actor":', '{ "actor":');
    writeLines(t.file, edited);
    brokenAt(await verifyAuditLog(t.file), 4, /not canonical JSON/);
  });

  it('reports a deleted line at the line after the gap', async () => {
    writeLines(t.file, lines.toSpliced(5, 1));
    brokenAt(await verifyAuditLog(t.file), 6, /prevHash does not match the previous event \(line 5\)/);
    writeLines(t.file, lines.slice(1));
    brokenAt(await verifyAuditLog(t.file), 1, /yet this is the first event/);
  });

  it('reports reordered lines at the first line out of place', async () => {
    const edited = [...lines];
    [edited[2], edited[3]] = [lines[3]!, lines[2]!];
    writeLines(t.file, edited);
    brokenAt(await verifyAuditLog(t.file), 3, /prevHash does not match the previous event \(line 2\)/);
  });

  it('reports a duplicated line', async () => {
    writeLines(t.file, lines.toSpliced(3, 0, lines[2]!));
    brokenAt(
      await verifyAuditLog(t.file),
      4,
      /prevHash links to line 2, not to the previous event \(line 3\)/,
    );
  });

  it('reports swapped sessions', async () => {
    // Session 2 (lines 6-9) moved before session 1 (lines 1-5).
    writeLines(t.file, [...lines.slice(5, 9), ...lines.slice(0, 5), ...lines.slice(9)]);
    brokenAt(
      await verifyAuditLog(t.file),
      1,
      /prevHash is not the genesis hash, yet this is the first event/,
    );
    // Session 1 after session 2: its genesis link cannot follow other events.
    writeLines(t.file, [...lines.slice(0, 5), ...lines.slice(9), ...lines.slice(5, 9)]);
    brokenAt(await verifyAuditLog(t.file), 6, /prevHash does not match the previous event \(line 5\)/);
  });

  it('catches an edit even when every hash was recomputed: seq, ids, session starts, time', async () => {
    const asObjects = () => events.map((e) => ({ ...e }) as Record<string, unknown>);
    const check = async (edited: Record<string, unknown>[], line: number, reason: RegExp) => {
      writeLines(t.file, rechain(edited));
      brokenAt(await verifyAuditLog(t.file), line, reason);
    };
    await check(asObjects().toSpliced(2, 1), 3, /seq 3 follows seq 1 of its session \(line 2\): expected 2/);
    const dupId = asObjects();
    dupId[7] = { ...dupId[7], id: dupId[2]!.id };
    await check(dupId, 8, /duplicate event id \(first at line 3\)/);
    await check(
      asObjects().toSpliced(5, 1),
      6,
      /first event of session .* is seq 1 command.proposed, expected seq 0/,
    );
    const restarted = asObjects();
    restarted[3] = { ...restarted[0], id: events[3]!.id, seq: 3 };
    await check(restarted, 4, /session .* starts again \(first at line 1\)/);
    const backwards = asObjects();
    backwards[3] = { ...backwards[3], ts: '2000-01-01T00:00:00.000Z' };
    await check(
      backwards,
      4,
      /ts 2000-01-01T00:00:00.000Z is earlier than the session's previous event \(line 3/,
    );
    const unknownField = asObjects();
    unknownField[2] = { ...unknownField[2], note: 'added later' };
    await check(unknownField, 3, /does not match the event schema/);
  });

  it('accepts a torn last line (a crash mid-append) with a warning, up to the last complete event', async () => {
    fs.appendFileSync(t.file, lines[3]!.slice(0, 100));
    const result = await verifyAuditLog(t.file);
    assert.equal(result.ok, true, JSON.stringify(result.firstBroken));
    assert.deepEqual(
      [result.events, result.lines, result.lastLine, result.headHash],
      [12, 13, 12, events[11]!.hash],
    );
    assert.equal(result.warnings.length, 1);
    assert.equal(result.warnings[0]!.line, 13);
    assert.match(result.warnings[0]!.reason, /torn write at the end of the log.*verifies up to line 12/);
  });

  it('does not take a complete last line that is not JSON for a torn write', async () => {
    const edited = [...lines];
    edited[11] = lines[11]!.replace('{"actor"', '{"actor"'.replace('"', 'x'));
    writeLines(t.file, edited);
    brokenAt(await verifyAuditLog(t.file), 12, /not a JSON event: changed after it was written/);
  });

  it('accepts a torn line in the middle only when the next event links past it', async () => {
    // What a new session writes after a crash: the torn bytes, a newline, then its own line.
    const torn = lines[6]!.slice(0, 80);
    writeLines(t.file, [...lines.slice(0, 5), torn, ...lines.slice(5)]);
    const result = await verifyAuditLog(t.file);
    assert.equal(result.ok, true, JSON.stringify(result.firstBroken));
    assert.equal(result.events, 12);
    assert.deepEqual(
      result.warnings.map((w) => w.line),
      [6],
    );
    // The same bytes where the next line does not link past them: an event was replaced.
    writeLines(t.file, [...lines.slice(0, 5), torn, ...lines.slice(6)]);
    brokenAt(await verifyAuditLog(t.file), 6, /not a JSON event.*line 7 does not link to line 5/);
  });

  it('never takes an empty line for a torn write', async () => {
    writeLines(t.file, lines.toSpliced(4, 0, ''));
    brokenAt(await verifyAuditLog(t.file), 5, /empty line/);
  });

  it('verifies an empty log and fails on a missing one', async () => {
    fs.writeFileSync(t.file, '');
    assert.deepEqual(await verifyAuditLog(t.file), {
      ok: true,
      events: 0,
      sessions: 0,
      lines: 0,
      lastLine: 0,
      headHash: '0'.repeat(64),
      warnings: [],
    });
    await assert.rejects(verifyAuditLog(`${t.file}.missing`), { code: 'ENOENT' });
  });
});

/** The same string with its last hex digit changed. */
function flip(hex: string): string {
  const last = hex.at(-1)!;
  return hex.slice(0, -1) + (last === '0' ? '1' : '0');
}
