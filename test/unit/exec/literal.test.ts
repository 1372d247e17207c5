import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initParser, literalCommand } from '../../../server/exec/parse';
import { runCommand } from '../../../server/exec/runner';
import { tempDir } from '../../fixtures/builders';

// A text that is exactly one literal simple command runs without `bash -c` around it; anything a
// shell would do something with still goes through bash, with the same result either way.

describe('exec: literal commands', () => {
  before(() => initParser());

  it('recognises one simple command with literal words only', () => {
    assert.deepEqual(literalCommand('git status'), ['git', 'status']);
    assert.deepEqual(literalCommand(`git log --format='%h %s' -n 3`), [
      'git',
      'log',
      '--format=%h %s',
      '-n',
      '3',
    ]);
    assert.deepEqual(literalCommand('true'), ['true']);
    for (const text of [
      'echo hi', // a builtin: bash's echo, not /bin/echo
      'cd src',
      'ls *.ts',
      'ls ~',
      'echo {a,b}',
      'ls $HOME',
      'ls "$HOME"',
      'git status > out.txt',
      'FOO=1 env',
      'timeout 5 ls',
      'ls | wc -l',
      'ls && pwd',
      'sleep 1 &',
      'bash -c ls',
      './script.sh',
      'ls `pwd`',
      'if true; then ls; fi',
    ])
      assert.equal(literalCommand(text), null, text);
  });

  describe('runs the same with and without bash', () => {
    let root: string;
    beforeEach(() => {
      root = tempDir('navi-literal-');
      fs.mkdirSync(path.join(root, 'ws'));
      fs.writeFileSync(path.join(root, 'ws', 'a b.txt'), 'spaced\n');
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
    const run = (command: string, argv?: string[]) =>
      runCommand(
        {
          command,
          ...(argv ? { argv } : {}),
          cwd: path.join(root, 'ws'),
          workspaceRoot: path.join(root, 'ws'),
          timeoutMs: 10_000,
          network: false,
          protectedPaths: [],
          hiddenPaths: [],
          sandbox: false,
          logDir: path.join(root, 'logs'),
        },
        { signal: new AbortController().signal },
      );

    it('output and exit code match for a direct argv and for bash', async () => {
      const text = `cat 'a b.txt'`;
      const argv = literalCommand(text)!;
      const [direct, viaBash] = [await run(text, argv), await run(text)];
      assert.equal(direct.exitCode, 0);
      assert.equal(direct.output.head, 'spaced\n');
      assert.equal(viaBash.output.head, direct.output.head);
      const missing = await run('cat nope.txt', literalCommand('cat nope.txt')!);
      assert.equal(missing.exitCode, (await run('cat nope.txt')).exitCode);
    });

    it('a program that is not on PATH still says "command not found" (through bash)', async () => {
      const result = await run('navi-no-such-program --x', literalCommand('navi-no-such-program --x')!);
      assert.equal(result.exitCode, 127);
      assert.match(result.output.head, /not found/);
    });
  });
});
