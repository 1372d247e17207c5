import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestTotals } from '../../protocol/testing';
import { TestCaseResult } from '../../protocol/testing';
import { cargoAdapter } from '../../server/tasks/test/runners/cargo';
import { expandReportGlobs } from '../../server/tasks/test/runners/common';
import { goTestAdapter, goTestHumanOutput } from '../../server/tasks/test/runners/goTest';
import { gradleAdapter } from '../../server/tasks/test/runners/gradle';
import { mavenAdapter } from '../../server/tasks/test/runners/maven';
import { pytestAdapter, pytestSummary } from '../../server/tasks/test/runners/pytest';
import type { ParsedTests, RunnerAdapter } from '../../server/tasks/test/runners/types';
import { tempDir } from '../fixtures/builders';
import {
  cargoFixture,
  goFixture,
  gradleFixture,
  mavenFixture,
  pytestFixture,
  type RunnerFixture,
} from '../fixtures/testRunners/other';

/**
 * The "Done when" bar for pytest, Go, Cargo, Maven and Gradle: a fixture repository per runner,
 * the adapter's instrumented argv run as a real child process, and the parse checked against the
 * runner's own printed summary, the fixture's known counts and each failure's file and line. A
 * missing tool skips its tests locally and fails them under CI (`process.env.CI`), which installs
 * the Debian packages listed in docs/notes/runner-packages.md.
 */

interface Run {
  parsed: ParsedTests;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  argv: string[];
}

function toolAvailable(argv: string[]): boolean {
  const probe = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
  return probe.status === 0;
}

/** Skips (locally) or fails (CI) when the tool is missing. */
function requireTool(ctx: Mocha.Context, name: string, probe: string[], packages: string): void {
  if (toolAvailable(probe)) return;
  const message = `${name} is not installed (${probe.join(' ')} failed): install the Debian packages ${packages}`;
  if (process.env.CI) throw new Error(`${message}. CI must have it.`);
  process.stderr.write(`      skipped: ${message}\n`);
  ctx.skip();
}

async function runInstrumented(adapter: RunnerAdapter, fx: RunnerFixture): Promise<Run> {
  assert.ok(adapter.matches(fx.argv), `${adapter.id} matches ${fx.argv.join(' ')}`);
  const reportDir = tempDir('navi-reports-');
  try {
    const instrumented = adapter.instrument(fx.argv, { reportDir, cwd: fx.root });
    const startedAtMs = Date.now();
    const child = spawn(instrumented.argv[0]!, instrumented.argv.slice(1), {
      cwd: fx.root,
      env: { ...process.env, ...fx.env, ...instrumented.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve(code));
    });
    const reports = new Map<string, string>();
    const files = [
      ...instrumented.reports.filter((f) => fs.existsSync(f)),
      ...expandReportGlobs(fx.root, instrumented.reportGlobs ?? [], startedAtMs),
    ];
    for (const file of files) reports.set(file, fs.readFileSync(file, 'utf8'));
    const parsed = adapter.parse({
      cwd: fx.root,
      workspaceRoot: fx.root,
      step: 0,
      reports,
      stdout,
      stderr,
      exitCode,
      startedAtMs,
    });
    for (const test of parsed.tests) TestCaseResult.parse(test);
    return { parsed, stdout, stderr, exitCode, argv: instrumented.argv };
  } finally {
    fs.rmSync(reportDir, { recursive: true, force: true });
  }
}

function counts(totals: TestTotals) {
  const { passed, failed, skipped, todo } = totals;
  return { passed, failed, skipped, todo };
}

/** The parse's failures checked against the fixture: name, file, line and expected/actual. */
function assertFailures(run: Run, fx: RunnerFixture): void {
  const failed = run.parsed.tests.filter((t) => t.status === 'failed');
  const detail = () => `${run.argv.join(' ')}\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`;
  assert.equal(
    failed.length,
    fx.failures.length,
    `failed tests: ${failed.map((t) => t.id).join(', ')}\n${detail()}`,
  );
  for (const want of fx.failures) {
    const got = failed.find((t) => t.name === want.name);
    assert.ok(got, `failure ${want.name} reported (got ${failed.map((t) => t.name).join(', ')})`);
    assert.equal(got.file, path.join(fx.root, want.file), `file of ${want.name}`);
    assert.equal(got.line, want.line, `line of ${want.name}`);
    assert.ok(got.failure?.message, `message of ${want.name}`);
    if (want.expected !== undefined)
      assert.equal(got.failure?.expected, want.expected, `expected of ${want.name}`);
    if (want.actual !== undefined) assert.equal(got.failure?.actual, want.actual, `actual of ${want.name}`);
  }
  for (const error of fx.errors)
    assert.ok(
      run.parsed.errors.some((e) => e.includes(error)),
      `errors mention "${error}": ${JSON.stringify(run.parsed.errors)}`,
    );
}

function sumMatches(text: string, re: RegExp, groups: number[]): number[] {
  const sums = groups.map(() => 0);
  for (const m of text.matchAll(re)) groups.forEach((g, i) => (sums[i]! += Number(m[g])));
  return sums;
}

describe('test runner adapters on real runners (pytest, Go, Cargo, Maven, Gradle)', function () {
  this.timeout(300_000);
  const fixtures: RunnerFixture[] = [];
  const make = <T extends RunnerFixture>(fx: T): T => (fixtures.push(fx), fx);
  after(() => fixtures.forEach((fx) => fx.cleanup()));

  describe('pytest', () => {
    beforeEach(function () {
      requireTool(this, 'pytest', ['python3', '-m', 'pytest', '--version'], 'python3-pytest');
    });

    it('reports pytest’s own counts, the failing lines, and the module that fails to import', async () => {
      const fx = make(pytestFixture());
      const run = await runInstrumented(pytestAdapter, fx);
      assert.equal(run.exitCode, 1);
      assert.equal(run.parsed.parsedFrom, 'machine');
      // pytest's summary line, in NAVI's counting (failed + errors, skipped + xfailed).
      const own = pytestSummary(run.stdout);
      assert.ok(own, `pytest printed a summary:\n${run.stdout.slice(-2000)}`);
      assert.match(run.stdout, /3 failed, 2 passed, 1 skipped, 1 xfailed, 2 errors/);
      assert.deepEqual(counts(run.parsed.totals), counts(own));
      assert.deepEqual(counts(run.parsed.totals), fx.totals);
      assertFailures(run, fx);
      const skipped = run.parsed.tests.filter((t) => t.status === 'skipped').map((t) => t.name);
      assert.deepEqual(skipped.sort(), ['test_known_bug', 'test_skipped']);
      const param = run.parsed.tests.find((t) => t.name === 'test_param[1]');
      assert.deepEqual(param?.suite, ['TestGroup']);
      assert.equal(param?.id, 'tests/test_calc.py::TestGroup > test_param[1]');
    });

    it('reports a run interrupted by a collection error as that one error', async () => {
      const fx = make(pytestFixture({ interrupted: true }));
      const run = await runInstrumented(pytestAdapter, fx);
      assert.equal(run.exitCode, 2);
      assert.match(run.stdout, /Interrupted: 1 error during collection/);
      assert.deepEqual(counts(run.parsed.totals), counts(pytestSummary(run.stdout)!));
      assert.deepEqual(counts(run.parsed.totals), fx.totals);
      assertFailures(run, fx);
    });

    it('runs only the given file and test names', async () => {
      const fx = make(pytestFixture());
      const reportDir = tempDir('navi-reports-');
      const instrumented = pytestAdapter.instrument(fx.argv, {
        reportDir,
        cwd: fx.root,
        files: [path.join(fx.root, 'tests/test_calc.py')],
        testNames: ['test_adds', 'TestGroup > test_param[2]'],
      });
      const child = spawnSync(instrumented.argv[0]!, instrumented.argv.slice(1), {
        cwd: fx.root,
        encoding: 'utf8',
      });
      fs.rmSync(reportDir, { recursive: true, force: true });
      assert.match(child.stdout, /1 failed, 1 passed in/, child.stdout);
    });
  });

  describe('go test', () => {
    beforeEach(function () {
      requireTool(this, 'Go', ['go', 'version'], 'golang-go');
    });

    it('reads test2json events: subtests, a panic, a package that does not compile', async () => {
      const fx = make(goFixture());
      const run = await runInstrumented(goTestAdapter, fx);
      assert.deepEqual(run.argv, ['go', 'test', '-json', './...']);
      assert.notEqual(run.exitCode, 0);
      assert.equal(run.parsed.parsedFrom, 'machine');
      // Go prints no totals: its own per-test lines (leaves only) and `[build failed]` lines are the reference.
      const human = goTestHumanOutput(run.stdout);
      const leaf = (status: string) =>
        [...human.matchAll(new RegExp(`--- ${status}: (\\S+)`, 'g'))]
          .map((m) => m[1]!)
          .filter((name, _, all) => !all.some((other) => other.startsWith(`${name}/`))).length;
      const buildFailed = (human.match(/\[build failed\]/g) ?? []).length;
      assert.equal(buildFailed, 1, human);
      assert.deepEqual(counts(run.parsed.totals), {
        passed: leaf('PASS'),
        failed: leaf('FAIL') + buildFailed,
        skipped: leaf('SKIP'),
        todo: 0,
      });
      assert.deepEqual(counts(run.parsed.totals), fx.totals);
      assertFailures(run, fx);
      const sub = run.parsed.tests.find((t) => t.name === 'two');
      assert.deepEqual(sub?.suite, ['TestTable']);
    });
  });

  describe('cargo test', () => {
    beforeEach(function () {
      requireTool(this, 'Cargo', ['cargo', '--version'], 'cargo');
    });

    it('reads libtest’s text: unit, integration and doc tests (labelled text)', async () => {
      const fx = make(cargoFixture());
      const run = await runInstrumented(cargoAdapter, fx);
      assert.equal(run.exitCode, 101);
      assert.equal(run.parsed.parsedFrom, 'text');
      const [passed, failed, ignored] = sumMatches(
        run.stdout,
        /^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored;/gm,
        [1, 2, 3],
      );
      assert.deepEqual(counts(run.parsed.totals), { passed, failed, skipped: ignored, todo: 0 });
      assert.deepEqual(counts(run.parsed.totals), fx.totals);
      assertFailures(run, fx);
      assert.deepEqual(run.parsed.errors, []);
    });

    it('reports code that does not compile as an error at its line', async () => {
      const fx = make(cargoFixture({ broken: true }));
      const run = await runInstrumented(cargoAdapter, fx);
      assert.equal(run.exitCode, 101);
      assert.equal(run.parsed.tests.length, 0);
      assert.deepEqual(counts(run.parsed.totals), fx.totals);
      assertFailures(run, fx);
    });
  });

  describe('Maven (Surefire JUnit XML)', () => {
    beforeEach(function () {
      requireTool(
        this,
        'Maven',
        ['mvn', '--version'],
        'maven libsurefire-java junit4 libmaven-compiler-plugin-java libmaven-resources-plugin-java',
      );
      requireTool(this, 'A JDK', ['javac', '-version'], 'default-jdk-headless');
      if (!fs.existsSync('/usr/share/maven-repo/org/apache/maven/surefire/surefire-junit4/2.22.3')) {
        const message =
          'Debian’s Surefire 2.22.3 is missing from /usr/share/maven-repo (package libsurefire-java)';
        if (process.env.CI) throw new Error(message);
        process.stderr.write(`      skipped: ${message}\n`);
        this.skip();
      }
    });

    it('reads only this run’s reports and matches Surefire’s own counts', async () => {
      const fx = make(mavenFixture());
      // A report left over from an earlier build: older than the step, so it must not count.
      const stale = path.join(fx.root, 'target/surefire-reports/TEST-demo.OldTest.xml');
      fs.mkdirSync(path.dirname(stale), { recursive: true });
      fs.writeFileSync(
        stale,
        '<testsuite name="demo.OldTest" tests="1"><testcase name="old" classname="demo.OldTest"/></testsuite>',
      );
      const past = new Date(Date.now() - 3_600_000);
      fs.utimesSync(stale, past, past);
      const run = await runInstrumented(mavenAdapter, fx);
      assert.deepEqual(run.argv, ['mvn', '-B', 'test']);
      assert.equal(run.exitCode, 1, run.stdout.slice(-3000));
      const summary = [
        ...run.stdout.matchAll(/Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)$/gm),
      ].pop();
      assert.ok(summary, run.stdout.slice(-3000));
      const [runCount, failures, errs, skipped] = summary.slice(1).map(Number) as [
        number,
        number,
        number,
        number,
      ];
      assert.deepEqual(counts(run.parsed.totals), {
        passed: runCount - failures - errs - skipped,
        failed: failures + errs,
        skipped,
        todo: 0,
      });
      assert.deepEqual(counts(run.parsed.totals), fx.totals);
      assert.ok(!run.parsed.tests.some((t) => t.name === 'old'), 'the stale report is ignored');
      assertFailures(run, fx);
    });

    it('reports a test class that does not compile', async () => {
      const fx = make(mavenFixture({ broken: true }));
      const run = await runInstrumented(mavenAdapter, fx);
      assert.equal(run.exitCode, 1);
      assert.match(run.stdout, /COMPILATION ERROR/);
      assert.equal(run.parsed.tests.length, 0);
      assertFailures(run, fx);
    });
  });

  describe('Gradle (JUnit XML)', () => {
    beforeEach(function () {
      requireTool(this, 'Gradle', ['gradle', '--version'], 'gradle junit4');
      requireTool(this, 'A JDK', ['javac', '-version'], 'default-jdk-headless');
      requireTool(this, 'JUnit 4', ['test', '-f', '/usr/share/java/junit4.jar'], 'junit4');
    });

    it('reruns the test task and matches Gradle’s own counts', async () => {
      const fx = make(gradleFixture());
      const run = await runInstrumented(gradleAdapter, fx);
      assert.deepEqual(run.argv, ['gradle', '--console=plain', '--offline', 'cleanTest', 'test']);
      assert.equal(run.exitCode, 1, run.stdout.slice(-3000) + run.stderr.slice(-3000));
      const own = /(\d+) tests completed, (\d+) failed(?:, (\d+) skipped)?/.exec(
        `${run.stdout}\n${run.stderr}`,
      );
      assert.ok(own, run.stdout.slice(-3000));
      const [total, failed, skipped] = [Number(own[1]), Number(own[2]), Number(own[3] ?? 0)];
      assert.deepEqual(counts(run.parsed.totals), {
        passed: total - failed - skipped,
        failed,
        skipped,
        todo: 0,
      });
      assert.deepEqual(counts(run.parsed.totals), fx.totals);
      assertFailures(run, fx);
    });

    it('reports a test class that does not compile', async () => {
      const fx = make(gradleFixture({ broken: true }));
      const run = await runInstrumented(gradleAdapter, fx);
      assert.equal(run.exitCode, 1);
      assert.equal(run.parsed.tests.length, 0);
      assertFailures(run, fx);
    });
  });
});
