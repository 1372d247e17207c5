import './testing.css';
import type { HostMessage, PanelMessage, TestRunSummary } from '../../protocol/webviewMessages';
import { button, h } from '../dom';
import { renderApps, type AppView } from './apps';
import { renderProfile, type ProfileState } from './profile';

type Msg<K extends HostMessage['kind']> = Extract<HostMessage, { kind: K }>;

/** The test run the panel shows: running (with its latest progress) or finished. */
interface TestView {
  started: Msg<'testStarted'>;
  progress?: Msg<'testProgress'>;
  /** Panel clock when the latest progress (or the start) arrived: the elapsed time ticks from it. */
  progressAt: number;
  finished?: Msg<'testFinished'>;
}

/** Everything of the "Tests and app" section. */
export interface TestingState {
  profile: ProfileState;
  test?: TestView;
  apps: Map<string, AppView>;
}

export function createTestingState(): TestingState {
  return {
    profile: { value: null, loading: false, editing: false, drafts: new Map() },
    apps: new Map(),
  };
}

export type TestingMessage = Msg<'profile' | 'testStarted' | 'testProgress' | 'testFinished' | 'appState'>;

/**
 * Applies a host message to the state. Returns 'patched' when it updated the DOM in place (test
 * progress ticks about once a second and must not rebuild the panel under someone's cursor).
 */
export function applyTesting(state: TestingState, message: TestingMessage): 'patched' | void {
  switch (message.kind) {
    case 'profile': {
      const p = state.profile;
      p.loading = message.loading === true;
      if (message.error !== undefined) p.error = message.error;
      else if (!message.loading) delete p.error;
      if (message.profile) {
        const saved = p.value?.status === 'proposed' && message.profile.status === 'confirmed';
        const changed = p.value?.confirmedAt !== message.profile.confirmedAt || saved;
        p.value = message.profile;
        if (message.edit) p.editing = true;
        else if (changed && !message.error) {
          p.editing = false;
          p.drafts.clear();
        }
      }
      return;
    }
    case 'testStarted':
      state.test = { started: message, progressAt: Date.now() };
      return;
    case 'testProgress': {
      const t = state.test;
      if (!t || t.started.runId !== message.runId || t.finished) return;
      t.progress = message;
      t.progressAt = Date.now();
      return patchProgress(t) ? 'patched' : undefined;
    }
    case 'testFinished': {
      const t = state.test;
      if (t && t.started.runId === message.runId) t.finished = message;
      return;
    }
    case 'appState': {
      const seen = state.apps.get(message.app.appId);
      state.apps.set(message.app.appId, {
        app: message.app,
        project: message.project,
        startedAt: message.startedAt,
        seenAt: seen?.seenAt ?? Date.now(),
      });
      return;
    }
    default: {
      const unreachable: never = message;
      return unreachable;
    }
  }
}

export interface TestingActions {
  send: (message: PanelMessage) => void;
  trusted: boolean;
  /** Re-render the panel (after a local change such as opening the profile editor). */
  render: () => void;
}

/** The "Tests and app" section: actions, the running app, the test run, the project profile. */
export function renderTesting(state: TestingState, actions: TestingActions): HTMLElement {
  const { send } = actions;
  const running = state.test && !state.test.finished;
  const live = [...state.apps.values()].some((a) => a.app.status === 'starting' || a.app.status === 'ready');
  return h(
    'section',
    { className: 'testing', 'aria-labelledby': 'h-testing', testid: 'testing' },
    h('h2', { id: 'h-testing' }, 'Tests and app'),
    h(
      'div',
      { className: 'actions testing-actions' },
      button('Run tests', () => send({ kind: 'runTests' }), {
        className: 'primary',
        testid: 'run-tests',
        disabled: !actions.trusted || running,
        title: actions.trusted ? 'Run the profile’s test command through NAVI' : 'Needs a trusted workspace',
      }),
      button('Start app', () => send({ kind: 'startApp' }), {
        className: 'secondary',
        testid: 'start-app',
        disabled: !actions.trusted || live,
        title: actions.trusted
          ? 'Run the profile’s start command and open its URL'
          : 'Needs a trusted workspace',
      }),
    ),
    !actions.trusted
      ? h(
          'p',
          { className: 'muted small', testid: 'testing-restricted' },
          'Running tests and starting the app run workspace code: trust the workspace to use them.',
        )
      : null,
    ...renderApps([...state.apps.values()], {
      open: (appId, where) => send({ kind: 'openApp', appId, where }),
      stop: (appId) => send({ kind: 'stopApp', appId }),
      output: () => send({ kind: 'showAppOutput' }),
    }),
    state.test ? renderTestRun(state.test, send) : null,
    renderProfile(state.profile, {
      save: (projects) => send({ kind: 'saveProfile', projects }),
      load: () => send({ kind: 'loadProfile' }),
      changed: actions.render,
    }),
  );
}

function renderTestRun(t: TestView, send: TestingActions['send']): HTMLElement {
  if (!t.finished) return renderProgress(t, send);
  const { summary, error, hint } = t.finished;
  if (!summary)
    return h(
      'div',
      {
        className: `card test-run ${error === 'Stopped.' ? '' : 'status-error'}`,
        testid: 'test-summary',
        'data-status': error === 'Stopped.' ? 'cancelled' : 'error',
      },
      h(
        'div',
        { className: 'card-head' },
        h('strong', {}, error === 'Stopped.' ? 'Tests stopped.' : 'Tests did not run'),
      ),
      error && error !== 'Stopped.' ? h('p', {}, error) : null,
      hint ? h('p', { className: 'muted' }, hint) : null,
    );
  return renderSummary(summary, t.started, send);
}

function renderProgress(t: TestView, send: TestingActions['send']): HTMLElement {
  const p = t.progress;
  return h(
    'div',
    {
      className: 'card test-run running',
      testid: 'test-progress',
      role: 'status',
      'data-run-id': t.started.runId,
    },
    h(
      'div',
      { className: 'card-head' },
      h('span', { className: 'spinner', 'aria-hidden': 'true' }),
      h('strong', {}, `Running ${t.started.scope}`),
      h('span', { className: 'muted', testid: 'test-step' }, stepText(p)),
      elapsedOf(t),
      h('span', { className: 'spacer' }),
      button('Stop', () => send({ kind: 'cancelTests', runId: t.started.runId }), {
        className: 'secondary',
        testid: 'test-stop',
      }),
    ),
    h('pre', { className: 'command', testid: 'test-command' }, p?.command ?? 'Waiting for the agent…'),
    h(
      'div',
      { className: 'last-line', testid: 'test-last-line', title: 'Latest output line' },
      p?.lastLine || ' ',
    ),
  );
}

/** Updates the progress card in place; false when it is not on screen (the caller re-renders). */
function patchProgress(t: TestView): boolean {
  const card = document.querySelector<HTMLElement>(
    `[data-testid="test-progress"][data-run-id="${CSS.escape(t.started.runId)}"]`,
  );
  if (!card || !t.progress) return false;
  const set = (id: string, text: string) => {
    const el = card.querySelector<HTMLElement>(`[data-testid="${id}"]`);
    if (el && el.textContent !== text) el.textContent = text;
  };
  set('test-step', stepText(t.progress));
  set('test-command', t.progress.command);
  set('test-last-line', t.progress.lastLine || ' ');
  card.querySelector('[data-testid="test-elapsed"]')?.replaceWith(elapsedOf(t));
  return true;
}

/**
 * The run's clock: the tests' own time, ticking only while their process runs; while the step
 * waits for an approval (or is being prepared) it says so instead of counting.
 */
function elapsedOf(t: TestView): HTMLElement {
  const p = t.progress;
  const phase = p ? (p.phase ?? 'running') : 'starting';
  if (phase !== 'running')
    return h(
      'span',
      { className: 'muted elapsed', testid: 'test-elapsed', 'data-phase': phase },
      phase === 'approval' ? 'waiting for approval' : 'starting…',
    );
  return h(
    'span',
    {
      className: 'muted elapsed',
      testid: 'test-elapsed',
      'data-phase': phase,
      'data-elapsed-base': String(p?.elapsedMs ?? 0),
      'data-elapsed-at': String(t.progressAt),
    },
    clock(p?.elapsedMs ?? 0),
  );
}

function stepText(p: Msg<'testProgress'> | undefined): string {
  if (!p) return '';
  const parts = [
    p.steps > 1 ? `step ${p.step + 1} of ${p.steps}` : '',
    p.done !== undefined ? `${p.done} done` : '',
  ];
  return parts.filter(Boolean).join(' · ');
}

function renderSummary(
  s: TestRunSummary,
  started: Msg<'testStarted'>,
  send: TestingActions['send'],
): HTMLElement {
  const t = s.totals;
  const total = t.passed + t.failed + t.skipped + t.todo;
  const open = (path: string, line?: number) =>
    send({ kind: 'openLocation', path, ...(line ? { line } : {}) });
  const headline =
    s.status === 'passed'
      ? total === 0 || t.passed === 0
        ? `No test ran${total ? ` (${total} skipped)` : ''}`
        : t.passed === total
          ? `All ${total} tests passed`
          : `${t.passed} of ${total} tests passed`
      : s.status === 'cancelled'
        ? 'Tests stopped'
        : t.failed > 0
          ? `${t.failed} of ${total} tests failed`
          : 'Tests did not pass';
  // One test step that ran: its totals are the run's, so only a list of several (or a crash, a
  // denial, a check) says more than the headline.
  const showSteps =
    s.steps.length > 1 ||
    s.steps.some((st) => st.kind === 'check' || st.status === 'error' || st.status === 'denied');
  return h(
    'div',
    { className: `card test-run status-${s.status}`, testid: 'test-summary', 'data-status': s.status },
    h(
      'div',
      { className: 'card-head' },
      h('span', { className: `status-icon icon-${s.status}`, 'aria-hidden': 'true' }, icon(s.status)),
      h('strong', { testid: 'test-headline' }, headline),
      h('span', { className: 'spacer' }),
      h(
        'span',
        { className: 'muted' },
        started.scope === 'all tests' ? '' : `${started.scope} · `,
        duration(t.durationMs),
      ),
    ),
    total > 0 ? totalsBar(t) : null,
    h(
      'div',
      { className: 'totals', testid: 'test-totals' },
      count(t.passed, 'passed', 'passed'),
      count(t.failed, 'failed', 'failed'),
      count(t.skipped, 'skipped', 'skipped'),
      t.todo ? count(t.todo, 'todo', 'skipped') : null,
    ),
    showSteps
      ? h(
          'ol',
          { className: 'steps', testid: 'test-steps', 'aria-label': 'Steps' },
          ...s.steps.map((st) =>
            h(
              'li',
              { className: `step step-${st.status}`, 'data-status': st.status },
              h(
                'span',
                { className: `status-icon icon-${st.status}`, 'aria-hidden': 'true' },
                icon(st.status),
              ),
              h('code', {}, st.command),
              h(
                'div',
                { className: 'muted small' },
                st.message,
                st.parsedFrom === 'text' ? ' (best-effort text parse)' : '',
                st.runner ? ` · ${st.runner}` : '',
                ` · ${duration(st.durationMs)}`,
              ),
              st.tail
                ? h('pre', { className: 'output', tabindex: 0, 'aria-label': 'Last output' }, st.tail)
                : null,
            ),
          ),
        )
      : null,
    s.failures.length
      ? h(
          'div',
          { className: 'failures' },
          h('h3', {}, s.failuresTotal === 1 ? 'Failure' : `Failures (${s.failuresTotal})`),
          h(
            'ul',
            { className: 'failure-list' },
            ...s.failures.map((f) =>
              h(
                'li',
                { className: 'failure', testid: 'test-failure', 'data-test-id': f.id },
                h(
                  'div',
                  { className: 'failure-head' },
                  h('span', { className: 'status-icon icon-failed', 'aria-hidden': 'true' }, icon('failed')),
                  h('span', { className: 'failure-name' }, [...f.suite, f.name].join(' › ')),
                ),
                f.file
                  ? button(`${f.file}${f.line ? `:${f.line}` : ''}`, () => open(f.file!, f.line), {
                      className: 'link location',
                      testid: 'test-failure-link',
                      title: 'Open the file at the failing line',
                    })
                  : null,
                h('pre', { className: 'failure-message' }, f.message),
                f.expected !== undefined || f.actual !== undefined
                  ? h(
                      'dl',
                      { className: 'diff' },
                      h('dt', {}, 'expected'),
                      h('dd', { className: 'expected' }, h('code', {}, f.expected ?? '')),
                      h('dt', {}, 'actual'),
                      h('dd', { className: 'actual' }, h('code', {}, f.actual ?? '')),
                    )
                  : null,
              ),
            ),
          ),
          s.failuresTotal > s.failures.length
            ? h(
                'p',
                { className: 'muted small' },
                `${s.failuresTotal - s.failures.length} more in the Problems view and the Test Explorer.`,
              )
            : null,
        )
      : null,
    s.slowest.length
      ? h(
          'div',
          { className: 'slowest' },
          h('h3', {}, 'Slowest tests'),
          h(
            'ol',
            { className: 'slow-list', testid: 'test-slowest' },
            ...s.slowest.map((t) =>
              h(
                'li',
                {},
                t.file
                  ? button(t.name, () => open(t.file!, t.line), {
                      className: 'link',
                      title: `${t.file}${t.line ? `:${t.line}` : ''}`,
                    })
                  : h('span', {}, t.name),
                h('span', { className: 'muted duration' }, duration(t.durationMs)),
              ),
            ),
          ),
        )
      : null,
  );
}

function totalsBar(t: TestRunSummary['totals']): HTMLElement {
  const total = t.passed + t.failed + t.skipped + t.todo;
  const seg = (n: number, cls: string) => {
    if (!n) return null;
    const el = h('span', { className: `seg seg-${cls}` });
    el.style.flexGrow = String(n); // CSSOM, not a style attribute: the panel's CSP forbids inline styles
    return el;
  };
  return h(
    'div',
    { className: 'totals-bar', role: 'img', 'aria-label': `${t.passed} of ${total} passed` },
    seg(t.failed, 'failed'),
    seg(t.passed, 'passed'),
    seg(t.skipped + t.todo, 'skipped'),
  );
}

function count(n: number, label: string, cls: string): HTMLElement {
  return h(
    'span',
    { className: `count count-${cls}${n ? '' : ' zero'}` },
    h('strong', {}, String(n)),
    ` ${label}`,
  );
}

function icon(status: string): string {
  switch (status) {
    case 'passed':
      return '✓';
    case 'failed':
    case 'error':
      return '✕';
    case 'denied':
      return '⊘';
    case 'cancelled':
    case 'skipped':
      return '○';
    default:
      return '•';
  }
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return clock(ms);
}

/** m:ss */
function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

// Elapsed times tick every second without re-rendering the panel.
setInterval(() => {
  const now = Date.now();
  for (const el of document.querySelectorAll<HTMLElement>('[data-elapsed-at]')) {
    el.textContent = clock(Number(el.dataset.elapsedBase) + now - Number(el.dataset.elapsedAt));
  }
}, 1000);
