import * as fs from 'node:fs';
import * as path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { StackFrame, TestCaseResult, TestFailure } from '../../../../protocol/testing';
import { boundedText, isFreshReport, MAX_RAW_CHARS, testId, totalsOf } from './common';
import { stripAnsi } from './jsCommon';
import type { ParseInput, ParsedTests } from './types';

/**
 * The JUnit XML reader Maven (Surefire / Failsafe) and Gradle share. One `<testsuite>` per test
 * class, one `<testcase name classname time>` per test, with a `<failure>` (assertion),
 * `<error>` (any other exception: Surefire only, Gradle reports both as failures) or `<skipped>`
 * child. NAVI's statuses: failure and error → `failed` (Surefire's "Failures: 1, Errors: 1" are two
 * failed tests), skipped → `skipped`. The XML has no file or line: the test class
 * (`demo.CalcTest`, nested `demo.CalcTest$Inner`) is looked up as `<module>/src/test/java/demo/
 * CalcTest.java` (and Kotlin / Groovy, `src/it`, `src/integrationTest`), the declaration line is
 * the line of `void adds(`, and a failure's line is the stack frame `(CalcTest.java:7)` of that
 * class. Reports older than the step (`ParseInput.startedAtMs`) are ignored: they are left over
 * from an earlier build.
 */

const parser = new XMLParser({
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

const TEST_SOURCE_DIRS = [
  'src/test/java',
  'src/test/kotlin',
  'src/test/groovy',
  'src/test/scala',
  'src/it/java',
  'src/integrationTest/java',
  'src/integrationTest/kotlin',
  'src/main/java',
];
const SOURCE_EXTS = ['.java', '.kt', '.groovy', '.scala'];

export interface JunitRead {
  tests: TestCaseResult[];
  /** Reports that were read (fresh and parseable). */
  read: number;
  /** Reports skipped as older than the step. */
  stale: number;
  errors: string[];
}

/** Reads every fresh JUnit XML report of `input.reports`. Never throws. */
export function readJunitReports(input: ParseInput): JunitRead {
  const tests: TestCaseResult[] = [];
  const errors: string[] = [];
  const sources = new SourceIndex(input.workspaceRoot);
  let read = 0;
  let stale = 0;
  for (const [file, text] of input.reports) {
    if (!isFreshReport(file, input.startedAtMs)) {
      stale += 1;
      continue;
    }
    let doc: XmlNode;
    try {
      doc = parser.parse(text) as XmlNode;
    } catch (err) {
      errors.push(
        `Unreadable JUnit XML report ${path.basename(file)}: ${(err as Error).message.split('\n')[0]}.`,
      );
      continue;
    }
    read += 1;
    const moduleRoot = moduleRootOf(file, input.cwd);
    for (const testcase of testcasesOf(doc)) tests.push(toResult(testcase, moduleRoot, sources, input));
  }
  return { tests, read, stale, errors };
}

/** All `<testcase>` elements, however deeply `<testsuites>` / `<testsuite>` nest. */
function testcasesOf(node: unknown): XmlNode[] {
  if (!node || typeof node !== 'object') return [];
  const out: XmlNode[] = [];
  const visit = (n: unknown, depth: number) => {
    if (depth > 20 || !n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const item of n) visit(item, depth + 1);
      return;
    }
    const obj = n as XmlNode;
    if (Array.isArray(obj.testcase))
      out.push(...(obj.testcase as XmlNode[]).filter((t) => t && typeof t === 'object'));
    for (const key of ['testsuites', 'testsuite']) if (key in obj) visit(obj[key], depth + 1);
  };
  visit(node, 0);
  return out;
}

/** `<module>/target/surefire-reports/TEST-x.xml` → `<module>`; `<module>/build/test-results/test/…` likewise. */
export function moduleRootOf(reportFile: string, cwd: string): string {
  const parts = reportFile.split(path.sep);
  for (let i = parts.length - 2; i > 0; i--) {
    const [a, b] = [parts[i - 1], parts[i]];
    if (a === 'target' && /^(surefire|failsafe)-reports$/.test(b ?? ''))
      return parts.slice(0, i - 1).join(path.sep);
    if (a === 'build' && b === 'test-results') return parts.slice(0, i - 1).join(path.sep);
  }
  return cwd;
}

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function textOf(node: unknown): string {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object') return str((node as XmlNode)['#text']) ?? '';
  return '';
}

function toResult(
  testcase: XmlNode,
  moduleRoot: string,
  sources: SourceIndex,
  input: ParseInput,
): TestCaseResult {
  const rawName = str(testcase.name) ?? '(unnamed)';
  const classname = str(testcase.classname) ?? '';
  const file = classname ? sources.fileOf(classname, moduleRoot) : undefined;
  const simple = classname.split('.').pop() ?? '';
  // Nested classes (`CalcTest$Inner`, JUnit 5 @Nested) are suites inside their outer class.
  const suite = file ? simple.split('$').filter(Boolean) : classname ? [classname] : [];
  const name = rawName;
  const seconds = Number(str(testcase.time) ?? '');
  const durationMs = Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const problems = [
    ...((testcase.failure as unknown[] | undefined) ?? []),
    ...((testcase.error as unknown[] | undefined) ?? []),
  ];
  const skipped = Array.isArray(testcase.skipped) && testcase.skipped.length > 0;
  const declared = file ? sources.lineOf(file, methodName(rawName)) : undefined;
  const base = {
    id: testId(input.workspaceRoot, file, suite, name),
    name,
    suite,
    ...(file ? { file } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    step: input.step,
  };
  if (problems.length > 0) {
    const failure = toFailure(problems[0], moduleRoot, sources);
    const line = (file ? failure.stack.find((f) => f.file === file)?.line : undefined) ?? declared;
    return { ...base, ...(line ? { line } : {}), status: 'failed', failure };
  }
  return { ...base, ...(declared ? { line: declared } : {}), status: skipped ? 'skipped' : 'passed' };
}

/** The method a test name stands for: `adds()` (JUnit 5), `adds[0]` / `[1] 2` (parameterized) → `adds`. */
function methodName(name: string): string {
  return name.replace(/\(.*$/s, '').replace(/\[.*$/s, '').trim();
}

function toFailure(node: unknown, moduleRoot: string, sources: SourceIndex): TestFailure {
  const attrs = node && typeof node === 'object' ? (node as XmlNode) : {};
  const raw = stripAnsi(textOf(node)).trim();
  const type = str(attrs.type);
  const message = str(attrs.message) ?? raw.split('\n')[0] ?? type ?? 'Test failed';
  const diff = expectedActual(`${message}\n${raw}`);
  return {
    message: boundedText(message || type || 'Test failed'),
    ...(diff ? { expected: boundedText(diff.expected), actual: boundedText(diff.actual) } : {}),
    stack: javaStack(raw, moduleRoot, sources),
    ...(raw ? { raw: boundedText(raw, MAX_RAW_CHARS) } : {}),
  };
}

/**
 * expected/actual from the common JVM assertion messages: JUnit 4 `expected:<4> but was:<3>`,
 * JUnit 5 / opentest4j `expected: <4> but was: <3>`, AssertJ `expected: 4\n but was: 3`, Hamcrest
 * `Expected: is <4>\n     but: was <3>`.
 */
export function expectedActual(text: string): { expected: string; actual: string } | undefined {
  const junit = /expected:\s*<([\s\S]*?)>\s*but was:\s*<([\s\S]*?)>/.exec(text);
  if (junit) return { expected: junit[1]!, actual: junit[2]! };
  const hamcrest = /Expected: (.*)\n\s*but: (.*)/.exec(text);
  if (hamcrest) return { expected: hamcrest[1]!.trim(), actual: hamcrest[2]!.trim() };
  const assertj = /expected: (.*)\n\s*but was: (.*)/i.exec(text);
  if (assertj) return { expected: assertj[1]!.trim(), actual: assertj[2]!.trim() };
  return undefined;
}

// `at demo.CalcTest.addsWrong(CalcTest.java:7)`, `at app//demo.CalcTest.adds(CalcTest.java:7)`.
const JAVA_FRAME =
  /^\s*at (?:[\w.-]+\/\/?)?([\w$.]+)\.([\w$<>-]+)\(([\w$-]+\.(?:java|kt|groovy|scala)):(\d+)\)/;

/** Java stack frames whose class has a source file in the module (or the workspace), innermost first. */
export function javaStack(raw: string, moduleRoot: string, sources: SourceIndex, max = 20): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const line of raw.split('\n')) {
    const m = JAVA_FRAME.exec(line);
    if (!m) continue;
    const [, cls, fn, fileName, lineNo] = m;
    const file = sources.fileOf(cls!, moduleRoot, fileName);
    if (!file) continue;
    frames.push({ file, line: Number(lineNo), function: `${cls}.${fn}`.slice(0, 500) });
    if (frames.length >= max) break;
  }
  return frames;
}

/** Class name → source file, and method → declaration line, cached for one parse. */
export class SourceIndex {
  private readonly files = new Map<string, string | undefined>();
  private readonly texts = new Map<string, string[]>();

  constructor(private readonly workspaceRoot: string) {}

  /** The source file of a class (`demo.CalcTest`, `demo.CalcTest$Inner`), `fileName` from a stack frame when known. */
  fileOf(classname: string, moduleRoot: string, fileName?: string): string | undefined {
    const outer = classname.split('$')[0]!;
    const key = `${moduleRoot}\0${outer}\0${fileName ?? ''}`;
    if (this.files.has(key)) return this.files.get(key);
    const parts = outer.split('.');
    const pkgPath = parts.slice(0, -1).join('/');
    const names = fileName ? [fileName] : SOURCE_EXTS.map((ext) => `${parts[parts.length - 1]}${ext}`);
    let found: string | undefined;
    for (const root of [moduleRoot, this.workspaceRoot]) {
      for (const dir of TEST_SOURCE_DIRS) {
        for (const name of names) {
          const candidate = path.join(root, dir, pkgPath, name);
          if (fs.existsSync(candidate)) {
            found = candidate;
            break;
          }
        }
        if (found) break;
      }
      if (found) break;
    }
    this.files.set(key, found);
    return found;
  }

  /** 1-based line of `void <method>(` / `fun <method>(` / `def <method>(` in the file. */
  lineOf(file: string, method: string): number | undefined {
    if (!method || !/^[\w$]+$/.test(method)) return undefined;
    let lines = this.texts.get(file);
    if (!lines) {
      try {
        lines = fs.readFileSync(file, 'utf8').split('\n');
      } catch {
        lines = [];
      }
      this.texts.set(file, lines);
    }
    const decl = new RegExp(`\\b(?:void|fun|def)\\s+${method.replace(/\$/g, '\\$')}\\s*\\(`);
    const index = lines.findIndex((l) => decl.test(l));
    return index >= 0 ? index + 1 : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Build output (when the build stopped before writing reports)

/**
 * javac errors as Maven (`[ERROR] /abs/CalcTest.java:[9,5] cannot find symbol`) and Gradle
 * (`/abs/CalcTest.java:9: error: cannot find symbol`) print them, one sentence each.
 */
export function javaCompileErrors(output: string, max = 20): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const line of stripAnsi(output).split('\n')) {
    const m =
      /^\[ERROR\]\s+(\/.+?\.(?:java|kt|groovy|scala)):\[(\d+),(\d+)\]\s+(.+)$/.exec(line) ??
      /^(?:e: )?(\/.+?\.(?:java|kt|groovy|scala)):(\d+):(?:(\d+):)?\s*(?:error:\s*)?(.+)$/.exec(line);
    if (!m || /warning:/.test(m[4]!)) continue;
    const sentence = `Compilation error at ${m[1]}:${m[2]}: ${m[4]!.trim()}`;
    if (seen.has(sentence)) continue;
    seen.add(sentence);
    out.push(boundedText(sentence, 1_000));
    if (out.length >= max) break;
  }
  return out;
}

/** Parses JUnit XML reports into NAVI's results; `runner` names the build tool in sentences. */
export function parseJunit(
  input: ParseInput,
  runner: string,
  whyNoReports: () => string | undefined,
): ParsedTests {
  const { tests, read, stale, errors } = readJunitReports(input);
  const output = `${input.stdout}\n${input.stderr}`;
  if (read === 0 || (tests.length === 0 && input.exitCode !== 0)) {
    const compile = javaCompileErrors(output);
    errors.push(...compile);
    if (compile.length === 0 && input.exitCode !== 0) {
      const why = whyNoReports();
      const staleNote =
        stale > 0 ? ` (${stale} older report${stale === 1 ? '' : 's'} from an earlier run ignored)` : '';
      errors.push(
        `${runner} wrote no test reports${staleNote} (exit code ${input.exitCode ?? 'none'})${why ? `: ${why}` : ''}.`,
      );
    } else if (compile.length === 0 && read === 0 && stale > 0) {
      errors.push(
        `${runner} ran no tests: only ${stale} report${stale === 1 ? '' : 's'} from an earlier run exist (the test task may have been up to date).`,
      );
    }
  }
  return { tests, totals: totalsOf(tests), parsedFrom: 'machine', errors };
}
