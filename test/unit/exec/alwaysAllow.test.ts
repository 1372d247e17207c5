import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AlwaysAllowStore } from '../../../server/exec/alwaysAllow';

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

  it('writes the file readable only by the user', () => {
    store.add({ workspace: '/ws/a', argv: ['make', 'test'], by: 'dev' });
    assert.equal(fs.statSync(path.join(dir, 'state', 'always-allow.json')).mode & 0o777, 0o600);
  });
});
