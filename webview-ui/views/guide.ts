import './guide.css';
import { button, h } from '../dom';
import {
  currentStep,
  FIRST_WIN_VIA,
  formatDuration,
  guideSteps,
  performAction,
  type GuideAction,
  type GuideHost,
  type Live,
  type NextStepView,
  type PanelFacts,
  type StepStatus,
} from './guideModel';

/** What each status says to a screen reader (the icon beside it is decoration). */
const STATUS_LABEL: Record<StepStatus | Live['status'], string> = {
  todo: 'Later',
  current: 'Next',
  running: 'Running',
  done: 'Done',
  attention: 'Needs a look',
  failed: 'Failed',
  none: '',
};
const STATUS_ICON: Record<StepStatus, string> = {
  todo: '○',
  current: '→',
  running: '',
  done: '✓',
  attention: '!',
  failed: '✕',
};

/**
 * The guided first win at the top of the panel: four numbered steps, each with its result and
 * one button; the time to first win once there is one; what a model or sign-in would add.
 */
export function renderGuide(facts: PanelFacts, host: GuideHost): HTMLElement {
  const steps = guideSteps(facts);
  const now = currentStep(steps);
  const { onboarding } = facts;
  const win = onboarding.firstWin;
  const toggle = button(
    onboarding.collapsed ? 'Show steps' : 'Hide steps',
    () => {
      onboarding.collapsed = !onboarding.collapsed;
      host.render();
    },
    {
      className: 'link',
      testid: 'guide-toggle',
      'aria-expanded': String(!onboarding.collapsed),
      'aria-controls': 'guide-steps',
    },
  );
  return h(
    'section',
    {
      className: 'guide',
      testid: 'guide',
      'aria-labelledby': 'h-guide',
      'data-current': now === -1 ? 'all-done' : steps[now]!.id,
    },
    h(
      'div',
      { className: 'guide-head' },
      h('h2', { id: 'h-guide' }, 'First win'),
      h('span', { className: 'spacer' }),
      toggle,
    ),
    win
      ? h(
          'p',
          { className: 'first-win', testid: 'first-win', role: 'status', 'data-ms': String(win.durationMs) },
          h('span', { className: 'step-icon done', 'aria-hidden': 'true' }, '✓'),
          h('strong', {}, `First win in ${formatDuration(win.durationMs)}`),
          ` — ${FIRST_WIN_VIA[win.via]}, from when you opened this panel.`,
        )
      : null,
    onboarding.collapsed
      ? null
      : h(
          'ol',
          { className: 'guide-steps', id: 'guide-steps' },
          ...steps.map((step, i) =>
            h(
              'li',
              {
                className: `guide-step status-${step.status}${i === now ? ' now' : ''}`,
                testid: `guide-step-${step.id}`,
                'data-status': step.status,
                'aria-current': i === now ? 'step' : undefined,
              },
              h(
                'div',
                { className: 'step-head' },
                statusIcon(step.status),
                h('span', { className: 'step-title' }, `${i + 1}. ${step.title}`),
                h('span', { className: 'visually-hidden' }, ` (${STATUS_LABEL[step.status]})`),
              ),
              // A later step is only its title until its turn: the panel is narrow.
              step.status === 'todo'
                ? null
                : h('p', { className: 'step-result', testid: `guide-result-${step.id}` }, step.result),
              step.actions.length && (step.status !== 'todo' || i === now)
                ? h(
                    'div',
                    { className: 'actions' },
                    ...step.actions.map((a) => actionButton(a, facts, host, `guide-${a.id}`)),
                  )
                : null,
            ),
          ),
        ),
    onboarding.collapsed
      ? null
      : h(
          'p',
          { className: 'muted small guide-more', testid: 'guide-more' },
          'No model or sign-in needed. ',
          button('A model', () => host.send({ kind: 'learnMore', topic: 'model' }), {
            className: 'link',
            testid: 'guide-model',
            title: 'Open the navi.model settings',
          }),
          ' would fix what the project’s own fixers and TypeScript’s code fixes cannot (every change still verified). ',
          button('Signing in', () => host.send({ kind: 'learnMore', topic: 'signIn' }), {
            className: 'link',
            testid: 'guide-sign-in',
            title: 'NAVI: Sign In',
          }),
          ' applies your org’s policy and uploads the audit trail. ',
          button('Open the walkthrough', () => host.send({ kind: 'learnMore', topic: 'walkthrough' }), {
            className: 'link',
            testid: 'guide-walkthrough',
          }),
        ),
  );
}

function statusIcon(status: StepStatus): HTMLElement {
  if (status === 'running') return h('span', { className: 'spinner', 'aria-hidden': 'true' });
  return h('span', { className: `step-icon ${status}`, 'aria-hidden': 'true' }, STATUS_ICON[status]);
}

function actionButton(
  action: GuideAction,
  facts: PanelFacts,
  host: GuideHost,
  testid: string,
): HTMLButtonElement {
  return button(action.label, () => performAction(action.id, facts, host), {
    className: action.primary ? 'primary' : 'secondary',
    testid,
    disabled: action.disabledWhy !== undefined,
    title: action.disabledWhy,
  });
}

/** The action and live state of one next step of the report (report.ts draws the rest of the item). */
export function renderNextStepAction(
  step: NextStepView,
  facts: PanelFacts,
  host: GuideHost,
): HTMLElement | null {
  if (!step.action && step.live.status === 'none') return null;
  return h(
    'div',
    { className: 'next-step-action' },
    step.action ? actionButton(step.action, facts, host, `next-step-${step.action.id}`) : null,
    step.live.status !== 'none'
      ? h(
          'span',
          {
            className: `next-step-live status-${step.live.status}`,
            testid: 'next-step-live',
            'data-status': step.live.status,
          },
          step.live.status === 'running'
            ? h('span', { className: 'spinner', 'aria-hidden': 'true' })
            : h(
                'span',
                { className: `step-icon ${step.live.status}`, 'aria-hidden': 'true' },
                STATUS_ICON[step.live.status],
              ),
          h('span', { className: 'visually-hidden' }, `${STATUS_LABEL[step.live.status]}: `),
          step.live.text,
        )
      : null,
  );
}
