import assert from 'node:assert/strict';
import { AUDIT_HELP, auditCommand, parseSince } from '../../../cli/commands/audit';
import { Capture, tempLogDir, writeSession } from './builders';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await auditCommand(args, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('navi audit (arguments)', () => {
  let t: ReturnType<typeof tempLogDir>;
  before(async () => {
    t = tempLogDir();
    await writeSession(t.file, 1);
  });
  after(() => t.cleanup());

  it('prints its help with exit 0, and says what is missing with exit 2', async () => {
    for (const args of [['--help'], ['help'], ['verify', '--help'], ['export', '-h']]) {
      const r = await run(args);
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, `${AUDIT_HELP}\n`, ''], args.join(' '));
    }
    const cases: [string[], RegExp][] = [
      [[], /needs a command: verify or export/],
      [['frobnicate'], /Unknown audit command "frobnicate"/],
      [['verify', '--nope'], /Unknown option '--nope'/],
      [['verify', 'extra'], /Unexpected argument 'extra'/],
      [['export', '--audit-log', t.file], /needs --format json\|ndjson\|csv/],
      [
        ['export', '--format', 'xml', '--audit-log', t.file],
        /--format must be one of json, ndjson, csv, got "xml"/,
      ],
      [
        ['export', '--format', 'csv', '--since', 'yesterday', '--audit-log', t.file],
        /--since must be an ISO-8601 date/,
      ],
      [['export', '--format', 'csv', '--since', '2025-02-30', '--audit-log', t.file], /not a valid date/],
      [['export', '--format', 'csv', '--since', '2025-02-01T10:00', '--audit-log', t.file], /no time zone/],
      [['verify', '--audit-log'], /argument missing/],
      [['verify', '--audit-log', ''], /--audit-log needs a file name/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assert.match(r.stderr, /Run "navi audit --help" for usage/);
    }
  });

  it('parses --since as an ISO-8601 date or date-time with a zone', () => {
    assert.equal(parseSince('2025-05-01').toISOString(), '2025-05-01T00:00:00.000Z');
    assert.equal(parseSince('2024-02-29').toISOString(), '2024-02-29T00:00:00.000Z');
    assert.equal(parseSince('2025-05-01T09:30Z').toISOString(), '2025-05-01T09:30:00.000Z');
    assert.equal(parseSince('2025-05-01T09:30:15.250Z').toISOString(), '2025-05-01T09:30:15.250Z');
    assert.equal(parseSince('2025-05-01T09:30:00+02:00').toISOString(), '2025-05-01T07:30:00.000Z');
    assert.equal(parseSince('2025-05-01T09:30:00-0130').toISOString(), '2025-05-01T11:00:00.000Z');
    for (const bad of [
      '2025-5-1',
      '05/01/2025',
      '2025-02-29',
      '2025-13-01',
      '2025-05-01T24:00Z',
      '1714550400',
      '',
    ]) {
      assert.throws(() => parseSince(bad), /--since/, bad);
    }
  });
});
