import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { ErrorCodes } from '../../../protocol/errors';
import {
  FixKeepResult,
  FixProgressParams,
  FixResult,
  ReceiptsResult,
  RollbackResult,
  type FixRecord,
} from '../../../protocol/fix';
import { fix, fixKeep, fixProgress, receipts, rollback } from '../../../protocol/requests';
import type { Agent } from '../../client';
import type { FixHostMessage } from '../../../protocol/fixMessages';
import { SIDEBAR_VIEW_ID } from '../../webview/viewIds';
import { workspaceRoot } from '../profile';
import { describe, reportError, requireTrust } from '../tests';
import { workspaceRelative } from './editorDiagnostics';
import { describeRollback, FixTasks, summarizeFix } from './fixModel';
import { prepareFix, type FixRequest, type FixRunOptions } from './fixRequest';
import type { ModelSettingsReader } from './modelSettings';

/** Receipts are checked again this long after the last save or change of a covered file. */
const RECEIPTS_DEBOUNCE_MS = 300;

/**
 * Runs `navi/fix` and keeps its tasks for the panel: a cancellable progress notification, the
 * fixes as `navi/fixProgress` reports them, the result, then Keep (`navi/fixKeep`), Roll back
 * (`navi/rollback`) and the receipts (`navi/receipts`), checked again whenever a file they cover
 * is saved or changes on disk. One fix task at a time.
 */
export class FixRunController implements vscode.Disposable {
  readonly tasks = new FixTasks();
  private readonly emitter = new vscode.EventEmitter<FixHostMessage>();
  readonly onMessage = this.emitter.event;
  private cancel: vscode.CancellationTokenSource | undefined;
  private receiptsTimer: NodeJS.Timeout | undefined;
  private watching = false;
  /** True while run() asks its questions, before the task starts. */
  private preparing = false;
  private readonly disposables: vscode.Disposable[] = [this.emitter];

  constructor(
    private readonly agent: Agent,
    private readonly models: ModelSettingsReader,
    private readonly log: vscode.LogOutputChannel,
  ) {
    agent.handleRequests((client) =>
      client.onNotification(fixProgress.type, (raw) => {
        const parsed = FixProgressParams.safeParse(raw);
        if (!parsed.success) {
          this.log.warn(
            `Ignored a malformed navi/fixProgress: ${parsed.error.issues[0]?.message ?? 'unknown'}`,
          );
          return;
        }
        this.progress(parsed.data);
      }),
    );
  }

  replay(): FixHostMessage[] {
    return this.tasks.replay();
  }

  /** Stops the running fix task (the request is cancelled: `$/cancelRequest`). */
  stop(runId?: string): void {
    if (this.cancel && (runId === undefined || this.tasks.running?.runId === runId)) this.cancel.cancel();
  }

  /**
   * Fixes the problems of the workspace or of some files. Resolves with the agent's result, or
   * undefined when nothing ran (no folder, Restricted Mode, a question dismissed, another task
   * running, an error already shown).
   */
  async run(options: FixRunOptions = {}): Promise<FixResult | undefined> {
    const root = workspaceRoot();
    if (!root) {
      void vscode.window.showErrorMessage(
        'Open a folder first: NAVI fixes the problems of a workspace folder.',
      );
      return undefined;
    }
    if (!(await requireTrust('fix problems'))) return undefined;
    if (this.tasks.running || this.preparing) {
      const choice = await vscode.window.showInformationMessage(
        'NAVI is already fixing problems.',
        'Stop',
        'Show',
      );
      if (choice === 'Stop') this.stop();
      if (choice === 'Show') void vscode.commands.executeCommand(`${SIDEBAR_VIEW_ID}.focus`);
      return undefined;
    }
    this.preparing = true;
    let prepared: FixRequest | undefined;
    try {
      prepared = await prepareFix(root, options, this.models, this.log);
    } finally {
      this.preparing = false;
    }
    if (!prepared) return undefined;
    const { params, files } = prepared;
    const runId = params.runId;
    const scope = files ? describeFiles(files) : 'the workspace';
    this.post(this.tasks.start(runId, root, scope, Date.now()));
    this.watch();
    void vscode.commands.executeCommand(`${SIDEBAR_VIEW_ID}.focus`);
    const unsaved = params.unsavedFiles?.length ?? 0;
    this.log.info(
      `Fixing ${scope} (${params.editorDiagnostics?.length ?? 0} editor diagnostics, model: ${params.model?.provider ?? 'none'}${unsaved ? `, ${unsaved} unsaved files left alone` : ''}).`,
    );

    const cancel = new vscode.CancellationTokenSource();
    this.cancel = cancel;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `NAVI: Fixing ${scope}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => cancel.cancel());
          const sub = this.emitter.event((m) => {
            if (m.kind === 'fixProgress' && m.runId === runId) progress.report({ message: m.message });
          });
          try {
            const client = await this.agent.ready();
            return FixResult.parse(await client.sendRequest(fix.type, params, cancel.token));
          } finally {
            sub.dispose();
          }
        },
      );
      this.post(this.tasks.finish(runId, result));
      const summary = summarizeFix(result);
      this.log.info(`Fix of ${scope}: ${result.status}. ${summary.text}`);
      this.scheduleReceipts(0);
      void this.announce(result, summary.text);
      return result;
    } catch (error) {
      const stopped =
        cancel.token.isCancellationRequested ||
        (error instanceof ResponseError && error.code === ErrorCodes.RequestCancelled);
      const { message, hint } = stopped ? { message: 'Stopped.', hint: undefined } : describe(error);
      this.post(this.tasks.fail(runId, message, hint));
      if (!stopped) void reportError(error, this.log, 'fix the problems');
      return undefined;
    } finally {
      if (this.cancel === cancel) this.cancel = undefined;
      cancel.dispose();
    }
  }

  /** Keep: the person accepts a fix NAVI verified (`navi/fixKeep`, audited as `edit.kept`). */
  async keep(fixId: string): Promise<void> {
    const found = this.tasks.find(fixId);
    if (!found || found.fix.status !== 'kept') return;
    this.post(this.tasks.decide(fixId, 'keeping'));
    try {
      const client = await this.agent.ready();
      const result = FixKeepResult.parse(
        await client.sendRequest(fixKeep.type, { root: found.task.root, fixId }),
      );
      this.post(
        this.tasks.decide(
          fixId,
          result.kept ? 'kept' : 'failed',
          result.kept ? 'Kept.' : 'This fix was rolled back already: there is nothing to keep.',
        ),
      );
    } catch (error) {
      this.post(this.tasks.decide(fixId, 'failed', describe(error).message));
      void reportError(error, this.log, 'keep the fix');
    }
    this.scheduleReceipts(0);
  }

  /** Roll back one fix (`navi/rollback`), after the person confirms. Changes they made since are kept. */
  async rollback(fixId: string): Promise<RollbackResult | undefined> {
    const found = this.tasks.find(fixId);
    if (!found || found.fix.status !== 'kept') return undefined;
    const choice = await vscode.window.showWarningMessage(
      `Roll back NAVI’s fix of ${describeFiles(found.fix.files)}?`,
      {
        modal: true,
        detail: `${describeFix(found.fix)}\n\nThe files go back to how they were before the fix. A file you changed after the fix is left as you changed it.`,
      },
      'Roll Back',
    );
    if (choice !== 'Roll Back') return undefined;
    const previous = this.tasks.decision(fixId);
    this.post(this.tasks.decide(fixId, 'rollingBack'));
    try {
      const client = await this.agent.ready();
      const result = RollbackResult.parse(
        await client.sendRequest(rollback.type, {
          root: found.task.root,
          trusted: vscode.workspace.isTrusted,
          fixId,
        }),
      );
      const message = describeRollback(result);
      this.post(this.tasks.decide(fixId, 'rolledBack', message));
      this.log.info(`Rolled back ${fixId}: ${message}`);
      if (result.conflicts.length || result.notRestored.length)
        void vscode.window.showWarningMessage(`NAVI: ${message}`);
      else vscode.window.setStatusBarMessage(`$(discard) NAVI: ${message}`, 6000);
      return result;
    } catch (error) {
      this.post(this.tasks.decide(fixId, previous === 'kept' ? 'kept' : 'failed', describe(error).message));
      void reportError(error, this.log, 'roll back the fix');
      return undefined;
    } finally {
      this.scheduleReceipts(0);
    }
  }

  /** Checks the receipts of the tasks shown again (`navi/receipts`) and posts them. */
  async refreshReceipts(): Promise<void> {
    const root = workspaceRoot();
    if (!root || this.tasks.taskIds().size === 0) return;
    try {
      const client = await this.agent.ready();
      const result = ReceiptsResult.parse(await client.sendRequest(receipts.type, { root }));
      this.post(this.tasks.setReceipts(result.receipts));
    } catch (error) {
      this.log.warn(`Could not check the fix receipts: ${describe(error).message}`);
    }
  }

  private progress(p: FixProgressParams): void {
    this.post(this.tasks.progress(p));
  }

  /** From the first fix task on: saves and changes on disk of covered files refresh the receipts. */
  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    // A glob pattern rides on VS Code's own recursive watcher of the workspace (no new watcher).
    const watcher = vscode.workspace.createFileSystemWatcher('**/*');
    this.disposables.push(
      watcher,
      watcher.onDidChange((uri) => this.touched(uri)),
      watcher.onDidCreate((uri) => this.touched(uri)),
      watcher.onDidDelete((uri) => this.touched(uri)),
      vscode.workspace.onDidSaveTextDocument((doc) => this.touched(doc.uri)),
    );
  }

  /** A file was saved or changed on disk: if a fix shown covers it, its receipt may be stale now. */
  private touched(uri: vscode.Uri): void {
    if (uri.scheme !== 'file') return;
    const root = workspaceRoot();
    const rel = root ? workspaceRelative(root, uri.fsPath) : undefined;
    if (rel && this.tasks.coveredFiles().has(rel)) this.scheduleReceipts(RECEIPTS_DEBOUNCE_MS);
  }

  private scheduleReceipts(delayMs: number): void {
    clearTimeout(this.receiptsTimer);
    this.receiptsTimer = setTimeout(() => void this.refreshReceipts(), delayMs);
  }

  private async announce(result: FixResult, text: string): Promise<void> {
    if (result.status === 'cancelled') return;
    const actions = [
      ...(result.fixes.length ? ['Show Fixes'] : []),
      ...(result.remaining.length ? ['Show Problems'] : []),
    ];
    const show =
      result.status === 'fixed' || result.status === 'clean'
        ? vscode.window.showInformationMessage
        : vscode.window.showWarningMessage;
    const choice = await show(text, ...actions);
    if (choice === 'Show Fixes') await vscode.commands.executeCommand(`${SIDEBAR_VIEW_ID}.focus`);
    if (choice === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
  }

  private post(messages: FixHostMessage[]): void {
    for (const m of messages) this.emitter.fire(m);
  }

  dispose(): void {
    this.cancel?.cancel();
    clearTimeout(this.receiptsTimer);
    for (const d of this.disposables) d.dispose();
  }
}

function describeFiles(files: readonly string[]): string {
  if (files.length === 1) return files[0]!;
  return `${files.length} files`;
}

function describeFix(fix: FixRecord): string {
  return `${fix.fixer.name} (${fix.fixer.kind}) changed ${fix.files.join(', ')}.`;
}
