import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandKind } from '../../../protocol/scanReport';
import type { ReceiptCommand } from '../../../protocol/receipts';
import type { RunOutcome } from '../../../protocol/requests';
import type { ProjectProfile, WorkspaceProfile } from '../../../protocol/testing';
import { run, type PipelinePorts } from '../../exec/pipeline';
import type { OutputStream } from '../../exec/runner';
import { profileConfirmation, type ProfileConfirmation } from '../profileApproval';
import { localBin, planSteps, stepText } from '../test/plan';
import { checkerFor, type CheckerAdapter } from './checkers';
import type { CheckerResult } from './diagnostics';

/**
 * The fix task's checks: the profile's lint, typecheck and format-check commands, split into their
 * steps (a `lint` script may chain `eslint . && prettier --check .`), each step NAVI can read
 * (checkers.ts) run through the command pipeline with its machine-readable output form.
 */

/** The profile's command kinds that check (in the order they run: cheap and local first). */
const CHECK_KINDS: readonly CommandKind[] = ['format', 'lint', 'typecheck'];
const DEFAULT_CHECK_TIMEOUT_MS = 10 * 60_000;
/** Output kept per stream for the parser; beyond it the result is incomplete. */
const MAX_PARSE_CHARS = 32 * 1024 * 1024;

export interface CheckStep {
  /** `<project path>#<kind>.<step>`: stable within a task, for logs and the result. */
  key: string;
  adapter: CheckerAdapter;
  project: ProjectProfile;
  /** Absolute project directory (the step's working directory). */
  dir: string;
  /** The step as the profile's script has it. */
  original: string;
  assignments: string[];
  /** The step's argv with local tools resolved (`./node_modules/.bin/eslint`), as the user wrote it. */
  argv: string[];
  /** What NAVI runs: the machine-readable form. */
  command: string;
  /** Where the command came from (`package.json#scripts.lint`, or `inferred`). */
  source: string;
  /** The profile command it is a step of (`lint`…); absent for a check NAVI inferred. */
  kind?: CommandKind;
}

export interface CheckPlan {
  steps: CheckStep[];
  notes: string[];
}

/**
 * The checks of the profile's projects (all, or the one at `project`). A step NAVI cannot read
 * is named in `notes` and not used: its output cannot prove anything either way.
 */
export async function planChecks(profile: WorkspaceProfile, project?: string): Promise<CheckPlan> {
  const steps: CheckStep[] = [];
  const notes: string[] = [];
  const wanted = project === undefined ? undefined : path.posix.normalize(project.split(path.sep).join('/'));
  const projects = profile.projects.filter(
    (p) =>
      wanted === undefined || p.path === wanted || wanted.startsWith(`${p.path === '.' ? '' : `${p.path}/`}`),
  );
  const chosen =
    wanted === undefined ? projects : projects.sort((a, b) => b.path.length - a.path.length).slice(0, 1);
  for (const p of chosen) {
    const dir = path.resolve(profile.root, p.path);
    const seen = new Set<string>();
    for (const kind of CHECK_KINDS) {
      const cmd = p.commands[kind];
      if (!cmd) continue;
      const planned = await planSteps(cmd.command, dir);
      for (const [i, step] of planned.entries()) {
        const argv = step.argv ? localBin(step.argv, dir, profile.root) : undefined;
        const adapter = argv ? checkerFor(argv) : undefined;
        if (!argv || !adapter) {
          notes.push(
            `${p.path}: NAVI cannot read the output of \`${step.original}\` (${kind}); it is not used to find or verify errors.`,
          );
          continue;
        }
        const command = stepText(step.assignments, adapter.machineArgs(argv));
        if (seen.has(command)) continue;
        seen.add(command);
        steps.push({
          key: `${p.path}#${kind}.${i}`,
          adapter,
          project: p,
          dir,
          original: step.original,
          assignments: step.assignments,
          argv,
          command,
          source: cmd.source,
          kind,
        });
      }
    }
    const inferred = inferTypecheck(p, dir, profile.root, steps);
    if (inferred) steps.push(inferred);
  }
  return { steps, notes };
}

/**
 * A TypeScript or `checkJs` project whose profile has no type check still has one: its own `tsc`
 * on its own `tsconfig.json` / `jsconfig.json`. Only with the project's local `tsc` (never a
 * download).
 */
function inferTypecheck(
  p: ProjectProfile,
  dir: string,
  root: string,
  steps: readonly CheckStep[],
): CheckStep | undefined {
  if (steps.some((s) => s.project === p && s.adapter.id === 'tsc')) return undefined;
  const config = ['tsconfig.json', 'jsconfig.json'].find((f) => fs.existsSync(path.join(dir, f)));
  if (!config) return undefined;
  const argv = localBin(['tsc', '--noEmit', '-p', config], dir, root);
  if (argv[0] === 'tsc') return undefined; // no local TypeScript
  const adapter = checkerFor(argv)!;
  return {
    key: `${p.path}#typecheck.inferred`,
    adapter,
    project: p,
    dir,
    original: `tsc --noEmit -p ${config}`,
    assignments: [],
    argv,
    command: stepText([], adapter.machineArgs(argv)),
    source: `${config} (inferred)`,
  };
}

/** Whether a change to `file` (workspace-relative) can change what this check reports. */
export function covers(step: CheckStep, root: string, file: string): boolean {
  const abs = path.resolve(root, file);
  const rel = path.relative(step.dir, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return false;
  return step.adapter.extensions.includes(path.extname(file).toLowerCase());
}

export interface CheckRun {
  step: CheckStep;
  /** Whether the command ran (a denied or refused command did not). */
  ran: boolean;
  result: CheckerResult;
  /** What the receipt records; undefined when it did not run. */
  receipt?: ReceiptCommand;
  commandId: string;
  /** Why it did not run (the pipeline's message). */
  reason?: string;
}

export interface RunContext {
  root: string;
  runId: string;
  trusted: boolean;
  autoApprove?: boolean;
  pipeline: PipelinePorts;
  signal: AbortSignal;
  onOutput?: (chunk: string, stream: OutputStream) => void;
  /** The profile the checks come from: a confirmed one approves its own check commands. */
  profile?: WorkspaceProfile;
}

/** Collects a stream for a parser, bounded. */
class Collected {
  text = '';
  dropped = false;
  add(chunk: string): void {
    if (this.text.length + chunk.length <= MAX_PARSE_CHARS) this.text += chunk;
    else this.dropped = true;
  }
}

/** A working directory as a receipt holds it: relative to the workspace root, `.` for the root. */
export function receiptCwd(root: string, dir: string): string {
  return path.relative(root, dir).split(path.sep).join('/') || '.';
}

/**
 * Runs a step's program with `argv` (the check's machine-readable form, or the tool's fixer)
 * through the pipeline, in the step's folder with its assignments; returns the outcome and, when
 * it ran, what a receipt records of it.
 */
export async function runStepCommand(
  step: CheckStep,
  argv: readonly string[],
  ctx: RunContext,
  timeoutMs: number,
  profile?: ProfileConfirmation,
): Promise<{ outcome: RunOutcome; command: string; receipt?: ReceiptCommand }> {
  const command = stepText(step.assignments, argv);
  const outcome = await run(
    {
      runId: ctx.runId,
      command,
      cwd: step.dir,
      workspaceRoot: ctx.root,
      trusted: ctx.trusted,
      proposer: 'task',
      timeoutMs,
      ...(ctx.autoApprove ? { autoApprove: true } : {}),
    },
    ctx.pipeline,
    {
      signal: ctx.signal,
      ...(ctx.onOutput ? { onOutput: ctx.onOutput } : {}),
      ...(profile ? { task: { profile } } : {}),
    },
  );
  const r = outcome.ran ? outcome.result : undefined;
  if (!r) return { outcome, command };
  return {
    outcome,
    command,
    receipt: {
      argv: step.assignments.length ? null : [...argv],
      command: outcome.verdict.runs ?? command,
      cwd: receiptCwd(ctx.root, step.dir),
      exitCode: r.exitCode,
      durationMs: Math.round(r.durationMs),
      logSha256: r.output.sha256,
    },
  };
}

/** Runs one check through the pipeline and reads its output. */
export async function runCheck(step: CheckStep, ctx: RunContext): Promise<CheckRun> {
  const out = new Collected();
  const err = new Collected();
  // A check of the profile's own command (not an inferred one, not a fixer) is what the person
  // approved by confirming the profile, as long as it and its scripts are unchanged.
  const confirmation =
    step.kind && ctx.profile
      ? await profileConfirmation(ctx.profile, step.project, step.kind, ctx.pipeline.home)
      : undefined;
  const { outcome, receipt } = await runStepCommand(
    step,
    step.adapter.machineArgs(step.argv),
    {
      ...ctx,
      onOutput: (chunk, stream) => {
        (stream === 'stdout' ? out : err).add(chunk);
        ctx.onOutput?.(chunk, stream);
      },
    },
    DEFAULT_CHECK_TIMEOUT_MS,
    confirmation,
  );
  const checkerCtx = { cwd: step.dir, workspaceRoot: ctx.root };
  if (!outcome.ran || !outcome.result || !receipt) {
    const result = step.adapter.parse('', '', null, checkerCtx);
    return {
      step,
      ran: false,
      commandId: outcome.commandId,
      reason: outcome.message,
      result: { ...result, complete: false, reason: outcome.message.slice(0, 2000) },
    };
  }
  const r = outcome.result;
  let result = step.adapter.parse(out.text, err.text, r.exitCode, checkerCtx);
  if (out.dropped || err.dropped)
    result = { ...result, complete: false, reason: 'The output was larger than NAVI reads (32 MB).' };
  if (r.timedOut || r.cancelled)
    result = {
      ...result,
      complete: false,
      reason: r.timedOut ? 'The check timed out.' : 'The check was cancelled.',
    };
  return { step, ran: true, commandId: outcome.commandId, result, receipt };
}
