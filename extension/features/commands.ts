import * as vscode from 'vscode';
import type { ScanReport } from '../../protocol/scanReport';
import type { Agent } from '../client';
import type { ApprovalController } from './approvals';
import { exportAuditTrail } from './auditExport';
import type { AuthFeature } from './auth';
import type { CommandId } from './commandIds';
import type { FixFeature } from './fix/fixFeature';
import type { RunController } from './runs';
import type { ScanController } from './scan';
import type { TestingFeature } from './testing';
import { SIDEBAR_VIEW_ID } from '../webview/viewIds';

export interface CommandDeps {
  agent: Agent;
  scans: ScanController;
  runs: RunController;
  auth: AuthFeature;
  testing: TestingFeature;
  fixes: FixFeature;
  approvals: ApprovalController;
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
    /**
     * Runs a command through NAVI's policy, approvals and sandbox (asks for it when not given;
     * tests pass the text and `{ cwd }`). Resolves with the agent's RunOutcome.
     */
    'navi.runCommand': (command?: unknown, options?: unknown) =>
      deps.runs.run(typeof command === 'string' ? command : undefined, runOptions(options)),
    /** Exports the audit trail to a file (asks for the format and the file unless given `{format, output}`). */
    'navi.exportAudit': (arg?: unknown) => exportAuditTrail(deps.agent, deps.log, arg),
    'navi.showLog': () => deps.log.show(),
    /** Org sign-in (OIDC, `navi.auth.*`); resolves with the session, undefined when cancelled. */
    'navi.signIn': () => deps.auth.signIn(),
    /** Revokes the session's tokens at the identity provider and forgets them in every window. */
    'navi.signOut': () => deps.auth.signOut(),
    /** Run Tests, Start App, Stop App, Open Running App, Confirm Project Profile (features/testing.ts). */
    ...deps.testing.commands(),
    /** Fix Problems, Set Model API Key (features/fix/fixFeature.ts). */
    ...deps.fixes.commands(),
    /** Reveals the panel with the oldest pending approval focused (the status bar item runs it). */
    'navi.showApprovals': () => deps.approvals.showPending(),
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

function runOptions(value: unknown): { cwd?: string } {
  if (value && typeof value === 'object' && typeof (value as { cwd?: unknown }).cwd === 'string')
    return { cwd: (value as { cwd: string }).cwd };
  return {};
}
