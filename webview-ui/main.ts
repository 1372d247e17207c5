import './styles.css';
import { HostMessage, type AgentState, type PanelMessage } from '../protocol/webviewMessages';
import { FixHostMessage, type FixPanelMessage } from '../protocol/fixMessages';
import { MetricsHostMessage, type MetricsPanelMessage } from '../protocol/metricsMessages';
import type { ScanReport, ScanSummary } from '../protocol/scanReport';
import { button, h } from './dom';
import { countdown, focusApproval, renderApprovals, type PendingApproval } from './views/approvals';
import { createAlwaysAllowView, renderAlwaysAllow } from './views/alwaysAllow';
import './views/approvals.css';
import { renderFindings, renderSummary } from './views/report';
import { renderRuns, updateRunOutput, type RunItem } from './views/runs';
import { keepFocus } from './views/profile';
import { applyTesting, createTestingState, renderTesting } from './views/tests';
import { applyFix, createFixesState, patchFixProgress, renderFixes } from './views/fixes';
import './views/fixes.css';
import { applyMetrics, createMetricsView, renderMetrics } from './views/metrics';
import { renderGuide, renderNextStepAction } from './views/guide';
import {
  applyOnboarding,
  createOnboardingState,
  nextStepViews,
  type GuideHost,
  type GuideScan,
  type PanelFacts,
} from './views/guideModel';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };
const vscode = acquireVsCodeApi();
const send = (message: PanelMessage | FixPanelMessage | MetricsPanelMessage) => vscode.postMessage(message);

type ScanView =
  | { state: 'idle' }
  | { state: 'scanning'; scanId: string; root: string; progress?: string; summary?: ScanSummary }
  | { state: 'done'; report: ScanReport }
  | { state: 'failed'; message: string; hint?: string }
  | { state: 'cancelled' };

const model: {
  version: string;
  trusted: boolean;
  folder: string | null;
  agent: AgentState;
  agentMessage?: string;
  scan: ScanView;
  approvals: Map<string, PendingApproval>;
  /** Null until the agent said; then whether commands run in the OS sandbox. */
  sandbox: { available: boolean; reason?: string } | null;
  runs: Map<string, RunItem>;
} = {
  version: '',
  trusted: true,
  folder: null,
  agent: 'starting',
  scan: { state: 'idle' },
  approvals: new Map(),
  sandbox: null,
  runs: new Map(),
};

/** Runs the panel keeps (the host keeps the same number). */
const KEEP_RUNS = 5;
/** Profile, test run and apps (views/tests.ts). */
const testing = createTestingState();
/** Fix tasks, their fixes and receipts (views/fixes.ts). */
const fixes = createFixesState();
/** The workspace's "always allow" entries (views/alwaysAllow.ts). */
const alwaysAllow = createAlwaysAllowView();
/** The KPIs of the audit trail (views/metrics.ts); the card updates itself in place. */
const metrics = createMetricsView();
/** The guided first win and its time (views/guide.ts). */
const onboarding = createOnboardingState();
/** Approvals whose "exactly what runs" disclosure is open. */
const openApprovalDetails = new Set<string>();
/** An approval card to give the focus to after the next render (a card was answered from the keyboard). */
let focusAfterRender: { approvalId?: string } | undefined;
let initialised = false;

const app = document.getElementById('app')!;

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  // The Fixes card has its own union (protocol/fixMessages.ts), parsed first.
  const fix = FixHostMessage.safeParse(event.data);
  if (fix.success) {
    const applied = applyFix(fixes, fix.data);
    if (applied === 'progress' && patchFixProgress(app, fixes, (fix.data as { runId: string }).runId)) return;
    render();
    return;
  }
  const metricsMessage = MetricsHostMessage.safeParse(event.data);
  if (metricsMessage.success) {
    applyMetrics(metrics, metricsMessage.data);
    return;
  }
  const parsed = HostMessage.safeParse(event.data);
  if (!parsed.success) return; // not ours (VS Code posts its own messages into webviews too)
  // Output of a running command updates its own <pre>, test progress its own card; everything
  // else re-renders the panel.
  const applied = apply(parsed.data);
  if (applied === 'patched') return;
  if (applied === 'focus') {
    focusApproval(app, (parsed.data as { approvalId?: string }).approvalId);
    return;
  }
  if (applied === 'output' && updateRunOutput(app, model.runs.get((parsed.data as { runId: string }).runId)!))
    return;
  render();
});

function apply(message: HostMessage): 'output' | 'patched' | 'focus' | void {
  switch (message.kind) {
    case 'init':
      initialised = true;
      model.version = message.version;
      model.trusted = message.trusted;
      model.folder = message.folder;
      model.agent = message.agent;
      return;
    case 'agentState':
      model.agent = message.state;
      model.agentMessage = message.message;
      return;
    case 'trust':
      model.trusted = message.trusted;
      return;
    case 'scanStarted':
      model.scan = { state: 'scanning', scanId: message.scanId, root: message.root };
      return;
    case 'scanProgress':
      if (model.scan.state === 'scanning' && model.scan.scanId === message.scanId)
        model.scan.progress = message.message;
      return;
    case 'scanSummary':
      if (model.scan.state === 'scanning' && model.scan.scanId === message.scanId)
        model.scan.summary = message.summary;
      return;
    case 'scanReport':
      model.scan = { state: 'done', report: message.report };
      return;
    case 'scanFailed':
      model.scan = { state: 'failed', message: message.message, hint: message.hint };
      return;
    case 'scanCancelled':
      model.scan = { state: 'cancelled' };
      return;
    case 'approvalRequested':
      model.approvals.set(message.approval.approvalId, message.approval);
      return;
    case 'approvalResolved': {
      // The card that had the focus goes: the next pending one (now at the top) takes it.
      const card = document.activeElement?.closest<HTMLElement>('[data-testid="approval"]');
      if (card?.dataset.approvalId === message.approvalId) focusAfterRender = {};
      model.approvals.delete(message.approvalId);
      openApprovalDetails.delete(message.approvalId);
      return;
    }
    case 'focusApproval':
      return 'focus';
    case 'alwaysAllowEntries':
      alwaysAllow.entries = message.entries;
      alwaysAllow.error = message.error;
      alwaysAllow.revoking.clear();
      return;
    case 'sandbox':
      model.sandbox = { available: message.available, ...(message.reason ? { reason: message.reason } : {}) };
      return;
    case 'runStarted':
      model.runs.set(message.runId, { ...message, tail: '', total: 0 });
      for (const id of [...model.runs.keys()].slice(0, Math.max(0, model.runs.size - KEEP_RUNS)))
        model.runs.delete(id);
      return;
    case 'runOutput': {
      const r = model.runs.get(message.runId);
      if (!r) return;
      const first = r.total === 0;
      r.tail = message.tail;
      r.total = message.total;
      return first ? undefined : 'output';
    }
    case 'runFinished': {
      const r = model.runs.get(message.runId);
      if (r) r.finished = message;
      return;
    }
    case 'onboarding':
      applyOnboarding(onboarding, message);
      return;
    case 'profile':
    case 'testStarted':
    case 'testProgress':
    case 'testFinished':
    case 'appState':
      return applyTesting(testing, message);
    default: {
      const unreachable: never = message;
      return unreachable;
    }
  }
}

function render(): void {
  if (!initialised) return;
  const approvals = renderApprovals([...model.approvals.values()], {
    decide: (approvalId, decision) => send({ kind: 'decideApproval', approvalId, decision }),
    openDetails: openApprovalDetails,
  });
  const runs = renderRuns([...model.runs.values()], {
    cancel: (runId) => send({ kind: 'cancelRun', runId }),
    runCommand: () => send({ kind: 'runCommand' }),
    trusted: model.trusted,
    waiting: new Set([...model.approvals.values()].flatMap((a) => (a.runId ? [a.runId] : []))),
  });
  const children: (HTMLElement | null)[] = [
    // Pinned first: what waits for the person comes before everything else, in focus order too.
    approvals,
    agentBanner(),
    trustBanner(),
    sandboxBanner(),
    renderGuide(facts(), guideHost),
    renderTesting(testing, { send, trusted: model.trusted, render }),
    renderFixes(fixes, { send, trusted: model.trusted }),
    runs,
    renderAlwaysAllow(alwaysAllow, {
      revoke: (id) => {
        alwaysAllow.revoking.add(id);
        send({ kind: 'revokeAlwaysAllow', id });
        render();
      },
      reload: () => send({ kind: 'loadAlwaysAllow' }),
    }),
    renderMetrics(metrics, send),
    ...scanSection(),
  ];
  keepFocus(() => app.replaceChildren(...children.filter((c): c is HTMLElement => c !== null)));
  if (focusAfterRender) {
    focusAfterRender = undefined;
    focusApproval(app);
  }
}

const guideHost: GuideHost = { send, render };

/** What the guide and the next steps read (views/guideModel.ts). */
function facts(): PanelFacts {
  return { trusted: model.trusted, scan: guideScan(), testing, fixes, onboarding };
}

function guideScan(): GuideScan {
  const scan = model.scan;
  switch (scan.state) {
    case 'done':
      return { state: 'done', report: scan.report };
    case 'failed':
      return { state: 'failed', message: scan.message };
    default:
      return { state: scan.state };
  }
}

function agentBanner(): HTMLElement | null {
  if (model.agent !== 'failed' && model.agent !== 'stopped') return null;
  return h(
    'div',
    { className: 'banner error', role: 'alert', testid: 'agent-banner' },
    model.agent === 'failed'
      ? 'The NAVI agent stopped and was not restarted.'
      : 'The NAVI agent is restarting…',
    ' ',
    button('Show Log', () => send({ kind: 'showLog' }), { className: 'link' }),
  );
}

function sandboxBanner(): HTMLElement | null {
  if (!model.trusted || !model.sandbox || model.sandbox.available) return null;
  return h(
    'div',
    { className: 'banner', role: 'note', testid: 'sandbox-banner' },
    h('strong', {}, 'No OS sandbox. '),
    `Commands run without one here${model.sandbox.reason ? ` (${model.sandbox.reason})` : ''}, so NAVI asks before anything that is not read-only.`,
  );
}

function trustBanner(): HTMLElement | null {
  if (model.trusted) return null;
  return h(
    'div',
    { className: 'banner', role: 'note', testid: 'trust-banner' },
    h('strong', {}, 'Restricted Mode. '),
    'NAVI scans this folder read-only and runs nothing here: running tests, commands and fixes needs a trusted workspace (and the workspace policy is ignored until then).',
    ' ',
    button('Manage Workspace Trust', () => send({ kind: 'manageTrust' }), { className: 'link' }),
  );
}

function scanSection(): HTMLElement[] {
  const scan = model.scan;
  const scanButton = (label: string) =>
    button(label, () => send({ kind: 'scan' }), { testid: 'scan-button', className: 'primary' });
  switch (scan.state) {
    case 'idle':
      return [
        h(
          'section',
          { className: 'intro' },
          h('h2', {}, model.folder ? `Get to know ${model.folder}` : 'No folder open'),
          h(
            'p',
            {},
            model.folder
              ? 'NAVI reads the repository — files, languages, projects and their commands, CI — and points out risks such as committed secrets, with next steps.'
              : 'Open a folder, then scan it to see its projects, commands, risks and next steps.',
          ),
          scanButton('Scan repository'),
        ),
      ];
    case 'scanning':
      return [
        h(
          'div',
          { className: 'progress', testid: 'scan-progress', role: 'status' },
          h('span', { className: 'spinner', 'aria-hidden': 'true' }),
          h(
            'span',
            {},
            scan.summary ? 'Checking for risks… ' : 'Scanning… ',
            h('span', { className: 'muted' }, scan.progress ?? ''),
          ),
          button('Cancel', () => send({ kind: 'cancelScan' }), { className: 'secondary' }),
        ),
        ...(scan.summary ? renderSummary(scan.summary) : []),
      ];
    case 'done':
      return [
        h(
          'div',
          { className: 'report', testid: 'scan-report' },
          h(
            'div',
            { className: 'toolbar' },
            h('span', { className: 'muted root', title: scan.report.root }, baseName(scan.report.root)),
            scanButton('Rescan'),
          ),
          ...renderSummary(scan.report),
          ...renderFindings(scan.report, {
            openFile: (path, line) => send({ kind: 'openFile', path, line }),
            nextSteps: {
              views: nextStepViews(scan.report, facts()),
              renderAction: (step) => renderNextStepAction(step, facts(), guideHost),
            },
          }),
        ),
      ];
    case 'failed':
      return [
        h(
          'div',
          { className: 'banner error', role: 'alert', testid: 'scan-error' },
          h('strong', {}, 'The scan failed. '),
          scan.message,
          scan.hint ? h('p', {}, scan.hint) : null,
          button('Show Log', () => send({ kind: 'showLog' }), { className: 'link' }),
        ),
        scanButton('Try again'),
      ];
    case 'cancelled':
      return [h('p', { className: 'muted' }, 'Scan cancelled.'), scanButton('Scan repository')];
  }
}

function baseName(p: string): string {
  return p.split(/[\\/]/).filter(Boolean).pop() ?? p;
}

// Countdowns tick without re-rendering the panel.
setInterval(() => {
  for (const el of document.querySelectorAll<HTMLElement>('[data-testid="approval-countdown"]')) {
    el.textContent = countdown(Number(el.dataset.expires));
  }
}, 1000);

send({ kind: 'ready' });
