import { constants as osConstants } from 'node:os';
import { parseArgs } from 'node:util';
import * as requests from '../../protocol/requests';
import { commandText, resolvePlace, splitAtDashDash } from '../commandLine';
import { EXIT, UsageError } from '../common';
import { formatExpansions, formatRules, stylesFor } from '../formatVerdict';
import { cancelledNote, openSession, requestFailed } from '../session';

export const RUN_SUMMARY = 'Run a command through NAVI: policy, approval, sandbox, audit.';

export const RUN_HELP = `Usage: navi run [--yes] [--timeout SECONDS] [--cwd DIR] [--workspace DIR] [--json] [--verbose] -- COMMAND…

Run a command the way NAVI runs its own: judge it (navi check), ask for approval when the
verdict is "ask", run it in the bubblewrap sandbox with a scrubbed environment, stream its
output, and record every step in the audit log ($XDG_STATE_HOME/navi/audit.ndjson, see
navi audit). A "deny" never runs.

Approval: on a terminal NAVI shows the command, its risk and reasons and asks
  Allow once [y], always allow this exact command here [a], deny [N]
(Enter denies; no answer within the agent's approval timeout denies). Without a terminal,
a command that asks is not run unless --yes is given; the message says how to allow it.

COMMAND: one argument is taken as it is (navi run -- 'npm test && tsc'); several are
shell-quoted and joined (navi run -- ls -la 'my dir').

Options:
  --yes, -y          Approve a command that asks, without a prompt (recorded as "cli-yes").
                     Never runs a command that is denied.
  --timeout SECONDS  Stop the command and everything it started after this long
                     (0.1 to 86400; default 600).
  --cwd DIR          Where to run it. Default: the current directory.
  --workspace DIR    The workspace root (writes outside it are refused). Default: the root of
                     the git work tree that contains --cwd, else --cwd itself.
  --json             Print the outcome as JSON on stdout at the end (runId, commandId, verdict,
                     decision, ran, result, message); the command's output goes to stderr.
  --verbose          Print the agent's log lines on stderr.

Exit codes: the command's own exit code when it ran (128+N when signal N ended it, 124 when
--timeout stopped it), 1 when it was denied or not run (or NAVI failed), 2 bad usage,
130 interrupted (Ctrl-C stops the command and everything it started).`;

/** The longest --timeout the agent accepts (RunParams.timeoutMs). */
const MAX_TIMEOUT_S = 24 * 3600;

/** `navi run …` (args after `run`). */
export async function runCommand(args: string[]): Promise<number> {
  const { options, command } = splitAtDashDash(args);
  const { values, positionals } = parseArgs({
    args: options,
    allowPositionals: true,
    options: {
      yes: { type: 'boolean', short: 'y', default: false },
      timeout: { type: 'string' },
      cwd: { type: 'string' },
      workspace: { type: 'string' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${RUN_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length)
    throw new UsageError(`Put the command after --: navi run -- ${positionals.join(' ')}`);
  if (command === undefined) throw new UsageError('navi run needs a command after --.');
  const text = commandText(command);
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!/^\d+(\.\d+)?$/.test(values.timeout.trim()) || !(seconds >= 0.1 && seconds <= MAX_TIMEOUT_S))
      throw new UsageError(`--timeout must be a number of seconds from 0.1 to ${MAX_TIMEOUT_S}.`);
    timeoutMs = Math.round(seconds * 1000);
  }
  const place = await resolvePlace(values.cwd, values.workspace);

  const runId = `cli-${process.pid}`;
  const session = await openSession({
    place,
    verbose: values.verbose,
    outputId: runId,
    out: values.json ? process.stderr : process.stdout,
  });
  const { agent, cancel } = session;
  const interrupted = session.interrupted;

  try {
    const raw = await Promise.race([
      agent.connection.sendRequest(
        requests.run.type,
        {
          runId,
          command: text,
          cwd: place.cwd,
          workspaceRoot: place.workspaceRoot,
          trusted: true,
          proposer: 'user',
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
          ...(values.yes ? { autoApprove: true } : {}),
        },
        cancel.token,
      ),
      agent.exited,
    ]);
    const parsed = requests.RunOutcome.safeParse(raw);
    if (!parsed.success) {
      process.stderr.write(
        `navi: the agent sent a malformed outcome (${parsed.error.issues[0]?.message}).\n`,
      );
      return EXIT.failure;
    }
    const outcome = parsed.data;
    if (values.json) process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
    const result = outcome.result;
    if (!outcome.ran || !result) {
      if (interrupted()) {
        cancelledNote('the command was not run');
        return EXIT.interrupted;
      }
      if (outcome.verdict.verdict === 'deny') {
        const s = stylesFor(process.stderr);
        process.stderr.write(
          `navi: denied, not run: ${text}\n${outcome.verdict.reasons.map((r) => `  - ${r}\n`).join('')}` +
            formatExpansions(outcome.verdict, s)
              .slice(1)
              .map((l) => `${l}\n`)
              .join('') +
            (outcome.verdict.rules.length
              ? `Rules:\n${formatRules(outcome.verdict.rules, s).join('\n')}\n`
              : ''),
        );
      } else if (!session.explained()) {
        process.stderr.write(`navi: ${outcome.message}\n`);
      }
      return EXIT.failure;
    }
    if (result.cancelled || interrupted()) {
      cancelledNote('the command was stopped');
      return EXIT.interrupted;
    }
    // The status line is for people at a terminal; a timeout is worth saying anywhere.
    if ((!values.json && process.stderr.isTTY) || result.timedOut) {
      const s = stylesFor(process.stderr);
      process.stderr.write(`${s.dim(`navi: ${outcome.message}`)}\n`);
    }
    if (result.timedOut) return 124;
    if (result.exitCode !== null) return result.exitCode;
    const number = result.signal ? osConstants.signals[result.signal as NodeJS.Signals] : undefined;
    return number ? 128 + number : EXIT.failure;
  } catch (error) {
    return requestFailed(error, interrupted());
  } finally {
    await session.dispose();
  }
}
