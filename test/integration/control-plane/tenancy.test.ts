import assert from 'node:assert/strict';
import { session } from './events';
import { TestIssuer } from './issuer';
import {
  call,
  openTestStore,
  orgFor,
  startApp,
  startChild,
  tempDir,
  writeConfig,
  type RunningApp,
  type StoreHandle,
} from './helpers';

/** Org A can neither write into nor read or export org B's data, by any route, field or header. */
describe('control plane: tenancy', () => {
  let idpA: TestIssuer;
  let idpB: TestIssuer;
  let h: StoreHandle;
  let app: RunningApp;
  let aliceA: string;
  let auditorA: string;
  let adminA: string;
  let auditorB: string;
  let bobB: string;
  const eventsA = session({ commands: 3, start: Date.parse('2032-01-01T00:00:00.000Z') });
  const eventsB = session({ commands: 3, start: Date.parse('2032-01-01T00:00:00.000Z') });

  before(async () => {
    idpA = await TestIssuer.start();
    idpB = await TestIssuer.start();
    h = await openTestStore('sqlite');
    app = await startApp(h.store, { orgs: [orgFor('org-a', idpA), orgFor('org-b', idpB)] });
    aliceA = await idpA.token({ sub: 'alice' });
    auditorA = await idpA.token({ sub: 'audrey', roles: ['auditor'] });
    adminA = await idpA.token({ sub: 'root-a', roles: ['admin'] });
    auditorB = await idpB.token({ sub: 'boris', roles: ['auditor', 'admin'] });
    bobB = await idpB.token({ sub: 'bob' });
    assert.equal((await call(app.url, aliceA, 'POST', '/api/audit/events', { events: eventsA })).status, 200);
    assert.equal((await call(app.url, bobB, 'POST', '/api/audit/events', { events: eventsB })).status, 200);
  });
  after(async () => {
    await app.close();
    await h.dispose();
    await idpA.stop();
    await idpB.stop();
  });

  const ids = (r: { body: { events: { event: { id: string } }[] } }) => r.body.events.map((e) => e.event.id);

  it("lists and exports only the caller's org", async () => {
    const a = await call(app.url, auditorA, 'GET', '/api/audit/events');
    assert.deepEqual(new Set(ids(a)), new Set(eventsA.map((e) => e.id)));
    const b = await call(app.url, auditorB, 'GET', '/api/audit/events');
    assert.deepEqual(new Set(ids(b)), new Set(eventsB.map((e) => e.id)));
    for (const format of ['json', 'ndjson', 'csv']) {
      const ex = await call(app.url, auditorB, 'GET', `/api/audit/export?format=${format}`);
      assert.equal(ex.status, 200);
      for (const e of eventsA) assert.ok(!ex.text.includes(e.id), `${format} export of B holds A's ${e.id}`);
      for (const e of eventsB) assert.ok(ex.text.includes(e.id));
    }
    const bySession = await call(
      app.url,
      auditorB,
      'GET',
      `/api/audit/events?session=${eventsA[0]!.sessionId}`,
    );
    assert.deepEqual(bySession.body.events, []);
    const control = await call(app.url, auditorB, 'GET', '/api/audit/control-events');
    assert.ok(control.body.events.every((e: { actor: string }) => e.actor === 'boris'));
  });

  it("treats another org's event id as unrelated (no conflict, no oracle, no overwrite)", async () => {
    const copy = await call(app.url, bobB, 'POST', '/api/audit/events', { events: eventsA });
    assert.equal(copy.status, 200);
    assert.deepEqual(
      copy.body.inserted,
      eventsA.map((e) => e.id),
    );
    const a = await call(app.url, auditorA, 'GET', '/api/audit/events');
    assert.ok(a.body.events.every((e: { uploader: string }) => e.uploader === 'alice'));
  });

  it("keeps org policies apart: A's admin writes only A's policy", async () => {
    const put = await call(app.url, adminA, 'PUT', '/api/policy', {
      policy: { version: 1, rules: [], network: 'deny' },
    });
    assert.equal(put.status, 200);
    const b = await call(app.url, bobB, 'GET', '/api/policy');
    assert.equal(b.body.version, 0);
    assert.equal(b.body.policy.network, undefined);
  });

  const identityQueries = [
    'org=org-b',
    'orgId=org-b',
    'org_id=org-b',
    'tenant=org-b',
    'user=bob',
    'userId=bob',
    'tenantId=x',
  ];
  for (const q of identityQueries) {
    it(`refuses the query parameter ${q} with 400 on every route`, async () => {
      for (const [method, route] of [
        ['GET', '/api/audit/events?'],
        ['GET', '/api/audit/export?format=csv&'],
        ['GET', '/api/policy?'],
        ['GET', '/api/me?'],
        ['GET', '/api/audit/control-events?'],
      ] as const) {
        const r = await call(app.url, auditorA, method, `${route}${q}`);
        assert.equal(r.status, 400, `${method} ${route}${q}`);
        assert.equal(r.body.error, 'identity_in_request');
      }
      const up = session({ commands: 1 });
      const r = await call(app.url, aliceA, 'POST', `/api/audit/events?${q}`, { events: up });
      assert.equal(r.status, 400);
      const stored = await call(app.url, auditorA, 'GET', `/api/audit/events?session=${up[0]!.sessionId}`);
      assert.deepEqual(stored.body.events, []);
    });
  }

  for (const header of [
    'X-Org-Id',
    'X-Org',
    'X-Tenant-Id',
    'X-User-Id',
    'X-Forwarded-User',
    'Remote-User',
    'X-Navi-Org',
  ]) {
    it(`refuses the header ${header} with 400 and stores nothing`, async () => {
      const up = session({ commands: 1 });
      const r = await call(
        app.url,
        aliceA,
        'POST',
        '/api/audit/events',
        { events: up },
        { [header]: 'org-b' },
      );
      assert.equal(r.status, 400);
      assert.equal(r.body.error, 'identity_in_request');
      const read = await call(app.url, auditorA, 'GET', '/api/audit/events', undefined, {
        [header]: 'org-b',
      });
      assert.equal(read.status, 400);
      const ex = await call(app.url, auditorA, 'GET', '/api/audit/export?format=ndjson', undefined, {
        [header]: 'org-b',
      });
      assert.equal(ex.status, 400);
      const stored = await call(app.url, auditorB, 'GET', `/api/audit/events?session=${up[0]!.sessionId}`);
      assert.deepEqual(stored.body.events, []);
      const storedA = await call(app.url, auditorA, 'GET', `/api/audit/events?session=${up[0]!.sessionId}`);
      assert.deepEqual(storedA.body.events, []);
    });
  }

  for (const field of ['org', 'orgId', 'org_id', 'tenant', 'user', 'userId']) {
    it(`refuses a body naming ${field} (batch or event) with 400 and stores nothing`, async () => {
      const up = session({ commands: 1 });
      const top = await call(app.url, aliceA, 'POST', '/api/audit/events', { events: up, [field]: 'org-b' });
      assert.equal(top.status, 400);
      assert.equal(top.body.error, 'identity_in_request');
      const inner = await call(app.url, aliceA, 'POST', '/api/audit/events', {
        events: [{ ...up[0]!, [field]: 'org-b' }, up[1]],
      });
      assert.equal(inner.status, 400);
      assert.equal(inner.body.error, 'identity_in_request');
      const policy = await call(app.url, adminA, 'PUT', '/api/policy', {
        policy: { version: 1, rules: [] },
        [field]: 'org-b',
      });
      assert.equal(policy.status, 400);
      for (const token of [auditorA, auditorB]) {
        const stored = await call(app.url, token, 'GET', `/api/audit/events?session=${up[0]!.sessionId}`);
        assert.deepEqual(stored.body.events, []);
      }
    });
  }

  it('ignores identity environment variables on the server (ORG_ID, DEV_USER_ID, …)', async () => {
    const dir = tempDir();
    const config = writeConfig(dir, {
      dataDir: dir,
      port: 0,
      orgs: [orgFor('org-a', idpA), orgFor('org-b', idpB)],
    });
    const server = await startChild(['--config', config], {
      ORG_ID: 'org-b',
      DEV_USER_ID: 'mallory',
      USER_ID: 'mallory',
      TENANT_ID: 'org-b',
      NAVI_ORG_ID: 'org-b',
      NAVI_USER: 'mallory',
      DEV_ORG_ID: 'org-b',
      AUTH_DISABLED: '1',
    });
    try {
      assert.equal((await call(server.url, undefined, 'GET', '/api/me')).status, 401);
      assert.equal((await call(server.url, undefined, 'GET', '/api/audit/events')).status, 401);
      const me = await call(server.url, aliceA, 'GET', '/api/me');
      assert.equal(me.body.org, 'org-a');
      assert.equal(me.body.sub, 'alice');
      const up = session({ commands: 1 });
      assert.equal((await call(server.url, aliceA, 'POST', '/api/audit/events', { events: up })).status, 200);
      const a = await call(server.url, auditorA, 'GET', '/api/audit/events');
      assert.deepEqual(
        ids(a),
        up.map((e) => e.id),
      );
      assert.ok(a.body.events.every((e: { uploader: string }) => e.uploader === 'alice'));
      const b = await call(server.url, auditorB, 'GET', '/api/audit/events');
      assert.deepEqual(b.body.events, []);
    } finally {
      await server.stop();
    }
  });
});
