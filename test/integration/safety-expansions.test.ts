import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunOutcome } from '../../protocol/requests';
import { checkWorkspace, requireBuild, runCli } from './helpers';

// Expansions that run code (issue 13, part 2), through the real `navi check --json` and
// `navi run`: a value bash evaluates as code is denied when NAVI sees the code or another
// command's output would run, and asks when NAVI cannot know the value. The control shows that
// the classic arithmetic case really runs a command in bash, and that NAVI does not run it.

describe('navi check: expansions that run code', function () {
  this.timeout(60_000);
  let fx: ReturnType<typeof checkWorkspace>;
  let ws: string;
  let marker: string;
  before(() => {
    requireBuild();
    fx = checkWorkspace('expansions', {
      'package.json': '{"name":"app"}\n',
      'count.txt': '3\n',
      'cmds.txt': 'touch ran\n',
      'run.sh': 'echo hi\n',
    });
    ws = fx.ws;
    marker = path.join(fx.root, 'ran');
  });
  after(() => fx.dispose());
  const checkJson = (command: string) => fx.check(['--', command]);

  /** The classic: quoted text that arithmetic evaluation turns into a command (MARKER: a file). */
  const CLASSIC = "x='a[$(touch MARKER)]'; echo $((x))";
  const withMarker = (command: string) => command.replace('MARKER', marker);

  const cases: { command: string; verdict: 'deny' | 'ask'; reason: string }[] = [
    { command: CLASSIC, verdict: 'deny', reason: "$((x)): x holds 'a[$(touch " },
    {
      command: 'echo "${PS1@P}"',
      verdict: 'deny',
      reason: '${PS1@P} expands a value as a prompt string, which runs the commands in it',
    },
    {
      command: 'echo $(( a[$(cat count.txt)] ))',
      verdict: 'deny',
      reason: '$(( a[$(cat count.txt)] )): an array subscript holds the output of $(cat count.txt)',
    },
    {
      command: 'bash <(cat run.sh)',
      verdict: 'deny',
      reason: 'bash runs <(cat run.sh): code produced by another command',
    },
    {
      command: 'tee >(sh) < cmds.txt',
      verdict: 'deny',
      reason: 'sh runs the code another command writes into >( )',
    },
    {
      command: 'read -r n < count.txt; echo $((n + 1))',
      verdict: 'ask',
      reason: '$((n + 1)) evaluates a value only known when it runs ($n comes from read)',
    },
  ];

  for (const c of cases) {
    it(`${c.command} → ${c.verdict} (builtin:dynamic-code)`, async () => {
      const v = await checkJson(withMarker(c.command));
      assert.equal(v.verdict, c.verdict, v.reasons.join(' | '));
      assert.equal(v.risk, 'high');
      assert.ok(
        v.rules.some(
          (r) => r.id === 'builtin:dynamic-code' && r.layer === 'builtin' && r.effect === c.verdict,
        ),
        v.rules.map((r) => `${r.id} ${r.effect}`).join(', '),
      );
      assert.ok(
        v.reasons.some((r) => r.startsWith(c.reason)),
        v.reasons.join(' | '),
      );
    });
  }

  it('numbers NAVI can see stay allowed', async () => {
    for (const command of [
      'for ((i = 0; i < 3; i++)); do echo $((i * 2)); done',
      'n=$(( $(wc -l < count.txt) + 1 ))',
      'diff <(ls) <(ls)',
    ])
      assert.equal((await checkJson(command)).verdict, 'allow', command);
  });

  it('control: bash runs the command hidden in the classic; navi run refuses it, even with --yes', async () => {
    execFileSync('bash', ['--noprofile', '--norc', '-c', withMarker(CLASSIC)], { cwd: ws, stdio: 'ignore' });
    assert.ok(fs.existsSync(marker), 'bash ran the touch in the subscript: the deny refuses real code');
    fs.rmSync(marker);

    const r = await runCli(['run', '--json', '--yes', '--', withMarker(CLASSIC)], { cwd: ws, env: fx.env });
    assert.notEqual(r.code, 0);
    const outcome = RunOutcome.parse(JSON.parse(r.stdout));
    assert.equal(outcome.ran, false);
    assert.equal(outcome.verdict.verdict, 'deny');
    assert.ok(!fs.existsSync(marker), 'nothing ran');
  });
});
