import type { ApprovalAddition, ApprovalDecision, ApprovalParams } from '../../protocol/approvals';
import { describeExpansion } from '../../protocol/display';
import { button, h } from '../dom';

export type PendingApproval = ApprovalParams & { expiresAt: number };

/** What the approvals section needs from the panel. */
export interface ApprovalsHost {
  decide(approvalId: string, decision: ApprovalDecision): void;
  /** Approvals whose details disclosure is open (kept across re-renders). */
  openDetails: Set<string>;
}

/**
 * The keys of a focused approval card, as in `navi run`'s prompt: Y allow once, A always allow
 * (when offered), N deny. Returns undefined for any other key, or a key with a modifier, so
 * typing elsewhere in the panel never decides anything.
 */
export function approvalKeyAction(
  event: { key: string; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean; repeat?: boolean },
  canAlwaysAllow: boolean,
): ApprovalDecision | undefined {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return undefined;
  switch (event.key.toLowerCase()) {
    case 'y':
      return 'allowOnce';
    case 'a':
      return canAlwaysAllow ? 'alwaysAllow' : undefined;
    case 'n':
      return 'deny';
    default:
      return undefined;
  }
}

/** Words for the task whose command an approval is for. */
const TASK_LABEL: Record<NonNullable<ApprovalParams['origin']>['task'], string> = {
  test: 'Your test command',
  start: 'Your start command',
  fix: 'A check of your project',
};

/** Short label of each kind of addition, before its text. */
export const ADDITION_LABEL: Record<ApprovalAddition['kind'], string> = {
  argument: 'adds',
  program: 'runs',
  removed: 'leaves out',
  environment: 'sets',
  folder: 'may write',
};

/**
 * What the card shows first: the command the person knows (a task's profile command, with the
 * step of it) or, for a command typed or proposed as is, the command itself.
 */
export function approvalHeadline(a: ApprovalParams): {
  label: string;
  primary: string;
  step?: string;
  exact?: string;
} {
  if (!a.origin) return { label: 'Command', primary: a.command };
  return {
    label: TASK_LABEL[a.origin.task],
    primary: a.origin.userCommand,
    ...(a.origin.step
      ? { step: `Step ${a.origin.step.index + 1} of ${a.origin.step.count}: ${a.origin.step.text}` }
      : {}),
    exact: a.runs ?? a.command,
  };
}

/**
 * Pending approvals, oldest first, pinned at the top of the panel: what will run (the command the
 * person knows first, what NAVI adds in a disclosure), why it needs a person, and the three answers,
 * each with a key.
 */
export function renderApprovals(
  pending: readonly PendingApproval[],
  host: ApprovalsHost,
): HTMLElement | null {
  if (pending.length === 0) return null;
  const title = `Waiting for your approval (${pending.length})`;
  return h(
    'section',
    { className: 'approvals pinned', 'aria-labelledby': 'h-approvals', testid: 'approvals' },
    h('h2', { id: 'h-approvals' }, title),
    h(
      'p',
      { className: 'muted key-hint', 'aria-hidden': 'true' },
      'On a focused approval: ',
      h('kbd', {}, 'Y'),
      ' allow once · ',
      h('kbd', {}, 'A'),
      ' always · ',
      h('kbd', {}, 'N'),
      ' deny',
    ),
    ...pending.map((a, i) => renderApproval(a, i, pending.length, host)),
  );
}

function renderApproval(a: PendingApproval, index: number, count: number, host: ApprovalsHost): HTMLElement {
  const answer = (decision: ApprovalDecision) => () => host.decide(a.approvalId, decision);
  const head = approvalHeadline(a);
  const keys = a.canAlwaysAllow ? 'Y A N' : 'Y N';
  const card = h(
    'article',
    {
      className: `approval risk-${a.risk}`,
      testid: 'approval',
      tabindex: 0,
      'data-approval-id': a.approvalId,
      'data-focus-key': `approval:${a.approvalId}`,
      'aria-label': `Approval ${index + 1} of ${count}, ${a.risk} risk: ${head.primary}. Keys: Y allow once${a.canAlwaysAllow ? ', A always allow' : ''}, N deny.`,
      'aria-keyshortcuts': keys,
    },
    h(
      'div',
      { className: 'approval-head' },
      h('span', { className: `sev sev-${a.risk}` }, `${a.risk} risk`),
      h('span', { className: 'muted approval-label' }, head.label),
    ),
    h('pre', { className: 'command', testid: 'approval-command' }, head.primary),
    head.step ? h('div', { className: 'approval-step', testid: 'approval-step' }, head.step) : null,
    h('div', { className: 'muted' }, 'in ', h('code', {}, a.cwd)),
    h('ul', { className: 'reasons' }, ...a.reasons.map((r) => h('li', {}, r))),
    a.expansions?.length
      ? h(
          'div',
          { className: 'expansions', testid: 'approval-expansions' },
          h('p', { className: 'muted' }, 'Wildcards (judged and run as exactly these names):'),
          ...a.expansions.map((e) => h('div', {}, h('code', {}, describeExpansion(e)))),
        )
      : null,
    head.exact !== undefined ? renderDetails(a, head.exact, host) : null,
    a.rules.length
      ? h(
          'p',
          { className: 'muted rules' },
          'Rule: ',
          ...a.rules.flatMap((r, i) => [
            i ? ', ' : '',
            h('code', { title: r.justification }, r.id),
            ` (${r.layer})`,
          ]),
        )
      : null,
    h(
      'div',
      { className: 'approval-actions' },
      actionButton('Allow once', 'Y', answer('allowOnce'), {
        className: 'primary',
        testid: 'approve-once',
        'data-focus-key': `approval:${a.approvalId}:once`,
      }),
      a.canAlwaysAllow
        ? actionButton('Always allow here', 'A', answer('alwaysAllow'), {
            className: 'secondary',
            testid: 'approve-always',
            'data-focus-key': `approval:${a.approvalId}:always`,
            title: 'Allow exactly this command in this workspace from now on (expires after 30 days)',
          })
        : null,
      actionButton('Deny', 'N', answer('deny'), {
        className: 'secondary',
        testid: 'approve-deny',
        'data-focus-key': `approval:${a.approvalId}:deny`,
      }),
    ),
    h(
      'p',
      { className: 'muted countdown', testid: 'approval-countdown', 'data-expires': String(a.expiresAt) },
      countdown(a.expiresAt),
    ),
  );
  card.addEventListener('keydown', (event) => {
    const target = event.target as HTMLElement;
    if (target.closest('input, textarea, select, [contenteditable="true"]')) return;
    const decision = approvalKeyAction(event, a.canAlwaysAllow);
    if (decision) {
      event.preventDefault();
      host.decide(a.approvalId, decision);
      return;
    }
    // Up and down move between the cards (when a card itself has the focus).
    if (target === card && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
      const cards = [...document.querySelectorAll<HTMLElement>('[data-testid="approval"]')];
      const next = cards[cards.indexOf(card) + (event.key === 'ArrowDown' ? 1 : -1)];
      if (next) {
        event.preventDefault();
        next.focus();
      }
    }
  });
  return card;
}

/** The disclosure with exactly what runs (what is judged, approved and audited) and NAVI's additions. */
function renderDetails(a: PendingApproval, exact: string, host: ApprovalsHost): HTMLElement {
  const additions = a.origin?.additions ?? [];
  const details = h(
    'details',
    {
      className: 'approval-details',
      testid: 'approval-details',
      open: host.openDetails.has(a.approvalId),
    },
    h(
      'summary',
      { 'data-focus-key': `approval:${a.approvalId}:details` },
      additions.length ? `Exactly what runs, and what NAVI adds (${additions.length})` : 'Exactly what runs',
    ),
    h('p', { className: 'muted' }, 'You approve exactly this command:'),
    h('pre', { className: 'command exact', testid: 'approval-exact' }, exact),
    additions.length
      ? h(
          'ul',
          {
            className: 'additions',
            testid: 'approval-additions',
            'aria-label': 'What NAVI adds to your command',
          },
          ...additions.map((x) =>
            h(
              'li',
              {},
              h('span', { className: `addition-kind kind-${x.kind}` }, ADDITION_LABEL[x.kind]),
              ' ',
              h('code', {}, x.text),
              h('div', { className: 'muted why' }, x.why),
            ),
          ),
        )
      : null,
  );
  details.addEventListener('toggle', () => {
    if (details.open) host.openDetails.add(a.approvalId);
    else host.openDetails.delete(a.approvalId);
  });
  return details;
}

function actionButton(
  label: string,
  key: string,
  onClick: () => void,
  attrs: Record<string, string | undefined>,
): HTMLButtonElement {
  const el = button(label, onClick, { ...attrs, 'aria-keyshortcuts': key });
  el.append(' ', h('kbd', { 'aria-hidden': 'true' }, key));
  return el;
}

/**
 * Gives the keyboard focus to a pending approval's card (`approvalId`, else the oldest one);
 * returns false when there is none.
 */
export function focusApproval(root: ParentNode, approvalId?: string): boolean {
  const cards = [...root.querySelectorAll<HTMLElement>('[data-testid="approval"]')];
  const card = cards.find((c) => c.dataset.approvalId === approvalId) ?? cards[0];
  if (!card) return false;
  card.focus();
  card.scrollIntoView({ block: 'nearest' });
  return true;
}

/** "Denied automatically in 1:05". Refreshed every second by the panel. */
export function countdown(expiresAt: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.ceil((expiresAt - now) / 1000));
  return `Denied automatically in ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
