import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './metrics.css';
import type { MetricsResult, TaskCategoryMetrics } from '../../protocol/metrics';
import type { MetricsHostMessage, MetricsPanelMessage } from '../../protocol/metricsMessages';
import { button, h } from '../dom';

/**
 * The Metrics card: the KPIs the agent computed from the verified audit log (`navi/metrics`).
 * The card is one long-lived element (the chart's canvas is not redrawn on every panel render);
 * it asks for the numbers when first opened and on Refresh. The chart (uPlot) has a text
 * alternative: the tasks table beside it holds the same numbers.
 */

export interface MetricsView {
  state: 'closed' | 'loading' | 'shown' | 'failed';
  metrics?: MetricsResult;
  error?: string;
  /** The card, kept across renders. */
  element?: HTMLElement;
  chart?: uPlot;
  resize?: ResizeObserver;
}

export function createMetricsView(): MetricsView {
  return { state: 'closed' };
}

/** Applies a host message and redraws the card's body in place. */
export function applyMetrics(view: MetricsView, message: MetricsHostMessage): void {
  switch (message.kind) {
    case 'metricsLoading':
      view.state = 'loading';
      break;
    case 'metrics':
      view.state = 'shown';
      view.metrics = message.metrics;
      view.error = undefined;
      break;
    case 'metricsFailed':
      view.state = 'failed';
      view.error = message.message;
      break;
    default: {
      const unreachable: never = message;
      return unreachable;
    }
  }
  if (view.element) fillBody(view, view.element.querySelector<HTMLElement>('.metrics-body')!);
}

/** The card (created once; later calls return the same element). */
export function renderMetrics(view: MetricsView, send: (m: MetricsPanelMessage) => void): HTMLElement {
  if (view.element) return view.element;
  const body = h('div', { className: 'metrics-body' });
  const details = h(
    'details',
    { className: 'metrics', testid: 'metrics' },
    h('summary', { id: 'h-metrics' }, h('h2', {}, 'Metrics')),
    h(
      'div',
      { className: 'actions' },
      button('Refresh', () => send({ kind: 'loadMetrics' }), {
        className: 'secondary',
        testid: 'metrics-refresh',
        title: 'Compute the numbers again from the audit trail',
      }),
    ),
    body,
  );
  details.addEventListener('toggle', () => {
    if (details.open && view.state === 'closed') send({ kind: 'loadMetrics' });
  });
  view.element = details;
  fillBody(view, body);
  return details;
}

const pct = (r: number | null) => (r === null ? '—' : `${Math.round(r * 1000) / 10}%`);

/** Compact, for a narrow sidebar: 73ms, 4.2s, 3m5s. */
function duration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** The tasks table's columns: what is shown, and what a screen reader says. */
const TASK_COLUMNS: [text: string, label: string][] = [
  ['Task', 'Task category'],
  ['Runs', 'Finished'],
  ['Success', 'Success rate'],
  ['Errors', 'Error rate'],
  ['p50', 'Median duration'],
  ['p95', '95th percentile duration'],
];

function fillBody(view: MetricsView, body: HTMLElement): void {
  view.chart?.destroy();
  view.chart = undefined;
  view.resize?.disconnect();
  view.resize = undefined;
  if (view.state === 'closed' || (view.state === 'loading' && !view.metrics)) {
    body.replaceChildren(h('p', { className: 'muted', role: 'status' }, 'Reading the audit trail…'));
    return;
  }
  if (view.state === 'failed') {
    body.replaceChildren(
      h('div', { className: 'banner error', role: 'alert', testid: 'metrics-error' }, view.error ?? ''),
    );
    return;
  }
  const m = view.metrics!;
  const chartHost = h('div', {
    className: 'metrics-chart',
    role: 'img',
    'aria-label': `Chart: tasks finished and succeeded by category. ${chartSummary(m.tasks)}. The table below has the same numbers.`,
    testid: 'metrics-chart',
  });
  const parts: (HTMLElement | null)[] = [
    h(
      'p',
      { className: 'muted small', testid: 'metrics-source' },
      m.exists
        ? `From ${m.events} verified events of the audit trail${m.lastEventAt ? `, last at ${new Date(m.lastEventAt).toLocaleString()}` : ''}.`
        : 'No audit trail yet: NAVI starts it when it first judges or runs a command.',
    ),
    m.brokenAt
      ? h(
          'div',
          { className: 'banner error', role: 'alert', testid: 'metrics-broken' },
          `The audit trail's chain is broken at line ${m.brokenAt.line}; nothing from there on is counted.`,
        )
      : null,
    chartHost,
    tasksTable(m.tasks),
    commandsBlock(m),
    fixesBlock(m),
    firstWinBlock(m),
    orgBlock(m),
  ];
  body.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
  // The chart needs its host laid out to know its width.
  requestAnimationFrame(() => {
    if (!chartHost.isConnected) return;
    view.chart = drawChart(chartHost, m.tasks);
    view.resize = new ResizeObserver(() => {
      const width = chartHost.clientWidth;
      if (view.chart && width > 0 && width !== view.chart.width)
        view.chart.setSize({ width, height: CHART_HEIGHT });
    });
    view.resize.observe(chartHost);
  });
}

function chartSummary(tasks: readonly TaskCategoryMetrics[]): string {
  return tasks
    .filter((t) => t.recorded)
    .map((t) => `${t.category} ${t.count} finished, ${t.succeeded} succeeded`)
    .join('; ');
}

function tasksTable(tasks: readonly TaskCategoryMetrics[]): HTMLElement {
  const cell = (text: string, col: string) => h('td', { 'data-col': col }, text);
  const table = h(
    'table',
    { className: 'metrics-table', testid: 'metrics-tasks' },
    h('caption', {}, 'Tasks by category'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...TASK_COLUMNS.map(([text, label]) =>
          h('th', { scope: 'col', ...(text === label ? {} : { 'aria-label': label, title: label }) }, text),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...tasks.map((t) =>
        h(
          'tr',
          { 'data-category': t.category },
          h('th', { scope: 'row' }, t.category),
          ...(t.recorded
            ? [
                cell(String(t.count) + (t.unfinished ? ` (+${t.unfinished} running)` : ''), 'count'),
                cell(pct(t.successRate), 'success'),
                cell(pct(t.errorRate), 'errors'),
                cell(duration(t.p50Ms), 'p50'),
                cell(duration(t.p95Ms), 'p95'),
              ]
            : [h('td', { colspan: 5, className: 'muted' }, 'not recorded in the audit trail')]),
        ),
      ),
    ),
  );
  return h('div', { className: 'metrics-table-wrap' }, table);
}

function commandsBlock(m: MetricsResult): HTMLElement {
  const c = m.commands;
  const rules = c.byRule.slice(0, 10);
  return h(
    'div',
    { testid: 'metrics-commands' },
    h('h3', {}, 'Commands'),
    h(
      'p',
      { testid: 'metrics-decisions' },
      `${c.allowed} allowed by the policy, ${c.approved} approved, ${c.denied} denied.`,
    ),
    rules.length
      ? h(
          'table',
          { className: 'metrics-table' },
          h('caption', {}, c.byRule.length > rules.length ? `By rule (top ${rules.length})` : 'By rule'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Rule', 'Allowed', 'Approved', 'Denied'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            {},
            ...rules.map((r) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, h('code', {}, r.ruleId)),
                h('td', {}, String(r.allowed)),
                h('td', {}, String(r.approved)),
                h('td', {}, String(r.denied)),
              ),
            ),
          ),
        )
      : null,
  );
}

function fixesBlock(m: MetricsResult): HTMLElement {
  const f = m.fixes;
  return h(
    'div',
    {},
    h('h3', {}, 'Fixes'),
    h(
      'p',
      { testid: 'metrics-fixes' },
      `${f.verified} verified, ${f.failedVerification} failed verification, ${f.kept} kept, ${f.rolledBack} rolled back.`,
    ),
  );
}

const FIRST_WIN_VIA = { fix: 'a verified fix', test: 'tests passed', start: 'the app answered' } as const;

function firstWinBlock(m: MetricsResult): HTMLElement {
  const w = m.firstWin;
  return h(
    'div',
    {},
    h('h3', {}, 'Time to first win'),
    h(
      'p',
      { testid: 'metrics-first-win', 'data-ms': w.latest ? String(w.latest.durationMs) : undefined },
      w.latest
        ? `${duration(w.latest.durationMs)} (${FIRST_WIN_VIA[w.latest.via]}), from the panel first opened to the first verified result${
            w.workspaces > 1 ? `; median ${duration(w.p50Ms)} over ${w.workspaces} workspaces` : ''
          }.`
        : 'None yet: the panel’s first opening in a workspace to its first verified fix, passing test run or app that answered.',
    ),
  );
}

function orgBlock(m: MetricsResult): HTMLElement | null {
  if (!m.org) return null;
  const o = m.org;
  return h(
    'div',
    { testid: 'metrics-org' },
    h('h3', {}, `Org upload${o.org ? ` (${o.org})` : ''}`),
    h(
      'p',
      {},
      `${o.pending} events pending; last upload ${o.lastUploadAt ? new Date(o.lastUploadAt).toLocaleString() : 'not yet (since NAVI started)'}.`,
    ),
    o.lastError ? h('p', { className: 'exit-bad' }, `Last error: ${o.lastError}`) : null,
  );
}

const CHART_HEIGHT = 140;

/** Theme colour of a `--vscode-*` variable (the chart draws on a canvas, which cannot use var()). */
function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function drawChart(host: HTMLElement, tasks: readonly TaskCategoryMetrics[]): uPlot {
  const shown = tasks.filter((t) => t.recorded);
  const fg = themeColor('--vscode-descriptionForeground', '#888');
  const grid = themeColor('--vscode-widget-border', 'rgba(128,128,128,0.25)');
  const bars = uPlot.paths.bars!;
  const axis: uPlot.Axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { show: false } };
  return new uPlot(
    {
      width: host.clientWidth || 260,
      height: CHART_HEIGHT,
      legend: { show: true, live: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: {
        x: { time: false, range: [-0.5, shown.length - 0.5] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
      },
      axes: [
        {
          ...axis,
          grid: { show: false },
          splits: () => shown.map((_, i) => i),
          values: (_u, splits) => splits.map((i) => shown[i]?.category ?? ''),
        },
        {
          ...axis,
          size: 32,
          values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')),
        },
      ],
      series: [
        {},
        {
          label: 'Finished',
          stroke: themeColor('--vscode-charts-blue', '#3794ff'),
          fill: themeColor('--vscode-charts-blue', '#3794ff'),
          paths: bars({ size: [0.7, 48] }),
          points: { show: false },
        },
        {
          label: 'Succeeded',
          stroke: themeColor('--vscode-charts-green', '#89d185'),
          fill: themeColor('--vscode-charts-green', '#89d185'),
          paths: bars({ size: [0.35, 24] }),
          points: { show: false },
        },
      ],
    },
    [shown.map((_, i) => i), shown.map((t) => t.count), shown.map((t) => t.succeeded)],
    host,
  );
}
