import type { AlwaysAllowEntryInfo } from '../../protocol/approvals';
import { button, h } from '../dom';

/** The "always allow" entries of the workspace as the panel knows them. */
export interface AlwaysAllowView {
  entries: AlwaysAllowEntryInfo[];
  /** Why they could not be listed or revoked, when that failed. */
  error?: string;
  /** Ids being revoked (their button is disabled until the list comes back). */
  revoking: Set<string>;
  /** Entries whose exact command is shown (kept across re-renders). */
  openDetails: Set<string>;
}

export function createAlwaysAllowView(): AlwaysAllowView {
  return { entries: [], revoking: new Set(), openDetails: new Set() };
}

/** "expires in 30 days (2027-01-06)", "expires within a day (2027-01-06)". */
export function expiryText(expiresAt: string, now = Date.now()): string {
  const days = Math.ceil((Date.parse(expiresAt) - now) / 86_400_000);
  const when = days <= 1 ? 'within a day' : `in ${days} days`;
  return `expires ${when} (${expiresAt.slice(0, 10)})`;
}

/**
 * The workspace's "always allow" entries: each command that runs here without asking, who chose
 * it and when it expires, with _Revoke_ (the command asks again). Nothing when there are none.
 */
export function renderAlwaysAllow(
  view: AlwaysAllowView,
  actions: { revoke(id: string): void; reload(): void },
): HTMLElement | null {
  if (view.entries.length === 0 && !view.error) return null;
  return h(
    'section',
    { className: 'always-allow', 'aria-labelledby': 'h-always-allow', testid: 'always-allow' },
    h('h2', { id: 'h-always-allow' }, `Always allowed in this workspace (${view.entries.length})`),
    view.error
      ? h(
          'div',
          { className: 'banner error', role: 'alert' },
          view.error,
          ' ',
          button('Try again', () => actions.reload(), { className: 'link' }),
        )
      : null,
    view.entries.length
      ? h('p', { className: 'muted' }, 'These exact commands run here without asking until they expire.')
      : null,
    h(
      'ul',
      { className: 'always-allow-list' },
      ...view.entries.map((e) =>
        h(
          'li',
          { testid: 'always-allow-entry', 'data-entry-id': e.id },
          h(
            'code',
            { className: 'always-allow-command', testid: 'always-allow-command' },
            e.label ?? e.command,
          ),
          e.label ? exactCommand(view, e) : null,
          h(
            'div',
            { className: 'always-allow-meta' },
            h(
              'span',
              { className: 'muted', testid: 'always-allow-expiry' },
              `by ${e.by} · ${expiryText(e.expiresAt)}`,
            ),
            button('Revoke', () => actions.revoke(e.id), {
              className: 'secondary small',
              testid: 'always-allow-revoke',
              'data-focus-key': `always-allow:${e.id}`,
              'aria-label': `Revoke "always allow" for ${e.command}`,
              title: 'The command asks again from now on',
              disabled: view.revoking.has(e.id),
            }),
          ),
        ),
      ),
    ),
  );
}

/** A task's entry shows how people know it; the exact command it allows is one click away. */
function exactCommand(view: AlwaysAllowView, e: AlwaysAllowEntryInfo): HTMLElement {
  const details = h(
    'details',
    { className: 'always-allow-exact', testid: 'always-allow-exact', open: view.openDetails.has(e.id) },
    h('summary', { 'data-focus-key': `always-allow:${e.id}:exact` }, 'Exact command'),
    h('pre', { className: 'command' }, e.command),
  );
  details.addEventListener('toggle', () => {
    if (details.open) view.openDetails.add(e.id);
    else view.openDetails.delete(e.id);
  });
  return details;
}
