import type { ApprovalParams } from '../../protocol/approvals';

/**
 * What the status bar item and the NAVI view's badge say about pending approvals. No `vscode`
 * here, so it is tested as plain logic.
 */

/** A pending approval as the badge, the status bar and the log name it. */
export interface PendingSummary {
  approvalId: string;
  /** The command the person knows (a task's profile command) or the command itself. */
  title: string;
  risk: ApprovalParams['risk'];
}

/** What the status bar item and the view's badge say for `pending` (oldest first); undefined: nothing. */
export function pendingIndicator(
  pending: readonly PendingSummary[],
): { text: string; tooltip: string; label: string; count: number } | undefined {
  if (pending.length === 0) return undefined;
  const count = pending.length;
  const what = count === 1 ? '1 command waits for your approval' : `${count} commands wait for your approval`;
  const shown = pending.slice(0, 5).map((p) => `• ${short(p.title)} (${p.risk} risk)`);
  const more = count > shown.length ? [`… and ${count - shown.length} more`] : [];
  return {
    count,
    text: `$(shield) NAVI: ${count === 1 ? '1 approval' : `${count} approvals`}`,
    label: `NAVI: ${what}. Show them.`,
    tooltip: [
      `NAVI: ${what}`,
      ...shown,
      ...more,
      '',
      'Click to review (Y allow once, A always allow, N deny).',
    ].join('\n'),
  };
}

function short(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
