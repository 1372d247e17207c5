import * as z from 'zod';
import type { Diagnostic } from '../../../../protocol/diagnostics';
import type { ModelMessage } from './providers';

/**
 * What the model is shown and how its answer is read. The answer is search/replace edits in one
 * JSON object, read strictly: a model's edit is applied only when every part of the answer is
 * what the prompt asked for, and the reason it was refused goes back to the model on its next try.
 * Search/replace rather than line numbers or unified diffs because a model copies text far more
 * reliably than it counts lines, and a search that is not found exactly once is a clear refusal
 * instead of an edit in the wrong place.
 */

export interface ModelEdit {
  /** Workspace-relative path, as the prompt wrote it. */
  file: string;
  /** Text that occurs exactly once in the file's current text. */
  search: string;
  replace: string;
}

export interface SourceFile {
  /** Workspace-relative, `/`-separated. */
  path: string;
  /** The file's current text. */
  content: string;
}

/** The receipt of the model's last try, so that it sees why it failed. */
export interface LastAttempt {
  edits: ModelEdit[];
  /** Why NAVI did not keep it (one sentence). */
  reason: string;
  /** The diagnostics the checkers reported after it. */
  diagnosticsAfter: Diagnostic[];
  /** Tests that passed before it and failed after it. */
  failedTests?: string[];
}

export interface PromptInput {
  diagnostics: Diagnostic[];
  files: SourceFile[];
  lastAttempt?: LastAttempt;
}

export interface Prompt {
  system: string;
  messages: ModelMessage[];
}

export const MAX_EDITS = 50;
/** Most bytes of `search` plus `replace` text in one answer. */
export const MAX_EDIT_BYTES = 200 * 1024;
/** A file up to this many lines (and characters) is shown whole; a longer one as excerpts. */
export const WHOLE_FILE_LINES = 200;
const WHOLE_FILE_CHARS = 40_000;
/** Lines shown before and after each diagnostic in an excerpt. */
export const CONTEXT_LINES = 30;
/** A longer line (minified code) is cut in the prompt; the model cannot search in it. */
const MAX_LINE_CHARS = 1000;
/** Diagnostics listed per prompt; the caller sends smaller groups anyway. */
const MAX_LISTED_DIAGNOSTICS = 200;
/** File text in one prompt; files beyond it are named but not shown. */
const MAX_FILE_TEXT_CHARS = 400_000;

const SYSTEM = `You fix the errors that a project's checkers (type checker, linter, format check) report. NAVI applies your edits, runs the checkers and the tests again, and keeps the edits only when the errors are gone and nothing else broke.

Answer with one JSON object and nothing else (one \`\`\`json fence around it is accepted):
{"edits": [{"file": "src/a.ts", "search": "exact text", "replace": "new text"}], "explanation": "one or two sentences"}

Rules:
- "file" is one of the files shown, with its path written exactly as shown.
- "search" is text copied exactly from that file as shown: the same spaces, indentation and line breaks, without the line numbers and "| " at the start of each shown line. It must occur exactly once in the file; include neighbouring lines to make it unique. It must not be empty.
- "replace" is the text that takes its place. Edits apply in order: a later edit sees the text after the earlier ones.
- At most ${MAX_EDITS} edits. Make the smallest change that fixes the cause, in the code's own style.
- Never silence a check: no @ts-ignore, @ts-expect-error, eslint-disable or noqa comments, no casts to any, no deleted or skipped tests.
- Leave out an error you cannot fix safely. If you can fix none, answer {"edits": [], "explanation": "why"}.
- The objects have exactly the fields above.`;

/** The system prompt and messages for one try (a second try also sees the first and why it failed). */
export function buildPrompt(input: PromptInput): Prompt {
  const task = describeTask(input.diagnostics, input.files);
  const messages: ModelMessage[] = [{ role: 'user', content: task }];
  if (input.lastAttempt) {
    messages.push({ role: 'assistant', content: JSON.stringify({ edits: input.lastAttempt.edits }) });
    messages.push({ role: 'user', content: describeFailure(input.lastAttempt) });
  }
  return { system: SYSTEM, messages };
}

function describeTask(diagnostics: readonly Diagnostic[], files: readonly SourceFile[]): string {
  const listed = diagnostics.slice(0, MAX_LISTED_DIAGNOSTICS);
  const byFile = groupByFile(listed);
  const sections: string[] = [`Fix these errors (${diagnostics.length}).`];
  if (diagnostics.length > listed.length) sections.push(`Only the first ${listed.length} are listed.`);
  let shown = 0;
  for (const file of files) {
    const here = byFile.get(file.path) ?? [];
    byFile.delete(file.path);
    const body =
      shown < MAX_FILE_TEXT_CHARS ? showFile(file, here) : '(not shown: the prompt is at its size limit)';
    shown += body.length;
    sections.push(`## ${file.path}\n\n${listDiagnostics(here)}\n\n${body}`);
  }
  for (const [path, here] of byFile)
    sections.push(`## ${path} (not given: do not edit it)\n\n${listDiagnostics(here)}`);
  return sections.join('\n\n');
}

function describeFailure(last: LastAttempt): string {
  const lines = [`NAVI did not keep those edits: ${last.reason}`];
  if (last.diagnosticsAfter.length)
    lines.push('', 'The checkers reported after your edits:', listDiagnostics(last.diagnosticsAfter, true));
  if (last.failedTests?.length)
    lines.push(
      '',
      'Tests that failed after your edits:',
      ...last.failedTests.slice(0, 50).map((t) => `- ${t}`),
    );
  lines.push('', 'The files shown above are their current text. Answer again, in the same JSON format.');
  return lines.join('\n');
}

function groupByFile(diagnostics: readonly Diagnostic[]): Map<string, Diagnostic[]> {
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
  return byFile;
}

function listDiagnostics(diagnostics: readonly Diagnostic[], withFile = false): string {
  if (!diagnostics.length) return 'No errors reported in this file.';
  return diagnostics
    .slice(0, MAX_LISTED_DIAGNOSTICS)
    .map((d) => {
      const at = `${withFile ? `${d.file} ` : ''}line ${d.range.startLine}, column ${d.range.startColumn}`;
      const code = d.code ? ` ${d.code}` : '';
      return `- ${at}: ${d.severity}${code} (${d.source}): ${d.message.replace(/\n/g, '\n  ')}`;
    })
    .join('\n');
}

/** The file with line numbers: whole when short, else the lines around each diagnostic. */
function showFile(file: SourceFile, diagnostics: readonly Diagnostic[]): string {
  const lines = file.content.split(/\r\n|\r|\n/);
  const whole = lines.length <= WHOLE_FILE_LINES && file.content.length <= WHOLE_FILE_CHARS;
  const ranges = whole ? [{ from: 1, to: lines.length }] : excerptRanges(diagnostics, lines.length);
  const width = String(lines.length).length;
  const parts = ranges.map(({ from, to }) =>
    lines
      .slice(from - 1, to)
      .map((line, i) => `${String(from + i).padStart(width)} | ${cut(line)}`)
      .join('\n'),
  );
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(file.content) + 1));
  const what = whole ? `the whole file, ${lines.length} lines` : `excerpts of ${lines.length} lines`;
  return `${fence}\n${parts.join('\n…\n')}\n${fence}\n(${what})`;
}

/** Lines around each diagnostic, ±CONTEXT_LINES, overlapping ranges merged. */
function excerptRanges(diagnostics: readonly Diagnostic[], total: number): { from: number; to: number }[] {
  const wanted = diagnostics
    .map((d) => ({
      from: Math.max(1, d.range.startLine - CONTEXT_LINES),
      to: Math.min(total, (d.range.endLine ?? d.range.startLine) + CONTEXT_LINES),
    }))
    .sort((a, b) => a.from - b.from);
  const merged: { from: number; to: number }[] = [];
  for (const r of wanted) {
    const last = merged[merged.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else merged.push({ ...r });
  }
  return merged.length ? merged : [{ from: 1, to: Math.min(total, 2 * CONTEXT_LINES + 1) }];
}

function cut(line: string): string {
  return line.length <= MAX_LINE_CHARS ? line : `${line.slice(0, MAX_LINE_CHARS)} … [line cut]`;
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}

// ---------------------------------------------------------------------------------------------
// Reading the answer

const Edit = z
  .object({
    file: z.string().min(1).max(4096),
    search: z.string().min(1, 'search must not be empty'),
    replace: z.string(),
  })
  .strict();

const Answer = z
  .object({
    edits: z.array(Edit).max(MAX_EDITS, `at most ${MAX_EDITS} edits`),
    explanation: z.string().max(10_000).optional(),
  })
  .strict();

export type ParsedAnswer =
  { ok: true; edits: ModelEdit[]; explanation?: string } | { ok: false; reason: string };

/**
 * Reads the model's answer: one JSON object (alone, or in one fenced block; text around the fence
 * is ignored) of exactly the asked shape, editing only `allowedFiles`. The reason of a refusal is
 * written for the model, which sees it on its next try.
 */
export function parseAnswer(text: string, allowedFiles: Iterable<string>): ParsedAnswer {
  const json = extractJson(text);
  if (!json.ok) return json;
  let value: unknown;
  try {
    value = JSON.parse(json.text);
  } catch (error) {
    return { ok: false, reason: `The answer is not valid JSON (${(error as Error).message.slice(0, 200)}).` };
  }
  const parsed = Answer.safeParse(value);
  if (!parsed.success)
    return { ok: false, reason: `The answer is not in the asked format: ${issues(parsed.error)}.` };
  return checkEdits(parsed.data, new Set(allowedFiles));
}

function extractJson(text: string): { ok: true; text: string } | { ok: false; reason: string } {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return { ok: true, text: trimmed };
  // Fences are matched on whole lines: a JSON string cannot hold a raw line break, so a fence
  // line inside the object is impossible and a replace text with ``` in it is no fence.
  const fences = [...text.matchAll(/^[ \t]*```[ \t]*(?:json)?[ \t]*\r?\n([\s\S]*?)\r?\n[ \t]*```[ \t]*$/gim)];
  if (fences.length === 1) return { ok: true, text: fences[0]![1]!.trim() };
  if (fences.length > 1)
    return {
      ok: false,
      reason: `The answer has ${fences.length} fenced blocks; give exactly one JSON object.`,
    };
  return { ok: false, reason: 'The answer is not a JSON object (nor one inside a ```json fence).' };
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map(
      (i) =>
        `${
          i.path
            .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
            .join('')
            .replace(/^\./, '') || 'answer'
        }: ${i.message}`,
    )
    .join('; ');
}

function checkEdits(answer: z.infer<typeof Answer>, allowed: ReadonlySet<string>): ParsedAnswer {
  const { edits, explanation } = answer;
  if (!edits.length)
    return {
      ok: false,
      reason: `The answer has no edits${explanation ? `: ${explanation.slice(0, 500)}` : '.'}`,
    };
  const outside = edits.find((e) => !allowed.has(e.file));
  if (outside)
    return {
      ok: false,
      reason: `The answer edits ${JSON.stringify(outside.file)}, which is not one of the files given (${[...allowed].slice(0, 20).join(', ')}).`,
    };
  const bytes = edits.reduce((n, e) => n + Buffer.byteLength(e.search) + Buffer.byteLength(e.replace), 0);
  if (bytes > MAX_EDIT_BYTES)
    return {
      ok: false,
      reason: `The edits hold ${bytes} bytes of text, more than ${MAX_EDIT_BYTES}; make smaller edits.`,
    };
  return explanation === undefined ? { ok: true, edits } : { ok: true, edits, explanation };
}

// ---------------------------------------------------------------------------------------------
// Applying the edits (in memory: the caller writes through checkpoints and verifies)

export interface FileChange {
  path: string;
  before: string;
  after: string;
}

export type AppliedEdits = { ok: true; changed: FileChange[] } | { ok: false; reason: string };

/**
 * Applies `edits` in order to the files' current text: each `search` must occur exactly once in
 * its file as the earlier edits left it. Nothing is applied unless all are, and at least one file
 * must change.
 */
export function applyEdits(files: ReadonlyMap<string, string>, edits: readonly ModelEdit[]): AppliedEdits {
  const current = new Map(files);
  for (const [i, edit] of edits.entries()) {
    const text = current.get(edit.file);
    const result = text === undefined ? 'the file was not given' : replaceOnce(text, edit);
    if (typeof result === 'string') return { ok: false, reason: `Edit ${i + 1} (${edit.file}): ${result}.` };
    current.set(edit.file, result.text);
  }
  const changed = [...current]
    .filter(([path, after]) => files.get(path) !== after)
    .map(([path, after]) => ({ path, before: files.get(path)!, after }));
  if (!changed.length)
    return { ok: false, reason: 'The edits change nothing: each replace equals its search.' };
  return { ok: true, changed };
}

/** The text with the one occurrence of `search` replaced, or why not. */
function replaceOnce(text: string, edit: ModelEdit): { text: string } | string {
  // The prompt shows lines without their CR, so in a CRLF file the model's \n means \r\n.
  const variants = [edit];
  if (text.includes('\r\n') && !edit.search.includes('\r'))
    variants.push({ ...edit, search: toCrlf(edit.search), replace: toCrlf(edit.replace) });
  for (const { search, replace } of variants) {
    const at = occurrences(text, search);
    if (at.length === 1) return { text: text.slice(0, at[0]) + replace + text.slice(at[0]! + search.length) };
    if (at.length > 1) {
      const lines = at.map((i) => lineOf(text, i)).join(', ');
      return `the search text occurs ${at.length > 2 ? 'more than twice' : 'twice'} (lines ${lines}); include neighbouring lines so it occurs once`;
    }
  }
  if (/^\s*\d+ \| /.test(edit.search))
    return 'the search text was not found: it includes the line numbers shown in the prompt, which are not in the file';
  return "the search text was not found in the file's current text; copy it exactly, with its spaces and line breaks";
}

/** Where `search` starts, up to three times (overlapping occurrences count: the search is ambiguous). */
function occurrences(text: string, search: string): number[] {
  const at: number[] = [];
  for (let i = text.indexOf(search); i >= 0 && at.length < 3; i = text.indexOf(search, i + 1)) at.push(i);
  return at;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}
