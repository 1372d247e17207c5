// navi/editorQuickFixes against the real editor: the built-in TypeScript extension's preferred
// quick fix for a misspelled name, taken as a plain edit of the saved text and never applied to
// the document itself (the agent writes and verifies it).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { answerEditorQuickFixes } from '../../extension/features/fix/quickFixes';
import type { Diagnostic } from '../../protocol/diagnostics';
import { waitForEvent, workspaceFolder } from './util';

describe('navi/editorQuickFixes (the editor’s preferred quick fixes as plain edits)', function () {
  this.timeout(120_000);
  let log: vscode.LogOutputChannel;
  let dir: string;
  const text = 'const value = 1;\nexport const out = valeu + 1;\n';

  before(() => {
    log = vscode.window.createOutputChannel('NAVI quick fixes test', { log: true });
    dir = path.join(workspaceFolder().uri.fsPath, 'navi-quickfix');
    fs.mkdirSync(dir, { recursive: true });
  });
  after(() => {
    log.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const diagnostic = (file: string): Diagnostic => ({
    file,
    range: { startLine: 2, startColumn: 20, endLine: 2, endColumn: 25 },
    code: 'TS2552',
    source: 'ts',
    message: "Cannot find name 'valeu'. Did you mean 'value'?",
    severity: 'error',
    checker: 'tsc',
  });

  /** Opens the file and waits until the TypeScript extension reports its error (quick fixes need it). */
  async function opened(name: string): Promise<{ uri: vscode.Uri; rel: string }> {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    const uri = vscode.Uri.file(file);
    const reported = waitForEvent(
      vscode.languages.onDidChangeDiagnostics,
      () => vscode.languages.getDiagnostics(uri).some((d) => String(d.message).includes('valeu')),
      90_000,
      () => `TypeScript diagnostics for ${name}: ${JSON.stringify(vscode.languages.getDiagnostics(uri))}`,
    );
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await reported;
    return { uri, rel: path.relative(workspaceFolder().uri.fsPath, file).split(path.sep).join('/') };
  }

  it('returns the fixed text of the saved file, and leaves the file and the document alone', async () => {
    const { uri, rel } = await opened('spell.ts');
    const token = new vscode.CancellationTokenSource().token;
    const result = await answerEditorQuickFixes(
      { root: workspaceFolder().uri.fsPath, diagnostics: [diagnostic(rel)] },
      token,
      log,
    );
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      new vscode.Range(1, 19, 1, 24),
      vscode.CodeActionKind.QuickFix.value,
    );
    const seen = actions.map((a) => ({
      t: a.title,
      p: a.isPreferred,
      c: a.command?.command,
      e: a.edit?.entries().length,
    }));
    assert.equal(result.fixes.length, 1, JSON.stringify({ result, seen }));
    const [fix] = result.fixes;
    assert.equal(fix!.file, rel);
    assert.deepEqual(fix!.diagnostics, [0]);
    assert.equal(fix!.content, 'const value = 1;\nexport const out = value + 1;\n');
    assert.match(fix!.title, /value/);
    assert.equal(fs.readFileSync(uri.fsPath, 'utf8'), text, 'the file on disk is unchanged');
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(doc.getText(), text, 'the document is unchanged');
    assert.equal(doc.isDirty, false);
  });

  it('skips a file with unsaved changes', async () => {
    const { uri, rel } = await opened('dirty.ts');
    const editor = await vscode.window.showTextDocument(uri);
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), '// typing\n'));
    try {
      const result = await answerEditorQuickFixes(
        { root: workspaceFolder().uri.fsPath, diagnostics: [diagnostic(rel)] },
        new vscode.CancellationTokenSource().token,
        log,
      );
      assert.deepEqual(result.fixes, []);
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });
});
