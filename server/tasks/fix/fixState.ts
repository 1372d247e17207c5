import type { Diagnostic } from '../../../protocol/diagnostics';
import type {
  EditorQuickFixesParams,
  EditorQuickFixesResult,
  FixParams,
  FixProgressParams,
  FixRecord,
  FixResult,
  ModelChatParams,
  ModelChatResult,
} from '../../../protocol/fix';
import type { ReceiptTestCounts } from '../../../protocol/receipts';
import type { TestRunResult } from '../../../protocol/testing';
import type { PipelinePorts } from '../../exec/pipeline';
import type { OutputStream } from '../../exec/runner';
import type { Logger } from '../../taskContext';
import type { ResolvedCommand } from '../profile';
import type { RunnerAdapter } from '../test/runners/types';
import { runTests } from '../test/runTests';
import { runCheck, type CheckRun, type CheckStep, type RunContext } from './checkRuns';
import { dedupe } from './diagnostics';

/**
 * What the parts of the fix task share (fixTask.ts runs it, fixApply.ts applies and verifies one
 * fix, modelFix.ts asks a model): its ports, its state, and the check and test runs it records.
 */

export interface FixPorts {
  pipeline: PipelinePorts;
  stateDir: string;
  testAdapters: readonly RunnerAdapter[];
  /** VS Code's Language Model API through the client (`navi/modelChat`), for `provider: 'vscode-lm'`. */
  modelChat?: (params: ModelChatParams, signal: AbortSignal) => Promise<ModelChatResult>;
  /** VS Code's language extensions' preferred quick fixes through the client (`navi/editorQuickFixes`). */
  editorQuickFixes?: (params: EditorQuickFixesParams, signal: AbortSignal) => Promise<EditorQuickFixesResult>;
}

export interface FixContext {
  signal: AbortSignal;
  log: Logger;
  onOutput?: (chunk: string, stream: OutputStream) => void;
  onProgress?: (progress: FixProgressParams) => void;
}

/** The fix task's state: the checks as they stand now, the tests before, the fixes so far. */
export interface FixState {
  taskId: string;
  root: string;
  params: FixParams;
  ports: FixPorts;
  ctx: FixContext;
  run: RunContext;
  steps: CheckStep[];
  /** The latest run of each check (by step key): the state every fix is compared with. */
  current: Map<string, CheckRun>;
  checks: FixResult['checks'];
  commandIds: string[];
  notes: string[];
  /** Test results before any fix, by test id; undefined when tests are not run. */
  testsBefore?: { result: TestRunResult; byId: Map<string, string>; resolved: ResolvedCommand };
  /** Settles when the baseline tests are done (testsBefore set): no fix is written before. */
  baselineDone?: Promise<void>;
  /** Workspace-relative files or folders in scope (`params.files`), or undefined for every file. */
  scope?: Set<string>;
  unsaved: Set<string>;
  /** Why a diagnostic was left (by diagnostic key), for `remaining`. */
  reasons: Map<string, string>;
  profileSha256: string;
  startedAt: Date;
}

/** `checker\0file\0code\0message`: a diagnostic's identity across runs (its line moves when code above it changes). */
export const diagKey = (d: Diagnostic) => `${d.checker}\0${d.file}\0${d.code ?? ''}\0${d.message}`;

/** Whether a workspace-relative file is in the task's scope (a file given, or in a folder given). */
export function inScope(state: FixState, file: string): boolean {
  if (!state.scope) return true;
  for (let at = file; at !== ''; at = at.includes('/') ? at.slice(0, at.lastIndexOf('/')) : '')
    if (state.scope.has(at)) return true;
  return false;
}

/** The errors the current checks report, in scope, de-duplicated. */
export function currentErrors(state: FixState): Diagnostic[] {
  const all = [...state.current.values()].flatMap((r) => r.result.diagnostics);
  return dedupe(all.filter((d) => d.severity === 'error' && inScope(state, d.file)));
}

export function progress(
  state: FixState,
  step: FixProgressParams['step'],
  message: string,
  fix?: FixRecord,
): void {
  state.ctx.onProgress?.({
    runId: state.params.runId,
    taskId: state.taskId,
    step,
    message: message.slice(0, 4000),
    ...(fix ? { fix } : {}),
  });
}

/** Runs checks and records them in the task's list; returns the runs. */
export async function runChecks(
  state: FixState,
  steps: readonly CheckStep[],
  phase: 'baseline' | 'verify' | 'final',
): Promise<CheckRun[]> {
  const runs: CheckRun[] = [];
  for (const step of steps) {
    if (state.ctx.signal.aborted) break;
    const r = await runCheck(step, state.run);
    state.commandIds.push(r.commandId);
    state.checks.push({
      checker: step.adapter.id,
      command: step.command,
      phase,
      exitCode: r.receipt?.exitCode ?? null,
      ran: r.ran,
      complete: r.result.complete,
      diagnostics: r.result.diagnostics.length,
      ...(r.reason || r.result.reason ? { reason: (r.reason ?? r.result.reason ?? '').slice(0, 4000) } : {}),
    });
    runs.push(r);
  }
  return runs;
}

/** One run of the profile's tests through the test task (all, or those `changed` files affect). */
export async function testRun(
  state: FixState,
  resolved: ResolvedCommand,
  changed?: string[],
): Promise<TestRunResult> {
  const result = await runTests(
    {
      runId: state.params.runId,
      root: state.root,
      ...(state.params.project ? { project: state.params.project } : {}),
      trusted: state.params.trusted,
      ...(changed ? { changed, runAll: false } : {}),
      ...(state.params.autoApprove ? { autoApprove: true } : {}),
    },
    resolved,
    { pipeline: state.ports.pipeline, adapters: state.ports.testAdapters },
    { signal: state.ctx.signal, ...(state.ctx.onOutput ? { onOutput: state.ctx.onOutput } : {}) },
  );
  for (const s of result.steps) if (s.commandId) state.commandIds.push(s.commandId);
  return result;
}

export const countsOf = (r: TestRunResult): ReceiptTestCounts => ({
  passed: r.totals.passed,
  failed: r.totals.failed,
  skipped: r.totals.skipped + r.totals.todo,
});
