import * as os from 'node:os';
import * as vscode from 'vscode';
import { ApprovalParams, type ApprovalDecision, type ApprovalResult } from '../../protocol/approvals';
import { approval } from '../../protocol/requests';
import type { HostMessage } from '../../protocol/webviewMessages';
import type { Agent } from '../client';
import { SIDEBAR_VIEW_ID } from '../webview/viewIds';

interface Pending {
  params: ApprovalParams;
  expiresAt: number;
  settle: (result: ApprovalResult) => void;
}

/**
 * Answers the agent's `navi/approval` requests: shows each pending approval in the sidebar,
 * points to it with a notification when the panel is not visible, and answers `deny` on timeout,
 * in Restricted Mode and when the agent restarts. The agent enforces the same timeout on its side.
 */
export class ApprovalController implements vscode.Disposable {
  private readonly pending = new Map<string, Pending>();
  private readonly emitter = new vscode.EventEmitter<HostMessage>();
  /** Approval events for the panel. */
  readonly onMessage = this.emitter.event;
  /** Tells whether the sidebar is visible right now (set by the sidebar provider). */
  panelVisible: () => boolean = () => false;

  constructor(
    agent: Agent,
    private readonly log: vscode.LogOutputChannel,
  ) {
    agent.handleRequests((client) => {
      // A new client means a new agent process: nothing pending can be answered any more.
      this.settleAll('deny', 'agent-restart');
      return client.onRequest(approval.type, (raw) => this.request(raw));
    });
  }

  /** Messages that bring a freshly loaded panel up to date. */
  replay(): HostMessage[] {
    return [...this.pending.values()].map((p) => ({
      kind: 'approvalRequested',
      approval: { ...p.params, expiresAt: p.expiresAt },
    }));
  }

  /** The user's decision, from the panel. */
  decide(approvalId: string, decision: ApprovalDecision): void {
    const entry = this.pending.get(approvalId);
    if (!entry) return; // already answered (timeout, another view)
    if (decision === 'alwaysAllow' && !entry.params.canAlwaysAllow) {
      this.log.warn(`Ignored "always allow" for ${approvalId}: not offered for this command.`);
      return;
    }
    this.settle(approvalId, decision, userName());
  }

  private request(raw: unknown): Promise<ApprovalResult> {
    const parsed = ApprovalParams.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`Denied a malformed approval request: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
      return Promise.resolve({ decision: 'deny', by: 'malformed-request' });
    }
    const params = parsed.data;
    if (!vscode.workspace.isTrusted) {
      this.log.info(`Denied ${params.command}: the workspace is in Restricted Mode.`);
      return Promise.resolve({ decision: 'deny', by: 'restricted-mode' });
    }
    return new Promise<ApprovalResult>((resolve) => {
      const expiresAt = Date.now() + params.timeoutMs;
      const timer = setTimeout(() => this.settle(params.approvalId, 'deny', 'timeout'), params.timeoutMs);
      this.pending.set(params.approvalId, {
        params,
        expiresAt,
        settle: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
      });
      this.emitter.fire({ kind: 'approvalRequested', approval: { ...params, expiresAt } });
      this.log.info(`Waiting for approval: ${params.command} (${params.reasons.join('; ')})`);
      if (!this.panelVisible()) void this.notify(params);
    });
  }

  private async notify(params: ApprovalParams): Promise<void> {
    const short = params.command.length > 80 ? `${params.command.slice(0, 77)}…` : params.command;
    const choice = await vscode.window.showWarningMessage(
      `NAVI needs your approval to run: ${short}`,
      'Review',
    );
    if (choice === 'Review') await vscode.commands.executeCommand(`${SIDEBAR_VIEW_ID}.focus`);
  }

  private settle(approvalId: string, decision: ApprovalDecision, by: string): void {
    const entry = this.pending.get(approvalId);
    if (!entry) return;
    this.pending.delete(approvalId);
    entry.settle({ decision, by });
    this.log.info(`Approval ${approvalId}: ${decision} (by ${by})`);
    this.emitter.fire({ kind: 'approvalResolved', approvalId, decision, by });
  }

  private settleAll(decision: ApprovalDecision, by: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, decision, by);
  }

  dispose(): void {
    this.settleAll('deny', 'shutdown');
    this.emitter.dispose();
  }
}

/** The person at this VS Code window, as far as the OS knows (a verified account comes with sign-in). */
function userName(): string {
  try {
    return os.userInfo().username || 'vscode-user';
  } catch {
    return 'vscode-user';
  }
}
