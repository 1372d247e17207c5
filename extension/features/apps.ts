import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { ResponseError, type LanguageClient } from 'vscode-languageclient/node';
import { ErrorCodes } from '../../protocol/errors';
import { appStatus, start, stopApp } from '../../protocol/requests';
import { AppInfo } from '../../protocol/testing';
import type { HostMessage } from '../../protocol/webviewMessages';
import type { Agent } from '../client';
import { readSetting } from '../config';
import { SIDEBAR_VIEW_ID } from '../webview/viewIds';
import { workspaceRoot, type ProfileController } from './profile';
import type { CommandOutputHub } from './commandOutput';
import { reportError, requireTrust } from './tests';

interface App {
  info: AppInfo;
  /** Project directory relative to the workspace folder. */
  project: string;
  startedAt: number;
  /** Cancels the `navi/start` request while the app is not ready yet. */
  cancel: vscode.CancellationTokenSource;
}

const LIVE: readonly AppInfo['status'][] = ['starting', 'ready'];

/**
 * Starts the profile's app through the agent (`navi/start`: the pipeline, readiness from a URL,
 * a "listening on" line or an open port), shows where it runs — the panel, a notification and a
 * status bar item with its URL — opens it in the browser or VS Code's Simple Browser, and stops
 * it (its whole process tree) on NAVI: Stop App and when the window closes.
 */
export class AppController implements vscode.Disposable {
  private readonly apps = new Map<string, App>();
  private readonly emitter = new vscode.EventEmitter<HostMessage>();
  readonly onMessage = this.emitter.event;
  private readonly status = vscode.window.createStatusBarItem('navi.app', vscode.StatusBarAlignment.Left, 40);
  /** The apps' own output, live, as they print it (redacted by the agent). */
  private readonly output = vscode.window.createOutputChannel('NAVI App');
  private readonly disposables: vscode.Disposable[] = [this.emitter, this.status, this.output];
  /** The current agent connection, for stopping apps on deactivate without starting an agent. */
  private client: LanguageClient | undefined;

  constructor(
    private readonly agent: Agent,
    private readonly profiles: ProfileController,
    output: CommandOutputHub,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.status.name = 'NAVI App';
    this.disposables.push(
      output.onOutput((o) => {
        if (this.apps.has(o.runId)) this.output.append(o.chunk);
      }),
    );
    agent.handleRequests((client) => {
      this.client = client;
      return client.onNotification(appStatus.type, (raw) => {
        const parsed = AppInfo.safeParse(raw);
        if (!parsed.success) {
          this.log.warn('Ignored a malformed navi/appStatus from the agent.');
          return;
        }
        this.update(parsed.data, true);
      });
    });
    // Apps live in the agent process: when it stops, so do they.
    this.disposables.push(
      agent.onDidChangeState((state) => {
        if (state !== 'stopped' && state !== 'failed') return;
        for (const app of this.apps.values())
          if (LIVE.includes(app.info.status))
            this.update(
              { ...app.info, status: 'stopped', message: 'Stopped: the NAVI agent stopped.' },
              false,
            );
      }),
    );
  }

  replay(): HostMessage[] {
    return [...this.apps.values()].map((a) => this.message(a));
  }

  /** NAVI: Start App. Resolves with the app once ready or failed; undefined when nothing started. */
  async start(project?: string): Promise<AppInfo | undefined> {
    const root = workspaceRoot();
    if (!root) {
      void vscode.window.showErrorMessage('Open a folder first: NAVI starts the app of a workspace folder.');
      return undefined;
    }
    if (!(await requireTrust('start the app'))) return undefined;
    const chosen = project ?? (await this.pickProject());
    if (chosen === null) return undefined;
    const live = [...this.apps.values()].find(
      (a) => LIVE.includes(a.info.status) && (chosen === undefined || a.project === chosen),
    );
    if (live) {
      void this.offer(live, 'is already running');
      return live.info;
    }

    const appId = randomUUID();
    const app: App = {
      info: { appId, project: root, command: '', status: 'starting' },
      project: chosen ?? this.profiles.projectsWith('start')[0]?.path ?? '.',
      startedAt: Date.now(),
      cancel: new vscode.CancellationTokenSource(),
    };
    const command = this.profiles.profile?.projects.find((p) => p.path === app.project)?.commands.start;
    if (command) app.info.command = command.command;
    this.apps.set(appId, app);
    this.output.appendLine(
      `\n── ${app.info.command || 'The start command'} (${app.project}), ${new Date().toLocaleTimeString()} ──`,
    );
    this.emitter.fire(this.message(app));
    this.refreshStatus();
    void vscode.commands.executeCommand(`${SIDEBAR_VIEW_ID}.focus`);

    try {
      const info = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'NAVI: Starting the app' },
        async () => {
          const client = await this.agent.ready();
          const raw = await client.sendRequest(
            start.type,
            {
              appId,
              root,
              ...(chosen ? { project: chosen } : {}),
              trusted: vscode.workspace.isTrusted,
              // The profile's own timeout for the project wins over the setting.
              ...(this.profiles.projectFor('start', chosen)?.startTimeoutMs
                ? {}
                : { readyTimeoutMs: readSetting('app.readyTimeoutSeconds', this.log) * 1000 }),
            },
            app.cancel.token,
          );
          return AppInfo.parse(raw);
        },
      );
      this.update(info, false);
      if (info.status === 'ready') {
        this.log.info(`App ${info.command} ready at ${info.url ?? '(no URL)'} in ${info.readyMs ?? '?'} ms.`);
        void this.offer(this.apps.get(appId)!, 'is running');
      } else {
        this.log.warn(`App ${info.command} ${info.status}: ${info.message ?? ''}\n${info.tail ?? ''}`);
        void this.failed(info);
      }
      return info;
    } catch (error) {
      const cancelled =
        app.cancel.token.isCancellationRequested ||
        (error instanceof ResponseError && error.code === ErrorCodes.RequestCancelled);
      this.update(
        {
          ...app.info,
          status: cancelled ? 'stopped' : 'failed',
          message: cancelled ? 'Stopped before it was ready.' : errorText(error),
        },
        false,
      );
      if (!cancelled) void reportError(error, this.log, 'start the app');
      return undefined;
    }
  }

  /** NAVI: Stop App: the given app, the only running one, or the one picked. */
  async stop(appId?: string): Promise<AppInfo | undefined> {
    const app = appId ? this.apps.get(appId) : await this.pickLive('Which app should NAVI stop?');
    if (!app) {
      if (!appId) void vscode.window.showInformationMessage('NAVI has no app running.');
      return undefined;
    }
    if (!LIVE.includes(app.info.status)) return app.info;
    if (app.info.status === 'starting') app.cancel.cancel();
    try {
      const client = await this.agent.ready();
      const info = AppInfo.parse(await client.sendRequest(stopApp.type, { appId: app.info.appId }));
      this.update(info, false);
      this.log.info(`Stopped app ${info.command}.`);
      return info;
    } catch (error) {
      if (error instanceof ResponseError && error.code === ErrorCodes.NoSuchApp) {
        this.update({ ...app.info, status: 'stopped', message: 'Stopped.' }, false);
        return this.apps.get(app.info.appId)?.info;
      }
      void reportError(error, this.log, 'stop the app');
      return undefined;
    }
  }

  /** Opens a ready app's URL (asks where when `where` is not given; Stop App is offered too). */
  async open(appId?: string, where?: 'browser' | 'simpleBrowser'): Promise<void> {
    const app = appId ? this.apps.get(appId) : await this.pickLive('Which app?');
    if (!app) {
      if (!appId) void vscode.window.showInformationMessage('NAVI has no app running. Run NAVI: Start App.');
      return;
    }
    const url = app.info.url;
    if (!where) {
      const picked = await vscode.window.showQuickPick(
        [
          ...(url
            ? [
                { label: '$(link-external) Open in Browser', where: 'browser' as const },
                { label: '$(browser) Open in Simple Browser', where: 'simpleBrowser' as const },
              ]
            : []),
          { label: '$(debug-stop) Stop App', where: 'stop' as const },
        ],
        { title: `NAVI: ${app.info.command}`, placeHolder: url ?? 'Starting…' },
      );
      if (!picked) return;
      if (picked.where === 'stop') {
        await this.stop(app.info.appId);
        return;
      }
      where = picked.where;
    }
    if (!url) return;
    if (where === 'browser') await vscode.env.openExternal(vscode.Uri.parse(url));
    else await vscode.commands.executeCommand('simpleBrowser.show', url);
  }

  private update(info: AppInfo, fromAgent: boolean): void {
    const app = this.apps.get(info.appId);
    if (!app) return;
    const was = app.info.status;
    app.info = { ...app.info, ...info };
    if (info.status !== was) this.output.appendLine(`── NAVI: ${describeStatus(app.info)} ──`);
    this.emitter.fire(this.message(app));
    this.refreshStatus();
    // The app ended by itself after it was ready: say so.
    if (fromAgent && was === 'ready' && (info.status === 'exited' || info.status === 'failed'))
      void vscode.window
        .showWarningMessage(
          `NAVI: ${app.info.command} ${info.message ?? `exited${info.exitCode !== undefined && info.exitCode !== null ? ` (exit ${info.exitCode})` : ''}.`}`,
          'Show Output',
          'Show in Panel',
        )
        .then((choice) => {
          if (choice === 'Show Output') this.showOutput();
          if (choice === 'Show in Panel') void vscode.commands.executeCommand(`${SIDEBAR_VIEW_ID}.focus`);
        });
  }

  private message(app: App): HostMessage {
    return { kind: 'appState', app: app.info, project: app.project, startedAt: app.startedAt };
  }

  private refreshStatus(): void {
    const live = [...this.apps.values()].filter((a) => LIVE.includes(a.info.status));
    const latest = live[live.length - 1];
    if (!latest) {
      this.status.hide();
      return;
    }
    if (latest.info.status === 'starting') {
      this.status.text = '$(loading~spin) Starting app…';
      this.status.tooltip = `NAVI is starting ${latest.info.command || 'the app'}`;
    } else {
      this.status.text = `$(globe) ${latest.info.url ? hostOf(latest.info.url) : 'App running'}`;
      this.status.tooltip = `NAVI: ${latest.info.command} is running${latest.info.url ? ` at ${latest.info.url}` : ''}. Click to open or stop it.`;
    }
    this.status.command = {
      command: 'navi.openApp',
      title: 'Open or Stop App',
      arguments: [latest.info.appId],
    };
    this.status.show();
  }

  /** The apps' output channel, without taking the focus from the editor. */
  showOutput(): void {
    this.output.show(true);
  }

  private async offer(app: App, what: string): Promise<void> {
    const url = app.info.url;
    const choice = await vscode.window.showInformationMessage(
      `NAVI: ${app.info.command} ${what}${url ? ` at ${url}` : ''}.`,
      ...(url ? ['Open in Browser', 'Open in Simple Browser'] : []),
      'Show Output',
      'Stop App',
    );
    if (choice === 'Show Output') this.showOutput();
    if (choice === 'Open in Browser') await this.open(app.info.appId, 'browser');
    if (choice === 'Open in Simple Browser') await this.open(app.info.appId, 'simpleBrowser');
    if (choice === 'Stop App') await this.stop(app.info.appId);
  }

  private async failed(info: AppInfo): Promise<void> {
    const choice = await vscode.window.showErrorMessage(
      `NAVI: ${info.command || 'the app'} did not start: ${info.message ?? info.status}.`,
      'Show Output',
      'Show in Panel',
    );
    if (choice === 'Show in Panel') await vscode.commands.executeCommand(`${SIDEBAR_VIEW_ID}.focus`);
    if (choice === 'Show Output') this.showOutput();
  }

  private async pickProject(): Promise<string | undefined | null> {
    await this.profiles.get();
    const candidates = this.profiles.projectsWith('start');
    if (candidates.length <= 1) return candidates[0]?.path;
    const picked = await vscode.window.showQuickPick(
      candidates.map((p) => ({
        label: p.name ?? p.path,
        description: p.path,
        detail: p.commands.start!.command,
        path: p.path,
      })),
      { title: 'NAVI: Start App', placeHolder: 'Which project’s app?', ignoreFocusOut: true },
    );
    return picked ? picked.path : null;
  }

  private async pickLive(placeHolder: string): Promise<App | undefined> {
    const live = [...this.apps.values()].filter((a) => LIVE.includes(a.info.status));
    if (live.length <= 1) return live[0];
    const picked = await vscode.window.showQuickPick(
      live.map((a) => ({ label: a.info.command, description: a.info.url ?? a.info.status, app: a })),
      { placeHolder },
    );
    return picked?.app;
  }

  dispose(): void {
    // The agent also stops every app when the client disconnects; this asks first, while it can.
    for (const app of this.apps.values()) {
      if (!LIVE.includes(app.info.status)) continue;
      app.cancel.cancel();
      if (this.client?.isRunning())
        void this.client.sendRequest(stopApp.type, { appId: app.info.appId }).catch(() => undefined);
    }
    for (const d of this.disposables) d.dispose();
  }
}

function describeStatus(info: AppInfo): string {
  switch (info.status) {
    case 'starting':
      return 'starting';
    case 'ready':
      return info.url ? `ready at ${info.url}` : 'ready';
    default:
      return info.message ?? info.status;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
