import * as path from 'node:path';
import { stripAnsi, splitTestName } from './jsCommon';
import { parseJunit } from './junit';
import type { RunnerAdapter } from './types';

/**
 * Maven (Surefire for `test`, Failsafe for `verify` / `integration-test`). Both write JUnit XML
 * into each module's `target/surefire-reports/TEST-<class>.xml` / `target/failsafe-reports/`, not
 * where NAVI asks, so the reports are globs (`Instrumented.reportGlobs`) and only files written
 * during the step count (junit.ts). NAVI adds `-B` (batch mode: no colours, no download progress)
 * and, for file / name filters, Surefire's `-Dtest=Class#method` with the switches that keep
 * modules without a matching test from failing the build. Counting follows Surefire's own
 * "Tests run: 4, Failures: 1, Errors: 1, Skipped: 1": failures and errors are both `failed`, and
 * passed = run − failures − errors − skipped. A module that does not compile writes no report:
 * the javac errors (`[ERROR] /…/X.java:[9,5] …`) become `errors`.
 */

const MAVEN_PROGRAMS = /(^|\/)(mvn|mvnw|mvnd)(\.cmd|\.bat)?$/;
/** Phases and goals that run Surefire or Failsafe. */
const TEST_GOALS = new Set([
  'test',
  'integration-test',
  'verify',
  'install',
  'deploy',
  'package',
  'surefire:test',
]);

export const mavenAdapter: RunnerAdapter = {
  id: 'maven',
  matches(argv) {
    if (!MAVEN_PROGRAMS.test(argv[0] ?? '')) return false;
    return argv.slice(1).some((arg) => TEST_GOALS.has(arg) || /:(test|integration-test|verify)$/.test(arg));
  },
  instrument(argv, options) {
    const args = argv.slice(1);
    const added: string[] = [];
    if (!args.some((a) => a === '-B' || a === '--batch-mode')) added.push('-B');
    let rest = args;
    const selectors = selectorsOf(options.files ?? [], options.testNames ?? []);
    if (selectors.length > 0) {
      rest = rest.filter((a) => !/^-D(test|it\.test)=/.test(a));
      added.push(
        `-Dtest=${selectors.join(',')}`,
        '-DfailIfNoTests=false',
        '-Dsurefire.failIfNoSpecifiedTests=false',
      );
    }
    return {
      argv: [argv[0]!, ...added, ...rest],
      reports: [],
      reportGlobs: ['**/target/surefire-reports/TEST-*.xml', '**/target/failsafe-reports/TEST-*.xml'],
    };
  },
  parse(input) {
    return parseJunit(input, 'Maven', () => mavenFailure(`${input.stdout}\n${input.stderr}`));
  },
};

/** Surefire `-Dtest` selectors: `CalcTest` per file, `CalcTest#adds` per name (`CalcTest > adds`). */
function selectorsOf(files: readonly string[], testNames: readonly string[]): string[] {
  const classes = files.map((f) => path.basename(f).replace(/\.[^.]+$/, ''));
  const methods: string[] = [];
  for (const full of testNames) {
    const { suite, name } = splitTestName(full);
    const cls = suite[0];
    const method = name.replace(/\(.*$/, '').replace(/\[.*$/, '');
    if (cls) methods.push(`${cls.split('.').pop()}#${method}`);
    else for (const c of classes.length ? classes : ['*']) methods.push(`${c}#${method}`);
  }
  if (methods.length > 0) return methods;
  return classes;
}

/** Maven's reason for stopping: the first `[ERROR] Failed to execute goal …` (or `[ERROR]`) line. */
export function mavenFailure(output: string): string | undefined {
  const lines = stripAnsi(output).split('\n');
  const line =
    lines.find((l) => l.startsWith('[ERROR] Failed to execute goal')) ??
    lines.find((l) => /^\[ERROR\] \S/.test(l) && !/^\[ERROR\] (->|To see|Re-run|For more)/.test(l));
  return line?.replace(/^\[ERROR\]\s*/, '').slice(0, 300);
}
