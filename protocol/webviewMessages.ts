import { z } from 'zod';
import { ApprovalDecision, ApprovalParams } from './approvals';
import { ScanReport, ScanSummary } from './scanReport';

/**
 * Messages between the extension host and the sidebar panel (webview-ui/), both ways validated on
 * receipt and handled with an exhaustive switch on `kind`. The panel holds no authority: it only
 * asks; the host decides and the agent enforces.
 */

export const AgentState = z.enum(['starting', 'running', 'stopped', 'failed']);
export type AgentState = z.infer<typeof AgentState>;

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
  /** An approval was answered (here, in a notification, by timeout, or because the agent restarted). */
  z.object({
    kind: z.literal('approvalResolved'),
    approvalId: z.string(),
    decision: ApprovalDecision,
    /** Who or what decided: the user's name, `timeout`, `agent-restart`, `restricted-mode`. */
    by: z.string(),
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
  /** The user's answer to a pending approval. */
  z.object({
    kind: z.literal('decideApproval'),
    approvalId: z.string().min(1).max(100),
    decision: ApprovalDecision,
  }),
]);
export type PanelMessage = z.infer<typeof PanelMessage>;
