import * as vscode from 'vscode';
import type { ScanReport } from '../../protocol/scanReport';
import type { Agent } from '../client';
import type { CommandId } from './commandIds';
import type { ScanController } from './scan';
import { SIDEBAR_VIEW_ID } from '../webview/viewIds';

export interface CommandDeps {
  agent: Agent;
  scans: ScanController;
  log: vscode.LogOutputChannel;
}

/**
 * Every NAVI command, in one table: id → handler. A test checks this table against
 * `contributes.commands` in package.json, both ways.
 */
export function commandTable(deps: CommandDeps): Record<CommandId, (...args: unknown[]) => unknown> {
  return {
    /** Scans a workspace folder (an explorer folder URI when given) and shows the report in the sidebar. */
    'navi.scanRepository': async (arg?: unknown): Promise<ScanReport | undefined> => {
      void vscode.commands.executeCommand(`${SIDEBAR_VIEW_ID}.focus`);
      return deps.scans.scan(arg instanceof vscode.Uri ? arg : undefined);
    },
    'navi.showLog': () => deps.log.show(),
    'navi.restartAgent': async () => {
      try {
        await deps.agent.restart();
        const info = await deps.agent.info();
        void vscode.window.setStatusBarMessage(`NAVI agent restarted (pid ${info.pid})`, 4000);
      } catch (error) {
        deps.log.error(`Restarting the agent failed: ${String(error)}`);
        const choice = await vscode.window.showErrorMessage('NAVI could not restart its agent.', 'Show Log');
        if (choice) deps.log.show();
      }
    },
  };
}
