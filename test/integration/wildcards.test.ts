import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunOutcome } from '../../protocol/requests';
import { requireBuild, runCli, tempDir, writeFiles, type RunResult, requireSandbox } from './helpers';

// Judge what runs, run what was judged, as a user meets it: the real `navi` CLI, the real agent,
// real git and the bubblewrap sandbox, in repositories whose file names are hostile.

describe('navi run: wildcards run as the names NAVI judged', function () {
  let root: string;
  let ws: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    requireBuild();
    await requireSandbox(this);
  });

  beforeEach(() => {
    root = fs.realpathSync(tempDir('wildcards'));
    ws = path.join(root, 'ws');
    writeFiles(ws, { 'package.json': '{"name":"shop"}\n', 'src/index.js': 'module.exports = 1;\n' });
    execFileSync('git', ['init', '-q'], { cwd: ws });
    env = { XDG_STATE_HOME: path.join(root, 'state'), XDG_CONFIG_HOME: path.join(root, 'config') };
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const navi = (args: string[]): Promise<RunResult> => runCli(args, { cwd: ws, env });

  it('the issue: a file named -delete cannot turn `find . -*` into a delete, even with --yes', async () => {
    fs.writeFileSync(path.join(ws, '-delete'), '');
    const r = await navi(['run', '--yes', '--', 'find . -*']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /find -delete deletes every match/);
    assert.match(r.stderr, /-\* → -delete/, 'the message shows what the wildcard became');
    for (const kept of ['package.json', 'src/index.js', '.git/HEAD', '-delete'])
      assert.ok(fs.existsSync(path.join(ws, kept)), `${kept} is still there`);
  });

  it('passes exactly the judged names, hostile ones included, and records the text that ran', async () => {
    for (const name of ['-n', 'a b', "it's", 'x\ny', '*', '$(touch pwned)'])
      fs.writeFileSync(path.join(ws, 'src', name), '');
    const r = await navi(['run', '--json', '--', "printf '[%s]\\n' src/*"]);
    assert.equal(r.code, 0, r.stderr);
    const outcome = RunOutcome.parse(JSON.parse(r.stdout));
    assert.equal(outcome.result?.sandboxed, true);
    const names = ['$(touch pwned)', '*', '-n', 'a b', 'index.js', "it's", 'x\ny'].map((n) => `src/${n}`);
    assert.deepEqual(outcome.verdict.expansions, [{ pattern: 'src/*', names }]);
    assert.deepEqual(outcome.verdict.commands[0]!.argv.slice(2), names);
    assert.equal(r.stderr, names.map((n) => `[${n}]\n`).join(''), 'the output is the judged names, in order');
    assert.ok(!fs.existsSync(path.join(ws, 'pwned')), 'a name is never run as code');
    const audit = fs
      .readFileSync(path.join(root, 'state', 'navi', 'audit.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; data: { runs?: string } });
    const verdict = audit.find((e) => e.type === 'command.verdict');
    assert.equal(verdict?.data.runs, outcome.verdict.runs, 'the audit log records the text that ran');
    assert.ok(outcome.verdict.runs?.startsWith("printf '[%s]\\n' 'src/$(touch pwned)' 'src/*'"));
  });
});
