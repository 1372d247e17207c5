import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ResponseError } from 'vscode-jsonrpc/node';
import * as requests from '../../protocol/requests';
import { COMMAND_KINDS, type CommandKind } from '../../protocol/scanReport';
import type { WorkspaceProfile } from '../../protocol/testing';
import { startAgent } from '../agentClient';
import { reportAgentError, resolvePlace, verboseLog } from '../commandLine';
import { EXIT, UsageError } from '../common';
import { style } from '../format';

export const PROFILE_SUMMARY = 'Show, edit or confirm the project profile (install, build, test, start…).';

export const PROFILE_HELP = `Usage: navi profile [PATH] [--project DIR] [--set KIND=COMMAND]… [--confirm] [--json]

The project profile is what NAVI runs for each project: the install, build, lint, typecheck,
format, test and start commands. NAVI proposes it from the scan; you confirm (or edit) it
once, and every test run, app start and verification uses it. The confirmed profile is
stored per workspace in NAVI's state folder ($XDG_STATE_HOME/navi/profiles), never in the
repository, and shared with VS Code.

PATH: the workspace (default: the git work tree that contains the current directory).

Options:
  --project DIR        The project to edit (relative to the workspace; default: the first).
  --set KIND=COMMAND   Set a command (KIND: ${COMMAND_KINDS.join(', ')}); an empty COMMAND
                       removes it. Implies --confirm.
  --confirm            Store the profile as shown as the confirmed one.
  --json               Print the profile as JSON.
  --verbose            Print the agent's log lines on stderr.

Exit codes: 0 success, 1 failure, 2 bad usage.`;

function parseSet(values: readonly string[]): [CommandKind, string][] {
  return values.map((v) => {
    const at = v.indexOf('=');
    const kind = (at > 0 ? v.slice(0, at) : v) as CommandKind;
    if (at <= 0 || !COMMAND_KINDS.includes(kind))
      throw new UsageError(
        `--set needs KIND=COMMAND with KIND one of ${COMMAND_KINDS.join(', ')}: got "${v}".`,
      );
    return [kind, v.slice(at + 1).trim()];
  });
}

/** The profile for people: per project its commands and where each came from. */
export function formatProfile(profile: WorkspaceProfile): string {
  const lines = [
    `${style.bold('Project profile')} of ${profile.root}: ${
      profile.status === 'confirmed'
        ? style.green(`confirmed ${profile.confirmedAt ?? ''}`.trim())
        : style.yellow('proposed from the scan, not confirmed yet')
    }`,
  ];
  if (profile.projects.length === 0) lines.push('  No project with commands found.');
  for (const p of profile.projects) {
    lines.push(
      '',
      `${style.bold(p.path === '.' ? '. (root)' : p.path)}${p.name ? ` ${p.name}` : ''}  ${style.dim(p.ecosystem)}`,
    );
    for (const kind of COMMAND_KINDS) {
      const c = p.commands[kind];
      if (c) lines.push(`  ${kind.padEnd(10)}${c.command}  ${style.dim(`(${c.source})`)}`);
    }
  }
  if (profile.status !== 'confirmed')
    lines.push('', `Confirm it with ${style.bold('navi profile --confirm')}, or edit with --set test="…".`);
  else if (profile.approved?.length)
    lines.push(
      '',
      'Confirming approved these commands and the package.json scripts they run, as they are now:',
      'test runs and app starts use them without asking again (denies and hard asks still apply)',
      'until one of them changes; then NAVI asks again and says what changed.',
    );
  return lines.join('\n');
}

export async function profileCommandCli(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      confirm: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${PROFILE_HELP}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError('navi profile takes at most one PATH.');
  const sets = parseSet(values.set);
  const place = await resolvePlace(positionals[0], undefined);
  const agent = await startAgent({
    initializationOptions: { client: 'cli' },
    onLog: verboseLog(values.verbose),
  });
  try {
    let profile = await agent.connection.sendRequest(requests.profile.type, { root: place.workspaceRoot });
    if (sets.length || values.confirm) {
      const rel = path.relative(place.workspaceRoot, place.cwd).split(path.sep).join('/');
      const wanted = path.posix.normalize(values.project ?? (rel || '.'));
      const projects = profile.projects.map((p) => ({ ...p, commands: { ...p.commands } }));
      // --project names the project (created when new); else the project the current directory is in.
      const inside = (p: { path: string }) =>
        p.path === wanted || p.path === '.' || wanted.startsWith(`${p.path}/`);
      let target =
        values.project !== undefined
          ? projects.find((p) => p.path === wanted)
          : projects.filter(inside).sort((a, b) => b.path.length - a.path.length)[0];
      if (!target && sets.length) {
        target = { path: wanted, ecosystem: 'other', commands: {} };
        projects.push(target);
      }
      for (const [kind, command] of sets) {
        if (command) target!.commands[kind] = { command, source: 'user' };
        else delete target!.commands[kind];
      }
      profile = await agent.connection.sendRequest(requests.profileSave.type, {
        root: place.workspaceRoot,
        projects,
      });
    }
    process.stdout.write(
      values.json ? `${JSON.stringify(profile, null, 2)}\n` : `${formatProfile(profile)}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ResponseError) return reportAgentError(error);
    throw error;
  } finally {
    await agent.dispose();
  }
}
