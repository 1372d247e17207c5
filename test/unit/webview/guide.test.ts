import './panelEnv';
import * as assert from 'node:assert/strict';
import { outcome, toView } from '../../../extension/features/fix/fixModel';
import { FixHostMessage, FixPanelMessage } from '../../../protocol/fixMessages';
import { ScanReport, type NextStep } from '../../../protocol/scanReport';
import { WorkspaceProfile } from '../../../protocol/testing';
import { HostMessage, PanelMessage, type TestRunSummary } from '../../../protocol/webviewMessages';
import { applyFix, createFixesState } from '../../../webview-ui/views/fixes';
import {
  applyOnboarding,
  createOnboardingState,
  currentStep,
  formatDuration,
  guideSteps,
  nextStepViews,
  performAction,
  type AnyPanelMessage,
  type GuideActionId,
  type GuideHost,
  type GuideStep,
  type PanelFacts,
} from '../../../webview-ui/views/guideModel';
import { applyTesting, createTestingState } from '../../../webview-ui/views/tests';
import { fixRecord, fixResult, RECEIPT_ID, receiptSummary, TASK_ID } from '../extension/fixBuilders';

/**
 * The panel's guided first win and next steps against a fake host: the postMessage bridge as the
 * panel sees it (continue's MockIdeMessenger does the same for its webview). Messages the host
 * would post are checked with the protocol's schemas and applied the way webview-ui/main.ts does;
 * what the panel sends is recorded and checked with the schemas the host validates with.
 */
class MockPanelHost implements GuideHost {
  readonly sent: AnyPanelMessage[] = [];
  renders = 0;
  readonly facts: PanelFacts = {
    trusted: true,
    scan: { state: 'idle' },
    testing: createTestingState(),
    fixes: createFixesState(),
    onboarding: createOnboardingState(),
  };

  send(message: AnyPanelMessage): void {
    const ok = PanelMessage.safeParse(message).success || FixPanelMessage.safeParse(message).success;
    assert.ok(ok, `the host accepts ${JSON.stringify(message)}`);
    this.sent.push(message);
  }

  render(): void {
    this.renders++;
  }

  /** Host → panel, parsed like main.ts does (the Fixes union first). */
  post(raw: unknown): void {
    const fix = FixHostMessage.safeParse(raw);
    if (fix.success) {
      applyFix(this.facts.fixes, fix.data);
      return;
    }
    const message = HostMessage.parse(raw);
    switch (message.kind) {
      case 'scanStarted':
        this.facts.scan = { state: 'scanning' };
        return;
      case 'scanReport':
        this.facts.scan = { state: 'done', report: message.report };
        return;
      case 'scanFailed':
        this.facts.scan = { state: 'failed', message: message.message };
        return;
      case 'onboarding':
        applyOnboarding(this.facts.onboarding, message);
        return;
      case 'profile':
      case 'testStarted':
      case 'testFinished':
      case 'appState':
        applyTesting(this.facts.testing, message);
        return;
      default:
        throw new Error(`the fake host does not post ${message.kind}`);
    }
  }

  steps(): GuideStep[] {
    return guideSteps(this.facts);
  }

  step(id: GuideStep['id']): GuideStep {
    return this.steps().find((s) => s.id === id)!;
  }

  /** A click on the guide's button of that action (it must be there and enabled). */
  click(stepId: GuideStep['id'], action: GuideActionId): void {
    const button = this.step(stepId).actions.find((a) => a.id === action);
    assert.ok(button, `step ${stepId} offers ${action}`);
    assert.equal(button.disabledWhy, undefined, `${action} is enabled`);
    performAction(action, this.facts, this);
  }
}

const ROOT = '/work/repo';

function report(nextSteps: NextStep[] = []): ScanReport {
  return ScanReport.parse({
    root: ROOT,
    durationMs: 120,
    git: true,
    inventory: {
      files: 12,
      bytes: 3000,
      languages: [{ name: 'TypeScript', files: 5, bytes: 2000 }],
      source: 'git',
    },
    projects: [
      {
        path: '.',
        name: 'fixture',
        ecosystem: 'node',
        packageManager: 'npm',
        manifest: 'package.json',
        commands: {
          test: { command: 'npm test', source: 'package.json#scripts.test' },
          start: { command: 'npm start', source: 'package.json#scripts.start' },
          typecheck: { command: 'npm run typecheck', source: 'package.json#scripts.typecheck' },
        },
      },
    ],
    ci: [],
    risks: [{ id: 'no-ci', severity: 'low', title: 'No CI configuration', evidence: [] }],
    nextSteps,
    skipped: [],
    skippedTotal: 0,
  });
}

function profile(status: 'proposed' | 'confirmed'): WorkspaceProfile {
  return WorkspaceProfile.parse({
    root: ROOT,
    status,
    ...(status === 'confirmed' ? { confirmedAt: '2026-01-01T00:00:00.000Z' } : {}),
    projects: [
      {
        path: '.',
        ecosystem: 'node',
        commands: {
          test: { command: 'npm test', source: 'package.json#scripts.test' },
          start: { command: 'npm start', source: 'package.json#scripts.start' },
          typecheck: { command: 'npm run typecheck', source: 'package.json#scripts.typecheck' },
        },
      },
    ],
  });
}

function testSummary(status: TestRunSummary['status'], passed: number, failed = 0): TestRunSummary {
  return {
    status,
    totals: { passed, failed, skipped: 0, todo: 0, durationMs: 300 },
    steps: [],
    failures: [],
    failuresTotal: failed,
    slowest: [],
  };
}

/** Scan done and the proposed profile loaded: what the panel has a moment after "Scan". */
function scanned(host: MockPanelHost, nextSteps: NextStep[] = []): void {
  host.post({ kind: 'scanStarted', scanId: 's1', root: ROOT });
  host.post({ kind: 'scanReport', scanId: 's1', report: report(nextSteps) });
  host.post({ kind: 'profile', profile: profile('proposed') });
}

/** A fix task that fixed one error with a verified receipt. */
function fixedOne(host: MockPanelHost, runId = 'fix-1'): void {
  host.post({ kind: 'fixStarted', runId, scope: 'the workspace', startedAt: 1 });
  host.post({ kind: 'fixRecord', runId, fix: toView(fixRecord()) });
  host.post({ kind: 'fixFinished', runId, outcome: outcome(fixResult(), ROOT) });
  host.post({ kind: 'receipts', receipts: [receiptSummary()] });
}

describe('the panel’s guided first win (webview-ui/views/guideModel) against a fake host', () => {
  it('starts at Scan, one click each: scan, confirm, check and fix, run tests', () => {
    const host = new MockPanelHost();
    assert.deepEqual(
      host.steps().map((s) => [s.id, s.status]),
      [
        ['scan', 'current'],
        ['profile', 'todo'],
        ['fix', 'todo'],
        ['run', 'todo'],
      ],
    );
    host.click('scan', 'scan');
    assert.deepEqual(host.sent.pop(), { kind: 'scan' });

    host.post({ kind: 'scanStarted', scanId: 's1', root: ROOT });
    assert.equal(host.step('scan').status, 'running');
    assert.deepEqual(host.step('scan').actions, [], 'no second scan while one runs');

    scanned(host);
    assert.equal(host.step('scan').status, 'done');
    assert.equal(host.step('scan').result, '1 project · 1 risk · 12 files');
    assert.equal(host.step('profile').status, 'current');
    assert.match(
      host.step('profile').result,
      /^Proposed from the scan: npm test · npm start · npm run typecheck$/,
    );
    assert.equal(currentStep(host.steps()), 1);

    host.click('profile', 'confirmProfile');
    assert.deepEqual(host.sent.pop(), { kind: 'saveProfile', projects: profile('proposed').projects });
    host.post({ kind: 'profile', profile: profile('confirmed') });
    assert.equal(host.step('profile').status, 'done');
    assert.equal(host.step('profile').result, 'Confirmed: its 3 commands run without asking again.');

    assert.equal(host.step('fix').status, 'current');
    host.click('fix', 'fix');
    assert.deepEqual(
      host.sent.pop(),
      { kind: 'fixProblems', scope: 'workspace' },
      'the whole workspace, no question',
    );

    host.post({ kind: 'fixStarted', runId: 'fix-1', scope: 'the workspace', startedAt: 1 });
    assert.equal(host.step('fix').status, 'running');
    assert.deepEqual(host.step('fix').actions, []);
    host.post({ kind: 'fixRecord', runId: 'fix-1', fix: toView(fixRecord()) });
    host.post({ kind: 'fixFinished', runId: 'fix-1', outcome: outcome(fixResult(), ROOT) });
    assert.equal(host.step('fix').status, 'done');
    assert.equal(host.step('fix').result, '1 error fixed and verified. Receipt verified.');

    const run = host.step('run');
    assert.equal(run.status, 'current');
    assert.deepEqual(
      run.actions.map((a) => [a.id, a.primary]),
      [
        ['runTests', true],
        ['startApp', false],
      ],
    );
    host.click('run', 'runTests');
    assert.deepEqual(host.sent.pop(), { kind: 'runTests' });
    host.post({ kind: 'testStarted', runId: 't1', scope: 'all tests', startedAt: 2 });
    assert.equal(host.step('run').status, 'running');
    assert.equal(
      host.step('run').actions.find((a) => a.id === 'runTests')?.disabledWhy,
      'The tests are running',
    );
    host.post({ kind: 'testFinished', runId: 't1', summary: testSummary('passed', 3) });
    assert.equal(host.step('run').status, 'done');
    assert.equal(host.step('run').result, 'Tests passed: 3 tests.');
    assert.equal(currentStep(host.steps()), -1, 'every step done');
  });

  it('Start app, then Open app with the URL the app answered on', () => {
    const host = new MockPanelHost();
    scanned(host);
    host.post({ kind: 'profile', profile: profile('confirmed') });
    host.click('run', 'startApp');
    assert.deepEqual(host.sent.pop(), { kind: 'startApp' });
    const app = { appId: 'a1', project: '.', command: 'npm start' };
    host.post({ kind: 'appState', app: { ...app, status: 'starting' }, project: '.', startedAt: 3 });
    assert.equal(host.step('run').status, 'running');
    host.post({
      kind: 'appState',
      app: { ...app, status: 'ready', url: 'http://127.0.0.1:4000/' },
      project: '.',
      startedAt: 3,
    });
    assert.equal(host.step('run').status, 'done');
    assert.equal(host.step('run').result, 'App running at http://127.0.0.1:4000/');
    host.click('run', 'openApp');
    assert.deepEqual(host.sent.pop(), { kind: 'openApp', appId: 'a1', where: 'browser' });
  });

  it('says what needs a look: failed tests, errors left, a fix rolled back, a stale receipt', () => {
    const host = new MockPanelHost();
    scanned(host);
    host.post({ kind: 'profile', profile: profile('confirmed') });
    host.post({ kind: 'fixStarted', runId: 'f', scope: 'the workspace', startedAt: 1 });
    host.post({
      kind: 'fixFinished',
      runId: 'f',
      outcome: outcome(
        fixResult({
          status: 'remaining',
          fixes: [],
          remaining: [
            {
              file: 'src/a.ts',
              line: 1,
              column: 1,
              code: 'TS2322',
              message: 'x',
              checker: 'tsc',
              reason: 'no fixer for TS2322',
            },
          ],
        }),
        ROOT,
      ),
    });
    assert.equal(host.step('fix').status, 'attention');
    assert.equal(host.step('fix').result, '1 error left.');
    assert.equal(host.step('run').status, 'current', 'the tests can still run');

    fixedOne(host, 'f2');
    host.post({
      kind: 'receipts',
      receipts: [receiptSummary({ status: 'stale', reasons: ['src/main.ts changed'] })],
    });
    assert.equal(host.step('fix').result, '1 error fixed and verified. Receipt stale: a file changed since.');
    host.post({
      kind: 'fixDecision',
      fixId: `${TASK_ID}.f1`,
      decision: 'rolledBack',
      message: 'Rolled back.',
    });
    assert.equal(host.step('fix').status, 'attention');
    assert.equal(host.step('fix').result, 'Rolled back (1 fix).');

    host.post({ kind: 'testStarted', runId: 't', scope: 'all tests', startedAt: 2 });
    host.post({ kind: 'testFinished', runId: 't', summary: testSummary('failed', 2, 1) });
    assert.equal(host.step('run').status, 'attention');
    assert.equal(host.step('run').result, '1 of 3 tests failed.');
  });

  it('in Restricted Mode the steps that run code say why they cannot', () => {
    const host = new MockPanelHost();
    host.facts.trusted = false;
    scanned(host);
    const confirm = host.step('profile').actions.find((a) => a.id === 'confirmProfile');
    assert.equal(confirm?.disabledWhy, 'Needs a trusted workspace');
    assert.equal(host.step('scan').actions[0]?.disabledWhy, undefined, 'a scan only reads');
  });

  it('Review… opens the profile editor in the panel (no message to the host)', () => {
    const host = new MockPanelHost();
    scanned(host);
    host.click('profile', 'reviewProfile');
    assert.equal(host.facts.testing.profile.editing, true);
    assert.equal(host.renders, 1);
    assert.deepEqual(host.sent, []);
  });

  it('shows the time to first win the host measured, and folds the steps of a win long done', () => {
    const host = new MockPanelHost();
    const win = () => host.facts.onboarding.firstWin;
    host.post({ kind: 'onboarding', openedAt: 1000 });
    assert.equal(win(), undefined);
    host.post({
      kind: 'onboarding',
      openedAt: 1000,
      firstWin: { at: 53_000, durationMs: 52_000, via: 'fix' },
    });
    assert.equal(win()?.durationMs, 52_000);
    assert.equal(host.facts.onboarding.collapsed, false, 'the win just happened: the steps stay open');

    const reloaded = new MockPanelHost();
    reloaded.post({
      kind: 'onboarding',
      openedAt: 1000,
      firstWin: { at: 53_000, durationMs: 52_000, via: 'fix' },
    });
    assert.equal(reloaded.facts.onboarding.collapsed, true);
    assert.equal(formatDuration(52_000), '52 s');
    assert.equal(formatDuration(65_000), '1 min 05 s');
  });
});

describe('the scan report’s next steps as actions that stay true', () => {
  const STEPS: NextStep[] = [
    {
      id: 'run-tests',
      title: 'Run the tests (npm test)',
      actor: 'user',
      action: 'Run `npm test` and check that it passes.',
    },
    {
      id: 'fix-errors',
      title: 'Check types and lint (npm run typecheck)',
      actor: 'navi',
      action: 'navi.fixProblems',
    },
    {
      id: 'add-ci',
      title: 'Set up CI',
      actor: 'user',
      action: 'Add a CI workflow that installs, lints and tests on every push.',
    },
  ];

  it('turns NAVI’s steps into buttons and never shows a command id', () => {
    const host = new MockPanelHost();
    scanned(host, STEPS);
    const views = nextStepViews(report(STEPS), host.facts);
    assert.deepEqual(
      views.map((v) => [v.id, v.actor, v.action?.id, v.detail]),
      [
        ['confirm-profile', 'navi', 'confirmProfile', undefined],
        ['run-tests', 'navi', 'runTests', undefined],
        ['fix-errors', 'navi', 'fix', undefined],
        ['add-ci', 'user', undefined, 'Add a CI workflow that installs, lints and tests on every push.'],
        ['start-app', 'navi', 'startApp', undefined],
      ],
    );
    for (const v of views) assert.doesNotMatch(`${v.title} ${v.detail ?? ''}`, /navi\.[a-z]+/i);
    performAction(views[1]!.action!.id, host.facts, host);
    assert.deepEqual(host.sent.pop(), { kind: 'runTests' });
  });

  it('updates as the tasks finish: tests passed, fix verified then rolled back, app running', () => {
    const host = new MockPanelHost();
    scanned(host, STEPS);
    host.post({ kind: 'profile', profile: profile('confirmed') });
    const live = () =>
      Object.fromEntries(
        nextStepViews(report(STEPS), host.facts).map((v) => [v.id, `${v.live.status}: ${v.live.text}`]),
      );
    assert.equal(live()['run-tests'], 'none: ');
    assert.equal(live()['confirm-profile'], undefined, 'a confirmed profile is no longer a next step');

    host.post({ kind: 'testStarted', runId: 't', scope: 'all tests', startedAt: 1 });
    assert.equal(live()['run-tests'], 'running: Running all tests…');
    assert.equal(
      nextStepViews(report(STEPS), host.facts).find((v) => v.id === 'run-tests')?.action?.disabledWhy,
      'Running',
    );
    host.post({ kind: 'testFinished', runId: 't', summary: testSummary('passed', 5) });
    assert.equal(live()['run-tests'], 'done: Tests passed: 5 tests.');

    fixedOne(host);
    assert.equal(live()['fix-errors'], 'done: 1 error fixed and verified. Receipt verified.');
    host.post({ kind: 'fixDecision', fixId: `${TASK_ID}.f1`, decision: 'rolledBack' });
    assert.equal(live()['fix-errors'], 'attention: Rolled back (1 fix).');

    host.post({
      kind: 'appState',
      app: { appId: 'a', project: '.', command: 'npm start', status: 'ready', url: 'http://127.0.0.1:5/' },
      project: '.',
      startedAt: 1,
    });
    const start = nextStepViews(report(STEPS), host.facts).find((v) => v.id === 'start-app')!;
    assert.equal(start.live.text, 'App running at http://127.0.0.1:5/');
    assert.equal(start.action?.id, 'openApp', 'a running app is opened, not started again');
    assert.equal(RECEIPT_ID.length, 36);
  });
});
