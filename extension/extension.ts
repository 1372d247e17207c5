import * as vscode from 'vscode';
import type { AgentInfoResult } from '../protocol/requests';
import type { AgentState } from '../protocol/webviewMessages';
import { Agent } from './client';
import { readSetting } from './config';
import { registerCommands } from './features/commands';
import { ScanController } from './features/scan';
import { createLog } from './log';
import { SIDEBAR_VIEW_ID, SidebarProvider } from './webview/sidebarProvider';

/** What the extension exports: for tests and for other extensions that build on NAVI. */
export interface NaviApi {
  /** Version, pid and tasks of the running agent (starts it if needed). */
  agentInfo(): Promise<AgentInfoResult>;
  /** Fires when the agent starts, stops, restarts or gives up. */
  onDidChangeAgentState: vscode.Event<AgentState>;
  /** Milliseconds of the extension's own work in `activate` (the agent starts afterwards). */
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): NaviApi {
  const started = performance.now();
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? 'dev');
  const log = createLog();
  const agent = new Agent(context, log);
  const scans = new ScanController(agent, log);
  const sidebar = new SidebarProvider(context.extensionUri, version, agent, scans, log);

  context.subscriptions.push(
    log,
    agent,
    scans,
    sidebar,
    vscode.window.registerWebviewViewProvider(SIDEBAR_VIEW_ID, sidebar, { webviewOptions: { retainContextWhenHidden: false } }),
    ...registerCommands({ agent, scans, log }),
  );

  // The agent starts after activation returns, so activation itself stays cheap.
  setImmediate(() => {
    agent.start().then(
      () => {
        if (readSetting('scan.scanOnOpen', log) && vscode.workspace.workspaceFolders?.length === 1) {
          void scans.scan(vscode.workspace.workspaceFolders[0]!.uri);
        }
      },
      (error: unknown) => log.error(`The NAVI agent could not start: ${String(error)}`),
    );
  });

  const activationMs = performance.now() - started;
  log.info(`NAVI ${version} activated in ${activationMs.toFixed(1)} ms (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'in Restricted Mode'})`);
  return {
    agentInfo: async () => {
      await agent.start();
      return agent.info();
    },
    onDidChangeAgentState: agent.onDidChangeState,
    activationMs,
  };
}

export function deactivate(): void {
  // Disposables in context.subscriptions stop the agent.
}
