import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { jestAdapter } from '../../../server/tasks/test/runners/jest';
import { mochaAdapter } from '../../../server/tasks/test/runners/mocha';
import { nodeTestAdapter } from '../../../server/tasks/test/runners/nodeTest';
import type { InstrumentOptions, ParsedTests, RunnerAdapter } from '../../../server/tasks/test/runners/types';
import { vitestAdapter } from '../../../server/tasks/test/runners/vitest';
import { type Fixture, fixture, tempDir } from '../../fixtures/builders';

const REPO = path.resolve(__dirname, '../../..');
const adapters: RunnerAdapter[] = [nodeTestAdapter, mochaAdapter, jestAdapter, vitestAdapter];
const which = (argv: string[]) => adapters.filter((a) => a.matches(argv)).map((a) => a.id);

describe('JavaScript runner adapters: recognising the command', () => {
  const cases: [string, string[]][] = [
    ['mocha', ['mocha']],
    ['mocha', ['./node_modules/.bin/mocha', '--recursive']],
    ['mocha', ['npx', 'mocha']],
    ['mocha', ['npx', '--no-install', 'mocha', 'test/**/*.js']],
    ['mocha', ['node', 'node_modules/mocha/bin/mocha.js']],
    ['mocha', ['node', '--enable-source-maps', 'node_modules/mocha/bin/_mocha']],
    ['mocha', ['pnpm', 'exec', 'mocha']],
    ['jest', ['jest']],
    ['jest', ['npx', 'jest', '--ci']],
    ['jest', ['node', 'node_modules/jest/bin/jest.js']],
    ['jest', ['yarn', 'jest']],
    ['vitest', ['vitest']],
    ['vitest', ['vitest', 'run']],
    ['vitest', ['npx', 'vitest', 'run', '--coverage']],
    ['vitest', ['node', 'node_modules/vitest/vitest.mjs']],
    ['node-test', ['node', '--test']],
    ['node-test', ['node', '--test', 'test/a.test.js']],
    ['node-test', ['node', '--import', 'tsx', '--test']],
    ['node-test', ['node', '--experimental-strip-types', '--test', 'src/**/*.test.ts']],
    ['node-test', ['tsx', '--test']],
    ['node-test', ['npx', 'tsx', '--test']],
  ];
  for (const [id, argv] of cases) {
    it(`${argv.join(' ')} → ${id}`, () => assert.deepEqual(which(argv), [id]));
  }
  for (const argv of [
    ['node', 'server.js'],
    ['node', 'test.js', '--test'],
    ['npm', 'test'],
    ['tsc', '--noEmit'],
    ['vitest', 'bench'],
    ['mochawesome'],
    ['tsx', 'src/main.ts'],
  ]) {
    it(`${argv.join(' ')} → none`, () => assert.deepEqual(which(argv), []));
  }
});

describe('JavaScript runner adapters: instrumenting the command', () => {
  let reportDir: string;
  let opts: InstrumentOptions;
  beforeEach(() => {
    reportDir = tempDir('navi-reports-');
    opts = { reportDir, cwd: '/proj' };
  });
  afterEach(() => fs.rmSync(reportDir, { recursive: true, force: true }));
  const r = (name: string) => path.join(reportDir, name);

  it('node --test: spec on stdout plus NAVI’s reporter to a file, options right after node', () => {
    const out = nodeTestAdapter.instrument(['node', '--import', 'tsx', '--test', 'test/'], opts);
    assert.deepEqual(out.argv, [
      'node',
      `--test-reporter=${r('navi-node-test-reporter.mjs')}`,
      `--test-reporter-destination=${r('node-test.ndjson')}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--import',
      'tsx',
      '--test',
      'test/',
    ]);
    assert.deepEqual(out.reports, [r('node-test.ndjson')]);
    assert.match(
      fs.readFileSync(r('navi-node-test-reporter.mjs'), 'utf8'),
      /export default async function\*/,
    );
  });

  it('node --test: keeps the user’s reporter (pairing it with stdout), replaces file patterns, escapes names', () => {
    const out = nodeTestAdapter.instrument(['node', '--test', '--test-reporter=dot', 'test/**/*.js'], {
      ...opts,
      files: ['/proj/test/a (1).test.js'],
      testNames: ['math > adds (fast)', 'top'],
    });
    assert.deepEqual(out.argv.slice(3), [
      '--test-reporter-destination=stdout',
      '--test-name-pattern=^(?:math )?adds \\(fast\\)$',
      '--test-name-pattern=^top$',
      '--test',
      '--test-reporter=dot',
      'test/a (1).test.js',
    ]);
  });

  it('mocha: NAVI’s reporter wraps the user’s, watch mode dropped, filters added', () => {
    const out = mochaAdapter.instrument(
      ['npx', 'mocha', '-R', 'dot', '--watch', '--timeout', '5000', 'test/'],
      {
        ...opts,
        files: ['/proj/test/a.test.js'],
        testNames: ['math > adds.x'],
      },
    );
    const reporter = r('navi-mocha-reporter.cjs');
    assert.deepEqual(out.argv, [
      'npx',
      'mocha',
      '--reporter',
      reporter,
      '--timeout',
      '5000',
      'test/a.test.js',
      '--grep',
      '^(?:math adds\\.x)$',
    ]);
    const source = fs.readFileSync(reporter, 'utf8');
    assert.ok(source.includes(`const OUT = ${JSON.stringify(r('mocha.ndjson'))};`));
    assert.ok(source.includes('const INNER = "dot";'));
  });

  it('mocha: a second step in the same report folder gets its own files', () => {
    mochaAdapter.instrument(['mocha'], opts);
    const second = mochaAdapter.instrument(['mocha'], opts);
    assert.deepEqual(second.reports, [r('mocha-2.ndjson')]);
    assert.equal(second.argv[2], r('navi-mocha-reporter-2.cjs'));
  });

  it('jest: JSON to a file with locations; files by path; one anchored name pattern', () => {
    const out = jestAdapter.instrument(['jest', '--ci', '--json', 'src/'], {
      ...opts,
      files: ['/proj/src/a.test.ts'],
      testNames: ['a > b', 'c'],
    });
    assert.deepEqual(out.argv, [
      'jest',
      '--json',
      `--outputFile=${r('jest.json')}`,
      '--testLocationInResults',
      '--ci',
      '--runTestsByPath',
      'src/a.test.ts',
      '-t',
      '^(?:a b|c)$',
    ]);
  });

  it('jest: its transform cache goes to the kept cache folder, unless the command chooses its own', () => {
    const withCache = { ...opts, cacheDir: '/cache/ws' };
    assert.ok(jestAdapter.instrument(['jest'], withCache).argv.includes('--cacheDirectory=/cache/ws/jest'));
    for (const own of [
      ['--cacheDirectory', 'x'],
      ['--cacheDirectory=x'],
      ['--no-cache'],
      ['--cache=false'],
    ]) {
      const argv = jestAdapter.instrument(['jest', ...own], withCache).argv;
      assert.ok(!argv.some((a) => a.startsWith('--cacheDirectory=/cache')), own.join(' '));
      assert.ok(argv.includes(own[0]!), own.join(' '));
    }
  });

  it('vitest: watch mode becomes one run; default + json reporters; user reporters kept', () => {
    const json = `--outputFile.json=${r('vitest.json')}`;
    assert.deepEqual(vitestAdapter.instrument(['vitest'], opts).argv, [
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      json,
      '--includeTaskLocation',
    ]);
    const out = vitestAdapter.instrument(['npx', 'vitest', 'watch', '--reporter=verbose', 'src'], {
      ...opts,
      files: ['/proj/src/x.test.ts'],
    });
    assert.deepEqual(out.argv, [
      'npx',
      'vitest',
      'run',
      '--reporter=json',
      `--outputFile.json=${r('vitest-2.json')}`,
      '--includeTaskLocation',
      '--reporter=verbose',
      'src/x.test.ts',
    ]);
  });
});

describe('JavaScript runner adapters: damaged or missing reports', () => {
  const base = { cwd: '/proj', workspaceRoot: '/proj', step: 2, stdout: '', exitCode: 1 };
  const noReport = (a: RunnerAdapter) =>
    a.parse({
      ...base,
      reports: new Map(),
      stderr: 'Error: Cannot find module "./setup"\n    at x (/proj/a.js:1:1)',
    });

  for (const adapter of adapters) {
    it(`${adapter.id}: no report → no tests, an error that says why`, () => {
      const parsed = noReport(adapter);
      assert.deepEqual(parsed.tests, []);
      assert.equal(parsed.totals.failed, 0);
      assert.equal(parsed.errors.length, 1);
      assert.match(parsed.errors[0]!, /wrote no report \(exit code 1\).*Cannot find module/);
    });
  }

  for (const adapter of [jestAdapter, vitestAdapter]) {
    it(`${adapter.id}: malformed JSON → an error, never a throw`, () => {
      const parsed = adapter.parse({
        ...base,
        stderr: '',
        reports: new Map([['/r/x.json', '{"testResults": [']]),
      });
      assert.deepEqual(parsed.tests, []);
      assert.match(parsed.errors[0]!, /JSON report could not be read/);
    });
  }

  it('mocha: a report cut short keeps the tests read so far and says the run did not finish', () => {
    const lines = [
      JSON.stringify({ type: 'start', total: 3 }),
      JSON.stringify({ type: 'pass', title: 'a', titlePath: ['s', 'a'], file: '/proj/t.js', durationMs: 1 }),
      '{"type":"fail","title":"b","titl',
    ];
    const parsed = mochaAdapter.parse({
      ...base,
      stderr: '',
      reports: new Map([['/r/m.ndjson', lines.join('\n')]]),
    });
    assert.deepEqual(
      parsed.tests.map((t) => [t.id, t.status, t.step]),
      [['t.js::s > a', 'passed', 2]],
    );
    assert.equal(parsed.totals.passed, 1);
    assert.equal(parsed.errors.length, 2);
    assert.match(parsed.errors.join(' '), /could not be read/);
    assert.match(parsed.errors.join(' '), /stopped before the end of the run \(exit code 1\)/);
  });

  it('node --test: events without the summary still count, children without a parent too', () => {
    const lines = [
      { type: 'test:fail', name: 'alone', nesting: 0, file: '/proj/t.js', line: 9, error: { message: 'x' } },
      // The process ended before this test's parent reported.
      { type: 'test:pass', name: 'inner', nesting: 1, file: '/proj/t.js', line: 3, durationMs: 1 },
    ].map((e) => JSON.stringify(e));
    const parsed = nodeTestAdapter.parse({
      ...base,
      stderr: '',
      reports: new Map([['/r/n.ndjson', lines.join('\n')]]),
    });
    assert.deepEqual(
      parsed.tests.map((t) => [t.id, t.status, t.line]),
      [
        ['t.js::alone', 'failed', 9],
        ['t.js::inner', 'passed', 3],
      ],
    );
    assert.deepEqual(parsed.totals, { passed: 1, failed: 1, skipped: 0, todo: 0, durationMs: 1 });
    assert.match(parsed.errors[0]!, /stopped before printing its summary/);
  });
});

// Real runs of the cases the integration fixtures do not cover: quick mocha and node runs.
describe('JavaScript runner adapters: real runs of the awkward cases', function () {
  this.timeout(120_000);
  let fx: Fixture;
  let reportDir: string;
  beforeEach(() => {
    fx = fixture({}, { git: false });
    fx.symlink(path.join(REPO, 'node_modules'), 'node_modules');
    reportDir = tempDir('navi-reports-');
  });
  afterEach(() => {
    fx.cleanup();
    fs.rmSync(reportDir, { recursive: true, force: true });
  });

  function run(adapter: RunnerAdapter, argv: string[]): ParsedTests & { stdout: string } {
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
    return { ...parsed, stdout: child.stdout };
  }

  it('mocha: a test calling process.exit leaves the tests before it and an error', () => {
    fx.write(
      'test/a.test.js',
      "it('first', () => {});\nit('exits', () => process.exit(3));\nit('never', () => {});\n",
    );
    const out = run(mochaAdapter, ['mocha']);
    assert.deepEqual(
      out.tests.map((t) => [t.name, t.status]),
      [['first', 'passed']],
    );
    assert.match(out.errors.join(' '), /mocha stopped before the end of the run \(exit code 3\)/);
  });

  it('mocha: a test file that does not parse is an error naming the SyntaxError', () => {
    fx.write('test/a.test.js', "it('first', () => {});\n").write('test/b.test.js', 'const x = ;\n');
    const out = run(mochaAdapter, ['mocha']);
    assert.deepEqual(out.tests, []);
    assert.match(out.errors[0]!, /SyntaxError/);
  });

  it('mocha: an ESM project with the user’s reporter from .mocharc.json (dot) still gets results', () => {
    fx.write('package.json', JSON.stringify({ type: 'module' }))
      .write('.mocharc.json', JSON.stringify({ reporter: 'dot', spec: ['test/*.test.js'] }))
      .write(
        'test/a.test.js',
        "import assert from 'node:assert';\nit('ok', () => {});\nit('bad', () => {\n  assert.deepStrictEqual([1], [2]);\n});\n",
      );
    const out = run(mochaAdapter, ['mocha']);
    assert.doesNotMatch(out.stdout, /✔ ok/, 'dot, not spec');
    assert.match(out.stdout, /1 passing/);
    const bad = out.tests.find((t) => t.name === 'bad');
    assert.equal(bad?.line, 4);
    // As mocha prints them in its diff (its base reporter stringifies them).
    assert.equal(bad?.failure?.expected, '[\n  2\n]');
    assert.equal(bad?.failure?.actual, '[\n  1\n]');
    assert.deepEqual(out.errors, []);
  });

  it('node --test: a user’s own reporter still prints, subtests nest under their test, hooks cancel', () => {
    fx.write(
      'test/a.test.js',
      [
        "const { test, describe, before, it } = require('node:test');",
        "test('parent', async (t) => {",
        "  await t.test('child', () => {});",
        '});',
        "describe('hooked', () => {",
        "  before(() => { throw new Error('no setup'); });",
        "  it('cut off', () => {});",
        '});',
        '',
      ].join('\n'),
    );
    const out = run(nodeTestAdapter, ['node', '--test', '--test-reporter=tap']);
    assert.match(out.stdout, /^TAP version 13/m);
    const byId = new Map(out.tests.map((t) => [t.id, t]));
    assert.equal(byId.get('test/a.test.js::parent > child')?.status, 'passed');
    assert.equal(byId.get('test/a.test.js::parent')?.line, 2);
    assert.equal(byId.get('test/a.test.js::hooked > cut off')?.status, 'failed');
    // node counts a test cut off by a hook as `cancelled`: here it is failed.
    assert.equal(out.totals.failed, 1);
    assert.equal(out.totals.passed, 2);
    assert.match(out.errors.join(' '), /Suite "hooked" failed: no setup/);
  });
});
