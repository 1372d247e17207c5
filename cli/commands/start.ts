import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ResponseError } from 'vscode-jsonrpc/node';
import { ErrorCodes } from '../../protocol/errors';
import * as requests from '../../protocol/requests';
import { AppInfo } from '../../protocol/testing';
import { userPolicyPath } from '../../server/state';
import { startAgent, CancellationTokenSource } from '../agentClient';
import { answerApproval } from '../approvalPrompt';
import { osUser, reportAgentError, verboseLog } from '../commandLine';
import { EXIT, UsageError } from '../common';
import { stylesFor } from '../formatVerdict';

export const START_SUMMARY = "Start the app (the profile's start command) and keep it running.";

export const START_HELP = `Usage: navi start [PATH] [--project DIR] [--yes] [--timeout SECONDS] [--json] [--verbose]

Start the project's app with the start command of its profile (see navi profile), through
NAVI's pipeline like navi run: judged, approved when it needs it, run in the sandbox (with the
host network, so the app can be reached), recorded in the audit log. NAVI waits until it is
ready — a URL or "listening on" line in its output whose port answers, or a port it opened —
prints where, and keeps streaming its output until you press Ctrl-C (or send SIGTERM): then it
stops the app and everything it started, and exits 0.

An app that exits, or is not ready within the timeout, is stopped and reported with its last
output lines (the full log stays in $XDG_STATE_HOME/navi/logs).

PATH: the workspace (default: the current directory).

Options:
  --project DIR      The project, relative to PATH (default: the first with a start command).
  --yes, -y          Approve the start command if it asks, without a prompt (recorded as
                     "cli-yes"). Never runs a command that is denied.
  --timeout SECONDS  How long it may take to become ready (1 to 3600; default: the profile's,
                     else 60).
  --json             For scripts and CI: one JSON line (the app's info: status, url, ports,
                     readyBy, readyMs, logFile…) on stdout when it is ready or has failed, and
                     one more when it ends; the app's output goes to stderr. For example:
                       navi start --yes --json > app.ndjson &
                       until [ -s app.ndjson ]; do sleep 1; done
                       curl "$(head -n1 app.ndjson | jq -r .url)"
                       kill %1     # stops the app, exit 0
  --verbose          Print the agent's log lines on stderr.

Exit codes: 0 stopped by Ctrl-C/SIGTERM after it was ready; 1 it failed to start (denied,
exited, not ready in time) or exited by itself (its exit code when that is not 0);
2 bad usage; 130 interrupted before it was ready.`;

/** The longest --timeout the agent accepts (StartParams.readyTimeoutMs). */
const MAX_TIMEOUT_S = 3600;
/** Output lines shown when the app failed or ended. */
const TAIL_LINES = 20;

/** `navi start …` (args after `start`). */
export async function startCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      yes: { type: 'boolean', short: 'y', default: false },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${START_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError(`navi start takes one PATH, got ${positionals.length}.`);
  if (values.project === '') throw new UsageError('--project needs a directory.');
  let readyTimeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!/^\d+(\.\d+)?$/.test(values.timeout.trim()) || !(seconds >= 1 && seconds <= MAX_TIMEOUT_S))
      throw new UsageError(`--timeout must be a number of seconds from 1 to ${MAX_TIMEOUT_S}.`);
    readyTimeoutMs = Math.round(seconds * 1000);
  }
  const root = realDirectory(positionals[0] ?? '.');
  const json = values.json;
  const s = stylesFor(process.stderr);

  const agent = await startAgent({
    initializationOptions: { client: 'cli' },
    onLog: verboseLog(values.verbose),
  });
  const appId = `cli-${process.pid}`;
  agent.connection.onNotification(requests.commandOutput.type, (raw) => {
    const parsed = requests.CommandOutputParams.safeParse(raw);
    if (!parsed.success || parsed.data.runId !== appId) return;
    (parsed.data.stream === 'stdout' && !json ? process.stdout : process.stderr).write(parsed.data.chunk);
  });
  /** The app's end, when the agent reported it (it may come before the start's answer is read). */
  let ended: AppInfo | undefined;
  let onEnded: ((info: AppInfo) => void) | undefined;
  agent.connection.onNotification(requests.appStatus.type, (raw) => {
    const parsed = AppInfo.safeParse(raw);
    if (!parsed.success || parsed.data.appId !== appId) return;
    if (
      parsed.data.status === 'exited' ||
      parsed.data.status === 'stopped' ||
      parsed.data.status === 'failed'
    ) {
      ended ??= parsed.data;
      onEnded?.(parsed.data);
    }
  });

  const cancel = new CancellationTokenSource();
  let interrupted = false;
  let onStopAsked: (() => void) | undefined;
  const onSignal = (): void => {
    if (interrupted) {
      // A second signal: stop waiting. The agent stops every app it started when it goes.
      agent.process.kill('SIGTERM');
      process.exit(EXIT.interrupted);
    }
    interrupted = true;
    cancel.cancel();
    onStopAsked?.();
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of signals) process.on(sig, onSignal);

  let explained = false;
  const user = osUser();
  agent.connection.onRequest(requests.approval.type, (raw, token) =>
    answerApproval(raw, token, {
      interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
      user,
      workspaceRoot: root,
      userPolicyFile: userPolicyPath(),
      commandsOf: async (command) => {
        const verdict = await agent.connection.sendRequest(requests.check.type, {
          command,
          cwd: root,
          workspaceRoot: root,
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

  const printJson = (info: AppInfo): void => void process.stdout.write(`${JSON.stringify(info)}\n`);
  const printTail = (info: AppInfo): void => {
    const tail = info.tail?.split('\n').slice(-TAIL_LINES).join('\n').trimEnd();
    if (tail) process.stderr.write(`Last output lines:\n${tail.replace(/^/gm, '  ')}\n`);
    if (info.logFile) process.stderr.write(`${s.dim(`Full log: ${info.logFile}`)}\n`);
  };

  try {
    let info: AppInfo;
    try {
      const raw = await Promise.race([
        agent.connection.sendRequest(
          requests.start.type,
          {
            appId,
            root,
            trusted: true,
            ...(values.project !== undefined ? { project: values.project } : {}),
            ...(readyTimeoutMs !== undefined ? { readyTimeoutMs } : {}),
            ...(values.yes ? { autoApprove: true } : {}),
          },
          cancel.token,
        ),
        agent.exited,
      ]);
      const parsed = AppInfo.safeParse(raw);
      if (!parsed.success) {
        process.stderr.write(
          `navi: the agent sent a malformed answer (${parsed.error.issues[0]?.message}).\n`,
        );
        return EXIT.failure;
      }
      info = parsed.data;
    } catch (error) {
      if (interrupted || (error instanceof ResponseError && error.code === ErrorCodes.RequestCancelled)) {
        process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}navi: cancelled; the app was stopped.\n`);
        return EXIT.interrupted;
      }
      if (error instanceof ResponseError) return reportAgentError(error);
      throw error;
    }

    if (info.status !== 'ready') {
      if (json) printJson(info);
      if (interrupted) {
        process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}navi: cancelled; the app was stopped.\n`);
        return EXIT.interrupted;
      }
      if (!explained || info.message?.startsWith('Denied'))
        process.stderr.write(`navi: ${info.message ?? info.status}\n`);
      printTail(info);
      return EXIT.failure;
    }

    if (json) printJson(info);
    else {
      const where = info.url ? `Ready at ${info.url}` : `Ready on port ${info.ports?.join(', ') ?? '?'}`;
      const how =
        info.readyBy === 'url'
          ? 'its output named the URL'
          : info.readyBy === 'listening-line'
            ? 'its output said it is listening'
            : 'it opened the port';
      const seconds = ((info.readyMs ?? 0) / 1000).toFixed(1);
      process.stdout.write(`${where}\n`);
      process.stderr.write(`${s.dim(`navi: ${how}, after ${seconds} s. Press Ctrl-C to stop it.`)}\n`);
    }

    // Running: until a signal (stop it) or its own end.
    const outcome = await Promise.race([
      new Promise<'stop'>((resolve) => {
        onStopAsked = () => resolve('stop');
        if (interrupted) resolve('stop');
      }),
      new Promise<AppInfo>((resolve) => {
        onEnded = resolve;
        if (ended) resolve(ended);
      }),
      agent.exited,
    ]);
    if (outcome === 'stop') {
      let final: AppInfo | undefined;
      try {
        final = AppInfo.parse(
          await Promise.race([agent.connection.sendRequest(requests.stopApp.type, { appId }), agent.exited]),
        );
      } catch (error) {
        // It ended by itself meanwhile (41008): that end is the answer.
        if (!(error instanceof ResponseError && error.code === ErrorCodes.NoSuchApp) || !ended) throw error;
        final = ended;
      }
      if (json) printJson(final);
      const lead = process.stderr.isTTY ? '\n' : '';
      process.stderr.write(
        `${lead}navi: ${final.status === 'stopped' ? (final.message ?? 'Stopped.') : final.message}\n`,
      );
      return final.status === 'stopped' ? EXIT.ok : EXIT.failure;
    }
    const final = outcome;
    if (json) printJson(final);
    process.stderr.write(`navi: ${final.message ?? `The app ${final.status}.`}\n`);
    printTail(final);
    return final.exitCode ? final.exitCode : EXIT.failure;
  } catch (error) {
    if (error instanceof ResponseError) return reportAgentError(error);
    throw error;
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
    await agent.dispose();
  }
}

function realDirectory(dir: string): string {
  const abs = path.resolve(dir);
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch {
    throw new Error(`${abs} does not exist.`);
  }
  if (!fs.statSync(real).isDirectory()) throw new Error(`${abs} is not a directory.`);
  return real;
}
