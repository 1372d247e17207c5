import * as path from 'node:path';
import { stripAnsi, splitTestName } from './jsCommon';
import { parseJunit } from './junit';
import type { RunnerAdapter } from './types';

/**
 * Gradle's `Test` tasks write JUnit XML into each project's `build/test-results/<task>/TEST-<class>.xml`
 * (read through `Instrumented.reportGlobs`, only files written during the step: junit.ts). NAVI adds
 * `--console=plain` (no progress bar in the captured output) and `clean<Task>` before every test task
 * named on the command line: an up-to-date `test` task does not run at all and rewrites no report, so
 * without it NAVI would report results nobody ran this time. Filters are `--tests Class[.method]`
 * after each named test task. Gradle reports exceptions outside assertions as `<failure>` too, and
 * prints "4 tests completed, 2 failed, 1 skipped" only when a test failed. A project that does not
 * compile writes no report: javac's `/…/X.java:9: error: …` lines become `errors`.
 */

const GRADLE_PROGRAMS = /(^|\/)(gradle|gradlew)(\.bat)?$/;
/** Gradle options that take the next argument as their value. */
const VALUE_OPTIONS = new Set([
  '-p',
  '--project-dir',
  '-x',
  '--exclude-task',
  '--tests',
  '-b',
  '--build-file',
  '-c',
  '--settings-file',
  '-g',
  '--gradle-user-home',
  '-I',
  '--init-script',
  '--console',
  '--warning-mode',
  '--max-workers',
  '--include-build',
  '--priority',
  '-D',
  '-P',
]);

/** A task name that runs tests: `test`, `:app:test`, `integrationTest`, `testDebugUnitTest`. */
function isTestTask(arg: string): boolean {
  const name = arg.split(':').pop() ?? '';
  return /^test([A-Z]\w*)?$/.test(name) || /^\w+Test$/.test(name);
}

/** Tasks that run the test tasks of a Java project. */
function runsTests(arg: string): boolean {
  const name = arg.split(':').pop() ?? '';
  return isTestTask(arg) || name === 'check' || name === 'build';
}

/** Indexes of task names in Gradle's arguments (not options, not option values). */
function taskIndexes(args: readonly string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('-')) {
      if (!arg.includes('=') && VALUE_OPTIONS.has(arg)) i += 1;
      continue;
    }
    out.push(i);
  }
  return out;
}

export const gradleAdapter: RunnerAdapter = {
  id: 'gradle',
  matches(argv) {
    if (!GRADLE_PROGRAMS.test(argv[0] ?? '')) return false;
    const args = argv.slice(1);
    return taskIndexes(args).some((i) => runsTests(args[i]!));
  },
  instrument(argv, options) {
    const args = argv.slice(1);
    const tasks = new Set(taskIndexes(args).filter((i) => isTestTask(args[i]!)));
    const filters = testFilters(options.files ?? [], options.testNames ?? []);
    const out: string[] = [];
    if (!args.some((a) => a === '--console' || a.startsWith('--console='))) out.push('--console=plain');
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (tasks.has(i)) {
        const colon = arg.lastIndexOf(':');
        const name = arg.slice(colon + 1);
        out.push(`${arg.slice(0, colon + 1)}clean${name[0]!.toUpperCase()}${name.slice(1)}`, arg);
        for (const filter of filters) out.push('--tests', filter);
        continue;
      }
      out.push(arg);
    }
    return { argv: [argv[0]!, ...out], reports: [], reportGlobs: ['**/build/test-results/**/TEST-*.xml'] };
  },
  parse(input) {
    return parseJunit(input, 'Gradle', () => gradleFailure(`${input.stdout}\n${input.stderr}`));
  },
};

/** `--tests` filters: the class of each file under a source folder (`demo.CalcTest`), `Class.method` per name. */
function testFilters(files: readonly string[], testNames: readonly string[]): string[] {
  const classes = files.map((file) => {
    const norm = file.split(path.sep).join('/');
    const m = /\/src\/[^/]+\/(?:java|kotlin|groovy|scala)\/(.+)\.[^.]+$/.exec(norm);
    return m ? m[1]!.split('/').join('.') : path.basename(file).replace(/\.[^.]+$/, '');
  });
  const names = testNames.map((full) => {
    const { suite, name } = splitTestName(full);
    const method = name.replace(/\(.*$/, '');
    return suite.length ? `*${suite[0]}.${method}` : `*.${method}`;
  });
  return names.length > 0 ? names : classes;
}

/** Gradle's reason for failing: the lines after `* What went wrong:`. */
export function gradleFailure(output: string): string | undefined {
  const lines = stripAnsi(output).split('\n');
  const at = lines.findIndex((l) => l.startsWith('* What went wrong:'));
  if (at < 0) return undefined;
  const why = lines
    .slice(at + 1, at + 4)
    .map((l) => l.replace(/^>\s*/, '').trim())
    .filter(Boolean)
    .join(' ');
  return why.slice(0, 300) || undefined;
}
