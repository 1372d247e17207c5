import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OrgPolicySync } from '../../../server/org/orgPolicy';
import { OrgSessionHolder, type OrgSession } from '../../../server/org/session';

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const BASE = { controlPlaneUrl: 'https://cp.example', org: 'acme', user: 'alice' };

describe('org session', () => {
  it('asks the client once for a token that is about to expire, shared by concurrent callers', async () => {
    let asked = 0;
    const now = 1_000_000;
    const holder = new OrgSessionHolder({
      log: silent,
      now: () => now,
      requestToken: async () => {
        asked++;
        return { accessToken: 'fresh', expiresAt: now + 3_600_000 };
      },
    });
    holder.set({ ...BASE, accessToken: 'old', expiresAt: now + 10_000 });
    const [a, b] = await Promise.all([holder.token(), holder.token()]);
    assert.deepEqual([a, b, asked], ['fresh', 'fresh', 1]);
    assert.equal(await holder.token(), 'fresh');
    assert.equal(asked, 1, 'a valid token is used as it is');
  });

  it('a refused token the client cannot replace stops the upload; signedOut ends the session', async () => {
    let answer: { accessToken: string } | { signedOut: true } = { accessToken: 'same' };
    const holder = new OrgSessionHolder({ log: silent, requestToken: async () => answer });
    holder.set({ ...BASE, accessToken: 'same' });
    assert.equal(await holder.token('rejected'), undefined);
    answer = { signedOut: true };
    assert.equal(await holder.token('rejected'), undefined);
    assert.equal(holder.current(), undefined);
  });
});

describe('org policy from the control plane', () => {
  function setup(reply: () => Response | Promise<Response>) {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-orgpolicy-'));
    let session: OrgSession | undefined = { ...BASE, accessToken: 't' };
    const applied: ({ source: string; text: string } | undefined)[] = [];
    const headers: Record<string, string>[] = [];
    const sync = new OrgPolicySync({
      loader: { setOrgPolicy: (p) => applied.push(p) },
      stateDir: () => stateDir,
      session: () => session,
      token: async () => 't',
      log: silent,
      fetch: (async (_url: string | URL | Request, init?: RequestInit) => {
        headers.push(init!.headers as Record<string, string>);
        return reply();
      }) as typeof fetch,
    });
    return { sync, applied, headers, signOut: () => (session = undefined), stateDir };
  }
  const body = (version: number, requireAuditRecord = false) =>
    new Response(
      JSON.stringify({
        version,
        etag: `"v${version}"`,
        policy: { version: 1, rules: [] },
        requireAuditRecord,
        updatedAt: null,
        updatedBy: null,
      }),
      { status: 200 },
    );

  it('applies the policy as the org layer, revalidates with its ETag, and drops it on sign-out', async () => {
    let down = false;
    const t = setup(() => (down ? Promise.reject(new TypeError('fetch failed')) : body(3, true)));
    t.sync.sessionChanged();
    await t.sync.refresh();
    assert.equal(t.applied.at(-1)?.source, 'https://cp.example/api/policy');
    assert.equal(t.sync.requireAuditRecord(), true);
    assert.equal(t.headers.at(-1)!['if-none-match'], '"v3"');
    down = true;
    await t.sync.refresh();
    assert.equal(t.sync.requireAuditRecord(), true, 'kept while the control plane is unreachable');
    t.signOut();
    t.sync.sessionChanged();
    assert.equal(t.applied.at(-1), undefined);
    assert.equal(t.sync.requireAuditRecord(), false);
    t.sync.stop();
  });

  it('uses the cached policy when the control plane cannot be reached after a restart', async () => {
    const first = setup(() => body(5, true));
    first.sync.sessionChanged();
    await first.sync.refresh();
    first.sync.stop();
    const again = new OrgPolicySync({
      loader: { setOrgPolicy: () => undefined },
      stateDir: () => first.stateDir,
      session: () => ({ ...BASE, accessToken: 't' }),
      token: async () => 't',
      log: silent,
      fetch: (async () => Promise.reject(new TypeError('fetch failed'))) as typeof fetch,
    });
    again.sessionChanged();
    await again.wrap({ load: async () => ({}) as never }).load('/w', true);
    assert.equal(again.version(), 5);
    assert.equal(again.requireAuditRecord(), true);
    again.stop();
  });
});
