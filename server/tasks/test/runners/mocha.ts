import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestCaseResult, TestStatus, TestTotals } from '../../../../protocol/testing';
import { totalsOf } from './common';
import type { InstrumentOptions, ParseInput, ParsedTests, RunnerAdapter } from './types';
import {
  exitedWithoutFailure,
  fileArg,
  fullNamePattern,
  jsInvocation,
  oneLine,
  optionValues,
  reportPath,
  reportText,
  testCase,
  withoutOptions,
  withoutPositionals,
  noReport,
} from './jsCommon';

/**
 * mocha 8–11. mocha runs exactly one reporter, and its `json` reporter (even with mocha 11's
 * `--reporter-option output=FILE`) would replace the spec output the user expects to see. So NAVI
 * writes a small CommonJS reporter into reportDir (`.cjs`: loaded with `require` by every mocha
 * version, whether the project is CommonJS or ESM) and runs `--reporter <that file>`. It creates
 * the reporter the user asked for (`--reporter`/`-R`, `.mocharc.json`/`.yml` or package.json's
 * `mocha.reporter`, else `spec`) from the mocha that is running, so the usual output stays on
 * stdout unchanged, and appends one NDJSON line per test to a file as the run goes: a test that
 * calls `process.exit` leaves the results up to that point, and the missing summary says the run
 * was cut short. The reporter gets nothing it does not already have: mocha's own runner events.
 *
 * What mocha gives: title, suites, file, duration, and the error (message, stack, and
 * expected/actual when the assertion library sets them, which node:assert and chai do). No
 * declaration line: a failure's line is the first stack frame in its test file, passing tests have
 * none. A failing hook is one failure for mocha (`"before all" hook for "x"`) and one failed
 * result here. Pending tests (`it.skip`, `xit`, `this.skip()`, `it('title')` without a body) are
 * skipped: mocha has no todo. A test file that does not load stops mocha before any test runs:
 * there is no report, and the error says why (from stderr). With `files`, a `spec` in .mocharc
 * still adds its files (mocha concatenates config and command-line specs).
 */

const REPORTER_SOURCE = String.raw`'use strict';
// Written by NAVI: the usual mocha reporter, plus one NDJSON line per test event (see server/tasks/test/runners/mocha.ts).
const fs = require('fs');
const path = require('path');
const util = require('util');
const OUT = __OUT__;
const INNER = __INNER__;
const MAX = 8192;
const cut = (s) => (typeof s === 'string' && s.length > MAX ? s.slice(0, MAX) + '…' : s);
const show = (v) => cut(typeof v === 'string' ? v : util.inspect(v, { depth: 6, maxArrayLength: 100, breakLength: 80 }));
function runningMocha() {
  const suffix = path.join('mocha', 'lib', 'mocha.js');
  for (const key of Object.keys(require.cache)) if (key.endsWith(suffix)) return require.cache[key].exports;
  try { return require(require.resolve('mocha', { paths: [process.cwd()] })); } catch (e) { return undefined; }
}
function innerReporter(Mocha) {
  const builtin = Mocha && Mocha.reporters;
  if (builtin && builtin[INNER]) return builtin[INNER];
  for (const load of [() => require(require.resolve(INNER, { paths: [process.cwd()] })), () => require(path.resolve(INNER))]) {
    try { const r = load(); return r && r.default ? r.default : r; } catch (e) { /* next */ }
  }
  process.stderr.write('NAVI: the mocha reporter "' + INNER + '" could not be loaded; using spec.\n');
  return builtin ? builtin.spec : undefined;
}
function titles(t) {
  if (typeof t.titlePath === 'function') return t.titlePath();
  const out = [t.title];
  for (let p = t.parent; p && !p.root; p = p.parent) out.unshift(p.title);
  return out;
}
function error(e) {
  if (!e || typeof e !== 'object') return { message: String(e) };
  const out = { name: e.name, message: cut(String(e.message ?? '')), stack: cut(typeof e.stack === 'string' ? e.stack : undefined), code: e.code, uncaught: !!e.uncaught };
  if (e.showDiff !== false && ('expected' in e || 'actual' in e)) {
    out.expected = show(e.expected);
    out.actual = show(e.actual);
  }
  return out;
}
class NaviReporter {
  constructor(runner, options) {
    const Inner = innerReporter(runningMocha());
    this.inner = Inner ? new Inner(runner, options) : undefined;
    const fd = fs.openSync(OUT, 'a');
    const write = (record) => fs.writeSync(fd, JSON.stringify(record) + '\n');
    const test = (type) => (t, err) => {
      write({ type, title: t.title, titlePath: titles(t), file: t.file || (t.parent && t.parent.file), durationMs: t.duration, hook: t.type === 'hook', error: type === 'fail' ? error(err) : undefined });
    };
    runner.on('start', () => write({ type: 'start', total: runner.total }));
    runner.on('pass', test('pass'));
    runner.on('fail', test('fail'));
    runner.on('pending', test('pending'));
    runner.on('end', () => write({ type: 'end', stats: runner.stats }));
  }
  done(failures, fn) {
    if (this.inner && typeof this.inner.done === 'function') this.inner.done(failures, fn);
    else fn(failures);
  }
}
module.exports = NaviReporter;
`;

/** mocha options that take a value as the next argument (so it is not taken for a spec). */
const VALUE_OPTIONS = new Set([
  '-R',
  '--reporter',
  '-O',
  '--reporter-option',
  '--reporter-options',
  '-u',
  '--ui',
  '-r',
  '--require',
  '-t',
  '--timeout',
  '-s',
  '--slow',
  '-g',
  '--grep',
  '-f',
  '--fgrep',
  '--config',
  '--package',
  '--extension',
  '--spec',
  '--ignore',
  '--exclude',
  '--file',
  '--retries',
  '-j',
  '--jobs',
  '-n',
  '--node-option',
  '--watch-files',
  '--watch-ignore',
  '--global',
  '--globals',
]);

/** The reporter a project configured for mocha (command line, then config), else `spec`. */
function userReporter(args: readonly string[], cwd: string): string {
  const fromArgs = optionValues(args, ['--reporter', '-R']).pop();
  if (fromArgs) return fromArgs;
  const read = (file: string) => {
    try {
      return fs.readFileSync(path.join(cwd, file), 'utf8');
    } catch {
      return undefined;
    }
  };
  const configFile = optionValues(args, ['--config']).pop();
  for (const file of configFile
    ? [configFile]
    : ['.mocharc.json', '.mocharc.jsonc', '.mocharc.yml', '.mocharc.yaml']) {
    const text = read(file);
    if (text === undefined) continue;
    const m = /(?:^|[\s{,])["']?reporter["']?\s*:\s*["']?([\w@./-]+)/m.exec(text);
    return m ? m[1]! : 'spec';
  }
  try {
    const pkg = JSON.parse(read('package.json') ?? '{}') as { mocha?: { reporter?: unknown } };
    if (typeof pkg.mocha?.reporter === 'string') return pkg.mocha.reporter;
  } catch {
    // not JSON: no reporter from there
  }
  return 'spec';
}

function instrument(argv: readonly string[], options: InstrumentOptions) {
  const at = jsInvocation(argv)?.prefixLength ?? argv.length;
  let args = argv.slice(at);
  const inner = userReporter(args, options.cwd);
  fs.mkdirSync(options.reportDir, { recursive: true });
  const report = reportPath(options.reportDir, 'mocha', 'ndjson');
  const reporter = reportPath(options.reportDir, 'navi-mocha-reporter', 'cjs');
  fs.writeFileSync(
    reporter,
    REPORTER_SOURCE.replace('__OUT__', JSON.stringify(report)).replace('__INNER__', JSON.stringify(inner)),
  );
  // One run (watch mode never ends), NAVI's reporter (which runs the user's).
  args = withoutOptions(args, ['--reporter', '-R'], ['--watch', '-w']);
  if (options.files?.length) {
    args = [...withoutPositionals(args, VALUE_OPTIONS), ...options.files.map((f) => fileArg(f, options.cwd))];
  }
  if (options.testNames?.length) {
    args = withoutOptions(args, ['--grep', '-g', '--fgrep', '-f'], ['--invert', '-i']);
    args.push('--grep', fullNamePattern(options.testNames));
  }
  return { argv: [...argv.slice(0, at), '--reporter', reporter, ...args], reports: [report] };
}

interface MochaRecord {
  type?: string;
  title?: string;
  titlePath?: unknown;
  file?: string;
  durationMs?: number;
  hook?: boolean;
  error?: {
    name?: string;
    message?: string;
    stack?: string;
    expected?: string;
    actual?: string;
    uncaught?: boolean;
  };
  stats?: { passes?: number; failures?: number; pending?: number; duration?: number };
}

function parse(input: ParseInput): ParsedTests {
  const text = reportText(input);
  if (text === undefined) return noReport('mocha', input);
  const errors: string[] = [];
  const tests: TestCaseResult[] = [];
  let stats: MochaRecord['stats'] | undefined;
  let bad = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let record: MochaRecord;
    try {
      record = JSON.parse(line) as MochaRecord;
    } catch {
      bad++;
      continue;
    }
    if (record.type === 'end') stats = record.stats;
    const status: TestStatus | undefined =
      record.type === 'pass'
        ? 'passed'
        : record.type === 'fail'
          ? 'failed'
          : record.type === 'pending'
            ? 'skipped'
            : undefined;
    if (!status) continue;
    const titlePath = Array.isArray(record.titlePath)
      ? record.titlePath.map(String)
      : [record.title ?? '(unnamed)'];
    const name = titlePath[titlePath.length - 1] ?? '(unnamed)';
    const err = record.error;
    if (status === 'failed' && !record.file) {
      errors.push(`mocha: ${name}: ${oneLine(err?.message ?? 'failed')}`);
    }
    tests.push(
      testCase(
        {
          file: record.file,
          suite: titlePath.slice(0, -1),
          name,
          status,
          durationMs: record.durationMs,
          ...(status === 'failed'
            ? {
                failure: {
                  message: `${err?.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err?.message || 'Failed'}`,
                  raw: err?.stack ?? err?.message,
                  ...(err?.expected !== undefined ? { expected: err.expected } : {}),
                  ...(err?.actual !== undefined ? { actual: err.actual } : {}),
                },
              }
            : {}),
        },
        input,
      ),
    );
  }
  if (bad) errors.push(`${bad} line(s) of the mocha report could not be read.`);
  let totals: TestTotals;
  if (stats) {
    totals = {
      passed: stats.passes ?? 0,
      failed: stats.failures ?? 0,
      skipped: stats.pending ?? 0,
      todo: 0,
      durationMs: stats.duration ?? 0,
    };
  } else {
    totals = totalsOf(tests);
    const why = oneLine(input.stderr) || oneLine(input.stdout);
    errors.push(
      `mocha stopped before the end of the run${input.exitCode !== null ? ` (exit code ${input.exitCode})` : ''}${why ? `: ${why}` : ''}; the counts are the tests that reported.`,
    );
  }
  const extra = exitedWithoutFailure('mocha', input, totals);
  if (extra && !errors.length) errors.push(extra);
  return { tests, totals, parsedFrom: 'machine', errors };
}

export const mochaAdapter: RunnerAdapter = {
  id: 'mocha',
  matches: (argv) => jsInvocation(argv)?.runner === 'mocha',
  instrument,
  parse,
};
