import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  ApprovalParams,
  approvalTitle,
  type ApprovalDecision,
  type ApprovalResult,
} from '../../protocol/approvals';
import { approval } from '../../protocol/requests';
import type { HostMessage } from '../../protocol/webviewMessages';
import type { Agent } from '../client';
import { SIDEBAR_VIEW_ID } from '../webview/viewIds';
import type { PendingSummary } from './approvalSummary';

interface Pending {
  params: ApprovalParams;
  expiresAt: number;
  settle: (result: ApprovalResult) => void;
}

/**
 * Answers the agent's `navi/approval` requests: shows each pending approval pinned at the top of
 * the sidebar, counts them for the view's badge and the status bar item (approvalStatus.ts), and
 * answers `deny` on timeout, in Restricted Mode and when the agent restarts. The agent enforces
 * the same timeout on its side. No notification: VS Code cannot withdraw one once the approval is
 * answered (in the panel, by timeout), and it would stay behind as noise.
 */
export class ApprovalController implements vscode.Disposable {
  private readonly pending = new Map<string, Pending>();
  private readonly emitter = new vscode.EventEmitter<HostMessage>();
  private readonly changed = new vscode.EventEmitter<readonly PendingSummary[]>();
  /** Approval events for the panel. */
  readonly onMessage = this.emitter.event;
  /** The pending approvals, oldest first, after every change (for the badge and the status bar). */
  readonly onDidChangePending = this.changed.event;

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

  /** The pending approvals, oldest first. */
  summaries(): PendingSummary[] {
    return [...this.pending.values()].map(({ params }) => ({
      approvalId: params.approvalId,
      title: approvalTitle(params),
      risk: params.risk,
    }));
  }

  /**
   * _NAVI: Show Pending Approvals_ (the status bar item): reveals the panel and gives the oldest
   * pending approval the keyboard focus, so Y / A / N answer it at once.
   */
  async showPending(): Promise<void> {
    await vscode.commands.executeCommand(`${SIDEBAR_VIEW_ID}.focus`);
    const oldest = this.pending.keys().next();
    this.emitter.fire({ kind: 'focusApproval', ...(oldest.done ? {} : { approvalId: oldest.value }) });
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
      this.changed.fire(this.summaries());
      const known = params.origin ? `${params.origin.userCommand} → ` : '';
      this.log.info(`Waiting for approval: ${known}${params.command} (${params.reasons.join('; ')})`);
    });
  }

  private settle(approvalId: string, decision: ApprovalDecision, by: string): void {
    const entry = this.pending.get(approvalId);
    if (!entry) return;
    this.pending.delete(approvalId);
    entry.settle({ decision, by });
    this.log.info(`Approval ${approvalId}: ${decision} (by ${by})`);
    this.emitter.fire({ kind: 'approvalResolved', approvalId, decision, by });
    this.changed.fire(this.summaries());
  }

  private settleAll(decision: ApprovalDecision, by: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, decision, by);
  }

  dispose(): void {
    this.settleAll('deny', 'shutdown');
    this.emitter.dispose();
    this.changed.dispose();
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
