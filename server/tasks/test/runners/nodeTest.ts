import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestCaseResult, TestStatus, TestTotals } from '../../../../protocol/testing';
import { resolveReportPath, totalsOf } from './common';
import type { ParseInput, ParsedTests, RunnerAdapter } from './types';
import {
  escapeRegExp,
  exitedWithoutFailure,
  fileArg,
  jsInvocation,
  oneLine,
  optionValues,
  reportPath,
  reportText,
  splitTestName,
  testCase,
  withoutPositionals,
  NODE_VALUE_OPTIONS,
  noReport,
} from './jsCommon';

/**
 * `node --test` (also `node --import tsx --test`, `node --experimental-strip-types --test`,
 * `tsx --test`).
 *
 * Reporters: `--test-reporter=spec --test-reporter-destination=stdout` keeps the usual output, and
 * a second reporter writes NDJSON to a file in reportDir. Node 20's built-in machine reporters fall
 * short: `junit` has no file or line, and it folds suites into names; `tap` has `location` and
 * YAML diagnostics, but as text to re-parse. A custom reporter (a module NAVI writes into
 * reportDir, loaded by node's documented `--test-reporter=<path>`) receives node's own event
 * objects: name, nesting, file, line and column of the declaration, duration, skip / todo, and
 * the error with its `cause` (an AssertionError's expected/actual), plus each file's stderr (what
 * a file that crashed or failed to load printed) and node's summary counters. Node ≥ 20.9 (which
 * reports `file`/`line` on every event).
 *
 * What node counts: every test (not `describe` suites) and every test file that failed outside a
 * test (a syntax error, `process.exit(1)`) as one test named after the file; a file's tests that
 * had not reported when its process exited are lost (node does not count them either). Node's
 * `cancelled` counter (tests cut off by a failing hook or parent) is counted as failed here: the
 * protocol has no cancelled status.
 */

const REPORTER_SOURCE = String.raw`// Written by NAVI: records node:test events as NDJSON (see server/tasks/test/runners/nodeTest.ts).
import { inspect } from 'node:util';
const MAX = 8192;
const STDERR_PER_FILE = 16384;
const cut = (s) => (typeof s === 'string' && s.length > MAX ? s.slice(0, MAX) + '…' : s);
const show = (v) => cut(typeof v === 'string' ? v : inspect(v, { depth: 6, maxArrayLength: 100, breakLength: 80 }));
function error(e) {
  if (e === undefined || e === null) return undefined;
  if (typeof e !== 'object') return { message: cut(String(e)) };
  const out = { message: cut(String(e.message ?? '')), failureType: e.failureType, code: e.code, exitCode: e.exitCode, signal: e.signal, stack: cut(e.stack) };
  const c = e.cause;
  if (c && typeof c === 'object') {
    out.cause = { name: c.name, message: cut(String(c.message ?? '')), code: c.code, stack: cut(c.stack) };
    if ('expected' in c) out.cause.expected = show(c.expected);
    if ('actual' in c) out.cause.actual = show(c.actual);
  } else if (c !== undefined) out.cause = { message: cut(String(c)) };
  return out;
}
export default async function* naviReporter(source) {
  const stderr = new Map();
  for await (const { type, data } of source) {
    if (type === 'test:pass' || type === 'test:fail') {
      const d = data.details ?? {};
      yield JSON.stringify({ type, name: data.name, nesting: data.nesting, file: data.file, line: data.line, column: data.column, skip: data.skip, todo: data.todo, durationMs: d.duration_ms, kind: d.type, error: type === 'test:fail' ? error(d.error) : undefined }) + '\n';
    } else if (type === 'test:diagnostic' && data.nesting === 0) {
      yield JSON.stringify({ type, message: data.message }) + '\n';
    } else if (type === 'test:stderr' && data.file) {
      const used = stderr.get(data.file) ?? 0;
      if (used >= STDERR_PER_FILE) continue;
      const message = String(data.message ?? '').slice(0, STDERR_PER_FILE - used);
      stderr.set(data.file, used + message.length);
      yield JSON.stringify({ type, file: data.file, message }) + '\n';
    }
  }
}
`;

function reporterSpecifier(file: string): string {
  // A Windows path (`C:\…`) would read as a URL scheme: node takes file:// URLs everywhere.
  return process.platform === 'win32' ? pathToFileURL(file).href : file;
}

export const nodeTestAdapter: RunnerAdapter = {
  id: 'node-test',
  matches: (argv) => jsInvocation(argv)?.runner === 'node-test',
  instrument(argv, options) {
    const at = jsInvocation(argv)?.prefixLength ?? argv.length;
    fs.mkdirSync(options.reportDir, { recursive: true });
    const reporter = reportPath(options.reportDir, 'navi-node-test-reporter', 'mjs');
    fs.writeFileSync(reporter, REPORTER_SOURCE);
    const report = reportPath(options.reportDir, 'node-test', 'ndjson');
    let rest = argv.slice(at);
    // node pairs reporters with destinations by position: a user's own reporters keep theirs (stdout
    // when they had none), NAVI's comes first with its file, and `spec` only when the user chose none.
    const userReporters = optionValues(rest, ['--test-reporter']).length;
    const userDestinations = optionValues(rest, ['--test-reporter-destination']).length;
    const added = [`--test-reporter=${reporterSpecifier(reporter)}`, `--test-reporter-destination=${report}`];
    if (userReporters === 0) added.push('--test-reporter=spec', '--test-reporter-destination=stdout');
    for (let i = userDestinations; i < userReporters; i++) added.push('--test-reporter-destination=stdout');
    for (const full of options.testNames ?? []) {
      // Node 20 matches a pattern against the test's own name, node ≥ 22 against suites and name
      // joined by spaces: the optional prefix matches both.
      const { suite, name } = splitTestName(full);
      const prefix = suite.length ? `(?:${escapeRegExp(suite.join(' '))} )?` : '';
      added.push(`--test-name-pattern=^${prefix}${escapeRegExp(name)}$`);
    }
    if (options.files?.length) {
      // The user's file patterns give way to NAVI's files.
      rest = [
        ...withoutPositionals(rest, NODE_VALUE_OPTIONS),
        ...options.files.map((f) => fileArg(f, options.cwd)),
      ];
    }
    return { argv: [...argv.slice(0, at), ...added, ...rest], reports: [report] };
  },
  parse: parseNodeTest,
};

interface NodeEvent {
  type?: string;
  name?: string;
  nesting?: number;
  file?: string;
  line?: number;
  skip?: string | boolean;
  todo?: string | boolean;
  durationMs?: number;
  kind?: string;
  message?: string;
  error?: {
    message?: string;
    failureType?: string;
    exitCode?: number | null;
    signal?: string | null;
    stack?: string;
    cause?: { name?: string; message?: string; stack?: string; expected?: string; actual?: string };
  };
}

interface Node {
  event: NodeEvent;
  children: Node[];
}

export function parseNodeTest(input: ParseInput): ParsedTests {
  const text = reportText(input);
  if (text === undefined) return noReport('node --test', input);
  const errors: string[] = [];
  const events: NodeEvent[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as NodeEvent);
    } catch {
      bad++;
    }
  }
  if (bad) errors.push(`${bad} line(s) of the node --test report could not be read.`);

  const stderr = new Map<string, string>();
  const counters = new Map<string, number>();
  // Node reports a test when it ends, children before their parent: collect children per level
  // until the parent arrives.
  const levels: Node[][] = [[]];
  for (const event of events) {
    if (event.type === 'test:stderr' && event.file) {
      stderr.set(event.file, (stderr.get(event.file) ?? '') + (event.message ?? ''));
    } else if (event.type === 'test:diagnostic') {
      const m = /^(\w+) ([\d.]+)$/.exec(event.message ?? '');
      if (m) counters.set(m[1]!, Number(m[2]));
    } else if (event.type === 'test:pass' || event.type === 'test:fail') {
      const level = Math.max(0, event.nesting ?? 0);
      while (levels.length <= level + 1) levels.push([]);
      const node: Node = { event, children: levels[level + 1]! };
      levels[level + 1] = [];
      levels[level]!.push(node);
    }
  }
  // Children whose parent never reported (the process ended early) still count.
  const roots = levels.flat();

  const tests: TestCaseResult[] = [];
  const walk = (node: Node, suite: string[]) => {
    const e = node.event;
    const name = e.name ?? '(unnamed)';
    const isFileLevel = !!e.file && (name === e.file || resolveReportPath(name, input.cwd) === e.file);
    if (e.kind === 'suite') {
      if (e.type === 'test:fail' && e.error?.failureType && e.error.failureType !== 'subtestsFailed') {
        errors.push(`Suite "${[...suite, name].join(' > ')}" failed: ${oneLine(causeMessage(e))}`);
      }
      for (const child of node.children) walk(child, [...suite, name]);
      return;
    }
    if (isFileLevel) {
      tests.push(fileFailure(e, stderr.get(e.file!) ?? '', input, errors));
      return;
    }
    tests.push(
      testCase(
        {
          file: e.file,
          suite,
          name,
          status: statusOf(e),
          line: e.line,
          durationMs: e.durationMs,
          ...(e.type === 'test:fail' ? { failure: failureOf(e) } : {}),
        },
        input,
      ),
    );
    for (const child of node.children) walk(child, [...suite, name]);
  };
  for (const root of roots) walk(root, []);

  const totals = countersToTotals(counters) ?? totalsOf(tests);
  if (!counters.has('tests')) {
    errors.push(
      `node --test stopped before printing its summary${input.exitCode !== null ? ` (exit code ${input.exitCode})` : ''}: the counts are the tests that reported.`,
    );
  }
  const extra = exitedWithoutFailure('node --test', input, totals);
  if (extra && !errors.length) errors.push(extra);
  return { tests, totals, parsedFrom: 'machine', errors };
}

function statusOf(e: NodeEvent): TestStatus {
  if (e.skip !== undefined && e.skip !== false) return 'skipped';
  if (e.todo !== undefined && e.todo !== false) return 'todo'; // node counts a failing todo test as todo
  return e.type === 'test:fail' ? 'failed' : 'passed';
}

function causeMessage(e: NodeEvent): string {
  const cause = e.error?.cause;
  return cause?.message || e.error?.message || 'failed';
}

function failureOf(e: NodeEvent): { message: string; raw?: string; expected?: string; actual?: string } {
  const cause = e.error?.cause;
  const message =
    e.error?.failureType === 'cancelledByParent'
      ? `Cancelled: ${e.error.message ?? 'its parent or a hook failed'}`
      : cause?.message || e.error?.message || 'Failed';
  return {
    message: cause?.name && cause.name !== 'Error' && cause.message ? `${cause.name}: ${message}` : message,
    raw: cause?.stack ?? e.error?.stack,
    ...(cause?.expected !== undefined ? { expected: cause.expected } : {}),
    ...(cause?.actual !== undefined ? { actual: cause.actual } : {}),
  };
}

/** A test file that failed outside any test: node counts it as one failed test named after the file. */
function fileFailure(e: NodeEvent, stderr: string, input: ParseInput, errors: string[]): TestCaseResult {
  const file = e.file!;
  const rel = fileArg(file, input.workspaceRoot);
  const code = e.error?.exitCode;
  const how =
    e.error?.signal != null
      ? `was killed by ${e.error.signal}`
      : code != null
        ? `exited with code ${code}`
        : 'failed';
  const why = errorIn(stderr);
  const message = `The test file ${how} outside a test${why ? `: ${why}` : ''}`;
  errors.push(`${rel}: ${message}.`);
  return testCase(
    {
      file,
      suite: [],
      name: path.relative(input.cwd, file).split(path.sep).join('/') || file,
      status: statusOf(e),
      durationMs: e.durationMs,
      failure: { message, raw: stderr || e.error?.stack },
    },
    input,
  );
}

/** The error line of what a crashed file printed (`SyntaxError: Unexpected token ';'`). */
function errorIn(stderr: string): string | undefined {
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /^(\w*Error|Error \[\w+\])\b.*:/.test(l) || /^\w*Error$/.test(l));
  return line?.slice(0, 300);
}

function countersToTotals(counters: ReadonlyMap<string, number>): TestTotals | undefined {
  if (!counters.has('tests')) return undefined;
  const get = (name: string) => counters.get(name) ?? 0;
  return {
    passed: get('pass'),
    failed: get('fail') + get('cancelled'),
    skipped: get('skipped'),
    todo: get('todo'),
    durationMs: get('duration_ms'),
  };
}
