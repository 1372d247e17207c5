import * as z from 'zod';
import { CommandKind } from './scanReport';

/**
 * Project profiles, structured test results and started apps: what `navi/profile`, `navi/test`
 * and `navi/start` exchange, what `navi test --json` prints and what the panel, the diagnostics
 * and the Test Explorer show. Paths are absolute unless a field says otherwise. Documented in
 * docs/protocol.md.
 */

// ---------------------------------------------------------------------------------------------
// Project profile

export const ProfileCommand = z.object({
  /** Shell command, run in the project's directory. */
  command: z.string().min(1).max(10_000),
  /** Where it came from: the scan's evidence (`package.json#scripts.test`) or `user`. */
  source: z.string().max(300),
});
export type ProfileCommand = z.infer<typeof ProfileCommand>;

export const ProjectProfile = z.object({
  /** Project directory relative to the workspace root (`.` for the root), `/`-separated. */
  path: z.string().min(1).max(4096),
  name: z.string().max(300).optional(),
  /** `node`, `python`, `go`, `rust`, `java`, `dotnet`. */
  ecosystem: z.string().max(40),
  commands: z.partialRecord(CommandKind, ProfileCommand),
  /** After the affected tests, run the rest of the suite too (default false: only when asked). */
  runAllAfterAffected: z.boolean().optional(),
  /** Timeout of one test step, in ms (default 10 min). */
  testTimeoutMs: z
    .number()
    .int()
    .min(1_000)
    .max(24 * 3_600_000)
    .optional(),
  /** How long `start` may take to become ready, in ms (default 60 s). */
  startTimeoutMs: z.number().int().min(1_000).max(3_600_000).optional(),
});
export type ProjectProfile = z.infer<typeof ProjectProfile>;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/** A package.json script a confirmed command runs (directly or through other scripts). */
export const ApprovedScript = z.object({
  /** The package.json that holds it, relative to the workspace root, `/`-separated. */
  file: z.string().max(4096),
  /** The script's name (`test`, `pretest`, `lint:ts`). */
  name: z.string().max(300),
  /** Hex SHA-256 of the script's body (UTF-8) when the profile was confirmed. */
  sha256: Sha256Hex,
});
export type ApprovedScript = z.infer<typeof ApprovedScript>;

/**
 * One command of a confirmed profile as it was approved: confirming the profile approves exactly
 * this text and these script bodies (docs/policy.md, "A confirmed profile"). Computed by the
 * agent when it stores the profile; a client never sends it.
 */
export const ApprovedCommand = z.object({
  /** The project's `path` (relative to the root, `.` for the root). */
  project: z.string().max(4096),
  kind: CommandKind,
  /** The command text as confirmed. */
  command: z.string().max(10_000),
  /** Hex SHA-256 of the command text (UTF-8). */
  sha256: Sha256Hex,
  /** The package.json scripts it runs, transitively (with npm's `pre`/`post` scripts), in the order the judge resolves them. */
  scripts: z.array(ApprovedScript).max(200),
});
export type ApprovedCommand = z.infer<typeof ApprovedCommand>;

export const WorkspaceProfile = z.object({
  /** Absolute workspace root. */
  root: z.string(),
  /** `proposed`: from the scan, nobody confirmed it yet; `confirmed`: a person confirmed or edited it. */
  status: z.enum(['proposed', 'confirmed']),
  /** When it was confirmed (ISO-8601), for `confirmed`. */
  confirmedAt: z.string().optional(),
  projects: z.array(ProjectProfile),
  /**
   * For `confirmed`: every command of every project with the hashes of its text and of the
   * script bodies it runs, as they were at `confirmedAt`. Absent in profiles confirmed before
   * NAVI recorded it (their commands ask as before).
   */
  approved: z.array(ApprovedCommand).max(1000).optional(),
});
export type WorkspaceProfile = z.infer<typeof WorkspaceProfile>;

// ---------------------------------------------------------------------------------------------
// Test results

/** The test runners NAVI reads machine-readable results from, and `text` for the labelled fallback. */
export const TestRunnerId = z.enum([
  'node-test',
  'mocha',
  'jest',
  'vitest',
  'pytest',
  'go',
  'cargo',
  'maven',
  'gradle',
  'text',
]);
export type TestRunnerId = z.infer<typeof TestRunnerId>;

export const TestStatus = z.enum(['passed', 'failed', 'skipped', 'todo']);
export type TestStatus = z.infer<typeof TestStatus>;

export const StackFrame = z.object({
  /** Absolute path of a file inside the workspace (frames outside it are dropped). */
  file: z.string(),
  /** 1-based. */
  line: z.number().int().positive(),
  column: z.number().int().positive().optional(),
  function: z.string().max(500).optional(),
});
export type StackFrame = z.infer<typeof StackFrame>;

export const TestFailure = z.object({
  /** The assertion or error message (redacted, at most 8 KiB). */
  message: z.string(),
  /** When the runner reports them (assertion libraries with a diff). Strings as the runner printed them. */
  expected: z.string().optional(),
  actual: z.string().optional(),
  /** Stack frames mapped to workspace files, innermost first. */
  stack: z.array(StackFrame),
  /** The raw stack or failure text as the runner printed it (redacted, at most 16 KiB). */
  raw: z.string().optional(),
});
export type TestFailure = z.infer<typeof TestFailure>;

export const TestCaseResult = z.object({
  /**
   * Stable id, the same across runs: `<file relative to the workspace root>::<suite> > <name>`
   * (`::<name>` when there is no file), and `::#<occurrence>` after it for a repeated title.
   */
  id: z.string(),
  /**
   * 2 for the second test of the run with the same file and full title, 3 for the third…
   * (absent for the first): the runner ran and counted each one.
   */
  occurrence: z.number().int().min(2).optional(),
  /** Test title without its suites. */
  name: z.string(),
  /** Enclosing suites / describe blocks / classes, outermost first. */
  suite: z.array(z.string()),
  /** Absolute path of the test file, when known. */
  file: z.string().optional(),
  /** 1-based line of the test (its declaration, or for failures the failing line in the test file). */
  line: z.number().int().positive().optional(),
  status: TestStatus,
  durationMs: z.number().nonnegative().optional(),
  failure: TestFailure.optional(),
  /** Which step produced it (index into `steps`). */
  step: z.number().int().nonnegative(),
});
export type TestCaseResult = z.infer<typeof TestCaseResult>;

export const TestTotals = z.object({
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  todo: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
});
export type TestTotals = z.infer<typeof TestTotals>;

export const TestStepResult = z.object({
  /** The command as it ran (with the reporter options NAVI added). */
  command: z.string(),
  /** The command as the profile has it (a step of the test script). */
  original: z.string(),
  cwd: z.string(),
  /** `test` for a test runner; `check` for other steps of the script (`tsc`, `eslint`). */
  kind: z.enum(['test', 'check']),
  runner: TestRunnerId.optional(),
  /** `machine`: the runner's structured output; `text`: a best-effort parse of its text output. */
  parsedFrom: z.enum(['machine', 'text', 'none']),
  /** What ran: the audit command id and the pipeline's outcome. */
  commandId: z.string().optional(),
  ran: z.boolean(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable().optional(),
  durationMs: z.number().nonnegative(),
  timedOut: z.boolean(),
  cancelled: z.boolean(),
  /** This step's totals (zeros for `check` steps). */
  totals: TestTotals,
  /** `passed` (exit 0 and no failed test), `failed`, `error` (crashed, no results, timed out), `skipped`, `denied`. */
  status: z.enum(['passed', 'failed', 'error', 'skipped', 'denied']),
  /** One sentence for people ("12 passed, 1 failed", "Denied: …", "Crashed before reporting"). */
  message: z.string(),
  /** The full redacted output on disk. */
  logFile: z.string().optional(),
  /** The last lines of output, for crashes and check steps. */
  tail: z.string().optional(),
});
export type TestStepResult = z.infer<typeof TestStepResult>;

export const AffectedSelection = z.object({
  /** Changed files the selection started from (absolute). */
  changed: z.array(z.string()),
  /** Selected test files (absolute), each with the import chain that links it to a change. */
  selected: z.array(z.object({ file: z.string(), because: z.array(z.string()) })),
  /** Number of test files in the project. */
  totalTestFiles: z.number().int().nonnegative(),
  /** `import-graph` (JS/TS, Python) or `all` (no graph for this project: everything runs). */
  method: z.enum(['import-graph', 'all']),
  /** Whether the rest of the suite ran after the selected tests. */
  ranRest: z.boolean(),
});
export type AffectedSelection = z.infer<typeof AffectedSelection>;

export const TestRunResult = z.object({
  runId: z.string(),
  /** Absolute project directory. */
  project: z.string(),
  /** `passed`: every step passed; `failed`: a test or check failed; `error`: a step crashed or could not run. */
  status: z.enum(['passed', 'failed', 'error', 'cancelled']),
  /** Over all test steps. */
  totals: TestTotals,
  steps: z.array(TestStepResult),
  tests: z.array(TestCaseResult),
  affected: AffectedSelection.optional(),
  startedAt: z.string(),
});
export type TestRunResult = z.infer<typeof TestRunResult>;

// ---------------------------------------------------------------------------------------------
// Started apps

export const AppStatus = z.enum(['starting', 'ready', 'exited', 'failed', 'stopped']);
export type AppStatus = z.infer<typeof AppStatus>;

export const AppInfo = z.object({
  appId: z.string(),
  project: z.string(),
  command: z.string(),
  status: AppStatus,
  /** The URL to open, once ready. */
  url: z.string().optional(),
  /** The listening TCP port(s) seen. */
  ports: z.array(z.number().int().positive()).optional(),
  /** How readiness was seen: a URL in the output, a "listening on" line, or the port opening. */
  readyBy: z.enum(['url', 'listening-line', 'port']).optional(),
  /** Milliseconds from start to ready. */
  readyMs: z.number().nonnegative().optional(),
  exitCode: z.number().int().nullable().optional(),
  /** Why it failed or stopped, in one sentence. */
  message: z.string().optional(),
  /** Last output lines (redacted). */
  tail: z.string().optional(),
  logFile: z.string().optional(),
  commandId: z.string().optional(),
});
export type AppInfo = z.infer<typeof AppInfo>;
