import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  buildTree,
  describeProgress,
  describeScope,
  describeTotals,
  diagnosticSpecs,
  failureLocation,
  filesToClear,
  leafIds,
  lineRange,
  selectionToRequest,
  summarizeRun,
} from '../../../extension/features/testModel';
import { TestRunResult, type TestCaseResult } from '../../../protocol/testing';
import { TestRunSummary } from '../../../protocol/webviewMessages';
import { edited } from '../../../webview-ui/views/profile';

const root = path.resolve('/work/app');
const file = (rel: string) => path.join(root, rel);

/** A test result with sensible defaults; `rel` is the test file relative to the root. */
function tc(name: string, over: Partial<TestCaseResult> & { rel?: string } = {}): TestCaseResult {
  const { rel = 'test/math.test.js', ...rest } = over;
  const suite = rest.suite ?? ['math'];
  return {
    id: `${rel}::${[...suite, name].join(' > ')}`,
    name,
    suite,
    file: file(rel),
    line: 10,
    status: 'passed',
    durationMs: 1,
    step: 0,
    ...rest,
  };
}

function run(tests: TestCaseResult[], over: Partial<TestRunResult> = {}): TestRunResult {
  const count = (s: TestCaseResult['status']) => tests.filter((t) => t.status === s).length;
  const totals = {
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    todo: count('todo'),
    durationMs: 120,
  };
  return TestRunResult.parse({
    runId: 'r1',
    project: root,
    status: totals.failed ? 'failed' : 'passed',
    totals,
    steps: [
      {
        command: 'node --test --test-reporter=junit',
        original: 'node --test',
        cwd: root,
        kind: 'test',
        runner: 'node-test',
        parsedFrom: 'machine',
        ran: true,
        exitCode: totals.failed ? 1 : 0,
        durationMs: 120,
        timedOut: false,
        cancelled: false,
        totals,
        status: totals.failed ? 'failed' : 'passed',
        message: `${totals.passed} passed, ${totals.failed} failed`,
        tail: 'last lines',
      },
    ],
    tests,
    startedAt: '2025-01-01T00:00:00.000Z',
    ...over,
  });
}

const failing = (over: Partial<TestCaseResult> & { rel?: string } = {}) =>
  tc('subtracts', {
    status: 'failed',
    line: 12,
    failure: {
      message: 'Expected values to be strictly equal:\n\n1 !== 2\n',
      expected: '2',
      actual: '1',
      stack: [
        { file: file('src/math.js'), line: 4, column: 10, function: 'sub' },
        { file: file('test/math.test.js'), line: 14, column: 12, function: 'TestContext.<anonymous>' },
      ],
    },
    ...over,
  });

describe('test results → VS Code (extension/features/testModel)', () => {
  describe('failureLocation', () => {
    it('takes the innermost frame in the test file, not the first frame (which is in the code under test)', () => {
      assert.deepEqual(failureLocation(failing()), { file: file('test/math.test.js'), line: 14, column: 12 });
    });

    it("falls back to the test's line, then to the first workspace frame", () => {
      const noOwnFrame = failing();
      noOwnFrame.failure!.stack = [{ file: file('src/math.js'), line: 4 }];
      assert.deepEqual(failureLocation(noOwnFrame), { file: file('test/math.test.js'), line: 12 });
      const noFile = failing({ file: undefined, line: undefined });
      noFile.failure!.stack = [{ file: file('src/math.js'), line: 4 }];
      assert.deepEqual(failureLocation(noFile), { file: file('src/math.js'), line: 4 });
    });
  });

  describe('diagnosticSpecs', () => {
    it('gives one Error per failing test, in its test file at the failing line, with the other frames as related', () => {
      const specs = diagnosticSpecs(run([tc('adds'), failing(), tc('skips', { status: 'skipped' })]));
      assert.deepEqual([...specs.keys()], [file('test/math.test.js')]);
      const [spec, ...more] = specs.get(file('test/math.test.js'))!;
      assert.equal(more.length, 0);
      assert.equal(spec!.line, 14);
      assert.equal(spec!.column, 12);
      assert.match(spec!.message, /^Expected values to be strictly equal/);
      assert.equal(spec!.test, 'math › subtracts');
      assert.deepEqual(
        spec!.related.map((f) => `${path.basename(f.file)}:${f.line}`),
        ['math.js:4'],
        'the failure frame itself is not repeated as related information',
      );
    });

    it('says the test failed when the runner gave no message, and skips failures with no place', () => {
      const bare = tc('crashes', { status: 'failed', line: 3, failure: { message: '  ', stack: [] } });
      const nowhere = tc('lost', { status: 'failed', file: undefined, line: undefined });
      const specs = diagnosticSpecs(run([bare, nowhere]));
      assert.equal(specs.size, 1);
      assert.equal(specs.get(file('test/math.test.js'))![0]!.message, 'crashes failed.');
    });
  });

  describe('lineRange', () => {
    const text = "'use strict';\n\n  assert.equal(a, 2);   \n";
    it('covers the line from its first non-blank character to the end without trailing blanks', () => {
      assert.deepEqual(lineRange(text, 3), { line: 2, start: 2, end: 21 });
    });
    it('starts at the column when given (1-based)', () => {
      assert.deepEqual(lineRange(text, 3, 10), { line: 2, start: 9, end: 21 });
    });
    it('stays inside the text for a line past its end or an empty line', () => {
      assert.deepEqual(lineRange(text, 99), { line: 3, start: 0, end: 0 });
      assert.deepEqual(lineRange(text, 2, 5), { line: 1, start: 0, end: 0 });
      assert.deepEqual(lineRange('abc', 1, 50), { line: 0, start: 0, end: 3 });
    });
  });

  describe('filesToClear', () => {
    it('clears everything after a whole-suite run', () => {
      assert.equal(filesToClear(run([failing()]), {}), undefined);
    });
    it('clears the files asked for and the files reported after a partial run', () => {
      const cleared = filesToClear(run([tc('adds', { rel: 'test/other.test.js' })]), {
        files: ['test/math.test.js'],
      });
      assert.deepEqual(
        [...cleared!].sort(),
        [file('test/math.test.js'), file('test/other.test.js')].sort(),
        'a relative file is resolved against the project',
      );
    });
  });

  describe('buildTree and selections', () => {
    const tests = [
      tc('adds'),
      failing(),
      tc('nested', { suite: ['math', 'edge cases'], line: 30 }),
      tc('top level', { rel: 'test/util.test.js', suite: [] }),
      tc('fileless', { file: undefined, suite: [] }),
    ];
    const tree = buildTree(tests, root);

    it('groups tests by file, then by nested suites, in the runner’s order', () => {
      const shape = (n: (typeof tree)[number]): unknown =>
        n.children.length ? { [`${n.kind} ${n.label}`]: n.children.map(shape) } : `${n.kind} ${n.label}`;
      assert.deepEqual(tree.map(shape), [
        {
          'file test/math.test.js': [
            {
              'suite math': ['test adds', 'test subtracts', { 'suite edge cases': ['test nested'] }],
            },
          ],
        },
        { 'file test/util.test.js': ['test top level'] },
        { 'file (no file)': ['test fileless'] },
      ]);
    });

    it('keeps the result ids on test nodes (re-runs send them as testIds) and their lines', () => {
      const math = tree[0]!;
      const suite = math.children[0]!;
      assert.equal(suite.id, 'suite:test/math.test.js::math');
      assert.equal(suite.children[1]!.id, 'test/math.test.js::math > subtracts');
      assert.equal(suite.children[1]!.line, 12);
      assert.deepEqual(leafIds(math).length, 3);
    });

    it('turns a selection into files for file nodes and test ids for suites and tests', () => {
      const math = tree[0]!;
      const util = tree[1]!;
      assert.deepEqual(selectionToRequest([]), {});
      assert.deepEqual(selectionToRequest([util]), { files: [file('test/util.test.js')] });
      assert.deepEqual(selectionToRequest([math.children[0]!.children[2]!]), {
        testIds: ['test/math.test.js::math > edge cases > nested'],
      });
      assert.deepEqual(
        selectionToRequest([math, math.children[0]!.children[0]!]),
        { files: [file('test/math.test.js')] },
        'a test inside a selected file is covered by the file',
      );
      assert.equal(describeScope(selectionToRequest([util, math.children[0]!])), '1 file and 3 tests');
      assert.equal(describeScope({}), 'all tests');
    });

    it('shows every test the runner ran: a repeated title is its own item, marked #2', () => {
      // As the agent sends them (server/tasks/test/testIds.ts): the runner's 3 passed, 1 failed.
      const router = ['res', 'in router'];
      const base = 'test/res.format.js::res > in router > should Vary: Accept';
      const repeated = [
        tc('should Vary: Accept', { rel: 'test/res.format.js', suite: router }),
        tc('should Vary: Accept', {
          rel: 'test/res.format.js',
          suite: router,
          id: `${base}::#2`,
          occurrence: 2,
        }),
        tc('should Vary: Accept', {
          rel: 'test/res.format.js',
          suite: router,
          id: `${base}::#3`,
          occurrence: 3,
          status: 'failed',
        }),
        tc('should Vary: Accept', { rel: 'test/other.js', suite: router }),
      ];
      const result = run(repeated);
      const trees = buildTree(result.tests, root);
      const leaves = trees.flatMap(leafIds);
      assert.equal(leaves.length, 4, 'one item per test the runner counted');
      assert.equal(leaves.length, result.totals.passed + result.totals.failed);
      assert.deepEqual(leaves.slice(0, 3), [base, `${base}::#2`, `${base}::#3`]);
      const inRouter = trees[0]!.children[0]!.children[0]!;
      assert.deepEqual(
        inRouter.children.map((n) => [n.label, n.description]),
        [
          ['should Vary: Accept', undefined],
          ['should Vary: Accept', '#2'],
          ['should Vary: Accept', '#3'],
        ],
      );
      // The panel and the status bar say the same counts, and which of the tests failed.
      const summary = summarizeRun(result, root);
      assert.deepEqual(summary.totals, result.totals);
      assert.deepEqual(
        summary.failures.map((f) => [f.id, f.name]),
        [[`${base}::#3`, 'should Vary: Accept #3']],
      );
      assert.equal(describeTotals(result.totals), '3 passed, 1 failed in 120 ms');
    });
  });

  describe('describeProgress (the status bar while tests run)', () => {
    it('shows the tests’ own time, and no clock while the step waits for an approval', () => {
      const p = { step: 0, steps: 1, elapsedMs: 0 };
      assert.equal(describeProgress({ ...p, phase: 'approval' }), 'waiting for approval');
      assert.equal(
        describeProgress({ ...p, steps: 2, step: 1, phase: 'approval' }),
        'step 2/2, waiting for approval',
      );
      assert.equal(describeProgress({ ...p, phase: 'starting' }), 'starting');
      assert.equal(describeProgress({ ...p, phase: 'running', elapsedMs: 4100 }), '4.1 s');
      assert.equal(describeProgress({ ...p, elapsedMs: 250, done: 3 }), '250 ms, 3 tests done');
    });
  });

  describe('summarizeRun', () => {
    it('gives the panel totals, steps, failures at their place (relative paths) and the five slowest', () => {
      const tests = [
        failing({ durationMs: 3 }),
        ...Array.from({ length: 7 }, (_, i) => tc(`t${i}`, { durationMs: i * 10 })),
      ];
      const summary = TestRunSummary.parse(summarizeRun(run(tests), root));
      assert.equal(summary.status, 'failed');
      assert.deepEqual(summary.totals, { passed: 7, failed: 1, skipped: 0, todo: 0, durationMs: 120 });
      assert.equal(summary.steps[0]!.command, 'node --test', 'the command as the profile has it');
      assert.equal(summary.steps[0]!.tail, 'last lines', 'a failed step keeps its last lines');
      assert.deepEqual(
        summary.failures.map((f) => [f.name, f.file, f.line, f.expected, f.actual]),
        [['subtracts', 'test/math.test.js', 14, '2', '1']],
      );
      assert.equal(summary.failuresTotal, 1);
      assert.deepEqual(
        summary.slowest.map((s) => [s.name, s.durationMs]),
        [
          ['math › t6', 60],
          ['math › t5', 50],
          ['math › t4', 40],
          ['math › t3', 30],
          ['math › t2', 20],
        ],
      );
    });

    it('bounds what it sends: at most 50 failures, long messages cut', () => {
      const tests = Array.from({ length: 80 }, (_, i) =>
        tc(`f${i}`, { status: 'failed', failure: { message: 'x'.repeat(10_000), stack: [] } }),
      );
      const summary = summarizeRun(run(tests), root);
      assert.equal(summary.failures.length, 50);
      assert.equal(summary.failuresTotal, 80);
      assert.ok(summary.failures[0]!.message.length <= 4096);
      assert.ok(JSON.stringify(summary).length < 300_000);
    });
  });
});

describe('the profile card’s edits (webview-ui/views/profile)', () => {
  it('keeps unchanged commands with their source, marks edits as the user’s, and drops emptied ones', () => {
    const profile = {
      root,
      status: 'proposed' as const,
      projects: [
        {
          path: '.',
          ecosystem: 'node',
          commands: {
            install: { command: 'npm ci', source: 'package-lock.json' },
            test: { command: 'npm test', source: 'package.json#scripts.test' },
            start: { command: 'npm start', source: 'package.json#scripts.start' },
          },
        },
      ],
    };
    const drafts = new Map([
      ['.\u0000test', '  node --test  '],
      ['.\u0000start', ''],
      ['.\u0000lint', 'eslint .'],
    ]);
    assert.deepEqual(edited(profile, { drafts })[0]!.commands, {
      install: { command: 'npm ci', source: 'package-lock.json' },
      lint: { command: 'eslint .', source: 'user' },
      test: { command: 'node --test', source: 'user' },
    });
  });
});
