import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { ErrorCodes, NaviError } from '../../../protocol/errors';
import type { FixParams, FixResult, RemainingDiagnostic } from '../../../protocol/fix';
import type { Diagnostic } from '../../../protocol/diagnostics';
import type { WorkspaceProfile } from '../../../protocol/testing';
import { createCheckpoint, type Checkpoint } from '../../edits/checkpoints';
import { loadProfile, profileCommand, profileFile, realRoot, type ResolvedCommand } from '../profile';
import { planChecks } from './checkRuns';
import {
  countsOf,
  currentErrors,
  diagKey,
  inScope,
  progress,
  runChecks,
  testRun,
  type FixContext,
  type FixPorts,
  type FixState,
} from './fixState';
import { FixApplier, type AppliedFix } from './fixApply';
import { workspacePath } from './diagnostics';
import { saveFixTask } from './fixRecords';
import {
  closeTypeScriptFixers,
  openTypeScriptFixers,
  startTypeScriptSearch,
  typeScriptFixes,
  type TypeScriptWork,
} from './typeScriptFixes';
import { modelFixes } from './modelFix';

/**
 * `navi/fix` (docs/fix.md): find the errors with the profile's checkers, fix them cheapest first
 * (the project's own fixers, TypeScript code fixes, a model only when configured), verify each fix
 * against the state before it, keep what verifies with a signed receipt and roll back what does
 * not. NAVI's runner decides; no fixer's word counts.
 */

function profileHash(stateDir: string, profile: WorkspaceProfile): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(profileFile(stateDir, profile.root));
  } catch {
    bytes = Buffer.from(JSON.stringify(profile)); // a proposed profile is not stored
  }
  return createHash('sha256').update(bytes).digest('hex');
}

/** The test command's results, when the profile has one (else undefined and a note). */
async function baselineTests(state: FixState): Promise<FixState['testsBefore']> {
  if (state.params.skipTests) return undefined;
  let resolved: ResolvedCommand;
  try {
    resolved = await profileCommand(state.root, state.params.project, 'test', {
      stateDir: state.ports.stateDir,
      signal: state.ctx.signal,
    });
  } catch (error) {
    if (error instanceof NaviError && error.code === ErrorCodes.NoProfileCommand) {
      state.notes.push('The profile has no test command: fixes are verified by the checkers alone.');
      return undefined;
    }
    throw error;
  }
  progress(state, 'tests', 'Running the tests before fixing (the baseline)…');
  const result = await testRun(state, resolved);
  return { result, byId: new Map(result.tests.map((t) => [t.id, t.status])), resolved };
}

export async function runFix(params: FixParams, ports: FixPorts, ctx: FixContext): Promise<FixResult> {
  if (!params.trusted)
    throw new NaviError(
      ErrorCodes.WorkspaceNotTrusted,
      'This workspace is in Restricted Mode: NAVI fixes nothing here.',
      {
        hint: 'Trust the workspace (Manage Workspace Trust) to let NAVI run its checkers and fix errors.',
      },
    );
  const root = await realRoot(params.root);
  const profile = await loadProfile(root, { stateDir: ports.stateDir, signal: ctx.signal });
  const plan = await planChecks(profile, params.project);
  if (plan.steps.length === 0)
    throw new NaviError(
      ErrorCodes.NoProfileCommand,
      'NAVI found no check it can read (lint, typecheck or format) in this workspace.',
      {
        path: root,
        hint: 'Add one to the project profile (navi profile --set typecheck="tsc --noEmit", lint="eslint .", format="prettier --check .").',
      },
    );
  const taskId = uuidv7();
  const startedAt = new Date();
  const state: FixState = {
    taskId,
    root,
    params,
    ports,
    ctx,
    run: {
      root,
      runId: params.runId,
      trusted: params.trusted,
      ...(params.autoApprove ? { autoApprove: true } : {}),
      pipeline: ports.pipeline,
      signal: ctx.signal,
      profile,
      // A checker's machine-readable output (eslint's JSON) is for NAVI, not for the terminal.
    },
    steps: plan.steps,
    current: new Map(),
    checks: [],
    commandIds: [],
    notes: [...plan.notes],
    unsaved: new Set(
      (params.unsavedFiles ?? []).map((f) => workspacePath(f, root, root)).filter((f) => f !== undefined),
    ),
    reasons: new Map(),
    profileSha256: profileHash(ports.stateDir, profile),
    startedAt,
  };
  if (params.files?.length) {
    // Files or folders; the workspace folder itself means everything.
    const isRoot = (f: string) => path.resolve(root, f) === root;
    const scope = params.files.map((f) => workspacePath(f, root, root));
    const outside = params.files.filter((f, i) => scope[i] === undefined && !isRoot(f));
    if (outside.length)
      throw new NaviError(
        ErrorCodes.InvalidParams,
        `Outside the workspace: ${outside.slice(0, 3).join(', ')}.`,
        {
          path: root,
          hint: 'Give files or folders inside the workspace, relative to its root or absolute.',
        },
      );
    if (!params.files.some(isRoot)) state.scope = new Set(scope as string[]);
  }
  const project = params.project ? path.resolve(root, params.project) : root;
  await ports.pipeline.audit.append({
    type: 'task.started',
    actor: { kind: 'agent' },
    workspace: root,
    data: {
      taskId,
      task: 'fix',
      project,
      command: plan.steps
        .map((s) => s.original)
        .join(' ; ')
        .slice(0, 100_000),
    },
  });

  let result: FixResult;
  try {
    result = await fixLoop(state);
  } catch (error) {
    await finishAudit(state, project, 'error');
    throw error;
  }
  await finishAudit(state, project, result.status);
  return result;
}

async function finishAudit(
  state: FixState,
  project: string,
  status: FixResult['status'] | 'error',
): Promise<void> {
  await state.ports.pipeline.audit.append({
    type: 'task.finished',
    actor: { kind: 'system' },
    workspace: state.root,
    data: {
      taskId: state.taskId,
      task: 'fix',
      project,
      status,
      durationMs: Date.now() - state.startedAt.getTime(),
      commandIds: state.commandIds.slice(0, 1000),
    },
  });
}

async function fixLoop(state: FixState): Promise<FixResult> {
  // TypeScript projects open now: their programs build in a worker thread while the checks run.
  const typeScript = openTypeScriptFixers(state);
  try {
    return await fixSteps(state, typeScript);
  } finally {
    closeTypeScriptFixers(typeScript);
  }
}

async function fixSteps(state: FixState, typeScript: TypeScriptWork): Promise<FixResult> {
  const { ctx, params } = state;
  progress(state, 'baseline', `Running ${state.steps.length} check${state.steps.length === 1 ? '' : 's'}…`);
  for (const r of await runChecks(state, state.steps, 'baseline')) state.current.set(r.step.key, r);
  const editorTargets = editorDiagnostics(state);
  const before = [...currentErrors(state), ...editorTargets];
  const fixes: AppliedFix[] = [];
  let checkpoint: Checkpoint | undefined;

  // TypeScript's fixes for the baseline's errors are looked for in the worker thread meanwhile.
  startTypeScriptSearch(state, typeScript);
  if (before.length > 0 && !ctx.signal.aborted) {
    // The baseline tests run while the checkpoint is taken and the first fixes are looked for;
    // nothing is written before they are done (FixApplier.apply waits for them).
    const baseline = baselineTests(state).then((t) => {
      state.testsBefore = t;
    });
    baseline.catch(() => undefined); // awaited below and by every write; no unhandled rejection meanwhile
    state.baselineDone = baseline;
    progress(state, 'checkpoint', 'Taking a checkpoint of the workspace…');
    checkpoint = await createCheckpoint({
      workspaceRoot: state.root,
      stateDir: state.ports.stateDir,
      taskId: state.taskId,
    });
    const skipped = checkpoint.skipped.filter((s) => s.reason !== 'node-modules');
    if (skipped.length)
      state.notes.push(
        `The checkpoint skipped ${skipped.length} path${skipped.length === 1 ? '' : 's'} (${summarizeSkipped(skipped)}); NAVI checkpoints a file on its own before it writes it.`,
      );
    const applier = new FixApplier(state, fixes);
    await toolFixes(state, applier);
    await typeScriptFixes(state, applier, typeScript);
    await editorQuickFixes(state, applier);
    if (params.model && !ctx.signal.aborted) await modelFixes(state, applier, params.model);
    else if (!params.model && currentErrors(state).length > 0)
      state.notes.push(
        'No model is configured: what the project’s fixers and TypeScript’s code fixes could not fix is listed as remaining.',
      );
    await baseline;
    await applier.finalTests();
    await applier.issueReceipts();
  }

  const remaining = remainingOf(state, editorTargets);
  const incomplete = [...state.current.values()].some((r) => !r.ran || !r.result.complete);
  const rolledBack = fixes.filter((f) => f.record.status === 'rolled-back');
  const status: FixResult['status'] = ctx.signal.aborted
    ? 'cancelled'
    : incomplete
      ? 'incomplete'
      : before.length === 0
        ? 'clean'
        : // A rolled-back try whose errors a later fix removed is not a failure: what counts is what is left.
          remaining.length === 0
          ? 'fixed'
          : 'remaining';
  if (fixes.length)
    await saveFixTask(state.ports.stateDir, {
      version: 1,
      taskId: state.taskId,
      root: state.root,
      createdAt: state.startedAt.toISOString(),
      fixes: fixes.map((f) => ({
        id: f.record.id,
        fixer: f.record.fixer,
        files: f.record.files,
        status: f.record.status,
        ...(f.record.receipt ? { receiptId: f.record.receipt.id } : {}),
      })),
    });
  progress(state, 'done', statusSentence(status, fixes.length, remaining.length));
  const testsAfter = fixes.find((f) => f.testsAfter)?.testsAfter;
  return {
    taskId: state.taskId,
    status,
    fixes: fixes.map((f) => f.record),
    remaining,
    rolledBack: rolledBack.map((f) => ({
      id: f.record.id,
      reason: f.record.reason ?? 'It did not verify.',
      files: f.record.files,
    })),
    checks: state.checks.slice(0, 1000),
    ...(state.testsBefore
      ? {
          tests: { before: countsOf(state.testsBefore.result), ...(testsAfter ? { after: testsAfter } : {}) },
        }
      : {}),
    ...(checkpoint
      ? {
          checkpoint: {
            id: checkpoint.id,
            files: checkpoint.files,
            skipped: checkpoint.skipped.slice(0, 1000).map((s) => ({ path: s.path, reason: s.reason })),
            ms: Math.round(checkpoint.ms),
          },
        }
      : {}),
    notes: state.notes.slice(0, 200).map((n) => n.slice(0, 4000)),
    startedAt: state.startedAt.toISOString(),
    durationMs: Date.now() - state.startedAt.getTime(),
  };
}

function summarizeSkipped(skipped: Checkpoint['skipped']): string {
  const by = new Map<string, number>();
  for (const s of skipped) by.set(s.reason, (by.get(s.reason) ?? 0) + 1);
  return [...by].map(([r, n]) => `${n} ${r}`).join(', ');
}

function statusSentence(status: FixResult['status'], fixes: number, remaining: number): string {
  switch (status) {
    case 'clean':
      return 'The checkers found no errors.';
    case 'fixed':
      return `Fixed and verified every error (${fixes} fix${fixes === 1 ? '' : 'es'}).`;
    case 'cancelled':
      return 'Cancelled.';
    case 'incomplete':
      return 'A check could not be run or read, so NAVI cannot say the project is clean.';
    default:
      return `${remaining} error${remaining === 1 ? ' remains' : 's remain'}.`;
  }
}

/**
 * The editor's diagnostics (VS Code): those a checker of the task also reports are the same
 * problem; the others NAVI cannot re-run outside the editor, so it cannot prove a fix of them.
 */
function editorDiagnostics(state: FixState): Diagnostic[] {
  const given = (state.params.editorDiagnostics ?? []).filter(
    (d) => d.severity === 'error' && inScope(state, d.file),
  );
  const known = [...state.current.values()].flatMap((r) => r.result.diagnostics);
  const same = (a: Diagnostic, b: Diagnostic) =>
    a.file === b.file &&
    a.range.startLine === b.range.startLine &&
    (a.code ?? '').replace(/^TS/, '') === (b.code ?? '').replace(/^TS/, '');
  const extra = given.filter((d) => !known.some((k) => same(k, d)));
  for (const d of extra)
    state.reasons.set(
      diagKey(d),
      `${d.source} reports it in the editor only; NAVI cannot re-run it to verify a fix`,
    );
  return extra;
}

function remainingOf(state: FixState, editorTargets: readonly Diagnostic[]): RemainingDiagnostic[] {
  return [...currentErrors(state), ...editorTargets].slice(0, 10_000).map((d) => {
    const reason = state.reasons.get(diagKey(d)) ?? defaultReason(d);
    return {
      file: d.file,
      line: d.range.startLine,
      column: d.range.startColumn,
      ...(d.code ? { code: d.code } : {}),
      message: d.message.slice(0, 9000),
      checker: d.checker,
      ...(reason ? { reason: reason.slice(0, 4000) } : {}),
    };
  });
}

function defaultReason(d: Diagnostic): string {
  if (d.checker === 'tsc') return `no safe code fix for ${d.code ?? 'this error'}`;
  return `${d.checker} has no fix for it`;
}

// ---------------------------------------------------------------------------------------------
// The cheap fixers

/** The project's own fixers: each check that has one, on the files where it reports fixable errors. */
async function toolFixes(state: FixState, applier: FixApplier): Promise<void> {
  for (const step of state.steps) {
    if (state.ctx.signal.aborted) return;
    if (!step.adapter.fixArgs) continue;
    const targets = currentErrors(state).filter((d) => d.checker === step.adapter.id && d.fixable === true);
    const files = [...new Set(targets.map((d) => d.file))].filter((f) => applier.writable(f, targets));
    if (files.length === 0) continue;
    const cwdFiles = files.map((f) =>
      path.relative(step.dir, path.join(state.root, f)).split(path.sep).join('/'),
    );
    const argv = step.adapter.fixArgs(step.argv, cwdFiles);
    progress(
      state,
      'fixing',
      `${step.adapter.fixName} on ${files.length} file${files.length === 1 ? '' : 's'}…`,
    );
    await applier.apply({
      fixer: { kind: 'project-fixer', name: step.adapter.fixName! },
      targets: targets.filter((d) => files.includes(d.file)),
      files,
      write: { kind: 'command', step, argv },
    });
  }
}

export type { FixContext, FixPorts } from './fixState';

/**
 * In VS Code: the preferred quick fixes of the editor's language extensions for what is left
 * (computed by the client on the saved text, plain edits of one file only), one fix per file,
 * verified by the checkers like every other fix.
 */
async function editorQuickFixes(state: FixState, applier: FixApplier): Promise<void> {
  const ask = state.ports.editorQuickFixes;
  const targets = currentErrors(state).slice(0, 500);
  if (!ask || targets.length === 0 || state.ctx.signal.aborted) return;
  progress(state, 'fixing', 'Asking the editor for its quick fixes…');
  let answer: Awaited<ReturnType<typeof ask>>;
  try {
    answer = await ask({ root: state.root, diagnostics: targets }, state.ctx.signal);
  } catch (error) {
    state.notes.push(
      `The editor's quick fixes were not available: ${(error as Error).message ?? String(error)}`,
    );
    return;
  }
  for (const fix of answer.fixes) {
    if (state.ctx.signal.aborted) return;
    const file = workspacePath(fix.file, state.root, state.root);
    const fixed = fix.diagnostics.map((i) => targets[i]).filter((d): d is Diagnostic => d?.file === file);
    if (!file || fixed.length === 0 || !applier.writable(file, fixed)) continue;
    await applier.apply({
      fixer: { kind: 'editor-quick-fix', name: fix.title.slice(0, 200) },
      targets: fixed,
      files: [file],
      write: { kind: 'content', contents: new Map([[file, fix.content]]) },
    });
  }
}
