import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestCaseResult } from '../../../protocol/testing';
import { cargoAdapter } from '../../../server/tasks/test/runners/cargo';
import { expandReportGlobs, globToRegExp } from '../../../server/tasks/test/runners/common';
import { goTestAdapter, goTestHumanOutput, runPattern } from '../../../server/tasks/test/runners/goTest';
import { gradleAdapter } from '../../../server/tasks/test/runners/gradle';
import { expectedActual, javaCompileErrors, moduleRootOf } from '../../../server/tasks/test/runners/junit';
import { mavenAdapter } from '../../../server/tasks/test/runners/maven';
import { pytestAdapter, pytestSummary } from '../../../server/tasks/test/runners/pytest';
import { textAdapter, textTotals } from '../../../server/tasks/test/runners/text';
import type { ParseInput, ParsedTests } from '../../../server/tasks/test/runners/types';
import { tempDir } from '../../fixtures/builders';

/**
 * Adapters for pytest, Go, Cargo, Maven, Gradle and the text fallback, on output captured from the
 * real tools (pytest 7.2 and 9, go 1.19, cargo 1.65 / rustc 1.63 and 1.95, Maven 3.8 + Surefire
 * 2.22, Gradle 4.4), trimmed to what matters. The integration suite runs the tools themselves.
 */

let root: string;
beforeEach(() => {
  root = tempDir('navi-runners-');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function write(rel: string, content: string): string {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
  return abs;
}

function input(overrides: Partial<ParseInput>): ParseInput {
  return {
    cwd: root,
    workspaceRoot: root,
    step: 2,
    reports: new Map(),
    stdout: '',
    stderr: '',
    exitCode: 1,
    ...overrides,
  };
}

function valid(parsed: ParsedTests): ParsedTests {
  for (const test of parsed.tests) TestCaseResult.parse(test);
  return parsed;
}

const counts = ({ passed, failed, skipped, todo }: ParsedTests['totals']) => ({
  passed,
  failed,
  skipped,
  todo,
});

describe('pytest adapter', () => {
  it('recognises the usual ways to start pytest', () => {
    for (const argv of [
      ['pytest'],
      ['py.test', '-q'],
      ['python', '-m', 'pytest'],
      ['python3', '-m', 'pytest', 'tests'],
      ['.venv/bin/pytest'],
      ['poetry', 'run', 'pytest'],
      ['uv', 'run', 'pytest', '-x'],
      ['python3.12', '-X', 'dev', '-m', 'pytest'],
    ])
      assert.ok(pytestAdapter.matches(argv), argv.join(' '));
    for (const argv of [
      ['python3', 'manage.py', 'test'],
      ['pytestx'],
      ['npm', 'test'],
      ['uv', 'pip', 'install', 'pytest'],
    ])
      assert.ok(!pytestAdapter.matches(argv), argv.join(' '));
  });

  it('adds --junitxml with the xunit1 family and replaces paths by the file filter', () => {
    write('tests/test_a.py', '');
    const reportDir = path.join(root, 'reports');
    const out = pytestAdapter.instrument(
      ['poetry', 'run', 'pytest', '-k', 'slow', 'tests', '--junitxml=old.xml'],
      {
        reportDir,
        cwd: root,
        files: [path.join(root, 'tests/test_a.py')],
      },
    );
    assert.deepEqual(out.argv, [
      'poetry',
      'run',
      'pytest',
      `--junitxml=${reportDir}/pytest.xml`,
      '-k',
      'slow',
      '-o',
      'junit_family=xunit1',
      'tests/test_a.py',
    ]);
    assert.deepEqual(out.reports, [`${reportDir}/pytest.xml`]);
    const named = pytestAdapter.instrument(['pytest'], {
      reportDir,
      cwd: root,
      testNames: ['test_one', 'tests/test_a.py::TestG > test_two'],
    });
    assert.deepEqual(named.argv.slice(2), [
      '-k',
      'test_one',
      '-o',
      'junit_family=xunit1',
      'tests/test_a.py::TestG::test_two',
    ]);
  });

  it('reads xunit1 XML: 0-based lines, xfail as skipped, errors as failures, collection errors', () => {
    const file = write('tests/test_calc.py', 'import pytest\n\ndef test_passes():\n    assert True\n');
    const xml = `<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="2" failures="1" skipped="2" tests="6" time="0.064">
<testcase classname="" name="tests.test_import" file="tests/test_import.py" time="0.000"><error message="collection failure">ImportError while importing test module '${root}/tests/test_import.py'.
Traceback:
/usr/lib/python3.11/importlib/__init__.py:126: in import_module
    return _bootstrap._gcd_import(name[level:], package, level)
tests/test_import.py:1: in &lt;module&gt;
    import does_not_exist
E   ModuleNotFoundError: No module named 'does_not_exist'</error></testcase>
<testcase classname="tests.test_calc" name="test_passes" file="tests/test_calc.py" line="2" time="0.001" />
<testcase classname="tests.test_calc" name="test_fails" file="tests/test_calc.py" line="8" time="0.002"><failure message="assert 3 == 4&#10; +  where 3 = add(1, 2)">def test_fails():
&gt;       assert add(1, 2) == 4
E       assert 3 == 4
E        +  where 3 = add(1, 2)

tests/test_calc.py:10: AssertionError</failure></testcase>
<testcase classname="tests.test_calc" name="test_skipped" file="tests/test_calc.py" line="11" time="0.000"><skipped type="pytest.skip" message="later">/x/tests/test_calc.py:12: later</skipped></testcase>
<testcase classname="tests.test_calc" name="test_xfail" file="tests/test_calc.py" line="15" time="0.001"><skipped type="pytest.xfail" message="known bug" /></testcase>
<testcase classname="tests.test_calc" name="test_fixture_error" file="tests/test_calc.py" line="30" time="0.001"><error message="failed on setup with &quot;ValueError: fixture broke&quot;">tests/test_calc.py:29: ValueError</error></testcase>
<testcase classname="tests.test_calc.TestGroup" name="test_param[1]" file="tests/test_calc.py" line="34" time="0.001" />
</testsuite></testsuites>`;
    const parsed = valid(
      pytestAdapter.parse(
        input({
          reports: new Map([['/r/pytest.xml', xml]]),
          stdout: '==== 1 failed, 2 passed, 1 skipped, 1 xfailed, 2 errors in 0.06s ====\n',
        }),
      ),
    );
    assert.equal(parsed.parsedFrom, 'machine');
    assert.deepEqual(counts(parsed.totals), { passed: 2, failed: 3, skipped: 2, todo: 0 });
    assert.deepEqual(
      counts(parsed.totals),
      counts(
        pytestSummary(
          parsed.tests.length ? '1 failed, 2 passed, 1 skipped, 1 xfailed, 2 errors in 0.06s' : '',
        )!,
      ),
    );
    assert.equal(parsed.totals.durationMs, 60);
    const byName = new Map(parsed.tests.map((t) => [t.name, t]));
    assert.equal(byName.get('test_passes')?.line, 3, '0-based line 2 is line 3');
    assert.equal(byName.get('test_passes')?.file, file);
    const fails = byName.get('test_fails')!;
    assert.equal(fails.line, 10);
    assert.equal(fails.failure?.message, 'assert 3 == 4\n +  where 3 = add(1, 2)');
    assert.deepEqual([fails.failure?.expected, fails.failure?.actual], ['4', '3']);
    assert.equal(byName.get('test_xfail')?.status, 'skipped');
    assert.equal(byName.get('test_fixture_error')?.status, 'failed');
    assert.deepEqual(byName.get('test_param[1]')?.suite, ['TestGroup']);
    const collection = byName.get('[collection error]')!;
    assert.equal(collection.file, path.join(root, 'tests/test_import.py'));
    assert.equal(collection.line, 1);
    assert.equal(collection.step, 2);
    assert.deepEqual(parsed.errors, [
      "tests/test_import.py failed to import: ModuleNotFoundError: No module named 'does_not_exist'",
    ]);
  });

  it('says why when pytest wrote no report', () => {
    const parsed = pytestAdapter.parse(
      input({
        reports: new Map([['/reports/pytest.xml', '']]),
        exitCode: 4,
        stderr: 'ERROR: usage: pytest [options]\npytest: error: unrecognized arguments: --bogus\n',
      }),
    );
    assert.equal(parsed.tests.length, 0);
    assert.match(parsed.errors[0]!, /pytest wrote no report \(exit code 4\).*unrecognized arguments/);
  });

  it('reads pytest’s summary line in NAVI’s counting', () => {
    assert.deepEqual(
      pytestSummary('=== 3 failed, 2 passed, 1 skipped, 1 xfailed, 1 xpassed, 2 errors in 0.06s ==='),
      {
        passed: 3,
        failed: 5,
        skipped: 2,
        todo: 0,
        durationMs: 60,
      },
    );
    assert.deepEqual(counts(pytestSummary('============ 1 error in 0.05s ============')!), {
      passed: 0,
      failed: 1,
      skipped: 0,
      todo: 0,
    });
    assert.equal(pytestSummary('nothing here'), undefined);
  });
});

describe('go test adapter', () => {
  it('adds -json and maps files to packages and names to -run', () => {
    assert.ok(goTestAdapter.matches(['go', 'test', './...']));
    assert.ok(!goTestAdapter.matches(['go', 'build', './...']));
    const out = goTestAdapter.instrument(['go', 'test', '-count', '1', './...', '-args', '-v'], {
      reportDir: path.join(root, 'reports'),
      cwd: root,
      files: [path.join(root, 'calc/calc_test.go'), path.join(root, 'calc/more_test.go')],
      testNames: ['TestTable > two', 'TestAdd'],
    });
    assert.deepEqual(out.argv, [
      'go',
      'test',
      '-json',
      '-count',
      '1',
      '-run',
      '^(?:TestTable|TestAdd)$/^(?:two)$',
      './calc',
      '-args',
      '-v',
    ]);
    assert.equal(runPattern(['Test A > sub (x)']), '^(?:Test_A)$/^(?:sub_\\(x\\))$');
  });

  it('reads test2json: subtests, skips, panics, build failures (Go 1.19 and Go 1.24 forms)', () => {
    write('go.mod', 'module example.com/m\n\ngo 1.19\n');
    const calc = write(
      'calc/calc_test.go',
      'package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {}\n\nfunc TestTable(t *testing.T) {\n\tt.Run("two", func(t *testing.T) {\n\t\tt.Errorf("got 2, want 1")\n\t})\n}\n\nfunc TestSkip(t *testing.T) { t.Skip() }\n',
    );
    const crash = write(
      'crash/crash_test.go',
      'package crash\n\nimport "testing"\n\nfunc TestPanics(t *testing.T) {\n\tvar m map[string]int\n\tm["x"] = 1\n}\n',
    );
    const ev = (o: object) => JSON.stringify({ Time: '2026-01-01T00:00:00.000Z', ...o });
    const stdout = [
      ev({ Action: 'run', Package: 'example.com/m/calc', Test: 'TestAdd' }),
      ev({ Action: 'pass', Package: 'example.com/m/calc', Test: 'TestAdd', Elapsed: 0.01 }),
      ev({ Action: 'run', Package: 'example.com/m/calc', Test: 'TestTable' }),
      ev({ Action: 'run', Package: 'example.com/m/calc', Test: 'TestTable/two' }),
      ev({
        Action: 'output',
        Package: 'example.com/m/calc',
        Test: 'TestTable/two',
        Output: '    calc_test.go:9: got 2, want 1\n',
      }),
      ev({ Action: 'fail', Package: 'example.com/m/calc', Test: 'TestTable/two', Elapsed: 0 }),
      ev({ Action: 'fail', Package: 'example.com/m/calc', Test: 'TestTable', Elapsed: 0 }),
      ev({ Action: 'skip', Package: 'example.com/m/calc', Test: 'TestSkip', Elapsed: 0 }),
      ev({ Action: 'fail', Package: 'example.com/m/calc', Elapsed: 0.02 }),
      ev({ Action: 'run', Package: 'example.com/m/crash', Test: 'TestPanics' }),
      ev({
        Action: 'output',
        Package: 'example.com/m/crash',
        Test: 'TestPanics',
        Output: 'panic: assignment to entry in nil map\n',
      }),
      ev({
        Action: 'output',
        Package: 'example.com/m/crash',
        Test: 'TestPanics',
        Output: `\t${crash}:7 +0x2e\n`,
      }),
      ev({ Action: 'fail', Package: 'example.com/m/crash', Test: 'TestPanics', Elapsed: 0 }),
      ev({ Action: 'fail', Package: 'example.com/m/crash', Elapsed: 0.01 }),
      'FAIL\texample.com/m/broken [build failed]',
      // Go 1.24 reports compiler output as events.
      ev({
        ImportPath: 'example.com/m/other [example.com/m/other.test]',
        Action: 'build-output',
        Output: 'other/x_test.go:3:1: syntax error\n',
      }),
      ev({ ImportPath: 'example.com/m/other [example.com/m/other.test]', Action: 'build-fail' }),
      ev({
        Action: 'fail',
        Package: 'example.com/m/other',
        Elapsed: 0,
        FailedBuild: 'example.com/m/other [example.com/m/other.test]',
      }),
    ].join('\n');
    const stderr =
      '# example.com/m/broken [example.com/m/broken.test]\nbroken/broken_test.go:6:2: undefined: nothing\n';
    const parsed = valid(goTestAdapter.parse(input({ stdout, stderr })));
    assert.equal(parsed.parsedFrom, 'machine');
    assert.deepEqual(counts(parsed.totals), { passed: 1, failed: 4, skipped: 1, todo: 0 });
    const two = parsed.tests.find((t) => t.name === 'two')!;
    assert.deepEqual(
      [two.file, two.line, two.suite, two.id],
      [calc, 9, ['TestTable'], 'calc/calc_test.go::TestTable > two'],
    );
    assert.deepEqual([two.failure?.expected, two.failure?.actual], ['1', '2']);
    assert.ok(
      !parsed.tests.some((t) => t.name === 'TestTable'),
      'the parent of a failed subtest is not counted again',
    );
    const panic = parsed.tests.find((t) => t.name === 'TestPanics')!;
    assert.deepEqual([panic.file, panic.line], [crash, 7]);
    assert.match(panic.failure!.message, /panic: assignment to entry in nil map/);
    const builds = parsed.tests.filter((t) => t.name === '[build failed]');
    assert.deepEqual(
      builds.map((t) => [t.suite[0], t.line]),
      [
        ['example.com/m/broken', 6],
        ['example.com/m/other', 3],
      ],
    );
    assert.equal(parsed.errors.length, 2);
    assert.match(
      parsed.errors[0]!,
      /^example\.com\/m\/broken does not compile: broken\/broken_test\.go:6:2: undefined: nothing/,
    );
    assert.match(goTestHumanOutput(stdout), /calc_test\.go:9: got 2, want 1\n/);
  });

  it('fails the tests a dying binary was running and reports failures outside tests', () => {
    const ev = (o: object) => JSON.stringify(o);
    const stdout = [
      ev({ Action: 'run', Package: 'example.com/m/a', Test: 'TestSlow' }),
      ev({ Action: 'output', Package: 'example.com/m/a', Output: 'panic: test timed out after 1s\n' }),
      ev({ Action: 'fail', Package: 'example.com/m/a', Elapsed: 1 }),
      ev({ Action: 'output', Package: 'example.com/m/b', Output: 'TestMain: setup failed\n' }),
      ev({ Action: 'fail', Package: 'example.com/m/b', Elapsed: 0 }),
    ].join('\n');
    const parsed = valid(goTestAdapter.parse(input({ stdout })));
    const slow = parsed.tests.find((t) => t.name === 'TestSlow')!;
    assert.equal(slow.status, 'failed');
    assert.match(slow.failure!.message, /timed out/);
    assert.deepEqual(parsed.errors, ['example.com/m/b failed outside any test: TestMain: setup failed.']);
  });
});

describe('cargo adapter', () => {
  const CARGO_TOML = '[package]\nname = "cgx"\nversion = "0.1.0"\n';
  const LIB =
    'pub fn add(a: i32, b: i32) -> i32 { a + b }\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn fails() {\n        assert_eq!(1 + 2, 4);\n    }\n}\n';

  it('matches cargo test and adds target and name filters', () => {
    assert.ok(cargoAdapter.matches(['cargo', 'test']));
    assert.ok(cargoAdapter.matches(['cargo', '+nightly', 'test', '--workspace']));
    assert.ok(!cargoAdapter.matches(['cargo', 'build']));
    const out = cargoAdapter.instrument(['cargo', 'test', '--', '--nocapture'], {
      reportDir: path.join(root, 'reports'),
      cwd: root,
      files: [
        path.join(root, 'tests/integration.rs'),
        path.join(root, 'src/lib.rs'),
        path.join(root, 'src/util.rs'),
      ],
      testNames: ['tests > fails'],
    });
    assert.deepEqual(out.argv, [
      'cargo',
      'test',
      '--test',
      'integration',
      '--lib',
      '--',
      '--nocapture',
      '--exact',
      'tests::fails',
    ]);
  });

  it('reads libtest’s text in the Rust ≥ 1.73 format, binaries from stderr', () => {
    write('Cargo.toml', CARGO_TOML);
    const lib = write('src/lib.rs', LIB);
    const integ = write(
      'tests/it.rs',
      '#[test]\nfn ok_one() {}\n#[test]\nfn boom() {\n    panic!("boom");\n}\n',
    );
    const stderr = [
      '   Compiling cgx v0.1.0',
      '     Running unittests src/lib.rs (target/debug/deps/cgx-18a910b9bfcfe5ef)',
      'error: test failed, to rerun pass `--lib`',
      '     Running tests/it.rs (target/debug/deps/it-6e270748feef1ae7)',
      '   Doc-tests cgx',
    ].join('\n');
    const stdout = `
running 2 tests
test tests::fails ... FAILED
test tests::skipped ... ignored, not yet

failures:

---- tests::fails stdout ----

thread 'tests::fails' (19873) panicked at src/lib.rs:7:9:
assertion \`left == right\` failed
  left: 3
 right: 4
note: run with \`RUST_BACKTRACE=1\` environment variable to display a backtrace


failures:
    tests::fails

test result: FAILED. 0 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.24s


running 2 tests
test ok_one ... ok
test boom ... FAILED

failures:

---- boom stdout ----
thread 'boom' panicked at tests/it.rs:5:5:
boom


failures:
    boom

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s


running 1 test
test src/lib.rs - add (line 3) ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.50s
`;
    const parsed = valid(cargoAdapter.parse(input({ stdout, stderr, exitCode: 101 })));
    assert.equal(parsed.parsedFrom, 'text');
    assert.deepEqual(parsed.totals, { passed: 2, failed: 2, skipped: 1, todo: 0, durationMs: 750 });
    const fails = parsed.tests.find((t) => t.name === 'fails')!;
    assert.deepEqual([fails.file, fails.line, fails.suite], [lib, 7, ['tests']]);
    assert.deepEqual([fails.failure?.expected, fails.failure?.actual], ['4', '3']);
    assert.equal(fails.failure?.message, 'assertion `left == right` failed\n  left: 3\n right: 4');
    const boom = parsed.tests.find((t) => t.name === 'boom')!;
    assert.deepEqual([boom.file, boom.line, boom.failure?.message], [integ, 5, 'boom']);
    const doc = parsed.tests.find((t) => t.suite[0] === 'doc-tests')!;
    assert.deepEqual([doc.name, doc.file, doc.line], ['add (line 3)', lib, 3]);
    assert.deepEqual(parsed.errors, []);
  });

  it('reads the Rust < 1.73 panic format and follows module files', () => {
    write('Cargo.toml', CARGO_TOML);
    write('src/lib.rs', 'mod util;\n');
    const util = write(
      'src/util.rs',
      'pub fn x() {}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn legacy() {\n        assert_eq!(1, 2);\n    }\n}\n',
    );
    const stdout = `running 1 test
test util::tests::legacy ... FAILED

failures:

---- util::tests::legacy stdout ----
thread 'util::tests::legacy' panicked at 'assertion failed: \`(left == right)\`
  left: \`1\`,
 right: \`2\`', src/util.rs:7:9

failures:
    util::tests::legacy

test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
`;
    const parsed = valid(
      cargoAdapter.parse(
        input({
          stdout,
          stderr: '     Running unittests src/lib.rs (target/debug/deps/cgx-3483b666d7a9f5e8)\n',
        }),
      ),
    );
    const legacy = parsed.tests[0]!;
    assert.deepEqual([legacy.file, legacy.line, legacy.suite], [util, 7, ['util', 'tests']]);
    assert.deepEqual([legacy.failure?.expected, legacy.failure?.actual], ['2', '1']);
  });

  it('reports compile errors and crashed test binaries', () => {
    const stderr = [
      'error[E0308]: mismatched types',
      ' --> tests/broken.rs:3:18',
      '  |',
      'error: could not compile `cgx` due to previous error',
      'error: test failed, to rerun pass `--lib`',
      '',
      'Caused by:',
      "  process didn't exit successfully: `/t/cgx-1234abcd` (signal: 6, SIGABRT: process abort signal)",
    ].join('\n');
    const parsed = cargoAdapter.parse(input({ stderr, exitCode: 101 }));
    assert.deepEqual(parsed.errors, [
      'tests/broken.rs:3: error[E0308]: mismatched types',
      'The test binary for --lib crashed (signal: 6, SIGABRT: process abort signal) before reporting all its results.',
    ]);
  });
});

describe('JUnit XML (Maven, Gradle)', () => {
  const CALC_TEST =
    'package demo;\n\npublic class CalcTest {\n    @Test\n    public void adds() {}\n\n    @Test\n    public void addsWrong() {\n        assertEquals(4, 3);\n    }\n}\n';
  const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="demo.CalcTest" time="0.252" tests="4" errors="1" skipped="1" failures="1">
  <testcase name="adds" classname="demo.CalcTest" time="0.013"/>
  <testcase name="addsWrong" classname="demo.CalcTest" time="0.023">
    <failure message="expected:&lt;4&gt; but was:&lt;3&gt;" type="java.lang.AssertionError"><![CDATA[java.lang.AssertionError: expected:<4> but was:<3>
	at org.junit.Assert.fail(Assert.java:89)
	at demo.CalcTest.addsWrong(CalcTest.java:9)
]]></failure>
  </testcase>
  <testcase name="crashes" classname="demo.CalcTest$Inner" time="0">
    <error message="boom" type="java.lang.NullPointerException">java.lang.NullPointerException: boom
	at demo.Calc.add(Calc.java:4)
	at demo.CalcTest$Inner.crashes(CalcTest.java:10)
</error>
  </testcase>
  <testcase name="skipped" classname="demo.CalcTest" time="0"><skipped message="later"/></testcase>
</testsuite>`;

  it('matches Maven and Gradle test commands and instruments them', () => {
    for (const argv of [
      ['mvn', 'test'],
      ['./mvnw', '-q', 'verify'],
      ['mvn', 'surefire:test'],
    ])
      assert.ok(mavenAdapter.matches(argv));
    assert.ok(!mavenAdapter.matches(['mvn', 'compile']));
    for (const argv of [
      ['gradle', 'test'],
      ['./gradlew', ':app:test'],
      ['./gradlew', 'check'],
      ['gradle', '-p', 'sub', 'integrationTest'],
    ])
      assert.ok(gradleAdapter.matches(argv), argv.join(' '));
    assert.ok(!gradleAdapter.matches(['./gradlew', 'assemble']));
    assert.ok(!gradleAdapter.matches(['./gradlew', '-x', 'test', 'assemble']));
    const mvn = mavenAdapter.instrument(['./mvnw', 'test', '-Dtest=Old'], {
      reportDir: path.join(root, 'reports'),
      cwd: root,
      files: [path.join(root, 'src/test/java/demo/CalcTest.java')],
    });
    assert.deepEqual(mvn.argv, [
      './mvnw',
      '-B',
      '-Dtest=CalcTest',
      '-DfailIfNoTests=false',
      '-Dsurefire.failIfNoSpecifiedTests=false',
      'test',
    ]);
    assert.deepEqual(mvn.reports, []);
    assert.deepEqual(mvn.reportGlobs, [
      '**/target/surefire-reports/TEST-*.xml',
      '**/target/failsafe-reports/TEST-*.xml',
    ]);
    const gradle = gradleAdapter.instrument(['./gradlew', '-p', 'test', ':app:test', 'check'], {
      reportDir: path.join(root, 'reports'),
      cwd: root,
      testNames: ['CalcTest > adds'],
    });
    assert.deepEqual(gradle.argv, [
      './gradlew',
      '--console=plain',
      '-p',
      'test',
      ':app:cleanTest',
      ':app:test',
      '--tests',
      '*CalcTest.adds',
      'check',
    ]);
    assert.deepEqual(gradle.reportGlobs, ['**/build/test-results/**/TEST-*.xml']);
  });

  it('reads a Surefire report: files from class names, lines from stack frames, errors as failures', () => {
    const test = write('core/src/test/java/demo/CalcTest.java', CALC_TEST);
    const main = write(
      'core/src/main/java/demo/Calc.java',
      'package demo;\n\nclass Calc {\n    int add() { return 1; }\n}\n',
    );
    const report = write('core/target/surefire-reports/TEST-demo.CalcTest.xml', REPORT);
    const parsed = valid(
      mavenAdapter.parse(input({ reports: new Map([[report, REPORT]]), startedAtMs: Date.now() - 5_000 })),
    );
    assert.deepEqual(counts(parsed.totals), { passed: 1, failed: 2, skipped: 1, todo: 0 });
    const wrong = parsed.tests.find((t) => t.name === 'addsWrong')!;
    assert.deepEqual(
      [wrong.file, wrong.line, wrong.suite, wrong.id],
      [test, 9, ['CalcTest'], 'core/src/test/java/demo/CalcTest.java::CalcTest > addsWrong'],
    );
    assert.deepEqual([wrong.failure?.expected, wrong.failure?.actual], ['4', '3']);
    assert.deepEqual(
      wrong.failure?.stack.map((f) => f.line),
      [9],
    );
    const crashes = parsed.tests.find((t) => t.name === 'crashes')!;
    assert.deepEqual([crashes.suite, crashes.line], [['CalcTest', 'Inner'], 10]);
    assert.deepEqual(
      crashes.failure?.stack.map((f) => [f.file, f.line]),
      [
        [main, 4],
        [test, 10],
      ],
    );
    assert.equal(parsed.tests.find((t) => t.name === 'adds')?.line, 5, 'declaration line of a passing test');
  });

  it('ignores reports older than the step', () => {
    const report = write('target/surefire-reports/TEST-demo.CalcTest.xml', REPORT);
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(report, past, past);
    const parsed = mavenAdapter.parse(
      input({ reports: new Map([[report, REPORT]]), startedAtMs: Date.now(), exitCode: 0 }),
    );
    assert.equal(parsed.tests.length, 0);
    assert.match(parsed.errors[0]!, /only 1 report from an earlier run/);
  });

  it('reports javac errors and Maven / Gradle failures when no report was written', () => {
    const maven = mavenAdapter.parse(
      input({
        stdout:
          '[ERROR] COMPILATION ERROR : \n[ERROR] /p/src/test/java/demo/BrokenTest.java:[8,17] incompatible types: java.lang.String cannot be converted to int\n[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.10.1:testCompile (default-testCompile) on project x: Compilation failure\n',
      }),
    );
    assert.deepEqual(maven.errors, [
      'Compilation error at /p/src/test/java/demo/BrokenTest.java:8: incompatible types: java.lang.String cannot be converted to int',
    ]);
    assert.deepEqual(
      javaCompileErrors(
        '/p/src/test/java/demo/BrokenTest.java:8: error: incompatible types: String cannot be converted to int\n',
      ),
      [
        'Compilation error at /p/src/test/java/demo/BrokenTest.java:8: incompatible types: String cannot be converted to int',
      ],
    );
    const gradle = gradleAdapter.parse(
      input({
        stderr:
          "FAILURE: Build failed with an exception.\n\n* What went wrong:\nTask 'tset' not found in root project 'x'.\n",
      }),
    );
    assert.deepEqual(gradle.errors, [
      "Gradle wrote no test reports (exit code 1): Task 'tset' not found in root project 'x'..",
    ]);
  });

  it('knows the common JVM assertion messages and report folders', () => {
    assert.deepEqual(expectedActual('expected: <4> but was: <3>'), { expected: '4', actual: '3' });
    assert.deepEqual(expectedActual('\nExpected: is <4>\n     but: was <3>'), {
      expected: 'is <4>',
      actual: 'was <3>',
    });
    assert.deepEqual(expectedActual('expected: 4\n but was: 3'), { expected: '4', actual: '3' });
    assert.equal(moduleRootOf('/w/a/build/test-results/test/TEST-x.xml', '/w'), '/w/a');
    assert.equal(moduleRootOf('/w/b/target/failsafe-reports/TEST-x.xml', '/w'), '/w/b');
  });
});

describe('report globs', () => {
  it('expands ** and * relative to cwd, skipping dependency folders and old files', () => {
    const a = write('a/target/surefire-reports/TEST-x.xml', '');
    const b = write('target/surefire-reports/TEST-y.xml', '');
    write('node_modules/p/target/surefire-reports/TEST-z.xml', '');
    write('target/surefire-reports/x.txt', '');
    const old = write('c/target/surefire-reports/TEST-old.xml', '');
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(old, past, past);
    assert.deepEqual(
      expandReportGlobs(root, ['**/target/surefire-reports/TEST-*.xml'], Date.now() - 10_000),
      [a, b].sort(),
    );
    assert.ok(globToRegExp('**/build/test-results/**/TEST-*.xml').test('build/test-results/test/TEST-a.xml'));
    assert.ok(!globToRegExp('src/*.xml').test('src/a/b.xml'));
  });
});

describe('text fallback', () => {
  const cases: [string, string, object][] = [
    [
      'libtest',
      'test result: ok. 2 passed; 1 failed; 1 ignored; 0 measured\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured',
      { passed: 3, failed: 1, skipped: 1, todo: 0 },
    ],
    [
      'jest',
      'Tests:       1 failed, 1 skipped, 2 todo, 4 passed, 8 total',
      { passed: 4, failed: 1, skipped: 1, todo: 2 },
    ],
    ['vitest', ' Tests  1 failed | 2 passed | 1 skipped (4)', { passed: 2, failed: 1, skipped: 1, todo: 0 }],
    [
      'surefire',
      'Tests run: 4, Failures: 1, Errors: 1, Skipped: 1',
      { passed: 1, failed: 2, skipped: 1, todo: 0 },
    ],
    [
      'pytest',
      '===== 3 failed, 2 passed, 1 skipped, 1 xfailed in 0.06s =====',
      { passed: 2, failed: 3, skipped: 2, todo: 0 },
    ],
    [
      'unittest',
      'Ran 6 tests in 0.001s\n\nFAILED (failures=1, errors=1, skipped=2)',
      { passed: 2, failed: 2, skipped: 2, todo: 0 },
    ],
    ['rspec', '5 examples, 1 failure, 2 pending', { passed: 2, failed: 1, skipped: 2, todo: 0 }],
    [
      'dotnet',
      'Failed!  - Failed:     1, Passed:     5, Skipped:     0, Total:     6',
      { passed: 5, failed: 1, skipped: 0, todo: 0 },
    ],
    ['xunit-ok', 'OK (5 tests)', { passed: 5, failed: 0, skipped: 0, todo: 0 }],
    ['mocha', '  2 passing (10ms)\n  1 pending\n  1 failing', { passed: 2, failed: 1, skipped: 1, todo: 0 }],
    [
      'tap',
      'TAP version 13\nok 1 - a\nnot ok 2 - b\nok 3 - c # SKIP later\nok 4 - d # TODO soon\n1..4',
      { passed: 1, failed: 1, skipped: 1, todo: 1 },
    ],
    ['generic', 'All done: 12 passed, 1 failed', { passed: 12, failed: 1, skipped: 0, todo: 0 }],
  ];
  for (const [family, output, expected] of cases)
    it(`reads ${family} summaries`, () => {
      const found = textTotals(output)!;
      assert.equal(found.family, family);
      assert.deepEqual(counts(found.totals), expected);
    });

  it('matches anything, leaves the command alone and labels its totals as text', () => {
    assert.ok(textAdapter.matches(['make', 'check']));
    assert.deepEqual(
      textAdapter.instrument(['make', 'check'], { reportDir: path.join(root, 'reports'), cwd: root }),
      { argv: ['make', 'check'], reports: [] },
    );
    const parsed = textAdapter.parse(
      input({ stdout: '\u001b[32m  3 passing\u001b[0m (5ms)\n', exitCode: 0 }),
    );
    assert.deepEqual(
      [parsed.parsedFrom, parsed.tests, counts(parsed.totals)],
      ['text', [], { passed: 3, failed: 0, skipped: 0, todo: 0 }],
    );
    const none = textAdapter.parse(input({ stdout: 'built 3 targets\n', exitCode: 0 }));
    assert.equal(none.parsedFrom, 'text');
    assert.match(none.errors[0]!, /No test summary NAVI recognises/);
  });
});
