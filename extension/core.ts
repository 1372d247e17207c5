import * as vscode from 'vscode';
import { Agent } from './client';
import { readSetting } from './config';
import { ApprovalController } from './features/approvals';
import { ApprovalStatusBar } from './features/approvalStatus';
import { AlwaysAllowFeature } from './features/alwaysAllow';
import { AuthFeature } from './features/auth';
import { commandTable } from './features/commands';
import { OrgSyncFeature } from './features/orgSync';
import { RunController } from './features/runs';
import { ScanController } from './features/scan';
import { TestingFeature } from './features/testing';
import { SidebarProvider } from './webview/sidebarProvider';
import { CommandOutputHub } from './features/commandOutput';
import { FixFeature } from './features/fix/fixFeature';
import { MetricsFeature } from './features/metrics';
import { OnboardingFeature } from './features/onboarding';

/**
 * Everything behind activation: the agent client, the scan controller, the sidebar and the
 * command handlers. Bundled as dist/core.js and loaded right after `activate` returns (or on the
 * first command), so activation itself stays a few milliseconds.
 */
export function createCore(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, version: string) {
  const agent = new Agent(context, log);
  const scans = new ScanController(agent, log);
  const approvals = new ApprovalController(agent, log);
  const approvalStatus = new ApprovalStatusBar(approvals);
  const alwaysAllow = new AlwaysAllowFeature(agent, log);
  const output = new CommandOutputHub(agent, log);
  const runs = new RunController(agent, output, log);
  const testing = new TestingFeature(agent, scans, output, log);
  const fixes = new FixFeature(context, agent, log);
  const metrics = new MetricsFeature(agent, log);
  const onboarding = new OnboardingFeature(
    context.workspaceState,
    agent,
    [scans.onMessage, testing.onMessage, fixes.onMessage],
    log,
  );
  const sidebar = new SidebarProvider(
    context.extensionUri,
    version,
    { agent, scans, approvals, alwaysAllow, runs, testing, fixes, metrics, onboarding },
    log,
  );
  const auth = new AuthFeature(context, log);
  // Before agent.start(): it sends the org session after every start, restarts included.
  const orgSync = new OrgSyncFeature(agent, auth, log);
  const commands = commandTable({ agent, scans, runs, auth, testing, fixes, approvals, log });
  context.subscriptions.push(agent, output, scans, approvals, runs, testing, fixes, sidebar, auth, orgSync);
  context.subscriptions.push(approvalStatus, alwaysAllow, metrics, onboarding);

  agent.start().then(
    () => {
      if (readSetting('scan.scanOnOpen', log) && vscode.workspace.workspaceFolders?.length === 1) {
        void scans.scan(vscode.workspace.workspaceFolders[0]!.uri);
      }
    },
    (error: unknown) => log.error(`The NAVI agent could not start: ${String(error)}`),
  );

  return {
    agent,
    /** Org sign-in; `auth.getAccessToken()` gives other features a current access token. */
    auth,
    sidebar,
    commands,
    agentInfo: async () => {
      await agent.start();
      return agent.info();
    },
  };
}

export type Core = ReturnType<typeof createCore>;
