import * as vscode from 'vscode';
import type { FixHostMessage } from '../../protocol/fixMessages';
import { FirstWinResult, firstWin } from '../../protocol/requests';
import { FirstWin, type FirstWinVia, type HostMessage } from '../../protocol/webviewMessages';
import type { Agent } from '../client';
import { workspaceRoot } from './profile';

/** Workspace-state keys (VS Code's per-workspace Memento). */
const OPENED_KEY = 'navi.onboarding.panelOpenedAt';
const WIN_KEY = 'navi.onboarding.firstWin';

/**
 * Context keys the walkthrough's steps complete on (package.json `contributes.walkthroughs`,
 * `onContext:`); set whether the step was done from the panel, the palette or the walkthrough.
 */
export const ONBOARDING_CONTEXT = {
  scanned: 'navi.onboarding.scanned',
  profileConfirmed: 'navi.onboarding.profileConfirmed',
  checked: 'navi.onboarding.checked',
  ranOrStarted: 'navi.onboarding.ranOrStarted',
} as const;

type Msg = HostMessage | FixHostMessage;

/**
 * The guided first win's bookkeeping: when the NAVI panel was first opened in this workspace, its
 * first verified result (a fix with a verified receipt, a passing test run, an app that answered)
 * and so the time to first win — kept in the workspace's state, sent to the panel, and written
 * once to the audit log (`navi/firstWin` → `onboarding.firstWin`) where `navi metrics` and the
 * Metrics card read it. It also sets the context keys the walkthrough's steps complete on.
 */
export class OnboardingFeature implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<HostMessage>();
  readonly onMessage = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  /** Set as the first win is seen, before the (async) store: the next event must not count too. */
  private winning = false;
  /** The context keys set true in this window. */
  private readonly contextSet = new Set<string>();

  constructor(
    private readonly state: vscode.Memento,
    private readonly agent: Agent,
    sources: vscode.Event<Msg>[],
    private readonly log: vscode.LogOutputChannel,
  ) {
    for (const source of sources) this.disposables.push(source((m) => this.observe(m)));
    if (this.win()) void this.setContext(ONBOARDING_CONTEXT.ranOrStarted);
  }

  /** The panel said `ready`: the first time in this workspace starts the clock. */
  panelOpened(): void {
    if (this.state.get<number>(OPENED_KEY) !== undefined) return;
    void this.state.update(OPENED_KEY, Date.now());
    this.log.info('NAVI panel opened for the first time in this workspace: time to first win starts now.');
  }

  replay(): HostMessage[] {
    const openedAt = this.state.get<number>(OPENED_KEY);
    if (openedAt === undefined) return [];
    const win = this.win();
    return [{ kind: 'onboarding', openedAt, ...(win ? { firstWin: win } : {}) }];
  }

  private win(): FirstWin | undefined {
    const parsed = FirstWin.safeParse(this.state.get(WIN_KEY));
    return parsed.success ? parsed.data : undefined;
  }

  /** Watches the panel's messages for the steps of the flow and the first verified result. */
  private observe(message: Msg): void {
    switch (message.kind) {
      case 'scanReport':
        void this.setContext(ONBOARDING_CONTEXT.scanned);
        return;
      case 'profile':
        if (message.profile?.status === 'confirmed')
          void this.setContext(ONBOARDING_CONTEXT.profileConfirmed);
        return;
      case 'fixFinished':
        if (message.outcome && message.outcome.status !== 'cancelled')
          void this.setContext(ONBOARDING_CONTEXT.checked);
        return;
      case 'fixRecord':
        if (message.fix.status === 'kept' && message.fix.receipt?.status === 'verified') void this.won('fix');
        return;
      case 'testFinished':
        if (message.summary) void this.setContext(ONBOARDING_CONTEXT.ranOrStarted);
        if (message.summary?.status === 'passed') void this.won('test');
        return;
      case 'appState':
        if (message.app.status === 'ready') {
          void this.setContext(ONBOARDING_CONTEXT.ranOrStarted);
          void this.won('start');
        }
        return;
      default:
        return;
    }
  }

  private async won(via: FirstWinVia): Promise<void> {
    const openedAt = this.state.get<number>(OPENED_KEY);
    // Only the first win counts, and only one measured from the panel (not a CLI-only workspace).
    if (openedAt === undefined || this.winning || this.win()) return;
    this.winning = true;
    const at = Date.now();
    const win: FirstWin = { at, durationMs: Math.max(0, at - openedAt), via };
    await this.state.update(WIN_KEY, win);
    this.log.info(`First win in this workspace after ${(win.durationMs / 1000).toFixed(1)} s (${via}).`);
    this.emitter.fire({ kind: 'onboarding', openedAt, firstWin: win });
    const root = workspaceRoot();
    if (!root) return;
    try {
      const client = await this.agent.ready();
      FirstWinResult.parse(
        await client.sendRequest(firstWin.type, {
          root,
          panelOpenedAt: new Date(openedAt).toISOString(),
          at: new Date(at).toISOString(),
          durationMs: win.durationMs,
          via,
        }),
      );
    } catch (error) {
      // The panel still shows it; only the audit log (and so `navi metrics`) misses it.
      this.log.warn(
        `Could not record the time to first win in the audit log: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private async setContext(key: string): Promise<void> {
    this.contextSet.add(key);
    await vscode.commands.executeCommand('setContext', key, true);
  }

  /**
   * Opens the walkthrough with the steps done so far ticked. VS Code registers walkthroughs when
   * its getting-started service starts, which can be this very moment (with no Welcome page at
   * startup), and it ticks a step only when its context key turns true after that: so the keys
   * set already go false before the walkthrough opens and true again after.
   */
  async openWalkthrough(walkthroughId: string): Promise<void> {
    const keys = [...this.contextSet];
    for (const key of keys) await vscode.commands.executeCommand('setContext', key, false);
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', walkthroughId, false);
    for (const key of keys) await vscode.commands.executeCommand('setContext', key, true);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
