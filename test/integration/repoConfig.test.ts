import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Verdict } from '../../protocol/policy';
import { RunOutcome } from '../../protocol/requests';
import { CLI, requireBuild, runCli, tempDir, writeFiles, type RunResult, requireSandbox } from './helpers';

// A repository whose own .git/config makes git run a program (issue 10, part 3), through the real
// CLI, agent, runner and bubblewrap sandbox: `git status` with core.fsmonitor pointing at a script
// runs with NAVI's override (the script does not run, git status works), and `git diff` with
// diff.external asks and, when denied, runs nothing.

const q = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

describe('the repository’s own git configuration, through the real pipeline and sandbox', function () {
  let root: string;
  let ws: string;
  let env: NodeJS.ProcessEnv;
  let marker: string;

  before(async function () {
    requireBuild();
    await requireSandbox(this);
  });

  beforeEach(() => {
    root = fs.realpathSync(tempDir('repocfg'));
    ws = path.join(root, 'ws');
    marker = path.join(ws, 'marker.txt');
    writeFiles(ws, {
      'a.txt': 'one\n',
      // Leaves a marker (inside the workspace, which the sandbox lets commands write) when run.
      '.hooks/run.sh': `#!/bin/sh\necho "ran $0 $*" >> ${q(marker)}\nexit 0\n`,
    });
    fs.chmodSync(path.join(ws, '.hooks/run.sh'), 0o755);
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: ws,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: root,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_AUTHOR_NAME: 'Dev',
          GIT_AUTHOR_EMAIL: 'dev@example.com',
          GIT_COMMITTER_NAME: 'Dev',
          GIT_COMMITTER_EMAIL: 'dev@example.com',
        },
        stdio: 'ignore',
      });
    git('init', '-q');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'one');
    fs.writeFileSync(path.join(ws, 'a.txt'), 'two\n');
    git('config', 'core.fsmonitor', './.hooks/run.sh');
    git('config', 'diff.external', './.hooks/run.sh');
    env = { XDG_STATE_HOME: path.join(root, 'state'), XDG_CONFIG_HOME: path.join(root, 'config') };
  });

  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const navi = (args: string[]): Promise<RunResult> => runCli(args, { cwd: ws, env });

  async function checkJson(command: string): Promise<Verdict> {
    const r = await navi(['check', '--json', '--', command]);
    assert.equal(r.code, 0, r.stderr);
    return Verdict.parse(JSON.parse(r.stdout));
  }

  it('git status runs in the sandbox with core.fsmonitor turned off: exit 0, the right output, no marker', async () => {
    const v = await checkJson('git status --porcelain');
    assert.equal(v.verdict, 'allow', v.reasons.join(' | '));
    assert.deepEqual(v.configOverrides, [
      {
        key: 'core.fsmonitor',
        value: 'false',
        reason: 'NAVI turns off core.fsmonitor (set in .git/config) for this command',
      },
    ]);

    const r = await navi(['run', '--json', '--', 'git status --porcelain']);
    assert.equal(r.code, 0, r.stderr);
    const outcome = RunOutcome.parse(JSON.parse(r.stdout));
    assert.equal(outcome.ran, true);
    assert.equal(outcome.result?.sandboxed, true);
    assert.equal(outcome.result?.exitCode, 0);
    assert.match(r.stderr, /^ M a\.txt$/m, 'git status printed what it always prints');
    assert.ok(!fs.existsSync(marker), 'the fsmonitor program must not have run');
  });

  it('control: where NAVI cannot turn it off (env -i), it asks, and once approved the program does run', async () => {
    const command = 'env -i PATH=/usr/bin:/bin git status --porcelain';
    const v = await checkJson(command);
    assert.equal(v.verdict, 'ask');
    assert.ok(
      v.reasons.some((r) => r.includes('core.fsmonitor = ./.hooks/run.sh: git status would run it')),
      v.reasons.join(' | '),
    );
    const r = await navi(['run', '--yes', '--', command]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      fs.existsSync(marker),
      'the sandbox lets the script write its marker: the first test is meaningful',
    );
  });

  it('git diff with diff.external asks; denied (no terminal, or Enter on the prompt), nothing runs', async () => {
    const v = await checkJson('git diff');
    assert.equal(v.verdict, 'ask');
    assert.equal(v.risk, 'high');
    assert.ok(v.rules.some((r) => r.id === 'builtin:repo-config-exec'));
    assert.ok(v.reasons.includes('.git/config sets diff.external = ./.hooks/run.sh: git diff would run it'));

    const r = await navi(['run', '--', 'git diff']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no terminal/);
    assert.ok(!fs.existsSync(marker), 'a command that was not approved must not run');

    let hasScript = true;
    try {
      execFileSync('which', ['script'], { stdio: 'ignore' });
    } catch {
      hasScript = false;
    }
    if (!hasScript) return;
    const line = [process.execPath, CLI, 'run', '--', 'git diff'].map(q).join(' ');
    const child = spawn('script', ['-qec', line, '/dev/null'], {
      cwd: ws,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let answered = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (!answered && output.includes('deny [N]: ')) {
        answered = true;
        child.stdin.write('\n');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 1, output);
    assert.match(output, /diff\.external = \.\/\.hooks\/run\.sh: git diff would run it/);
    assert.ok(!fs.existsSync(marker), 'Enter denies: nothing runs');
  });
});
