import * as z from 'zod';
import { Uuid7 } from './audit';
import {
  FixFileChange,
  FixId,
  FixProgressParams,
  FixRecord,
  FixResult,
  ReceiptSummary,
  RemainingDiagnostic,
} from './fix';

/**
 * The panel's Fixes card: messages between the extension host and the sidebar panel about fix
 * tasks (`navi/fix`), their receipts, keep and roll back. Validated on receipt on both sides like
 * the rest of the panel's messages and handled with an exhaustive switch on `kind`.
 * Both sides parse them beside HostMessage / PanelMessage (webviewMessages.ts).
 */

/** Remaining diagnostics the panel lists at most (the Problems view has them all). */
export const PANEL_MAX_REMAINING = 100;
/** Characters of one file's unified diff the panel shows; Open Diff shows the whole change. */
export const PANEL_MAX_DIFF_CHARS = 64 * 1024;

/** One file a fix changed, as the panel shows it: the diff (maybe cut), never the text before. */
export const FixChangeView = FixFileChange.omit({ beforeText: true }).extend({
  /** The diff was longer than `PANEL_MAX_DIFF_CHARS` and is cut. */
  diffCut: z.boolean(),
  /** The host has the file's text before the fix, so Open Diff can show it. */
  canOpenDiff: z.boolean(),
});
export type FixChangeView = z.infer<typeof FixChangeView>;

/** A fix as the panel shows it: the agent's `FixRecord` with its changes as `FixChangeView`s. */
export const FixView = FixRecord.extend({ changes: z.array(FixChangeView).max(10_000) });
export type FixView = z.infer<typeof FixView>;

/** What a finished fix task says besides its fixes (sent one by one as `fixRecord`). */
export const FixOutcome = FixResult.omit({ fixes: true, remaining: true }).extend({
  /** The first `PANEL_MAX_REMAINING` diagnostics left, paths relative to the workspace folder. */
  remaining: z.array(RemainingDiagnostic).max(PANEL_MAX_REMAINING),
  /** How many are left in all. */
  remainingTotal: z.number().int().nonnegative(),
});
export type FixOutcome = z.infer<typeof FixOutcome>;

/**
 * What the person did with a fix NAVI kept: `keeping` / `rollingBack` while the agent works,
 * `kept` (`navi/fixKeep`), `rolledBack` (`navi/rollback`), `failed` (the request failed; the
 * message says why and the buttons come back).
 */
export const FixDecision = z.enum(['keeping', 'kept', 'rollingBack', 'rolledBack', 'failed']);
export type FixDecision = z.infer<typeof FixDecision>;

const RunId = z.string().min(1).max(100);

/** Host → panel. */
export const FixHostMessage = z.discriminatedUnion('kind', [
  /** A fix task was sent to the agent (palette, code action or panel). `scope` is for people. */
  z.object({
    kind: z.literal('fixStarted'),
    runId: RunId,
    scope: z.string().max(300),
    startedAt: z.number(),
  }),
  /** `navi/fixProgress`: the step the task is on (without its `fix`: that comes as `fixRecord`). */
  z.object({
    kind: z.literal('fixProgress'),
    runId: RunId,
    taskId: Uuid7,
    step: FixProgressParams.shape.step,
    message: z.string().max(4000),
  }),
  /** A fix, new or updated (from `navi/fixProgress` while the task runs, then from its result). */
  z.object({ kind: z.literal('fixRecord'), runId: RunId, fix: FixView }),
  /** The task ended: its outcome, or why it could not run (`error`, `hint`); "Stopped." when stopped. */
  z.object({
    kind: z.literal('fixFinished'),
    runId: RunId,
    outcome: FixOutcome.optional(),
    error: z.string().max(4000).optional(),
    hint: z.string().max(4000).optional(),
  }),
  /** Keep or Roll back of one fix: in progress, done, or failed (`message` says what happened). */
  z.object({
    kind: z.literal('fixDecision'),
    fixId: FixId,
    decision: FixDecision,
    message: z.string().max(4000).optional(),
  }),
  /**
   * The receipts of the fixes the panel shows, checked now (`navi/receipts`): after a task, a keep
   * or a roll back, and whenever a file they cover is saved or changes on disk. Replaces the
   * panel's receipts.
   */
  z.object({ kind: z.literal('receipts'), receipts: z.array(ReceiptSummary).max(10_000) }),
]);
export type FixHostMessage = z.infer<typeof FixHostMessage>;

/** Panel → host. */
export const FixPanelMessage = z.discriminatedUnion('kind', [
  /**
   * Fix the workspace's problems (as NAVI: Fix Problems, which asks for the scope); `scope:
   * 'workspace'` fixes the whole workspace without asking (the guided flow's one click).
   */
  z.object({ kind: z.literal('fixProblems'), scope: z.enum(['workspace']).optional() }),
  /** Stop the running fix task (`$/cancelRequest`): the agent rolls back what it did not verify. */
  z.object({ kind: z.literal('cancelFix'), runId: RunId }),
  /** Open the editor's diff of one file of a fix: the text before it (read-only) against the file now. */
  z.object({ kind: z.literal('openFixDiff'), fixId: FixId, path: z.string().min(1).max(4096) }),
  /** Keep a fix (`navi/fixKeep`). */
  z.object({ kind: z.literal('keepFix'), fixId: FixId }),
  /** Roll back a fix (`navi/rollback` with its id); the host asks the person to confirm first. */
  z.object({ kind: z.literal('rollbackFix'), fixId: FixId }),
]);
export type FixPanelMessage = z.infer<typeof FixPanelMessage>;
