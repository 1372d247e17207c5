import * as vscode from 'vscode';
import type { ApprovalController } from './approvals';
import { pendingIndicator, type PendingSummary } from './approvalSummary';

/**
 * The status bar item that counts pending approvals (hidden when there are none); a click runs
 * _NAVI: Show Pending Approvals_, which reveals the panel with the oldest one focused. The view's
 * badge (sidebarProvider.ts) shows the same count.
 */
export class ApprovalStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscription: vscode.Disposable;

  constructor(approvals: ApprovalController) {
    this.item = vscode.window.createStatusBarItem('navi.approvals', vscode.StatusBarAlignment.Left, 100);
    this.item.name = 'NAVI Approvals';
    this.item.command = 'navi.showApprovals';
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.subscription = approvals.onDidChangePending((pending) => this.update(pending));
    this.update(approvals.summaries());
  }

  private update(pending: readonly PendingSummary[]): void {
    const shown = pendingIndicator(pending);
    if (!shown) {
      this.item.hide();
      return;
    }
    this.item.text = shown.text;
    this.item.tooltip = shown.tooltip;
    this.item.accessibilityInformation = { label: shown.label, role: 'button' };
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
