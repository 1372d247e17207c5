import * as z from 'zod';
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

/** One thing NAVI adds to (or changes in) the command a person knows, and why. */
export const ApprovalAddition = z.object({
  /**
   * What kind of change: `argument` (words NAVI adds: a reporter, a report file, a test filter),
   * `program` (the program named by its path: `mocha` → `./node_modules/.bin/mocha`, because the
   * workspace is never on the sandbox's PATH), `removed` (words of the person's command NAVI
   * leaves out: a reporter of their own that NAVI's replaces, file patterns replaced by the
   * selected files), `environment` (a variable NAVI sets), `folder` (a folder outside the
   * workspace the command may write: the private report and cache folders).
   */
  kind: z.enum(['argument', 'program', 'removed', 'environment', 'folder']),
  /** The words, `NAME=value` or the folder, as they run. At most 4096 characters. */
  text: z.string().min(1).max(4096),
  /** Why NAVI adds it, one short sentence for people. */
  why: z.string().min(1).max(300),
});
export type ApprovalAddition = z.infer<typeof ApprovalAddition>;

/**
 * Where a command comes from when a NAVI task proposes it: the command the person knows (the
 * project profile's `npm test`) and what NAVI adds to run it. For display only: what is judged,
 * approved and audited is always the exact `command` (and `runs`) of the approval.
 */
export const ApprovalOrigin = z.object({
  /** The NAVI task that proposes the command. */
  task: z.enum(['test', 'start', 'fix']),
  /** The command as the person knows it: the profile's command text (`npm test`). */
  userCommand: z.string().min(1).max(20_000),
  /**
   * The step of `userCommand` this command runs, as written in the script or list it comes from
   * (`npm test` → `mocha && tsc -p .` → step 1 `mocha`), when it differs from `userCommand`:
   * `index` from 0, `count` steps in all.
   */
  step: z
    .object({
      text: z.string().min(1).max(20_000),
      index: z.number().int().nonnegative(),
      count: z.number().int().positive(),
    })
    .optional(),
  /** What NAVI adds to the step to run it (reporters, report and cache folders, filters), in order. */
  additions: z.array(ApprovalAddition).max(200),
});
export type ApprovalOrigin = z.infer<typeof ApprovalOrigin>;

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
  /**
   * When a NAVI task proposes the command: the command the person knows and what NAVI adds to
   * it. Clients show `origin.userCommand` first and the exact `command` with the additions as
   * details; the decision is always about the exact `command`.
   */
  origin: ApprovalOrigin.optional(),
});
export type ApprovalParams = z.infer<typeof ApprovalParams>;

/**
 * How people know a task's command, in one line: the profile's command, and the step of it when
 * that is not the whole command (`npm test → node --test`).
 */
export function originLabel(origin: Pick<ApprovalOrigin, 'userCommand' | 'step'>): string {
  return origin.step && origin.step.text !== origin.userCommand
    ? `${origin.userCommand} → ${origin.step.text}`
    : origin.userCommand;
}

/** How people know the command of an approval: a task's profile command, else the command itself. */
export function approvalTitle(a: Pick<ApprovalParams, 'command' | 'origin'>): string {
  return a.origin?.userCommand ?? a.command;
}

export const ApprovalDecision = z.enum(['allowOnce', 'alwaysAllow', 'deny']);
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

export const ApprovalResult = z.object({
  decision: ApprovalDecision,
  /** Who decided, as the client knows them (the OS user today; the verified account once signed in). */
  by: z.string().min(1).max(200),
});
export type ApprovalResult = z.infer<typeof ApprovalResult>;

// ---------------------------------------------------------------------------------------------
// "Always allow" entries (navi/alwaysAllowList, navi/alwaysAllowRevoke)

/** The id of an "always allow" entry: 12 lower-case hex digits, stable while the entry lives. */
export const AlwaysAllowId = z.string().regex(/^[0-9a-f]{12}$/, 'an entry id is 12 hex digits');

/** One live "always allow this exact command in this workspace" entry. */
export const AlwaysAllowEntryInfo = z.object({
  /** Its id (for `navi/alwaysAllowRevoke` and `navi allow revoke ID`). */
  id: AlwaysAllowId,
  /** The workspace folder it applies to, absolute. */
  workspaceRoot: z.string().min(1).max(4096),
  /** The exact argv it allows (never a bare program name: at least two words). */
  argv: z.array(z.string()).min(2),
  /** The argv as one shell-quoted text, for people. */
  command: z.string(),
  /**
   * How people know it, when a NAVI task proposed it (`npm test → node --test`, from the
   * approval's `origin`): shown first, the exact `command` as the detail.
   */
  label: z.string().max(1000).optional(),
  /** Who chose "Always allow". */
  by: z.string(),
  /** When it was chosen (ISO-8601 UTC). */
  createdAt: z.string(),
  /** When it stops applying (ISO-8601 UTC); expired entries are never listed. */
  expiresAt: z.string(),
});
export type AlwaysAllowEntryInfo = z.infer<typeof AlwaysAllowEntryInfo>;
