import { z } from 'zod';
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import { ApprovalParams, ApprovalResult } from './approvals';
import { ScanReport, ScanSummary } from './scanReport';

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

/** All requests, for documentation and for tests that check both sides cover them. */
export const requests = [agentInfo, scan, approval] as const;
/** All notifications. */
export const notifications = [scanSummary] as const;
