import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FixRecord } from '../../../protocol/fix';

/** The scheme of the read-only documents that hold a file's text before a fix. */
export const BEFORE_SCHEME = 'navi-fix-before';

/**
 * Open Diff for a fix: the native diff editor with the file's text before the fix (a read-only
 * document served from the agent's `changes[].beforeText`) on the left and the file as it is now
 * on the right.
 */
export class FixDiffs implements vscode.Disposable {
  private readonly registration: vscode.Disposable;

  /** @param lookup the fix with this id, if the panel still shows it. */
  constructor(
    private readonly lookup: (fixId: string) => FixRecord | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(BEFORE_SCHEME, {
      provideTextDocumentContent: (uri) => this.before(uri),
    });
  }

  /** Opens the diff of `relative` (a file of the fix, workspace-relative) in the workspace `root`. */
  async open(root: string, fixId: string, relative: string): Promise<void> {
    const fix = this.lookup(fixId);
    const change = fix?.changes.find((c) => c.path === relative);
    if (!fix || !change) {
      this.log.warn(`Open Diff: no file ${relative} in fix ${fixId}.`);
      return;
    }
    const target = path.resolve(root, relative);
    const rel = path.relative(root, target);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      this.log.warn(`Refused to open ${relative}: it is outside ${root}.`);
      return;
    }
    if (change.beforeText === undefined && change.before !== null) {
      void vscode.window.showInformationMessage(
        `NAVI kept no copy of ${relative} from before the fix (the file is over 1 MiB or binary); the panel shows the diff.`,
      );
      return;
    }
    const left = vscode.Uri.from({ scheme: BEFORE_SCHEME, path: `/${relative}`, query: fixId });
    const title = `${path.basename(relative)} (before NAVI’s fix ↔ now)`;
    if (change.after === null) {
      // The fix removed the file: there is nothing on the right; show what it was.
      await vscode.window.showTextDocument(left, { preview: true });
      return;
    }
    await vscode.commands.executeCommand('vscode.diff', left, vscode.Uri.file(target), title, {
      preview: true,
    });
  }

  private before(uri: vscode.Uri): string {
    const fix = this.lookup(uri.query);
    const change = fix?.changes.find((c) => `/${c.path}` === uri.path);
    return change?.beforeText ?? '';
  }

  dispose(): void {
    this.registration.dispose();
  }
}
