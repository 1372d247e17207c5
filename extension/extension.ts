import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AgentInfoResult } from '../protocol/requests';
import type { AgentState } from '../protocol/webviewMessages';
import type { Core } from './core';
import { COMMAND_IDS } from './features/commandIds';
import { createLog } from './log';
import { SIDEBAR_VIEW_ID } from './webview/viewIds';

/** What the extension exports: for tests and for other extensions that build on NAVI. */
export interface NaviApi {
  /** Version, pid and tasks of the running agent (starts it if needed). */
  agentInfo(): Promise<AgentInfoResult>;
  /** Fires when the agent starts, stops, restarts or gives up. */
  onDidChangeAgentState: vscode.Event<AgentState>;
  /** Milliseconds of the extension's own work in `activate`. */
  activationMs: number;
}

/**
 * Activation registers the contributed commands and the sidebar view and returns; the rest of
 * the extension (dist/core.js: language client, zod schemas, panel host) loads on the next tick
 * or on first use, whichever comes first.
 */
export function activate(context: vscode.ExtensionContext): NaviApi {
  const started = performance.now();
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? 'dev');
  const log = createLog();
  const agentState = new vscode.EventEmitter<AgentState>();
  context.subscriptions.push(log, agentState);

  let core: Core | undefined;
  const loadCore = (): Core => {
    if (!core) {
      // A runtime path keeps esbuild from inlining the core into this bundle.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { createCore } = require(path.join(__dirname, 'core.js')) as typeof import('./core');
      core = createCore(context, log, version);
      context.subscriptions.push(core.agent.onDidChangeState((state) => agentState.fire(state)));
    }
    return core;
  };

  for (const id of COMMAND_IDS) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, (...args: unknown[]) => loadCore().commands[id](...args)),
    );
  }
  context.subscriptions.push(
    vscode.window.registerWebviewViewProvider(SIDEBAR_VIEW_ID, {
      resolveWebviewView: (view) => loadCore().sidebar.resolveWebviewView(view),
    }),
  );
  setImmediate(() => {
    try {
      loadCore();
    } catch (error) {
      log.error(
        `NAVI failed to load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  });

  const activationMs = performance.now() - started;
  log.info(
    `NAVI ${version} activated in ${activationMs.toFixed(1)} ms (workspace ${vscode.workspace.isTrusted ? 'trusted' : 'in Restricted Mode'})`,
  );
  return {
    agentInfo: () => loadCore().agentInfo(),
    onDidChangeAgentState: agentState.event,
    activationMs,
  };
}

export function deactivate(): void {
  // context.subscriptions stop the agent and dispose the panel.
}
