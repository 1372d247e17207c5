import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostMessage, PanelMessage } from '../../protocol/webviewMessages';
import type { Agent } from '../client';
import { AppController } from './apps';
import { ProfileController, workspaceRoot } from './profile';
import type { ScanController } from './scan';
import { TestDiagnostics } from './testDiagnostics';
import { TestExplorer } from './testExplorer';
import { TestRunController } from './tests';
import type { CommandOutputHub } from './commandOutput';

/** The panel messages this feature answers. */
export type TestingPanelMessage = Extract<
  PanelMessage,
  {
    kind:
      | 'loadProfile'
      | 'saveProfile'
      | 'runTests'
      | 'cancelTests'
      | 'openLocation'
      | 'startApp'
      | 'stopApp'
      | 'showAppOutput'
      | 'openApp';
  }
>;

/**
 * Tests and apps: the project profile, test runs with their results in the panel, the Problems
 * view and the Test Explorer, and started apps. One object for the sidebar host and the command
 * table, so they each need one line for all of it.
 */
export class TestingFeature implements vscode.Disposable {
  readonly profiles: ProfileController;
  readonly tests: TestRunController;
  readonly apps: AppController;
  private readonly emitter = new vscode.EventEmitter<HostMessage>();
  /** Every profile, test and app event for the panel. */
  readonly onMessage = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];

  constructor(agent: Agent, scans: ScanController, output: CommandOutputHub, log: vscode.LogOutputChannel) {
    this.profiles = new ProfileController(agent, log);
    this.tests = new TestRunController(agent, this.profiles, log);
    this.apps = new AppController(agent, this.profiles, output, log);
    const explorer = new TestExplorer(this.tests, this.profiles, output, log);
    const diagnostics = new TestDiagnostics(this.tests, log);
    this.disposables.push(
      this.profiles,
      this.tests,
      this.apps,
      explorer,
      diagnostics,
      ...[this.profiles, this.tests, this.apps].map((part) => part.onMessage((m) => this.emitter.fire(m))),
      // A fresh scan may propose new commands: load the profile it proposes (or the confirmed one).
      scans.onMessage((m) => {
        if (m.kind === 'scanReport' && vscode.workspace.isTrusted) void this.profiles.get(true);
      }),
    );
  }

  replay(): HostMessage[] {
    return [...this.profiles.replay(), ...this.tests.replay(), ...this.apps.replay()];
  }

  /** Handles a (validated) panel message of this feature. */
  async receive(message: TestingPanelMessage): Promise<void> {
    switch (message.kind) {
      case 'loadProfile':
        await this.profiles.get(true);
        return;
      case 'saveProfile':
        await this.profiles.save(message.projects);
        return;
      case 'runTests':
        await this.tests.run(message.project ? { project: message.project } : {});
        return;
      case 'cancelTests':
        this.tests.cancel(message.runId);
        return;
      case 'openLocation':
        await openLocation(message.path, message.line);
        return;
      case 'startApp':
        await this.apps.start(message.project);
        return;
      case 'stopApp':
        await this.apps.stop(message.appId);
        return;
      case 'openApp':
        await this.apps.open(message.appId, message.where);
        return;
      case 'showAppOutput':
        this.apps.showOutput();
        return;
      default: {
        const unreachable: never = message;
        return unreachable;
      }
    }
  }

  /** The command handlers (the command table maps ids to these). */
  commands() {
    return {
      /** Runs the profile's tests; tests pass `{ project, files, testIds }`. Resolves with the TestRunResult. */
      'navi.runTests': (options?: unknown) => this.tests.run(runOptions(options)),
      /** Starts the profile's app (of `project` when given). Resolves with its AppInfo once ready or failed. */
      'navi.startApp': (project?: unknown) =>
        this.apps.start(typeof project === 'string' ? project : undefined),
      /** Stops a started app (the given appId, the only one running, or the one picked). */
      'navi.stopApp': (appId?: unknown) => this.apps.stop(typeof appId === 'string' ? appId : undefined),
      /** Offers Open in Browser / Open in Simple Browser / Stop App for a running app (the status bar item). */
      'navi.openApp': (appId?: unknown) => this.apps.open(typeof appId === 'string' ? appId : undefined),
      /** Shows the project profile in the panel, open for editing and confirming. */
      'navi.editProfile': () => this.profiles.edit(),
    };
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function runOptions(value: unknown): { project?: string; files?: string[]; testIds?: string[] } {
  if (!value || typeof value !== 'object') return {};
  const v = value as Record<string, unknown>;
  const strings = (x: unknown) =>
    Array.isArray(x) && x.every((s) => typeof s === 'string') ? (x as string[]) : undefined;
  const files = strings(v.files);
  const testIds = strings(v.testIds);
  return {
    ...(typeof v.project === 'string' ? { project: v.project } : {}),
    ...(files ? { files } : {}),
    ...(testIds ? { testIds } : {}),
  };
}

/** Opens a workspace file at a line, refusing anything that resolves outside the workspace folder. */
async function openLocation(relative: string, line: number | undefined): Promise<void> {
  const root = workspaceRoot();
  if (!root) return;
  const target = path.resolve(root, relative);
  const rel = path.relative(root, target);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return;
  const position = new vscode.Position(Math.max(0, (line ?? 1) - 1), 0);
  try {
    await vscode.window.showTextDocument(vscode.Uri.file(target), {
      selection: new vscode.Range(position, position),
      preview: true,
    });
  } catch (error) {
    void vscode.window.showErrorMessage(
      `NAVI could not open ${relative}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
