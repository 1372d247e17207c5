import type { ApprovalAddition, ApprovalOrigin, ApprovalParams, RuleRef } from '../protocol/approvals';
import type { Effect, Verdict } from '../protocol/policy';
import { describeExpansion, displayWord } from '../protocol/display';

/** ANSI styles for one output stream: coloured only on a terminal, never with NO_COLOR or TERM=dumb. */
export function stylesFor(stream: { isTTY?: boolean }) {
  const color = stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  const sgr = (open: number, close: number) => (text: string) =>
    color ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39) };
}
export type Styles = ReturnType<typeof stylesFor>;

const VERDICT_WORDS: Record<Effect, string> = {
  allow: 'runs without asking',
  ask: 'needs your approval',
  deny: 'refused',
};

export function verdictLabel(effect: Effect, s: Styles): string {
  const colour = effect === 'allow' ? s.green : effect === 'ask' ? s.yellow : s.red;
  return s.bold(colour(effect.toUpperCase()));
}

/** Words of one command node shown in `navi check`'s list of commands. */
const MAX_WORDS_SHOWN = 24;

/** `navi check`'s readable output: the verdict line, reasons, rules and (when several) each command node. */
export function formatVerdict(subject: string, verdict: Verdict, s: Styles): string {
  const lines = [
    `${verdictLabel(verdict.verdict, s)}  ${subject}  ${s.dim(`${VERDICT_WORDS[verdict.verdict]}, risk ${verdict.risk}`)}`,
  ];
  lines.push(...formatExpansions(verdict, s));
  lines.push('', s.bold('Reasons'));
  if (verdict.reasons.length) for (const reason of verdict.reasons) lines.push(`  - ${reason}`);
  else lines.push(`  ${s.dim('none: nothing in it needs a person')}`);
  if (verdict.rules.length) {
    lines.push('', s.bold('Rules'));
    lines.push(...formatRules(verdict.rules, s));
  }
  if (verdict.commands.length > 1) {
    lines.push('', s.bold(`Commands (${verdict.commands.length})`));
    for (const c of verdict.commands) {
      const label = verdictLabel(c.verdict, s) + ' '.repeat(6 - c.verdict.length);
      // A wildcard can stand for hundreds of names: the Wildcards section lists them.
      const shown = c.argv.slice(0, MAX_WORDS_SHOWN).map(displayWord).join(' ');
      const more =
        c.argv.length > MAX_WORDS_SHOWN ? ` … (${c.argv.length - MAX_WORDS_SHOWN} more words)` : '';
      lines.push(`  ${label}${shown}${more}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The wildcards NAVI expanded and judged: what each stands for (NAVI runs exactly those names). */
export function formatExpansions(v: Pick<Verdict, 'expansions' | 'runs'>, s: Styles): string[] {
  if (!v.expansions?.length) return [];
  return [
    '',
    s.bold('Wildcards (judged and run as exactly these names)'),
    ...v.expansions.map((e) => `  ${describeExpansion(e)}`),
  ];
}

/** One line per rule: id, layer, and why it exists. */
export function formatRules(rules: readonly RuleRef[], s: Styles): string[] {
  const width = Math.max(0, ...rules.map((r) => r.id.length));
  return rules.map((r) => `  ${r.id.padEnd(width)}  ${s.dim(r.layer.padEnd(9))}  ${r.justification}`);
}

/** The task whose command an approval is for, in the approval's first line. */
const TASK_WORDS: Record<ApprovalOrigin['task'], string> = {
  test: 'your test command',
  start: 'your start command',
  fix: 'a check of your project',
};

/**
 * What the CLI shows before it asks: the command the person knows (a task's profile command)
 * or the command itself, where, how risky, why and which rules; for a task's command, then
 * exactly what runs and what NAVI added to it.
 */
export function formatApproval(params: ApprovalParams, s: Styles): string {
  const risk = params.risk === 'high' ? s.red : params.risk === 'medium' ? s.yellow : s.dim;
  const origin = params.origin;
  const lines = origin
    ? [
        `${s.bold(s.yellow(`NAVI needs your approval to run ${TASK_WORDS[origin.task]}:`))}`,
        `  ${s.bold(origin.userCommand)}`,
        ...(origin.step
          ? [`  ${s.dim(`step ${origin.step.index + 1} of ${origin.step.count}:`)} ${origin.step.text}`]
          : []),
      ]
    : [`${s.bold(s.yellow('NAVI needs your approval to run:'))}`, `  ${s.bold(params.command)}`];
  lines.push(
    `  ${s.dim('in')} ${params.cwd}   ${s.dim('risk')} ${risk(params.risk)}`,
    '',
    s.bold('Why'),
    ...params.reasons.map((r) => `  - ${r}`),
    ...formatExpansions(params, s),
  );
  if (origin) lines.push(...formatOrigin(params, origin, s));
  if (params.rules.length) lines.push('', s.bold('Rules'), ...formatRules(params.rules, s));
  return `${lines.join('\n')}\n`;
}

/** Sign of each kind of addition in the CLI's list. */
const ADDITION_SIGN: Record<ApprovalAddition['kind'], string> = {
  argument: '+',
  program: '~',
  removed: '-',
  environment: '$',
  folder: 'w',
};

/** Exactly what runs (what is judged and approved), then what NAVI added, each with why. */
function formatOrigin(params: ApprovalParams, origin: ApprovalOrigin, s: Styles): string[] {
  const lines = ['', s.bold('Exactly what runs (what you approve)'), `  ${params.runs ?? params.command}`];
  if (origin.additions.length) {
    lines.push('', s.bold('What NAVI adds to your command'));
    for (const a of origin.additions)
      lines.push(`  ${ADDITION_SIGN[a.kind]} ${a.text}`, `      ${s.dim(a.why)}`);
  }
  return lines;
}
