import type { ReceiptSummary, RemainingDiagnostic } from '../../protocol/fix';
import type { PanelMessage } from '../../protocol/webviewMessages';
import type { FixChangeView, FixHostMessage, FixPanelMessage, FixView } from '../../protocol/fixMessages';
import { button, h } from '../dom';
import { renderDiff } from './diff';
import { receiptBadge, receiptWhy, renderEvidence } from './receipts';

type Msg<K extends FixHostMessage['kind']> = Extract<FixHostMessage, { kind: K }>;

/** Fix tasks the panel keeps (the host keeps the same number). */
const KEEP_TASKS = 5;

/** One fix task as the panel shows it. */
export interface FixTaskView {
  started: Msg<'fixStarted'>;
  progress?: Msg<'fixProgress'>;
  /** By fix id, in the order they arrived. */
  fixes: Map<string, FixView>;
  finished?: Msg<'fixFinished'>;
}

/** Everything of the Fixes section. */
export interface FixesState {
  /** By run id, oldest first. */
  tasks: Map<string, FixTaskView>;
  /** Keep / Roll back of each fix, by fix id. */
  decisions: Map<string, Msg<'fixDecision'>>;
  /** The receipts checked last (`navi/receipts`), by receipt id. */
  receipts: Map<string, ReceiptSummary>;
}

export function createFixesState(): FixesState {
  return { tasks: new Map(), decisions: new Map(), receipts: new Map() };
}

/**
 * Applies a host message to the state (pure: no DOM). Returns 'progress' for a new progress step,
 * which `patchFixProgress` can show in place (it must not rebuild the diffs under someone's cursor).
 */
export function applyFix(state: FixesState, message: FixHostMessage): 'progress' | void {
  switch (message.kind) {
    case 'fixStarted':
      state.tasks.set(message.runId, { started: message, fixes: new Map() });
      for (const id of [...state.tasks.keys()].slice(0, Math.max(0, state.tasks.size - KEEP_TASKS)))
        state.tasks.delete(id);
      return;
    case 'fixProgress': {
      const task = state.tasks.get(message.runId);
      if (!task || task.finished) return;
      task.progress = message;
      return 'progress';
    }
    case 'fixRecord':
      state.tasks.get(message.runId)?.fixes.set(message.fix.id, message.fix);
      return;
    case 'fixFinished': {
      const task = state.tasks.get(message.runId);
      if (task) task.finished = message;
      return;
    }
    case 'fixDecision':
      state.decisions.set(message.fixId, message);
      return;
    case 'receipts':
      state.receipts = new Map(message.receipts.map((r) => [r.id, r]));
      return;
    default: {
      const unreachable: never = message;
      return unreachable;
    }
  }
}

export interface FixesActions {
  send: (message: PanelMessage | FixPanelMessage) => void;
  trusted: boolean;
}

/** The Fixes section: Fix problems, then each fix task, newest first. */
export function renderFixes(state: FixesState, actions: FixesActions): HTMLElement {
  const tasks = [...state.tasks.values()].reverse();
  const running = tasks.some((t) => !t.finished);
  return h(
    'section',
    { className: 'fixes', 'aria-labelledby': 'h-fixes', testid: 'fixes' },
    h('h2', { id: 'h-fixes' }, 'Fixes'),
    h(
      'div',
      { className: 'actions' },
      button('Fix problems', () => actions.send({ kind: 'fixProblems' }), {
        className: tasks.length ? 'secondary' : 'primary',
        testid: 'fix-problems',
        disabled: !actions.trusted || running,
        title: actions.trusted
          ? 'Fix the workspace’s errors; NAVI keeps a fix only when the project’s checkers verify it'
          : 'Needs a trusted workspace',
      }),
    ),
    tasks.length === 0
      ? h(
          'p',
          { className: 'muted small' },
          'NAVI fixes errors cheapest first (the project’s own fixers, then TypeScript’s code fixes, then a model if you set one), checks every fix and signs a receipt for what verified.',
        )
      : null,
    ...tasks.map((t) => renderTask(t, state, actions)),
  );
}

function renderTask(task: FixTaskView, state: FixesState, actions: FixesActions): HTMLElement {
  const { started, finished } = task;
  const outcome = finished?.outcome;
  const status = !finished
    ? 'running'
    : outcome
      ? outcome.status
      : finished.error === 'Stopped.'
        ? 'cancelled'
        : 'error';
  const fixes = [...task.fixes.values()];
  return h(
    'article',
    {
      className: `card fix-task status-${status}`,
      testid: 'fix-task',
      'data-run-id': started.runId,
      'data-status': status,
      'aria-label': `Fix of ${started.scope}`,
    },
    h(
      'div',
      { className: 'card-head' },
      h('strong', {}, `Fix ${started.scope}`),
      h('span', { className: 'spacer' }),
      h('span', { className: 'muted small' }, new Date(started.startedAt).toLocaleTimeString()),
    ),
    !finished ? renderProgress(task, actions) : null,
    finished && !outcome
      ? h(
          'div',
          {
            className: finished.error === 'Stopped.' ? 'muted' : 'banner error',
            role: 'alert',
            testid: 'fix-error',
          },
          finished.error === 'Stopped.'
            ? 'Stopped.'
            : `The fix did not run: ${finished.error ?? 'unknown error'}`,
          finished.hint ? h('p', {}, finished.hint) : null,
        )
      : null,
    outcome
      ? h(
          'p',
          { className: 'fix-summary', testid: 'fix-summary', role: 'status' },
          summaryLine(fixes, outcome),
        )
      : null,
    ...fixes.map((f) => renderFix(f, state, actions)),
    outcome ? renderRemaining(outcome.remaining, outcome.remainingTotal, actions) : null,
    outcome?.notes.length
      ? h(
          'ul',
          { className: 'muted small fix-notes', testid: 'fix-notes' },
          ...outcome.notes.map((n) => h('li', {}, n)),
        )
      : null,
  );
}

function renderProgress(task: FixTaskView, actions: FixesActions): HTMLElement {
  return h(
    'div',
    { className: 'progress', testid: 'fix-progress', role: 'status' },
    h('span', { className: 'spinner', 'aria-hidden': 'true' }),
    h('span', { testid: 'fix-progress-text' }, task.progress?.message ?? 'Starting…'),
    button('Stop', () => actions.send({ kind: 'cancelFix', runId: task.started.runId }), {
      className: 'secondary',
      testid: 'fix-stop',
      'aria-label': `Stop fixing ${task.started.scope}`,
    }),
  );
}

/** Updates a task's progress line in place; false when it is not on screen (the caller re-renders). */
export function patchFixProgress(root: ParentNode, state: FixesState, runId: string): boolean {
  const task = state.tasks.get(runId);
  const el = root.querySelector<HTMLElement>(
    `[data-testid="fix-task"][data-run-id="${CSS.escape(runId)}"] [data-testid="fix-progress-text"]`,
  );
  if (!el || !task?.progress) return false;
  el.textContent = task.progress.message;
  return true;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "2 fixed and verified · 1 remaining · 1 rolled back" */
export function summaryLine(
  fixes: readonly FixView[],
  outcome: { status: string; remainingTotal: number; rolledBack: readonly unknown[] },
): string {
  if (outcome.status === 'clean') return 'No problems found.';
  const fixed = fixes.filter((f) => f.status === 'kept').reduce((n, f) => n + f.fixedCount, 0);
  return [
    `${fixed} fixed and verified`,
    `${outcome.remainingTotal} remaining`,
    ...(outcome.rolledBack.length ? [`${outcome.rolledBack.length} rolled back`] : []),
    ...(outcome.status === 'incomplete' ? ['not every check ran'] : []),
    ...(outcome.status === 'cancelled' ? ['stopped'] : []),
  ].join(' · ');
}

const KIND_LABEL: Record<FixView['fixer']['kind'], string> = {
  'project-fixer': 'project fixer',
  'language-service': 'language service',
  'editor-quick-fix': 'editor quick fix',
  model: 'model',
};

function renderFix(fix: FixView, state: FixesState, actions: FixesActions): HTMLElement {
  const decision = state.decisions.get(fix.id);
  const receipt = fix.receipt ? state.receipts.get(fix.receipt.id) : undefined;
  const receiptStatus = receipt?.status ?? fix.receipt?.status;
  const done = decision?.decision === 'rolledBack';
  const busy = decision?.decision === 'keeping' || decision?.decision === 'rollingBack';
  const label = plural(fix.files.length, 'file');
  return h(
    'article',
    {
      className: `fix fix-${fix.status}${done ? ' fix-undone' : ''}`,
      testid: 'fix',
      'data-fix-id': fix.id,
      'data-status': fix.status,
      ...(decision ? { 'data-decision': decision.decision } : {}),
      'aria-label': `Fix by ${fix.fixer.name} of ${fix.files.join(', ')}`,
    },
    h(
      'div',
      { className: 'fix-head' },
      h('strong', { className: 'fix-fixer' }, fix.fixer.name),
      h('span', { className: 'muted small' }, KIND_LABEL[fix.fixer.kind]),
      h('span', { className: 'spacer' }),
      receiptBadge(receiptStatus),
    ),
    h(
      'p',
      { className: 'small fix-what' },
      fix.status === 'kept'
        ? `Fixed ${fix.fixedCount} of ${plural(fix.diagnostics.length, 'problem')} in ${label}.`
        : `Tried ${plural(fix.diagnostics.length, 'problem')} in ${label}; rolled back by NAVI.`,
    ),
    fix.reason
      ? h(
          'p',
          { className: 'fix-reason', role: 'note', testid: 'fix-reason' },
          h('strong', {}, 'Why rolled back: '),
          fix.reason,
        )
      : null,
    fix.introduced.length
      ? h(
          'p',
          { className: 'small' },
          `New problems after it: ${fix.introduced.map((d) => `${d.file}:${d.range.startLine} ${d.message}`).join('; ')}`,
        )
      : null,
    fix.brokenTests.length
      ? h('p', { className: 'small' }, `Tests it broke: ${fix.brokenTests.join(', ')}`)
      : null,
    ...fix.changes.map((c) => renderChange(fix, c, actions)),
    receiptWhy(receipt),
    renderEvidence(fix.receipt !== undefined, receipt),
    fix.status === 'kept' && !done
      ? h(
          'div',
          { className: 'actions fix-actions' },
          decision?.decision !== 'kept'
            ? button('Keep', () => actions.send({ kind: 'keepFix', fixId: fix.id }), {
                className: 'primary',
                testid: 'fix-keep',
                disabled: busy,
                'aria-label': `Keep the fix of ${fix.files.join(', ')}`,
              })
            : null,
          button('Roll back', () => actions.send({ kind: 'rollbackFix', fixId: fix.id }), {
            className: 'secondary',
            testid: 'fix-rollback',
            disabled: busy || !actions.trusted,
            'aria-label': `Roll back the fix of ${fix.files.join(', ')}`,
            title: 'Put the files back as they were before this fix (asks first)',
          }),
        )
      : null,
    decision
      ? h(
          'p',
          { className: 'small fix-decision', role: 'status', testid: 'fix-decision' },
          decisionText(decision),
        )
      : null,
  );
}

function decisionText(d: Msg<'fixDecision'>): string {
  switch (d.decision) {
    case 'keeping':
      return 'Keeping…';
    case 'rollingBack':
      return 'Rolling back…';
    case 'kept':
      return d.message ?? 'Kept.';
    case 'rolledBack':
      return `Rolled back. ${d.message ?? ''}`.trim();
    case 'failed':
      return d.message ?? 'That did not work.';
  }
}

function renderChange(fix: FixView, change: FixChangeView, actions: FixesActions): HTMLElement {
  return h(
    'div',
    { className: 'fix-change', testid: 'fix-change', 'data-path': change.path },
    h(
      'div',
      { className: 'fix-change-head' },
      h('code', {}, change.path),
      h('span', { className: 'spacer' }),
      change.canOpenDiff
        ? button('Open Diff', () => actions.send({ kind: 'openFixDiff', fixId: fix.id, path: change.path }), {
            className: 'link',
            testid: 'fix-open-diff',
            'aria-label': `Open Diff of ${change.path} in the editor`,
          })
        : null,
    ),
    renderDiff(change.diff),
    change.diffCut
      ? h('p', { className: 'muted small' }, 'The diff is cut here; Open Diff shows all of it.')
      : null,
  );
}

function renderRemaining(
  remaining: readonly RemainingDiagnostic[],
  total: number,
  actions: FixesActions,
): HTMLElement | null {
  if (total === 0) return null;
  return h(
    'details',
    { className: 'fix-remaining', testid: 'fix-remaining', open: true },
    h('summary', {}, `${total} remaining`),
    h(
      'ul',
      {},
      ...remaining.map((d) =>
        h(
          'li',
          { testid: 'fix-remaining-item' },
          button(
            `${d.file}:${d.line}`,
            () => actions.send({ kind: 'openLocation', path: d.file, line: d.line }),
            {
              className: 'link location',
              'aria-label': `Open ${d.file} at line ${d.line}`,
            },
          ),
          ' ',
          d.code ? h('code', {}, d.code) : null,
          ' ',
          d.message,
          d.reason ? h('span', { className: 'muted' }, ` — ${d.reason}`) : null,
        ),
      ),
    ),
    total > remaining.length
      ? h(
          'p',
          { className: 'muted small' },
          `…and ${total - remaining.length} more (the Problems view lists them all).`,
        )
      : null,
  );
}
