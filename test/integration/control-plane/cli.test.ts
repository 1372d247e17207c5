import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { TestIssuer } from './issuer';
import { AUDIENCE, CLIENT, ROOT, call, startChild, tempDir, writeConfig } from './helpers';

/** The real `navi-control-plane` CLI (from sources): the org registry commands and `serve`. */
function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(ROOT, 'control-plane/main.ts'), ...args],
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: '' },
      encoding: 'utf8',
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('control plane: CLI', () => {
  let issuer: TestIssuer;
  before(async () => {
    issuer = await TestIssuer.start();
  });
  after(async () => {
    await issuer.stop();
  });

  it('adds, lists and removes orgs; serve accepts tokens of an org added while it runs', async () => {
    const dir = tempDir();
    const server = await startChild(['--data-dir', dir, '--port', '0']);
    try {
      const token = await issuer.token({ sub: 'alice' });
      assert.equal((await call(server.url, token, 'GET', '/api/me')).status, 401);
      const add = cli([
        'org',
        'add',
        'acme',
        '--issuer',
        issuer.url,
        '--audience',
        AUDIENCE,
        '--client-id',
        CLIENT,
        '--name',
        'Acme',
        '--data-dir',
        dir,
      ]);
      assert.equal(add.status, 0, add.stderr);
      const list = cli(['org', 'list', '--json', '--data-dir', dir]);
      assert.equal(list.status, 0, list.stderr);
      assert.deepEqual(
        JSON.parse(list.stdout).map((o: { id: string; source: string }) => [o.id, o.source]),
        [['acme', 'store']],
      );
      // The registry cache (registryCacheSeconds, 5 s by default) picks the new org up.
      let me = await call(server.url, token, 'GET', '/api/me');
      for (let i = 0; i < 40 && me.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 250));
        me = await call(server.url, token, 'GET', '/api/me');
      }
      assert.equal(me.status, 200);
      assert.equal(me.body.org, 'acme');
      const clash = cli([
        'org',
        'add',
        'other',
        '--issuer',
        issuer.url,
        '--audience',
        'a',
        '--client-id',
        'c',
        '--data-dir',
        dir,
      ]);
      assert.equal(clash.status, 1);
      assert.match(clash.stderr, /already registered for org acme/);
      const remove = cli(['org', 'remove', 'acme', '--data-dir', dir]);
      assert.equal(remove.status, 0, remove.stderr);
      assert.equal(cli(['org', 'remove', 'acme', '--data-dir', dir]).status, 1);
    } finally {
      await server.stop();
    }
    assert.equal(server.child.exitCode, 0, 'SIGTERM stops the server cleanly');
  });

  it('refuses bad usage and invalid config with exit codes 2 and 1', () => {
    assert.equal(cli([]).status, 2);
    assert.equal(cli(['frobnicate']).status, 2);
    assert.equal(
      cli(['org', 'add', 'Bad_Id', '--issuer', 'http://evil.example', '--audience', 'a', '--client-id', 'c'])
        .status,
      2,
    );
    const dir = tempDir();
    const bad = cli(['serve', '--config', writeConfig(dir, { port: 'eighty' })]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /invalid config .*port/);
    const unknown = cli(['serve', '--config', writeConfig(dir, { orgId: 'acme' })]);
    assert.equal(unknown.status, 1);
    assert.equal(cli(['--help']).status, 0);
  });
});
