import assert from 'node:assert/strict';
import type { AuditEvent } from '../../../protocol/audit';
import { eventHash } from '../../../server/audit/canonical';
import { session } from './events';
import { TestIssuer } from './issuer';
import {
  call,
  describePg,
  freshPgDatabase,
  orgFor,
  startChild,
  tempDir,
  writeConfig,
  type ChildServer,
} from './helpers';

/**
 * Real child processes: a SIGKILL in the middle of a stream of uploads loses no acknowledged
 * event and, after the client retries what was not acknowledged, stores none twice; two
 * instances on one PostgreSQL take concurrent uploads for the same org without loss,
 * duplicates or broken order.
 */

function batches(events: AuditEvent[], size: number): AuditEvent[][] {
  const out: AuditEvent[][] = [];
  for (let i = 0; i < events.length; i += size) out.push(events.slice(i, i + size));
  return out;
}

/** Interleaves several sessions' events so every batch mixes sessions. */
function interleave(sessions: AuditEvent[][]): AuditEvent[] {
  const out: AuditEvent[] = [];
  const longest = Math.max(...sessions.map((s) => s.length));
  for (let i = 0; i < longest; i++) for (const s of sessions) if (s[i]) out.push(s[i]!);
  return out;
}

/** Reads the whole org back through the NDJSON export and checks count, uniqueness and order. */
async function checkStored(url: string, token: string, expected: AuditEvent[]): Promise<void> {
  const r = await call(url, token, 'GET', '/api/audit/export?format=ndjson');
  assert.equal(r.status, 200);
  const stored = r.text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditEvent);
  const ids = stored.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, 'an event is stored twice');
  assert.deepEqual(
    new Set(ids),
    new Set(expected.map((e) => e.id)),
    'stored events differ from uploaded ones',
  );
  const bySession = new Map<string, AuditEvent[]>();
  for (const e of stored) bySession.set(e.sessionId, [...(bySession.get(e.sessionId) ?? []), e]);
  for (const [sessionId, events] of bySession) {
    events.forEach((e, i) => {
      assert.equal(e.seq, i, `session ${sessionId} is out of order or has a gap at ${i}`);
      assert.equal(eventHash(e), e.hash);
      if (i > 0) assert.equal(e.prevHash, events[i - 1]!.hash, `session ${sessionId} chain broken at ${i}`);
    });
  }
}

describe('control plane: durability (SQLite, SIGKILL)', function () {
  let issuer: TestIssuer;
  let server: ChildServer | undefined;
  before(async () => {
    issuer = await TestIssuer.start();
  });
  after(async () => {
    await server?.stop();
    await issuer.stop();
  });

  it('loses no acknowledged event across a SIGKILL and stores none twice after retries', async () => {
    const dir = tempDir();
    const config = writeConfig(dir, { dataDir: dir, port: 0, orgs: [orgFor('acme', issuer)] });
    const uploader = await issuer.token({ sub: 'agent-1' });
    const auditor = await issuer.token({ sub: 'audrey', roles: ['auditor'] });
    const all = interleave([0, 1, 2, 3].map(() => session({ commands: 2999 })));
    const pending = batches(all, 100);
    const acked = new Set<string>();

    server = await startChild(['--config', config]);
    const first = server;
    let sent = 0;
    let killedAfter = -1;
    // Four concurrent uploaders; the server is killed once 40 batches are acknowledged.
    const worker = async () => {
      for (;;) {
        const batch = pending[sent++];
        if (!batch) return;
        try {
          const r = await call(first.url, uploader, 'POST', '/api/audit/events', { events: batch });
          assert.equal(r.status, 200, r.text);
          for (const id of [...r.body.inserted, ...r.body.duplicates]) acked.add(id);
          if (acked.size >= 4000 && killedAfter < 0) {
            killedAfter = acked.size;
            first.child.kill('SIGKILL');
          }
        } catch (err) {
          if ((err as Error).name === 'AssertionError') throw err;
          return; // the server is gone: stop, like a client that waits for it to come back
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    await new Promise((r) =>
      first.child.exitCode !== null || first.child.signalCode ? r(null) : first.child.once('exit', r),
    );
    assert.equal(first.child.signalCode, 'SIGKILL');
    assert.ok(acked.size >= 4000 && acked.size < all.length, `acknowledged ${acked.size} of ${all.length}`);
    const ackedBeforeKill = new Set(acked);

    server = await startChild(['--config', config]);
    // The client retries everything it has no acknowledgement for, in its original batches.
    let duplicates = 0;
    for (const batch of batches(all, 100)) {
      const unacked = batch.filter((e) => !ackedBeforeKill.has(e.id));
      if (!unacked.length) continue;
      const r = await call(server.url, uploader, 'POST', '/api/audit/events', { events: unacked });
      assert.equal(r.status, 200, r.text);
      duplicates += r.body.duplicates.length;
    }
    // Batches in flight at the kill may have been committed without their answer arriving: those
    // come back as duplicates, never as second copies.
    assert.ok(duplicates <= 400, `${duplicates} duplicates`);
    await checkStored(server.url, auditor, all);
    const stats = await call(
      server.url,
      auditor,
      'GET',
      `/api/audit/events?session=${all[0]!.sessionId}&limit=1`,
    );
    assert.equal(stats.body.events[0].event.id, all[0]!.id);
  });
});

describePg('control plane: two instances on one PostgreSQL', function () {
  let issuer: TestIssuer;
  let servers: ChildServer[] = [];
  let db: Awaited<ReturnType<typeof freshPgDatabase>>;
  before(async () => {
    issuer = await TestIssuer.start();
    db = await freshPgDatabase();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await issuer.stop();
    await db.drop();
  });

  it('accepts concurrent uploads for one org on both without loss, duplicates or broken order', async () => {
    const dir = tempDir();
    const config = writeConfig(dir, { port: 0, databasePoolSize: 8, orgs: [orgFor('acme', issuer)] });
    // Both start at once: migrations run under an advisory lock.
    servers = await Promise.all([
      startChild(['--config', config], { DATABASE_URL: db.url }),
      startChild(['--config', config], { DATABASE_URL: db.url }),
    ]);
    const uploader = await issuer.token({ sub: 'agent-1' });
    const auditor = await issuer.token({ sub: 'audrey', roles: ['auditor'] });
    const sessions = [0, 1, 2, 3, 4, 5].map(() => session({ commands: 999 }));
    const all = interleave(sessions);
    const work = batches(all, 50);
    let next = 0;
    let breaks = 0;
    const worker = async (w: number) => {
      for (;;) {
        const i = next++;
        const batch = work[i];
        if (!batch) return;
        // Every batch goes to one instance, and every fifth to both at once (a retry racing the original).
        const targets = i % 5 === 0 ? servers : [servers[(i + w) % 2]!];
        const rs = await Promise.all(
          targets.map((s) => call(s.url, uploader, 'POST', '/api/audit/events', { events: batch })),
        );
        for (const r of rs) {
          assert.equal(r.status, 200, r.text);
          breaks += r.body.chain.breaks.length;
        }
        if (rs.length === 2) {
          const inserted = [...rs[0]!.body.inserted, ...rs[1]!.body.inserted];
          assert.equal(inserted.length, batch.length, 'each event is inserted by exactly one instance');
          assert.equal(new Set(inserted).size, batch.length);
        }
      }
    };
    await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(worker));
    assert.equal(breaks, 0);
    await checkStored(servers[0]!.url, auditor, all);
    await checkStored(servers[1]!.url, auditor, all);
  });
});
