import * as path from 'node:path';
import type { StackFrame, TestCaseResult, TestRunResult } from '../../protocol/testing';
import { PANEL_MAX_FAILURES, type TestRunSummary } from '../../protocol/webviewMessages';

/**
 * Pure mapping from NAVI's structured test results to what VS Code shows: the Test Explorer tree,
 * diagnostics and the panel's summary. No `vscode` import, so unit tests run it directly; the
 * features (testExplorer.ts, testDiagnostics.ts, tests.ts) turn these plain values into API
 * objects.
 */

const MAX_PANEL_MESSAGE = 4 * 1024;
const MAX_PANEL_TAIL = 4 * 1024;
const SLOWEST = 5;

/** `/`-separated path of `file` relative to `root` (the file itself when it is outside root). */
export function relativePath(root: string, file: string): string {
  const rel = path.relative(root, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return file.split(path.sep).join('/');
  return rel.split(path.sep).join('/');
}

/** A 1-based place in a file. */
export interface Place {
  file: string;
  line: number;
  column?: number;
}

/**
 * Where a failing test failed, for the diagnostic and the Test Explorer message: the innermost
 * stack frame in the test's own file, else the test's line, else the innermost frame anywhere in
 * the workspace.
 */
export function failureLocation(test: TestCaseResult): Place | undefined {
  const stack = test.failure?.stack ?? [];
  if (test.file) {
    const own = stack.find((f) => samePath(f.file, test.file!));
    if (own) return place(own);
    if (test.line) return { file: test.file, line: test.line };
  }
  const first = stack[0];
  if (first) return place(first);
  return test.file ? { file: test.file, line: 1 } : undefined;
}

function place(frame: StackFrame): Place {
  return { file: frame.file, line: frame.line, ...(frame.column ? { column: frame.column } : {}) };
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

/** Full title for people: `suite › inner › name`, and `#2` for a repeated one (test ids join with ` > `). */
export function fullTitle(test: Pick<TestCaseResult, 'suite' | 'name' | 'occurrence'>): string {
  return [...test.suite, nameOf(test)].join(' › ');
}

/** The test's title, with `#2` for the second test of its file with the same full title. */
function nameOf(test: Pick<TestCaseResult, 'name' | 'occurrence'>): string {
  return test.occurrence ? `${test.name} #${test.occurrence}` : test.name;
}

/** The panel's bounded summary of a run. */
export function summarizeRun(result: TestRunResult, root: string): TestRunSummary {
  const failed = result.tests.filter((t) => t.status === 'failed');
  const slowest = result.tests
    .filter((t) => t.durationMs !== undefined)
    .sort((a, b) => b.durationMs! - a.durationMs!)
    .slice(0, SLOWEST);
  return {
    status: result.status,
    totals: result.totals,
    steps: result.steps.map((s) => ({
      command: s.original || s.command,
      kind: s.kind,
      ...(s.runner ? { runner: s.runner } : {}),
      parsedFrom: s.parsedFrom,
      status: s.status,
      message: s.message,
      durationMs: s.durationMs,
      ...(s.logFile ? { logFile: s.logFile } : {}),
      ...(s.tail && s.status !== 'passed' ? { tail: s.tail.slice(-MAX_PANEL_TAIL) } : {}),
    })),
    failures: failed.slice(0, PANEL_MAX_FAILURES).map((t) => {
      const where = failureLocation(t);
      return {
        id: t.id,
        name: nameOf(t),
        suite: t.suite,
        ...(where ? { file: relativePath(root, where.file), line: where.line } : {}),
        message: cut(t.failure?.message || 'Failed.', MAX_PANEL_MESSAGE),
        ...(t.failure?.expected !== undefined
          ? { expected: cut(t.failure.expected, MAX_PANEL_MESSAGE) }
          : {}),
        ...(t.failure?.actual !== undefined ? { actual: cut(t.failure.actual, MAX_PANEL_MESSAGE) } : {}),
      };
    }),
    failuresTotal: failed.length,
    slowest: slowest.map((t) => ({
      id: t.id,
      name: fullTitle(t),
      ...(t.file ? { file: relativePath(root, t.file) } : {}),
      ...(t.line ? { line: t.line } : {}),
      durationMs: t.durationMs!,
    })),
  };
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// Test Explorer tree

/** One node of the Test Explorer tree: a file, a suite in it, or a test. */
export interface TreeNode {
  /** `file:<rel>`, `suite:<rel>::<suite > path>`, or the test's own id. */
  id: string;
  kind: 'file' | 'suite' | 'test';
  label: string;
  /** Beside the label: `#2` for the second test of a file with the same full title. */
  description?: string;
  /** Absolute file, when known. */
  file?: string;
  /** 1-based line of the test (tests only). */
  line?: number;
  children: TreeNode[];
}

export function fileNodeId(root: string, file: string): string {
  return `file:${relativePath(root, file)}`;
}

/**
 * The tree for `tests`: file → suites (nested, in order) → tests. Tests without a file hang
 * under a `file:` node labelled "(no file)". Child order is the order the runner reported.
 */
export function buildTree(tests: readonly TestCaseResult[], root: string): TreeNode[] {
  const files = new Map<string, TreeNode>();
  for (const t of tests) {
    const fileId = t.file ? fileNodeId(root, t.file) : 'file:';
    let node = files.get(fileId);
    if (!node) {
      node = {
        id: fileId,
        kind: 'file',
        label: t.file ? relativePath(root, t.file) : '(no file)',
        ...(t.file ? { file: t.file } : {}),
        children: [],
      };
      files.set(fileId, node);
    }
    let parent = node;
    for (let i = 0; i < t.suite.length; i++) {
      const id = `suite:${fileId.slice('file:'.length)}::${t.suite.slice(0, i + 1).join(' > ')}`;
      let suite = parent.children.find((c) => c.id === id);
      if (!suite) {
        suite = { id, kind: 'suite', label: t.suite[i]!, ...(t.file ? { file: t.file } : {}), children: [] };
        parent.children.push(suite);
      }
      parent = suite;
    }
    if (!parent.children.some((c) => c.id === t.id))
      parent.children.push({
        id: t.id,
        kind: 'test',
        label: t.name,
        ...(t.occurrence ? { description: `#${t.occurrence}` } : {}),
        ...(t.file ? { file: t.file } : {}),
        ...(t.line ? { line: t.line } : {}),
        children: [],
      });
  }
  return [...files.values()];
}

/** The test ids under a node (itself for a test). */
export function leafIds(node: TreeNode): string[] {
  return node.kind === 'test' ? [node.id] : node.children.flatMap(leafIds);
}

/**
 * What a Test Explorer selection asks NAVI to run: nothing selected → everything; a file → that
 * file; a suite or a test → those test ids. A file also covers everything selected inside it.
 */
export function selectionToRequest(selected: readonly TreeNode[]): { files?: string[]; testIds?: string[] } {
  if (selected.length === 0) return {};
  const files = selected.filter((n) => n.kind === 'file' && n.file).map((n) => n.file!);
  const testIds = selected
    .filter((n) => n.kind !== 'file' && !(n.file && files.includes(n.file)))
    .flatMap(leafIds);
  // A selection with tests in one file and a whole other file: run the file and the tests.
  return {
    ...(files.length ? { files: [...new Set(files)] } : {}),
    ...(testIds.length ? { testIds: [...new Set(testIds)] } : {}),
  };
}

/** "all tests", "2 files", "1 test", "1 file and 3 tests". */
export function describeScope(request: { files?: readonly string[]; testIds?: readonly string[] }): string {
  const parts = [
    request.files?.length ? plural(request.files.length, 'file') : '',
    request.testIds?.length ? plural(request.testIds.length, 'test') : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' and ') : 'all tests';
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "3 passed, 1 failed, 2 skipped in 1.2 s". */
export function describeTotals(totals: TestRunResult['totals']): string {
  const parts = [`${totals.passed} passed`];
  if (totals.failed) parts.push(`${totals.failed} failed`);
  if (totals.skipped) parts.push(`${totals.skipped} skipped`);
  if (totals.todo) parts.push(`${totals.todo} todo`);
  return `${parts.join(', ')} in ${formatDuration(totals.durationMs)}`;
}

/**
 * The running step for the status bar: "step 2/3, 4.1 s, 12 tests done", or "waiting for
 * approval" — the clock shows the tests' own time, which starts with their process.
 */
export function describeProgress(p: {
  step: number;
  steps: number;
  phase?: 'starting' | 'approval' | 'running';
  elapsedMs: number;
  done?: number;
}): string {
  const step = p.steps > 1 ? `step ${p.step + 1}/${p.steps}, ` : '';
  if (p.phase === 'approval') return `${step}waiting for approval`;
  if (p.phase === 'starting') return `${step}starting`;
  return `${step}${formatDuration(p.elapsedMs)}${p.done !== undefined ? `, ${plural(p.done, 'test')} done` : ''}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

// ---------------------------------------------------------------------------------------------
// Diagnostics

/** One Error diagnostic for a failing test. */
export interface DiagnosticSpec {
  /** Absolute file it goes in. */
  file: string;
  /** 1-based line and optional column. */
  line: number;
  column?: number;
  message: string;
  /** The test's full title (the diagnostic's code). */
  test: string;
  testId: string;
  /** Stack frames other than the failure's own place, innermost first. */
  related: StackFrame[];
}

/** One diagnostic per failing test with a known place, grouped by file. */
export function diagnosticSpecs(result: TestRunResult): Map<string, DiagnosticSpec[]> {
  const byFile = new Map<string, DiagnosticSpec[]>();
  for (const t of result.tests) {
    if (t.status !== 'failed') continue;
    const where = failureLocation(t);
    if (!where) continue;
    const spec: DiagnosticSpec = {
      file: where.file,
      line: where.line,
      ...(where.column ? { column: where.column } : {}),
      message: t.failure?.message?.trim() || `${t.name} failed.`,
      test: fullTitle(t),
      testId: t.id,
      related: (t.failure?.stack ?? []).filter(
        (f) => !(samePath(f.file, where.file) && f.line === where.line),
      ),
    };
    const list = byFile.get(where.file) ?? [];
    list.push(spec);
    byFile.set(where.file, list);
  }
  return byFile;
}

/**
 * The files whose NAVI test diagnostics a finished run replaces: every file when the whole suite
 * ran; else the files it ran (asked for or reported) and the files its tests' failures were in.
 * `undefined` means all.
 */
export function filesToClear(
  result: TestRunResult,
  request: { files?: readonly string[]; testIds?: readonly string[] },
): Set<string> | undefined {
  if (!request.files?.length && !request.testIds?.length) return undefined;
  const files = new Set<string>(request.files?.map((f) => path.resolve(result.project, f)) ?? []);
  for (const t of result.tests) {
    if (t.file) files.add(path.resolve(t.file));
    const where = t.status === 'failed' ? failureLocation(t) : undefined;
    if (where) files.add(path.resolve(where.file));
  }
  return files;
}

/**
 * The 0-based range a diagnostic covers on `line` (1-based) of `text`: from `column` (1-based)
 * or the first non-blank character to the end of the line without trailing blanks. A line past
 * the end of the text becomes the last line.
 */
export function lineRange(
  text: string,
  line: number,
  column?: number,
): { line: number; start: number; end: number } {
  const lines = text.split(/\r?\n/);
  const index = Math.min(Math.max(0, line - 1), Math.max(0, lines.length - 1));
  const content = lines[index] ?? '';
  const end = content.replace(/\s+$/, '').length;
  const firstNonBlank = content.length - content.trimStart().length;
  let start = column !== undefined ? Math.max(0, column - 1) : firstNonBlank;
  if (start >= end) start = Math.min(firstNonBlank, end);
  return { line: index, start, end: Math.max(end, start) };
}

// ---------------------------------------------------------------------------------------------
// Test file discovery (before any run: the profile's projects, by ecosystem)

/** Glob patterns (relative to a project directory) for the test files of an ecosystem. */
export function testFilePatterns(ecosystem: string): string[] {
  switch (ecosystem) {
    case 'node':
      return [
        '**/*.{test,spec}.{js,mjs,cjs,ts,mts,cts,jsx,tsx}',
        '**/*{-,_}test.{js,mjs,cjs}',
        '**/test-*.{js,mjs,cjs}',
        '{test,tests,__tests__}/**/*.{js,mjs,cjs,ts,mts,cts}',
      ];
    case 'python':
      return ['**/test_*.py', '**/*_test.py'];
    case 'go':
      return ['**/*_test.go'];
    case 'rust':
      return ['tests/**/*.rs'];
    case 'java':
      return ['src/test/**/*.{java,kt}'];
    default:
      return [];
  }
}

/** Folders never searched for test files. */
export const IGNORED_TEST_DIRS =
  '**/{node_modules,.git,dist,out,build,target,vendor,.venv,venv,__pycache__}/**';
