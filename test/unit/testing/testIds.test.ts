import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestCaseResult } from '../../../protocol/testing';
import { testCase } from '../../../server/tasks/test/runners/jsCommon';
import { mochaAdapter } from '../../../server/tasks/test/runners/mocha';
import { nodeTestAdapter } from '../../../server/tasks/test/runners/nodeTest';
import type { RunnerAdapter } from '../../../server/tasks/test/runners/types';
import { distinctTestIds, testIdParts } from '../../../server/tasks/test/testIds';
import { type Fixture, fixture, tempDir } from '../../fixtures/builders';

const REPO = path.resolve(__dirname, '../../..');
const ROOT = '/work/app';

/** A result as an adapter makes it (its id from testCase), in the order the runner reported it. */
function tc(
  rel: string | undefined,
  suite: string[],
  name: string,
  status: TestCaseResult['status'] = 'passed',
) {
  return testCase(
    { ...(rel ? { file: path.join(ROOT, rel) } : {}), suite, name, status },
    { cwd: ROOT, workspaceRoot: ROOT, step: 0 },
  );
}

describe('test ids: every test the runner ran is its own item', () => {
  it('numbers repeated titles in one file in the order the runner reported them', () => {
    const router = ['res', '.format(obj)', 'in router'];
    const tests = distinctTestIds([
      tc('test/res.format.js', router, 'should default the Content-Type'),
      tc('test/res.format.js', router, 'should Vary: Accept'),
      tc('test/res.format.js', router, 'should default the Content-Type', 'failed'),
      tc('test/res.format.js', router, 'should Vary: Accept'),
      tc('test/res.format.js', router, 'should default the Content-Type'),
    ]);
    assert.deepEqual(
      tests.map((t) => [t.id, t.occurrence, t.status]),
      [
        [
          'test/res.format.js::res > .format(obj) > in router > should default the Content-Type',
          undefined,
          'passed',
        ],
        ['test/res.format.js::res > .format(obj) > in router > should Vary: Accept', undefined, 'passed'],
        [
          'test/res.format.js::res > .format(obj) > in router > should default the Content-Type::#2',
          2,
          'failed',
        ],
        ['test/res.format.js::res > .format(obj) > in router > should Vary: Accept::#2', 2, 'passed'],
        [
          'test/res.format.js::res > .format(obj) > in router > should default the Content-Type::#3',
          3,
          'passed',
        ],
      ],
    );
    // Names, suites and everything else stay as the runner reported them.
    assert.deepEqual(
      tests.map((t) => t.name),
      [
        'should default the Content-Type',
        'should Vary: Accept',
        'should default the Content-Type',
        'should Vary: Accept',
        'should default the Content-Type',
      ],
    );
  });

  it('leaves the same title in different files (and tests without a file) apart from each other', () => {
    const tests = distinctTestIds([
      tc('test/a.test.js', ['math'], 'adds'),
      tc('test/b.test.js', ['math'], 'adds'),
      tc(undefined, ['pkg'], 'TestAdds'),
      tc(undefined, ['other'], 'TestAdds'),
    ]);
    assert.deepEqual(
      tests.map((t) => t.id),
      [
        'test/a.test.js::math > adds',
        'test/b.test.js::math > adds',
        '::pkg > TestAdds',
        '::other > TestAdds',
      ],
    );
    assert.ok(tests.every((t) => t.occurrence === undefined));
  });

  it('parametrized tests: distinct parameters keep their ids, a fixed title is numbered', () => {
    const tests = distinctTestIds([
      // pytest and jest's test.each with %s: the runner puts the parameter in the name.
      tc('tests/test_calc.py', ['TestCalc'], 'test_add[1-2]'),
      tc('tests/test_calc.py', ['TestCalc'], 'test_add[2-3]'),
      tc('src/calc.test.ts', ['calc'], 'adds 1 + 2'),
      tc('src/calc.test.ts', ['calc'], 'adds 2 + 3'),
      // test.each without a placeholder in its title, `go test -count=2`: the same name each time.
      tc('src/calc.test.ts', ['calc'], 'adds'),
      tc('src/calc.test.ts', ['calc'], 'adds'),
      tc(undefined, ['example.com/calc'], 'TestAdd'),
      tc(undefined, ['example.com/calc'], 'TestAdd'),
    ]);
    assert.deepEqual(
      tests.map((t) => t.id),
      [
        'tests/test_calc.py::TestCalc > test_add[1-2]',
        'tests/test_calc.py::TestCalc > test_add[2-3]',
        'src/calc.test.ts::calc > adds 1 + 2',
        'src/calc.test.ts::calc > adds 2 + 3',
        'src/calc.test.ts::calc > adds',
        'src/calc.test.ts::calc > adds::#2',
        '::example.com/calc > TestAdd',
        '::example.com/calc > TestAdd::#2',
      ],
    );
  });

  it('gives the same ids on every run, and a run of one file the ids of the whole run', () => {
    const whole = () =>
      distinctTestIds([
        tc('test/a.test.js', [], 'works'),
        tc('test/b.test.js', [], 'works'),
        tc('test/a.test.js', [], 'works'),
        tc('test/b.test.js', [], 'other'),
        tc('test/b.test.js', [], 'works'),
      ]).map((t) => t.id);
    assert.deepEqual(whole(), whole());
    const onlyB = distinctTestIds([
      tc('test/b.test.js', [], 'works'),
      tc('test/b.test.js', [], 'other'),
      tc('test/b.test.js', [], 'works'),
    ]).map((t) => t.id);
    assert.deepEqual(
      onlyB,
      whole().filter((id) => id.startsWith('test/b.test.js')),
    );
  });

  it('never gives two tests one id, even when a title really ends like a numbered one', () => {
    const tests = distinctTestIds([
      tc('t.js', [], 'x'),
      tc('t.js', [], 'x::#2'),
      tc('t.js', [], 'x'),
      tc('t.js', [], 'x'),
    ]);
    const ids = tests.map((t) => t.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(ids, ['t.js::x', 't.js::x::#2', 't.js::x::#3', 't.js::x::#4']);
  });

  it('takes an id apart into the file and the full name a runner selects by', () => {
    assert.deepEqual(testIdParts('test/res.format.js::res > in router > should Vary: Accept::#2'), {
      file: 'test/res.format.js',
      fullName: 'res > in router > should Vary: Accept',
    });
    assert.deepEqual(testIdParts('test/a.js::fixes #2'), { file: 'test/a.js', fullName: 'fixes #2' });
    // cargo names have `::` of their own; a test without a file starts with `::`.
    assert.deepEqual(testIdParts('tests/api.rs::api::tests::adds'), {
      file: 'tests/api.rs',
      fullName: 'api::tests::adds',
    });
    assert.deepEqual(testIdParts('::pkg > TestAdd::#3'), { file: '', fullName: 'pkg > TestAdd' });
    assert.deepEqual(testIdParts('plain'), { file: '', fullName: 'plain' });
  });
});

describe('test ids: real runs with repeated titles count what the runner counts', function () {
  this.timeout(120_000);
  let fx: Fixture;
  let reportDir: string;
  beforeEach(() => {
    fx = fixture({}, { git: false });
    fx.symlink(path.join(REPO, 'node_modules'), 'node_modules');
    // mocha looks for its config up the tree: the fixture's own, empty.
    fx.write('.mocharc.json', '{}\n');
    reportDir = tempDir('navi-reports-');
  });
  afterEach(() => {
    fx.cleanup();
    fs.rmSync(reportDir, { recursive: true, force: true });
  });

  function run(adapter: RunnerAdapter, argv: string[]) {
    const inst = adapter.instrument(argv, { reportDir, cwd: fx.root });
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.NODE_OPTIONS;
    const child = spawnSync(inst.argv[0]!, inst.argv.slice(1), { cwd: fx.root, encoding: 'utf8', env });
    const reports = new Map<string, string>();
    for (const file of inst.reports)
      if (fs.existsSync(file)) reports.set(file, fs.readFileSync(file, 'utf8'));
    const parsed = adapter.parse({
      cwd: fx.root,
      workspaceRoot: fx.root,
      step: 0,
      reports,
      stdout: child.stdout,
      stderr: child.stderr,
      exitCode: child.status,
    });
    return { ...parsed, tests: distinctTestIds(parsed.tests), stdout: child.stdout };
  }

  const LOOP = [
    "const assert = require('node:assert');",
    "describe('in router', () => {",
    "  it('should Vary: Accept', () => {});",
    '});',
    "describe('in router', () => {",
    "  it('should Vary: Accept', () => {});",
    '});',
    'for (const n of [1, 2, 3])',
    "  it('parses a number', () => assert.strictEqual(n === 3 ? 0 : n, n));",
    '',
  ].join('\n');

  it('mocha: "N passing" is the number of distinct passed items', () => {
    fx.write('test/a.test.js', LOOP).write('test/b.test.js', "it('parses a number', () => {});\n");
    const out = run(mochaAdapter, ['mocha', 'test/']);
    const n = (word: string) => Number(new RegExp(`^\\s+(\\d+) ${word}`, 'm').exec(out.stdout)?.[1] ?? 0);
    assert.equal(n('passing'), 5);
    assert.equal(n('failing'), 1);
    const ids = out.tests.map((t) => t.id);
    assert.equal(new Set(ids).size, 6, ids.join('\n'));
    assert.equal(out.tests.filter((t) => t.status === 'passed').length, n('passing'));
    assert.equal(out.totals.passed, n('passing'));
    assert.deepEqual(
      out.tests.filter((t) => t.status === 'failed').map((t) => t.id),
      ['test/a.test.js::parses a number::#3'],
    );
    assert.ok(ids.includes('test/a.test.js::in router > should Vary: Accept::#2'));
    assert.ok(ids.includes('test/b.test.js::parses a number'));
  });

  it('node --test: "ℹ pass N" is the number of distinct passed items', () => {
    fx.write('test/a.test.js', `const { describe, it } = require('node:test');\n${LOOP}`);
    const out = run(nodeTestAdapter, ['node', '--test', 'test/']);
    const n = (name: string) => Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(out.stdout)?.[1] ?? NaN);
    assert.equal(n('pass'), 4);
    assert.equal(n('fail'), 1);
    const ids = out.tests.map((t) => t.id);
    assert.equal(new Set(ids).size, ids.length, ids.join('\n'));
    assert.equal(out.tests.filter((t) => t.status === 'passed').length, n('pass'));
    assert.equal(out.totals.passed, n('pass'));
  });
});
