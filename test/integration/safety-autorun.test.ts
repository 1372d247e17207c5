import * as assert from 'node:assert/strict';
import { checkWorkspace, requireBuild } from './helpers';

// Files that something runs by itself (issue 13, part 1), through the real `navi check --json`:
// writing them is denied with the finer rule `builtin:write-protected:<rule>`, in the workspace
// and in the home folder, and an edit path with a control character is denied. Nothing runs, so
// no sandbox is needed; the build is the one `npm run build` made.

describe('navi check: files that run automatically are never written', function () {
  this.timeout(60_000);
  let fx: ReturnType<typeof checkWorkspace>;
  before(() => {
    requireBuild();
    fx = checkWorkspace(
      'autorun',
      { a: 'hello\n', 'package.json': '{"name":"app"}\n' },
      { '.bashrc': 'export PS1=x\n' },
    );
  });
  after(() => fx.dispose());
  const checkJson = (args: string[]) => fx.check(args);

  const cases: { args: string[]; rule: string; reason: string }[] = [
    {
      args: ['--', 'echo x >> .envrc'],
      rule: 'builtin:write-protected:folder-env',
      reason: 'writes .envrc: direnv runs it when a shell enters the folder',
    },
    {
      args: ['--', 'cp a ~/.bashrc'],
      rule: 'builtin:write-protected:shell-startup',
      reason: 'writes ~/.bashrc: bash runs it in every interactive shell',
    },
    {
      args: ['--', 'echo "npx lint-staged" | tee .husky/pre-commit'],
      rule: 'builtin:write-protected:git-hooks',
      reason: 'writes .husky/pre-commit: git runs the husky hooks in it on every commit',
    },
    {
      args: ['--edit', '.vscode/tasks.json'],
      rule: 'builtin:write-protected:editor',
      reason: '.vscode/tasks.json is protected: VS Code runs its tasks when the folder opens',
    },
  ];

  for (const c of cases) {
    it(`${c.args.join(' ')} is denied by ${c.rule}`, async () => {
      const v = await checkJson(c.args);
      assert.equal(v.verdict, 'deny', v.reasons.join(' | '));
      assert.equal(v.risk, 'high');
      assert.ok(
        v.rules.some((r) => r.id === c.rule && r.layer === 'builtin' && r.effect === 'deny'),
        v.rules.map((r) => r.id).join(', '),
      );
      assert.ok(
        v.reasons.some((r) => r.startsWith(c.reason)),
        v.reasons.join(' | '),
      );
    });
  }

  it('an edit path with a control character is denied (control-characters)', async () => {
    const v = await checkJson(['--edit', 'src/a\u0001b.ts']);
    assert.equal(v.verdict, 'deny');
    assert.deepEqual(
      v.rules.map((r) => r.id),
      ['builtin:control-characters'],
    );
  });

  it('control: reading them and writing an ordinary file are not refused', async () => {
    assert.equal((await checkJson(['--', 'cat .husky/pre-commit'])).verdict, 'allow');
    // Allowed with the sandbox; without it every write asks (no-sandbox), never a deny.
    assert.notEqual((await checkJson(['--', 'echo x >> notes.txt'])).verdict, 'deny');
  });
});
