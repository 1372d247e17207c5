import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { ErrorCodes } from '../../protocol/errors';
import { RunOutcome, run, type RunParams } from '../../protocol/requests';
import { RUN_TAIL_CHARS, type HostMessage } from '../../protocol/webviewMessages';
import type { Agent } from '../client';
import { readSetting } from '../config';
import { SIDEBAR_VIEW_ID } from '../webview/viewIds';
import type { CommandOutputHub } from './commandOutput';

/** A command as the panel shows it: the latest output, bounded, and how it ended. */
interface RunView {
  started: Extract<HostMessage, { kind: 'runStarted' }>;
  tail: string;
  total: number;
  dirty: boolean;
  finished?: Extract<HostMessage, { kind: 'runFinished' }>;
  cancel: vscode.CancellationTokenSource;
}

/** Runs kept for the panel (a reloaded panel shows them again). */
const KEEP_RUNS = 5;
const FLUSH_MS = 150;

export interface RunOptions {
  /** Working directory (absolute); default: the workspace folder. */
  cwd?: string;
  /** Who proposed it: the person at the keyboard (palette, panel) or a NAVI task. */
  proposer?: RunParams['proposer'];
}

/**
 * Runs commands through the agent's pipeline (judge → approval → sandbox → run) and shows them in
 * the panel: output as it arrives (only the latest part, throttled), then how it ended. Nothing
 * here decides whether a command may run: the agent does, and asks back through `navi/approval`.
 */
export class RunController implements vscode.Disposable {
  private readonly runs = new Map<string, RunView>();
  private readonly emitter = new vscode.EventEmitter<HostMessage>();
  readonly onMessage = this.emitter.event;
  private timer: NodeJS.Timeout | undefined;

  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly agent: Agent,
    output: CommandOutputHub,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscription = output.onOutput((o) => this.output(o.runId, o.chunk));
  }

  /** Messages that bring a freshly loaded panel up to date. */
  replay(): HostMessage[] {
    return [...this.runs.values()].flatMap((r) => [
      r.started,
      { kind: 'runOutput' as const, runId: r.started.runId, tail: r.tail, total: r.total },
      ...(r.finished ? [r.finished] : []),
    ]);
  }

  cancel(runId: string): void {
    this.runs.get(runId)?.cancel.cancel();
  }

  /**
   * Runs `command` (asking for it when absent) in the workspace. Resolves with the agent's outcome,
   * or undefined when nothing was sent (no folder, Restricted Mode, the input box was dismissed).
   */
  async run(command?: string, options: RunOptions = {}): Promise<RunOutcome | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      void vscode.window.showErrorMessage('Open a folder first: NAVI runs commands in a workspace folder.');
      return undefined;
    }
    if (!vscode.workspace.isTrusted) {
      const choice = await vscode.window.showWarningMessage(
        'NAVI runs nothing in Restricted Mode. Trust this workspace to let NAVI run commands (it still asks before anything risky).',
        'Manage Workspace Trust',
      );
      if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    const text =
      command ??
      (await vscode.window.showInputBox({
        title: 'NAVI: Run Command',
        prompt: `Runs in ${folder.name} through NAVI's policy and sandbox; NAVI asks first when the command needs approval.`,
        placeHolder: 'npm test',
        ignoreFocusOut: true,
        validateInput: (v) =>
          v.trim() === ''
            ? 'Type a command.'
            : v.length > 100_000
              ? 'At most 100,000 characters.'
              : undefined,
      }));
    if (text === undefined || text.trim() === '') return undefined;

    const runId = randomUUID();
    const cwd = options.cwd ?? folder.uri.fsPath;
    const started: RunView['started'] = {
      kind: 'runStarted',
      runId,
      command: text,
      cwd,
      startedAt: Date.now(),
    };
    const view: RunView = {
      started,
      tail: '',
      total: 0,
      dirty: false,
      cancel: new vscode.CancellationTokenSource(),
    };
    this.runs.set(runId, view);
    for (const old of [...this.runs.keys()].slice(0, Math.max(0, this.runs.size - KEEP_RUNS)))
      this.runs.delete(old);
    this.emitter.fire(started);
    void vscode.commands.executeCommand(`${SIDEBAR_VIEW_ID}.focus`);

    const params: RunParams = {
      runId,
      command: text,
      cwd,
      workspaceRoot: folder.uri.fsPath,
      trusted: vscode.workspace.isTrusted,
      proposer: options.proposer ?? 'user',
      timeoutMs: readSetting('commands.timeoutMinutes', this.log) * 60_000,
    };
    try {
      const client = await this.agent.ready();
      const raw = await client.sendRequest(run.type, params, view.cancel.token);
      const outcome = RunOutcome.parse(raw);
      this.finish(view, {
        verdict: outcome.verdict.verdict,
        ran: outcome.ran,
        message: outcome.message,
        exitCode: outcome.result?.exitCode ?? null,
        ok: outcome.ran && outcome.result?.exitCode === 0,
        ...(outcome.result ? { logFile: outcome.result.logFile } : {}),
      });
      this.log.info(
        `${text}: ${outcome.message}${outcome.result ? ` (log: ${outcome.result.logFile})` : ''}`,
      );
      if (outcome.ran && outcome.result?.exitCode !== 0)
        void vscode.window.showWarningMessage(`NAVI: ${text} — ${outcome.message}`);
      return outcome;
    } catch (error) {
      this.finish(view, { ran: false, message: this.describe(error), ok: false });
      await this.report(error);
      return undefined;
    } finally {
      view.cancel.dispose();
    }
  }

  private output(runId: string, chunk: string): void {
    const view = this.runs.get(runId);
    if (!view) return;
    view.total += chunk.length;
    view.tail = (view.tail + chunk).slice(-RUN_TAIL_CHARS);
    view.dirty = true;
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.timer = undefined;
    for (const view of this.runs.values()) {
      if (!view.dirty) continue;
      view.dirty = false;
      this.emitter.fire({ kind: 'runOutput', runId: view.started.runId, tail: view.tail, total: view.total });
    }
  }

  private finish(
    view: RunView,
    result: Omit<Extract<HostMessage, { kind: 'runFinished' }>, 'kind' | 'runId'>,
  ): void {
    this.flush();
    view.finished = { kind: 'runFinished', runId: view.started.runId, ...result };
    this.emitter.fire(view.finished);
  }

  private describe(error: unknown): string {
    if (error instanceof ResponseError && error.code === ErrorCodes.RequestCancelled) return 'Stopped.';
    return error instanceof Error ? error.message : String(error);
  }

  /** Says what went wrong and what to do; cancellation is silent. */
  private async report(error: unknown): Promise<void> {
    if (!(error instanceof ResponseError)) {
      this.log.error(`Running a command failed: ${String(error)}`);
      if (
        (await vscode.window.showErrorMessage(
          `NAVI could not run the command: ${this.describe(error)}`,
          'Show Log',
        )) === 'Show Log'
      )
        this.log.show();
      return;
    }
    const hint = (error.data as { hint?: string; path?: string } | undefined)?.hint;
    const message = `${error.message}${hint ? ` ${hint}` : ''}`;
    switch (error.code) {
      case ErrorCodes.RequestCancelled:
        return;
      case ErrorCodes.WorkspaceNotTrusted:
        if ((await vscode.window.showWarningMessage(message, 'Manage Workspace Trust')) !== undefined)
          await vscode.commands.executeCommand('workbench.trust.manage');
        return;
      case ErrorCodes.InvalidPolicy: {
        const file = (error.data as { path?: string } | undefined)?.path;
        const choice = await vscode.window.showErrorMessage(message, ...(file ? ['Open Policy File'] : []));
        if (choice && file) await vscode.window.showTextDocument(vscode.Uri.file(file));
        return;
      }
      default:
        if ((await vscode.window.showErrorMessage(message, 'Show Log')) === 'Show Log') this.log.show();
    }
  }

  dispose(): void {
    this.subscription.dispose();
    clearTimeout(this.timer);
    for (const view of this.runs.values()) view.cancel.cancel();
    this.emitter.dispose();
  }
}
