import { z } from 'zod';
import { GlobExpansion } from './policy';

/**
 * The approval a person gives (or refuses) before a command runs: the params of the
 * `navi/approval` request (protocol/requests.ts) and what the sidebar panel shows.
 */

/** A policy rule that decided (part of) a verdict. */
export const RuleRef = z.object({
  /** Rule id (`builtin:find-exec`, or the id from a policy file). */
  id: z.string(),
  /** Which layer it came from. */
  layer: z.enum(['builtin', 'org', 'workspace', 'user']),
  /** Why the rule exists, in the rule author's words. */
  justification: z.string(),
});
export type RuleRef = z.infer<typeof RuleRef>;

export const ApprovalParams = z.object({
  /** Unique id of this approval request. */
  approvalId: z.string().min(1).max(100),
  /** The `navi/run` request (its `runId`) that waits for this answer, when there is one. */
  runId: z.string().min(1).max(100).optional(),
  /** The command text as proposed (secrets already redacted). */
  command: z.string().max(20_000),
  /**
   * What NAVI will run when it differs from `command`: every wildcard replaced by the names NAVI
   * expanded and judged, quoted (so nothing expands again). Absent: `command` runs as it is.
   */
  runs: z.string().max(2_000_000).optional(),
  /** The wildcards behind `runs`: each pattern and the names it stands for (Verdict.expansions). */
  expansions: z.array(GlobExpansion).optional(),
  /** Working directory, absolute. */
  cwd: z.string(),
  /** Why it needs a person: one plain-language sentence per finding. */
  reasons: z.array(z.string()).min(1),
  /** The rules that asked. */
  rules: z.array(RuleRef),
  /** How much harm the command could do if it is not what it seems. */
  risk: z.enum(['low', 'medium', 'high']),
  /** Whether "Always allow this exact command in this workspace" may be offered. */
  canAlwaysAllow: z.boolean(),
  /** After this many milliseconds without an answer the agent denies the command. */
  timeoutMs: z.number().int().positive(),
});
export type ApprovalParams = z.infer<typeof ApprovalParams>;

export const ApprovalDecision = z.enum(['allowOnce', 'alwaysAllow', 'deny']);
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

export const ApprovalResult = z.object({
  decision: ApprovalDecision,
  /** Who decided, as the client knows them (the OS user today; the verified account once signed in). */
  by: z.string().min(1).max(200),
});
export type ApprovalResult = z.infer<typeof ApprovalResult>;
