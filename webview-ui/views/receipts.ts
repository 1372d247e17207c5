import type { ReceiptSummary } from '../../protocol/fix';
import type { ReceiptStatus } from '../../protocol/receipts';
import { h } from '../dom';

/** A fix's verification receipt in the panel: its status badge, why it is not verified, its evidence. */

const RECEIPT_TEXT: Record<ReceiptStatus, { icon: string; text: string }> = {
  verified: { icon: '✓', text: 'Verified' },
  failed: { icon: '✗', text: 'Failed' },
  stale: { icon: '!', text: 'Stale' },
  invalid: { icon: '⊘', text: 'Invalid' },
};

/** The receipt's status in words with an icon (never by colour alone). */
export function receiptBadge(status: ReceiptStatus | undefined): HTMLElement {
  if (!status)
    return h(
      'span',
      { className: 'receipt-badge receipt-none', testid: 'receipt-status', 'data-status': 'none' },
      'No receipt',
    );
  const { icon, text } = RECEIPT_TEXT[status];
  return h(
    'span',
    {
      className: `receipt-badge receipt-${status}`,
      testid: 'receipt-status',
      'data-status': status,
      title: `Receipt: ${text.toLowerCase()}`,
    },
    h('span', { 'aria-hidden': 'true' }, `${icon} `),
    `Receipt: ${text}`,
  );
}

/** What the receipt proves, one click away: the commands NAVI ran with their exit codes, test counts, files. */
export function renderEvidence(hasReceipt: boolean, receipt: ReceiptSummary | undefined): HTMLElement | null {
  if (!hasReceipt) return null;
  const counts = (c: { passed: number; failed: number; skipped: number } | undefined) =>
    c ? `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped` : '—';
  return h(
    'details',
    { className: 'fix-evidence', testid: 'receipt-evidence' },
    h('summary', {}, 'Evidence'),
    !receipt
      ? h('p', { className: 'muted small' }, 'Checking the receipt…')
      : h(
          'div',
          { className: 'small' },
          receipt.reasons.length
            ? h(
                'ul',
                { className: 'receipt-reasons', testid: 'receipt-reasons' },
                ...receipt.reasons.map((r) => h('li', {}, r)),
              )
            : null,
          h('h4', {}, 'Commands NAVI ran'),
          h(
            'ul',
            { className: 'receipt-commands', testid: 'receipt-commands' },
            ...receipt.commands.map((c) =>
              h(
                'li',
                {},
                h('code', {}, c.command),
                ' ',
                h(
                  'span',
                  { className: c.exitCode === 0 ? 'muted' : 'exit-bad' },
                  c.exitCode === null ? '(no exit code)' : `exit ${c.exitCode}`,
                ),
              ),
            ),
          ),
          receipt.tests?.before || receipt.tests?.after
            ? h(
                'p',
                { testid: 'receipt-tests' },
                `Tests before: ${counts(receipt.tests.before)}; after: ${counts(receipt.tests.after)}.`,
              )
            : null,
          h('h4', {}, 'Files'),
          h(
            'ul',
            {},
            ...receipt.files.map((f) =>
              h(
                'li',
                {},
                h('code', {}, f.path),
                ' ',
                h('span', { className: 'muted', title: f.sha256 }, `sha256 ${f.sha256.slice(0, 12)}…`),
              ),
            ),
          ),
          h('p', { className: 'muted' }, `Receipt ${receipt.id}, issued ${receipt.issuedAt}.`),
        ),
  );
}

/** Why a receipt is not verified, in words beside the badge (the first reason). */
export function receiptWhy(receipt: ReceiptSummary | undefined): HTMLElement | null {
  if (!receipt || receipt.status === 'verified' || receipt.reasons.length === 0) return null;
  const more = receipt.reasons.length > 1 ? ` (and ${receipt.reasons.length - 1} more)` : '';
  return h(
    'p',
    { className: 'small receipt-why', role: 'note', testid: 'receipt-why' },
    `Receipt ${RECEIPT_TEXT[receipt.status].text.toLowerCase()}: ${receipt.reasons[0]}${more}`,
  );
}
