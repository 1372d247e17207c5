/**
 * The parsers of the checker adapters (checkers.ts): one per tool's machine-readable output, each
 * feeding a Collector (diagnostics.ts) and never throwing on what it cannot read.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckerContext, DiagnosticSeverity, Found } from './diagnostics';
import {
  Collector,
  isObject,
  jsonArray,
  lines,
  parseJson,
  positive,
  str,
  workspacePath,
} from './diagnostics';

/** tsc --pretty false: `src/a.ts(3,5): error TS2304: Cannot find name 'x'.`, indented continuation lines. */
export function parseTsc(c: Collector, stdout: string): void {
  const LOCATED = /^(.+?)\((\d+),(\d+)\): (error|warning|message) TS(\d+): (.*)$/;
  const GLOBAL = /^(error|warning|message) TS(\d+): (.*)$/;
  let last: Found | undefined;
  const flush = () => {
    if (last) c.add(last);
    last = undefined;
  };
  for (const line of lines(stdout)) {
    const m = LOCATED.exec(line);
    if (m) {
      flush();
      last = {
        file: m[1]!,
        line: Number(m[2]),
        column: Number(m[3]),
        code: `TS${m[5]}`,
        message: m[6]!,
        severity: m[4] === 'message' ? 'info' : (m[4] as DiagnosticSeverity),
      };
    } else if (last && /^\s/.test(line) && line.trim()) {
      last.message += `\n${line.trimEnd()}`;
    } else {
      flush();
      const g = GLOBAL.exec(line);
      if (g) c.note(`TS${g[2]}: ${g[3]}`);
    }
  }
  flush();
}

/** eslint --format json: `[{filePath, messages: [{ruleId, severity, message, line, column, endLine, endColumn, fix}]}]`. */
export function parseEslint(c: Collector, stdout: string): void {
  for (const file of jsonArray(stdout, c, 'eslint') ?? []) {
    if (!isObject(file) || !str(file.filePath) || !Array.isArray(file.messages)) continue;
    const filePath = str(file.filePath)!;
    for (const m of file.messages as unknown[]) {
      if (!isObject(m)) continue;
      const message = str(m.message) ?? '';
      if (positive(m.line) === undefined) {
        c.note(`${filePath}: ${message}`); // "File ignored because of a matching ignore pattern."
        continue;
      }
      c.add({
        file: filePath,
        line: m.line as number,
        column: m.column as number,
        endLine: m.endLine as number,
        endColumn: m.endColumn as number,
        code: str(m.ruleId) ?? (m.fatal ? 'syntax' : undefined),
        message,
        severity: m.severity === 2 || m.fatal ? 'error' : m.severity === 1 ? 'warning' : 'info',
        fixable: isObject(m.fix),
      });
    }
  }
}

/** A formatter's list of files (one path a line), and its parse errors as `file:line:col` diagnostics. */
function fileList(c: Collector, text: string): void {
  for (const line of lines(text)) if (line.trim()) c.unformatted(line.trim());
}

/** prettier --list-different: unformatted files on stdout; `[error] file: SyntaxError: … (l:c)` on stderr. */
export function parsePrettier(c: Collector, stdout: string, stderr: string): void {
  fileList(c, stdout);
  for (const line of lines(stderr)) {
    const err = /^\[error\] (.+?): (\w*Error): (.*?)(?: \((\d+):(\d+)\))?$/.exec(line);
    if (err) c.at(err[1]!, err[4] ?? 1, err[5] ?? 1, 'syntax', `${err[2]}: ${err[3]}`);
    const warn = /^\[warn\] (.+)$/.exec(line); // `--check` output, should it reach here
    if (err) continue;
    if (warn && !/^Code style issues|^All matched files/.test(warn[1]!)) c.unformatted(warn[1]!.trim());
    else if (/^\[error\]/.test(line)) c.note(line.replace(/^\[error\] /, ''));
  }
}

const FILE_LINE_COL = /^(?:vet: )?(.+?):(\d+):(\d+): (.*)$/;

/** gofmt -l: unformatted files on stdout; syntax errors `a.go:3:1: expected …` on stderr. */
export function parseGofmt(c: Collector, stdout: string, stderr: string): void {
  fileList(c, stdout);
  for (const line of lines(stderr)) {
    const m = FILE_LINE_COL.exec(line);
    if (m) c.at(m[1]!, m[2], m[3], 'syntax', m[4]!);
    else c.note(line);
  }
}

/**
 * go vet -json (on stderr): `# pkg` lines, then per package an indented JSON object
 * `{"pkg": {"analyzer": [{"posn": "/abs/a.go:6:2", "message": "…", "suggested_fixes": […]}]}}`
 * (or `{"error": "…"}` for an analyzer that failed). Type errors stay text: `vet: ./a.go:3:2: …`.
 */
export function parseGoVet(c: Collector, stdout: string, stderr: string): void {
  let json: string[] | undefined;
  for (const line of lines(`${stdout}\n${stderr}`)) {
    if (json) {
      json.push(line);
      if (line === '}') {
        const value = parseJson(json.join('\n'), c, 'go vet');
        json = undefined;
        if (isObject(value)) goVetPackages(c, value);
      }
      continue;
    }
    if (line === '{') json = [line];
    else if (line.startsWith('#') || !line.trim()) continue;
    else {
      const m = FILE_LINE_COL.exec(line);
      if (m && /\.go$/.test(m[1]!)) c.at(m[1]!, m[2], m[3], 'typecheck', m[4]!);
      else c.note(line);
    }
  }
  if (json) c.fail('The go vet JSON output ends in the middle of an object.');
}

function goVetPackages(c: Collector, value: Record<string, unknown>): void {
  for (const [pkg, analyzers] of Object.entries(value)) {
    if (!isObject(analyzers)) continue;
    for (const [analyzer, findings] of Object.entries(analyzers)) {
      if (!Array.isArray(findings)) {
        if (isObject(findings) && str(findings.error)) c.note(`${pkg} ${analyzer}: ${str(findings.error)}`);
        continue;
      }
      for (const f of findings as unknown[]) {
        const posn = isObject(f) ? /^(.+?):(\d+)(?::(\d+))?$/.exec(str(f.posn) ?? '') : null;
        if (!isObject(f) || !posn) continue;
        const fixable = Array.isArray(f.suggested_fixes) && f.suggested_fixes.length > 0;
        c.at(posn[1]!, posn[2], posn[3] ?? 1, analyzer, str(f.message) ?? analyzer, { fixable });
      }
    }
  }
}

/**
 * cargo check --message-format=json: one JSON object a line on stdout; `reason: "compiler-message"`
 * ones carry rustc's diagnostic (`level`, `message`, `code.code`, `spans[]` with `is_primary`,
 * `file_name` relative to the cargo workspace root, 1-based lines and columns, `expansion` for
 * macros, `suggestion_applicability`). Messages without a span ("aborting due to…") are notes.
 */
export function parseCargo(c: Collector, stdout: string): void {
  for (const line of lines(stdout)) {
    if (!line.startsWith('{')) continue;
    const value = parseJson(line, c, 'cargo');
    if (!isObject(value) || value.reason !== 'compiler-message' || !isObject(value.message)) continue;
    const msg = value.message;
    const level = str(msg.level) ?? '';
    if (level === 'failure-note') continue;
    const severity: DiagnosticSeverity = level.startsWith('error')
      ? 'error'
      : level === 'warning'
        ? 'warning'
        : 'info';
    const base = cargoBase(str(value.manifest_path), c.ctx);
    let span = Array.isArray(msg.spans)
      ? (msg.spans as unknown[]).find((s) => isObject(s) && s.is_primary)
      : undefined;
    // A macro's span points into the macro's crate: follow the expansions to the call site.
    for (let depth = 0; isObject(span) && depth < 20; depth++) {
      const inside = workspacePath(str(span.file_name) ?? '', base, c.ctx.workspaceRoot);
      const next = isObject(span.expansion) ? span.expansion.span : undefined;
      if (inside !== undefined || !isObject(next)) break;
      span = next;
    }
    if (!isObject(span)) {
      if (severity === 'error') c.note(str(msg.message) ?? '');
      continue;
    }
    c.add({
      file: str(span.file_name) ?? '',
      base,
      line: span.line_start as number,
      column: span.column_start as number,
      endLine: span.line_end as number,
      endColumn: span.column_end as number,
      code: isObject(msg.code) ? str(msg.code.code) : undefined,
      message: str(msg.message) ?? level,
      severity,
      fixable: JSON.stringify(msg).includes('"suggestion_applicability":"MachineApplicable"'),
    });
  }
}

/** The folder cargo's relative `file_name`s are relative to: the cargo workspace root, found upward. */
function cargoBase(manifest: string | undefined, ctx: CheckerContext): string {
  if (!manifest) return ctx.cwd;
  let dir = path.dirname(manifest);
  for (let depth = 0; depth < 30; depth++) {
    try {
      if (/^\s*\[workspace\]/m.test(fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8'))) return dir;
    } catch {
      // no manifest here
    }
    const parent = path.dirname(dir);
    if (parent === dir || path.relative(ctx.workspaceRoot, parent).startsWith('..')) break;
    dir = parent;
  }
  return path.dirname(manifest);
}

/**
 * ruff check --output-format=json: `[{code, message, filename (absolute), location {row, column},
 * end_location, fix: {applicability: "safe"|"unsafe"|"display", …} | null}]` (`code` null for
 * syntax errors; ruff before 0.1 wrote `fix` without `applicability`).
 */
export function parseRuff(c: Collector, stdout: string): void {
  for (const d of jsonArray(stdout, c, 'ruff') ?? []) {
    if (!isObject(d) || !str(d.filename)) continue;
    const at = isObject(d.location) ? d.location : {};
    const end = isObject(d.end_location) ? d.end_location : {};
    const fix = isObject(d.fix) ? d.fix : undefined;
    c.add({
      file: str(d.filename)!,
      line: at.row as number,
      column: at.column as number,
      endLine: end.row as number,
      endColumn: end.column as number,
      code: str(d.code) ?? 'syntax',
      message: str(d.message) ?? '',
      severity: 'error',
      fixable:
        fix !== undefined &&
        (fix.applicability === undefined || /^(safe|automatic)$/i.test(String(fix.applicability))),
    });
  }
}

/** flake8 default format: `./src/a.py:3:1: F401 'os' imported but unused` (W codes are warnings). */
export function parseFlake8(c: Collector, stdout: string): void {
  for (const line of lines(stdout)) {
    const m = /^(.+?):(\d+):(\d+): ([A-Z]+\d+) (.*)$/.exec(line);
    if (m) c.at(m[1]!, m[2], m[3], m[4], m[5]!, { severity: m[4]!.startsWith('W') ? 'warning' : 'error' });
  }
}

/** black --check (stderr): `would reformat src/a.py`; `error: cannot format src/b.py: Cannot parse…: 1:4: …`. */
export function parseBlack(c: Collector, stdout: string, stderr: string): void {
  for (const line of lines(`${stderr}\n${stdout}`)) {
    const would = /^would reformat (.+)$/.exec(line);
    if (would) c.unformatted(would[1]!.trim());
    const err = /^error: cannot format (.+?): (.*)$/.exec(line);
    if (err) {
      const at = /: (\d+):(\d+): /.exec(err[2]!);
      c.at(err[1]!, at?.[1] ?? 1, Number(at?.[2] ?? 0) + 1, 'syntax', err[2]!); // black's column is 0-based
    }
  }
}

/** isort --check-only (stderr): `ERROR: /abs/src/a.py Imports are incorrectly sorted and/or formatted.` */
export function parseIsort(c: Collector, stdout: string, stderr: string): void {
  for (const line of lines(`${stderr}\n${stdout}`)) {
    const m = /^ERROR: (.+?) Imports are incorrectly sorted/.exec(line);
    if (m) c.unformatted(m[1]!);
    else if (/^ERROR: /.test(line)) c.note(line.slice(7));
  }
}
