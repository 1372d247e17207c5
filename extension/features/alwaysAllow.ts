import * as os from 'node:os';
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import {
  alwaysAllowChanged,
  AlwaysAllowChangedParams,
  alwaysAllowList,
  AlwaysAllowListResult,
  alwaysAllowRevoke,
  AlwaysAllowRevokeResult,
} from '../../protocol/requests';
import type { HostMessage } from '../../protocol/webviewMessages';
import type { Agent } from '../client';

type EntriesMessage = Extract<HostMessage, { kind: 'alwaysAllowEntries' }>;

/**
 * The panel's _Always allowed in this workspace_ section: the workspace's "always allow" entries
 * from the agent (`navi/alwaysAllowList`), listed again whenever the agent says they changed
 * (`navi/alwaysAllowChanged`: an approval answered _Always allow_, a revocation here or in a
 * terminal), and _Revoke_ (`navi/alwaysAllowRevoke`, which the agent audits).
 */
export class AlwaysAllowFeature implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<HostMessage>();
  readonly onMessage = this.emitter.event;
  private last: EntriesMessage | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly agent: Agent,
    private readonly log: vscode.LogOutputChannel,
  ) {
    agent.handleRequests((client) =>
      client.onNotification(alwaysAllowChanged.type, (raw) => {
        const parsed = AlwaysAllowChangedParams.safeParse(raw);
        if (parsed.success && parsed.data.workspaceRoot === workspaceRoot()) void this.refresh();
      }),
    );
    this.subscription = agent.onDidStart(() => void this.refresh());
  }

  replay(): HostMessage[] {
    return this.last ? [this.last] : [];
  }

  /** Lists the entries again and posts them to the panel. */
  async refresh(): Promise<void> {
    const root = workspaceRoot();
    if (!root) return;
    try {
      const client = await this.agent.ready();
      const result = AlwaysAllowListResult.parse(
        await client.sendRequest(alwaysAllowList.type, { workspaceRoot: root }),
      );
      this.post({ kind: 'alwaysAllowEntries', entries: result.entries });
    } catch (error) {
      this.log.warn(`Could not list the "always allow" entries: ${describe(error)}`);
      this.post({
        kind: 'alwaysAllowEntries',
        entries: this.last?.entries ?? [],
        error: `NAVI could not list the "always allow" entries: ${describe(error)}`,
      });
    }
  }

  /** Revokes one entry: the command asks again from now on. */
  async revoke(id: string): Promise<void> {
    const root = workspaceRoot();
    if (!root) return;
    try {
      const client = await this.agent.ready();
      const result = AlwaysAllowRevokeResult.parse(
        await client.sendRequest(alwaysAllowRevoke.type, { workspaceRoot: root, ids: [id], by: userName() }),
      );
      for (const e of result.revoked) {
        this.log.info(`Revoked "always allow" ${e.id}: ${e.command}`);
        void vscode.window.setStatusBarMessage(
          `$(check) NAVI: ${short(e.label ?? e.command)} asks again`,
          4000,
        );
      }
    } catch (error) {
      this.log.error(`Revoking "always allow" ${id} failed: ${describe(error)}`);
      void vscode.window
        .showErrorMessage(`NAVI could not revoke the entry: ${describe(error)}`, 'Show Log')
        .then((choice) => choice && this.log.show());
    }
    await this.refresh();
  }

  private post(message: EntriesMessage): void {
    this.last = message;
    this.emitter.fire(message);
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function describe(error: unknown): string {
  return error instanceof ResponseError || error instanceof Error ? error.message : String(error);
}

function short(text: string): string {
  return text.length > 50 ? `${text.slice(0, 49)}…` : text;
}

/** The person at this VS Code window, as far as the OS knows (as for an approval). */
function userName(): string {
  try {
    return os.userInfo().username || 'vscode-user';
  } catch {
    return 'vscode-user';
  }
}
