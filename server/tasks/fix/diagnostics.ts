import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckerResult, Diagnostic, DiagnosticSeverity } from '../../../protocol/diagnostics';
import { redactSecrets } from '../../audit/redact';

/**
 * The one diagnostic model (protocol/diagnostics.ts) and what every checker adapter shares:
 * workspace-relative paths, bounded redacted messages, de-duplication and grouping by file, and
 * the Collector a parser feeds (it bounds what it is given and decides whether the run's result
 * is complete).
 */

export type {
  CheckerResult,
  Diagnostic,
  DiagnosticRange,
  DiagnosticSeverity,
} from '../../../protocol/diagnostics';

export interface CheckerContext {
  /** The command's working directory, absolute: relative paths in the output are resolved against it. */
  cwd: string;
  /** Workspace root, absolute (a real path): diagnostics outside it are dropped and counted. */
  workspaceRoot: string;
}

/** Most diagnostics one checker run yields; beyond it the result is marked incomplete. */
export const MAX_DIAGNOSTICS = 10_000;
/** Longest message kept (characters); longer ones are cut with a note of how much was left out. */
export const MAX_DIAGNOSTIC_MESSAGE = 8 * 1024;
/** Most file-less notes kept per run. */
export const MAX_NOTES = 50;

const SEVERITY_RANK: Record<DiagnosticSeverity, number> = { error: 2, warning: 1, info: 0 };

/** Redacts secrets, trims trailing space and caps the length (keeping the start). */
export function boundedMessage(text: string, max = MAX_DIAGNOSTIC_MESSAGE): string {
  // Redact a slightly longer prefix than is kept, so a secret cut at the limit is still caught.
  const head = text.length > max + 1024 ? text.slice(0, max + 1024) : text;
  const redacted = redactSecrets(head).replace(/\s+$/, '');
  const cut = redacted.length > max || head.length < text.length;
  const kept = redacted.length > max ? redacted.slice(0, max) : redacted;
  const message = cut ? `${kept}… (${text.length - kept.length} more characters)` : kept;
  return message.length > 0 ? message : '(no message)';
}

/**
 * A path a checker printed (absolute, relative to `base`, or a file:// URL) as a workspace-relative,
 * `/`-separated path; undefined when it is outside the workspace (or is the workspace itself).
 * `workspaceRoot` should be a real path; a file that is only inside it through a symlink
 * (`/var` → `/private/var`) is resolved with realpath.
 */
export function workspacePath(file: string, base: string, workspaceRoot: string): string | undefined {
  if (!file || file.includes('\0')) return undefined;
  let plain = file;
  if (file.startsWith('file://')) {
    try {
      plain = fileURLToPath(file);
    } catch {
      return undefined;
    }
  }
  const abs = path.resolve(base, plain);
  const inside = (candidate: string): string | undefined => {
    const rel = path.relative(workspaceRoot, candidate);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel))
      return undefined;
    return rel.split(path.sep).join('/');
  };
  const direct = inside(abs);
  if (direct !== undefined) return direct;
  try {
    return inside(fs.realpathSync(abs));
  } catch {
    return undefined;
  }
}

/** The identity of a diagnostic for de-duplication: file, start, code and message. */
function dedupeKey(d: Diagnostic): string {
  return JSON.stringify([d.file, d.range.startLine, d.range.startColumn, d.code ?? '', d.message]);
}

/**
 * One diagnostic per (file, range start, code, message), in first-seen order. When copies differ,
 * the kept one gets the highest severity and is `fixable` when any copy is (cargo reports a
 * library's diagnostics once per target, tsc -b once per project that includes the file).
 */
export function dedupe(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const byKey = new Map<string, Diagnostic>();
  for (const d of diagnostics) {
    const key = dedupeKey(d);
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { ...d, range: { ...d.range } });
      continue;
    }
    if (SEVERITY_RANK[d.severity] > SEVERITY_RANK[seen.severity]) seen.severity = d.severity;
    if (d.fixable === true) seen.fixable = true;
    else if (d.fixable === false && seen.fixable === undefined) seen.fixable = false;
  }
  return [...byKey.values()];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders by file (code-unit order, stable across locales), then line, column, severity (errors first). */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    compareText(a.file, b.file) ||
    a.range.startLine - b.range.startLine ||
    a.range.startColumn - b.range.startColumn ||
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    compareText(a.code ?? '', b.code ?? '') ||
    compareText(a.message, b.message)
  );
}

export interface FileDiagnostics {
  file: string;
  diagnostics: Diagnostic[];
}

/** The diagnostics grouped per file: files sorted by path, each file's by line, then column. */
export function groupByFile(diagnostics: readonly Diagnostic[]): FileDiagnostics[] {
  const groups = new Map<string, Diagnostic[]>();
  for (const d of [...diagnostics].sort(compareDiagnostics)) {
    const list = groups.get(d.file);
    if (list) list.push(d);
    else groups.set(d.file, [d]);
  }
  return [...groups.entries()].map(([file, list]) => ({ file, diagnostics: list }));
}

/** Counts per severity (for summaries: "3 errors, 1 warning"). */
export function countBySeverity(diagnostics: readonly Diagnostic[]): Record<DiagnosticSeverity, number> {
  const counts: Record<DiagnosticSeverity, number> = { error: 0, warning: 0, info: 0 };
  for (const d of diagnostics) counts[d.severity] += 1;
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Reading a checker's output

/** Longest line a parser looks at; longer lines are cut (regexes then stay linear and cheap). */
const MAX_LINE = 64 * 1024;

export function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => (l.length > MAX_LINE ? l.slice(0, MAX_LINE) : l));
}

function tail(text: string, count = 5): string {
  return lines(text.trim()).slice(-count).join('\n');
}

export interface Found {
  file: string;
  /** Directory a relative `file` is resolved against (default: cwd). */
  base?: string;
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  code?: string | null;
  message: string;
  severity: DiagnosticSeverity;
  fixable?: boolean;
}

export const positive = (n: unknown): number | undefined =>
  typeof n === 'number' && Number.isFinite(n) && n >= 1 ? Math.floor(n) : undefined;

/** Reads one checker run: bounds, relativises and de-duplicates what a parser finds, and judges completeness. */
export class Collector {
  readonly diagnostics: Diagnostic[] = [];
  readonly notes: string[] = [];
  readonly problems: string[] = [];
  dropped = 0;
  overflow = 0;
  constructor(
    readonly spec: { id: string; source: string; tool: string },
    readonly ctx: CheckerContext,
  ) {}

  add(f: Found): void {
    if (this.diagnostics.length >= MAX_DIAGNOSTICS) {
      this.overflow += 1; // past the cap paths are not even resolved (nor counted as dropped)
      return;
    }
    const file = workspacePath(f.file, f.base ?? this.ctx.cwd, this.ctx.workspaceRoot);
    if (file === undefined) {
      this.dropped += 1;
      return;
    }
    const startLine = positive(f.line) ?? 1;
    const startColumn = positive(f.column) ?? 1;
    const endLine = positive(f.endLine);
    const endColumn = positive(f.endColumn);
    this.diagnostics.push({
      file,
      range: {
        startLine,
        startColumn,
        ...(endLine !== undefined && endLine >= startLine ? { endLine } : {}),
        ...(endColumn !== undefined && endLine !== undefined && endLine >= startLine ? { endColumn } : {}),
      },
      ...(f.code ? { code: String(f.code).slice(0, 200) } : {}),
      source: this.spec.source,
      message: boundedMessage(f.message),
      severity: f.severity,
      checker: this.spec.id,
      ...(f.fixable !== undefined ? { fixable: f.fixable } : {}),
    });
  }

  /** Shorthand for a finding read from text (`file:line:col: message`). */
  at(
    file: string,
    line: unknown,
    column: unknown,
    code: string | undefined,
    message: string,
    more?: Partial<Found>,
  ): void {
    this.add({ file, line: Number(line), column: Number(column), code, message, severity: 'error', ...more });
  }

  /** A formatter's finding: the whole file would change. */
  unformatted(file: string, base?: string): void {
    this.add({
      file,
      base,
      code: 'format',
      message: `${this.spec.source} would reformat this file.`,
      severity: 'error',
      fixable: true,
    });
  }

  note(text: string): void {
    if (this.notes.length < MAX_NOTES && text.trim()) this.notes.push(boundedMessage(text.trim(), 2000));
  }

  fail(reason: string): void {
    this.problems.push(reason);
  }

  result(exitCode: number | null, stderr: string): CheckerResult {
    const reasons = [...this.problems];
    if (exitCode === null) reasons.push(`${this.spec.tool} was stopped before it finished.`);
    else if (exitCode !== 0 && this.diagnostics.length === 0 && this.dropped === 0 && reasons.length === 0) {
      const said = tail(stderr) || this.notes[0] || '';
      reasons.push(
        `${this.spec.tool} exited with code ${exitCode} without reporting a problem NAVI could read` +
          (said ? `: ${said}` : '.'),
      );
    }
    if (this.overflow > 0)
      reasons.push(`More than ${MAX_DIAGNOSTICS} diagnostics: ${this.overflow} were left out.`);
    const diagnostics = dedupe(this.diagnostics).sort(compareDiagnostics);
    return {
      checker: this.spec.id,
      diagnostics,
      complete: reasons.length === 0,
      ...(reasons.length > 0 ? { reason: boundedMessage(reasons.join(' '), 2000) } : {}),
      droppedOutsideWorkspace: this.dropped,
      notes: this.notes,
    };
  }
}

/** JSON.parse that reports failure instead of throwing. */
export function parseJson(text: string, c: Collector, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    c.fail(`The ${what} output is not valid JSON (${(error as Error).message.slice(0, 200)}).`);
    return undefined;
  }
}

/** The JSON array a tool printed on stdout (after any banner), or undefined with the result marked incomplete. */
export function jsonArray(text: string, c: Collector, what: string): unknown[] | undefined {
  const start = text.indexOf('[');
  if (start < 0) return void c.fail(`${what} printed no JSON report.`);
  const value = parseJson(text.slice(start), c, what);
  if (value !== undefined && !Array.isArray(value)) c.fail(`The ${what} report is not a list.`);
  return Array.isArray(value) ? value : undefined;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
