import * as fs from 'node:fs';
import * as path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { TestCaseResult, TestFailure, TestTotals } from '../../../../protocol/testing';
import { boundedText, emptyTotals, mapStack, MAX_RAW_CHARS, testId, totalsOf } from './common';
import { escapeRegExp, fileArg, reportPath, splitTestName, stripAnsi } from './jsCommon';
import type { ParseInput, ParsedTests, RunnerAdapter } from './types';

/**
 * pytest. NAVI adds `--junitxml=FILE -o junit_family=xunit1`: pytest's JUnit XML beside its usual
 * terminal output. xunit1 because only that family has each test's `file` and `line` (xunit2, the
 * default since pytest 6, drops them); pytest writes `line` 0-based (the `def` or first decorator
 * line), so NAVI adds 1.
 *
 * Counting, set against pytest's own summary ("3 failed, 2 passed, 1 skipped, 1 xfailed,
 * 1 xpassed, 2 errors"):
 * - `failed` = failed + errors. pytest's errors (a fixture that fails in setup or teardown, a module
 *   that fails to import or collect) make the run fail like failures do. A collection error is also a
 *   sentence in `errors`; its result is named `[collection error]`, at the failing import line.
 * - `skipped` = skipped + xfailed (expected failures; the XML itself marks them `<skipped
 *   type="pytest.xfail">`).
 * - `passed` = passed + xpassed (a non-strict unexpected pass; a strict one is a failure).
 * A test that fails in the call and again in teardown appears twice in the XML and once here.
 */

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error', 'skipped'].includes(name),
});

type XmlNode = Record<string, unknown>;

/** pytest options that take a value as the next argument. */
const VALUE_OPTIONS = new Set([
  '-k',
  '-m',
  '-p',
  '-c',
  '-o',
  '-W',
  '-n',
  '-r',
  '--override-ini',
  '--rootdir',
  '--basetemp',
  '--confcutdir',
  '--maxfail',
  '--tb',
  '--deselect',
  '--ignore',
  '--ignore-glob',
  '--junit-prefix',
  '--log-level',
  '--log-file',
  '--durations',
  '--import-mode',
  '--cov',
  '--cov-report',
  '--dist',
  '--numprocesses',
  '--timeout',
  '--capture',
  '--color',
  '--code-highlight',
]);

/** argv[0..n) launches pytest: `pytest`, `py.test`, `.venv/bin/pytest`, `python3 -m pytest`, `poetry run pytest`, `uv run pytest`. */
export function pytestPrefix(argv: readonly string[]): number | undefined {
  const base = (token: string | undefined) => (token ?? '').replace(/\\/g, '/').split('/').pop() ?? '';
  const isPytest = (token: string | undefined) => /^(pytest|py\.test)(\.exe)?$/.test(base(token));
  const isPython = (token: string | undefined) => /^python(\d+(\.\d+)?)?(\.exe)?$/.test(base(token));
  let i = 0;
  // Launchers: `poetry run`, `uv run`, `pipenv run`, `pdm run`, `hatch run`, `rye run`.
  if (/^(poetry|uv|pipenv|pdm|hatch|rye)$/.test(base(argv[0])) && argv[1] === 'run') {
    i = 2;
    while (argv[i]?.startsWith('-')) i += 1; // `uv run --frozen pytest`
  }
  if (isPytest(argv[i])) return i + 1;
  if (isPython(argv[i])) {
    let j = i + 1;
    // `python3 -X dev -W error -m pytest`: skip interpreter options (and the values of -X / -W).
    while (argv[j]?.startsWith('-') && argv[j] !== '-m') j += argv[j] === '-X' || argv[j] === '-W' ? 2 : 1;
    if (argv[j] === '-m' && argv[j + 1] === 'pytest') return j + 2;
  }
  return undefined;
}

export const pytestAdapter: RunnerAdapter = {
  id: 'pytest',
  matches: (argv) => pytestPrefix(argv) !== undefined,
  instrument(argv, options) {
    const at = pytestPrefix(argv) ?? argv.length;
    const report = reportPath(options.reportDir, 'pytest', 'xml');
    let args = argv.slice(at).filter((a) => !/^--junit-?xml=/.test(a));
    args = args.filter((a, i) => !(/^--junit-?xml$/.test(a) || /^--junit-?xml$/.test(args[i - 1] ?? '')));
    const files = options.files ?? [];
    const names = options.testNames ?? [];
    const selection: string[] = [];
    if (files.length > 0 || names.length > 0) {
      args = withoutPaths(args, options.cwd);
      const k: string[] = [];
      for (const full of names) {
        if (full.includes('::')) {
          selection.push(nodeIdOf(full));
          continue;
        }
        const { suite, name } = splitTestName(full);
        if (files.length > 0)
          for (const file of files) selection.push([fileArg(file, options.cwd), ...suite, name].join('::'));
        else k.push(name.replace(/\[.*$/, ''));
      }
      if (names.length === 0) selection.push(...files.map((f) => fileArg(f, options.cwd)));
      if (k.length > 0) args.push('-k', k.map((n) => (/^\w+$/.test(n) ? n : escapeRegExp(n))).join(' or '));
    }
    // `-o` after the user's options wins over their ini file and their own `-o junit_family=`.
    return {
      argv: [
        ...argv.slice(0, at),
        `--junitxml=${report}`,
        ...args,
        '-o',
        'junit_family=xunit1',
        ...selection,
      ],
      reports: [report],
    };
  },
  parse(input) {
    const text = [...input.reports.values()][0];
    const summary = pytestSummary(`${input.stdout}\n${input.stderr}`);
    // reportPath reserves the file empty: still empty means pytest stopped before writing it.
    if (!text?.trim()) {
      const why = lastErrorLine(`${input.stdout}\n${input.stderr}`);
      return {
        tests: [],
        totals: summary ?? emptyTotals(),
        parsedFrom: 'machine',
        errors: [
          `pytest wrote no report (exit code ${input.exitCode ?? 'none'})${why ? `: ${why}` : ''}: it stopped before collecting tests.`,
        ],
      };
    }
    return parsePytestXml(text, input, summary);
  },
};

/** Drops positional test paths (files, folders, node ids) so a file filter replaces them. */
function withoutPaths(args: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('-')) {
      out.push(arg);
      if (!arg.includes('=') && VALUE_OPTIONS.has(arg) && i + 1 < args.length) out.push(args[++i]!);
      continue;
    }
    const looksLikePath = arg.includes('::') || arg.endsWith('.py') || fs.existsSync(path.resolve(cwd, arg));
    if (!looksLikePath) out.push(arg);
  }
  return out;
}

/** A pytest node id (`tests/test_x.py::Suite::name`, relative to cwd); NAVI's `::Suite > name` form is converted. */
function nodeIdOf(full: string): string {
  const at = full.indexOf('::');
  return `${full.slice(0, at)}::${full
    .slice(at + 2)
    .split(' > ')
    .join('::')}`;
}

/** pytest's own final line: "3 failed, 2 passed, 1 skipped, 1 xfailed, 1 xpassed, 2 errors in 0.06s", in NAVI's counting. */
export function pytestSummary(output: string): TestTotals | undefined {
  const lines = stripAnsi(output).split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.replace(/^=+\s*|\s*=+$/g, '').trim();
    const m = /^((?:\d+ \w+,? ?)+) in ([\d.]+)s\b/.exec(line);
    if (!m && !/^no tests ran in [\d.]+s/.test(line)) continue;
    const counts: Record<string, number> = {};
    for (const part of (m?.[1] ?? '').matchAll(/(\d+) (\w+)/g)) counts[part[2]!] = Number(part[1]);
    const get = (...keys: string[]) => keys.reduce((n, k) => n + (counts[k] ?? 0), 0);
    return {
      passed: get('passed', 'xpassed'),
      failed: get('failed', 'error', 'errors'),
      skipped: get('skipped', 'xfailed'),
      todo: 0,
      durationMs: Math.round(Number(m?.[2] ?? /([\d.]+)s/.exec(line)?.[1] ?? 0) * 1000),
    };
  }
  return undefined;
}

function lastErrorLine(output: string): string | undefined {
  const lines = stripAnsi(output)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const line = [...lines].reverse().find((l) => /^(E\s|ERROR\b|\w+Error\b|Traceback)|\berror:/.test(l));
  return line?.replace(/^E\s+/, '').slice(0, 300);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function textOf(node: unknown): string {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object') return str((node as XmlNode)['#text']) ?? '';
  return '';
}

function testcasesOf(doc: XmlNode): XmlNode[] {
  const out: XmlNode[] = [];
  const visit = (n: unknown, depth: number) => {
    if (depth > 10 || !n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach((item) => visit(item, depth + 1));
    const obj = n as XmlNode;
    if (Array.isArray(obj.testcase)) out.push(...(obj.testcase as XmlNode[]));
    for (const key of ['testsuites', 'testsuite']) if (key in obj) visit(obj[key], depth + 1);
  };
  visit(doc, 0);
  return out;
}

/** A path pytest printed relative to its rootdir, which may be above cwd: the first that exists. */
function resolveFromRootdir(rel: string, cwd: string, workspaceRoot: string): string {
  if (path.isAbsolute(rel)) return rel;
  let dir = cwd;
  for (;;) {
    const candidate = path.resolve(dir, rel);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir || !(dir + path.sep).startsWith(workspaceRoot + path.sep) || dir === workspaceRoot)
      return path.resolve(cwd, rel);
    dir = parent;
  }
}

/** `tests.test_calc.TestGroup` with file `tests/test_calc.py` → suites `['TestGroup']`. */
function suitesOf(classname: string, fileRel: string | undefined): string[] {
  if (!classname) return [];
  const module = fileRel?.replace(/\.py$/, '').split('/').join('.');
  if (module && (classname === module || classname.startsWith(`${module}.`)))
    return classname
      .slice(module.length + 1)
      .split('.')
      .filter(Boolean);
  // Without a file, the classes are the capitalised trailing parts (modules are lower-case by convention).
  const parts = classname.split('.');
  const first = parts.findIndex((p) => /^[A-Z]/.test(p));
  return first >= 0 ? parts.slice(first) : [];
}

export function parsePytestXml(text: string, input: ParseInput, summary?: TestTotals): ParsedTests {
  let doc: XmlNode;
  try {
    doc = xml.parse(text) as XmlNode;
  } catch (err) {
    return {
      tests: [],
      totals: summary ?? emptyTotals(),
      parsedFrom: 'machine',
      errors: [`Unreadable pytest JUnit XML report: ${(err as Error).message.split('\n')[0]}.`],
    };
  }
  const byId = new Map<string, TestCaseResult>();
  const errors: string[] = [];
  for (const tc of testcasesOf(doc)) {
    const fileRel = str(tc.file);
    const file = fileRel ? resolveFromRootdir(fileRel, input.cwd, input.workspaceRoot) : undefined;
    const classname = str(tc.classname) ?? '';
    let name = str(tc.name) ?? '(unnamed)';
    let suite = suitesOf(classname, fileRel);
    const declared = Number(str(tc.line));
    const seconds = Number(str(tc.time));
    const problem = (
      [...((tc.failure as unknown[]) ?? []), ...((tc.error as unknown[]) ?? [])] as unknown[]
    )[0];
    const skipped = ((tc.skipped as unknown[]) ?? [])[0];
    const collection =
      !classname &&
      problem !== undefined &&
      /collection failure/.test(str((problem as XmlNode)?.message) ?? '');
    if (collection) {
      name = '[collection error]';
      suite = [];
    }
    const result: TestCaseResult = {
      id: testId(input.workspaceRoot, file, suite, name),
      name,
      suite,
      ...(file ? { file } : {}),
      ...(Number.isInteger(declared) && declared >= 0 ? { line: declared + 1 } : {}),
      status: problem !== undefined ? 'failed' : skipped !== undefined ? 'skipped' : 'passed',
      ...(Number.isFinite(seconds) && seconds >= 0 ? { durationMs: Math.round(seconds * 1000) } : {}),
      step: input.step,
    };
    if (problem !== undefined) {
      const failure = toFailure(problem, input);
      result.failure = failure;
      const inFile = file ? failure.stack.find((f) => f.file === file)?.line : undefined;
      if (inFile) result.line = inFile;
      if (collection)
        errors.push(`${fileRel ?? 'A test module'} failed to import: ${failure.message.split('\n')[0]}`);
    }
    // A failure in the call and an error in teardown are two <testcase>s with one name: keep the first failure.
    const previous = byId.get(result.id);
    if (!previous || (previous.status !== 'failed' && result.status === 'failed'))
      byId.set(result.id, result);
  }
  const tests = [...byId.values()];
  const totals = totalsOf(tests);
  if (summary) totals.durationMs = summary.durationMs;
  return { tests, totals, parsedFrom: 'machine', errors };
}

function toFailure(node: unknown, input: ParseInput): TestFailure {
  const attrs = node && typeof node === 'object' ? (node as XmlNode) : {};
  const raw = stripAnsi(textOf(node));
  const attr = str(attrs.message);
  // A collection error's message is just "collection failure": the `E   ModuleNotFoundError: …` line says more.
  const message = (attr && attr !== 'collection failure' ? attr : errorMessage(raw) || attr) || 'Test failed';
  const diff = assertionDiff(raw);
  return {
    message: boundedText(message),
    ...diff,
    stack: pytestStack(raw, input),
    ...(raw ? { raw: boundedText(raw, MAX_RAW_CHARS) } : {}),
  };
}

/** The `E   …` lines of pytest's failure text. */
function errorMessage(raw: string): string {
  return raw
    .split('\n')
    .filter((l) => /^E\s/.test(l))
    .map((l) => l.replace(/^E\s{1,3}/, ''))
    .join('\n')
    .trim();
}

/**
 * expected/actual of a plain `assert left == right`: pytest prints `assert 3 == 4` with the
 * evaluated operands (`+  where 3 = add(1, 2)` lines follow). NAVI reads `assert ACTUAL == EXPECTED`,
 * the order pytest's own docs use; only for a single comparison with short operands.
 */
export function assertionDiff(raw: string): { expected?: string; actual?: string } {
  const line = raw.split('\n').find((l) => /^E\s+(?:AssertionError: )?assert /.test(l));
  const m = line && /^E\s+(?:AssertionError: )?assert (.+?) (==|!=) (.+)$/.exec(line);
  if (!m || m[2] !== '==') return {};
  return { actual: boundedText(m[1]!), expected: boundedText(m[3]!) };
}

/**
 * pytest's `--tb=auto` text ends each entry with `path/to/file.py:10: ErrorType`; its long
 * tracebacks (`--tb=native`) have `File "x.py", line 3` frames, which mapStack reads. Innermost first.
 */
function pytestStack(raw: string, input: ParseInput) {
  const frames = [];
  const entries = [...raw.matchAll(/^([^\s:][^:\n]*\.py):(\d+): /gm)].reverse();
  for (const m of entries) {
    const file = resolveFromRootdir(m[1]!, input.cwd, input.workspaceRoot);
    frames.push(...mapStack(`${file}:${m[2]}`, input.cwd, input.workspaceRoot, 1));
  }
  const rest = mapStack(
    raw
      .split('\n')
      .filter((l) => /^\s*File "/.test(l))
      .join('\n'),
    input.cwd,
    input.workspaceRoot,
  );
  const seen = new Set(frames.map((f) => `${f.file}:${f.line}`));
  return [...frames, ...rest.filter((f) => !seen.has(`${f.file}:${f.line}`))].slice(0, 20);
}
