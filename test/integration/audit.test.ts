import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditCommand } from '../../cli/commands/audit';
import type { AuditEvent } from '../../protocol/audit';
import { CSV_COLUMNS } from '../../server/audit/export';
import { openAuditLog } from '../../server/audit/log';
import { verifyAuditLog } from '../../server/audit/verify';
import { Capture, ev, readLines } from '../unit/audit/builders';
import { tempDir } from './helpers';

const WRITER = path.join(__dirname, 'fixtures', 'audit-writer.ts');

/** Starts the writer script in a real Node process (TypeScript through tsx). */
function startWriter(file: string, count: number, payloadChars: number): ChildProcessWithoutNullStreams {
  return spawn(
    process.execPath,
    ['-r', require.resolve('tsx/cjs'), WRITER, file, String(count), String(payloadChars)],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
}

/** Resolves with the seqs the writer acknowledged (each after its fsync) once it has `n` of them. */
function acks(child: ChildProcessWithoutNullStreams, n: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    let out = '';
    let stderr = '';
    const seqs: number[] = [];
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const l of lines) if (/^\d+$/.test(l)) seqs.push(Number(l));
      if (seqs.length >= n) resolve(seqs);
    });
    child.on('exit', (code, signal) => {
      if (seqs.length < n)
        reject(new Error(`writer exited (${code ?? signal}) after ${seqs.length} acks: ${stderr}`));
    });
  });
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await auditCommand(args, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('audit log across processes (integration)', function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tempDir('audit');
    file = path.join(dir, 'state', 'audit.ndjson');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('survives SIGKILL mid-append, continues in a new session, and finds a flipped byte', async () => {
    // 1. A real process appends big events in a tight loop; kill it without warning.
    const writer = startWriter(file, 0, 200_000);
    const acked = await acks(writer, 25);
    const exited = once(writer, 'exit');
    writer.kill('SIGKILL');
    const [, signal] = (await exited) as [number | null, string | null];
    assert.equal(signal, 'SIGKILL');

    // Every append the writer saw resolve is in the file, and the log verifies up to its last complete event.
    const afterCrash = await verifyAuditLog(file);
    assert.equal(afterCrash.ok, true, JSON.stringify(afterCrash.firstBroken));
    assert.equal(afterCrash.sessions, 1);
    assert.ok(afterCrash.events >= 1 + acked.length, `${afterCrash.events} events, ${acked.length} acked`);
    const stored = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as AuditEvent];
        } catch {
          return [];
        }
      });
    for (const seq of acked)
      assert.ok(
        stored.some((e) => e.seq === seq),
        `acked seq ${seq} is on disk`,
      );

    // 2. Whether or not the kill tore a line, leave a torn one (as a power cut mid-write would).
    const tornByKill = !fs.readFileSync(file).subarray(-1).equals(Buffer.from('\n'));
    if (!tornByKill) {
      const half = readLines(file).at(-1)!;
      fs.appendFileSync(file, half.slice(0, half.length / 2));
    }
    const torn = await verifyAuditLog(file);
    assert.equal(torn.ok, true, JSON.stringify(torn.firstBroken));
    assert.equal(torn.events, afterCrash.events);
    assert.equal(torn.warnings.at(-1)?.line, torn.lines);
    assert.match(torn.warnings.at(-1)!.reason, /torn write at the end of the log/);
    const cliTorn = await cli(['verify', '--audit-log', file]);
    assert.equal(cliTorn.code, 0, cliTorn.stdout + cliTorn.stderr);
    assert.match(cliTorn.stderr, new RegExp(`warning: line ${torn.lines}: torn write`));

    // 3. A new session continues the log; the whole file verifies, the torn line skipped.
    const log = await openAuditLog(file, { client: 'cli' });
    for (let i = 0; i < 3; i++) await log.append(ev.proposed(`after the crash ${i}`));
    await log.close();
    const resumed = await verifyAuditLog(file);
    assert.equal(resumed.ok, true, JSON.stringify(resumed.firstBroken));
    assert.deepEqual([resumed.events, resumed.sessions], [torn.events + 4, 2]);
    assert.ok(
      resumed.warnings.some((w) => w.line === torn.lines && /links past it/.test(w.reason)),
      JSON.stringify(resumed.warnings),
    );
    const ok = await cli(['verify', '--audit-log', file]);
    assert.equal(ok.code, 0);
    assert.match(
      ok.stdout,
      new RegExp(`verifies: ${resumed.events} events in 2 sessions, chain head ${resumed.headHash}`),
    );

    // 4. Flip one byte in the middle of the file: reported at that line and event.
    const bytes = fs.readFileSync(file);
    const middle = Math.floor(bytes.length / 2);
    const lineNo = bytes.subarray(0, middle).toString('latin1').split('\n').length;
    const target = JSON.parse(readLines(file)[lineNo - 1]!) as AuditEvent;
    assert.ok(target.type === 'command.proposed', 'the middle of the file is inside a big command');
    assert.equal(bytes[middle], 'x'.charCodeAt(0));
    bytes[middle] = 'y'.charCodeAt(0);
    fs.writeFileSync(file, bytes);

    const broken = await verifyAuditLog(file);
    assert.equal(broken.ok, false);
    assert.deepEqual(broken.firstBroken, {
      line: lineNo,
      eventId: target.id,
      sessionId: target.sessionId,
      seq: target.seq,
      reason: 'hash mismatch: content changed after it was written',
    });
    assert.equal(broken.events, lineNo - 1);

    const text = await cli(['verify', '--audit-log', file]);
    assert.equal(text.code, 1);
    assert.match(
      text.stdout,
      new RegExp(
        `BROKEN at line ${lineNo} \\(event ${target.id}, session ${target.sessionId}, seq ${target.seq}\\): hash mismatch`,
      ),
    );
    const json = await cli(['verify', '--audit-log', file, '--json']);
    assert.equal(json.code, 1);
    const parsed = JSON.parse(json.stdout) as { file: string; ok: boolean; firstBroken: unknown };
    assert.deepEqual([parsed.file, parsed.ok, parsed.firstBroken], [file, false, broken.firstBroken]);
  });

  it('two processes appending to one log at the same time build one chain', async () => {
    const a = startWriter(file, 150, 100);
    const b = startWriter(file, 150, 100);
    const done = await Promise.all([once(a, 'exit'), once(b, 'exit'), acks(a, 150), acks(b, 150)]);
    assert.deepEqual([done[0][0], done[1][0]], [0, 0]);
    const result = await verifyAuditLog(file);
    assert.equal(result.ok, true, JSON.stringify(result.firstBroken));
    assert.deepEqual([result.events, result.sessions, result.warnings], [302, 2, []]);
    const sessions = readLines(file).map((l) => (JSON.parse(l) as AuditEvent).sessionId);
    assert.ok(
      sessions.some((s, i) => i > 0 && s !== sessions[i - 1] && sessions.indexOf(s) < i),
      'the sessions interleave (the test exercises the lock)',
    );
  });

  it('exports through the CLI: CSV to a 0600 file, JSON to stdout; a missing log is a failure', async () => {
    const log = await openAuditLog(file);
    await log.append(ev.proposed('=1+1'));
    await log.close();

    const out = path.join(dir, 'export.csv');
    const r = await cli([
      'export',
      '--format',
      'csv',
      '--audit-log',
      file,
      '--output',
      out,
      '--since',
      '2000-01-01',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const csv = fs.readFileSync(out, 'utf8');
    assert.ok(csv.startsWith(`${CSV_COLUMNS.join(',')}\r\n`));
    assert.equal(csv.split('\r\n').length, 4);
    assert.match(csv, /,agent proposed: =1\+1,/);
    if (process.platform !== 'win32') assert.equal(fs.statSync(out).mode & 0o777, 0o600);

    const json = await cli(['export', '--format', 'json', '--audit-log', file]);
    assert.equal(json.code, 0);
    assert.deepEqual(
      (JSON.parse(json.stdout) as AuditEvent[]).map((e) => e.type),
      ['session.started', 'command.proposed'],
    );
    const future = await cli([
      'export',
      '--format',
      'ndjson',
      '--audit-log',
      file,
      '--since',
      '2999-01-01T00:00:00Z',
    ]);
    assert.deepEqual([future.code, future.stdout], [0, '']);

    const missing = path.join(dir, 'nope.ndjson');
    for (const args of [
      ['verify', '--audit-log', missing],
      ['export', '--format', 'csv', '--audit-log', missing, '--output', path.join(dir, 'x.csv')],
    ]) {
      const m = await cli(args);
      assert.equal(m.code, 1, args.join(' '));
      assert.match(m.stderr, new RegExp(`no audit log at ${missing.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}`));
    }
    assert.ok(!fs.existsSync(path.join(dir, 'x.csv')), 'no output file for a missing log');
  });
});
