import { button, h } from '../dom';

/** A command NAVI ran (or was asked to run) from this window, as the panel shows it. */
export interface RunItem {
  runId: string;
  command: string;
  cwd: string;
  startedAt: number;
  tail: string;
  total: number;
  finished?: {
    ran: boolean;
    message: string;
    ok: boolean;
    exitCode?: number | null;
    verdict?: string;
    logFile?: string;
  };
}

/** Newest first: the command, its state, and the latest part of its output. */
export function renderRuns(
  runs: readonly RunItem[],
  actions: {
    cancel: (runId: string) => void;
    runCommand: () => void;
    trusted: boolean;
    /** Runs that wait for the user's answer to an approval. */
    waiting: ReadonlySet<string>;
  },
): HTMLElement | null {
  if (runs.length === 0) return null;
  return h(
    'section',
    { className: 'runs', 'aria-labelledby': 'h-runs', testid: 'runs' },
    h(
      'div',
      { className: 'section-head' },
      h('h2', { id: 'h-runs' }, 'Commands'),
      actions.trusted
        ? button('Run a command…', actions.runCommand, { className: 'link', testid: 'run-command' })
        : null,
    ),
    ...[...runs].reverse().map((r) => renderRun(r, actions.cancel, actions.waiting.has(r.runId))),
  );
}

function renderRun(r: RunItem, cancel: (runId: string) => void, waiting: boolean): HTMLElement {
  const state = !r.finished ? 'running' : r.finished.ok ? 'ok' : r.finished.ran ? 'failed' : 'not-run';
  const output = h('pre', { className: 'output', testid: 'run-output', 'aria-label': 'Output', tabindex: 0 });
  fillOutput(output, r);
  return h(
    'article',
    { className: `run run-${state}`, testid: 'run', 'data-run-id': r.runId, 'data-state': state },
    h('pre', { className: 'command', testid: 'run-command-text' }, r.command),
    h(
      'div',
      { className: 'run-status', role: 'status', testid: 'run-status' },
      r.finished ? r.finished.message : waiting ? 'Waiting for your approval (above)…' : 'Running…',
      !r.finished ? ' ' : null,
      !r.finished
        ? button('Stop', () => cancel(r.runId), { className: 'secondary', testid: 'run-stop' })
        : null,
    ),
    r.total > 0 ? output : null,
    r.finished?.logFile && r.total > r.tail.length
      ? h('p', { className: 'muted' }, 'Full output: ', h('code', {}, r.finished.logFile))
      : null,
  );
}

/** Updates a run's output in place (no re-render), keeping the view at the bottom if it was there. */
export function updateRunOutput(root: ParentNode, r: RunItem): boolean {
  const article = root.querySelector<HTMLElement>(
    `[data-testid="run"][data-run-id="${CSS.escape(r.runId)}"]`,
  );
  const pre = article?.querySelector<HTMLElement>('[data-testid="run-output"]');
  if (!pre) return false;
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  fillOutput(pre, r);
  if (atBottom) pre.scrollTop = pre.scrollHeight;
  return true;
}

function fillOutput(pre: HTMLElement, r: RunItem): void {
  const cut = r.total > r.tail.length;
  pre.textContent = `${cut ? `… (${formatChars(r.total - r.tail.length)} earlier not shown)\n` : ''}${r.tail}`;
}

function formatChars(n: number): string {
  return n >= 1024 * 1024
    ? `${(n / 1024 / 1024).toFixed(1)} MB`
    : n >= 1024
      ? `${Math.round(n / 1024)} KB`
      : `${n} characters`;
}
