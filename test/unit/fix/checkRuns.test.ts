import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WorkspaceProfile } from '../../../protocol/testing';
import { checkerFor } from '../../../server/tasks/fix/checkers';
import { covers, planChecks } from '../../../server/tasks/fix/checkRuns';
import { inScope, type FixState } from '../../../server/tasks/fix/fixState';

describe('the fix task: which checks run, and each tool’s own fixer', () => {
  const fixOf = (argv: string[], files: string[]) => {
    const adapter = checkerFor(argv);
    assert.ok(adapter?.fixArgs, `a fixer for ${argv.join(' ')}`);
    return adapter.fixArgs(argv, files);
  };

  it('runs each tool’s fixer the way the check was launched, keeping the user’s config options', () => {
    assert.deepEqual(
      fixOf(['./node_modules/.bin/eslint', '-c', 'cfg.js', '--format', 'stylish', 'src'], ['src/a.js']),
      ['./node_modules/.bin/eslint', '--fix', '-c', 'cfg.js', './src/a.js'],
    );
    assert.deepEqual(fixOf(['npx', 'prettier', '--check', '--config=.p.json', '.'], ['a.ts']), [
      'npx',
      'prettier',
      '--write',
      '--config=.p.json',
      './a.ts',
    ]);
    assert.deepEqual(fixOf(['python3', '-m', 'black', '--check', '-l', '100', '.'], ['app/x.py']), [
      'python3',
      '-m',
      'black',
      '-q',
      '-l',
      '100',
      './app/x.py',
    ]);
    assert.deepEqual(fixOf(['ruff', 'check', '--select', 'F', '.'], ['a.py']), [
      'ruff',
      'check',
      '--fix',
      '--select',
      'F',
      './a.py',
    ]);
    assert.deepEqual(fixOf(['gofmt', '-l', '.'], ['cmd/main.go']), ['gofmt', '-w', './cmd/main.go']);
    assert.deepEqual(fixOf(['isort', '--check-only', '.'], ['a.py']), ['isort', '-q', './a.py']);
  });

  it('never lets a file name read as an option, and has no fixer where the tool has none it should run', () => {
    assert.deepEqual(fixOf(['gofmt', '-l', '.'], ['-w.go']), ['gofmt', '-w', './-w.go']);
    for (const argv of [['tsc', '--noEmit'], ['go', 'vet', './...'], ['flake8'], ['cargo', 'check']])
      assert.equal(checkerFor(argv)?.fixArgs, undefined, argv.join(' '));
  });

  describe('planChecks', () => {
    let root: string;
    beforeEach(() => {
      root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'navi-checks-')));
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    const profile = (commands: Record<string, string>): WorkspaceProfile => ({
      root,
      status: 'confirmed',
      projects: [
        {
          path: '.',
          ecosystem: 'node',
          commands: Object.fromEntries(
            Object.entries(commands).map(([k, c]) => [k, { command: c, source: 'user' }]),
          ),
        },
      ],
    });

    it('splits a lint script into its steps, in machine-readable form; a step it cannot read is a note', async () => {
      fs.writeFileSync(
        path.join(root, 'package.json'),
        JSON.stringify({ scripts: { lint: 'eslint src && prettier --check src && my-linter' } }),
      );
      const plan = await planChecks(profile({ lint: 'npm run lint' }));
      assert.deepEqual(
        plan.steps.map((s) => [s.adapter.id, s.command]),
        [
          ['eslint', 'eslint --format json src'],
          ['prettier', 'prettier --list-different src'],
        ],
      );
      assert.equal(plan.notes.length, 1);
      assert.match(plan.notes[0]!, /cannot read the output of `my-linter`/);
    });

    it('gives a TypeScript project without a typecheck its own local tsc, never one from elsewhere', async () => {
      fs.writeFileSync(path.join(root, 'tsconfig.json'), '{}');
      assert.deepEqual((await planChecks(profile({ test: 'node --test' }))).steps, []);
      fs.mkdirSync(path.join(root, 'node_modules', '.bin'), { recursive: true });
      fs.writeFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), '');
      const [step] = (await planChecks(profile({ test: 'node --test' }))).steps;
      assert.equal(step?.adapter.id, 'tsc');
      assert.equal(step?.command, './node_modules/.bin/tsc --pretty false --noEmit -p tsconfig.json');
      assert.match(step!.source, /inferred/);
    });

    it('re-runs a check only for files it reads', async () => {
      const plan = await planChecks(profile({ lint: 'eslint .', format: 'prettier --check .' }));
      const [prettier, eslint] = plan.steps;
      assert.ok(covers(eslint!, root, 'src/a.ts'));
      assert.ok(!covers(eslint!, root, 'README.md'));
      assert.ok(covers(prettier!, root, 'README.md'));
      assert.ok(!covers(prettier!, root, '../elsewhere/a.ts'));
    });
  });

  it('--files takes files and folders: a folder covers what is below it, and nothing else', () => {
    const state = { scope: new Set(['src/lib', 'README.md']) } as unknown as FixState;
    assert.ok(inScope(state, 'src/lib/a.ts'));
    assert.ok(inScope(state, 'src/lib/deep/b.ts'));
    assert.ok(inScope(state, 'README.md'));
    assert.ok(!inScope(state, 'src/library.ts'));
    assert.ok(!inScope(state, 'src/other.ts'));
    assert.ok(inScope({} as FixState, 'anything.ts'));
  });
});
