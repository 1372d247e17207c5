import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import type { TestCaseResult, TestFailure, TestStatus, TestTotals } from '../../../../protocol/testing';
import {
  boundedText,
  emptyTotals,
  failingLine,
  mapStack,
  MAX_RAW_CHARS,
  resolveReportPath,
  testId,
} from './common';
import type { ParseInput, ParsedTests } from './types';

/**
 * What the JavaScript adapters (node --test, mocha, Jest, Vitest) share: finding the runner behind
 * launchers (`npx`, `pnpm exec`, `node path/to/bin.js`), argv surgery, and turning one test of a
 * report into a TestCaseResult.
 */

export type JsRunner = 'node-test' | 'mocha' | 'jest' | 'vitest';

export interface JsInvocation {
  runner: JsRunner;
  /**
   * argv[0..prefixLength) launches the runner (`npx --no-install mocha`, `node --import tsx`,
   * `node node_modules/jest/bin/jest.js`); the runner's own arguments start at prefixLength. For
   * `node-test` it is the index right after `node` / `tsx`, where node options may go.
   */
  prefixLength: number;
}

/** Node options that take their value as the next argument (`--import tsx`, `-r ts-node/register`). */
export const NODE_VALUE_OPTIONS: ReadonlySet<string> = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-C',
  '--conditions',
  '--test-reporter',
  '--test-reporter-destination',
  '--test-name-pattern',
  '--test-skip-pattern',
  '--test-concurrency',
  '--test-timeout',
  '--test-shard',
  '--env-file',
  '--input-type',
  '--title',
  '--inspect-port',
  '--tsconfig',
]);

/** The runner a program token names: `mocha`, `./node_modules/.bin/jest`, `node_modules/mocha/bin/mocha.js`, `vitest@4`. */
function identity(token: string | undefined): string {
  if (!token) return '';
  const t = token.replace(/\\/g, '/');
  if (/(^|\/)mocha\/bin\/(_?mocha)(\.c?js)?$/.test(t)) return 'mocha';
  if (/(^|\/)(jest|jest-cli)\/bin\/jest(\.c?js)?$/.test(t)) return 'jest';
  if (/(^|\/)vitest\/vitest\.m?js$/.test(t)) return 'vitest';
  const base = t.split('/').pop() ?? '';
  const name = base.replace(/\.(c?js|mjs|cmd|exe)$/i, '');
  // `mocha@11`, `@scope/pkg@1` as npx arguments.
  return name.replace(/^(@?[^@]+)@.*$/, '$1').toLowerCase();
}

const RUNNER_NAMES: Record<string, JsRunner> = {
  mocha: 'mocha',
  _mocha: 'mocha',
  jest: 'jest',
  vitest: 'vitest',
};

/** Skips a launcher's own flags (`npx --no-install -y`, `-p pkg`) and a `--`. */
function skipFlags(argv: readonly string[], i: number, valueFlags: ReadonlySet<string>): number {
  while (i < argv.length && argv[i]!.startsWith('-')) {
    if (argv[i] === '--') return i + 1;
    i += valueFlags.has(argv[i]!) ? 2 : 1;
  }
  return i;
}

/** Which JavaScript runner argv invokes, through whichever launcher, or undefined. */
export function jsInvocation(argv: readonly string[]): JsInvocation | undefined {
  let i = 0;
  while (i < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i]!)) i++; // `CI=1 jest`
  let id = identity(argv[i]);
  if (id === 'npx' || id === 'pnpx' || id === 'bunx') {
    i = skipFlags(argv, i + 1, new Set(['-p', '--package', '-c', '--call']));
    id = identity(argv[i]);
  } else if (id === 'npm' && argv[i + 1] === 'exec') {
    i = skipFlags(argv, i + 2, new Set(['-p', '--package', '-w', '--workspace']));
    id = identity(argv[i]);
  } else if (id === 'pnpm' || id === 'yarn' || id === 'bun') {
    i++;
    if (argv[i] === 'exec' || argv[i] === 'dlx' || argv[i] === 'run' || argv[i] === 'x') i++;
    id = identity(argv[i]);
  }
  if (id === 'node' || id === 'nodejs' || id === 'tsx') {
    for (let j = i + 1; j < argv.length; j++) {
      const arg = argv[j]!;
      if (arg === '--test') return { runner: 'node-test', prefixLength: i + 1 };
      if (arg === '--') break;
      if (arg.startsWith('-')) {
        if (NODE_VALUE_OPTIONS.has(arg)) j++;
        continue;
      }
      // The script: `node node_modules/mocha/bin/mocha.js …`.
      const runner = RUNNER_NAMES[identity(arg)];
      return runner ? { runner, prefixLength: j + 1 } : undefined;
    }
    return undefined;
  }
  const runner = RUNNER_NAMES[id];
  return runner ? { runner, prefixLength: i + 1 } : undefined;
}

// ---------------------------------------------------------------------------------------------
// argv surgery

/** Whether an option (`--reporter`, `-R`) is present, as `--opt value` or `--opt=value`. */
export function hasOption(args: readonly string[], names: readonly string[]): boolean {
  return args.some((arg) => names.some((name) => arg === name || arg.startsWith(`${name}=`)));
}

/** The values of an option (`--opt value` and `--opt=value`), in order. */
export function optionValues(args: readonly string[], names: readonly string[]): string[] {
  const values: string[] = [];
  args.forEach((arg, i) => {
    for (const name of names) {
      if (arg === name && i + 1 < args.length) values.push(args[i + 1]!);
      else if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1));
    }
  });
  return values;
}

/** args without the given options (and their values: `--opt value`, `--opt=value`; `boolean` ones take none). */
export function withoutOptions(
  args: readonly string[],
  names: readonly string[],
  boolean: readonly string[] = [],
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (boolean.includes(arg)) continue;
    if (names.includes(arg)) {
      i++;
      continue;
    }
    if (names.some((name) => arg.startsWith(`${name}=`))) continue;
    out.push(arg);
  }
  return out;
}

/**
 * args without positional arguments (test file patterns), so that NAVI's file filter replaces
 * them. `valueOptions` take the next argument as their value; everything after `--` is kept.
 */
export function withoutPositionals(args: readonly string[], valueOptions: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') continue;
    out.push(arg);
    if (!arg.includes('=') && valueOptions.has(arg) && i + 1 < args.length) out.push(args[++i]!);
  }
  return out;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** NAVI's full test name (`suite > sub > title`, as in ids) split into suites and title. */
export function splitTestName(full: string): { suite: string[]; name: string } {
  const parts = full.split(' > ');
  return { suite: parts.slice(0, -1), name: parts[parts.length - 1] ?? full };
}

/**
 * One anchored regular expression for runners that match `-t` against suites and title joined by
 * a space (Jest, Vitest): `^(?:math adds|other)$`.
 */
export function fullNamePattern(testNames: readonly string[]): string {
  const alternatives = testNames.map((full) => {
    const { suite, name } = splitTestName(full);
    return escapeRegExp([...suite, name].join(' '));
  });
  return `^(?:${alternatives.join('|')})$`;
}

/** A file path as the runner's positional argument: relative to cwd when inside it (shorter, and what users type). */
export function fileArg(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
}

/**
 * `<reportDir>/<base>.<ext>`, or `<base>-2.<ext>`… when a previous step of the run took the name.
 * The file is created empty to reserve it; parsers treat an empty report as no report.
 */
export function reportPath(reportDir: string, base: string, ext: string): string {
  fs.mkdirSync(reportDir, { recursive: true });
  for (let n = 1; ; n++) {
    const candidate = path.join(reportDir, n === 1 ? `${base}.${ext}` : `${base}-${n}.${ext}`);
    try {
      fs.writeFileSync(candidate, '', { flag: 'wx' });
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** The text of the step's report, undefined when it is missing or empty (the runner never wrote it). */
export function reportText(input: ParseInput): string | undefined {
  const text = [...input.reports.values()][0];
  return text && text.trim() ? text : undefined;
}

// ---------------------------------------------------------------------------------------------
// Reading results

/** expected/actual as the runner would print them: strings as they are, other values inspected. */
export function showValue(value: unknown): string {
  const text =
    typeof value === 'string' ? value : inspect(value, { depth: 6, maxArrayLength: 100, breakLength: 80 });
  return boundedText(text);
}

export interface CaseInput {
  file?: string;
  suite: readonly string[];
  name: string;
  status: TestStatus;
  /** Declaration line, when the runner reports it. */
  line?: number;
  durationMs?: number;
  failure?: { message: string; raw?: string; expected?: string; actual?: string };
}

/**
 * A TestCaseResult with its stable id. For failures the line is the first stack frame inside the
 * test file (the failing assertion: where the diagnostic goes), else the declaration line.
 */
export function testCase(
  input: CaseInput,
  parse: Pick<ParseInput, 'cwd' | 'workspaceRoot' | 'step'>,
): TestCaseResult {
  const file = input.file ? resolveReportPath(input.file, parse.cwd) : undefined;
  let failure: TestFailure | undefined;
  let line = input.line && input.line > 0 ? input.line : undefined;
  if (input.failure) {
    const stack = mapStack(input.failure.raw ?? input.failure.message, parse.cwd, parse.workspaceRoot);
    failure = {
      message: boundedText(input.failure.message),
      ...(input.failure.expected !== undefined ? { expected: input.failure.expected } : {}),
      ...(input.failure.actual !== undefined ? { actual: input.failure.actual } : {}),
      stack,
      ...(input.failure.raw ? { raw: boundedText(input.failure.raw, MAX_RAW_CHARS) } : {}),
    };
    line = failingLine(stack, file) ?? line;
  }
  return {
    id: testId(parse.workspaceRoot, file, input.suite, input.name),
    name: input.name,
    suite: [...input.suite],
    ...(file ? { file } : {}),
    ...(line ? { line } : {}),
    status: input.status,
    ...(input.durationMs !== undefined && input.durationMs >= 0 ? { durationMs: input.durationMs } : {}),
    ...(failure ? { failure } : {}),
    step: parse.step,
  };
}

/** The first line of an error text that says what went wrong (`SyntaxError: …`, `Error: …`). */
export function errorLine(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const found = lines.find((line) => /^(\w*Error|Error \[|\w+Exception)\b/.test(line) || /^✖|^●/.test(line));
  return found ?? lines[lines.length - 1];
}

/** The sentence for a step whose process failed without any test failing. */
export function exitedWithoutFailure(
  runner: string,
  input: ParseInput,
  totals: TestTotals,
): string | undefined {
  if (input.exitCode === 0 || input.exitCode === null || totals.failed > 0) return undefined;
  const why = errorLine(input.stderr) ?? errorLine(input.stdout);
  return `${runner} exited with code ${input.exitCode} although no test failed${why ? `: ${why.slice(0, 300)}` : ''}.`;
}

/** The sentence for a step that left no report at all. */
export function missingReport(runner: string, input: ParseInput): string {
  const why = errorLine(input.stderr) ?? errorLine(input.stdout);
  const code = input.exitCode === null ? 'no exit code' : `exit code ${input.exitCode}`;
  return `${runner} wrote no report (${code}): it stopped before reporting${why ? `: ${why.slice(0, 300)}` : ''}.`;
}

/** The result when the runner's report file is missing: nothing read, and why. */
export function noReport(runner: string, input: ParseInput): ParsedTests {
  return { tests: [], totals: emptyTotals(), parsedFrom: 'machine', errors: [missingReport(runner, input)] };
}

// ---------------------------------------------------------------------------------------------
// Jest-compatible JSON (Jest `--json`, Vitest's `json` reporter)

interface JestAssertion {
  ancestorTitles?: unknown;
  title?: unknown;
  fullName?: unknown;
  status?: unknown;
  duration?: unknown;
  failureMessages?: unknown;
  failureDetails?: unknown;
  location?: { line?: unknown } | null;
}

interface JestFile {
  name?: unknown;
  testFilePath?: unknown;
  status?: unknown;
  message?: unknown;
  failureMessage?: unknown;
  testExecError?: { message?: unknown; stack?: unknown } | null;
  startTime?: unknown;
  endTime?: unknown;
  assertionResults?: unknown;
}

interface JestReport {
  numPassedTests?: unknown;
  numFailedTests?: unknown;
  numPendingTests?: unknown;
  numTodoTests?: unknown;
  startTime?: unknown;
  testResults?: unknown;
}

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function jestStatus(status: unknown): TestStatus | undefined {
  switch (status) {
    case 'passed':
      return 'passed';
    case 'failed':
      return 'failed';
    case 'pending':
    case 'skipped':
    case 'disabled':
      return 'skipped';
    case 'todo':
      return 'todo';
    default:
      return undefined; // `focused` and unknown statuses: not a finished test.
  }
}

/** expected/actual from Jest's failureDetails (`matcherResult` of expect, or an assertion error's fields). */
function jestExpectedActual(details: unknown): { expected?: string; actual?: string } {
  if (!Array.isArray(details)) return {};
  for (const detail of details) {
    if (!detail || typeof detail !== 'object') continue;
    const d = detail as Record<string, unknown>;
    const source = (d.matcherResult && typeof d.matcherResult === 'object' ? d.matcherResult : d) as Record<
      string,
      unknown
    >;
    if ('expected' in source || 'actual' in source) {
      return {
        ...('expected' in source ? { expected: showValue(source.expected) } : {}),
        ...('actual' in source ? { actual: showValue(source.actual) } : {}),
      };
    }
  }
  return {};
}

export interface JestLikeResult {
  tests: TestCaseResult[];
  totals: TestTotals;
  errors: string[];
}

/**
 * Reads a Jest-format JSON report. Totals are the report's own counters (what the runner prints in
 * its summary); a test file that failed to run is an error (Jest and Vitest count it as a failed
 * suite, not as a test).
 */
export function parseJestLike(text: string, runner: string, input: ParseInput): JestLikeResult {
  const errors: string[] = [];
  let report: JestReport;
  try {
    report = JSON.parse(text) as JestReport;
    if (!report || typeof report !== 'object') throw new Error('not an object');
  } catch (err) {
    return {
      tests: [],
      totals: emptyTotals(),
      errors: [`The ${runner} JSON report could not be read (${(err as Error).message}).`],
    };
  }
  const tests: TestCaseResult[] = [];
  const files = Array.isArray(report.testResults) ? (report.testResults as JestFile[]) : [];
  let end = 0;
  for (const file of files) {
    if (!file || typeof file !== 'object') continue;
    const fileName = str(file.name) ?? str(file.testFilePath);
    end = Math.max(end, num(file.endTime) ?? 0);
    const assertions = Array.isArray(file.assertionResults) ? (file.assertionResults as JestAssertion[]) : [];
    for (const a of assertions) {
      const status = jestStatus(a?.status);
      if (!a || !status) continue;
      const suite = Array.isArray(a.ancestorTitles) ? a.ancestorTitles.map(String) : [];
      const name = str(a.title) ?? str(a.fullName) ?? '(unnamed)';
      const messages = Array.isArray(a.failureMessages) ? a.failureMessages.map(String) : [];
      const raw = messages.join('\n\n');
      tests.push(
        testCase(
          {
            file: fileName,
            suite,
            name,
            status,
            line: num(a.location?.line),
            durationMs: num(a.duration),
            ...(status === 'failed'
              ? {
                  failure: {
                    message: messageOf(raw) || 'Failed',
                    raw,
                    ...jestExpectedActual(a.failureDetails),
                  },
                }
              : {}),
          },
          input,
        ),
      );
    }
    const headline =
      str(file.testExecError?.message) ?? (assertions.length === 0 ? str(file.message) : undefined);
    if (file.status === 'failed' && headline) {
      const full = `${headline}\n${str(file.message) ?? ''}\n${str(file.testExecError?.stack) ?? ''}`;
      const rel = fileName
        ? fileArg(resolveReportPath(fileName, input.cwd), input.workspaceRoot)
        : 'A test file';
      const where = mapStack(full, input.cwd, input.workspaceRoot)[0];
      const at = where ? ` (${fileArg(where.file, input.workspaceRoot)}:${where.line})` : '';
      errors.push(`${rel} failed to run${at}: ${errorSummary(headline, full)}`);
    }
  }
  const counted = {
    passed: num(report.numPassedTests),
    failed: num(report.numFailedTests),
    skipped: num(report.numPendingTests),
    todo: num(report.numTodoTests),
  };
  const fromTests = { passed: 0, failed: 0, skipped: 0, todo: 0 };
  for (const t of tests) fromTests[t.status]++;
  const start = num(report.startTime);
  const totals: TestTotals = {
    passed: counted.passed ?? fromTests.passed,
    failed: counted.failed ?? fromTests.failed,
    skipped: counted.skipped ?? fromTests.skipped,
    todo: counted.todo ?? fromTests.todo,
    durationMs: start && end >= start ? end - start : tests.reduce((sum, t) => sum + (t.durationMs ?? 0), 0),
  };
  return { tests, totals, errors };
}

/** The message part of a failure text: everything before the first stack frame, without ANSI colours. */
export function messageOf(raw: string): string {
  const plain = stripAnsi(raw);
  const frame = plain.search(/\n\s+at /);
  return (frame >= 0 ? plain.slice(0, frame) : plain).trim();
}

/**
 * A load error in one line: the headline (with its next line when it ends in a colon, as in
 * "Parse failed with 1 error:"), and the `SyntaxError: …` line of the details when the headline
 * does not say it ("Jest encountered an unexpected token").
 */
export function errorSummary(headline: string, full: string): string {
  const lines = stripAnsi(headline)
    .split('\n')
    .map((l) => l.replace(/^[\s●]+/, '').trim())
    .filter((l) => l && l !== 'Test suite failed to run');
  let text = lines[0] ?? '';
  if (text.endsWith(':') && lines[1]) text = `${text} ${lines[1]}`;
  const detail = stripAnsi(full)
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /^\w*Error: /.test(l));
  if (detail && !text.includes(detail) && !detail.includes(text)) text = `${text} (${detail})`;
  else if (detail && detail.includes(text)) text = detail;
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

/** The first meaningful line of a message, for one-sentence errors. */
export function oneLine(text: string, max = 300): string {
  const line =
    stripAnsi(text)
      .split('\n')
      .map((l) => l.replace(/^[\s●]+/, '').trim())
      .find((l) => l && !/^Test suite failed to run$/.test(l)) ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}
