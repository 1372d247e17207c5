import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AuditEventInput } from '../../../protocol/audit';
import { AlwaysAllowRevokeParams } from '../../../protocol/requests';
import { AlwaysAllowStore, listAlwaysAllow, revokeAlwaysAllow } from '../../../server/exec/alwaysAllow';

describe('always-allow store', () => {
  let dir: string;
  let store: AlwaysAllowStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-allow-'));
    store = new AlwaysAllowStore(path.join(dir, 'state', 'always-allow.json'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps an exact command per workspace until it expires', () => {
    const now = 1_000_000;
    store.add({ workspace: '/ws/a', argv: ['npm', 'run', 'build'], by: 'dev' }, now);
    assert.deepEqual(
      store.list('/ws/a', now + 1).map((e) => e.argv),
      [['npm', 'run', 'build']],
    );
    assert.deepEqual(store.list('/ws/b', now + 1), [], 'another workspace does not inherit it');
    assert.deepEqual(store.list('/ws/a', now + 31 * 86_400_000), [], 'expired after 30 days');
  });

  it('refuses a bare program name', () => {
    assert.throws(() => store.add({ workspace: '/ws/a', argv: ['git'], by: 'dev' }), /bare program name/);
  });

  it('treats a damaged file as no entries (it never loosens anything)', () => {
    store.add({ workspace: '/ws/a', argv: ['make', 'test'], by: 'dev' });
    fs.writeFileSync(
      path.join(dir, 'state', 'always-allow.json'),
      '{"version":1,"entries":[{"workspace":"/ws/a"',
    );
    assert.deepEqual(store.list('/ws/a'), []);
  });

  it('lists live entries with stable ids, oldest first', () => {
    const now = 1_000_000;
    const a = store.add({ workspace: '/ws/a', argv: ['make', 'test'], by: 'dev' }, now);
    const b = store.add({ workspace: '/ws/a', argv: ['npm', 'run', 'build'], by: 'ana' }, now + 1);
    store.add({ workspace: '/ws/b', argv: ['make', 'test'], by: 'dev' }, now + 2);
    const listed = store.list('/ws/a', now + 3);
    assert.deepEqual(
      listed.map((e) => [e.id, e.argv, e.by]),
      [
        [a.id, ['make', 'test'], 'dev'],
        [b.id, ['npm', 'run', 'build'], 'ana'],
      ],
    );
    assert.match(a.id, /^[0-9a-f]{12}$/);
    assert.notEqual(a.id, b.id);
    assert.deepEqual(
      store.list('/ws/a', now + 3).map((e) => e.id),
      [a.id, b.id],
      'the same ids when read again',
    );
    const file = JSON.parse(fs.readFileSync(store.file, 'utf8')) as { entries: object[] };
    assert.ok(
      file.entries.every((e) => !('id' in e)),
      'the file keeps the format older versions read',
    );
  });

  it('revokes one entry, or all of a workspace, and only live entries of that workspace', async () => {
    const now = Date.now();
    const changes: string[] = [];
    store = new AlwaysAllowStore(store.file, { onChange: (ws, change) => changes.push(`${ws} ${change}`) });
    const a = store.add({ workspace: '/ws/a', argv: ['make', 'test'], by: 'dev' }, now);
    const b = store.add({ workspace: '/ws/a', argv: ['make', 'lint'], by: 'dev' }, now);
    const other = store.add({ workspace: '/ws/b', argv: ['make', 'test'], by: 'dev' }, now);

    assert.deepEqual(await store.revoke('/ws/b', [a.id]), [], 'an id of another workspace is not revoked');
    const gone = await store.revoke('/ws/a', [a.id]);
    assert.deepEqual(
      gone.map((e) => e.id),
      [a.id],
    );
    assert.deepEqual(
      store.list('/ws/a').map((e) => e.id),
      [b.id],
    );
    assert.deepEqual(await store.revoke('/ws/a', [a.id]), [], 'revoking twice revokes nothing');

    store.add({ workspace: '/ws/a', argv: ['make', 'docs'], by: 'dev' }, now);
    assert.equal((await store.revoke('/ws/a', 'all')).length, 2);
    assert.deepEqual(store.list('/ws/a'), []);
    assert.deepEqual(
      store.list('/ws/b').map((e) => e.id),
      [other.id],
      'other workspaces keep theirs',
    );
    assert.deepEqual(changes, [
      '/ws/a added',
      '/ws/a added',
      '/ws/b added',
      '/ws/a revoked',
      '/ws/a added',
      '/ws/a revoked',
    ]);
  });

  it('keeps the entries when the audit record of a revocation fails', async () => {
    const a = store.add({ workspace: '/ws/a', argv: ['make', 'test'], by: 'dev' });
    await assert.rejects(
      store.revoke('/ws/a', 'all', async () => {
        throw new Error('disk full');
      }),
      /disk full/,
    );
    assert.deepEqual(
      store.list('/ws/a').map((e) => e.id),
      [a.id],
    );
  });

  it('navi/alwaysAllowRevoke records each revocation before removing, and names ids it did not find', async () => {
    const a = store.add({ workspace: '/ws/a', argv: ['make', 'test'], by: 'dev' });
    const events: AuditEventInput[] = [];
    const audit = {
      appendAll: async (input: AuditEventInput[]) => {
        assert.equal(store.list('/ws/a').length, 1, 'recorded while the entry is still there');
        events.push(...input);
        return [];
      },
    };
    const result = await revokeAlwaysAllow(
      AlwaysAllowRevokeParams.parse({ workspaceRoot: '/ws/a', ids: [a.id, 'abcdefabcdef'], by: 'ana' }),
      { store, audit: audit as never },
    );
    assert.deepEqual(
      result.revoked.map((e) => [e.id, e.command]),
      [[a.id, 'make test']],
    );
    assert.deepEqual(result.notFound, ['abcdefabcdef']);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0], {
      type: 'alwaysAllow.revoked',
      actor: { kind: 'user', id: 'ana' },
      workspace: '/ws/a',
      data: {
        entryId: a.id,
        argv: ['make', 'test'],
        createdAt: new Date(a.createdAt).toISOString(),
        expiresAt: new Date(a.expiresAt).toISOString(),
      },
    });
    assert.deepEqual(listAlwaysAllow({ workspaceRoot: '/ws/a' }, store).entries, []);
  });

  it('keeps how people know a task’s command, for display only', () => {
    store.add({
      workspace: '/ws/a',
      argv: ['node', '--test-reporter=x', '--test'],
      by: 'dev',
      label: 'npm test → node --test',
    });
    const [info] = listAlwaysAllow({ workspaceRoot: '/ws/a' }, store).entries;
    assert.equal(info?.label, 'npm test → node --test');
    assert.equal(info?.command, 'node --test-reporter=x --test');
  });

  it('writes the file readable only by the user', () => {
    store.add({ workspace: '/ws/a', argv: ['make', 'test'], by: 'dev' });
    assert.equal(fs.statSync(path.join(dir, 'state', 'always-allow.json')).mode & 0o777, 0o600);
  });
});
