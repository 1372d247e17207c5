import { ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../protocol/errors';
import * as requests from '../protocol/requests';
import { userPolicyPath } from '../server/state';
import { CancellationTokenSource, startAgent, type AgentClient } from './agentClient';
import { answerApproval } from './approvalPrompt';
import { osUser, reportAgentError, verboseLog, type Place } from './commandLine';
import { EXIT } from './common';
import { connectOrg, exitWaitMs } from './orgSession';

/**
 * What every CLI command that runs something needs: an agent, approvals answered on the terminal
 * (or explained when there is none), Ctrl-C that cancels the request (a second one stops waiting),
 * and the output of the run with `id` streamed to the terminal.
 */
export interface CliSession {
  agent: AgentClient;
  /** Cancels the request it is passed to (the agent stops the command's whole process tree). */
  cancel: CancellationTokenSource;
  /** Whether Ctrl-C was pressed. */
  interrupted(): boolean;
  /** Whether the approval prompt already told the user why a command did not run. */
  explained(): boolean;
  dispose(): Promise<void>;
}

export interface SessionOptions {
  place: Place;
  verbose: boolean;
  /** The runId / appId whose `navi/commandOutput` goes to the terminal. */
  outputId: string;
  /** Where the command's stdout goes (stderr when stdout carries JSON). */
  out: NodeJS.WritableStream;
  /** Called on the first Ctrl-C (default: cancel the request). */
  onInterrupt?: () => void;
}

export async function openSession(opts: SessionOptions): Promise<CliSession> {
  const agent = await startAgent({
    initializationOptions: { client: 'cli' },
    onLog: verboseLog(opts.verbose),
  });
  agent.connection.onNotification(requests.commandOutput.type, (raw) => {
    const parsed = requests.CommandOutputParams.safeParse(raw);
    if (!parsed.success || parsed.data.runId !== opts.outputId) return;
    (parsed.data.stream === 'stdout' ? opts.out : process.stderr).write(parsed.data.chunk);
  });

  // Signed in and a control plane configured: this agent uploads the audit trail too (cli/orgSession.ts).
  const org = await connectOrg(agent).catch((error: unknown) => {
    process.stderr.write(
      `navi: no audit upload: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return undefined;
  });

  const cancel = new CancellationTokenSource();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) {
      // A second Ctrl-C: stop waiting. The agent stops every command it started when it goes.
      agent.process.kill('SIGTERM');
      process.exit(EXIT.interrupted);
    }
    interrupted = true;
    (opts.onInterrupt ?? (() => cancel.cancel()))();
  };
  process.on('SIGINT', onSigint);

  let explained = false;
  const user = osUser();
  const { cwd, workspaceRoot } = opts.place;
  agent.connection.onRequest(requests.approval.type, (raw, token) =>
    answerApproval(raw, token, {
      interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
      user,
      workspaceRoot,
      userPolicyFile: userPolicyPath(),
      commandsOf: async (command) => {
        const verdict = await agent.connection.sendRequest(requests.check.type, {
          command,
          cwd,
          workspaceRoot,
          trusted: true,
        });
        return verdict.commands.map((c) => c.argv);
      },
      interrupted: () => interrupted,
      explained: () => {
        explained = true;
      },
    }),
  );
  return {
    agent,
    cancel,
    interrupted: () => interrupted,
    explained: () => explained,
    dispose: async () => {
      process.off('SIGINT', onSigint);
      if (org?.active && !interrupted) await org.flush(exitWaitMs()).catch(() => undefined);
      await agent.dispose();
    },
  };
}

/**
 * The exit code for a request that failed: 130 after Ctrl-C or a cancelled request (with a note),
 * the agent's message and hint for a NAVI error; anything else is rethrown.
 */
export function requestFailed(error: unknown, interrupted: boolean): number {
  if (interrupted || (error instanceof ResponseError && error.code === ErrorCodes.RequestCancelled)) {
    cancelledNote();
    return EXIT.interrupted;
  }
  if (error instanceof ResponseError) return reportAgentError(error);
  throw error;
}

/** After Ctrl-C: on a terminal the echoed ^C has no newline after it. */
export function cancelledNote(detail?: string): void {
  const lead = process.stderr.isTTY ? '\n' : '';
  process.stderr.write(`${lead}navi: cancelled${detail ? `; ${detail}` : ''}.\n`);
}
