import * as z from 'zod';

/**
 * The KPIs NAVI computes from its local, hash-chained audit log (`navi/metrics`, `navi metrics`,
 * the panel's Metrics card). Only events of the verified part of the chain count: from the first
 * broken link on nothing is trusted (docs/audit.md). Definitions: docs/protocol.md#navimetrics.
 */

/** The task categories, in the order every view shows them. */
export const METRIC_CATEGORIES = ['scan', 'fix', 'test', 'start', 'command'] as const;
export const MetricCategory = z.enum(METRIC_CATEGORIES);
export type MetricCategory = z.infer<typeof MetricCategory>;

/** One category's KPIs over the tasks of it the log holds. */
export const TaskCategoryMetrics = z
  .object({
    category: MetricCategory,
    /**
     * The audit log records this category. `scan` is not audited (a scan only reads files), so its
     * counts are always 0 and views say "not recorded".
     */
    recorded: z.boolean(),
    /** Tasks that finished (`task.finished`; for `command`, `command.executed` of a command no task ran). */
    count: z.number().int().nonnegative(),
    /** Tasks started (`task.started`) with no `task.finished` yet: running, or ended by a crash. */
    unfinished: z.number().int().nonnegative(),
    /**
     * How the finished ones ended. `succeeded`: test runs `passed`, app starts `ready`, fixes
     * `clean`/`fixed`, commands exit 0. `failed`: tests `failed`, starts `failed`/`exited`, fixes
     * `remaining`, commands a non-zero exit. `errored`: NAVI could not complete it — tests and fixes
     * `error`, fixes `incomplete`, commands killed, timed out or never started (exit code null).
     * `cancelled`: `cancelled`, app starts `stopped`, commands cancelled.
     */
    succeeded: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    errored: z.number().int().nonnegative(),
    cancelled: z.number().int().nonnegative(),
    /** `succeeded / count` (0..1); null when count is 0. */
    successRate: z.number().min(0).max(1).nullable(),
    /** `errored / count` (0..1); null when count is 0. */
    errorRate: z.number().min(0).max(1).nullable(),
    /** Median duration of the finished ones in ms (nearest rank); null when count is 0. */
    p50Ms: z.number().int().nonnegative().nullable(),
    /** 95th percentile duration in ms (nearest rank); null when count is 0. */
    p95Ms: z.number().int().nonnegative().nullable(),
  })
  .strict();
export type TaskCategoryMetrics = z.infer<typeof TaskCategoryMetrics>;

/**
 * How commands were decided (one decision per `commandId`). `allowed`: verdict `allow` (or
 * `command.approved` by `policy`), nobody was asked. `approved`: verdict `ask`, then
 * `command.approved` (a person, `--yes`). `denied`: verdict `deny`, or `command.denied` (a person,
 * a timeout, Restricted Mode…). A command still waiting for its answer counts in none.
 */
export const DecisionCounts = z
  .object({
    approved: z.number().int().nonnegative(),
    denied: z.number().int().nonnegative(),
    allowed: z.number().int().nonnegative(),
  })
  .strict();
export type DecisionCounts = z.infer<typeof DecisionCounts>;

export const RuleDecisionCounts = DecisionCounts.extend({
  /** A rule id of `command.verdict.ruleIds` (`builtin:…` or from a policy file). */
  ruleId: z.string().max(500),
}).strict();
export type RuleDecisionCounts = z.infer<typeof RuleDecisionCounts>;

export const CommandMetrics = DecisionCounts.extend({
  /**
   * The same counts per rule that decided (a command with several rules counts for each; one no
   * rule decided counts under `(no rule)`), most decisions first, at most 200 rules.
   */
  byRule: z.array(RuleDecisionCounts).max(200),
}).strict();
export type CommandMetrics = z.infer<typeof CommandMetrics>;

/** What the fixes came to (distinct `fixId`s). */
export const FixMetrics = z
  .object({
    /** Fixes with a `receipt.issued` whose result is `verified`. */
    verified: z.number().int().nonnegative(),
    /** Fixes with a `receipt.issued` whose result is `failed`. */
    failedVerification: z.number().int().nonnegative(),
    /** Fixes kept (`edit.kept`: verified, or a person chose Keep). */
    kept: z.number().int().nonnegative(),
    /** Fixes rolled back (`edit.rolledBack`: verification failed, or a person asked). */
    rolledBack: z.number().int().nonnegative(),
  })
  .strict();
export type FixMetrics = z.infer<typeof FixMetrics>;

/** The org upload state, as the agent knows it (`navi/auditUpload`'s `OrgUploadStatus`, in short). */
export const OrgUploadMetrics = z
  .object({
    org: z.string().optional(),
    controlPlaneUrl: z.string().optional(),
    /** Complete events in the local log not acknowledged by the control plane yet. */
    pending: z.number().int().nonnegative(),
    /** When the control plane last acknowledged a batch (ISO-8601), if ever since the agent started. */
    lastUploadAt: z.string().optional(),
    /** Why the last upload attempt failed, when it did. */
    lastError: z.string().optional(),
    /** Events the control plane refused since the agent started (skipped with a record). */
    skipped: z.number().int().nonnegative(),
  })
  .strict();
export type OrgUploadMetrics = z.infer<typeof OrgUploadMetrics>;

/**
 * Time to first win: per workspace, the panel's first opening → its first verified result (the
 * first `onboarding.firstWin` of each workspace in the log).
 */
export const FirstWinMetrics = z
  .object({
    /** Workspaces with a first win in the log. */
    workspaces: z.number().int().nonnegative(),
    /** Median of their times in ms (nearest rank); null when there is none. */
    p50Ms: z.number().int().nonnegative().nullable(),
    /** The most recent first win: its time in ms, what it was, when (ISO-8601). */
    latest: z
      .object({
        durationMs: z.number().int().nonnegative(),
        via: z.enum(['fix', 'test', 'start']),
        at: z.string(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type FirstWinMetrics = z.infer<typeof FirstWinMetrics>;

export const MetricsResult = z
  .object({
    /** The audit log read (absolute path). */
    auditLog: z.string(),
    /** Whether the file exists; false: every count is 0. */
    exists: z.boolean(),
    /** The whole chain verifies (`navi audit verify`). */
    verified: z.boolean(),
    /** Where the chain breaks (1-based line) and why; events from there on are not counted. */
    brokenAt: z
      .object({ line: z.number().int().positive(), reason: z.string().max(2000) })
      .strict()
      .optional(),
    /** Events counted (the verified ones). */
    events: z.number().int().nonnegative(),
    /** `ts` of the first and last event counted. */
    firstEventAt: z.string().optional(),
    lastEventAt: z.string().optional(),
    /** One entry per category, in `METRIC_CATEGORIES` order. */
    tasks: z.array(TaskCategoryMetrics).length(METRIC_CATEGORIES.length),
    commands: CommandMetrics,
    fixes: FixMetrics,
    /** Time to first win (`onboarding.firstWin`). */
    firstWin: FirstWinMetrics,
    /** The org upload state: only from the agent, only while signed in to an org. */
    org: OrgUploadMetrics.optional(),
  })
  .strict();
export type MetricsResult = z.infer<typeof MetricsResult>;

export const MetricsParams = z.object({}).strict();
export type MetricsParams = z.infer<typeof MetricsParams>;
