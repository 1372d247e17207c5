import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import {
  CancellationTokenSource,
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type { InitializationOptions } from '../protocol/requests';
import { spawnAgent, takeEarlyAgent } from './agentProcess';

/** A log line the agent sent (`window/logMessage`): 1 error, 2 warning, 3 info, 4 log/debug. */
export interface AgentLogLine {
  type: number;
  message: string;
}

export interface AgentClient {
  connection: MessageConnection;
  process: ChildProcess;
  /** Rejects when the agent process dies: race pending requests against it so none waits forever. */
  exited: Promise<never>;
  /** Stops the agent: LSP shutdown/exit, then a kill if it does not leave within a second. */
  dispose(): Promise<void>;
}

export interface StartOptions {
  /** Path of the built agent (dist/server.js). Default: server.js next to this bundle. */
  serverPath?: string;
  /** Receives the agent's log lines. */
  onLog?: (line: AgentLogLine) => void;
  /** Receives `$/progress` values (work-done begin/report/end). */
  onProgress?: (
    token: string | number,
    value: { kind: string; message?: string; percentage?: number },
  ) => void;
  /** Working directory for the agent process. */
  cwd?: string;
  /** Sent as LSP `initializationOptions` (who started the agent, where its state lives). */
  initializationOptions?: InitializationOptions;
}

/**
 * Spawns NAVI's agent over stdio, the same process VS Code runs, and performs the LSP handshake.
 * Used by the `navi` CLI, the integration tests and the benchmarks.
 */
export async function startAgent(options: StartOptions = {}): Promise<AgentClient> {
  const serverPath = options.serverPath ?? path.join(__dirname, 'server.js');
  const child =
    (options.serverPath === undefined && options.cwd === undefined ? takeEarlyAgent() : undefined) ??
    spawnAgent(serverPath, options.cwd);
  // stderr is for crashes only; keep the last part so a failed start can say why.
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`Could not start the NAVI agent: ${error.message}`)));
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `The NAVI agent stopped unexpectedly (${signal ?? `exit code ${code}`}).${stderrTail ? `\n${stderrTail.trim()}` : ''}`,
        ),
      ),
    );
  });
  exited.catch(() => {});

  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  connection.onNotification('window/logMessage', (params: AgentLogLine) => options.onLog?.(params));
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onNotification('$/progress', (params: { token: string | number; value: never }) =>
    options.onProgress?.(params.token, params.value),
  );
  connection.listen();

  const client: AgentClient = {
    connection,
    process: child,
    exited,
    async dispose() {
      if (child.exitCode !== null || child.signalCode !== null) {
        connection.dispose();
        return;
      }
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
      try {
        await Promise.race([connection.sendRequest('shutdown'), gone]);
        connection.sendNotification('exit').catch(() => {});
      } catch {
        child.kill('SIGKILL');
      }
      await gone;
      clearTimeout(timer);
      connection.dispose();
    },
  };

  await Promise.race([
    connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: { window: { workDoneProgress: true } },
      clientInfo: { name: 'navi-cli' },
      ...(options.initializationOptions ? { initializationOptions: options.initializationOptions } : {}),
    }),
    exited,
  ]);
  await connection.sendNotification('initialized', {});
  return client;
}

export { CancellationTokenSource };
