import * as vscode from 'vscode';
import { workspaceRoot } from '../profile';
import { toProtocolDiagnostic, workspaceRelative } from './editorDiagnostics';
import { NOT_EDITOR_SOURCES } from './fixRequest';

/** The quick fix's title, as the lightbulb menu shows it. */
export const FIX_WITH_NAVI_TITLE = 'Fix with NAVI (verified)';

/** Sources whose diagnostics NAVI does not offer to fix (its own failing tests). */
const NOT_OFFERED = new Set(NOT_EDITOR_SOURCES);

/**
 * "Fix with NAVI (verified)" in the lightbulb and Quick Fix menus, on diagnostics of any source in
 * a file of the workspace: runs NAVI: Fix Problems for that file, with the diagnostics it was
 * offered on (the agent fixes and verifies them like its checkers' own).
 */
export class FixCodeActionProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
  };

  provideCodeActions(
    document: vscode.TextDocument,
    _range: vscode.Range | vscode.Selection,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    if (!vscode.workspace.isTrusted || document.uri.scheme !== 'file') return [];
    if (context.only && !vscode.CodeActionKind.QuickFix.intersects(context.only)) return [];
    const root = workspaceRoot();
    const rel = root ? workspaceRelative(root, document.uri.fsPath) : undefined;
    if (!root || !rel) return [];
    const offered = context.diagnostics.filter((d) => !(d.source && NOT_OFFERED.has(d.source)));
    if (offered.length === 0) return [];
    const action = new vscode.CodeAction(FIX_WITH_NAVI_TITLE, vscode.CodeActionKind.QuickFix);
    action.diagnostics = offered;
    action.command = {
      command: 'navi.fixProblems',
      title: FIX_WITH_NAVI_TITLE,
      tooltip:
        'NAVI fixes the problems of this file, checks the fix with the project’s checkers and keeps it only if it verifies.',
      // Plain data: the command handler validates it like any other argument.
      arguments: [
        {
          files: [rel],
          diagnostics: offered.flatMap((d) => {
            const converted = toProtocolDiagnostic(root, document.uri.fsPath, d);
            return converted ? [converted] : [];
          }),
        },
      ],
    };
    return [action];
  }
}
