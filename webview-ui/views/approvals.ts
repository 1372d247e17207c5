import type { ApprovalDecision, ApprovalParams } from '../../protocol/approvals';
import { describeExpansion } from '../../protocol/display';
import { button, h } from '../dom';

export type PendingApproval = ApprovalParams & { expiresAt: number };

/** Pending approvals, newest last: what a command will do, why it needs a person, and the three answers. */
export function renderApprovals(
  pending: readonly PendingApproval[],
  decide: (approvalId: string, decision: ApprovalDecision) => void,
): HTMLElement | null {
  if (pending.length === 0) return null;
  return h(
    'section',
    { className: 'approvals', 'aria-labelledby': 'h-approvals', testid: 'approvals' },
    h('h2', { id: 'h-approvals' }, `Waiting for your approval (${pending.length})`),
    ...pending.map((a) => renderApproval(a, decide)),
  );
}

function renderApproval(a: PendingApproval, decide: (id: string, d: ApprovalDecision) => void): HTMLElement {
  const answer = (decision: ApprovalDecision) => () => decide(a.approvalId, decision);
  return h(
    'article',
    {
      className: `approval risk-${a.risk}`,
      testid: 'approval',
      'aria-label': `Approve command: ${a.command}`,
    },
    h('div', { className: 'approval-head' }, h('span', { className: `sev sev-${a.risk}` }, `${a.risk} risk`)),
    h('pre', { className: 'command', testid: 'approval-command' }, a.command),
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
      button('Allow once', answer('allowOnce'), { className: 'primary', testid: 'approve-once' }),
      a.canAlwaysAllow
        ? button('Always allow in this workspace', answer('alwaysAllow'), {
            className: 'secondary',
            testid: 'approve-always',
            title: 'Allow exactly this command in this workspace from now on (expires after 30 days)',
          })
        : null,
      button('Deny', answer('deny'), { className: 'secondary', testid: 'approve-deny' }),
    ),
    h(
      'p',
      { className: 'muted countdown', testid: 'approval-countdown', 'data-expires': String(a.expiresAt) },
      countdown(a.expiresAt),
    ),
  );
}

/** "Denied automatically in 1:05". Refreshed every second by the panel. */
export function countdown(expiresAt: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.ceil((expiresAt - now) / 1000));
  return `Denied automatically in ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
