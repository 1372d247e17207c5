import * as path from 'node:path';
import * as vscode from 'vscode';
import { PanelMessage, type HostMessage } from '../../protocol/webviewMessages';
import type { Agent } from '../client';
import type { AgentInfoResult } from '../../protocol/requests';
import type { ApprovalController } from '../features/approvals';
import type { AlwaysAllowFeature } from '../features/alwaysAllow';
import { pendingIndicator, type PendingSummary } from '../features/approvalSummary';
import type { RunController } from '../features/runs';
import type { ScanController } from '../features/scan';
import type { TestingFeature } from '../features/testing';
import type { FixFeature } from '../features/fix/fixFeature';
import { FixPanelMessage, type FixHostMessage } from '../../protocol/fixMessages';
import type { MetricsFeature } from '../features/metrics';
import type { OnboardingFeature } from '../features/onboarding';
import { MetricsPanelMessage, type MetricsHostMessage } from '../../protocol/metricsMessages';
import { panelHtml } from './html';

/**
 * Hosts the NAVI sidebar panel: serves its HTML, validates every message it sends, and forwards
 * scan and agent events to it. The panel only asks; every action is decided here or in the agent.
 */
export class SidebarProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  /** The view was hidden since the panel last said `ready`: its page may be loading again. */
  private hiddenSinceReady = false;
  /** An approval to focus once the panel says `ready` again (a message sent meanwhile is lost). */
  private focusOnReady: Extract<HostMessage, { kind: 'focusApproval' }> | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  private readonly agent: Agent;
  private readonly scans: ScanController;
  private readonly approvals: ApprovalController;
  private readonly alwaysAllow: AlwaysAllowFeature;
  private readonly runs: RunController;
  private readonly testing: TestingFeature;
  private readonly fixes: FixFeature;
  private readonly metrics: MetricsFeature;
  private readonly onboarding: OnboardingFeature;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly version: string,
    parts: {
      agent: Agent;
      scans: ScanController;
      approvals: ApprovalController;
      alwaysAllow: AlwaysAllowFeature;
      runs: RunController;
      testing: TestingFeature;
      fixes: FixFeature;
      metrics: MetricsFeature;
      onboarding: OnboardingFeature;
    },
    private readonly log: vscode.LogOutputChannel,
  ) {
    ({
      agent: this.agent,
      scans: this.scans,
      approvals: this.approvals,
      alwaysAllow: this.alwaysAllow,
      runs: this.runs,
      testing: this.testing,
      fixes: this.fixes,
      metrics: this.metrics,
      onboarding: this.onboarding,
    } = parts);
    this.disposables.push(
      this.scans.onMessage((m) => this.post(m)),
      this.approvals.onMessage((m) => this.post(m)),
      this.approvals.onDidChangePending((pending) => this.showBadge(pending)),
      this.alwaysAllow.onMessage((m) => this.post(m)),
      this.runs.onMessage((m) => this.post(m)),
      this.testing.onMessage((m) => this.post(m)),
      this.fixes.onMessage((m) => this.post(m)),
      this.metrics.onMessage((m) => this.post(m)),
      this.onboarding.onMessage((m) => this.post(m)),
      this.agent.onDidChangeState((state) => this.post({ kind: 'agentState', state })),
      this.agent.onDidStart((info) => this.post(sandboxMessage(info))),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.post({ kind: 'trust', trusted: true })),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    view.webview.options = {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist')],
    };
    view.webview.html = panelHtml(view.webview, this.extensionUri);
    // The time to first win counts from the first time the panel opens in this workspace.
    this.onboarding.panelOpened();
    this.showBadge(this.approvals.summaries());
    const sub = view.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw));
    // A hidden view's page goes (no retainContextWhenHidden) and says `ready` again when shown.
    const visibility = view.onDidChangeVisibility(() => {
      if (!view.visible) this.hiddenSinceReady = true;
    });
    view.onDidDispose(() => {
      sub.dispose();
      visibility.dispose();
      if (this.view === view) this.view = undefined;
    });
  }

  /** The count of pending approvals on the view (and so on NAVI's activity bar entry). */
  private showBadge(pending: readonly PendingSummary[]): void {
    if (!this.view) return;
    const shown = pendingIndicator(pending);
    this.view.badge = shown ? { value: shown.count, tooltip: shown.tooltip } : undefined;
  }

  private post(message: HostMessage | FixHostMessage | MetricsHostMessage): void {
    if (message.kind === 'focusApproval' && (!this.ready || this.hiddenSinceReady))
      this.focusOnReady = message;
    if (!this.view || !this.ready) return; // replayed when the panel says `ready`
    void this.view.webview.postMessage(message);
  }

  private async receive(raw: unknown): Promise<void> {
    // The Fixes card has its own union (protocol/fixMessages.ts), parsed first.
    const fix = FixPanelMessage.safeParse(raw);
    if (fix.success) {
      await this.fixes.receive(fix.data);
      return;
    }
    const metrics = MetricsPanelMessage.safeParse(raw);
    if (metrics.success) {
      await this.metrics.receive(metrics.data);
      return;
    }
    const parsed = PanelMessage.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(
        `Ignored a malformed message from the NAVI panel: ${parsed.error.issues[0]?.message ?? 'unknown'}`,
      );
      return;
    }
    const message = parsed.data;
    switch (message.kind) {
      case 'ready': {
        this.ready = true;
        this.hiddenSinceReady = false;
        const folders = vscode.workspace.workspaceFolders ?? [];
        this.post({
          kind: 'init',
          version: this.version,
          trusted: vscode.workspace.isTrusted,
          folder:
            folders.length === 1 ? folders[0]!.name : folders.length > 1 ? `${folders.length} folders` : null,
          agent: this.agent.state,
        });
        const info = this.agent.lastInfo;
        for (const m of [
          ...(info ? [sandboxMessage(info)] : []),
          ...this.scans.replay(),
          ...this.runs.replay(),
          ...this.testing.replay(),
          ...this.fixes.replay(),
          ...this.metrics.replay(),
          ...this.onboarding.replay(),
          ...this.alwaysAllow.replay(),
          ...this.approvals.replay(),
        ])
          this.post(m);
        if (this.focusOnReady) this.post(this.focusOnReady);
        this.focusOnReady = undefined;
        void this.alwaysAllow.refresh();
        return;
      }
      case 'loadAlwaysAllow':
        await this.alwaysAllow.refresh();
        return;
      case 'revokeAlwaysAllow':
        await this.alwaysAllow.revoke(message.id);
        return;
      case 'runCommand':
        await vscode.commands.executeCommand('navi.runCommand');
        return;
      case 'cancelRun':
        this.runs.cancel(message.runId);
        return;
      case 'scan':
        await vscode.commands.executeCommand('navi.scanRepository');
        return;
      case 'cancelScan':
        this.scans.cancel();
        return;
      case 'openFile':
        await this.openFile(message.path, message.line);
        return;
      case 'showLog':
        this.log.show();
        return;
      case 'manageTrust':
        await vscode.commands.executeCommand('workbench.trust.manage');
        return;
      case 'loadProfile':
      case 'saveProfile':
      case 'runTests':
      case 'cancelTests':
      case 'openLocation':
      case 'startApp':
      case 'stopApp':
      case 'openApp':
      case 'showAppOutput':
        await this.testing.receive(message);
        return;
      case 'decideApproval':
        this.approvals.decide(message.approvalId, message.decision);
        return;
      case 'learnMore':
        if (message.topic === 'walkthrough') await this.onboarding.openWalkthrough(WALKTHROUGH_ID);
        else await learnMore(message.topic);
        return;
      default: {
        const unreachable: never = message;
        return unreachable;
      }
    }
  }

  /** Opens a report path at a line, refusing anything that resolves outside the scanned root. */
  private async openFile(relative: string, line: number | undefined): Promise<void> {
    const root = this.scans.lastRoot;
    if (!root) return;
    const target = path.resolve(root.fsPath, relative);
    const rel = path.relative(root.fsPath, target);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      this.log.warn(`Refused to open ${relative}: it is outside ${root.fsPath}.`);
      return;
    }
    const uri = vscode.Uri.file(target);
    try {
      const position = new vscode.Position(Math.max(0, (line ?? 1) - 1), 0);
      await vscode.window.showTextDocument(uri, {
        selection: new vscode.Range(position, position),
        preview: true,
      });
    } catch (error) {
      void vscode.window.showErrorMessage(
        `NAVI could not open ${relative}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** The guided flow's "what else" links besides the walkthrough: the model settings, sign-in. */
async function learnMore(topic: 'model' | 'signIn'): Promise<void> {
  switch (topic) {
    case 'model':
      await vscode.commands.executeCommand('workbench.action.openSettings', 'navi.model');
      return;
    case 'signIn':
      await vscode.commands.executeCommand('navi.signIn');
      return;
    default: {
      const unreachable: never = topic;
      return unreachable;
    }
  }
}

/** `<publisher>.<name>#<walkthrough id>` of package.json's `contributes.walkthroughs`. */
export const WALKTHROUGH_ID = 'navi-dev.navi#navi.firstWin';

function sandboxMessage(info: AgentInfoResult): HostMessage {
  return {
    kind: 'sandbox',
    available: info.sandbox.available,
    ...(info.sandbox.reason ? { reason: info.sandbox.reason } : {}),
  };
}
