import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ResponseError } from 'vscode-jsonrpc/node';
import type { AlwaysAllowEntryInfo } from '../../protocol/approvals';
import { AlwaysAllowId } from '../../protocol/approvals';
import * as requests from '../../protocol/requests';
import { startAgent, type AgentClient } from '../agentClient';
import { osUser, reportAgentError, resolvePlace, verboseLog } from '../commandLine';
import { EXIT, UsageError } from '../common';
import { style } from '../format';

export const ALLOW_SUMMARY = 'List or revoke the "always allow" entries of a workspace.';

export const ALLOW_HELP = `Usage:
  navi allow list [PATH] [--json] [--state-dir DIR] [--verbose]
  navi allow revoke ID… [PATH] [--state-dir DIR] [--verbose]
  navi allow revoke --all [PATH] [--state-dir DIR] [--verbose]

When you answer an approval with "always allow" (a in navi run's prompt, Always allow in
VS Code), NAVI remembers that exact command for that workspace for 30 days: it then runs
there without asking. These commands show those entries and take them back. A revoked
command asks again; each revocation is recorded in the audit log (alwaysAllow.revoked).

PATH: the workspace (default: the git work tree that contains the current directory).
ID: an entry's id, as navi allow list prints it (12 hex digits); several may be given.

Options:
  --all              revoke: every entry of the workspace.
  --json             list: print {workspaceRoot, entries, file} as JSON; each entry has id,
                     argv, command, label (how you know it, for a test run's step:
                     "npm test → node --test"), by, createdAt and expiresAt (ISO-8601 UTC).
  --state-dir DIR    NAVI's state folder to use. Default: $XDG_STATE_HOME/navi (the CLI's).
                     VS Code keeps its entries in the extension's global storage folder
                     (.../globalStorage/navi-dev.navi); the NAVI panel lists and revokes them.
  --verbose          Print the agent's log lines on stderr.

Exit codes: 0 success, 1 failure (an ID is not an entry of the workspace), 2 bad usage.`;

/** `navi allow …` (args after `allow`). */
export async function allowCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${ALLOW_HELP}\n`);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'state-dir': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${ALLOW_HELP}\n`);
    return EXIT.ok;
  }
  if (sub === 'list') {
    if (values.all) throw new UsageError('--all is for navi allow revoke.');
    if (positionals.length > 1) throw new UsageError('navi allow list takes at most one PATH.');
    return withAgent(positionals[0], values, async (agent, workspaceRoot) => {
      const result = requests.AlwaysAllowListResult.parse(
        await agent.connection.sendRequest(requests.alwaysAllowList.type, { workspaceRoot }),
      );
      process.stdout.write(
        values.json ? `${JSON.stringify(result, null, 2)}\n` : formatList(result, positionals[0]),
      );
      return EXIT.ok;
    });
  }
  if (sub === 'revoke') {
    if (values.json) throw new UsageError('--json is for navi allow list.');
    // Ids first, then at most one PATH (a word that is not an id).
    const ids = positionals.filter((p) => AlwaysAllowId.safeParse(p).success);
    const paths = positionals.filter((p) => !AlwaysAllowId.safeParse(p).success);
    if (paths.length > 1)
      throw new UsageError(
        `"${paths[0]}" is not an entry id (12 hex digits, see navi allow list), and only one PATH is taken.`,
      );
    if (values.all === ids.length > 0)
      throw new UsageError('navi allow revoke needs entry ids or --all (not both).');
    return withAgent(paths[0], values, async (agent, workspaceRoot) => {
      const result = requests.AlwaysAllowRevokeResult.parse(
        await agent.connection.sendRequest(requests.alwaysAllowRevoke.type, {
          workspaceRoot,
          ...(values.all ? { all: true as const } : { ids }),
          by: osUser(),
        }),
      );
      for (const e of result.revoked)
        process.stdout.write(
          `Revoked ${e.id}: ${e.label ?? e.command} ${style.dim('(asks again from now on)')}\n`,
        );
      if (values.all && result.revoked.length === 0)
        process.stdout.write(`No "always allow" entries in ${workspaceRoot}.\n`);
      for (const id of result.notFound)
        process.stderr.write(
          `navi: ${id} is not an "always allow" entry of ${workspaceRoot} (navi allow list).\n`,
        );
      return result.notFound.length ? EXIT.failure : EXIT.ok;
    });
  }
  throw new UsageError(`Unknown allow command "${sub}" (list or revoke).`);
}

async function withAgent(
  pathArg: string | undefined,
  values: { 'state-dir'?: string; verbose: boolean },
  fn: (agent: AgentClient, workspaceRoot: string) => Promise<number>,
): Promise<number> {
  if (values['state-dir'] === '') throw new UsageError('--state-dir needs a folder.');
  const place = await resolvePlace(pathArg, undefined);
  const agent = await startAgent({
    initializationOptions: {
      client: 'cli',
      ...(values['state-dir'] ? { stateDir: path.resolve(values['state-dir']) } : {}),
    },
    onLog: verboseLog(values.verbose),
  });
  try {
    return await fn(agent, place.workspaceRoot);
  } catch (error) {
    if (error instanceof ResponseError) return reportAgentError(error);
    throw error;
  } finally {
    await agent.dispose();
  }
}

/** The entries for people: id, command, who and when it expires. */
function formatList(result: requests.AlwaysAllowListResult, pathArg: string | undefined): string {
  if (result.entries.length === 0)
    return `No "always allow" entries in ${result.workspaceRoot}: every command that asks, asks.\n`;
  const lines = [
    `${style.bold(`Always allowed in ${result.workspaceRoot}`)} ${style.dim(`(${result.entries.length})`)}`,
    ...result.entries.map(formatEntry),
    '',
    style.dim(`Revoke one with: navi allow revoke ID${pathArg === undefined ? '' : ` ${pathArg}`}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The id and how people know the command (a task's `npm test → node --test`), then the exact command. */
function formatEntry(e: AlwaysAllowEntryInfo): string {
  const indent = ' '.repeat(16);
  return [
    `  ${e.id}  ${e.label ?? e.command}`,
    ...(e.label ? [`${indent}${style.dim('runs exactly:')} ${e.command}`] : []),
    `${indent}${style.dim(`by ${e.by}, expires ${e.expiresAt.slice(0, 10)} (${daysLeft(e.expiresAt)})`)}`,
  ].join('\n');
}

function daysLeft(iso: string, now = Date.now()): string {
  const days = Math.ceil((Date.parse(iso) - now) / 86_400_000);
  return days <= 1 ? 'within a day' : `in ${days} days`;
}
