import assert from 'node:assert/strict';
import { parse as parseCsv } from 'csv-parse/sync';
import { eventHash } from '../../../server/audit/canonical';
import { session, rehash } from './events';
import { TestIssuer } from './issuer';
import {
  call,
  describePg,
  openTestStore,
  orgFor,
  startApp,
  type RunningApp,
  type StoreHandle,
} from './helpers';

/** The HTTP API end to end (real HTTP, real issuer), on SQLite and on PostgreSQL. */
function api(kind: 'sqlite' | 'postgres') {
  let issuer: TestIssuer;
  let h: StoreHandle;
  let app: RunningApp;
  let member: string;
  let other: string;
  let auditor: string;
  let admin: string;
  const post = (token: string, events: unknown[]) =>
    call(app.url, token, 'POST', '/api/audit/events', { events });
  const get = (token: string, route: string, headers: Record<string, string> = {}) =>
    call(app.url, token, 'GET', route, undefined, headers);

  before(async () => {
    issuer = await TestIssuer.start();
    h = await openTestStore(kind);
    app = await startApp(h.store, {
      orgs: [orgFor('acme', issuer)],
      maxEventsPerBatch: 50,
      maxPageSize: 500,
    });
    member = await issuer.token({ sub: 'alice' });
    other = await issuer.token({ sub: 'bob' });
    auditor = await issuer.token({ sub: 'audrey', roles: ['auditor'] });
    admin = await issuer.token({ sub: 'root', roles: ['admin'] });
  });
  after(async () => {
    await app.close();
    await h.dispose();
    await issuer.stop();
  });

  describe('upload', () => {
    it('stores a batch, then reports a retry as duplicates', async () => {
      const s = session({ commands: 4 });
      const first = await post(member, s.slice(0, 3));
      assert.equal(first.status, 200, first.text);
      assert.deepEqual(first.body, {
        inserted: s.slice(0, 3).map((e) => e.id),
        duplicates: [],
        chain: { breaks: [], gaps: [] },
      });
      const again = await post(member, s);
      assert.deepEqual(
        again.body.inserted,
        s.slice(3).map((e) => e.id),
      );
      assert.deepEqual(
        again.body.duplicates,
        s.slice(0, 3).map((e) => e.id),
      );
    });

    it('answers 409 for an id with other content, stores nothing of the batch and records the conflict', async () => {
      const s = session({ commands: 2 });
      await post(member, [s[0]]);
      const changed = rehash({ ...s[0]!, actor: { kind: 'user' as const, id: 'someone-else' } });
      const r = await post(member, [s[1], changed, s[2]]);
      assert.equal(r.status, 409);
      assert.deepEqual(r.body.conflicts, [{ id: s[0]!.id, reason: 'content', existingId: s[0]!.id }]);
      const listed = await get(auditor, `/api/audit/events?session=${s[0]!.sessionId}`);
      assert.equal(listed.body.events.length, 1);
      const control = await get(auditor, '/api/audit/control-events');
      const conflict = control.body.events.find((e: { kind: string }) => e.kind === 'conflict');
      assert.equal(conflict.actor, 'alice');
      assert.equal(conflict.data.conflicts[0].id, s[0]!.id);
      assert.equal(conflict.data.conflicts[0].hash, changed.hash);
    });

    it('rejects a wrong hash, an invalid event, an empty or oversized batch, storing nothing', async () => {
      const s = session({ commands: 1 });
      const bad = await post(member, [s[0], { ...s[1]!, hash: 'a'.repeat(64) }]);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, 'hash_mismatch');
      assert.equal(bad.body.id, s[1]!.id);
      const edited = await post(member, [
        { ...s[1]!, data: { ...(s[1]!.data as object), command: 'rm -rf /' } },
      ]);
      assert.equal(edited.body.error, 'hash_mismatch');
      const invalid = await post(member, [{ ...s[0]!, type: 'made.up' }]);
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.error, 'invalid_event');
      const extra = await post(member, [rehash({ ...s[0]!, note: 'x' } as never)]);
      assert.equal(extra.body.error, 'invalid_event');
      assert.equal((await post(member, [])).body.error, 'empty_batch');
      const big = session({ commands: 60 });
      const tooMany = await post(member, big);
      assert.equal(tooMany.status, 413);
      assert.equal(
        (await get(auditor, `/api/audit/events?session=${s[0]!.sessionId}`)).body.events.length,
        0,
      );
      assert.equal(
        (await get(auditor, `/api/audit/events?session=${big[0]!.sessionId}`)).body.events.length,
        0,
      );
      const notJson = await fetch(`${app.url}/api/audit/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${member}`, 'content-type': 'application/json' },
        body: '{"events": [',
      });
      assert.equal(notJson.status, 400);
    });

    it('reports gaps and breaks of the session chain, and they heal as missing events arrive', async () => {
      const s = session({ commands: 5 });
      const r1 = await post(member, [s[0], s[1], s[4], s[5]]);
      assert.deepEqual(r1.body.chain.gaps, [{ sessionId: s[0]!.sessionId, missing: [[2, 3]] }]);
      const r2 = await post(member, [s[3], s[2]]);
      assert.deepEqual(r2.body.chain, { breaks: [], gaps: [] });
      const t = session({ commands: 2 });
      const forged = rehash({ ...t[2]!, prevHash: 'b'.repeat(64) });
      const r3 = await post(member, [t[0], t[1], forged]);
      assert.equal(r3.status, 200);
      assert.deepEqual(r3.body.chain.breaks, [
        { sessionId: t[0]!.sessionId, seq: 2, id: forged.id, prevHash: 'b'.repeat(64), expected: t[1]!.hash },
      ]);
      const control = await get(auditor, '/api/audit/control-events?limit=500');
      assert.ok(control.body.events.some((e: { kind: string }) => e.kind === 'chain.broken'));
    });
  });

  describe('listing', () => {
    it('shows members their own events and auditors the org, with cursor paging', async () => {
      const mine = session({ commands: 9, start: Date.parse('2030-01-01T00:00:00.000Z') });
      const bobs = session({ commands: 9, start: Date.parse('2030-01-01T00:00:00.005Z') });
      assert.equal((await post(member, mine)).status, 200);
      assert.equal((await post(other, bobs)).status, 200);
      const q = '/api/audit/events?from=2030-01-01T00:00:00.000Z&limit=7';
      const pages = async (token: string) => {
        const ids: string[] = [];
        let cursor = '';
        for (;;) {
          const r = await get(token, `${q}${cursor ? `&cursor=${cursor}` : ''}`);
          assert.equal(r.status, 200, r.text);
          ids.push(...r.body.events.map((e: { event: { id: string } }) => e.event.id));
          if (!r.body.nextCursor) return ids;
          cursor = r.body.nextCursor;
        }
      };
      assert.deepEqual(
        await pages(member),
        mine.map((e) => e.id),
      );
      const all = await pages(auditor);
      assert.equal(all.length, 20);
      assert.deepEqual(new Set(all), new Set([...mine, ...bobs].map((e) => e.id)));
      const first = await get(auditor, `${q}`);
      assert.equal(first.body.events[0].uploader, 'alice');
      assert.equal(eventHash(first.body.events[0].event), mine[0]!.hash);
    });

    it('refuses an unknown filter, a bad cursor and a page over the maximum', async () => {
      assert.equal((await get(auditor, '/api/audit/events?colour=red')).status, 400);
      assert.equal((await get(auditor, '/api/audit/events?cursor=bm9wZQ')).status, 400);
      assert.equal((await get(auditor, '/api/audit/events?limit=501')).status, 400);
      assert.equal((await get(auditor, '/api/audit/events?from=yesterday')).status, 400);
    });
  });

  describe('export', () => {
    let events: ReturnType<typeof session>;
    before(async () => {
      events = session({
        commands: 6,
        start: Date.parse('2031-01-01T00:00:00.000Z'),
        command: (i) =>
          ['=HYPERLINK("http://evil.example","x")', '+1+1', '-2', '@SUM(A1)', '\tx', 'ok, "quoted"'][i]!,
      });
      assert.equal((await post(member, events)).status, 200);
    });
    const range = 'from=2031-01-01T00:00:00.000Z&to=2031-01-02T00:00:00.000Z';

    it('streams NDJSON whose lines are the uploaded events (re-hashable)', async () => {
      const r = await get(auditor, `/api/audit/export?format=ndjson&${range}`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /application\/x-ndjson/);
      const lines = r.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        lines.map((e) => e.id),
        events.map((e) => e.id),
      );
      for (const e of lines) assert.equal(eventHash(e), e.hash);
    });

    it('streams JSON as one array', async () => {
      const r = await get(auditor, `/api/audit/export?format=json&${range}`);
      assert.deepEqual(
        JSON.parse(r.text).map((e: { id: string }) => e.id),
        events.map((e) => e.id),
      );
      const empty = await get(auditor, '/api/audit/export?format=json&from=2040-01-01T00:00:00.000Z');
      assert.deepEqual(JSON.parse(empty.text), []);
    });

    it('streams CSV that a standard parser reads and in which formulas are neutralised', async () => {
      const r = await get(auditor, `/api/audit/export?format=csv&${range}`);
      assert.match(r.headers.get('content-type') ?? '', /text\/csv/);
      const rows = parseCsv(r.text, { columns: true }) as Record<string, string>[];
      assert.equal(rows.length, events.length);
      assert.deepEqual(
        rows.map((x) => x.id),
        events.map((e) => e.id),
      );
      assert.equal(rows[0]!.uploader, 'alice');
      const summaries = rows.slice(1).map((x) => x.summary);
      assert.equal(summaries[0], 'user proposed: =HYPERLINK("http://evil.example","x")');
      const cells = rows.slice(1).flatMap((x) => Object.values(x));
      for (const cell of cells) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `cell ${cell} would be a formula`);
      assert.ok(cells.some((c) => c.startsWith(`'{"commandId"`) === false && c.includes('=HYPERLINK')));
    });

    it('is refused to members and recorded for auditors', async () => {
      assert.equal((await get(member, '/api/audit/export?format=csv')).status, 403);
      assert.equal((await get(auditor, '/api/audit/export?format=xml')).status, 400);
      const control = await get(auditor, '/api/audit/control-events?limit=500');
      const exports = control.body.events.filter((e: { kind: string }) => e.kind === 'export');
      assert.ok(exports.length >= 3);
      assert.equal(exports[0].actor, 'audrey');
      const completed = control.body.events.filter((e: { kind: string }) => e.kind === 'export.completed');
      assert.ok(completed.some((e: { data: { events: number } }) => e.data.events === events.length));
      assert.equal((await get(member, '/api/audit/control-events')).status, 403);
    });
  });

  describe('policy', () => {
    const policy = {
      version: 1,
      rules: [
        {
          id: 'org:no-force-push',
          justification: 'Force pushes rewrite shared history.',
          effect: 'deny',
          match: { prefix: ['git', 'push', '--force'] },
          examples: { match: ['git push --force origin main'], notMatch: ['git push origin main'] },
        },
      ],
    };

    it('serves the empty default, versioned, to every member', async () => {
      const r = await get(member, '/api/policy');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.policy, { version: 1, rules: [] });
      assert.equal(r.body.version, 0);
      assert.equal(r.body.requireAuditRecord, false);
      assert.equal(r.headers.get('etag'), '"v0"');
    });

    it('lets only admins store a valid policy, audits it, and versions it with ETags', async () => {
      const put = (token: string, body: unknown, headers: Record<string, string> = {}) =>
        call(app.url, token, 'PUT', '/api/policy', body, headers);
      assert.equal((await put(auditor, { policy })).status, 403);
      assert.equal((await put(admin, { policy: { version: 2, rules: [] } })).status, 400);
      const wrongExample = structuredClone(policy);
      wrongExample.rules[0]!.examples.notMatch = ['git push --force'];
      const ex = await put(admin, { policy: wrongExample });
      assert.equal(ex.status, 400);
      assert.match(ex.body.message, /example/i);
      const ok = await put(admin, { policy, requireAuditRecord: true }, { 'if-match': '"v0"' });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.version, 1);
      assert.equal(ok.headers.get('etag'), '"v1"');
      assert.equal((await put(admin, { policy }, { 'if-match': '"v0"' })).status, 412);
      const read = await get(member, '/api/policy');
      assert.deepEqual(read.body.policy, policy);
      assert.equal(read.body.requireAuditRecord, true);
      assert.equal(read.body.updatedBy, 'root');
      assert.equal((await get(member, '/api/policy', { 'if-none-match': '"v1"' })).status, 304);
      const control = await get(auditor, '/api/audit/control-events?limit=500');
      const changed = control.body.events.find((e: { kind: string }) => e.kind === 'policy.changed');
      assert.deepEqual(changed.data.ruleIds, ['org:no-force-push']);
      assert.equal(changed.actor, 'root');
    });
  });

  describe('operations', () => {
    it('serves health, readiness and Prometheus metrics without a token', async () => {
      assert.deepEqual((await call(app.url, undefined, 'GET', '/healthz')).body, { status: 'ok' });
      assert.deepEqual((await call(app.url, undefined, 'GET', '/readyz')).body, {
        status: 'ready',
        store: kind,
      });
      const m = await call(app.url, undefined, 'GET', '/metrics');
      assert.match(m.text, /navi_cp_events_ingested_total \d+/);
      assert.match(m.text, /navi_cp_events_duplicate_total [1-9]/);
      assert.match(m.text, /navi_cp_event_conflicts_total [1-9]/);
      assert.match(m.text, /navi_cp_http_request_duration_seconds_bucket\{.*route="\/api\/audit\/events"/);
    });

    it('describes every route in /openapi.json', async () => {
      const doc = (await call(app.url, undefined, 'GET', '/openapi.json')).body;
      const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
      );
      const routes = [
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'POST /api/audit/events',
        'GET /api/audit/events',
        'GET /api/audit/control-events',
        'GET /api/audit/export',
        'GET /api/policy',
        'PUT /api/policy',
        'GET /api/me',
      ];
      assert.deepEqual(new Set(documented), new Set(routes));
      assert.ok(doc.components.schemas.AuditEvent);
      assert.ok(doc.components.schemas.PolicyFile);
    });
  });
}

describe('control plane API: SQLite', () => api('sqlite'));
describePg('control plane API: PostgreSQL', () => api('postgres'));
