import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { diagnosticSpecs, filesToClear, lineRange, type DiagnosticSpec } from './testModel';
import type { TestRunController, TestRunEvent } from './tests';

/**
 * Failing tests as Problems: one Error per failing test at the failing line (the failure's frame
 * in the test file, else the test's line), the failure message as its text, the other stack
 * frames as related information. A run replaces the diagnostics of the files it covered (all of
 * them after a run of the whole suite).
 */
export class TestDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('navi-tests');
  private readonly disposables: vscode.Disposable[] = [this.collection];

  constructor(
    tests: TestRunController,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(tests.onDidFinish((e) => void this.update(e)));
  }

  private async update(e: TestRunEvent): Promise<void> {
    if (!e.result) return; // nothing ran: keep what the last run said
    const clear = filesToClear(e.result, e.request);
    if (clear === undefined) this.collection.clear();
    else for (const file of clear) this.collection.delete(vscode.Uri.file(file));
    for (const [file, specs] of diagnosticSpecs(e.result)) {
      const text = await readText(file);
      if (text === undefined) {
        this.log.warn(`Test failure in ${file}, which NAVI cannot read: no diagnostic.`);
        continue;
      }
      this.collection.set(
        vscode.Uri.file(file),
        specs.map((spec) => toDiagnostic(spec, text)),
      );
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function toDiagnostic(spec: DiagnosticSpec, text: string): vscode.Diagnostic {
  const r = lineRange(text, spec.line, spec.column);
  const diagnostic = new vscode.Diagnostic(
    new vscode.Range(r.line, r.start, r.line, r.end),
    spec.message,
    vscode.DiagnosticSeverity.Error,
  );
  diagnostic.source = 'NAVI tests';
  diagnostic.code = spec.test;
  diagnostic.relatedInformation = spec.related.map(
    (frame) =>
      new vscode.DiagnosticRelatedInformation(
        new vscode.Location(
          vscode.Uri.file(frame.file),
          new vscode.Position(frame.line - 1, Math.max(0, (frame.column ?? 1) - 1)),
        ),
        frame.function
          ? `at ${frame.function} (${path.basename(frame.file)}:${frame.line})`
          : `at ${path.basename(frame.file)}:${frame.line}`,
      ),
  );
  return diagnostic;
}

async function readText(file: string): Promise<string | undefined> {
  // An open editor has the text the user sees; else the file on disk.
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
  if (open) return open.getText();
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}
