import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { AuditEvent } from '../../../protocol/audit';
import {
  AuditExportError,
  CSV_COLUMNS,
  csvCell,
  exportAudit,
  type AuditExportOptions,
} from '../../../server/audit/export';
import { openAuditLog } from '../../../server/audit/log';
import { ev, readLines, tempLogDir, writeSession } from './builders';

async function collect(file: string, opts: AuditExportOptions): Promise<{ text: string; chunks: number }> {
  let text = '';
  let chunks = 0;
  for await (const chunk of exportAudit(file, opts)) {
    text += chunk;
    chunks++;
  }
  return { text, chunks };
}

/** A strict RFC 4180 reader (CRLF records, quoted fields with doubled quotes), for checking output. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let cell = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        assert.ok(q >= 0, 'unterminated quoted field');
        cell += text.slice(i, q);
        i = q + 1;
        if (text[i] === '"') {
          cell += '"';
          i++;
        } else break;
      }
    } else {
      const end = text.slice(i).search(/,|\r\n/);
      assert.ok(end >= 0, 'every record ends with CRLF');
      cell = text.slice(i, i + end);
      assert.ok(!/["\r\n]/.test(cell), `unquoted cell with a quote or line break: ${cell}`);
      i += end;
    }
    row.push(cell);
    if (text.startsWith(',', i)) i++;
    else {
      assert.ok(text.startsWith('\r\n', i), `record ends with CRLF at ${i}`);
      i += 2;
      rows.push(row);
      row = [];
    }
  }
  return rows;
}

describe('audit/export', () => {
  let t: ReturnType<typeof tempLogDir>;
  beforeEach(() => (t = tempLogDir()));
  afterEach(() => t.cleanup());

  it('quotes CSV cells per RFC 4180', () => {
    assert.equal(csvCell('plain text'), 'plain text');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('two\r\nlines'), '"two\r\nlines"');
    assert.equal(csvCell('line\nfeed'), '"line\nfeed"');
    assert.equal(csvCell(''), '');
  });

  it('neutralises cells a spreadsheet would run as formulas', () => {
    assert.equal(
      csvCell('=HYPERLINK("http://evil.example","click")'),
      `"'=HYPERLINK(""http://evil.example"",""click"")"`,
    );
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell('-2'), "'-2");
    assert.equal(csvCell('@SUM(A1:A9)'), "'@SUM(A1:A9)");
    assert.equal(csvCell('\tcmd'), "'\tcmd");
    assert.equal(csvCell('\rcmd'), `"'\rcmd"`);
    assert.equal(csvCell('a=1'), 'a=1', 'only a leading character matters');
  });

  it('exports CSV: fixed header, one CRLF record per event, formulas neutralised', async () => {
    const log = await openAuditLog(t.file, { workspace: '/work/repo' });
    await log.append(ev.proposed('=HYPERLINK("http://evil.example","x"), then "quotes"'));
    await log.append({ ...ev.proposed('-rf'), actor: { kind: 'agent', id: '@attacker' } });
    await log.append(ev.verdict('deny', ['+1 deletes files', 'line\r\nbreak']));
    await log.append(ev.executed(null));
    await log.close();
    const events = readLines(t.file).map((l) => JSON.parse(l) as AuditEvent);

    const { text } = await collect(t.file, { format: 'csv' });
    assert.ok(text.endsWith('\r\n'));
    const rows = parseCsv(text);
    assert.deepEqual(rows[0], [...CSV_COLUMNS]);
    assert.equal(rows.length, 1 + events.length);
    for (const [i, row] of rows.slice(1).entries()) {
      const e = events[i]!;
      assert.equal(row.length, CSV_COLUMNS.length);
      assert.deepEqual(
        [row[0], row[1], row[2], row[3], row[4], row[5], row[10], row[11]],
        [e.id, e.sessionId, String(e.seq), e.ts, e.type, e.actor.kind, e.prevHash, e.hash],
      );
      assert.deepEqual(JSON.parse(row[9]!), e.data);
      for (const cell of row) assert.ok(!/^[=+\-@\t\r]/.test(cell), `neutralised: ${cell}`);
    }
    assert.equal(rows[0 + 1]![7], '/work/repo');
    assert.match(rows[1]![8]!, /^NAVI dev started, pid \d+/);
    assert.equal(rows[2]![8], `agent proposed: =HYPERLINK("http://evil.example","x"), then "quotes"`);
    assert.equal(rows[3]![6], "'@attacker");
    assert.equal(rows[3]![8], 'agent proposed: -rf');
    assert.equal(rows[4]![8], 'deny: +1 deletes files; line\r\nbreak [builtin:test]');
    assert.equal(rows[5]![8], 'killed by SIGKILL after 1234 ms, sandboxed, 42 bytes of output');
  });

  it('exports NDJSON exactly as stored and JSON as one array, skipping torn writes', async () => {
    await writeSession(t.file, 3);
    const lines = readLines(t.file);
    fs.appendFileSync(t.file, lines[2]!.slice(0, 50)); // torn last line
    const ndjson = await collect(t.file, { format: 'ndjson' });
    assert.equal(ndjson.text, lines.map((l) => `${l}\n`).join(''));
    const json = await collect(t.file, { format: 'json' });
    assert.deepEqual(
      JSON.parse(json.text),
      lines.map((l) => JSON.parse(l) as unknown),
    );
    fs.writeFileSync(t.file, '');
    assert.deepEqual(JSON.parse((await collect(t.file, { format: 'json' })).text), []);
    assert.equal((await collect(t.file, { format: 'csv' })).text, `${CSV_COLUMNS.join(',')}\r\n`);
  });

  it('keeps only events at or after --since', async () => {
    const times = [
      '2025-01-01T00:00:00.000Z',
      '2025-02-01T00:00:00.000Z',
      '2025-02-01T00:00:00.001Z',
      '2025-03-01T12:00:00.000Z',
    ];
    let i = 0;
    const log = await openAuditLog(t.file, { now: () => new Date(times[i++]!) });
    for (let n = 0; n < 3; n++) await log.append(ev.proposed(`cmd ${n}`));
    await log.close();
    const since = async (iso: string) =>
      readNdjson((await collect(t.file, { format: 'ndjson', since: new Date(iso) })).text).map((e) => e.ts);
    assert.deepEqual(await since('2025-02-01T00:00:00.000Z'), times.slice(1));
    assert.deepEqual(await since('2025-02-01T00:00:00.001Z'), times.slice(2));
    assert.deepEqual(await since('2025-03-02'), []);
    assert.deepEqual(await since('2024-12-31'), times);
    const csv = parseCsv((await collect(t.file, { format: 'csv', since: new Date('2025-03-01') })).text);
    assert.deepEqual(
      csv.slice(1).map((r) => r[3]),
      [times[3]],
    );
  });

  it('streams a big log in chunks', async () => {
    const log = await openAuditLog(t.file);
    for (let n = 0; n < 300; n++) await log.append(ev.proposed(`build step ${n} `.repeat(40)));
    await log.close();
    const { text, chunks } = await collect(t.file, { format: 'csv' });
    assert.ok(chunks > 3, `${chunks} chunks`);
    assert.equal(parseCsv(text).length, 302);
  });

  it('stops at a complete line that is not a valid event', async () => {
    await writeSession(t.file, 1);
    fs.appendFileSync(t.file, '{"type":"something.else"}\n');
    await assert.rejects(collect(t.file, { format: 'ndjson' }), (error: unknown) => {
      assert.ok(error instanceof AuditExportError);
      assert.equal(error.line, 3);
      assert.match(error.message, /line 3 is not a valid audit event/);
      return true;
    });
  });
});

function readNdjson(text: string): AuditEvent[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent);
}
