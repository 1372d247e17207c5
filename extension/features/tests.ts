import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { ErrorCodes } from '../../protocol/errors';
import { test, testProgress, TestProgressParams, type TestParams } from '../../protocol/requests';
import { TestRunResult } from '../../protocol/testing';
import type { HostMessage } from '../../protocol/webviewMessages';
import type { Agent } from '../client';
import { readSetting } from '../config';
import { SIDEBAR_VIEW_ID } from '../webview/viewIds';
import { workspaceRoot, type ProfileController } from './profile';
import { describeProgress, describeScope, describeTotals, plural, summarizeRun } from './testModel';

/** What to run: a project of the profile, and only some files or tests (Test Explorer). */
export interface TestRunOptions {
  /** Chosen by the caller to match its own bookkeeping (the Test Explorer's TestRun). */
  runId?: string;
  /** Project directory relative to the workspace folder; asked when the profile has several. */
  project?: string;
  files?: string[];
  testIds?: string[];
  /** Cancels the run (the Test Explorer's token). */
  token?: vscode.CancellationToken;
}

export interface TestRunEvent {
  runId: string;
  root: string;
  request: { files?: string[]; testIds?: string[] };
  /** Set on finish when the agent answered. */
  result?: TestRunResult;
}

interface Running {
  runId: string;
  cancel: vscode.CancellationTokenSource;
  started: Extract<HostMessage, { kind: 'testStarted' }>;
  progress?: Extract<HostMessage, { kind: 'testProgress' }>;
  report?: (message: string) => void;
}

/**
 * Runs the profile's tests through the agent (`navi/test`: the safe pipeline, each runner's
 * machine-readable reporter) and publishes the run: progress and the summary to the panel,
 * start and finish events to the Test Explorer and the diagnostics. One run at a time.
 */
export class TestRunController implements vscode.Disposable {
  private running: Running | undefined;
  private last: HostMessage[] = [];
  private readonly emitter = new vscode.EventEmitter<HostMessage>();
  readonly onMessage = this.emitter.event;
  private readonly startEmitter = new vscode.EventEmitter<TestRunEvent>();
  readonly onDidStart = this.startEmitter.event;
  private readonly finishEmitter = new vscode.EventEmitter<TestRunEvent>();
  readonly onDidFinish = this.finishEmitter.event;

  constructor(
    private readonly agent: Agent,
    private readonly profiles: ProfileController,
    private readonly log: vscode.LogOutputChannel,
  ) {
    agent.handleRequests((client) =>
      client.onNotification(testProgress.type, (raw) => {
        const parsed = TestProgressParams.safeParse(raw);
        if (!parsed.success) {
          this.log.warn('Ignored malformed test progress from the agent.');
          return;
        }
        this.progress(parsed.data);
      }),
    );
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  replay(): HostMessage[] {
    if (!this.running) return this.last;
    return [this.running.started, ...(this.running.progress ? [this.running.progress] : [])];
  }

  cancel(runId?: string): void {
    if (this.running && (runId === undefined || this.running.runId === runId)) this.running.cancel.cancel();
  }

  /**
   * Runs the tests. Resolves with the structured result, or undefined when nothing ran (no
   * folder, Restricted Mode, no test command, another run in progress, an error already shown).
   */
  async run(options: TestRunOptions = {}): Promise<TestRunResult | undefined> {
    const root = workspaceRoot();
    if (!root) {
      void vscode.window.showErrorMessage('Open a folder first: NAVI runs the tests of a workspace folder.');
      return undefined;
    }
    if (!(await requireTrust('run tests'))) return undefined;
    if (this.running) {
      const choice = await vscode.window.showInformationMessage(
        'NAVI is already running tests.',
        'Stop Them',
        'Show',
      );
      if (choice === 'Stop Them') this.cancel();
      if (choice === 'Show') void vscode.commands.executeCommand(`${SIDEBAR_VIEW_ID}.focus`);
      return undefined;
    }
    const project = options.project ?? (await this.pickProject());
    if (project === null) return undefined;

    const runId = options.runId ?? randomUUID();
    const request = {
      ...(options.files?.length ? { files: options.files } : {}),
      ...(options.testIds?.length ? { testIds: options.testIds } : {}),
    };
    const cancel = new vscode.CancellationTokenSource();
    const sub = options.token?.onCancellationRequested(() => cancel.cancel());
    const started: Running['started'] = {
      kind: 'testStarted',
      runId,
      ...(project ? { project } : {}),
      scope: describeScope(request),
      startedAt: Date.now(),
    };
    const running: Running = { runId, cancel, started };
    this.running = running;
    this.emitter.fire(started);
    this.startEmitter.fire({ runId, root, request });

    const params: TestParams = {
      runId,
      root,
      ...(project ? { project } : {}),
      trusted: vscode.workspace.isTrusted,
      ...request,
      // The profile's own timeout for the project wins over the setting (the agent applies it).
      ...(this.profiles.projectFor('test', project)?.testTimeoutMs
        ? {}
        : { timeoutMs: readSetting('tests.timeoutMinutes', this.log) * 60_000 }),
    };
    let result: TestRunResult | undefined;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'NAVI: Running tests' },
        async (progress) => {
          running.report = (message) => progress.report({ message });
          const client = await this.agent.ready();
          return TestRunResult.parse(await client.sendRequest(test.type, params, cancel.token));
        },
      );
      this.finish({ kind: 'testFinished', runId, summary: summarizeRun(result, root) });
      this.log.info(
        `Tests (${started.scope}) ${result.status}: ${describeTotals(result.totals)}; ${result.steps.map((s) => `${s.original}: ${s.message}`).join('; ')}`,
      );
      void this.announce(result);
      return result;
    } catch (error) {
      const cancelled =
        cancel.token.isCancellationRequested ||
        (error instanceof ResponseError && error.code === ErrorCodes.RequestCancelled);
      const { message, hint } = cancelled ? { message: 'Stopped.', hint: undefined } : describe(error);
      this.finish({ kind: 'testFinished', runId, error: message, ...(hint ? { hint } : {}) });
      if (!cancelled) void reportError(error, this.log, 'run the tests');
      return undefined;
    } finally {
      this.running = undefined;
      sub?.dispose();
      cancel.dispose();
      this.finishEmitter.fire({ runId, root, request, ...(result ? { result } : {}) });
    }
  }

  private progress(p: TestProgressParams): void {
    const running = this.running;
    if (!running || running.runId !== p.runId) return;
    running.progress = { kind: 'testProgress', ...p };
    running.report?.(describeProgress(p));
    this.emitter.fire(running.progress);
  }

  private finish(message: Extract<HostMessage, { kind: 'testFinished' }>): void {
    if (this.running) this.last = [this.running.started, message];
    this.emitter.fire(message);
  }

  /** Which project's tests: undefined = the agent's default (the only one), null = dismissed. */
  private async pickProject(): Promise<string | undefined | null> {
    await this.profiles.get();
    const candidates = this.profiles.projectsWith('test');
    if (candidates.length <= 1) return candidates[0]?.path;
    const picked = await vscode.window.showQuickPick(
      candidates.map((p) => ({
        label: p.name ?? p.path,
        description: p.path,
        detail: p.commands.test!.command,
        path: p.path,
      })),
      { title: 'NAVI: Run Tests', placeHolder: 'Which project’s tests?', ignoreFocusOut: true },
    );
    return picked ? picked.path : null;
  }

  /** A short word in the status bar when all passed; a notification pointing to the failures otherwise. */
  private async announce(result: TestRunResult): Promise<void> {
    if (result.status === 'passed') {
      vscode.window.setStatusBarMessage(`$(pass) NAVI: ${describeTotals(result.totals)}`, 6000);
      return;
    }
    if (result.status === 'cancelled') return;
    const failedSteps = result.steps.filter((s) => s.status === 'error' || s.status === 'denied');
    const message =
      result.totals.failed > 0
        ? `NAVI: ${plural(result.totals.failed, 'test')} failed (${describeTotals(result.totals)}).`
        : `NAVI: the tests did not pass${failedSteps[0] ? `: ${failedSteps[0].message}` : '.'}`;
    const choice = await vscode.window.showWarningMessage(
      message,
      ...(result.totals.failed > 0 ? ['Show Problems', 'Open Test Explorer'] : ['Show Log']),
    );
    if (choice === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
    if (choice === 'Open Test Explorer') await vscode.commands.executeCommand('workbench.view.testing.focus');
    if (choice === 'Show Log') this.log.show();
  }

  dispose(): void {
    this.running?.cancel.cancel();
    this.emitter.dispose();
    this.startEmitter.dispose();
    this.finishEmitter.dispose();
  }
}

/**
 * True in a trusted workspace; in Restricted Mode says that NAVI runs nothing there and offers
 * Manage Workspace Trust (as NAVI: Run Command… does).
 */
export async function requireTrust(what: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const choice = await vscode.window.showWarningMessage(
    `NAVI runs nothing in Restricted Mode. Trust this workspace to let NAVI ${what} (it still asks before anything risky).`,
    'Manage Workspace Trust',
  );
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

export function describe(error: unknown): { message: string; hint?: string } {
  if (error instanceof ResponseError) {
    const hint = (error.data as { hint?: unknown } | undefined)?.hint;
    return { message: error.message, ...(typeof hint === 'string' ? { hint } : {}) };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

/** Says what went wrong and what to do (trust, the profile, the policy file, the log). */
export async function reportError(error: unknown, log: vscode.LogOutputChannel, what: string): Promise<void> {
  const { message, hint } = describe(error);
  log.error(`NAVI could not ${what}: ${message}`);
  const text = `NAVI could not ${what}: ${message}${hint ? ` ${hint}` : ''}`;
  const code = error instanceof ResponseError ? error.code : undefined;
  switch (code) {
    case ErrorCodes.RequestCancelled:
      return;
    case ErrorCodes.WorkspaceNotTrusted:
      if ((await vscode.window.showWarningMessage(text, 'Manage Workspace Trust')) !== undefined)
        await vscode.commands.executeCommand('workbench.trust.manage');
      return;
    case ErrorCodes.NoProfileCommand:
      if ((await vscode.window.showWarningMessage(text, 'Edit Project Profile')) !== undefined)
        await vscode.commands.executeCommand('navi.editProfile');
      return;
    case ErrorCodes.InvalidPolicy: {
      const file = (error as ResponseError<{ path?: string }>).data?.path;
      const choice = await vscode.window.showErrorMessage(text, ...(file ? ['Open Policy File'] : []));
      if (choice && file) await vscode.window.showTextDocument(vscode.Uri.file(file));
      return;
    }
    default:
      if ((await vscode.window.showErrorMessage(text, 'Show Log')) === 'Show Log') log.show();
  }
}
