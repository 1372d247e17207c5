import * as vscode from 'vscode';
import { ResponseError, WorkDoneProgress, type WorkDoneProgressReport } from 'vscode-languageclient/node';
import { ErrorCodes } from '../../protocol/errors';
import { scan, scanSummary, ScanSummaryParams } from '../../protocol/requests';
import { ScanReport } from '../../protocol/scanReport';
import type { HostMessage } from '../../protocol/webviewMessages';
import type { Agent } from '../client';
import { readSetting } from '../config';

interface RunningScan {
  scanId: string;
  root: vscode.Uri;
  cancel: vscode.CancellationTokenSource;
  done: Promise<ScanReport | undefined>;
}

/**
 * Runs `navi/scan` for a workspace folder: cancellable progress, the early summary and the final
 * report forwarded to the panel, and the last report kept so the panel can re-render it and open
 * its evidence links.
 */
export class ScanController implements vscode.Disposable {
  private running: RunningScan | undefined;
  private last: { root: vscode.Uri; message: HostMessage } | undefined;
  private lastSummary: HostMessage | undefined;
  private readonly emitter = new vscode.EventEmitter<HostMessage>();
  /** Every scan event, for the panel. */
  readonly onMessage = this.emitter.event;
  private seq = 0;

  constructor(
    private readonly agent: Agent,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The root of the last finished scan: evidence paths are relative to it. */
  get lastRoot(): vscode.Uri | undefined {
    return this.last?.root ?? this.running?.root;
  }

  /** Messages that bring a freshly loaded panel up to date. */
  replay(): HostMessage[] {
    if (this.running) {
      const started: HostMessage = {
        kind: 'scanStarted',
        scanId: this.running.scanId,
        root: this.running.root.fsPath,
      };
      return this.lastSummary ? [started, this.lastSummary] : [started];
    }
    return this.last ? [this.last.message] : [];
  }

  cancel(): void {
    this.running?.cancel.cancel();
  }

  /** Scans `folder` (or asks which folder). Resolves with the report, or undefined when cancelled or failed. */
  async scan(folder?: vscode.Uri): Promise<ScanReport | undefined> {
    const root = folder ?? (await pickFolder());
    if (!root) return undefined;
    if (root.scheme !== 'file') {
      void vscode.window.showErrorMessage(
        `NAVI can only scan folders on disk; ${root.toString()} is not one.`,
      );
      return undefined;
    }
    if (this.running) {
      if (this.running.root.toString() === root.toString()) return this.running.done;
      this.running.cancel.cancel();
    }
    const scanId = `scan-${Date.now()}-${++this.seq}`;
    const cancel = new vscode.CancellationTokenSource();
    const done = this.run(scanId, root, cancel);
    this.running = { scanId, root, cancel, done };
    try {
      return await done;
    } finally {
      if (this.running?.scanId === scanId) this.running = undefined;
      cancel.dispose();
    }
  }

  private async run(
    scanId: string,
    root: vscode.Uri,
    cancel: vscode.CancellationTokenSource,
  ): Promise<ScanReport | undefined> {
    this.lastSummary = undefined;
    this.emit({ kind: 'scanStarted', scanId, root: root.fsPath });
    const name = vscode.workspace.getWorkspaceFolder(root)?.name ?? root.fsPath;
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `NAVI: Scanning ${name}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => cancel.cancel());
        const disposables: vscode.Disposable[] = [];
        try {
          const client = await this.agent.ready();
          disposables.push(
            client.onProgress(WorkDoneProgress.type, scanId, (value) => {
              if (value.kind !== 'report') return;
              const report = value as WorkDoneProgressReport;
              if (!report.message) return;
              progress.report({ message: report.message });
              this.emit({
                kind: 'scanProgress',
                scanId,
                message: report.message,
                percentage: report.percentage,
              });
            }),
            client.onNotification(scanSummary.type, (raw) => {
              const parsed = ScanSummaryParams.safeParse(raw);
              if (!parsed.success) {
                this.log.warn(`Ignored a malformed navi/scanSummary: ${parsed.error.issues[0]?.message}`);
                return;
              }
              if (parsed.data.scanId !== scanId) return;
              this.lastSummary = { kind: 'scanSummary', scanId, summary: parsed.data.summary };
              this.emit(this.lastSummary);
            }),
          );
          const raw = await client.sendRequest(
            scan.type,
            {
              root: root.fsPath,
              scanId,
              workDoneToken: scanId,
              maxFileBytes: Math.round(readSetting('scan.maxFileSizeMB', this.log) * 1024 * 1024),
            },
            cancel.token,
          );
          const report = ScanReport.parse(raw);
          this.finish(root, { kind: 'scanReport', scanId, report });
          this.log.info(
            `Scanned ${report.root}: ${report.inventory.files} files, ${report.projects.length} projects, ${report.risks.length} risks in ${Math.round(report.durationMs)} ms`,
          );
          return report;
        } catch (error) {
          if (
            cancel.token.isCancellationRequested ||
            (error instanceof ResponseError && error.code === ErrorCodes.RequestCancelled)
          ) {
            this.emit({ kind: 'scanCancelled', scanId });
            return undefined;
          }
          const { message, hint } = describeError(error);
          this.log.error(`Scan of ${root.fsPath} failed: ${message}`);
          this.finish(root, { kind: 'scanFailed', scanId, message, hint });
          void vscode.window
            .showErrorMessage(`NAVI could not scan ${name}: ${message}`, 'Show Log')
            .then((choice) => {
              if (choice) this.log.show();
            });
          return undefined;
        } finally {
          for (const d of disposables) d.dispose();
        }
      },
    );
  }

  private finish(root: vscode.Uri, message: HostMessage): void {
    this.last = { root, message };
    this.emit(message);
  }

  private emit(message: HostMessage): void {
    this.emitter.fire(message);
  }

  dispose(): void {
    this.running?.cancel.cancel();
    this.emitter.dispose();
  }
}

function describeError(error: unknown): { message: string; hint?: string } {
  if (error instanceof ResponseError) {
    const hint = (error.data as { hint?: unknown } | undefined)?.hint;
    return { message: error.message, hint: typeof hint === 'string' ? hint : undefined };
  }
  if (error instanceof Error)
    return { message: error.message, hint: 'Try NAVI: Restart Agent, or open the log.' };
  return { message: String(error) };
}

async function pickFolder(): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    const choice = await vscode.window.showInformationMessage(
      'Open a folder for NAVI to scan.',
      'Open Folder',
    );
    if (choice) await vscode.commands.executeCommand('vscode.openFolder');
    return undefined;
  }
  if (folders.length === 1) return folders[0]!.uri;
  const picked = await vscode.window.showWorkspaceFolderPick({
    placeHolder: 'Which folder should NAVI scan?',
    ignoreFocusOut: true,
  });
  return picked?.uri;
}
