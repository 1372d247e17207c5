import type { FixPanelMessage } from '../../protocol/fixMessages';
import type { ScanReport } from '../../protocol/scanReport';
import type { FirstWin, HostMessage, PanelMessage } from '../../protocol/webviewMessages';
import { plural } from '../../protocol/display';
import type { FixesState, FixTaskView } from './fixes';
import type { ProfileState } from './profile';
import type { TestingState } from './tests';

/**
 * The guided first win (Scan → Confirm the profile → Check errors and fix them → Run tests or
 * Start the app) and the live state of the scan report's next steps, as data: no DOM, so the
 * panel's unit tests drive it through a fake host (test/unit/webview/). views/guide.ts draws it.
 */

/** The scan as the guide needs it (main.ts holds the full view state). */
export type GuideScan =
  | { state: 'idle' | 'cancelled' }
  | { state: 'scanning' }
  | { state: 'done'; report: ScanReport }
  | { state: 'failed'; message: string };

/** What the panel knows, read by the guide and by the next steps. */
export interface PanelFacts {
  trusted: boolean;
  scan: GuideScan;
  testing: TestingState;
  fixes: FixesState;
  onboarding: OnboardingState;
}

/** The guide's own state: the time to first win from the host, and whether the steps are shown. */
export interface OnboardingState {
  openedAt?: number;
  firstWin?: FirstWin;
  collapsed: boolean;
}

export function createOnboardingState(): OnboardingState {
  return { collapsed: false };
}

export function applyOnboarding(
  state: OnboardingState,
  message: Extract<HostMessage, { kind: 'onboarding' }>,
): void {
  const justWon = !state.firstWin && message.firstWin !== undefined && state.openedAt !== undefined;
  state.openedAt = message.openedAt;
  state.firstWin = message.firstWin;
  // The first win just happened in front of the person: the steps stay open to show it. A panel
  // that loads with a win long done starts with the steps folded.
  if (message.firstWin && !justWon && state.openedAt !== undefined) state.collapsed = true;
}

/** Everything a guide button or a next step can do. */
export type GuideActionId =
  'scan' | 'confirmProfile' | 'reviewProfile' | 'fix' | 'runTests' | 'startApp' | 'openApp';

export interface GuideAction {
  id: GuideActionId;
  label: string;
  primary: boolean;
  /** Why it cannot be used now (Restricted Mode, a task running); undefined: it can. */
  disabledWhy?: string;
}

/**
 * `todo`: an earlier step comes first; `current`: the one to do now; `running`; `done`;
 * `attention`: it ran and needs a look (tests failed, errors left); `failed`: it could not run.
 */
export type StepStatus = 'todo' | 'current' | 'running' | 'done' | 'attention' | 'failed';

export interface GuideStep {
  id: 'scan' | 'profile' | 'fix' | 'run';
  title: string;
  status: StepStatus;
  /** One line: what came of it, or what it will do. */
  result: string;
  actions: GuideAction[];
}

/** A task's live state as one line, for the guide and the next steps. */
export interface Live {
  status: Exclude<StepStatus, 'todo' | 'current'> | 'none';
  text: string;
}

const NONE: Live = { status: 'none', text: '' };

// ---------------------------------------------------------------------------------------------
// Live state of each task kind

export function scanLive(scan: GuideScan): Live {
  switch (scan.state) {
    case 'idle':
    case 'cancelled':
      return NONE;
    case 'scanning':
      return { status: 'running', text: 'Scanning…' };
    case 'failed':
      return { status: 'failed', text: scan.message };
    case 'done': {
      const { projects, risks } = scan.report;
      return {
        status: 'done',
        text: `${plural(projects.length, 'project')} · ${plural(risks.length, 'risk')} · ${plural(scan.report.inventory.files, 'file')}`,
      };
    }
  }
}

export function profileLive(profile: ProfileState): Live {
  if (profile.value?.status === 'confirmed') {
    const commands = profile.value.projects.reduce((n, p) => n + Object.keys(p.commands).length, 0);
    return {
      status: 'done',
      text: `Confirmed: its ${plural(commands, 'command')} run without asking again.`,
    };
  }
  if (profile.loading) return { status: 'running', text: 'Loading the project profile…' };
  if (profile.error) return { status: 'failed', text: profile.error };
  if (profile.value?.status === 'proposed') {
    const commands = profile.value.projects.flatMap((p) =>
      (['test', 'start', 'typecheck', 'lint'] as const).flatMap((k) =>
        p.commands[k] ? [p.commands[k].command] : [],
      ),
    );
    return {
      status: 'none',
      text: commands.length
        ? `Proposed from the scan: ${commands.slice(0, 4).join(' · ')}`
        : 'Proposed from the scan (no commands found).',
    };
  }
  return NONE;
}

/** The newest fix task. */
function latestFix(fixes: FixesState): FixTaskView | undefined {
  return [...fixes.tasks.values()].pop();
}

export function fixLive(fixes: FixesState): Live {
  const task = latestFix(fixes);
  if (!task) return NONE;
  if (!task.finished) return { status: 'running', text: task.progress?.message ?? 'Checking for errors…' };
  const { outcome, error } = task.finished;
  if (!outcome) return error === 'Stopped.' ? NONE : { status: 'failed', text: error ?? 'The fix failed.' };
  const fixList = [...task.fixes.values()];
  const kept = fixList.filter((f) => f.status === 'kept');
  const rolledBackByPerson = kept.filter((f) => fixes.decisions.get(f.id)?.decision === 'rolledBack');
  if (kept.length && rolledBackByPerson.length === kept.length)
    return { status: 'attention', text: `Rolled back (${plural(kept.length, 'fix', 'fixes')}).` };
  const receipts = kept.flatMap((f) => {
    const id = f.receipt?.id;
    const now = id ? fixes.receipts.get(id)?.status : undefined;
    return [now ?? f.receipt?.status ?? 'none'];
  });
  const receiptText = receipts.length
    ? receipts.every((r) => r === 'verified')
      ? ' Receipt verified.'
      : receipts.some((r) => r === 'stale')
        ? ' Receipt stale: a file changed since.'
        : ''
    : '';
  const remaining = outcome.remainingTotal;
  switch (outcome.status) {
    case 'clean':
      return { status: 'done', text: 'No errors: the project’s checks pass.' };
    case 'fixed':
      return {
        status: 'done',
        text: `${plural(fixedCount(kept), 'error')} fixed and verified.${receiptText}`,
      };
    case 'remaining':
      return {
        status: 'attention',
        text: `${kept.length ? `${fixedCount(kept)} fixed and verified, ` : ''}${plural(remaining, 'error')} left${
          outcome.rolledBack.length ? ` (${outcome.rolledBack.length} rolled back: not verified)` : ''
        }.${receiptText}`,
      };
    case 'incomplete':
      return { status: 'attention', text: 'A check could not run: see the Fixes card.' };
    case 'cancelled':
      return NONE;
  }
}

function fixedCount(fixes: readonly { fixedCount: number }[]): number {
  return fixes.reduce((n, f) => n + Math.max(1, f.fixedCount), 0);
}

export function testLive(testing: TestingState): Live {
  const t = testing.test;
  if (!t) return NONE;
  if (!t.finished) return { status: 'running', text: `Running ${t.started.scope}…` };
  const { summary, error } = t.finished;
  if (!summary)
    return error === 'Stopped.' ? NONE : { status: 'failed', text: error ?? 'The tests did not run.' };
  const { passed, failed, skipped, todo } = summary.totals;
  const total = passed + failed + skipped + todo;
  switch (summary.status) {
    case 'passed':
      return {
        status: 'done',
        text: `Tests passed: ${plural(passed, 'test')}${skipped + todo ? ` (${skipped + todo} skipped)` : ''}.`,
      };
    case 'failed':
      return { status: 'attention', text: `${failed} of ${plural(total, 'test')} failed.` };
    case 'error':
      return {
        status: 'failed',
        text: summary.steps.find((s) => s.status !== 'passed')?.message ?? 'The tests did not run.',
      };
    case 'cancelled':
      return NONE;
  }
}

export function appLive(testing: TestingState): Live & { appId?: string } {
  const apps = [...testing.apps.values()];
  const app = apps.pop();
  if (!app) return NONE;
  switch (app.app.status) {
    case 'starting':
      return { status: 'running', text: 'Starting the app…', appId: app.app.appId };
    case 'ready':
      return {
        status: 'done',
        text: app.app.url ? `App running at ${app.app.url}` : 'App running.',
        appId: app.app.appId,
      };
    case 'failed':
    case 'exited':
      return { status: 'failed', text: app.app.message ?? 'The app stopped.' };
    default:
      return NONE;
  }
}

// ---------------------------------------------------------------------------------------------
// The guide's steps

/** The profile's commands of a kind, in any project. */
function hasCommand(facts: PanelFacts, kind: 'test' | 'start'): boolean {
  const profile = facts.testing.profile.value;
  if (profile) return profile.projects.some((p) => p.commands[kind]);
  return facts.scan.state === 'done' && facts.scan.report.projects.some((p) => p.commands[kind]);
}

const RESTRICTED = 'Needs a trusted workspace';

export function guideSteps(facts: PanelFacts): GuideStep[] {
  const running = (s: Live) => s.status === 'running';
  const scan = scanLive(facts.scan);
  const profile = profileLive(facts.testing.profile);
  const fix = fixLive(facts.fixes);
  const tests = testLive(facts.testing);
  const app = appLive(facts.testing);

  const steps: GuideStep[] = [];
  const scanDone = scan.status === 'done';
  steps.push({
    id: 'scan',
    title: 'Scan the repository',
    status: scan.status === 'none' ? 'current' : scan.status,
    result: scan.text || 'Reads files, languages, projects, their commands and CI (nothing runs).',
    // A done step keeps no button (the report has Rescan): the guide points at the next one.
    actions:
      running(scan) || scanDone
        ? []
        : [{ id: 'scan', label: scan.status === 'failed' ? 'Try again' : 'Scan', primary: true }],
  });

  const profileDone = profile.status === 'done';
  const hasProfile = facts.testing.profile.value !== null;
  steps.push({
    id: 'profile',
    title: 'Confirm the project profile',
    status: profileDone
      ? 'done'
      : profile.status === 'running' || profile.status === 'failed'
        ? profile.status
        : scanDone || hasProfile
          ? 'current'
          : 'todo',
    result:
      profile.text ||
      'The commands NAVI runs for this project (test, start, type check). Confirming approves exactly these.',
    actions:
      hasProfile && !profileDone && !running(profile)
        ? [
            {
              id: 'confirmProfile',
              label: 'Confirm',
              primary: true,
              ...(facts.trusted ? {} : { disabledWhy: RESTRICTED }),
            },
            { id: 'reviewProfile', label: 'Review…', primary: false },
          ]
        : [],
  });

  const fixDone = fix.status === 'done';
  steps.push({
    id: 'fix',
    title: 'Check errors and fix them',
    status: fix.status === 'none' ? (profileDone ? 'current' : 'todo') : fix.status,
    result:
      fix.text ||
      'Runs the project’s checks, fixes errors cheapest first and keeps a fix only when the checks verify it (with a signed receipt).',
    actions:
      running(fix) || fixDone || !(profileDone || fix.status !== 'none')
        ? []
        : [
            {
              id: 'fix',
              label: fix.status === 'none' ? 'Check and fix' : 'Check again',
              primary: !fixDone,
              ...(facts.trusted ? {} : { disabledWhy: RESTRICTED }),
            },
          ],
  });

  const runStatus: StepStatus =
    tests.status === 'done' || app.status === 'done'
      ? 'done'
      : running(tests) || running(app)
        ? 'running'
        : tests.status === 'attention' || tests.status === 'failed' || app.status === 'failed'
          ? 'attention'
          : fixDone || fix.status === 'attention'
            ? 'current'
            : 'todo';
  const runActions: GuideAction[] = [];
  const reachable = profileDone;
  const disabledWhy = facts.trusted ? undefined : RESTRICTED;
  if (reachable && hasCommand(facts, 'test'))
    runActions.push({
      id: 'runTests',
      label: tests.status === 'none' ? 'Run tests' : 'Run tests again',
      primary: tests.status !== 'done' && runStatus === 'current',
      ...(running(tests) ? { disabledWhy: 'The tests are running' } : disabledWhy ? { disabledWhy } : {}),
    });
  if (reachable && app.status === 'done' && app.appId)
    runActions.push({ id: 'openApp', label: 'Open app', primary: false });
  else if (reachable && hasCommand(facts, 'start'))
    runActions.push({
      id: 'startApp',
      label: 'Start app',
      primary: false,
      ...(running(app) ? { disabledWhy: 'The app is starting' } : disabledWhy ? { disabledWhy } : {}),
    });
  steps.push({
    id: 'run',
    title: 'Run the tests or start the app',
    status: runStatus,
    result:
      [tests.text, app.text].filter(Boolean).join('\n') ||
      'Runs the profile’s test command (results here, in the Test Explorer and the Problems view) or starts the app and opens its URL.',
    actions: runActions,
  });
  return steps;
}

/** Index of the step to do now (the first not done), or -1 when all are done. */
export function currentStep(steps: readonly GuideStep[]): number {
  return steps.findIndex((s) => s.status !== 'done');
}

// ---------------------------------------------------------------------------------------------
// Acting

export type AnyPanelMessage = PanelMessage | FixPanelMessage;

/** The host side of the panel, as the guide sees it (a fake in tests). */
export interface GuideHost {
  send(message: AnyPanelMessage): void;
  /** Re-render after a local change (the profile editor opened). */
  render(): void;
}

/** Does what a guide button or next step says: sends its message (or opens the profile editor). */
export function performAction(id: GuideActionId, facts: PanelFacts, host: GuideHost): void {
  switch (id) {
    case 'scan':
      host.send({ kind: 'scan' });
      return;
    case 'confirmProfile': {
      const profile = facts.testing.profile.value;
      if (profile) host.send({ kind: 'saveProfile', projects: profile.projects });
      else host.send({ kind: 'loadProfile' });
      return;
    }
    case 'reviewProfile':
      if (!facts.testing.profile.value) {
        host.send({ kind: 'loadProfile' });
        return;
      }
      facts.testing.profile.editing = true;
      host.render();
      return;
    case 'fix':
      host.send({ kind: 'fixProblems', scope: 'workspace' });
      return;
    case 'runTests':
      host.send({ kind: 'runTests' });
      return;
    case 'startApp':
      host.send({ kind: 'startApp' });
      return;
    case 'openApp': {
      const { appId } = appLive(facts.testing);
      if (appId) host.send({ kind: 'openApp', appId, where: 'browser' });
      return;
    }
    default: {
      const unreachable: never = id;
      return unreachable;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The scan report's next steps as actions

/**
 * Which action a next step is, by its stable id or the NAVI command it names (a table, not
 * branches). Steps not listed stay text: something the person does by hand.
 */
const STEP_ACTIONS: Record<string, GuideActionId> = {
  'run-tests': 'runTests',
  'navi.runTests': 'runTests',
  'fix-errors': 'fix',
  'navi.fixProblems': 'fix',
  'start-app': 'startApp',
  'navi.startApp': 'startApp',
  'confirm-profile': 'confirmProfile',
  'navi.editProfile': 'confirmProfile',
};

/** A next step as the panel shows it: its text, and what to click with the task's live state. */
export interface NextStepView {
  id: string;
  title: string;
  /** What to do by hand (user steps); never a NAVI command id. */
  detail?: string;
  actor: 'navi' | 'user';
  action?: GuideAction;
  live: Live;
}

const ACTION_LABELS: Record<GuideActionId, string> = {
  scan: 'Scan',
  confirmProfile: 'Confirm profile',
  reviewProfile: 'Review profile',
  fix: 'Fix',
  runTests: 'Run tests',
  startApp: 'Start',
  openApp: 'Open app',
};

function liveOf(id: GuideActionId, facts: PanelFacts): Live {
  switch (id) {
    case 'runTests':
      return testLive(facts.testing);
    case 'fix':
      return fixLive(facts.fixes);
    case 'startApp':
    case 'openApp':
      return appLive(facts.testing);
    case 'confirmProfile':
    case 'reviewProfile': {
      const live = profileLive(facts.testing.profile);
      return live.status === 'none' ? NONE : live;
    }
    case 'scan':
      return scanLive(facts.scan);
  }
}

/** A NAVI command id (`navi.runTests`) or CLI command: for the code, not for people. */
const INTERNAL = /^(navi\.[A-Za-z]+|navi [a-z]+.*)$/;

/**
 * The report's next steps with their actions and live state, plus the ones the panel can add
 * from what it knows: confirming a proposed profile first, starting the app when there is a start
 * command and no step for it.
 */
export function nextStepViews(report: ScanReport, facts: PanelFacts): NextStepView[] {
  const views: NextStepView[] = report.nextSteps.map((step) => {
    const id = STEP_ACTIONS[step.id] ?? (step.action ? STEP_ACTIONS[step.action] : undefined);
    const detail = step.action && !INTERNAL.test(step.action.trim()) ? step.action : undefined;
    return {
      id: step.id,
      title: step.title,
      actor: id ? 'navi' : step.actor,
      ...(detail && !id ? { detail } : {}),
      ...(id ? { action: stepAction(id, facts) } : {}),
      live: id ? liveOf(id, facts) : NONE,
    };
  });
  const has = (action: GuideActionId) => views.some((v) => v.action?.id === action);
  const profile = facts.testing.profile.value;
  if (profile?.status === 'proposed' && !has('confirmProfile'))
    views.unshift({
      id: 'confirm-profile',
      title: 'Confirm the project profile',
      actor: 'navi',
      action: stepAction('confirmProfile', facts),
      live: NONE,
    });
  const starts = profile
    ? profile.projects.some((p) => p.commands.start)
    : report.projects.some((p) => p.commands.start);
  if (starts && !has('startApp'))
    views.push({
      id: 'start-app',
      title: 'Start the app',
      actor: 'navi',
      action: stepAction('startApp', facts),
      live: liveOf('startApp', facts),
    });
  return views;
}

function stepAction(id: GuideActionId, facts: PanelFacts): GuideAction {
  const live = liveOf(id, facts);
  const needsTrust = id !== 'scan' && id !== 'reviewProfile' && id !== 'openApp';
  const action: GuideAction = { id, label: ACTION_LABELS[id], primary: false };
  if (id === 'startApp' && live.status === 'done')
    return { id: 'openApp', label: ACTION_LABELS.openApp, primary: false };
  if (id === 'confirmProfile' && facts.testing.profile.value?.status === 'confirmed')
    return { ...action, disabledWhy: 'Already confirmed' };
  if (live.status === 'running') return { ...action, disabledWhy: 'Running' };
  if (needsTrust && !facts.trusted) return { ...action, disabledWhy: RESTRICTED };
  return action;
}

/** "52 s", "1 min 05 s". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export const FIRST_WIN_VIA: Record<FirstWin['via'], string> = {
  fix: 'a verified fix',
  test: 'passing tests',
  start: 'the app answering',
};
