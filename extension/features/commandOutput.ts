import * as vscode from 'vscode';
import { CommandOutputParams, commandOutput } from '../../protocol/requests';
import type { Agent } from '../client';

export type CommandOutput = CommandOutputParams;

/**
 * The one receiver of the agent's `navi/commandOutput` stream (the language client keeps one
 * handler per notification): every chunk, validated, to whichever feature started the run — a
 * command (RunController), a test run (its Test Results output) or an app (its output channel).
 */
export class CommandOutputHub implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<CommandOutput>();
  readonly onOutput = this.emitter.event;

  constructor(agent: Agent, log: vscode.LogOutputChannel) {
    agent.handleRequests((client) =>
      client.onNotification(commandOutput.type, (raw) => {
        const parsed = CommandOutputParams.safeParse(raw);
        if (!parsed.success) {
          log.warn('Ignored malformed command output from the agent.');
          return;
        }
        this.emitter.fire(parsed.data);
      }),
    );
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
