import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { ErrorCodes } from '../../protocol/errors';
import { profile, profileSave } from '../../protocol/requests';
import type { CommandKind } from '../../protocol/scanReport';
import { WorkspaceProfile, type ProjectProfile } from '../../protocol/testing';
import type { HostMessage } from '../../protocol/webviewMessages';
import type { Agent } from '../client';
import { SIDEBAR_VIEW_ID } from '../webview/viewIds';

/**
 * The workspace's project profile (install, build, lint, typecheck, test, start per project):
 * loaded from the agent (`navi/profile`: the confirmed one, else proposed from a fresh scan),
 * shown in the panel, confirmed or edited there and stored with `navi/profileSave`.
 */
export class ProfileController implements vscode.Disposable {
  private current: WorkspaceProfile | undefined;
  private loading: Promise<WorkspaceProfile | undefined> | undefined;
  private last: Extract<HostMessage, { kind: 'profile' }> | undefined;
  private readonly emitter = new vscode.EventEmitter<HostMessage>();
  readonly onMessage = this.emitter.event;
  private readonly changed = new vscode.EventEmitter<WorkspaceProfile>();
  /** Fires with every profile loaded or saved (the Test Explorer lists its test files). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly agent: Agent,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get profile(): WorkspaceProfile | undefined {
    return this.current;
  }

  replay(): HostMessage[] {
    return this.last ? [{ ...this.last, edit: false }] : [];
  }

  /** The profile, loaded once (again with `reload`). Undefined (and said in the panel) when it cannot be had. */
  async get(reload = false): Promise<WorkspaceProfile | undefined> {
    if (this.current && !reload) return this.current;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** NAVI: Confirm Project Profile…: shows the profile in the panel, open for editing. */
  async edit(): Promise<void> {
    await vscode.commands.executeCommand(`${SIDEBAR_VIEW_ID}.focus`);
    const loaded = await this.get(true);
    if (loaded) this.post({ kind: 'profile', profile: loaded, edit: true });
  }

  /** Stores the profile as the person confirmed it in the panel. */
  async save(projects: ProjectProfile[]): Promise<void> {
    const root = workspaceRoot();
    if (!root) return;
    try {
      const client = await this.agent.ready();
      const saved = WorkspaceProfile.parse(await client.sendRequest(profileSave.type, { root, projects }));
      this.set(saved);
      this.log.info(`Project profile confirmed for ${root} (${saved.projects.length} projects).`);
      void vscode.window.setStatusBarMessage('$(check) NAVI: project profile confirmed', 4000);
    } catch (error) {
      const message = describe(error);
      this.log.error(`Saving the project profile failed: ${message}`);
      this.post({ kind: 'profile', profile: this.current ?? null, error: `Not saved: ${message}` });
      void vscode.window.showErrorMessage(`NAVI could not save the project profile: ${message}`);
    }
  }

  /** The project a run of `kind` uses: the one named, else the first with such a command (as the agent picks). */
  projectFor(kind: CommandKind, project?: string): ProjectProfile | undefined {
    return project ? this.current?.projects.find((p) => p.path === project) : this.projectsWith(kind)[0];
  }

  /** Projects that have a command of `kind`. */
  projectsWith(kind: CommandKind): ProjectProfile[] {
    return (this.current?.projects ?? []).filter((p) => p.commands[kind]);
  }

  private async load(): Promise<WorkspaceProfile | undefined> {
    const root = workspaceRoot();
    if (!root) return undefined;
    this.post({ kind: 'profile', profile: this.current ?? null, loading: true });
    try {
      const client = await this.agent.ready();
      const loaded = WorkspaceProfile.parse(await client.sendRequest(profile.type, { root }));
      this.set(loaded);
      return loaded;
    } catch (error) {
      const message = describe(error);
      this.log.error(`Loading the project profile failed: ${message}`);
      this.post({ kind: 'profile', profile: this.current ?? null, error: message });
      return undefined;
    }
  }

  private set(value: WorkspaceProfile): void {
    this.current = value;
    this.post({ kind: 'profile', profile: value });
    this.changed.fire(value);
  }

  private post(message: Extract<HostMessage, { kind: 'profile' }>): void {
    if (!message.loading) this.last = message;
    this.emitter.fire(message);
  }

  dispose(): void {
    this.emitter.dispose();
    this.changed.dispose();
  }
}

/** The folder NAVI runs in (the first workspace folder on disk). */
export function workspaceRoot(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
}

function describe(error: unknown): string {
  if (error instanceof ResponseError) {
    if (error.code === ErrorCodes.RequestCancelled) return 'cancelled';
    const hint = (error.data as { hint?: unknown } | undefined)?.hint;
    return `${error.message}${typeof hint === 'string' ? ` ${hint}` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}
