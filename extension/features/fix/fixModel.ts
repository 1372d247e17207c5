import * as path from 'node:path';
import type {
  FixProgressParams,
  FixRecord,
  FixResult,
  ReceiptSummary,
  RemainingDiagnostic,
  RollbackResult,
} from '../../../protocol/fix';
import {
  PANEL_MAX_DIFF_CHARS,
  PANEL_MAX_REMAINING,
  type FixDecision,
  type FixHostMessage,
  type FixOutcome,
  type FixView,
} from '../../../protocol/fixMessages';

/**
 * The fix tasks of this window as the host keeps them for the panel: what each task's messages
 * change, and the messages that bring a reloaded panel up to date. Pure (no `vscode`): the
 * controller (fixRuns.ts) feeds it the agent's messages and posts what it returns.
 */

type Msg<K extends FixHostMessage['kind']> = Extract<FixHostMessage, { kind: K }>;

/** Fix tasks the panel shows (older ones are forgotten, their receipts stay in the agent). */
export const KEEP_TASKS = 5;

export interface FixTask {
  runId: string;
  /** The workspace folder it ran in (absolute). */
  root: string;
  started: Msg<'fixStarted'>;
  taskId?: string;
  progress?: Msg<'fixProgress'>;
  /** The agent's records, with the text before each change (for Open Diff), by fix id. */
  fixes: Map<string, FixRecord>;
  finished?: Msg<'fixFinished'>;
}

export class FixTasks {
  private readonly tasks = new Map<string, FixTask>();
  private readonly decisions = new Map<string, Msg<'fixDecision'>>();
  private receipts: Msg<'receipts'> | undefined;

  get running(): FixTask | undefined {
    return [...this.tasks.values()].find((t) => !t.finished);
  }

  start(runId: string, root: string, scope: string, startedAt: number): FixHostMessage[] {
    const started: Msg<'fixStarted'> = { kind: 'fixStarted', runId, scope, startedAt };
    this.tasks.set(runId, { runId, root, started, fixes: new Map() });
    for (const old of [...this.tasks.keys()].slice(0, Math.max(0, this.tasks.size - KEEP_TASKS))) {
      const task = this.tasks.get(old)!;
      for (const id of task.fixes.keys()) this.decisions.delete(id);
      this.tasks.delete(old);
    }
    return [started];
  }

  /** A `navi/fixProgress` of a task of ours (others are ignored: they belong to another window). */
  progress(p: FixProgressParams): FixHostMessage[] {
    const task = this.tasks.get(p.runId);
    if (!task || task.finished) return [];
    task.taskId = p.taskId;
    task.progress = {
      kind: 'fixProgress',
      runId: p.runId,
      taskId: p.taskId,
      step: p.step,
      message: p.message,
    };
    const out: FixHostMessage[] = [task.progress];
    if (p.fix) out.push(this.record(task, p.fix));
    return out;
  }

  /** The task's result: every fix (the result is the final word on each), then the outcome. */
  finish(runId: string, result: FixResult): FixHostMessage[] {
    const task = this.tasks.get(runId);
    if (!task) return [];
    task.taskId = result.taskId;
    const out: FixHostMessage[] = result.fixes.map((fix) => this.record(task, fix));
    task.finished = { kind: 'fixFinished', runId, outcome: outcome(result, task.root) };
    out.push(task.finished);
    return out;
  }

  /** The task did not run to the end: why (`Stopped.` when stopped), and what to do. */
  fail(runId: string, error: string, hint?: string): FixHostMessage[] {
    const task = this.tasks.get(runId);
    if (!task) return [];
    task.finished = { kind: 'fixFinished', runId, error, ...(hint ? { hint } : {}) };
    return [task.finished];
  }

  decide(fixId: string, decision: FixDecision, message?: string): FixHostMessage[] {
    const m: Msg<'fixDecision'> = { kind: 'fixDecision', fixId, decision, ...(message ? { message } : {}) };
    this.decisions.set(fixId, m);
    return [m];
  }

  decision(fixId: string): FixDecision | undefined {
    return this.decisions.get(fixId)?.decision;
  }

  /** The workspace's receipts (`navi/receipts`), kept for the tasks shown. */
  setReceipts(all: readonly ReceiptSummary[]): FixHostMessage[] {
    const tasks = this.taskIds();
    const fixReceipts = new Set(
      [...this.tasks.values()].flatMap((t) =>
        [...t.fixes.values()].flatMap((f) => (f.receipt ? [f.receipt.id] : [])),
      ),
    );
    this.receipts = {
      kind: 'receipts',
      receipts: all.filter((r) => tasks.has(r.taskId) || fixReceipts.has(r.id)),
    };
    return [this.receipts];
  }

  /** Messages that bring a freshly loaded panel up to date, oldest task first. */
  replay(): FixHostMessage[] {
    const out: FixHostMessage[] = [];
    for (const task of this.tasks.values()) {
      out.push(task.started);
      if (task.progress && !task.finished) out.push(task.progress);
      for (const fix of task.fixes.values())
        out.push({ kind: 'fixRecord', runId: task.runId, fix: toView(fix) });
      if (task.finished) out.push(task.finished);
    }
    for (const task of this.tasks.values())
      for (const id of task.fixes.keys()) {
        const d = this.decisions.get(id);
        if (d) out.push(d);
      }
    if (this.receipts) out.push(this.receipts);
    return out;
  }

  /** A fix of a task shown, by id. */
  find(fixId: string): { task: FixTask; fix: FixRecord } | undefined {
    for (const task of this.tasks.values()) {
      const fix = task.fixes.get(fixId);
      if (fix) return { task, fix };
    }
    return undefined;
  }

  /** Task ids of the tasks shown (known once the agent said). */
  taskIds(): Set<string> {
    return new Set([...this.tasks.values()].flatMap((t) => (t.taskId ? [t.taskId] : [])));
  }

  /** Workspace-relative files the shown fixes changed or their receipts cover: a change to one makes a receipt stale. */
  coveredFiles(): Set<string> {
    const files = new Set<string>();
    for (const task of this.tasks.values())
      for (const fix of task.fixes.values()) for (const f of fix.files) files.add(f);
    for (const r of this.receipts?.receipts ?? []) for (const f of r.files) files.add(f.path);
    return files;
  }

  private record(task: FixTask, fix: FixRecord): Msg<'fixRecord'> {
    task.fixes.set(fix.id, fix);
    return { kind: 'fixRecord', runId: task.runId, fix: toView(fix) };
  }
}

/** A fix as the panel shows it: diffs cut to `PANEL_MAX_DIFF_CHARS`, no text before the change. */
export function toView(fix: FixRecord): FixView {
  return {
    ...fix,
    changes: fix.changes.map(({ beforeText, ...change }) => ({
      ...change,
      diff:
        change.diff.length > PANEL_MAX_DIFF_CHARS ? change.diff.slice(0, PANEL_MAX_DIFF_CHARS) : change.diff,
      diffCut: change.diff.length > PANEL_MAX_DIFF_CHARS,
      // A file the fix created had no text before it: an empty "before" is the truth.
      canOpenDiff: beforeText !== undefined || change.before === null,
    })),
  };
}

/** What the panel shows of a finished task besides its fixes; remaining paths relative to the root. */
export function outcome(result: FixResult, root: string): FixOutcome {
  const { fixes: _fixes, remaining, ...rest } = result;
  return {
    ...rest,
    remaining: remaining.slice(0, PANEL_MAX_REMAINING).map((d) => relativeRemaining(d, root)),
    remainingTotal: remaining.length,
  };
}

function relativeRemaining(d: RemainingDiagnostic, root: string): RemainingDiagnostic {
  if (!path.isAbsolute(d.file)) return d;
  const rel = path.relative(root, d.file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return d;
  return { ...d, file: rel.split(path.sep).join('/') };
}

export interface FixSummary {
  /** Problems fixed by fixes NAVI verified and kept. */
  fixed: number;
  /** Fixes kept. */
  kept: number;
  remaining: number;
  rolledBack: { id: string; reason: string }[];
  /** One or two sentences for a notification. */
  text: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "NAVI fixed and verified 2 problems (1 fix); 1 remains. 1 fix was rolled back: …" */
export function summarizeFix(result: FixResult): FixSummary {
  const kept = result.fixes.filter((f) => f.status === 'kept');
  const fixed = kept.reduce((n, f) => n + f.fixedCount, 0);
  const remaining = result.remaining.length;
  const rolledBack = result.rolledBack.map((r) => ({ id: r.id, reason: r.reason }));
  const parts: string[] = [];
  switch (result.status) {
    case 'clean':
      parts.push('NAVI found no problems to fix.');
      break;
    case 'cancelled':
      parts.push(
        `Stopped.${kept.length ? ` ${plural(fixed, 'problem')} fixed and verified before that.` : ''}`,
      );
      break;
    default: {
      const done = kept.length
        ? `NAVI fixed and verified ${plural(fixed, 'problem')} (${plural(kept.length, 'fix')})`
        : 'NAVI fixed no problem';
      parts.push(
        `${done}; ${remaining === 0 ? 'none remain' : `${remaining} remain${remaining === 1 ? 's' : ''}`}.`,
      );
      if (result.status === 'incomplete')
        parts.push(`Not every check could run${result.notes[0] ? `: ${result.notes[0]}` : '.'}`);
    }
  }
  if (rolledBack.length === 1) parts.push(`1 fix was rolled back: ${rolledBack[0]!.reason}`);
  else if (rolledBack.length > 1)
    parts.push(`${rolledBack.length} fixes were rolled back (the first: ${rolledBack[0]!.reason})`);
  return { fixed, kept: kept.length, remaining, rolledBack, text: parts.join(' ') };
}

/** "Restored src/main.ts." "… src/a.ts was changed after the fix and is left as you changed it." */
export function describeRollback(r: RollbackResult): string {
  if (r.nothing) return 'Nothing to roll back: the fix was already rolled back.';
  const parts: string[] = [];
  const changed = [...r.restored, ...r.deleted];
  parts.push(changed.length ? `Restored ${changed.join(', ')}.` : 'No file needed restoring.');
  if (r.conflicts.length)
    parts.push(
      `${r.conflicts.map((c) => c.path).join(', ')} ${r.conflicts.length === 1 ? 'was' : 'were'} changed after the fix and left as you changed ${r.conflicts.length === 1 ? 'it' : 'them'}.`,
    );
  if (r.notRestored.length)
    parts.push(`Not restored: ${r.notRestored.map((n) => `${n.path} (${n.reason})`).join(', ')}.`);
  return parts.join(' ');
}
