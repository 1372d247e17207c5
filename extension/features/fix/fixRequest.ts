import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Diagnostic } from '../../../protocol/diagnostics';
import { FixParams } from '../../../protocol/fix';
import { reportError } from '../tests';
import { mergeDiagnostics, scopedDiagnostics, workspaceRelative } from './editorDiagnostics';
import type { ModelSettingsReader } from './modelSettings';

/** What to fix: some files (the code action), else the person picks the workspace or the current file. */
export interface FixRunOptions {
  /** Workspace-relative or absolute paths. */
  files?: string[];
  /** The editor diagnostics the code action was invoked on (sent whatever their severity). */
  diagnostics?: Diagnostic[];
  /** Without `files`: the whole workspace, without asking (the panel's guided flow). */
  workspace?: boolean;
}

export interface FixRequest {
  params: FixParams;
  /** The files in scope (workspace-relative); undefined: the whole workspace. */
  files: string[] | undefined;
}

/** Sources whose diagnostics are not the editor's errors (NAVI's own failing tests). */
export const NOT_EDITOR_SOURCES = ['NAVI tests'];

/**
 * The `navi/fix` params for a fix of `root`: the scope (asked unless given), the files with unsaved
 * changes (after offering to save them), the model of the `navi.model.*` settings and the editor's
 * diagnostics of the files in scope. Undefined when the person dismissed a question or nothing fits.
 */
export async function prepareFix(
  root: string,
  options: FixRunOptions,
  models: ModelSettingsReader,
  log: vscode.LogOutputChannel,
): Promise<FixRequest | undefined> {
  const files = options.files?.length
    ? relativeFiles(root, options.files)
    : options.workspace
      ? undefined
      : await pickScope(root);
  if (files === null) return undefined;
  if (options.files?.length && !files) {
    void vscode.window.showWarningMessage(
      `NAVI fixes files of the workspace folder ${path.basename(root)}; ${options.files[0]} is not in it.`,
    );
    return undefined;
  }
  const unsavedFiles = await unsaved(root, files);
  if (unsavedFiles === null) return undefined;
  const model = await chooseModel(models);
  if (model === null) return undefined;

  const inScope = files ? new Set(files) : undefined;
  const editorDiagnostics = mergeDiagnostics(
    scopedDiagnostics(
      vscode.languages
        .getDiagnostics()
        .filter(([uri]) => uri.scheme === 'file')
        .map(([uri, diagnostics]) => [uri.fsPath, diagnostics] as const),
      { root, ...(inScope ? { files: inScope } : {}), excludeSources: NOT_EDITOR_SOURCES },
    ),
    options.diagnostics ?? [],
  );
  const parsed = FixParams.safeParse({
    runId: randomUUID(),
    root,
    trusted: vscode.workspace.isTrusted,
    ...(files ? { files } : {}),
    ...(model ? { model } : {}),
    editorDiagnostics,
    ...(unsavedFiles.length ? { unsavedFiles } : {}),
  });
  if (!parsed.success) {
    void reportError(
      new Error(parsed.error.issues[0]?.message ?? 'invalid request'),
      log,
      'fix the problems',
    );
    return undefined;
  }
  return { params: parsed.data, files };
}

/** Workspace-relative `/`-separated paths of the files given (absolute or relative); outside ones are dropped. */
function relativeFiles(root: string, files: string[]): string[] | undefined {
  const out = files.flatMap((f) => {
    const rel = workspaceRelative(root, path.resolve(root, f));
    return rel ? [rel] : [];
  });
  return out.length ? [...new Set(out)] : undefined;
}

/** NAVI: Fix Problems asks: the whole workspace, or the file in the active editor. Null when dismissed. */
async function pickScope(root: string): Promise<string[] | undefined | null> {
  const doc = vscode.window.activeTextEditor?.document;
  const current = doc?.uri.scheme === 'file' ? workspaceRelative(root, doc.uri.fsPath) : undefined;
  const items: (vscode.QuickPickItem & { files?: string[] })[] = [
    {
      label: '$(root-folder) Whole workspace',
      description: path.basename(root),
      detail: 'Every file with a problem',
    },
    ...(current ? [{ label: '$(file) Current file', description: current, files: [current] }] : []),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'NAVI: Fix Problems',
    placeHolder: 'Fix the problems of…',
    ignoreFocusOut: true,
  });
  if (!picked) return null;
  return picked.files;
}

/**
 * Files open with unsaved changes: the agent never writes them. Asks to save them first; null
 * when the person cancels, else the workspace-relative paths still unsaved.
 */
async function unsaved(root: string, files: string[] | undefined): Promise<string[] | null> {
  const dirty = () =>
    vscode.workspace.textDocuments.filter(
      (d) => d.isDirty && d.uri.scheme === 'file' && workspaceRelative(root, d.uri.fsPath),
    );
  const first = dirty();
  if (first.length === 0) return [];
  const names = first.map((d) => workspaceRelative(root, d.uri.fsPath)!);
  const inScope = files ? names.filter((n) => files.includes(n)) : names;
  const choice = await vscode.window.showWarningMessage(
    `${first.length === 1 ? `${names[0]} has` : `${first.length} files have`} unsaved changes. Save before NAVI fixes problems?`,
    {
      modal: true,
      detail: `NAVI never writes a file with unsaved changes${inScope.length ? ', so the problems in it stay as they are' : ''}. Saving first lets it fix them and check the files as you see them.\n\n${names.slice(0, 10).join('\n')}${names.length > 10 ? `\n… and ${names.length - 10} more` : ''}`,
    },
    'Save All and Fix',
    'Fix Without Saving',
  );
  if (choice === undefined) return null;
  if (choice === 'Save All and Fix') await Promise.all(first.map((d) => d.save()));
  return dirty().map((d) => workspaceRelative(root, d.uri.fsPath)!);
}

/** The model for what the cheap fixers leave; undefined = none; null = the person cancelled. */
async function chooseModel(models: ModelSettingsReader): Promise<FixParams['model'] | null> {
  const choice = await models.choice();
  if (choice.kind === 'none') return undefined;
  if (choice.kind === 'model') return choice.model;
  const answer = await vscode.window.showWarningMessage(
    `NAVI cannot use the model in the navi.model settings: ${choice.problem}`,
    'Fix Without a Model',
    'Open Settings',
  );
  if (answer === 'Open Settings')
    await vscode.commands.executeCommand('workbench.action.openSettings', 'navi.model');
  return answer === 'Fix Without a Model' ? undefined : null;
}
