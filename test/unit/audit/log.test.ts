import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import canonicalize from 'canonicalize';
import { ZodError } from 'zod';
import { AuditEvent, GENESIS_PREV_HASH } from '../../../protocol/audit';
import { canonicalJson, eventHash } from '../../../server/audit/canonical';
import { AuditLogError, defaultCliAuditPath, openAuditLog } from '../../../server/audit/log';
import { verifyAuditLog } from '../../../server/audit/verify';
import { fakeSecrets } from '../../fixtures/builders';
import { ev, readLines, tempLogDir, writeSession } from './builders';

/** SHA-256 of the canonical JSON without `hash`, computed without the module under test. */
function independentHash(event: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = event;
  return createHash('sha256').update(canonicalize(rest)!, 'utf8').digest('hex');
}

describe('audit/log', () => {
  let t: ReturnType<typeof tempLogDir>;
  beforeEach(() => (t = tempLogDir()));
  afterEach(() => t.cleanup());

  it('writes session.started, then one canonical JSON line per event, chained from 64 zeros', async () => {
    const log = await openAuditLog(t.file, { client: 'cli' });
    const returned = [await log.append(ev.proposed('npm test')), await log.append(ev.executed(0))];
    await log.close();

    const lines = readLines(t.file);
    assert.equal(lines.length, 3);
    const events = lines.map((l) => JSON.parse(l) as AuditEvent);
    assert.equal(events[0]!.type, 'session.started');
    assert.equal(events[0]!.prevHash, GENESIS_PREV_HASH);
    assert.equal(GENESIS_PREV_HASH, '0'.repeat(64));
    assert.deepEqual(
      events.map((e) => e.seq),
      [0, 1, 2],
    );
    events.forEach((e, i) => {
      assert.equal(lines[i], canonicalize(e), `line ${i + 1} is canonical JSON`);
      assert.equal(e.hash, independentHash(e), `line ${i + 1} hash`);
      assert.equal(e.sessionId, log.sessionId);
      assert.match(e.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(AuditEvent.safeParse(e).success);
      if (i > 0) assert.equal(e.prevHash, events[i - 1]!.hash, `line ${i + 1} links to line ${i}`);
    });
    assert.deepEqual(returned, events.slice(1));
    const started = events[0]!;
    assert.ok(started.type === 'session.started');
    assert.equal(started.data.pid, process.pid);
    assert.equal(started.data.platform, process.platform);
    assert.equal(started.data.client, 'cli');
    assert.equal(started.actor.kind, 'user');
  });

  it('hashes RFC 8785 canonical JSON: key order and number spelling do not matter', () => {
    // The example of RFC 8785 section 3.2.2 / 3.2.3.
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    ) as unknown;
    assert.equal(
      canonicalJson(input),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
    // Keys sort by UTF-16 code units (RFC 8785 3.2.3).
    assert.equal(
      canonicalJson({
        '\u20ac': 1,
        '\r': 2,
        '\ufb33': 3,
        '1': 4,
        '\ud83d\ude00': 5,
        '\u0080': 6,
        '\u00f6': 7,
      }),
      '{"\\r":2,"1":4,"\u0080":6,"\u00f6":7,"\u20ac":1,"\ud83d\ude00":5,"\ufb33":3}',
    );
    const a = { b: 1, a: { y: [1, 2], x: 'é' }, hash: 'ignored' };
    const b = { hash: 'other', a: { x: 'é', y: [1.0, 2.0] }, b: 1 };
    assert.equal(eventHash(a), eventHash(b));
    assert.equal(eventHash(a), createHash('sha256').update('{"a":{"x":"é","y":[1,2]},"b":1}').digest('hex'));
    assert.notEqual(eventHash(a), eventHash({ ...a, b: 2 }));
  });

  it('redacts secrets in data and workspace before hashing, so no secret reaches the file', async () => {
    const token = fakeSecrets.githubToken();
    const stripe = fakeSecrets.stripeKey();
    const log = await openAuditLog(t.file);
    const proposed = await log.append({
      ...ev.proposed(`curl -H "Authorization: token ${token}" https://api.github.com`),
      workspace: `/work/${fakeSecrets.databaseUrl()}`,
    });
    const verdict = await log.append(ev.verdict('ask', [`sends the key ${stripe} over the network`]));
    await log.close();

    const text = fs.readFileSync(t.file, 'utf8');
    for (const secret of [token, stripe, fakeSecrets.dbPassword()]) {
      assert.ok(!text.includes(secret), `the log holds no ${secret.slice(0, 6)}…`);
    }
    assert.ok(proposed.type === 'command.proposed');
    assert.match(proposed.data.command, /Authorization: token ghp_\*+" https:\/\/api\.github\.com/);
    assert.match(proposed.workspace!, /app_user:\*\*\*\*@/);
    assert.ok(verdict.type === 'command.verdict');
    assert.match(verdict.data.reasons[0]!, /^sends the key sk_l\*+ over the network$/);
    // The hash covers the redacted text: recomputing it over the line as stored matches.
    const stored = JSON.parse(readLines(t.file)[1]!) as AuditEvent;
    assert.equal(stored.hash, independentHash(stored));
    assert.equal(stored.hash, proposed.hash);
    assert.equal((await verifyAuditLog(t.file)).ok, true);
  });

  /** Records the file size at every FileHandle fsync until `restore()`. */
  async function watchSyncs(): Promise<{ sizes: number[]; restore: () => void }> {
    const probe = await fs.promises.open(path.join(t.dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync(this: fs.promises.FileHandle): Promise<void> };
    await probe.close();
    const original = proto.sync;
    const sizes: number[] = [];
    proto.sync = async function (this: fs.promises.FileHandle) {
      sizes.push((await this.stat()).size);
      return original.call(this);
    };
    return { sizes, restore: () => (proto.sync = original) };
  }

  it('fsyncs every line before the append resolves', async () => {
    const syncs = await watchSyncs();
    try {
      const log = await openAuditLog(t.file);
      for (let i = 0; i < 3; i++) {
        await log.append(ev.proposed());
        assert.equal(syncs.sizes.at(-1), fs.statSync(t.file).size, `append ${i} synced its whole line`);
      }
      await log.close();
      assert.ok(syncs.sizes.filter((size) => size > 0).length >= 4);
    } finally {
      syncs.restore();
    }
  });

  it('appends several events with one write and one fsync, chained in order; an invalid one writes nothing', async () => {
    const log = await openAuditLog(t.file);
    const syncs = await watchSyncs();
    try {
      const [a, b] = await log.appendAll([ev.proposed('npm test'), ev.proposed('npm run lint')]);
      assert.equal(syncs.sizes.length, 1, 'one fsync for both');
      assert.equal(syncs.sizes[0], fs.statSync(t.file).size, 'after both lines were written');
      assert.equal(b!.prevHash, a!.hash);
      assert.equal(b!.seq, a!.seq + 1);
      const before = fs.statSync(t.file).size;
      await assert.rejects(
        log.appendAll([ev.proposed('ok'), { ...ev.proposed(), type: 'nope' } as never]),
        ZodError,
      );
      assert.equal(fs.statSync(t.file).size, before, 'nothing written');
    } finally {
      syncs.restore();
    }
    await log.close();
    assert.equal((await verifyAuditLog(t.file)).ok, true);
  });

  it('keeps concurrent appends in call order as one chain', async () => {
    const log = await openAuditLog(t.file);
    const events = await Promise.all(
      Array.from({ length: 100 }, (_, i) => log.append(ev.proposed(`cmd ${i}`))),
    );
    await log.close();
    assert.deepEqual(
      events.map((e) => e.seq),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    events.forEach((e, i) => {
      assert.ok(e.type === 'command.proposed');
      assert.equal(e.data.command, `cmd ${i}`);
    });
    const lines = readLines(t.file).map((l) => JSON.parse(l) as AuditEvent);
    for (let i = 1; i < lines.length; i++) assert.equal(lines[i]!.prevHash, lines[i - 1]!.hash);
    const result = await verifyAuditLog(t.file);
    assert.equal(result.ok, true, JSON.stringify(result.firstBroken));
    assert.equal(result.events, 101);
  });

  it('two logs on one file (as two processes would) interleave into one chain', async () => {
    const [a, b] = await Promise.all([openAuditLog(t.file), openAuditLog(t.file)]);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).append(ev.proposed(`cmd ${i}`))));
    await Promise.all([a.close(), b.close()]);
    const result = await verifyAuditLog(t.file);
    assert.equal(result.ok, true, JSON.stringify(result.firstBroken));
    assert.equal(result.events, 42);
    assert.equal(result.sessions, 2);
    assert.ok(!fs.existsSync(`${t.file}.lock`), 'the lock is released');
  });

  it('refuses an invalid event without writing it, and the session goes on without a gap', async () => {
    const log = await openAuditLog(t.file);
    const bad = { ...ev.proposed(), data: { ...ev.proposed().data, extra: 1 } };
    await assert.rejects(log.append(bad as never), ZodError);
    await assert.rejects(log.append({ ...ev.proposed(), type: 'session.started' } as never), ZodError);
    await assert.rejects(log.append(ev.proposed('x'.repeat((1 << 20) + 1))), ZodError);
    assert.equal(readLines(t.file).length, 1);
    const next = await log.append(ev.proposed());
    await log.close();
    assert.equal(next.seq, 1);
    assert.equal((await verifyAuditLog(t.file)).ok, true);
  });

  it('a new session links its session.started to the last event of the previous one', async () => {
    await writeSession(t.file, 2);
    const before = readLines(t.file);
    const second = await writeSession(t.file, 1);
    const lines = readLines(t.file);
    assert.deepEqual(lines.slice(0, 3), before, 'earlier lines are untouched');
    const started = JSON.parse(lines[3]!) as AuditEvent;
    assert.equal(started.type, 'session.started');
    assert.equal(started.sessionId, second.sessionId);
    assert.equal(started.seq, 0);
    assert.equal(started.prevHash, (JSON.parse(before[2]!) as AuditEvent).hash);
    const result = await verifyAuditLog(t.file);
    assert.deepEqual([result.ok, result.events, result.sessions], [true, 5, 2]);
  });

  it('after a torn write, the next session starts a new line and links past the torn bytes', async () => {
    await writeSession(t.file, 2);
    const complete = readLines(t.file);
    const torn = complete[1]!.slice(0, 57); // a crash in the middle of writing a line
    fs.appendFileSync(t.file, torn);

    await writeSession(t.file, 1);
    const lines = readLines(t.file);
    assert.deepEqual(lines.slice(0, 4), [...complete, torn], 'the torn bytes stay, alone on their line');
    const started = JSON.parse(lines[4]!) as AuditEvent;
    assert.equal(started.prevHash, (JSON.parse(complete[2]!) as AuditEvent).hash);
    const result = await verifyAuditLog(t.file);
    assert.equal(result.ok, true, JSON.stringify(result.firstBroken));
    assert.equal(result.events, 5);
    assert.equal(result.warnings.length, 1);
    assert.equal(result.warnings[0]!.line, 4);
    assert.match(result.warnings[0]!.reason, /torn write.*line 5 links past it/);
  });

  it('an open session notices torn bytes another process left and writes past them', async () => {
    const log = await openAuditLog(t.file);
    const first = await log.append(ev.proposed());
    fs.appendFileSync(t.file, '{"actor":{"kind":"ag'); // another writer died mid-line
    const next = await log.append(ev.proposed());
    await log.close();
    assert.equal(next.prevHash, first.hash);
    assert.equal(readLines(t.file)[2], '{"actor":{"kind":"ag');
    const result = await verifyAuditLog(t.file);
    assert.deepEqual([result.ok, result.events, result.warnings.map((w) => w.line)], [true, 3, [3]]);
  });

  it('a last line that lost only its newline is a complete event: the next session links to it', async () => {
    await writeSession(t.file, 1);
    const text = fs.readFileSync(t.file, 'utf8');
    fs.writeFileSync(t.file, text.slice(0, -1));
    assert.equal((await verifyAuditLog(t.file)).warnings.length, 1);
    await writeSession(t.file, 0);
    const lines = readLines(t.file).map((l) => JSON.parse(l) as AuditEvent);
    assert.equal(lines.length, 3);
    assert.equal(lines[2]!.prevHash, lines[1]!.hash);
    const result = await verifyAuditLog(t.file);
    assert.deepEqual([result.ok, result.events, result.warnings.length], [true, 3, 0]);
  });

  it('refuses to open a log whose last event does not verify, and leaves it as it is', async () => {
    await writeSession(t.file, 1);
    const text = fs.readFileSync(t.file, 'utf8').replace('cmd 0', 'cmd 9');
    fs.writeFileSync(t.file, text);
    await assert.rejects(openAuditLog(t.file), (error: unknown) => {
      assert.ok(error instanceof AuditLogError);
      assert.equal(error.code, 'corrupt');
      assert.match(error.message, /navi audit verify --audit-log/);
      return true;
    });
    assert.equal(fs.readFileSync(t.file, 'utf8'), text);
  });

  it('refuses a session id that already wrote the last event', async () => {
    const first = await writeSession(t.file, 1);
    await assert.rejects(openAuditLog(t.file, { sessionId: first.sessionId }), /already wrote/);
    await assert.rejects(openAuditLog(t.file, { sessionId: 'not-a-uuid' }), /UUIDv7/);
  });

  it('creates the file 0600 in a directory 0700 and tightens a file that is readable by others', async function () {
    if (process.platform === 'win32') this.skip();
    await writeSession(t.file, 0);
    assert.equal(fs.statSync(t.file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(t.file)).mode & 0o777, 0o700);
    fs.chmodSync(t.file, 0o644);
    await writeSession(t.file, 0);
    assert.equal(fs.statSync(t.file).mode & 0o777, 0o600);
  });

  it('never lets timestamps of a session run backwards when the clock steps back', async () => {
    const times = ['2025-03-01T10:00:00.500Z', '2025-03-01T09:59:59.000Z', '2025-03-01T10:00:01.000Z'];
    let i = 0;
    const log = await openAuditLog(t.file, { now: () => new Date(times[Math.min(i++, times.length - 1)]!) });
    const stepped = await log.append(ev.proposed());
    const later = await log.append(ev.proposed());
    await log.close();
    assert.equal(stepped.ts, '2025-03-01T10:00:00.500Z');
    assert.equal(later.ts, '2025-03-01T10:00:01.000Z');
    assert.equal((await verifyAuditLog(t.file)).ok, true);
  });

  it('breaks a lock left by a dead process, and waits for (then gives up on) a live one', async () => {
    fs.mkdirSync(path.dirname(t.file), { recursive: true });
    const lock = `${t.file}.lock`;
    fs.writeFileSync(lock, JSON.stringify({ pid: 2 ** 31 - 2, host: os.hostname(), token: 'dead' }));
    await writeSession(t.file, 1);
    assert.ok(!fs.existsSync(lock));

    fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), token: 'alive' }));
    await assert.rejects(openAuditLog(t.file, { lockTimeoutMs: 30 }), (error: unknown) => {
      assert.ok(error instanceof AuditLogError);
      assert.equal(error.code, 'busy');
      return true;
    });
    assert.equal(readLines(t.file).length, 2, 'nothing written without the lock');
  });

  it('after a failed write every later append fails, so no gap or fork can follow', async () => {
    const log = await openAuditLog(t.file);
    // Pull the file out from under the writer (as an I/O error would).
    await (log as unknown as { fh: { close(): Promise<void> } }).fh.close();
    await assert.rejects(
      log.append(ev.proposed()),
      (e: unknown) => e instanceof AuditLogError && e.code === 'failed',
    );
    await assert.rejects(log.append(ev.proposed()), /an earlier append failed/);
    assert.equal(readLines(t.file).length, 1);
  });

  it('rejects appends after close', async () => {
    const log = await openAuditLog(t.file);
    await log.close();
    await log.close();
    await assert.rejects(log.append(ev.proposed()), /closed/);
  });

  it('defaultCliAuditPath follows XDG_STATE_HOME (absolute only), else ~/.local/state', () => {
    assert.equal(
      defaultCliAuditPath({ XDG_STATE_HOME: '/xdg' }, '/home/a'),
      path.join('/xdg', 'navi', 'audit.ndjson'),
    );
    assert.equal(
      defaultCliAuditPath({ XDG_STATE_HOME: 'relative' }, '/home/a'),
      path.join('/home/a', '.local', 'state', 'navi', 'audit.ndjson'),
    );
    assert.equal(
      defaultCliAuditPath({}, '/home/a'),
      path.join('/home/a', '.local', 'state', 'navi', 'audit.ndjson'),
    );
  });
});
