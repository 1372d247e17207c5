import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { ErrorCodes } from '../../../protocol/errors';
import { EditorQuickFixesParams, type EditorQuickFixesResult } from '../../../protocol/fix';

/**
 * `navi/editorQuickFixes` (server → client): for the errors NAVI's cheaper fixers left, the
 * preferred quick fixes of the installed language extensions (`vscode.executeCodeActionProvider`)
 * that are plain text edits of the file itself: no command to run, no other file touched. They
 * are applied to a copy of the saved text, never to the editor's document: the agent writes the
 * result through its edit policy and checkpoints and verifies it like every other fix.
 */

/** Files asked about per request, and code action requests per file (each can take a while). */
const MAX_FILES = 50;
const MAX_DIAGNOSTICS_PER_FILE = 50;

export interface OffsetEdit {
  start: number;
  end: number;
  newText: string;
}

/** Applies non-overlapping edits to `text`; undefined when two overlap (the fix is then skipped). */
export function applyOffsetEdits(text: string, edits: readonly OffsetEdit[]): string | undefined {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.start < sorted[i - 1]!.end) return undefined;
  let out = text;
  for (const e of sorted.reverse()) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

/**
 * Commands that only record that a quick fix was applied (telemetry), whatever the fix: the
 * built-in TypeScript extension attaches `_typescript.applyCodeActionCommand` to every fix, and
 * runs the fix's own follow-up commands through it only for fixes that have some (installing a
 * types package), which are never preferred.
 */
const BOOKKEEPING_COMMANDS: ReadonlySet<string> = new Set(['_typescript.applyCodeActionCommand']);

/**
 * The quick fix to take among the providers' answers: the preferred one, only when it is a plain
 * edit of `uri` alone (a command could do anything; a snippet or another file is not a plain edit).
 */
export function preferredPlainEdit(
  actions: readonly (vscode.CodeAction | vscode.Command)[] | undefined,
  uri: vscode.Uri,
): { title: string; edits: vscode.TextEdit[] } | undefined {
  for (const a of actions ?? []) {
    if (!('isPreferred' in a) || !a.isPreferred || !a.edit || a.disabled) continue;
    if (a.command && !BOOKKEEPING_COMMANDS.has(a.command.command)) continue;
    const entries = a.edit.entries();
    if (entries.length !== 1 || entries[0]![0].toString() !== uri.toString()) continue;
    const edits = entries[0]![1];
    if (edits.length === 0 || edits.some((e) => !(e instanceof vscode.TextEdit) || 'snippet' in e)) continue;
    return { title: a.title, edits };
  }
  return undefined;
}

export async function answerEditorQuickFixes(
  raw: unknown,
  token: vscode.CancellationToken,
  log: vscode.LogOutputChannel,
): Promise<EditorQuickFixesResult> {
  const parsed = EditorQuickFixesParams.safeParse(raw);
  if (!parsed.success)
    throw new ResponseError(
      ErrorCodes.InvalidParams,
      `navi/editorQuickFixes: ${parsed.error.issues[0]?.message}`,
    );
  const { root, diagnostics } = parsed.data;
  const byFile = new Map<string, number[]>();
  diagnostics.forEach((d, i) => byFile.set(d.file, [...(byFile.get(d.file) ?? []), i]));
  const fixes: EditorQuickFixesResult['fixes'] = [];
  for (const [file, indices] of [...byFile].slice(0, MAX_FILES)) {
    if (token.isCancellationRequested) break;
    const uri = vscode.Uri.joinPath(vscode.Uri.file(root), ...file.split('/'));
    let doc: vscode.TextDocument;
    try {
      doc = await vscode.workspace.openTextDocument(uri);
    } catch {
      continue;
    }
    if (doc.isDirty) continue; // the agent never writes over unsaved changes
    const edits: OffsetEdit[] = [];
    const used: number[] = [];
    const titles = new Set<string>();
    for (const i of indices.slice(0, MAX_DIAGNOSTICS_PER_FILE)) {
      const r = diagnostics[i]!.range;
      const range = new vscode.Range(
        r.startLine - 1,
        r.startColumn - 1,
        (r.endLine ?? r.startLine) - 1,
        (r.endColumn ?? r.startColumn) - 1,
      );
      let actions: (vscode.CodeAction | vscode.Command)[] | undefined;
      try {
        actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
          'vscode.executeCodeActionProvider',
          uri,
          range,
          vscode.CodeActionKind.QuickFix.value,
        );
      } catch (error) {
        log.warn(`Quick fixes for ${file}:${r.startLine} failed: ${String(error)}`);
        continue;
      }
      const chosen = preferredPlainEdit(actions, uri);
      if (!chosen) continue;
      const next = chosen.edits.map((e) => ({
        start: doc.offsetAt(e.range.start),
        end: doc.offsetAt(e.range.end),
        newText: e.newText,
      }));
      if (applyOffsetEdits(doc.getText(), [...edits, ...next]) === undefined) continue; // overlaps an earlier one
      edits.push(...next);
      used.push(i);
      titles.add(chosen.title);
    }
    const content = edits.length ? applyOffsetEdits(doc.getText(), edits) : undefined;
    if (content !== undefined && content !== doc.getText())
      fixes.push({
        file,
        title: [...titles].join('; ').slice(0, 200) || 'quick fix',
        diagnostics: used,
        content,
      });
  }
  return { fixes };
}
