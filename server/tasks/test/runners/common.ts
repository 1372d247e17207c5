import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackFrame, TestCaseResult, TestStatus, TestTotals } from '../../../../protocol/testing';
import { redactSecrets } from '../../../audit/redact';

/** Helpers every runner adapter shares: ids, totals, stack mapping, bounded redacted text. */

export const MAX_MESSAGE_CHARS = 8 * 1024;
export const MAX_RAW_CHARS = 16 * 1024;

export function emptyTotals(): TestTotals {
  return { passed: 0, failed: 0, skipped: 0, todo: 0, durationMs: 0 };
}

/** Counts statuses; `durationMs` is the given run duration (or the sum of the tests' durations). */
export function totalsOf(
  tests: readonly Pick<TestCaseResult, 'status' | 'durationMs'>[],
  durationMs?: number,
): TestTotals {
  const totals = emptyTotals();
  let sum = 0;
  for (const test of tests) {
    totals[test.status satisfies TestStatus] += 1;
    sum += test.durationMs ?? 0;
  }
  totals.durationMs = durationMs ?? sum;
  return totals;
}

/** Stable test id: `<file relative to the workspace root>::<suite> > <name>` (`::<name>` without a file). */
export function testId(
  workspaceRoot: string,
  file: string | undefined,
  suite: readonly string[],
  name: string,
): string {
  const rel = file ? path.relative(workspaceRoot, file).split(path.sep).join('/') : '';
  return `${rel}::${[...suite, name].join(' > ')}`;
}

/** Redacts secrets and caps the length (keeping the start, which has the message). */
export function boundedText(text: string, max = MAX_MESSAGE_CHARS): string {
  const redacted = redactSecrets(text);
  return redacted.length <= max
    ? redacted
    : `${redacted.slice(0, max)}\n… (${redacted.length - max} more characters)`;
}

/** A path from a report (absolute, relative to cwd, or a file:// URL) as an absolute path. */
export function resolveReportPath(file: string, cwd: string): string {
  const plain = file.startsWith('file://') ? fileURLToPath(file) : file;
  return path.resolve(cwd, plain);
}

/** Whether `file` is inside `root` and not in a dependency folder. */
export function isWorkspaceSource(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return false;
  return !rel
    .split(path.sep)
    .some((part) => part === 'node_modules' || part === '.venv' || part === 'site-packages');
}

// V8 (`at fn (file:1:2)`, `at file:1:2`), Python (`File "x.py", line 3, in fn`), Go / Rust / generic `file.ext:line[:col]`.
const V8_FRAME = /^\s*at (?:(.+?) \()?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?\s*$/;
const PY_FRAME = /^\s*File "([^"]+)", line (\d+)(?:, in (.+))?/;
const GENERIC_FRAME = /((?:file:\/\/)?(?:[A-Za-z]:)?[^\s:()'"]*[\w-]\.[A-Za-z]{1,5}):(\d+)(?::(\d+))?/g;

/**
 * Stack frames of a failure text mapped to workspace files, innermost first (V8 and generic
 * frames are innermost first; Python tracebacks are outermost first and are reversed).
 */
export function mapStack(
  raw: string | undefined,
  cwd: string,
  workspaceRoot: string,
  max = 20,
): StackFrame[] {
  if (!raw) return [];
  const frames: StackFrame[] = [];
  const python: StackFrame[] = [];
  const seen = new Set<string>();
  const add = (list: StackFrame[], file: string, line: number, column?: number, fn?: string) => {
    // Runtime frames (`node:internal/…`, `node:async_hooks`) are not files, whatever cwd is.
    if (/^(?:node|internal|data|https?):/.test(file)) return;
    const abs = resolveReportPath(file, cwd);
    if (!isWorkspaceSource(abs, workspaceRoot) || !(line > 0)) return;
    const key = `${abs}:${line}:${column ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    list.push({
      file: abs,
      line,
      ...(column && column > 0 ? { column } : {}),
      ...(fn ? { function: fn.slice(0, 500) } : {}),
    });
  };
  for (const lineText of raw.split('\n')) {
    const v8 = V8_FRAME.exec(lineText);
    if (v8) {
      add(frames, v8[2]!, Number(v8[3]), Number(v8[4]), v8[1]);
      continue;
    }
    const py = PY_FRAME.exec(lineText);
    if (py) {
      add(python, py[1]!, Number(py[2]), undefined, py[3]);
      continue;
    }
    for (const m of lineText.matchAll(GENERIC_FRAME))
      add(frames, m[1]!, Number(m[2]), m[3] ? Number(m[3]) : undefined);
  }
  return [...python.reverse(), ...frames].slice(0, max);
}

/** The first frame in `file` (the failing line inside the test file), else the innermost frame. */
export function failingLine(stack: readonly StackFrame[], file: string | undefined): number | undefined {
  return (file ? stack.find((frame) => frame.file === file) : undefined)?.line;
}

// ---------------------------------------------------------------------------------------------
// Reports the build writes inside the project (`Instrumented.reportGlobs`: Maven, Gradle)

/** File-system clocks can be coarse (FAT: 2 s, some network file systems: 1 s). */
export const REPORT_CLOCK_SLACK_MS = 1_000;

const GLOB_SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '.venv', '.gradle', '.idea']);

/** A `/`-separated glob (`**` any folders, `*` and `?` within a name) as an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more folders; a trailing `**` anything.
      if (glob[i + 2] === '/') {
        re += '(?:[^/]+/)*';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Whether a report file was written by the step that started at `startedAtMs` (always true without it). */
export function isFreshReport(file: string, startedAtMs: number | undefined): boolean {
  if (startedAtMs === undefined) return true;
  try {
    return fs.statSync(file).mtimeMs >= startedAtMs - REPORT_CLOCK_SLACK_MS;
  } catch {
    return false;
  }
}

/**
 * The files under `cwd` that match `globs` (relative to cwd), absolute and sorted, skipping
 * dependency and VCS folders and, with `sinceMs`, files older than the step. Bounded: at most
 * `maxDirs` folders are read.
 */
export function expandReportGlobs(
  cwd: string,
  globs: readonly string[],
  sinceMs?: number,
  maxDirs = 20_000,
): string[] {
  const patterns = globs.map(globToRegExp);
  const found: string[] = [];
  const queue = [''];
  let dirs = 0;
  while (queue.length > 0 && dirs < maxDirs) {
    const rel = queue.shift()!;
    dirs += 1;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(cwd, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!GLOB_SKIP_DIRS.has(entry.name)) queue.push(child);
      } else if (entry.isFile() && patterns.some((re) => re.test(child))) {
        const abs = path.join(cwd, child);
        if (isFreshReport(abs, sinceMs)) found.push(abs);
      }
    }
  }
  return found.sort();
}
