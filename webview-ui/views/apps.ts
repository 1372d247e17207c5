import type { AppInfo } from '../../protocol/testing';
import { button, h } from '../dom';

/** A started app as the panel shows it. */
export interface AppView {
  app: AppInfo;
  project: string;
  startedAt: number;
  /** Panel clock when the panel first saw it (elapsed time ticks from here). */
  seenAt: number;
}

export interface AppActions {
  open: (appId: string, where: 'browser' | 'simpleBrowser') => void;
  stop: (appId: string) => void;
  /** Shows the apps' live output in VS Code's Output view. */
  output: () => void;
}

/** Apps shown: every running one and the latest that ended. */
const KEEP_ENDED = 1;

export function renderApps(apps: readonly AppView[], actions: AppActions): HTMLElement[] {
  const live = apps.filter((a) => a.app.status === 'starting' || a.app.status === 'ready');
  const ended = apps.filter((a) => !live.includes(a)).slice(-KEEP_ENDED);
  return [...live, ...ended].map((a) => renderApp(a, actions));
}

function renderApp(a: AppView, actions: AppActions): HTMLElement {
  const { app } = a;
  const id = app.appId;
  return h(
    'article',
    {
      className: `card app app-${app.status}`,
      testid: 'app',
      'data-app-id': id,
      'data-status': app.status,
      'aria-label': `App: ${app.command || 'starting'}`,
    },
    h(
      'div',
      { className: 'card-head', role: 'status' },
      h('span', { className: `status-dot dot-${app.status}`, 'aria-hidden': 'true' }),
      h('strong', { testid: 'app-status' }, statusText(app)),
      app.status === 'starting'
        ? h(
            'span',
            {
              className: 'muted elapsed',
              'data-elapsed-base': '0',
              'data-elapsed-at': String(a.seenAt),
            },
            '0:00',
          )
        : null,
    ),
    app.command ? h('pre', { className: 'command' }, app.command) : null,
    app.status === 'ready' && app.url
      ? h(
          'div',
          { className: 'app-url' },
          urlLink(app.url, () => actions.open(id, 'browser')),
          app.readyMs !== undefined
            ? h('span', { className: 'muted' }, ` ready in ${(app.readyMs / 1000).toFixed(1)} s`)
            : null,
        )
      : null,
    app.status !== 'ready' && app.status !== 'starting' && app.message && app.message !== 'Stopped.'
      ? h('p', { className: 'app-message' }, app.message)
      : null,
    app.tail && app.status !== 'ready' && app.status !== 'starting' && app.status !== 'stopped'
      ? h(
          'pre',
          { className: 'output', testid: 'app-tail', tabindex: 0, 'aria-label': 'Last output' },
          app.tail,
        )
      : null,
    app.logFile && (app.status === 'failed' || app.status === 'exited')
      ? h('p', { className: 'muted small' }, 'Full log: ', h('code', {}, app.logFile))
      : null,
    h(
      'div',
      { className: 'actions' },
      app.status === 'ready' && app.url
        ? button('Open in Browser', () => actions.open(id, 'browser'), {
            className: 'primary',
            testid: 'app-open-browser',
          })
        : null,
      app.status === 'ready' && app.url
        ? button('Open in Simple Browser', () => actions.open(id, 'simpleBrowser'), {
            className: 'secondary',
            testid: 'app-open-simple',
          })
        : null,
      app.status === 'ready' || app.status === 'starting'
        ? button('Stop', () => actions.stop(id), { className: 'secondary', testid: 'app-stop' })
        : null,
      button('Output', () => actions.output(), {
        className: 'secondary',
        testid: 'app-output',
        title: 'Show what the app printed, live, in the Output view (NAVI App)',
      }),
    ),
  );
}

/** The URL as a link; a click asks the host to open it in the browser. */
function urlLink(url: string, open: () => void): HTMLElement {
  const link = h('a', { href: url, testid: 'app-url', title: 'Open in Browser' }, url);
  link.addEventListener('click', (event) => {
    event.preventDefault();
    open();
  });
  return link;
}

function statusText(app: AppInfo): string {
  switch (app.status) {
    case 'starting':
      return app.command ? 'Starting…' : 'Waiting to start…';
    case 'ready':
      return app.url ? 'Running' : 'Running (no URL seen)';
    case 'exited':
      return `Exited${app.exitCode !== undefined && app.exitCode !== null ? ` (exit ${app.exitCode})` : ''}`;
    case 'failed':
      return 'Did not start';
    case 'stopped':
      return 'Stopped';
  }
}
