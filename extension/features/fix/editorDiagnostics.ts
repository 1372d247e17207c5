import * as path from 'node:path';
import {
  Diagnostic,
  MAX_DIAGNOSTIC_MESSAGE_CHARS,
  type DiagnosticSeverity,
} from '../../../protocol/diagnostics';

/**
 * The editor's diagnostics as the fix task's one diagnostic model (protocol/diagnostics.ts), for
 * `navi/fix`'s `editorDiagnostics`. Pure: it takes the shape of a `vscode.Diagnostic` without
 * importing `vscode`, so unit tests run it directly.
 */

/** The parts of a `vscode.Diagnostic` the conversion reads (0-based positions, as VS Code has them). */
export interface EditorDiagnosticLike {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  message: string;
  /** `vscode.DiagnosticSeverity`: 0 Error, 1 Warning, 2 Information, 3 Hint. */
  severity: number;
  source?: string;
  code?: string | number | { value: string | number; target?: unknown };
}

/** The adapter id NAVI gives diagnostics the editor reported (`Diagnostic.checker`). */
export const EDITOR_CHECKER = 'editor';
/** Most editor diagnostics sent with one `navi/fix` (the schema's limit). */
export const MAX_EDITOR_DIAGNOSTICS = 10_000;

const SEVERITIES: Record<number, DiagnosticSeverity> = { 0: 'error', 1: 'warning', 2: 'info', 3: 'info' };

/**
 * `file` (absolute) relative to `root`, `/`-separated; undefined when it is not strictly inside
 * root. Both are compared as given (VS Code's fsPath and the workspace folder's).
 */
export function workspaceRelative(root: string, file: string): string | undefined {
  const rel = path.relative(root, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

/**
 * The diagnostic's code as checkers print it: TypeScript's numeric codes (source `ts`) become
 * `TS2304`, as `tsc` prints them, so the agent sees the editor's error and the checker's as one.
 */
export function diagnosticCode(
  source: string | undefined,
  code: EditorDiagnosticLike['code'],
): string | undefined {
  const value = typeof code === 'object' && code !== null ? code.value : code;
  if (value === undefined || value === '') return undefined;
  const text = String(value);
  if (source === 'ts' && /^\d+$/.test(text)) return `TS${text}`;
  return text.slice(0, 200);
}

/**
 * One editor diagnostic in `file` (absolute) as a protocol `Diagnostic` (`checker: 'editor'`,
 * 1-based range, `source` from the diagnostic's source), or undefined when the file is outside
 * the workspace or the diagnostic does not fit the schema.
 */
export function toProtocolDiagnostic(
  root: string,
  file: string,
  d: EditorDiagnosticLike,
): Diagnostic | undefined {
  const rel = workspaceRelative(root, file);
  if (!rel) return undefined;
  const message =
    d.message.length > MAX_DIAGNOSTIC_MESSAGE_CHARS - 20
      ? `${d.message.slice(0, MAX_DIAGNOSTIC_MESSAGE_CHARS - 20)}… (cut)`
      : d.message;
  const source = d.source?.trim().slice(0, 200) || EDITOR_CHECKER;
  const code = diagnosticCode(d.source, d.code);
  const candidate = {
    file: rel,
    range: {
      startLine: d.range.start.line + 1,
      startColumn: d.range.start.character + 1,
      endLine: d.range.end.line + 1,
      endColumn: d.range.end.character + 1,
    },
    ...(code ? { code } : {}),
    source,
    message: message.trim() === '' ? '(no message)' : message,
    severity: SEVERITIES[d.severity] ?? 'info',
    checker: EDITOR_CHECKER,
  };
  const parsed = Diagnostic.safeParse(candidate);
  return parsed.success ? parsed.data : undefined;
}

export interface ScopedDiagnosticsOptions {
  /** Workspace root (absolute). */
  root: string;
  /** Only these files (workspace-relative); all files in the workspace when absent. */
  files?: ReadonlySet<string>;
  /** Lowest severity kept (default `error`: the editor's errors). */
  minSeverity?: DiagnosticSeverity;
  /** Sources left out (NAVI's own test failures are not the editor's errors). */
  excludeSources?: readonly string[];
}

const RANK: Record<DiagnosticSeverity, number> = { error: 2, warning: 1, info: 0 };

/**
 * The editor's diagnostics for the files in scope (`vscode.languages.getDiagnostics()`'s pairs of
 * absolute path and diagnostics), converted, without duplicates, at most `MAX_EDITOR_DIAGNOSTICS`.
 */
export function scopedDiagnostics(
  all: Iterable<readonly [file: string, diagnostics: readonly EditorDiagnosticLike[]]>,
  options: ScopedDiagnosticsOptions,
): Diagnostic[] {
  const min = RANK[options.minSeverity ?? 'error'];
  const excluded = new Set(options.excludeSources ?? []);
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const [file, diagnostics] of all) {
    const rel = workspaceRelative(options.root, file);
    if (!rel || (options.files && !options.files.has(rel))) continue;
    for (const d of diagnostics) {
      if (d.source && excluded.has(d.source)) continue;
      const converted = toProtocolDiagnostic(options.root, file, d);
      if (!converted || RANK[converted.severity] < min) continue;
      const key = `${converted.file}:${converted.range.startLine}:${converted.range.startColumn}:${converted.code ?? ''}:${converted.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(converted);
      if (out.length >= MAX_EDITOR_DIAGNOSTICS) return out;
    }
  }
  return out;
}

/** `a` and then the diagnostics of `b` that `a` does not have, at most `MAX_EDITOR_DIAGNOSTICS`. */
export function mergeDiagnostics(a: Diagnostic[], b: Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic) =>
    `${d.file}:${d.range.startLine}:${d.range.startColumn}:${d.code ?? ''}:${d.message}`;
  const seen = new Set(a.map(key));
  return [...a, ...b.filter((d) => !seen.has(key(d)))].slice(0, MAX_EDITOR_DIAGNOSTICS);
}
