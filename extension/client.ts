import * as fs from 'node:fs';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { AgentState } from '../protocol/webviewMessages';
import { AgentInfoResult, agentInfo, type InitializationOptions } from '../protocol/requests';
import { readSetting } from './config';

const RESTART_WINDOW_MS = 3 * 60 * 1000;

/**
 * The agent process as the extension sees it: started with vscode-languageclient over Node IPC,
 * restarted after a crash up to `navi.agent.maxRestarts` times within three minutes, with its
 * state published as an event for the panel, the status and tests.
 */
export class Agent implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly stateEmitter = new vscode.EventEmitter<AgentState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly infoEmitter = new vscode.EventEmitter<AgentInfoResult>();
  /** Fires with `navi/agentInfo` after every start (sandbox state, audit log). */
  readonly onDidStart = this.infoEmitter.event;
  /** What the running agent said about itself at its last start. */
  lastInfo: AgentInfoResult | undefined;
  /** True while start() brings the agent up (it announces the agent itself). */
  private inStart = false;
  private current: AgentState = 'stopped';
  private crashes: number[] = [];
  private readonly disposables: vscode.Disposable[] = [this.stateEmitter, this.infoEmitter];
  /** Handlers for server → client requests, installed on every client (they survive restarts). */
  private readonly requestHandlers: ((client: LanguageClient) => vscode.Disposable)[] = [];
  private clientDisposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get state(): AgentState {
    return this.current;
  }

  /** Starts the agent (idempotent). Resolves when it is running; rejects when it cannot start. */
  async start(): Promise<void> {
    if (this.client) return this.whenRunning();
    const module = this.context.asAbsolutePath('dist/server.js');
    // dist/launch.js starts the bundle with V8's code cache (cli/launch.ts), as the CLI's agent
    // starts: the agent does not compile its megabytes of JavaScript again at every start.
    const launcher = this.context.asAbsolutePath('dist/launch.js');
    const run = fs.existsSync(launcher)
      ? { module: launcher, args: [module], transport: TransportKind.ipc }
      : { module, transport: TransportKind.ipc };
    const serverOptions: ServerOptions = {
      run,
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [],
      outputChannel: this.log,
      revealOutputChannelOn: 4 /* RevealOutputChannelOn.Never */,
      errorHandler: this.errorHandler(),
      // Read again at every (re)start: the state folder, the log, the approval timeout.
      initializationOptions: (): InitializationOptions => ({
        client: 'extension',
        stateDir: this.context.globalStorageUri.fsPath,
        approvalTimeoutMs: readSetting('approvals.timeoutSeconds', this.log) * 1000,
      }),
      initializationFailedHandler: (error) => {
        this.log.error(`NAVI agent failed to initialize: ${String(error)}`);
        return false;
      },
    };
    const client = new LanguageClient('navi', 'NAVI Agent', serverOptions, clientOptions);
    this.client = client;
    for (const d of this.clientDisposables) d.dispose();
    this.clientDisposables = this.requestHandlers.map((install) => install(client));
    this.disposables.push(
      client.onDidChangeState(({ newState }) => {
        if (newState === State.Starting) this.setState('starting');
        else if (newState === State.Running) {
          this.setState('running');
          // After a crash the client restarts the agent itself: tell the panel what it now has.
          if (!this.inStart)
            this.info().then(
              (info) => this.announce(info),
              () => undefined,
            );
        } else if (this.current !== 'failed') this.setState('stopped');
      }),
    );
    this.setState('starting');
    this.inStart = true;
    try {
      await client.start();
      const info = await this.info();
      this.log.info(
        `NAVI agent ${info.version} running (pid ${info.pid}, node ${info.node}, code cache: ${info.codeCache ?? 'none'})`,
      );
      this.announce(info);
    } catch (error) {
      this.setState('failed', String(error));
      throw error;
    } finally {
      this.inStart = false;
    }
  }

  /**
   * Answers a server → client request on this and every later client. Register before `start()`;
   * the handler's result is what the agent receives.
   */
  handleRequests(install: (client: LanguageClient) => vscode.Disposable): void {
    this.requestHandlers.push(install);
    if (this.client) this.clientDisposables.push(install(this.client));
  }

  /** Stops and starts the agent again, forgetting earlier crashes (the user asked for it). */
  async restart(): Promise<void> {
    this.crashes = [];
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.dispose(2000);
      } catch (error) {
        this.log.warn(`Stopping the agent failed: ${String(error)}`);
      }
    }
    await this.start();
  }

  /** The running client, starting the agent if needed. */
  async ready(): Promise<LanguageClient> {
    await this.start();
    return this.client!;
  }

  /** Who the agent is (version, pid); validated like every message from the agent. */
  async info(): Promise<AgentInfoResult> {
    const client = this.client;
    if (!client) throw new Error('The NAVI agent is not running.');
    return AgentInfoResult.parse(await client.sendRequest(agentInfo.type, {}));
  }

  private announce(info: AgentInfoResult): void {
    this.lastInfo = info;
    if (!info.sandbox.available)
      this.log.warn(`Commands run without an OS sandbox: ${info.sandbox.reason ?? 'unavailable'}.`);
    this.infoEmitter.fire(info);
  }

  private async whenRunning(): Promise<void> {
    if (this.current === 'running') return;
    if (this.current === 'failed') throw new Error('The NAVI agent stopped and was not restarted.');
    await new Promise<void>((resolve, reject) => {
      const sub = this.onDidChangeState((state) => {
        if (state === 'running') {
          sub.dispose();
          resolve();
        } else if (state === 'failed') {
          sub.dispose();
          reject(new Error('The NAVI agent could not start.'));
        }
      });
    });
  }

  private errorHandler(): ErrorHandler {
    return {
      error: (_error, _message, count): ErrorHandlerResult => ({
        action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
      }),
      closed: (): CloseHandlerResult => {
        const now = Date.now();
        this.crashes = [...this.crashes.filter((t) => now - t < RESTART_WINDOW_MS), now];
        const limit = readSetting('agent.maxRestarts', this.log);
        if (this.crashes.length <= limit) {
          this.log.warn(`The NAVI agent stopped unexpectedly; restarting (${this.crashes.length}/${limit}).`);
          return { action: CloseAction.Restart, handled: true };
        }
        const message = `The NAVI agent crashed ${this.crashes.length} times in three minutes and was not restarted.`;
        this.log.error(message);
        this.setState('failed', message);
        void vscode.window.showErrorMessage(message, 'Restart Agent', 'Show Log').then((choice) => {
          if (choice === 'Restart Agent') void vscode.commands.executeCommand('navi.restartAgent');
          if (choice === 'Show Log') this.log.show();
        });
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    };
  }

  private setState(state: AgentState, message?: string): void {
    if (state === this.current) return;
    this.current = state;
    if (message) this.log.debug(`agent state: ${state} (${message})`);
    this.stateEmitter.fire(state);
  }

  dispose(): void {
    void this.client?.dispose(2000).catch(() => {});
    this.client = undefined;
    for (const d of [...this.clientDisposables, ...this.disposables]) d.dispose();
  }
}
