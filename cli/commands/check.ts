import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ResponseError } from 'vscode-jsonrpc/node';
import { Verdict } from '../../protocol/policy';
import * as requests from '../../protocol/requests';
import { startAgent } from '../agentClient';
import { commandText, resolvePlace, reportAgentError, splitAtDashDash, verboseLog } from '../commandLine';
import { EXIT, UsageError } from '../common';
import { formatVerdict, stylesFor } from '../formatVerdict';

export const CHECK_SUMMARY = 'Judge a command or an edit (allow, ask or deny) without running it.';

export const CHECK_HELP = `Usage:
  navi check [--json] [--cwd DIR] [--workspace DIR] -- COMMAND…
  navi check [--json] [--cwd DIR] [--workspace DIR] --edit PATH

Judge a command (bash text) or a write to a file the way NAVI would before running it, and print
the verdict with its reasons. Nothing runs, and no command is recorded in the audit log.

  allow   runs without asking (in the sandbox)
  ask     runs only after a person approves it (navi run prompts, or --yes)
  deny    never runs

The verdict comes from NAVI's built-in rules and the policy files: the org's
(/etc/navi/policy.json), the workspace's (.navi/policy.json) and yours
($XDG_CONFIG_HOME/navi/policy.json). Deny beats ask beats allow (docs/policy.md).

COMMAND: one argument is taken as it is (navi check -- 'npm test && tsc'); several are
shell-quoted and joined (navi check -- ls -la 'my dir').

Options:
  --edit PATH        Judge a write to PATH (relative to --cwd) instead of a command.
  --cwd DIR          Where the command would run. Default: the current directory.
  --workspace DIR    The workspace root (writes outside it are refused). Default: the root of
                     the git work tree that contains --cwd, else --cwd itself.
  --json             Print the verdict as JSON: verdict, reasons, rules (id, layer, effect,
                     justification), commands (argv, verdict, reasons of each command node), risk,
                     network (whether some command uses the network).
  --verbose          Print the agent's log lines on stderr.

Exit codes: 0 a verdict was given (whatever it is), 1 failure (such as an invalid policy
file: the message names the file, the rule and the failing example), 2 bad usage.`;

/** `navi check …` (args after `check`). */
export async function checkCommand(args: string[]): Promise<number> {
  const { options, command } = splitAtDashDash(args);
  const { values, positionals } = parseArgs({
    args: options,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      edit: { type: 'string' },
      cwd: { type: 'string' },
      workspace: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${CHECK_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length)
    throw new UsageError(`Put the command after --: navi check -- ${positionals.join(' ')}`);
  if (values.edit !== undefined && command !== undefined)
    throw new UsageError('Give either --edit PATH or -- COMMAND, not both.');
  if (values.edit === '') throw new UsageError('--edit needs a path.');
  if (values.edit === undefined && command === undefined)
    throw new UsageError('navi check needs a command after -- or --edit PATH.');
  const text = command === undefined ? undefined : commandText(command);
  const place = await resolvePlace(values.cwd, values.workspace);
  // Sent absolute: the path is relative to where the user is, whatever the agent resolves against.
  const editPath = values.edit === undefined ? undefined : path.resolve(place.cwd, values.edit);

  const agent = await startAgent({
    initializationOptions: { client: 'cli' },
    onLog: verboseLog(values.verbose),
  });
  try {
    const raw = await Promise.race([
      agent.connection.sendRequest(requests.check.type, {
        ...(text !== undefined ? { command: text } : { editPath }),
        cwd: place.cwd,
        workspaceRoot: place.workspaceRoot,
        trusted: true,
      }),
      agent.exited,
    ]);
    const verdict = Verdict.safeParse(raw);
    if (!verdict.success) {
      process.stderr.write(
        `navi: the agent sent a malformed verdict (${verdict.error.issues[0]?.message}).\n`,
      );
      return EXIT.failure;
    }
    const subject = text ?? `write ${values.edit}`;
    process.stdout.write(
      values.json
        ? `${JSON.stringify(verdict.data, null, 2)}\n`
        : formatVerdict(subject, verdict.data, stylesFor(process.stdout)),
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ResponseError) return reportAgentError(error);
    throw error;
  } finally {
    await agent.dispose();
  }
}
