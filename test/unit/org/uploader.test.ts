import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { openAuditLog } from '../../../server/audit/log';
import { cursorPath, readBatch, readCursor } from '../../../server/org/cursor';
import type { OrgSession } from '../../../server/org/session';
import { AuditUploader, backoffDelay, skippedPath } from '../../../server/org/uploader';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'navi-uploader-'));
}

/** A real audit log with `n` events after session.started. */
async function logWith(dir: string, n: number): Promise<string> {
  const file = path.join(dir, 'audit.ndjson');
  const log = await openAuditLog(file, { client: 'cli' });
  for (let i = 0; i < n; i++)
    await log.append({
      type: 'command.proposed',
      actor: { kind: 'user' },
      workspace: dir,
      data: { commandId: uuidv7(), command: `echo ${i}`, cwd: dir, proposer: 'user' },
    });
  await log.close();
  return file;
}

interface Call {
  ids: string[];
  token: string;
}

/** A fake control plane: `answer` decides each reply; stored ids are remembered (idempotent). */
function fakeServer(
  answer: (ids: string[], call: number) => { status: number; body?: unknown } | 'ok' | 'down',
) {
  const stored = new Set<string>();
  const calls: Call[] = [];
  const fetchFn = (async (_url: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(Buffer.from(init!.body as Uint8Array).toString('utf8')) as {
      events: { id: string }[];
    };
    const ids = body.events.map((e) => e.id);
    const token = String((init!.headers as Record<string, string>).authorization).replace('Bearer ', '');
    calls.push({ ids, token });
    const a = answer(ids, calls.length);
    if (a === 'down') throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    if (a === 'ok') {
      const inserted = ids.filter((id) => !stored.has(id));
      const duplicates = ids.filter((id) => stored.has(id));
      for (const id of ids) stored.add(id);
      return new Response(JSON.stringify({ inserted, duplicates, chain: { breaks: [], gaps: [] } }), {
        status: 200,
      });
    }
    return new Response(JSON.stringify(a.body ?? {}), { status: a.status });
  }) as typeof fetch;
  return { stored, calls, fetch: fetchFn };
}

const SESSION: OrgSession = {
  controlPlaneUrl: 'http://127.0.0.1:1',
  accessToken: 't1',
  org: 'acme',
  user: 'alice',
};

function uploader(
  dir: string,
  file: string,
  fetchFn: typeof fetch,
  extra: Partial<ConstructorParameters<typeof AuditUploader>[0]> = {},
) {
  return new AuditUploader({
    file: () => file,
    stateDir: () => dir,
    session: () => SESSION,
    token: async () => 't1',
    log: silent,
    fetch: fetchFn,
    ...extra,
  });
}

function ids(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { id: string }).id);
}

describe('org upload: back-off', () => {
  it('grows exponentially, stays within [ceiling/2, ceiling] and stops at the cap', () => {
    const opts = { baseMs: 1000, maxMs: 60_000 };
    assert.equal(
      backoffDelay(1, opts, () => 0),
      500,
    );
    assert.equal(
      backoffDelay(1, opts, () => 1),
      1000,
    );
    assert.equal(
      backoffDelay(4, opts, () => 0),
      4000,
    );
    assert.equal(
      backoffDelay(4, opts, () => 1),
      8000,
    );
    assert.equal(
      backoffDelay(30, opts, () => 1),
      60_000,
    );
    assert.equal(
      backoffDelay(30, opts, () => 0),
      30_000,
    );
    const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(3, opts)));
    assert.ok(spread.size > 10, 'jitter spreads retries');
  });
});

describe('org upload: reading the log from the cursor', () => {
  it('batches by count and by bytes, always at least one event', async () => {
    const dir = tempDir();
    const file = await logWith(dir, 9); // 10 events
    const cursor = await readCursor(path.join(dir, 'c.json'), { controlPlaneUrl: 'u', org: 'o', file });
    assert.equal((await readBatch(file, cursor, { maxEvents: 4, maxBytes: 1e9 })).entries.length, 4);
    const one = await readBatch(file, cursor, { maxEvents: 100, maxBytes: 10 });
    assert.equal(one.entries.length, 1, 'an event larger than the byte limit still goes alone');
    const all = await readBatch(file, cursor, { maxEvents: 100, maxBytes: 1e9 });
    assert.equal(all.entries.length, 10);
    assert.equal(all.end, fs.statSync(file).size);
    assert.deepEqual(
      all.entries.map((e) => e.id),
      ids(file),
    );
  });

  it('passes over torn lines and does not read a last line without its newline', async () => {
    const dir = tempDir();
    const file = await logWith(dir, 2);
    fs.appendFileSync(file, '{"id":"torn","ha'); // a crash mid-append
    const cursor = await readCursor(path.join(dir, 'c.json'), { controlPlaneUrl: 'u', org: 'o', file });
    const partial = await readBatch(file, cursor, { maxEvents: 100, maxBytes: 1e9 });
    assert.equal(partial.entries.length, 3);
    assert.ok(partial.end < fs.statSync(file).size, 'the unterminated line is left for later');
    // The next writer closes the torn line with a newline and goes on.
    const log = await openAuditLog(file, { client: 'cli' });
    await log.close();
    const after = await readBatch(file, cursor, { maxEvents: 100, maxBytes: 1e9 });
    assert.equal(after.entries.length, 4, 'the torn line is skipped, the new session.started read');
    assert.equal(after.end, fs.statSync(file).size);
  });

  it('starts again at 0 when the last acknowledged event is not where the cursor says (a new log)', async () => {
    const dir = tempDir();
    const file = await logWith(dir, 3);
    const up = uploader(dir, file, fakeServer(() => 'ok').fetch);
    await up.pass();
    // The log is moved aside and a new one started (docs/audit.md "move the file aside").
    fs.renameSync(file, `${file}.old`);
    await logWith(dir, 1);
    const cursor = await readCursor(cursorPath(dir, SESSION.controlPlaneUrl, SESSION.org, file), {
      ...SESSION,
      file,
    });
    const batch = await readBatch(file, cursor, { maxEvents: 100, maxBytes: 1e9 });
    assert.ok(batch.reset);
    assert.deepEqual(
      batch.entries.map((e) => e.id),
      ids(file),
    );
  });
});

describe('org upload: the uploader', () => {
  it('sends everything in order in batches and advances the cursor only after an acknowledgement', async () => {
    const dir = tempDir();
    const file = await logWith(dir, 11); // 12 events
    let down = true;
    const server = fakeServer(() => (down ? 'down' : 'ok'));
    const up = uploader(dir, file, server.fetch, { maxBatchEvents: 5 });
    await assert.rejects(up.pass(), /cannot reach .*ECONNREFUSED/);
    assert.equal(await up.pending(), 12, 'nothing acknowledged, nothing skipped');
    down = false;
    await up.pass();
    assert.deepEqual(
      server.calls.slice(1).map((c) => c.ids.length),
      [5, 5, 2],
    );
    assert.deepEqual(
      server.calls.slice(1).flatMap((c) => c.ids),
      ids(file),
    );
    assert.equal(await up.pending(), 0);
    assert.equal(up.stats.inserted, 12);
  });

  it('re-sends a batch whose answer was lost (the server reports duplicates; nothing is stored twice)', async () => {
    const dir = tempDir();
    const file = await logWith(dir, 3);
    let lose = true;
    const server = fakeServer(() => 'ok');
    const lossy = (async (url: string | URL | Request, init?: RequestInit) => {
      const res = await server.fetch(url, init);
      if (lose) {
        lose = false;
        throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }); // stored, answer lost
      }
      return res;
    }) as typeof fetch;
    const up = uploader(dir, file, lossy);
    await assert.rejects(up.pass());
    await up.pass();
    assert.equal(up.stats.duplicates, 4);
    assert.equal(server.stored.size, 4);
  });

  it('409: skips the conflicting event with a record and uploads the rest', async () => {
    const dir = tempDir();
    const file = await logWith(dir, 3);
    const all = ids(file);
    const server = fakeServer((batch) =>
      batch.includes(all[2]!)
        ? {
            status: 409,
            body: { error: 'conflict', conflicts: [{ id: all[2], reason: 'content', existingId: all[2] }] },
          }
        : 'ok',
    );
    const errors: string[] = [];
    const up = uploader(dir, file, server.fetch, {
      log: { ...silent, error: (m: string) => errors.push(m) },
    });
    await up.pass();
    assert.deepEqual([...server.stored].sort(), all.filter((id) => id !== all[2]).sort());
    assert.equal(up.stats.skipped, 1);
    assert.match(errors.join('\n'), /AUDIT CONFLICT/);
    const record = fs.readFileSync(
      skippedPath(cursorPath(dir, SESSION.controlPlaneUrl, 'acme', file)),
      'utf8',
    );
    assert.equal((JSON.parse(record) as { id: string; status: number }).id, all[2]);
    assert.equal(await up.pending(), 0);
  });

  it('400 naming an event: skips it with a record; 413: splits the batch and keeps later batches smaller', async () => {
    const dir = tempDir();
    const file = await logWith(dir, 7); // 8 events
    const all = ids(file);
    const server = fakeServer((batch) => {
      if (batch.length > 2) return { status: 413, body: { error: 'batch_too_large' } };
      if (batch.includes(all[5]!))
        return { status: 400, body: { error: 'invalid_event', index: batch.indexOf(all[5]!), id: all[5] } };
      return 'ok';
    });
    const up = uploader(dir, file, server.fetch);
    await up.pass();
    assert.deepEqual([...server.stored].sort(), all.filter((id) => id !== all[5]).sort());
    assert.equal(up.stats.skipped, 1);
    assert.equal(await up.pending(), 0);
  });

  it('401: asks for a fresh token once and retries with it; refused again, it stops and keeps the events', async () => {
    const dir = tempDir();
    const file = await logWith(dir, 2);
    const server = fakeServer((_ids, n) => (server.calls[n - 1]!.token === 'fresh' ? 'ok' : { status: 401 }));
    const reasons: (string | undefined)[] = [];
    const up = uploader(dir, file, server.fetch, {
      token: async (reason) => {
        reasons.push(reason);
        return reason === 'rejected' ? 'fresh' : 'stale';
      },
    });
    await up.pass();
    assert.deepEqual(reasons, [undefined, 'rejected']);
    assert.equal(server.stored.size, 3);

    const file2 = await logWith(tempDir(), 1);
    const never = fakeServer(() => ({ status: 401 }));
    const up2 = uploader(path.dirname(file2), file2, never.fetch, { token: async () => 'stale' });
    await assert.rejects(up2.pass(), /refused the access token/);
    assert.equal(await up2.pending(), 2);
  });

  it('flush gives up after its timeout while the control plane is unreachable', async () => {
    const dir = tempDir();
    const file = await logWith(dir, 1);
    const up = uploader(dir, file, fakeServer(() => 'down').fetch);
    const started = Date.now();
    await assert.rejects(up.flush({ timeoutMs: 600 }), /cannot reach/);
    assert.ok(Date.now() - started < 2000);
    assert.equal(await up.pending(), 2);
  });
});
