import * as path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import {
  originLabel,
  type ApprovalOrigin,
  type ApprovalParams,
  type ApprovalResult,
} from '../../protocol/approvals';
import type { AuditActor, CommandDecisionData } from '../../protocol/audit';
import { ErrorCodes, NaviError } from '../../protocol/errors';
import type { Verdict } from '../../protocol/policy';
import type { CheckParams, RunOutcome, RunParams } from '../../protocol/requests';
import type { AuditLog } from '../audit/log';
import type { Logger } from '../taskContext';
import { AlwaysAllowStore } from './alwaysAllow';
import { configOverrideEnv } from './gitConfig';
import type { PolicyLoader } from './policyLayers';
import { literalCommand } from './parse';
import { judgeCommand, judgeEdit, type JudgeContext } from './policy';
import { runCommand, type OutputStream } from './runner';
import type { SandboxProbe } from './sandbox';

/** The ports the command pipeline needs; server/main.ts builds the real ones, tests pass their own. */
export interface PipelinePorts {
  /** Where every step is recorded before it happens (the local audit log). */
  audit: Pick<AuditLog, 'append' | 'appendAll'>;
  /** Asks the client (sidebar or CLI prompt) and resolves with its answer; rejects or times out as deny. */
  requestApproval(params: ApprovalParams, signal: AbortSignal): Promise<ApprovalResult>;
  policies: PolicyLoader;
  alwaysAllow: AlwaysAllowStore;
  sandbox: () => Promise<SandboxProbe>;
  /** Folder for full command logs. */
  logDir: string;
  approvalTimeoutMs: number;
  home: string;
  log: Logger;
  /** The org's hook before a command runs (server/org/orgService.ts); absent: no org. */
  org?: OrgGate;
}

/**
 * The one org hook of the pipeline: called after the decision is recorded locally and right
 * before the command starts. `recorded` settles when the proposal and verdict are on disk.
 * Resolves with a reason to refuse the command (recorded as `command.denied` by `policy`), or
 * undefined to run it; it must not wait for `recorded` unless the org requires it.
 */
export interface OrgGate {
  beforeRun(input: {
    commandId: string;
    recorded: Promise<void>;
    signal: AbortSignal;
  }): Promise<string | undefined>;
}

export interface PipelineContext {
  signal: AbortSignal;
  onOutput?: (chunk: string, stream: OutputStream) => void | Promise<void>;
  /**
   * Called once the command's process has started: after the verdict, any approval and the audit
   * record. What people see timed (a test run's elapsed time) counts from here, never the wait.
   */
  onStart?: () => void;
  /**
   * For NAVI's own tasks, never from a client: keep the host network (a started app must be
   * reachable from the browser), variables NAVI sets (reporter options), folders outside the
   * workspace the command may write (report files).
   */
  task?: {
    shareNetwork?: boolean;
    extraEnv?: Record<string, string>;
    writableDirs?: string[];
    /** Kept between runs (RunRequest.cacheDir). */
    cacheDir?: string;
    /** The command the person knows and what the task added to it, shown with an approval. */
    origin?: ApprovalOrigin;
    /**
     * The confirmed profile this step's command comes from (server/tasks/profileApproval.ts):
     * with no `changes`, its soft asks are lifted (rule `profile:confirmed`); with changes, it
     * asks as before and the approval says what changed.
     */
    profile?: { confirmedAt: string; changes: readonly string[] };
  };
}

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

async function judgeContext(
  p: { cwd: string; workspaceRoot: string; trusted: boolean },
  ports: PipelinePorts,
  profile?: { confirmedAt: string; changes: readonly string[] },
): Promise<JudgeContext> {
  const sandbox = await ports.sandbox();
  return {
    cwd: path.resolve(p.workspaceRoot, p.cwd),
    workspaceRoot: p.workspaceRoot,
    home: ports.home,
    policy: await ports.policies.load(p.workspaceRoot, p.trusted),
    trusted: p.trusted,
    sandbox: sandbox.available,
    alwaysAllow: ports.alwaysAllow.list(p.workspaceRoot),
    ...(profile && profile.changes.length === 0
      ? { profileConfirmed: { confirmedAt: profile.confirmedAt } }
      : {}),
  };
}

/** `navi/check`: the verdict for a command text or an edit path; nothing runs, nothing is recorded. */
export async function check(params: CheckParams, ports: PipelinePorts): Promise<Verdict> {
  const ctx = await judgeContext(params, ports);
  return params.command !== undefined ? judgeCommand(params.command, ctx) : judgeEdit(params.editPath!, ctx);
}

/**
 * `navi/run`: judge, ask when needed, run in the sandbox, and record every step in the audit log
 * BEFORE it happens (the proposal and its verdict, in one write, before asking; the decision
 * before running). If the log cannot record, nothing runs.
 */
export async function run(
  params: RunParams,
  ports: PipelinePorts,
  ctx: PipelineContext,
): Promise<RunOutcome> {
  const commandId = uuidv7();
  const workspace = params.workspaceRoot;
  type Event = Parameters<AuditLog['append']>[0];
  const record = async (...events: Event[]) => {
    try {
      await ports.audit.appendAll(events);
    } catch (error) {
      ports.log.error('The audit log could not record an event; the command will not run', error);
      throw new NaviError(
        ErrorCodes.AuditUnavailable,
        'NAVI could not write its audit log, so it will not run the command.',
        {
          hint: 'Run "navi audit verify" to check the log, then try again.',
        },
      );
    }
  };
  const outcome = (rest: Omit<RunOutcome, 'runId' | 'commandId'>): RunOutcome => ({
    runId: params.runId,
    commandId,
    ...rest,
  });

  const proposer = params.proposer === 'user' ? { kind: 'user' as const } : { kind: 'agent' as const };
  const proposed: Event = {
    type: 'command.proposed',
    actor: proposer,
    workspace,
    data: { commandId, command: params.command, cwd: params.cwd, proposer: params.proposer },
  };

  if (!params.trusted) {
    await record(proposed);
    throw new NaviError(
      ErrorCodes.WorkspaceNotTrusted,
      'This workspace is in Restricted Mode: NAVI runs nothing here.',
      {
        hint: 'Trust the workspace (Manage Workspace Trust) to let NAVI run commands.',
      },
    );
  }
  let judge: JudgeContext;
  let verdict: Verdict;
  try {
    judge = await judgeContext(params, ports, ctx.task?.profile);
    verdict = await judgeCommand(params.command, judge);
  } catch (error) {
    await record(proposed); // the proposal stays on record even when it could not be judged
    throw error;
  }
  // The proposal and its verdict go into the log together (one write, one fsync), before
  // anything is asked or run: a deny or an ask waits for it here; an allowed command is prepared
  // (sandbox, log file) meanwhile and starts only once it is written (runCommand's `ready`).
  const judged = record(proposed, {
    type: 'command.verdict',
    actor: { kind: 'policy' },
    workspace,
    data: {
      commandId,
      verdict: verdict.verdict,
      reasons: verdict.reasons,
      ruleIds: verdict.rules.map((r) => r.id),
      ...(verdict.runs !== undefined ? { runs: verdict.runs } : {}),
    },
  });
  judged.catch(() => undefined); // awaited below or by the runner
  if (verdict.verdict !== 'allow') await judged;

  if (verdict.verdict === 'deny') {
    return outcome({ verdict, ran: false, message: `Denied: ${verdict.reasons.join('; ') || 'policy'}` });
  }

  let decision: RunOutcome['decision'];
  if (verdict.verdict === 'ask') {
    const single = verdict.commands.length === 1 ? verdict.commands[0] : undefined;
    // "Always allow" only for one exact command with arguments — never a pipeline, never a bare name.
    const canAlwaysAllow = single !== undefined && single.argv.length >= 2 && single.verdict !== 'deny';
    let answer: ApprovalResult;
    let approvalId: string | undefined;
    if (params.autoApprove) {
      answer = { decision: 'allowOnce', by: 'cli-yes' };
    } else {
      approvalId = uuidv7();
      answer = await askWithTimeout(
        ports,
        {
          approvalId,
          runId: params.runId,
          command: params.command,
          ...(verdict.runs !== undefined ? { runs: verdict.runs, expansions: verdict.expansions } : {}),
          cwd: params.cwd,
          // What changed since the profile was confirmed comes first: it is why this asks again.
          reasons: [
            ...(ctx.task?.profile?.changes ?? []),
            ...(verdict.reasons.length ? verdict.reasons : ['This command needs approval.']),
          ],
          rules: verdict.rules.map(({ id, layer, justification }) => ({ id, layer, justification })),
          risk: verdict.risk,
          canAlwaysAllow,
          timeoutMs: ports.approvalTimeoutMs,
          ...(ctx.task?.origin ? { origin: ctx.task.origin } : {}),
        },
        ctx.signal,
      );
      if (answer.decision === 'alwaysAllow' && !canAlwaysAllow)
        answer = { decision: 'allowOnce', by: answer.by };
    }
    decision = answer;
    const byKind = DECIDED_BY[answer.by] ?? 'user';
    if (answer.decision === 'deny') {
      await record({
        type: 'command.denied',
        actor: actorOf(answer.by),
        workspace,
        data: { commandId, by: byKind, scope: 'once', ...(approvalId ? { approvalId } : {}) },
      });
      const why =
        answer.by === 'timeout'
          ? 'nobody answered in time'
          : answer.by === 'cli-no-terminal'
            ? 'it needs approval and there is no terminal to ask on'
            : `denied by ${answer.by}`;
      return outcome({ verdict, decision, ran: false, message: `Not run: ${why}.` });
    }
    let expiresAt: string | undefined;
    if (answer.decision === 'alwaysAllow' && single) {
      const origin = ctx.task?.origin;
      const entry = ports.alwaysAllow.add({
        workspace,
        argv: single.argv,
        by: answer.by,
        ...(origin ? { label: originLabel(origin) } : {}),
      });
      expiresAt = new Date(entry.expiresAt).toISOString();
    }
    await record({
      type: 'command.approved',
      actor: actorOf(answer.by),
      workspace,
      data: {
        commandId,
        by: byKind,
        scope: answer.decision === 'alwaysAllow' ? 'always' : 'once',
        ...(expiresAt ? { expiresAt } : {}),
        ...(approvalId ? { approvalId } : {}),
      },
    });
  }

  // --- org hook (requireAuditRecord, server/org/orgService.ts) ---------------------------------
  const refused = await ports.org?.beforeRun({ commandId, recorded: judged, signal: ctx.signal });
  if (refused !== undefined) {
    await record({
      type: 'command.denied',
      actor: { kind: 'policy', id: 'org:requireAuditRecord' },
      workspace,
      data: { commandId, by: 'policy', scope: 'once' },
    });
    return outcome({ verdict, decision, ran: false, message: `Not run: ${refused}` });
  }
  // ----------------------------------------------------------------------------------------------

  const sandbox = await ports.sandbox();
  const policy = judge.policy;
  // Run what was judged: the text with every wildcard NAVI expanded replaced by the names it
  // judged (quoted, so bash expands nothing again), or the text itself when it had none.
  const text = verdict.runs ?? params.command;
  const result = await runCommand(
    {
      command: text,
      argv: literalCommand(text) ?? undefined,
      cwd: judge.cwd,
      workspaceRoot: workspace,
      timeoutMs: params.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      // What was judged (and, for an ask, approved) includes its network use: a denied network
      // was already refused by the judge.
      network:
        policy.network !== 'deny' &&
        (policy.network === 'allow' || verdict.network || !!ctx.task?.shareNetwork),
      protectedPaths: policy.protectedPaths,
      hiddenPaths: policy.hiddenPaths,
      sandbox: sandbox.available,
      logDir: ports.logDir,
      // The git settings the verdict turns off (core.fsmonitor…), as GIT_CONFIG_COUNT/KEY/VALUE
      // after any the task sets itself.
      ...withExtraEnv(configOverrideEnv(verdict.configOverrides, ctx.task?.extraEnv)),
      ...(ctx.task?.writableDirs ? { writableDirs: ctx.task.writableDirs } : {}),
      ...(ctx.task?.cacheDir ? { cacheDir: ctx.task.cacheDir } : {}),
    },
    { signal: ctx.signal, onOutput: ctx.onOutput, ready: judged, onStart: ctx.onStart },
  );
  await record({
    type: 'command.executed',
    actor: { kind: 'system' },
    workspace,
    data: {
      commandId,
      exitCode: result.exitCode,
      signal: result.signal,
      durationMs: Math.round(result.durationMs),
      timedOut: result.timedOut,
      cancelled: result.cancelled,
      sandboxed: result.sandboxed,
      output: { bytes: result.output.bytes, sha256: result.output.sha256 },
    },
  });
  const where = result.sandboxed ? 'in the sandbox' : 'without a sandbox';
  const how = result.timedOut
    ? `stopped after ${Math.round(result.durationMs / 1000)} s (timeout)`
    : result.cancelled
      ? 'cancelled'
      : result.exitCode !== null
        ? `exit ${result.exitCode}`
        : `killed by ${result.signal}`;
  return outcome({ verdict, decision, ran: true, result, message: `Ran ${where}: ${how}.` });
}

function withExtraEnv(env: Record<string, string> | undefined): { extraEnv?: Record<string, string> } {
  return env ? { extraEnv: env } : {};
}

/**
 * `by` values of an answer that no person gave, and how the audit log records them; any other
 * `by` is the name of the person who answered.
 */
const DECIDED_BY: Partial<Record<string, CommandDecisionData['by']>> = {
  'cli-yes': 'cli-yes',
  'cli-no-terminal': 'no-terminal',
  timeout: 'timeout',
  'restricted-mode': 'untrusted-workspace',
  'malformed-request': 'error',
  error: 'error',
};

function actorOf(by: string): AuditActor {
  return DECIDED_BY[by] ? { kind: 'system', id: by } : { kind: 'user', id: by };
}

/** The client's answer, or `deny` when it does not come within the timeout, fails or the run is cancelled. */
async function askWithTimeout(
  ports: PipelinePorts,
  params: ApprovalParams,
  signal: AbortSignal,
): Promise<ApprovalResult> {
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      ports.requestApproval(params, abort.signal).catch((error: unknown): ApprovalResult => {
        ports.log.warn(`Approval request failed, treating it as deny: ${String(error)}`);
        return { decision: 'deny', by: 'error' };
      }),
      new Promise<ApprovalResult>((resolve) => {
        timer = setTimeout(() => resolve({ decision: 'deny', by: 'timeout' }), params.timeoutMs);
      }),
      new Promise<ApprovalResult>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    abort.abort();
    signal.removeEventListener('abort', onAbort);
  }
}
