import * as z from 'zod';
import { AlwaysAllowEntryInfo, AlwaysAllowId, ApprovalDecision, ApprovalParams } from './approvals';
import { Effect } from './policy';
import { ScanReport, ScanSummary } from './scanReport';
import { AppInfo, ProjectProfile, TestTotals, WorkspaceProfile } from './testing';

/**
 * Messages between the extension host and the sidebar panel (webview-ui/), both ways validated on
 * receipt and handled with an exhaustive switch on `kind`. The panel holds no authority: it only
 * asks; the host decides and the agent enforces.
 */

export const AgentState = z.enum(['starting', 'running', 'stopped', 'failed']);
export type AgentState = z.infer<typeof AgentState>;

/**
 * A test run as the panel shows it: the host's bounded summary of a `TestRunResult` (at most
 * `PANEL_MAX_FAILURES` failures, messages cut to 4 KiB, the five slowest tests). Paths are
 * relative to the workspace folder, `/`-separated.
 */
export const TestRunSummary = z.object({
  status: z.enum(['passed', 'failed', 'error', 'cancelled']),
  totals: TestTotals,
  /** Each step of the test command: what ran, how it ended, one sentence, the log file. */
  steps: z.array(
    z.object({
      command: z.string(),
      kind: z.enum(['test', 'check']),
      runner: z.string().optional(),
      parsedFrom: z.enum(['machine', 'text', 'none']),
      status: z.enum(['passed', 'failed', 'error', 'skipped', 'denied']),
      message: z.string(),
      durationMs: z.number().nonnegative(),
      logFile: z.string().optional(),
      /** Last output lines, for steps that crashed or checks that failed (at most 4 KiB). */
      tail: z.string().optional(),
    }),
  ),
  /** Failed tests, in the runner's order. */
  failures: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      suite: z.array(z.string()),
      /** Where the failure is: the failing frame in the test file, else the test's line. */
      file: z.string().optional(),
      line: z.number().int().positive().optional(),
      message: z.string(),
      expected: z.string().optional(),
      actual: z.string().optional(),
    }),
  ),
  /** How many tests failed (more than `failures` holds when cut). */
  failuresTotal: z.number().int().nonnegative(),
  /** The slowest tests (at most five), slowest first. */
  slowest: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      file: z.string().optional(),
      line: z.number().int().positive().optional(),
      durationMs: z.number().nonnegative(),
    }),
  ),
});
export type TestRunSummary = z.infer<typeof TestRunSummary>;

/** What gave a workspace its first win: a verified fix, a passing test run, or an app that answered. */
export const FirstWinVia = z.enum(['fix', 'test', 'start']);
export type FirstWinVia = z.infer<typeof FirstWinVia>;

/**
 * The workspace's time to first win, as the extension host measures it: from the first time the
 * NAVI panel was opened in this workspace to its first verified result. Kept in the workspace's
 * state and written once to the audit log (`onboarding.firstWin`).
 */
export const FirstWin = z.object({
  /** Epoch ms of the first verified result. */
  at: z.number().int().nonnegative(),
  /** Milliseconds from the panel's first opening to `at`. */
  durationMs: z.number().int().nonnegative(),
  via: FirstWinVia,
});
export type FirstWin = z.infer<typeof FirstWin>;

/** Failures the panel lists at most (the Problems view and the Test Explorer have them all). */
export const PANEL_MAX_FAILURES = 50;

/** Host → panel. */
export const HostMessage = z.discriminatedUnion('kind', [
  /** First message after the panel says `ready`: what the panel needs to render its empty state. */
  z.object({
    kind: z.literal('init'),
    version: z.string(),
    /** Workspace Trust: false in Restricted Mode (scan still works; running code will not). */
    trusted: z.boolean(),
    /** Name of the folder that will be scanned, or null when no folder is open. */
    folder: z.string().nullable(),
    agent: AgentState,
  }),
  /** The agent process changed state (crash, restart, gave up). */
  z.object({ kind: z.literal('agentState'), state: AgentState, message: z.string().optional() }),
  /** Workspace Trust changed. */
  z.object({ kind: z.literal('trust'), trusted: z.boolean() }),
  /** A scan began (from the palette, the panel or scan-on-open). */
  z.object({ kind: z.literal('scanStarted'), scanId: z.string(), root: z.string() }),
  /** Work-done progress of the running scan. */
  z.object({
    kind: z.literal('scanProgress'),
    scanId: z.string(),
    message: z.string(),
    percentage: z.number().min(0).max(100).optional(),
  }),
  /** Inventory, projects and CI, before the risk checks finish. */
  z.object({ kind: z.literal('scanSummary'), scanId: z.string(), summary: ScanSummary }),
  /** The full report. */
  z.object({ kind: z.literal('scanReport'), scanId: z.string(), report: ScanReport }),
  /** The scan failed: what happened and what to do. */
  z.object({
    kind: z.literal('scanFailed'),
    scanId: z.string(),
    message: z.string(),
    hint: z.string().optional(),
  }),
  /** The user cancelled the scan. */
  z.object({ kind: z.literal('scanCancelled'), scanId: z.string() }),
  /** A command waits for the user's decision; `expiresAt` (epoch ms) is when it is denied by timeout. */
  z.object({
    kind: z.literal('approvalRequested'),
    approval: ApprovalParams.extend({ expiresAt: z.number() }),
  }),
  /**
   * Give the keyboard focus to a pending approval's card (`approvalId`, else the oldest): sent by
   * _NAVI: Show Pending Approvals_ (the status bar item) after it revealed the panel.
   */
  z.object({ kind: z.literal('focusApproval'), approvalId: z.string().optional() }),
  /**
   * The workspace's "always allow" entries (`navi/alwaysAllowList`), after the panel asked, after
   * every change (`navi/alwaysAllowChanged`) and agent start; `error` when they could not be listed
   * or revoked.
   */
  z.object({
    kind: z.literal('alwaysAllowEntries'),
    entries: z.array(AlwaysAllowEntryInfo),
    error: z.string().optional(),
  }),
  /** Whether commands run in the OS sandbox here (after every agent start). */
  z.object({
    kind: z.literal('sandbox'),
    available: z.boolean(),
    /** Why not, and what to install. */
    reason: z.string().optional(),
  }),
  /** A command was sent to the agent (from the palette, the panel or a task). */
  z.object({
    kind: z.literal('runStarted'),
    runId: z.string(),
    command: z.string(),
    cwd: z.string(),
    /** Epoch ms. */
    startedAt: z.number(),
  }),
  /**
   * The latest output of a running command: the last `RUN_TAIL_CHARS` characters (already
   * redacted by the agent) and the total size so far. Sent at most every 150 ms per command,
   * replacing what the panel shows, so a command printing 100 MB never floods the panel.
   */
  z.object({
    kind: z.literal('runOutput'),
    runId: z.string(),
    tail: z.string(),
    /** Characters received so far. */
    total: z.number().int().nonnegative(),
  }),
  /** The command finished, was denied or failed to start. */
  z.object({
    kind: z.literal('runFinished'),
    runId: z.string(),
    /** The policy's verdict, when the agent judged it. */
    verdict: Effect.optional(),
    ran: z.boolean(),
    /** One sentence: "Ran in the sandbox: exit 0.", "Not run: denied by ana." */
    message: z.string(),
    exitCode: z.number().int().nullable().optional(),
    /** True when it ran and exited 0. */
    ok: z.boolean(),
    /** The full redacted output on disk, when it ran. */
    logFile: z.string().optional(),
  }),
  /** An approval was answered (here, in a notification, by timeout, or because the agent restarted). */
  z.object({
    kind: z.literal('approvalResolved'),
    approvalId: z.string(),
    decision: ApprovalDecision,
    /** Who or what decided: the user's name, `timeout`, `agent-restart`, `restricted-mode`. */
    by: z.string(),
  }),
  /**
   * The workspace's project profile (after a scan, a save, or when a test run or app start needs
   * it); `profile` null while loading or when it could not be loaded (`error` says why). `edit`
   * asks the panel to open the profile card for editing (NAVI: Confirm Project Profile…).
   */
  z.object({
    kind: z.literal('profile'),
    profile: WorkspaceProfile.nullable(),
    loading: z.boolean().optional(),
    error: z.string().optional(),
    edit: z.boolean().optional(),
  }),
  /** A test run was sent to the agent (palette, panel or Test Explorer). */
  z.object({
    kind: z.literal('testStarted'),
    runId: z.string(),
    /** Project directory relative to the workspace folder, when one was picked. */
    project: z.string().optional(),
    /** What runs, for people: "all tests", "2 files", "1 test". */
    scope: z.string(),
    /** Epoch ms. */
    startedAt: z.number(),
  }),
  /** `navi/testProgress` of the running test run, plus the latest output line seen. */
  z.object({
    kind: z.literal('testProgress'),
    runId: z.string(),
    step: z.number().int().nonnegative(),
    steps: z.number().int().positive(),
    command: z.string(),
    phase: z.enum(['starting', 'approval', 'running']).optional(),
    elapsedMs: z.number().nonnegative(),
    lastLine: z.string().max(300),
    done: z.number().int().nonnegative().optional(),
  }),
  /** The test run ended: its summary, or why it could not run (`error`, with `hint`). */
  z.object({
    kind: z.literal('testFinished'),
    runId: z.string(),
    summary: TestRunSummary.optional(),
    error: z.string().optional(),
    hint: z.string().optional(),
  }),
  /**
   * The guided first win of this workspace (after `ready` and when it changes): when the panel was
   * first opened here (epoch ms) and, once there is one, the first verified result.
   */
  z.object({
    kind: z.literal('onboarding'),
    openedAt: z.number().int().nonnegative(),
    firstWin: FirstWin.optional(),
  }),
  /** A started app changed state (starting, ready with its URL, exited, failed, stopped). */
  z.object({
    kind: z.literal('appState'),
    app: AppInfo,
    /** Project directory relative to the workspace folder. */
    project: z.string(),
    /** Epoch ms when NAVI was asked to start it. */
    startedAt: z.number(),
  }),
]);
export type HostMessage = z.infer<typeof HostMessage>;

/** Panel → host. */
export const PanelMessage = z.discriminatedUnion('kind', [
  /** The panel's script loaded; the host posts nothing before this. */
  z.object({ kind: z.literal('ready') }),
  /** Start a scan of the workspace folder (same as NAVI: Scan Repository). */
  z.object({ kind: z.literal('scan') }),
  /** Cancel the running scan. */
  z.object({ kind: z.literal('cancelScan') }),
  /**
   * Open a file of the last report at a line. `path` is relative to the report's root; the host
   * refuses anything that resolves outside it.
   */
  z.object({
    kind: z.literal('openFile'),
    path: z.string().min(1).max(4096),
    line: z.number().int().positive().optional(),
  }),
  /** Open the NAVI log channel. */
  z.object({ kind: z.literal('showLog') }),
  /** Open the Workspace Trust editor. */
  z.object({ kind: z.literal('manageTrust') }),
  /** Ask for a command to run (the host shows an input box, like NAVI: Run Command…). */
  z.object({ kind: z.literal('runCommand') }),
  /** Stop a running command (the agent stops its whole process group). */
  z.object({ kind: z.literal('cancelRun'), runId: z.string().min(1).max(100) }),
  /** The user's answer to a pending approval. */
  z.object({
    kind: z.literal('decideApproval'),
    approvalId: z.string().min(1).max(100),
    decision: ApprovalDecision,
  }),
  /** List the workspace's "always allow" entries (the host answers with `alwaysAllowEntries`). */
  z.object({ kind: z.literal('loadAlwaysAllow') }),
  /** Revoke one "always allow" entry of the workspace (`navi/alwaysAllowRevoke`; audited). */
  z.object({ kind: z.literal('revokeAlwaysAllow'), id: AlwaysAllowId }),
  /** Load the project profile (proposed from a scan unless confirmed) and show it. */
  z.object({ kind: z.literal('loadProfile') }),
  /** Confirm the profile as edited in the panel (the host sends `navi/profileSave`). */
  z.object({ kind: z.literal('saveProfile'), projects: z.array(ProjectProfile).max(200) }),
  /** Run the profile's tests (same as NAVI: Run Tests), of one project when given. */
  z.object({ kind: z.literal('runTests'), project: z.string().max(4096).optional() }),
  /** Stop a running test run (the agent stops the running step's process tree). */
  z.object({ kind: z.literal('cancelTests'), runId: z.string().min(1).max(100) }),
  /**
   * Open a file at a line (a test failure, a slow test). `path` is relative to the workspace
   * folder; the host refuses anything that resolves outside it.
   */
  z.object({
    kind: z.literal('openLocation'),
    path: z.string().min(1).max(4096),
    line: z.number().int().positive().optional(),
  }),
  /** Start the profile's app (same as NAVI: Start App), of one project when given. */
  z.object({ kind: z.literal('startApp'), project: z.string().max(4096).optional() }),
  /** Stop a started app (its whole process tree). */
  z.object({ kind: z.literal('stopApp'), appId: z.string().min(1).max(100) }),
  /**
   * What else NAVI can do, from the guided flow: `walkthrough` opens the NAVI walkthrough,
   * `model` the `navi.model` settings, `signIn` runs NAVI: Sign In.
   */
  z.object({ kind: z.literal('learnMore'), topic: z.enum(['walkthrough', 'model', 'signIn']) }),
  /** Show the apps' live output (the "NAVI App" output channel). */
  z.object({ kind: z.literal('showAppOutput') }),
  /** Open a ready app's URL in the default browser or in VS Code's Simple Browser. */
  z.object({
    kind: z.literal('openApp'),
    appId: z.string().min(1).max(100),
    where: z.enum(['browser', 'simpleBrowser']),
  }),
]);
export type PanelMessage = z.infer<typeof PanelMessage>;

/** How much of a command's latest output the panel shows (characters). */
export const RUN_TAIL_CHARS = 32 * 1024;
