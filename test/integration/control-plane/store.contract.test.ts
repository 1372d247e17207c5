import assert from 'node:assert/strict';
import { canonicalJson } from '../../../server/audit/canonical';
import type { AuditEvent } from '../../../protocol/audit';
import { PostgresStore } from '../../../control-plane/store/postgres';
import { SqliteStore } from '../../../control-plane/store/sqlite';
import { StoreRuleError, type NewEvent, type OrgRecord } from '../../../control-plane/store/types';
import { session, rehash } from './events';
import { describePg, openTestStore, type StoreHandle } from './helpers';

/** The one contract of store/types.ts, run against SQLite and PostgreSQL. */

function toNew(e: AuditEvent): NewEvent {
  return {
    id: e.id,
    sessionId: e.sessionId,
    seq: e.seq,
    ts: e.ts,
    type: e.type,
    actorId: e.actor.id ?? null,
    prevHash: e.prevHash,
    hash: e.hash,
    content: canonicalJson(e),
  };
}

const NOW = '2025-01-01T00:00:00.000Z';

const ORG: OrgRecord = {
  id: 'acme',
  name: 'Acme',
  issuers: ['https://idp.acme.example'],
  audience: 'https://navi.example/api',
  clientIds: ['navi-vscode'],
  rolesClaim: 'navi_roles',
  acceptIdTokens: false,
};

function contract(kind: 'sqlite' | 'postgres') {
  let h: StoreHandle;
  beforeEach(async () => {
    h = await openTestStore(kind);
  });
  afterEach(async () => {
    await h.dispose();
  });

  it('stores new events, reports retries as duplicates and keeps one copy', async () => {
    const events = session({ commands: 4 }).map(toNew);
    const first = await h.store.insertEvents('acme', 'alice', events.slice(0, 3), NOW);
    assert.deepEqual(first, { ok: true, inserted: events.slice(0, 3).map((e) => e.id), duplicates: [] });
    const again = await h.store.insertEvents('acme', 'alice', events, NOW);
    assert.deepEqual(again, {
      ok: true,
      inserted: events.slice(3).map((e) => e.id),
      duplicates: events.slice(0, 3).map((e) => e.id),
    });
    const all = await h.store.listEvents('acme', {}, null, 100);
    assert.deepEqual(
      all.map((e) => e.id),
      events.map((e) => e.id),
    );
    assert.equal(all[0]!.uploader, 'alice');
    assert.equal(all[0]!.content, events[0]!.content);
  });

  it('refuses a whole batch when an id holds other content, storing none of it', async () => {
    const [a, b, c] = session({ commands: 2 });
    await h.store.insertEvents('acme', 'alice', [toNew(a!)], NOW);
    const changed = toNew(rehash({ ...a!, ts: '2020-01-01T00:00:00.000Z' }));
    const r = await h.store.insertEvents('acme', 'alice', [toNew(b!), changed, toNew(c!)], NOW);
    assert.deepEqual(r, { ok: false, conflicts: [{ id: a!.id, reason: 'content', existingId: a!.id }] });
    assert.equal((await h.store.listEvents('acme', {}, null, 100)).length, 1);
  });

  it('refuses another event id at a taken session position', async () => {
    const [a, b] = session({ commands: 1 });
    await h.store.insertEvents('acme', 'alice', [toNew(a!), toNew(b!)], NOW);
    const fork = toNew(rehash({ ...b!, id: session()[1]!.id }));
    const r = await h.store.insertEvents('acme', 'alice', [fork], NOW);
    assert.deepEqual(r, { ok: false, conflicts: [{ id: fork.id, reason: 'seq', existingId: b!.id }] });
  });

  it('keeps orgs apart: the same event id is independent per org', async () => {
    const events = session({ commands: 1 }).map(toNew);
    await h.store.insertEvents('acme', 'alice', events, NOW);
    const r = await h.store.insertEvents('globex', 'bob', events, NOW);
    assert.equal(r.ok && r.inserted.length, 2);
    assert.equal((await h.store.listEvents('acme', { uploader: 'bob' }, null, 10)).length, 0);
    assert.equal((await h.store.listEvents('globex', {}, null, 10)).length, 2);
  });

  it('lists in (ts, session, seq) order with filters and stable cursor paging', async () => {
    const s1 = session({ commands: 5, start: Date.parse('2025-01-01T00:00:00.000Z') });
    const s2 = session({ commands: 5, start: Date.parse('2025-01-01T00:00:00.003Z'), actorId: 'carol' });
    await h.store.insertEvents('acme', 'alice', s1.map(toNew), NOW);
    await h.store.insertEvents('acme', 'bob', s2.map(toNew), NOW);
    const expected = [...s1, ...s2]
      .sort((x, y) =>
        x.ts < y.ts
          ? -1
          : x.ts > y.ts
            ? 1
            : x.sessionId < y.sessionId
              ? -1
              : x.sessionId > y.sessionId
                ? 1
                : x.seq - y.seq,
      )
      .map((e) => e.id);
    const paged: string[] = [];
    let after = null;
    for (;;) {
      const page = await h.store.listEvents('acme', {}, after, 4);
      if (!page.length) break;
      paged.push(...page.map((e) => e.id));
      const last = page[page.length - 1]!;
      after = { ts: last.ts, sessionId: last.sessionId, seq: last.seq };
    }
    assert.deepEqual(paged, expected);
    assert.equal((await h.store.listEvents('acme', { uploader: 'bob' }, null, 100)).length, 6);
    assert.equal((await h.store.listEvents('acme', { actorId: 'carol' }, null, 100)).length, 6);
    assert.equal((await h.store.listEvents('acme', { type: 'session.started' }, null, 100)).length, 2);
    assert.equal((await h.store.listEvents('acme', { sessionId: s1[0]!.sessionId }, null, 100)).length, 6);
    const window = await h.store.listEvents(
      'acme',
      { from: '2025-01-01T00:00:00.002Z', to: '2025-01-01T00:00:00.004Z' },
      null,
      100,
    );
    assert.deepEqual(window.map((e) => e.ts).sort(), [
      '2025-01-01T00:00:00.002Z',
      '2025-01-01T00:00:00.003Z',
      '2025-01-01T00:00:00.003Z',
    ]);
  });

  it('streams every matching event in listing order, and an abandoned stream releases the store', async () => {
    const events = session({ commands: 2500 }).map(toNew);
    for (let i = 0; i < events.length; i += 500)
      await h.store.insertEvents('acme', 'alice', events.slice(i, i + 500), NOW);
    const seen: string[] = [];
    for await (const slice of h.store.streamEvents('acme', {})) seen.push(...slice.map((e) => e.id));
    assert.deepEqual(
      seen,
      events.map((e) => e.id),
    );
    const it = h.store.streamEvents('acme', {});
    await it.next();
    await it.return?.(undefined);
    const more = session({ commands: 1 }).map(toNew);
    assert.equal((await h.store.insertEvents('acme', 'alice', more, NOW)).ok, true);
  });

  it('reports chain breaks against stored neighbours, in either arrival order', async () => {
    const s = session({ commands: 4 });
    const tampered = rehash({ ...s[3]!, prevHash: 'f'.repeat(64) });
    await h.store.insertEvents(
      'acme',
      'alice',
      [s[0], s[1], s[2]].map((e) => toNew(e!)),
      NOW,
    );
    await h.store.insertEvents('acme', 'alice', [toNew(tampered)], NOW);
    const breaks = await h.store.checkChain('acme', [tampered.id]);
    assert.deepEqual(breaks, [
      { sessionId: s[0]!.sessionId, seq: 3, id: tampered.id, prevHash: 'f'.repeat(64), expected: s[2]!.hash },
    ]);
    // Successor first, predecessor later: the break is found when the predecessor arrives.
    const t = session({ commands: 2 });
    const t2 = rehash({ ...t[2]!, prevHash: 'e'.repeat(64) });
    await h.store.insertEvents('acme', 'alice', [toNew(t2)], NOW);
    assert.deepEqual(await h.store.checkChain('acme', [t2.id]), []);
    await h.store.insertEvents('acme', 'alice', [toNew(t[1]!)], NOW);
    assert.deepEqual(
      (await h.store.checkChain('acme', [t[1]!.id])).map((b) => b.id),
      [t2.id],
    );
    // A link to another session's event (two sessions interleaved in one local log) is no break.
    const u = session({ commands: 2 });
    const u2 = rehash({ ...u[2]!, prevHash: s[1]!.hash });
    await h.store.insertEvents(
      'acme',
      'alice',
      [u[0], u[1], u2].map((e) => toNew(e!)),
      NOW,
    );
    assert.deepEqual(await h.store.checkChain('acme', [u2.id]), []);
  });

  it('reports missing seqs until a later upload fills them', async () => {
    const s = session({ commands: 6 });
    await h.store.insertEvents(
      'acme',
      'alice',
      [s[0], s[3], s[6]].map((e) => toNew(e!)),
      NOW,
    );
    assert.deepEqual(await h.store.sessionGaps('acme', [s[0]!.sessionId]), [
      {
        sessionId: s[0]!.sessionId,
        missing: [
          [1, 2],
          [4, 5],
        ],
      },
    ]);
    await h.store.insertEvents(
      'acme',
      'alice',
      [s[1], s[2], s[4], s[5]].map((e) => toNew(e!)),
      NOW,
    );
    assert.deepEqual(await h.store.sessionGaps('acme', [s[0]!.sessionId]), []);
    const late = session({ commands: 2 });
    await h.store.insertEvents('acme', 'alice', [toNew(late[2]!)], NOW);
    assert.deepEqual(await h.store.sessionGaps('acme', [late[0]!.sessionId]), [
      { sessionId: late[0]!.sessionId, missing: [[0, 1]] },
    ]);
  });

  it('refuses UPDATE, DELETE (and TRUNCATE) of audit rows in the database itself', async () => {
    await h.store.insertEvents('acme', 'alice', session({ commands: 1 }).map(toNew), NOW);
    await h.store.appendControlEvent({
      id: 'c1',
      orgId: 'acme',
      ts: NOW,
      kind: 'export',
      actor: 'a',
      data: {},
    });
    await h.store.putPolicy({
      orgId: 'acme',
      version: 1,
      document: '{}',
      requireAuditRecord: false,
      createdAt: NOW,
      createdBy: 'a',
    });
    const statements = [
      "UPDATE audit_events SET content = '{}'",
      'DELETE FROM audit_events',
      "UPDATE control_events SET kind = 'x'",
      'DELETE FROM control_events',
      'UPDATE policies SET version = 9',
      'DELETE FROM policies',
    ];
    for (const sql of statements) {
      if (h.store instanceof SqliteStore) {
        const store = h.store;
        assert.throws(() => store.raw.prepare(sql).run(), /append-only/, sql);
      } else {
        await assert.rejects((h.store as PostgresStore).pool.query(sql), /append-only/, sql);
      }
    }
    if (h.store instanceof PostgresStore)
      await assert.rejects(h.store.pool.query('TRUNCATE audit_events'), /append-only/);
    assert.equal((await h.store.listEvents('acme', {}, null, 10)).length, 2);
  });

  it('registers orgs, refuses an issuer that another org owns, and removes orgs', async () => {
    await h.store.putOrg(ORG);
    await h.store.putOrg({ ...ORG, name: 'Acme Corp' });
    assert.deepEqual(await h.store.listOrgs(), [{ ...ORG, name: 'Acme Corp' }]);
    await assert.rejects(h.store.putOrg({ ...ORG, id: 'evil' }), StoreRuleError);
    assert.equal(await h.store.removeOrg('acme'), true);
    assert.equal(await h.store.removeOrg('acme'), false);
    await h.store.putOrg({ ...ORG, id: 'evil' });
    assert.deepEqual(
      (await h.store.listOrgs()).map((o) => o.id),
      ['evil'],
    );
  });

  it('stores policy versions in sequence; of two writers of one version exactly one wins', async () => {
    assert.equal(await h.store.latestPolicy('acme'), null);
    const p = {
      orgId: 'acme',
      version: 1,
      document: '{"a":1}',
      requireAuditRecord: true,
      createdAt: NOW,
      createdBy: 'a',
    };
    const results = await Promise.all([
      h.store.putPolicy(p),
      h.store.putPolicy({ ...p, document: '{"b":2}' }),
    ]);
    assert.deepEqual(results.sort(), [false, true]);
    assert.equal(await h.store.putPolicy({ ...p, version: 3 }), false);
    assert.equal((await h.store.latestPolicy('acme'))?.version, 1);
    assert.equal((await h.store.latestPolicy('acme'))?.requireAuditRecord, true);
  });

  it('appends and lists control events per org', async () => {
    await h.store.appendControlEvent({
      id: 'c1',
      orgId: 'acme',
      ts: NOW,
      kind: 'export',
      actor: 'a',
      data: { n: 1 },
    });
    await h.store.appendControlEvent({
      id: 'c2',
      orgId: 'globex',
      ts: NOW,
      kind: 'export',
      actor: 'b',
      data: {},
    });
    const rows = await h.store.listControlEvents('acme', 0, 10);
    assert.deepEqual(
      rows.map(({ pos: _p, ...r }) => r),
      [{ id: 'c1', orgId: 'acme', ts: NOW, kind: 'export', actor: 'a', data: { n: 1 } }],
    );
  });

  it('migrates idempotently, also when two instances start at once', async () => {
    const other =
      kind === 'sqlite' ? new SqliteStore(h.config.dataDir) : new PostgresStore(h.config.databaseUrl!, 2);
    const third =
      kind === 'sqlite' ? new SqliteStore(h.config.dataDir) : new PostgresStore(h.config.databaseUrl!, 2);
    try {
      await Promise.all([other.migrate(), third.migrate(), h.store.migrate()]);
      await other.ping();
    } finally {
      await other.close();
      await third.close();
    }
  });
}

describe('control plane store contract: SQLite', () => contract('sqlite'));
describePg('control plane store contract: PostgreSQL', () => contract('postgres'));
