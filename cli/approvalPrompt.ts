import * as path from 'node:path';
import * as readline from 'node:readline';
import type { CancellationToken } from 'vscode-jsonrpc/node';
import { ApprovalParams, type ApprovalResult } from '../protocol/approvals';
import { DetectorId, isHardDetector } from '../protocol/policy';
import { shellQuote } from '../protocol/display';
import { formatApproval, stylesFor } from './formatVerdict';

/**
 * How `navi run` answers the agent's `navi/approval` request: a prompt on a terminal, a deny
 * that says how to allow the command without one. (`--yes` never gets here: the run params carry
 * `autoApprove` and the agent records `cli-yes` itself.)
 */
export interface ApprovalPromptOptions {
  /** stdin and stderr are terminals: a person can answer. */
  interactive: boolean;
  /** Who answers (the OS user). */
  user: string;
  /** The workspace, for the policy-file advice. */
  workspaceRoot: string;
  /** The user's own policy file (the `user` layer), for the advice. */
  userPolicyFile: string;
  /** The argv of each command node of a text (from navi/check), for the example rule; undefined if unknown. */
  commandsOf(command: string): Promise<string[][] | undefined>;
  /** Whether the user pressed Ctrl-C (the run is being cancelled: say nothing more). */
  interrupted(): boolean;
  /** Called once the answer has been explained on stderr (navi run then does not repeat it). */
  explained(): void;
}

export async function answerApproval(
  raw: unknown,
  token: CancellationToken,
  options: ApprovalPromptOptions,
): Promise<ApprovalResult> {
  const parsed = ApprovalParams.safeParse(raw);
  if (!parsed.success) {
    process.stderr.write(
      `navi: the agent sent a malformed approval request (${parsed.error.issues[0]?.message}); denied.\n`,
    );
    return { decision: 'deny', by: 'malformed-request' };
  }
  const params = parsed.data;
  if (!options.interactive) {
    process.stderr.write(await howToAllow(params, options));
    options.explained();
    // Nobody was asked: the audit log records it as the CLI's own refusal, not a person's.
    return { decision: 'deny', by: 'cli-no-terminal' };
  }
  return prompt(params, token, options);
}

function prompt(
  params: ApprovalParams,
  token: CancellationToken,
  options: ApprovalPromptOptions,
): Promise<ApprovalResult> {
  const s = stylesFor(process.stderr);
  process.stderr.write(`\n${formatApproval(params, s)}\n`);
  const choices = params.canAlwaysAllow
    ? 'Allow once [y], always allow this exact command here [a], deny [N]: '
    : 'Allow once [y], deny [N]: ';
  // terminal: false keeps the terminal in cooked mode: Ctrl-C stays a SIGINT for navi run to
  // cancel the run with, and the line is edited and echoed by the terminal itself.
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  return new Promise<ApprovalResult>((resolve) => {
    let done = false;
    const finish = (result: ApprovalResult, note?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cancelled.dispose();
      rl.close();
      if (note && !options.interrupted()) process.stderr.write(note);
      resolve(result);
    };
    const seconds = Math.round(params.timeoutMs / 1000);
    const timedOut = () =>
      finish(
        { decision: 'deny', by: 'timeout' },
        `\nnavi: no answer within ${seconds} s: the command was not run.\n`,
      );
    const timer = setTimeout(timedOut, params.timeoutMs);
    // The agent withdraws the request when its own timer runs out or the run is cancelled.
    const cancelled = token.onCancellationRequested(timedOut);
    rl.once('line', (line) => {
      const answer = line.trim().toLowerCase();
      if (answer === 'y' || answer === 'yes') finish({ decision: 'allowOnce', by: options.user });
      else if (params.canAlwaysAllow && (answer === 'a' || answer === 'always'))
        finish({ decision: 'alwaysAllow', by: options.user });
      else finish({ decision: 'deny', by: options.user });
    });
    // Ctrl-D (end of input) is a no.
    rl.once('close', () => finish({ decision: 'deny', by: options.user }, '\n'));
    rl.setPrompt(s.bold(choices));
    rl.prompt();
  });
}

/** Without a terminal: why the command did not run, and the concrete ways to allow it. */
async function howToAllow(params: ApprovalParams, options: ApprovalPromptOptions): Promise<string> {
  const check = `navi check -- ${shellQuote(params.command)}`;
  const origin = params.origin;
  const lines = origin
    ? [
        // The command the person knows first (the profile's `npm test`), then what really runs.
        `navi: not run: your ${origin.task} command needs approval and there is no terminal to ask on.`,
        `  ${origin.userCommand}${origin.step ? `  (step ${origin.step.index + 1} of ${origin.step.count}: ${origin.step.text})` : ''}`,
        `  runs as: ${params.command}`,
        ...params.reasons.map((r) => `  - ${r}`),
        'To allow it:',
        `  - approve it for this run with --yes: navi ${origin.task} --yes`,
        '    (--yes approves commands that ask; it never runs one that is denied)',
      ]
    : [
        `navi: not run: this command needs approval and there is no terminal to ask on.`,
        `  ${params.command}`,
        ...params.reasons.map((r) => `  - ${r}`),
        'To allow it:',
        `  - approve it for this run with --yes: navi run --yes -- ${shellQuote(params.command)}`,
        '    (--yes approves commands that ask; it never runs one that is denied)',
      ];
  // Asks no policy rule can lift (docs/policy.md, "Hard asks are never lifted").
  const hard = params.rules.some((r) => {
    // `builtin:<detector>` or `builtin:<detector>:<finer rule>`.
    const id = DetectorId.safeParse(r.id.split(':')[1]);
    return r.layer === 'builtin' && id.success && isHardDetector(id.data);
  });
  if (hard) {
    lines.push('  (no policy rule can allow it: NAVI cannot check in advance what it will run)');
    return `${lines.join('\n')}\n`;
  }
  // A workspace rule (the repository's own file) lifts only medium- and low-risk asks; a
  // high-risk one (inline code, network, installs) only the user's or the org's policy can allow.
  const workspaceFile = path.join(options.workspaceRoot, '.navi', 'policy.json');
  const where =
    params.risk === 'high'
      ? `your own policy file ${options.userPolicyFile}\n    (a rule in the workspace's ${workspaceFile} cannot allow a high-risk command)`
      : `${workspaceFile}\n    (or your own policy file ${options.userPolicyFile})`;
  const commands = await options.commandsOf(params.command).catch(() => undefined);
  // Words NAVI only knows when the command runs ($X, $(…), globs) never match an allow rule.
  const single = commands?.length === 1 ? commands[0] : undefined;
  if (single && single.length > 0 && !single.some((word) => /[$`*?[]/.test(word))) {
    const program = path.basename(single[0]!).replace(/[^A-Za-z0-9._-]/g, '') || 'command';
    const rule = {
      id: `allow-${program}`,
      effect: 'allow',
      justification: 'Why this command is safe here.',
      match: { argv: single },
      examples: { match: [params.command], notMatch: [] },
    };
    lines.push(
      `  - or allow it from now on: add this rule to "rules" in ${where}:`,
      `      ${JSON.stringify(rule)}`,
      `    (the file is {"version": 1, "rules": [...]}, see docs/policy.md), then check it: ${check}`,
    );
  } else {
    lines.push(
      `  - or allow each command in it with an "allow" rule (match.argv or match.prefix) in ${where}`,
      `    (see docs/policy.md), then check it: ${check}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
