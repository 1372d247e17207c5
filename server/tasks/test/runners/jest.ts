import * as path from 'node:path';
import type { RunnerAdapter } from './types';
import {
  exitedWithoutFailure,
  fileArg,
  fullNamePattern,
  jsInvocation,
  parseJestLike,
  reportPath,
  reportText,
  withoutOptions,
  withoutPositionals,
  noReport,
} from './jsCommon';

/**
 * Jest. `--json --outputFile=FILE` writes Jest's JSON results to a file while the default
 * reporter keeps printing the usual human output (Jest prints it on stderr, as it always does);
 * `--testLocationInResults` adds each test's declaration line. expected/actual come from
 * `failureDetails[].matcherResult` (expect matchers); node:assert errors in Jest carry only their
 * message. A test file that fails to run ("Test suite failed to run") is not a test for Jest: it
 * is reported in `errors`, and the totals stay Jest's own (`Tests: …` line).
 */

/** Jest options that take a value as the next argument (so their values are not taken for file patterns). */
const VALUE_OPTIONS = new Set([
  '-c',
  '--config',
  '-t',
  '--testNamePattern',
  '--outputFile',
  '--reporters',
  '--maxWorkers',
  '-w',
  '--rootDir',
  '--roots',
  '--selectProjects',
  '--shard',
  '--testPathPattern',
  '--testPathPatterns',
  '--testPathIgnorePatterns',
  '--testTimeout',
  '--testEnvironment',
  '--testRunner',
  '--setupFiles',
  '--setupFilesAfterEnv',
  '--coverageDirectory',
  '--collectCoverageFrom',
  '--changedSince',
  '--seed',
  '--env',
]);

export const jestAdapter: RunnerAdapter = {
  id: 'jest',
  matches: (argv) => jsInvocation(argv)?.runner === 'jest',
  instrument(argv, options) {
    const at = jsInvocation(argv)?.prefixLength ?? argv.length;
    const report = reportPath(options.reportDir, 'jest', 'json');
    // NAVI owns the JSON output: a user's own `--json` / `--outputFile` would fight over it.
    let args = withoutOptions(argv.slice(at), ['--outputFile'], ['--json', '--testLocationInResults']);
    if (options.files?.length) {
      args = withoutPositionals(
        withoutOptions(args, ['--testPathPattern', '--testPathPatterns'], ['--runTestsByPath']),
        VALUE_OPTIONS,
      );
      args.push('--runTestsByPath', ...options.files.map((f) => fileArg(f, options.cwd)));
    }
    if (options.testNames?.length) {
      args = withoutOptions(args, ['-t', '--testNamePattern']);
      args.push('-t', fullNamePattern(options.testNames));
    }
    // Jest keeps its transform cache in the temporary folder, which is new for every sandboxed
    // run: a cache kept between runs saves a few seconds on a large suite.
    const cache =
      options.cacheDir && !args.some((a) => /^--(cacheDirectory|no-cache|cache=false)\b/.test(a))
        ? [`--cacheDirectory=${path.join(options.cacheDir, 'jest')}`]
        : [];
    return {
      argv: [
        ...argv.slice(0, at),
        '--json',
        `--outputFile=${report}`,
        '--testLocationInResults',
        ...cache,
        ...args,
      ],
      reports: [report],
    };
  },
  parse(input) {
    const text = reportText(input);
    if (text === undefined) return noReport('Jest', input);
    const { tests, totals, errors } = parseJestLike(text, 'Jest', input);
    const extra = errors.length ? undefined : exitedWithoutFailure('Jest', input, totals);
    return { tests, totals, parsedFrom: 'machine', errors: extra ? [...errors, extra] : errors };
  },
};
