import type { AuditEvent } from '../../protocol/audit';
import {
  METRIC_CATEGORIES,
  type CommandMetrics,
  type DecisionCounts,
  type FirstWinMetrics,
  type FixMetrics,
  type MetricCategory,
  type TaskCategoryMetrics,
} from '../../protocol/metrics';

/**
 * The KPIs of `navi/metrics` from audit events (pure: no I/O). The caller passes only events of
 * the verified part of the chain (server/metrics/read.ts). Definitions: protocol/metrics.ts.
 */

type Outcome = 'succeeded' | 'failed' | 'errored' | 'cancelled';
type TaskStatus = Extract<AuditEvent, { type: 'task.finished' }>['data']['status'];

/** How each `task.finished` status counts, per task kind (a table, not branches). */
const TASK_OUTCOMES: Record<'test' | 'start' | 'fix', Partial<Record<TaskStatus, Outcome>>> = {
  test: { passed: 'succeeded', failed: 'failed', error: 'errored', cancelled: 'cancelled' },
  start: { ready: 'succeeded', failed: 'failed', exited: 'failed', stopped: 'cancelled' },
  fix: {
    clean: 'succeeded',
    fixed: 'succeeded',
    remaining: 'failed',
    incomplete: 'errored',
    error: 'errored',
    cancelled: 'cancelled',
  },
};

/** Categories the audit log records (a scan only reads files: it writes no audit event). */
const RECORDED: Record<MetricCategory, boolean> = {
  scan: false,
  fix: true,
  test: true,
  start: true,
  command: true,
};

export interface KpiSummary {
  events: number;
  firstEventAt?: string;
  lastEventAt?: string;
  tasks: TaskCategoryMetrics[];
  commands: CommandMetrics;
  fixes: FixMetrics;
  firstWin: FirstWinMetrics;
}

/** Nearest-rank percentile of ascending-sorted values (`p` in 0..100); null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

interface Finished {
  outcome: Outcome;
  durationMs: number;
}

export function computeKpis(events: Iterable<AuditEvent>): KpiSummary {
  const finished = new Map<MetricCategory, Finished[]>(METRIC_CATEGORIES.map((c) => [c, []]));
  const started = new Map<string, MetricCategory>();
  const ended = new Set<string>();
  /** Commands some task ran (its `task.finished.commandIds`) or proposed as a task's fixed command. */
  const taskCommands = new Set<string>();
  const executed: { commandId: string; finished: Finished }[] = [];
  const ruleIdsOf = new Map<string, readonly string[]>();
  const decisions = new Map<string, keyof DecisionCounts>();
  const verified = new Set<string>();
  const failedVerification = new Set<string>();
  const kept = new Set<string>();
  const rolledBack = new Set<string>();
  /** The first `onboarding.firstWin` of each workspace. */
  const firstWins = new Map<string, Extract<AuditEvent, { type: 'onboarding.firstWin' }>['data']>();
  let count = 0;
  let firstEventAt: string | undefined;
  let lastEventAt: string | undefined;

  for (const event of events) {
    count++;
    firstEventAt ??= event.ts;
    lastEventAt = event.ts;
    switch (event.type) {
      case 'task.started':
        started.set(event.data.taskId, event.data.task);
        break;
      case 'task.finished': {
        ended.add(event.data.taskId);
        for (const id of event.data.commandIds) taskCommands.add(id);
        const outcome = TASK_OUTCOMES[event.data.task][event.data.status] ?? 'errored';
        finished.get(event.data.task)!.push({ outcome, durationMs: event.data.durationMs });
        break;
      }
      case 'command.proposed':
        if (event.data.proposer === 'task') taskCommands.add(event.data.commandId);
        break;
      case 'command.verdict':
        ruleIdsOf.set(event.data.commandId, event.data.ruleIds);
        // `allow` and `deny` are final (no approved/denied event follows them); `ask` waits for one.
        if (event.data.verdict !== 'ask')
          decisions.set(event.data.commandId, event.data.verdict === 'allow' ? 'allowed' : 'denied');
        break;
      case 'command.approved':
        decisions.set(event.data.commandId, event.data.by === 'policy' ? 'allowed' : 'approved');
        break;
      case 'command.denied':
        decisions.set(event.data.commandId, 'denied');
        break;
      case 'command.executed': {
        const d = event.data;
        const outcome: Outcome = d.cancelled
          ? 'cancelled'
          : d.timedOut || d.exitCode === null
            ? 'errored'
            : d.exitCode === 0
              ? 'succeeded'
              : 'failed';
        executed.push({ commandId: d.commandId, finished: { outcome, durationMs: d.durationMs } });
        break;
      }
      case 'receipt.issued':
        (event.data.result === 'verified' ? verified : failedVerification).add(event.data.fixId);
        break;
      case 'edit.kept':
        kept.add(event.data.fixId);
        break;
      case 'edit.rolledBack':
        rolledBack.add(event.data.fixId);
        break;
      case 'onboarding.firstWin': {
        const workspace = event.workspace ?? '';
        if (!firstWins.has(workspace)) firstWins.set(workspace, event.data);
        break;
      }
      default:
        break;
    }
  }

  // A command is a task of its own ("command": `navi run`, Run a command…) unless a task ran it.
  for (const e of executed) if (!taskCommands.has(e.commandId)) finished.get('command')!.push(e.finished);
  const unfinished = new Map<MetricCategory, number>();
  for (const [taskId, category] of started)
    if (!ended.has(taskId)) unfinished.set(category, (unfinished.get(category) ?? 0) + 1);

  return {
    events: count,
    ...(firstEventAt ? { firstEventAt, lastEventAt } : {}),
    tasks: METRIC_CATEGORIES.map((category) =>
      categoryMetrics(category, finished.get(category)!, unfinished.get(category) ?? 0),
    ),
    commands: commandMetrics(decisions, ruleIdsOf),
    fixes: {
      verified: verified.size,
      failedVerification: failedVerification.size,
      kept: kept.size,
      rolledBack: rolledBack.size,
    },
    firstWin: firstWinMetrics([...firstWins.values()]),
  };
}

function firstWinMetrics(
  wins: readonly { durationMs: number; via: 'fix' | 'test' | 'start'; at: string }[],
): FirstWinMetrics {
  const latest = [...wins].sort((a, b) => a.at.localeCompare(b.at)).pop();
  return {
    workspaces: wins.length,
    p50Ms: percentile(
      wins.map((w) => w.durationMs).sort((a, b) => a - b),
      50,
    ),
    ...(latest ? { latest: { durationMs: latest.durationMs, via: latest.via, at: latest.at } } : {}),
  };
}

function categoryMetrics(
  category: MetricCategory,
  done: readonly Finished[],
  unfinished: number,
): TaskCategoryMetrics {
  const by = (o: Outcome) => done.filter((f) => f.outcome === o).length;
  const durations = done.map((f) => f.durationMs).sort((a, b) => a - b);
  const n = done.length;
  const succeeded = by('succeeded');
  const errored = by('errored');
  return {
    category,
    recorded: RECORDED[category],
    count: n,
    unfinished,
    succeeded,
    failed: by('failed'),
    errored,
    cancelled: by('cancelled'),
    successRate: n ? succeeded / n : null,
    errorRate: n ? errored / n : null,
    p50Ms: percentile(durations, 50),
    p95Ms: percentile(durations, 95),
  };
}

const MAX_RULES = 200;
/** Where commands no rule decided (read-only commands the policy allows by default) are counted. */
export const NO_RULE = '(no rule)';

function commandMetrics(
  decisions: ReadonlyMap<string, keyof DecisionCounts>,
  ruleIdsOf: ReadonlyMap<string, readonly string[]>,
): CommandMetrics {
  const totals: DecisionCounts = { approved: 0, denied: 0, allowed: 0 };
  const rules = new Map<string, DecisionCounts>();
  for (const [commandId, decision] of decisions) {
    totals[decision]++;
    const ruleIds = ruleIdsOf.get(commandId) ?? [];
    for (const ruleId of new Set(ruleIds.length ? ruleIds : [NO_RULE])) {
      const counts = rules.get(ruleId) ?? { approved: 0, denied: 0, allowed: 0 };
      counts[decision]++;
      rules.set(ruleId, counts);
    }
  }
  const total = (c: DecisionCounts) => c.approved + c.denied + c.allowed;
  const byRule = [...rules]
    .map(([ruleId, c]) => ({ ruleId, ...c }))
    .sort((a, b) => total(b) - total(a) || a.ruleId.localeCompare(b.ruleId))
    .slice(0, MAX_RULES);
  return { ...totals, byRule };
}
