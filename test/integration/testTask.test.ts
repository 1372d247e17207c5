import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestRunResult, WorkspaceProfile } from '../../protocol/testing';
import { requireBuild, runCli, tempDir, writeFiles } from './helpers';

/**
 * `navi test` and `navi profile` as a user runs them: the real CLI, the real agent, the real
 * pipeline (sandbox, audit log) and the real runners, on projects the test writes.
 */
describe('navi test (the test task end to end)', function () {
  this.timeout(180_000);
  let repo: string;
  let env: NodeJS.ProcessEnv;

  const json = async (args: string[]) => {
    const r = await runCli(['test', '--yes', '--json', ...args], { cwd: repo, env });
    const result = TestRunResult.parse(JSON.parse(r.stdout));
    return { ...r, result };
  };

  before(() => {
    requireBuild();
    repo = tempDir('testtask');
    const state = tempDir('testtask-state');
    env = { XDG_STATE_HOME: state, XDG_CONFIG_HOME: path.join(state, 'config') };
    writeFiles(repo, {
      'package.json': JSON.stringify({
        name: 'calc',
        scripts: { test: 'node --test test/ && node scripts/check.js' },
      }),
      'src/add.js': 'exports.add = (a, b) => a + b;\n',
      'src/mul.js':
        "const { add } = require('./add');\nexports.mul = (a, b) => { let s = 0; for (let i = 0; i < b; i++) s = add(s, a); return s; };\n",
      'src/other.js': 'exports.other = () => 42;\n',
      'test/add.test.js': [
        "const test = require('node:test');",
        "const assert = require('node:assert');",
        "const { add } = require('../src/add');",
        "test('adds', () => assert.strictEqual(add(1, 2), 3));",
        "test('adds wrongly', () => assert.strictEqual(add(2, 2), 5));",
        "test('later', { skip: true }, () => {});",
        '',
      ].join('\n'),
      'test/mul.test.js': [
        "const test = require('node:test');",
        "const assert = require('node:assert');",
        "const { mul } = require('../src/mul');",
        "test('multiplies', () => assert.strictEqual(mul(3, 4), 12));",
        '',
      ].join('\n'),
      'test/other.test.js': [
        "const test = require('node:test');",
        "const { other } = require('../src/other');",
        "test('other', () => { if (other() !== 42) throw new Error('no'); });",
        '',
      ].join('\n'),
      'scripts/check.js': "console.log('checked');\n",
    });
    execFileSync('git', ['init', '-q'], { cwd: repo });
    execFileSync('git', ['add', '.'], { cwd: repo });
  });

  after(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('reports each step, the totals node --test counts, and the failure at its file and line', async () => {
    const { code, result, stderr } = await json([]);
    assert.equal(code, 1, stderr);
    assert.equal(result.status, 'failed');
    assert.deepEqual(
      { passed: result.totals.passed, failed: result.totals.failed, skipped: result.totals.skipped },
      { passed: 3, failed: 1, skipped: 1 },
    );
    assert.equal(result.steps.length, 2);
    assert.equal(result.steps[0]!.runner, 'node-test');
    assert.equal(result.steps[0]!.parsedFrom, 'machine');
    assert.equal(result.steps[0]!.status, 'failed');
    // The script chains with &&: the check after a failing test step does not run, as in a shell.
    assert.equal(result.steps[1]!.status, 'skipped');
    const failure = result.tests.find((t) => t.status === 'failed');
    assert.equal(failure?.name, 'adds wrongly');
    assert.equal(failure?.file, path.join(fs.realpathSync(repo), 'test', 'add.test.js'));
    assert.equal(failure?.line, 5);
  });

  it('re-runs one file or one test by its id, and only test steps run for a selection', async () => {
    const first = await json([]);
    const target = first.result.tests.find((t) => t.name === 'multiplies')!;
    const byFile = await json(['--files', target.file!]);
    assert.equal(byFile.code, 0, byFile.stderr);
    assert.deepEqual(
      byFile.result.tests.map((t) => t.name),
      ['multiplies'],
    );
    assert.equal(byFile.result.steps[1]!.status, 'skipped');
    assert.match(byFile.result.steps[1]!.message, /only the selected tests/);
    const byId = await json(['--test', 'test/add.test.js::adds']);
    assert.deepEqual(
      byId.result.tests.filter((t) => t.status !== 'skipped').map((t) => t.id),
      ['test/add.test.js::adds'],
    );
  });

  it('runs the tests a change can affect, and says why', async () => {
    const { result } = await json(['--changed', path.join(repo, 'src', 'add.js')]);
    const real = fs.realpathSync(repo);
    const selected = result.affected?.selected.map((s) => path.relative(real, s.file)).sort();
    assert.deepEqual(selected, ['test/add.test.js', 'test/mul.test.js']);
    const chain = result.affected?.selected.find((s) => s.file.endsWith('mul.test.js'))?.because;
    assert.deepEqual(
      chain?.map((f) => path.relative(real, f)),
      ['test/mul.test.js', 'src/mul.js', 'src/add.js'],
    );
    assert.equal(result.affected?.totalTestFiles, 3);
    assert.ok(!result.tests.some((t) => t.name === 'other'), 'other.test.js does not import add.js');
    assert.equal(result.affected?.ranRest, false);
  });

  it('uses the confirmed profile (navi profile --set) and records the run in the audit log', async () => {
    const set = await runCli(['profile', '--set', 'test=node --test test/mul.test.js', '--json'], {
      cwd: repo,
      env,
    });
    assert.equal(set.code, 0, set.stderr);
    const profile = WorkspaceProfile.parse(JSON.parse(set.stdout));
    assert.equal(profile.status, 'confirmed');
    const { code, result } = await json([]);
    assert.equal(code, 0);
    assert.equal(result.status, 'passed');
    assert.deepEqual(
      result.tests.map((t) => t.name),
      ['multiplies'],
    );
    const log = fs
      .readFileSync(path.join(env.XDG_STATE_HOME!, 'navi', 'audit.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
    const finished = log.filter((e) => e.type === 'task.finished').at(-1)!;
    assert.equal(finished.data.status, 'passed');
    assert.deepEqual(finished.data.totals, { passed: 1, failed: 0, skipped: 0, todo: 0 });
    const ids = finished.data.commandIds as string[];
    assert.equal(ids.length, 1);
    assert.ok(log.some((e) => e.type === 'command.executed' && e.data.commandId === ids[0]));
  });

  it('says clearly when the project has no test command', async () => {
    const empty = tempDir('testtask-empty');
    fs.writeFileSync(path.join(empty, 'README.md'), '# nothing\n');
    const r = await runCli(['test', '--yes'], { cwd: empty, env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no test command/);
    assert.match(r.stderr, /navi profile/);
  });
});
