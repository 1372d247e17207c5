import type { RunnerAdapter } from './types';
import {
  exitedWithoutFailure,
  fileArg,
  fullNamePattern,
  hasOption,
  jsInvocation,
  parseJestLike,
  reportPath,
  reportText,
  withoutOptions,
  withoutPositionals,
  noReport,
} from './jsCommon';

/**
 * Vitest. `vitest` alone is watch mode (it would never end): NAVI runs `vitest run`. Reporters:
 * `--reporter=default --reporter=json --outputFile.json=FILE` keeps the usual output on stdout and
 * writes the Jest-compatible JSON report (a user's own `--reporter` flags are kept instead of
 * `default`); `--includeTaskLocation` (Vitest ≥ 1.4) adds each test's declaration line. Vitest's
 * JSON carries failure messages and stacks but not expected/actual as separate values. A file that
 * fails to load is a failed test file for Vitest ("Test Files 1 failed"), not a test: it is
 * reported in `errors`, and the totals stay Vitest's own (`Tests …` line).
 */

const VALUE_OPTIONS = new Set([
  '-c',
  '--config',
  '-r',
  '--root',
  '--dir',
  '-t',
  '--testNamePattern',
  '--reporter',
  '--outputFile',
  '--project',
  '--environment',
  '--pool',
  '--shard',
  '--exclude',
  '--mode',
  '--maxWorkers',
  '--minWorkers',
  '--testTimeout',
  '--hookTimeout',
  '--retry',
  '--bail',
  '--changed',
  '--sequence.seed',
]);

/** Subcommands that run tests once (`related` takes source files), and the watch-mode ones NAVI turns into `run`. */
const RUN_COMMANDS = new Set(['run', 'related']);
const WATCH_COMMANDS = new Set(['watch', 'dev']);
const OTHER_COMMANDS = new Set(['bench', 'list', 'init', 'typecheck']);

export const vitestAdapter: RunnerAdapter = {
  id: 'vitest',
  matches(argv) {
    const inv = jsInvocation(argv);
    return inv?.runner === 'vitest' && !OTHER_COMMANDS.has(argv[inv.prefixLength] ?? '');
  },
  instrument(argv, options) {
    const at = jsInvocation(argv)?.prefixLength ?? argv.length;
    const report = reportPath(options.reportDir, 'vitest', 'json');
    let rest = argv.slice(at);
    let command = 'run';
    if (RUN_COMMANDS.has(rest[0] ?? '') || WATCH_COMMANDS.has(rest[0] ?? '')) {
      command = rest[0] === 'related' ? 'related' : 'run';
      rest = rest.slice(1);
    }
    // One run, not watch mode; NAVI owns the JSON output file.
    let args = withoutOptions(
      rest.filter((arg) => !/^--outputFile\.json(=|$)/.test(arg)),
      ['--outputFile'],
      ['--watch', '-w', '--run', '--includeTaskLocation', '--no-watch'],
    );
    const userReporters = hasOption(args, ['--reporter']);
    if (options.files?.length && command === 'run') {
      args = withoutPositionals(args, VALUE_OPTIONS);
      args.push(...options.files.map((f) => fileArg(f, options.cwd)));
    }
    if (options.testNames?.length) {
      args = withoutOptions(args, ['-t', '--testNamePattern']);
      args.push('-t', fullNamePattern(options.testNames));
    }
    return {
      argv: [
        ...argv.slice(0, at),
        command,
        ...(userReporters ? [] : ['--reporter=default']),
        '--reporter=json',
        `--outputFile.json=${report}`,
        '--includeTaskLocation',
        ...args,
      ],
      reports: [report],
    };
  },
  parse(input) {
    const text = reportText(input);
    if (text === undefined) return noReport('Vitest', input);
    const { tests, totals, errors } = parseJestLike(text, 'Vitest', input);
    const extra = errors.length ? undefined : exitedWithoutFailure('Vitest', input, totals);
    return { tests, totals, parsedFrom: 'machine', errors: extra ? [...errors, extra] : errors };
  },
};
