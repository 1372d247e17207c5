import * as z from 'zod';
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import {
  AlwaysAllowEntryInfo,
  AlwaysAllowId,
  ApprovalDecision,
  ApprovalParams,
  ApprovalResult,
} from './approvals';
import { Verdict } from './policy';
import { ScanReport, ScanSummary } from './scanReport';
import {
  EditorQuickFixesParams,
  EditorQuickFixesResult,
  FixKeepParams,
  FixKeepResult,
  FixParams,
  FixProgressParams,
  FixResult,
  ModelChatParams,
  ModelChatResult,
  ReceiptVerifyParams,
  ReceiptVerifyResult,
  ReceiptsParams,
  ReceiptsResult,
  RollbackParams,
  RollbackResult,
} from './fix';
import { AppInfo, ProjectProfile, TestRunResult, WorkspaceProfile } from './testing';
import { MetricsParams, MetricsResult } from './metrics';

/**
 * Every `navi/*` message between the extension (or CLI) and the agent process, declared once:
 * method, direction, params and result schemas, and the JSON-RPC type both sides use.
 * Both sides validate what they receive with these schemas.
 */

/** Who sends a message. */
export type Direction = 'clientToServer' | 'serverToClient';

/** LSP work-done progress token, chosen by the client (`$/progress` notifications carry it). */
const ProgressToken = z.union([z.number().int(), z.string()]);

export interface RequestDef<P extends z.ZodType, R extends z.ZodType> {
  method: string;
  direction: Direction;
  params: P;
  result: R;
  type: RequestType<z.infer<P>, z.infer<R>, unknown>;
}

export interface NotificationDef<P extends z.ZodType> {
  method: string;
  direction: Direction;
  params: P;
  type: NotificationType<z.infer<P>>;
}

function request<P extends z.ZodType, R extends z.ZodType>(
  method: string,
  direction: Direction,
  params: P,
  result: R,
): RequestDef<P, R> {
  return { method, direction, params, result, type: new RequestType(method) };
}

function notification<P extends z.ZodType>(
  method: string,
  direction: Direction,
  params: P,
): NotificationDef<P> {
  return { method, direction, params, type: new NotificationType(method) };
}

// ---------------------------------------------------------------------------------------------
// navi/agentInfo

export const AgentInfoParams = z.object({}).strict();
export const AgentInfoResult = z.object({
  /** NAVI version of the agent (package.json version). */
  version: z.string(),
  /** Operating-system process id of the agent. */
  pid: z.number().int(),
  /** Node.js version the agent runs on. */
  node: z.string(),
  /** Names of the tasks this agent serves (`scan`, …). */
  tasks: z.array(z.string()),
  /** The OS sandbox commands run in: available (bubblewrap works here) or why not. */
  sandbox: z.object({ available: z.boolean(), reason: z.string().optional() }),
  /** The audit log this agent appends to. */
  auditLog: z.string(),
  /**
   * How the agent's bundle was compiled at start (cli/launch.ts): from V8's code cache (`used`,
   * `node`: Node's own compile cache), compiled and cached at exit (`written`), cache refused by
   * V8 (`refused`), no private cache folder (`off`), or started without the launcher (`none`).
   */
  codeCache: z.enum(['used', 'written', 'refused', 'off', 'node', 'none']).optional(),
});
export type AgentInfoResult = z.infer<typeof AgentInfoResult>;

/**
 * Client → server. Asks who the agent is. Sent by the extension after start (shown in the log and
 * used by tests to see a restarted process) and by `navi --version`. Never fails.
 */
export const agentInfo = request('navi/agentInfo', 'clientToServer', AgentInfoParams, AgentInfoResult);

// ---------------------------------------------------------------------------------------------
// navi/scan

export const ScanParams = z
  .object({
    /** Absolute path of the directory to scan. */
    root: z.string().min(1).max(4096),
    /** Id the client picks so it can match `navi/scanSummary` notifications to this request. */
    scanId: z.string().min(1).max(100),
    /** Files larger than this are reported as a `large-file` risk and not searched. Default 5 MB. */
    maxFileBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 ** 3)
      .optional(),
    /** LSP work-done progress token; when present the agent reports progress on it. */
    workDoneToken: ProgressToken.optional(),
  })
  .strict();
export type ScanParams = z.infer<typeof ScanParams>;

/**
 * Client → server. Scans a repository read-only: inventory, projects and their commands, CI,
 * risks, next steps. Long-running: reports work-done progress when given a token, sends
 * `navi/scanSummary` as soon as the inventory and projects are known, and stops promptly when the
 * request is cancelled (error -32800). Errors: -32602 bad params, 41001 root not found,
 * 41002 root not a directory, 41003 root unreadable.
 */
export const scan = request('navi/scan', 'clientToServer', ScanParams, ScanReport);

export const ScanSummaryParams = z.object({
  /** The `scanId` of the `navi/scan` request this belongs to. */
  scanId: z.string(),
  summary: ScanSummary,
});
export type ScanSummaryParams = z.infer<typeof ScanSummaryParams>;

/**
 * Server → client. The first part of a scan (inventory, projects, CI), sent once per scan before
 * the content-based risk checks finish, so the UI can render something within half a second.
 */
export const scanSummary = notification('navi/scanSummary', 'serverToClient', ScanSummaryParams);

// ---------------------------------------------------------------------------------------------
// navi/approval

/**
 * Server → client. A command needs a person's approval before it runs. VS Code shows it in the
 * sidebar (with a notification when the panel is hidden); the CLI prompts on a TTY. The agent
 * treats an error, a malformed answer or no answer within `timeoutMs` as `deny`.
 */
export const approval = request('navi/approval', 'serverToClient', ApprovalParams, ApprovalResult);

// ---------------------------------------------------------------------------------------------
// navi/alwaysAllowList, navi/alwaysAllowRevoke, navi/alwaysAllowChanged

export const AlwaysAllowListParams = z
  .object({
    /** The workspace folder whose entries to list, absolute (as the client sends it in `navi/run`). */
    workspaceRoot: z.string().min(1).max(4096),
  })
  .strict();
export type AlwaysAllowListParams = z.infer<typeof AlwaysAllowListParams>;

export const AlwaysAllowListResult = z.object({
  workspaceRoot: z.string(),
  /** The live entries of the workspace, oldest first (expired ones are never listed). */
  entries: z.array(AlwaysAllowEntryInfo),
  /** The store file they are kept in (`<stateDir>/always-allow.json`). */
  file: z.string(),
});
export type AlwaysAllowListResult = z.infer<typeof AlwaysAllowListResult>;

/**
 * Client → server. The "always allow" entries of a workspace: what runs there without asking
 * because a person chose _Always allow_. Used by the panel's _Always allowed here_ section and
 * `navi allow list`. Works in Restricted Mode too (it only reads). Errors: -32602.
 */
export const alwaysAllowList = request(
  'navi/alwaysAllowList',
  'clientToServer',
  AlwaysAllowListParams,
  AlwaysAllowListResult,
);

export const AlwaysAllowRevokeParams = z
  .object({
    /** The workspace folder whose entries to revoke, absolute. */
    workspaceRoot: z.string().min(1).max(4096),
    /** The entries to revoke (ids from `navi/alwaysAllowList`). Give this or `all`. */
    ids: z.array(AlwaysAllowId).min(1).max(1000).optional(),
    /** Revoke every live entry of the workspace. */
    all: z.literal(true).optional(),
    /** Who revokes them (the OS user, as for an approval): recorded in the audit event. */
    by: z.string().min(1).max(200),
  })
  .strict()
  .refine((p) => (p.ids === undefined) !== (p.all === undefined), {
    message: 'give exactly one of ids or all',
  });
export type AlwaysAllowRevokeParams = z.infer<typeof AlwaysAllowRevokeParams>;

export const AlwaysAllowRevokeResult = z.object({
  /** The entries revoked, each recorded as an `alwaysAllow.revoked` audit event first. */
  revoked: z.array(AlwaysAllowEntryInfo),
  /** Ids asked for that are not live entries of the workspace (already revoked, expired, unknown). */
  notFound: z.array(z.string()),
});
export type AlwaysAllowRevokeResult = z.infer<typeof AlwaysAllowRevokeResult>;

/**
 * Client → server. Revokes "always allow" entries of a workspace: the commands ask again. Each
 * revocation is written to the audit log (`alwaysAllow.revoked`) before the entry is removed; if
 * the log cannot record, nothing is removed (41006). Works in Restricted Mode too (revoking
 * loosens nothing). Errors: -32602, 41006.
 */
export const alwaysAllowRevoke = request(
  'navi/alwaysAllowRevoke',
  'clientToServer',
  AlwaysAllowRevokeParams,
  AlwaysAllowRevokeResult,
);

export const AlwaysAllowChangedParams = z.object({
  /** The workspace whose entries changed. */
  workspaceRoot: z.string(),
  /** `added` (someone chose _Always allow_) or `revoked`. */
  change: z.enum(['added', 'revoked']),
});
export type AlwaysAllowChangedParams = z.infer<typeof AlwaysAllowChangedParams>;

/**
 * Server → client. The "always allow" entries of a workspace changed (an approval answered
 * _Always allow_, or a revocation, from this client or another): the panel lists them again.
 */
export const alwaysAllowChanged = notification(
  'navi/alwaysAllowChanged',
  'serverToClient',
  AlwaysAllowChangedParams,
);

// ---------------------------------------------------------------------------------------------
// Agent start-up options (LSP `initializationOptions`)

export const InitializationOptions = z
  .object({
    /** Who started the agent; recorded in the audit log's session.started event. */
    client: z.enum(['extension', 'cli']),
    /** Folder for state (always-allow entries, command logs). Default: $XDG_STATE_HOME/navi. */
    stateDir: z.string().optional(),
    /** The audit log file. Default: `<stateDir>/audit.ndjson`. */
    auditLog: z.string().optional(),
    /** How long an approval may wait before it counts as `deny` (ms, 5 s..1 h). Default 5 min. */
    approvalTimeoutMs: z.number().int().min(5_000).max(3_600_000).optional(),
  })
  .strict();
export type InitializationOptions = z.infer<typeof InitializationOptions>;

// ---------------------------------------------------------------------------------------------
// navi/check

const AbsolutePath = z.string().min(1).max(4096);

export const CheckParams = z
  .object({
    /** Command text to judge (bash), as a model or a person proposed it. */
    command: z.string().max(100_000).optional(),
    /** Or: a path the agent wants to write, absolute or relative to `cwd`. */
    editPath: z.string().min(1).max(4096).optional(),
    /** Working directory, absolute. */
    cwd: AbsolutePath,
    /** The workspace the command runs in (writes outside it are denied), absolute. */
    workspaceRoot: AbsolutePath,
    /** VS Code Workspace Trust (the CLI passes true). Untrusted: nothing runs and workspace policy is ignored. */
    trusted: z.boolean(),
  })
  .strict()
  .refine((p) => (p.command === undefined) !== (p.editPath === undefined), {
    message: 'give exactly one of command or editPath',
  });
export type CheckParams = z.infer<typeof CheckParams>;

/**
 * Client → server. Judges a command text or an edit path without running anything: the verdict,
 * the plain-language reasons and the rules that decided. Errors: -32602 bad params; 41005 an
 * invalid policy file (the message names the file, the rule and the failing example).
 */
export const check = request('navi/check', 'clientToServer', CheckParams, Verdict);

// ---------------------------------------------------------------------------------------------
// navi/run

export const RunParams = z
  .object({
    /** Id the client picks, to match `navi/commandOutput` notifications. */
    runId: z.string().min(1).max(100),
    command: z.string().min(1).max(100_000),
    cwd: AbsolutePath,
    workspaceRoot: AbsolutePath,
    trusted: z.boolean(),
    /** Who proposed the command: the person at the keyboard, or a NAVI task. */
    proposer: z.enum(['user', 'agent', 'task']),
    /** Stop the command (whole process group) after this long. Default 10 minutes. */
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(24 * 3_600_000)
      .optional(),
    /** CLI `--yes`: approve an `ask` verdict without a prompt (recorded as `cli-yes`); never a `deny`. */
    autoApprove: z.boolean().optional(),
    workDoneToken: z.union([z.number().int(), z.string()]).optional(),
  })
  .strict();
export type RunParams = z.infer<typeof RunParams>;

export const RunResultSummary = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  durationMs: z.number().nonnegative(),
  timedOut: z.boolean(),
  cancelled: z.boolean(),
  /** Whether it ran inside the OS sandbox. */
  sandboxed: z.boolean(),
  /** Redacted output: the first and last 64 KiB, the total size and the SHA-256 of the full log. */
  output: z.object({
    head: z.string(),
    tail: z.string(),
    bytes: z.number().int().nonnegative(),
    truncated: z.boolean(),
    sha256: z.string(),
  }),
  /** The full redacted output on disk. */
  logFile: z.string(),
});
export type RunResultSummary = z.infer<typeof RunResultSummary>;

export const RunOutcome = z.object({
  runId: z.string(),
  /** The audit log's id for this command (links its events). */
  commandId: z.string(),
  verdict: Verdict,
  /** For an `ask` verdict: what was decided and by whom. */
  decision: z.object({ decision: ApprovalDecision, by: z.string() }).optional(),
  /** Whether the command ran. */
  ran: z.boolean(),
  result: RunResultSummary.optional(),
  /** One sentence for people: "Ran in the sandbox: exit 0", "Denied: …". */
  message: z.string(),
});
export type RunOutcome = z.infer<typeof RunOutcome>;

/**
 * Client → server. Runs a command through the whole pipeline: parse → policy → approval
 * (`navi/approval` to the client when the verdict is `ask`) → sandbox → run, with every step in
 * the audit log before it happens. Streams output as `navi/commandOutput`. Cancel with
 * `$/cancelRequest`: the whole process group is stopped and the outcome says `cancelled`.
 * Errors: -32602, 41004 (Restricted Mode), 41005 (invalid policy file), 41006 (audit log
 * unusable: nothing runs without a record).
 */
export const run = request('navi/run', 'clientToServer', RunParams, RunOutcome);

export const CommandOutputParams = z.object({
  runId: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  /** Redacted text, in whole lines where possible. */
  chunk: z.string(),
});
export type CommandOutputParams = z.infer<typeof CommandOutputParams>;

/** Server → client. Output of a running `navi/run` command, as it arrives (already redacted). */
export const commandOutput = notification('navi/commandOutput', 'serverToClient', CommandOutputParams);

// ---------------------------------------------------------------------------------------------
// navi/auditExport

export const AuditExportParams = z
  .object({
    /** `json` (one array), `ndjson` (one event per line, as stored) or `csv` (RFC 4180, formula-safe). */
    format: z.enum(['json', 'ndjson', 'csv']),
    /** Only events at or after this instant (ISO-8601 with an offset or `Z`). */
    since: z.iso.datetime({ offset: true }).optional(),
    /** The file to write (absolute; created or replaced, mode 0600). */
    output: AbsolutePath,
  })
  .strict();
export type AuditExportParams = z.infer<typeof AuditExportParams>;

export const AuditExportResult = z.object({
  /** The file written. */
  file: z.string(),
  /** Its size in bytes. */
  bytes: z.number().int().nonnegative(),
  /** The audit log it was exported from. */
  auditLog: z.string(),
});
export type AuditExportResult = z.infer<typeof AuditExportResult>;

/**
 * Client → server. Exports this agent's audit log (the one `navi/agentInfo` names) to a file,
 * streamed, without verifying it (`navi audit verify` does). Errors: -32602; 41001 when there is
 * no audit log yet; 41003 when the output cannot be written.
 */
export const auditExport = request(
  'navi/auditExport',
  'clientToServer',
  AuditExportParams,
  AuditExportResult,
);

// ---------------------------------------------------------------------------------------------
// navi/metrics (schemas in ./metrics.ts)

/**
 * Client → server. The KPIs computed from this agent's audit log (the one `navi/agentInfo` names):
 * tasks by category, command decisions by rule, fixes verified / rolled back, and the org upload
 * state while signed in. Only the verified part of the hash chain counts. Errors: -32602.
 */
export const metrics = request('navi/metrics', 'clientToServer', MetricsParams, MetricsResult);

// ---------------------------------------------------------------------------------------------
// navi/firstWin

export const FirstWinParams = z
  .object({
    /** Absolute workspace root. */
    root: z.string().min(1).max(4096),
    /** When the NAVI panel was first opened in the workspace (ISO-8601 UTC, ms). */
    panelOpenedAt: z.iso.datetime({ precision: 3 }),
    /** When the first verified result came (ISO-8601 UTC, ms). */
    at: z.iso.datetime({ precision: 3 }),
    /** Milliseconds from `panelOpenedAt` to `at`. */
    durationMs: z.number().int().nonnegative(),
    /** `fix` (a fix verified), `test` (the tests passed), `start` (the app answered). */
    via: z.enum(['fix', 'test', 'start']),
  })
  .strict();
export type FirstWinParams = z.infer<typeof FirstWinParams>;

export const FirstWinResult = z.object({ recorded: z.literal(true) });

/**
 * Client → server. The workspace's time to first win, measured by the extension (the panel's
 * first opening → the first verified result), once per workspace: written to the audit log as
 * `onboarding.firstWin`, the time to first win KPI of `navi/metrics`. Errors: -32602; the audit
 * log's error when it cannot be written.
 */
export const firstWin = request('navi/firstWin', 'clientToServer', FirstWinParams, FirstWinResult);

// ---------------------------------------------------------------------------------------------
// navi/profile, navi/profileSave

export const ProfileParams = z
  .object({
    /** Absolute workspace root. */
    root: AbsolutePath,
  })
  .strict();
export type ProfileParams = z.infer<typeof ProfileParams>;

/**
 * Client → server. The workspace's project profile (install, build, lint, typecheck, test, start
 * per project): the confirmed one when a person confirmed it (stored per workspace in the agent's
 * state folder, never in the repository), else the one proposed from a fresh scan. Errors:
 * -32602, 41001/41002/41003 as for navi/scan.
 */
export const profile = request('navi/profile', 'clientToServer', ProfileParams, WorkspaceProfile);

export const ProfileSaveParams = z
  .object({
    root: AbsolutePath,
    /** The projects as the person confirmed or edited them. */
    projects: z.array(ProjectProfile).max(200),
  })
  .strict();
export type ProfileSaveParams = z.infer<typeof ProfileSaveParams>;

/** Client → server. Confirms (and stores) the profile; returns it with status `confirmed`. */
export const profileSave = request('navi/profileSave', 'clientToServer', ProfileSaveParams, WorkspaceProfile);

// ---------------------------------------------------------------------------------------------
// navi/test

export const TestParams = z
  .object({
    /** Id the client picks: `navi/testProgress` and `navi/commandOutput` carry it. */
    runId: z.string().min(1).max(100),
    /** Absolute workspace root. */
    root: AbsolutePath,
    /** Project directory relative to root (default: the first project with a test command). */
    project: z.string().max(4096).optional(),
    trusted: z.boolean(),
    /** Run only these test files (absolute or relative to the project). */
    files: z.array(z.string().min(1).max(4096)).max(10_000).optional(),
    /** Run only the tests with these ids (`TestCaseResult.id`). */
    testIds: z.array(z.string().min(1).max(10_000)).max(10_000).optional(),
    /** Changed files: run the tests they can affect first (import graph), then the rest if `runAll`. */
    changed: z.array(z.string().min(1).max(4096)).max(10_000).optional(),
    /** With `changed`: also run the rest of the suite afterwards (default: the profile's setting). */
    runAll: z.boolean().optional(),
    /** Timeout of each step, ms (default: the profile's, else 10 minutes). */
    timeoutMs: z
      .number()
      .int()
      .min(1_000)
      .max(24 * 3_600_000)
      .optional(),
    /** CLI `--yes`: approve `ask` verdicts without a prompt (recorded as `cli-yes`). */
    autoApprove: z.boolean().optional(),
    workDoneToken: ProgressToken.optional(),
  })
  .strict();
export type TestParams = z.infer<typeof TestParams>;

/**
 * Client → server. Runs the profile's test command through the command pipeline, step by step
 * (a script that chains steps is split), with each runner's machine-readable reporter, and returns
 * the structured result. Cancel with `$/cancelRequest` (the running step's process tree is
 * stopped). Errors: -32602, 41004 (Restricted Mode), 41007 (no test command in the profile).
 */
export const test = request('navi/test', 'clientToServer', TestParams, TestRunResult);

export const TestProgressParams = z.object({
  runId: z.string(),
  /** Index of the step running now, and how many there are. */
  step: z.number().int().nonnegative(),
  steps: z.number().int().positive(),
  /** The step's command as it runs. */
  command: z.string(),
  /**
   * `starting` (being judged, prepared), `approval` (waiting for a person to approve it) or
   * `running` (its process has started). Absent: `running`.
   */
  phase: z.enum(['starting', 'approval', 'running']).optional(),
  /** Milliseconds since the step's process started: 0 before, never the time it waited for approval. */
  elapsedMs: z.number().nonnegative(),
  /** The last non-empty output line (redacted, at most 300 characters). */
  lastLine: z.string().max(300),
  /** Tests finished so far in this run, when the runner streams them. */
  done: z.number().int().nonnegative().optional(),
});
export type TestProgressParams = z.infer<typeof TestProgressParams>;

/** Server → client. About once a second while a test step runs, and at each step start. */
export const testProgress = notification('navi/testProgress', 'serverToClient', TestProgressParams);

// ---------------------------------------------------------------------------------------------
// navi/start, navi/stopApp, navi/appStatus

export const StartParams = z
  .object({
    /** Id the client picks; `navi/commandOutput` and `navi/appStatus` carry it. */
    appId: z.string().min(1).max(100),
    root: AbsolutePath,
    /** Project directory relative to root (default: the first project with a start command). */
    project: z.string().max(4096).optional(),
    trusted: z.boolean(),
    /** How long it may take to become ready, ms (default: the profile's, else 60 s). */
    readyTimeoutMs: z.number().int().min(1_000).max(3_600_000).optional(),
    autoApprove: z.boolean().optional(),
  })
  .strict();
export type StartParams = z.infer<typeof StartParams>;

/**
 * Client → server. Starts the profile's start command through the pipeline (with the host's
 * network, so its port can be reached) and answers once it is ready (a URL or "listening on" line
 * in its output, or a port it opened) or has failed (exited, denied, not ready within the
 * timeout: the app is stopped and the result has its last output lines). The app keeps running
 * until `navi/stopApp`, the agent exits, or the client disconnects. Errors: -32602, 41004, 41007.
 */
export const start = request('navi/start', 'clientToServer', StartParams, AppInfo);

export const StopAppParams = z.object({ appId: z.string().min(1).max(100) }).strict();
export type StopAppParams = z.infer<typeof StopAppParams>;

/** Client → server. Stops a started app (its whole process tree). Errors: -32602, 41008 (no such app). */
export const stopApp = request('navi/stopApp', 'clientToServer', StopAppParams, AppInfo);

/** Server → client. A started app changed state (ready, exited by itself, stopped). */
export const appStatus = notification('navi/appStatus', 'serverToClient', AppInfo);

// ---------------------------------------------------------------------------------------------
// navi/orgSession, navi/orgToken, navi/auditUpload (org sign-in: upload and org policy)

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The control plane's base URL: https, or http on a loopback address only (tokens never go in the clear). */
export const ControlPlaneUrl = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine((s) => {
    const u = new URL(s);
    return u.protocol === 'https:' || LOOPBACK_HOSTS.has(u.hostname);
  }, 'the control plane URL must be https:// (http:// only on 127.0.0.1, localhost or [::1])');

export const OrgSessionParams = z.union([
  z
    .object({
      /** Base URL of the org's control plane (`navi.controlPlane.url`; the CLI: flag, env or config). */
      controlPlaneUrl: ControlPlaneUrl,
      /** Bearer access token for the control plane. Never logged or stored by the agent. */
      accessToken: z.string().min(1).max(20_000),
      /** When the access token expires, ms since the epoch (the agent asks for a new one before). */
      expiresAt: z.number().int().nonnegative().optional(),
      /** The org the client believes it signed in to (display and state keys only; the control plane decides). */
      org: z.string().min(1).max(200),
      /** Who signed in (display only). */
      user: z.string().min(1).max(500),
    })
    .strict(),
  z.object({ signedOut: z.literal(true) }).strict(),
]);
export type OrgSessionParams = z.infer<typeof OrgSessionParams>;

/**
 * Client → server (notification). The org session the agent uploads audit events and fetches the
 * org policy with: sent after every agent start, on sign-in, whenever the token is refreshed, and
 * `{ signedOut: true }` on sign-out (the agent stops uploading and drops the org policy layer;
 * events keep accumulating locally and are uploaded at the next sign-in).
 */
export const orgSession = notification('navi/orgSession', 'clientToServer', OrgSessionParams);

export const OrgTokenParams = z
  .object({
    /** `expiring`: the token expires within a minute; `rejected`: the control plane answered 401. */
    reason: z.enum(['expiring', 'rejected']),
  })
  .strict();
export type OrgTokenParams = z.infer<typeof OrgTokenParams>;

export const OrgTokenResult = z.union([
  z
    .object({
      accessToken: z.string().min(1).max(20_000),
      expiresAt: z.number().int().nonnegative().optional(),
    })
    .strict(),
  z.object({ signedOut: z.literal(true) }).strict(),
]);
export type OrgTokenResult = z.infer<typeof OrgTokenResult>;

/**
 * Server → client. The agent needs a fresh access token (the current one is about to expire, or
 * the control plane refused it). The client refreshes its session and answers with the token, or
 * `{ signedOut: true }`. No answer within 30 s counts as signed out until the next `navi/orgSession`.
 */
export const orgToken = request('navi/orgToken', 'serverToClient', OrgTokenParams, OrgTokenResult);

export const AuditUploadParams = z
  .object({
    /** How long to keep trying before answering with what is left (ms, 0..10 min). Default 30 s. */
    timeoutMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict();
export type AuditUploadParams = z.infer<typeof AuditUploadParams>;

export const OrgUploadStatus = z.object({
  /** Whether the agent has an org session (an upload target). */
  signedIn: z.boolean(),
  controlPlaneUrl: z.string().optional(),
  org: z.string().optional(),
  /** Complete events in the local log after the upload cursor (not yet acknowledged). */
  pending: z.number().int().nonnegative(),
  /** Since the agent started: events the control plane stored new / already had / refused (skipped with a record). */
  inserted: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  /** When the control plane last acknowledged a batch (ISO-8601), if ever in this process. */
  lastUploadAt: z.string().optional(),
  /** Why the last attempt failed, when it did (no token in it). */
  lastError: z.string().optional(),
  /** The org policy version in use (0: the control plane has none), absent before the first fetch. */
  policyVersion: z.number().int().nonnegative().optional(),
  /** The org requires commands to be recorded at the control plane before they run. */
  requireAuditRecord: z.boolean(),
});
export type OrgUploadStatus = z.infer<typeof OrgUploadStatus>;

/**
 * Client → server. Uploads what is pending now (ignoring the retry back-off) and answers with the
 * status once nothing is pending or `timeoutMs` passed (`navi audit upload`, the CLI before it
 * exits, tests). Never fails for a network problem: `pending` and `lastError` say what is left.
 */
export const auditUpload = request('navi/auditUpload', 'clientToServer', AuditUploadParams, OrgUploadStatus);

// ---------------------------------------------------------------------------------------------
// navi/fix and what acts on its results (schemas in ./fix.ts, docs/fix.md)

/**
 * Client → server. Finds the errors with the profile's checkers (through the command pipeline),
 * fixes them cheapest first (the project's own fixers, TypeScript code fixes, a model only when
 * `model` is given), verifies each fix against the baseline, keeps what verifies with a signed
 * receipt and rolls back what does not. Errors: -32602, 41004 (Restricted Mode), 41007 (no check
 * command in the profile).
 */
export const fix = request('navi/fix', 'clientToServer', FixParams, FixResult);
/** Server → client, while `navi/fix` runs. */
export const fixProgress = notification('navi/fixProgress', 'serverToClient', FixProgressParams);
/** Client → server. The workspace's receipts, newest first, each checked now (verified / failed / stale / invalid). */
export const receipts = request('navi/receipts', 'clientToServer', ReceiptsParams, ReceiptsResult);
/** Client → server. Checks one receipt (a stored id, or an envelope's JSON) against this installation's key. */
export const receiptVerify = request(
  'navi/receiptVerify',
  'clientToServer',
  ReceiptVerifyParams,
  ReceiptVerifyResult,
);
/** Client → server. Undoes a fix task's kept fixes (or one fix); files the user changed since are kept. */
export const rollback = request('navi/rollback', 'clientToServer', RollbackParams, RollbackResult);
/** Client → server. The person keeps a fix (audit `edit.kept`). */
export const fixKeep = request('navi/fixKeep', 'clientToServer', FixKeepParams, FixKeepResult);
/**
 * Server → client (VS Code only). The editor's language extensions' preferred quick fixes for the
 * errors the cheaper fixers left, as plain edits (docs/fix.md).
 */
export const editorQuickFixes = request(
  'navi/editorQuickFixes',
  'serverToClient',
  EditorQuickFixesParams,
  EditorQuickFixesResult,
);
/** Server → client. One chat turn through VS Code's Language Model API (model provider `vscode-lm`). */
export const modelChat = request('navi/modelChat', 'serverToClient', ModelChatParams, ModelChatResult);

/** All requests, for documentation and for tests that check both sides cover them. */
export const requests = [
  agentInfo,
  scan,
  check,
  run,
  auditExport,
  metrics,
  profile,
  profileSave,
  test,
  start,
  stopApp,
  approval,
  alwaysAllowList,
  alwaysAllowRevoke,
  orgToken,
  auditUpload,
  fix,
  receipts,
  receiptVerify,
  rollback,
  fixKeep,
  modelChat,
  editorQuickFixes,
] as const;
/** All notifications. */
export const notifications = [
  scanSummary,
  commandOutput,
  testProgress,
  appStatus,
  orgSession,
  fixProgress,
  alwaysAllowChanged,
] as const;
