/**
 * Org sign-in: the `navi` authentication provider, *NAVI: Sign In* / *NAVI: Sign Out* and the
 * status bar item that shows the org.
 *
 * - Sign-in is OIDC (extension/auth/oidc.ts): authorization code + PKCE with the redirect on
 *   127.0.0.1 (a local desktop), through VS Code's URI handler (remote and web hosts), or the
 *   device code (`navi.auth.flow`, or when the user picks it while the browser flow waits).
 * - Issuer, client id, audience and scopes come from `navi.auth.*`, application-scoped settings
 *   read from user settings only (never a workspace's).
 * - The session is kept in SecretStorage under `navi.auth.session`, shared by every window. It
 *   is refreshed before the access token expires by one window at a time
 *   (extension/auth/refresh.ts explains the lease); the other windows see the change event and
 *   re-read it. Sign-out revokes the tokens at the provider, then deletes them.
 * - `getAccessToken()` is how other features get a current token for the control plane.
 *
 * Tokens are never logged; the log says who signed in, when a refresh happened, and why a
 * sign-in failed.
 */
import * as vscode from 'vscode';
import { readSetting } from '../config';
import {
  DEFAULT_SCOPES,
  refreshSession,
  revokeSession,
  sessionMatches,
  SignInError,
  startAuthorization,
  startDeviceAuthorization,
  type OidcSettings,
} from '../auth/oidc';
import { startLoopbackRedirect } from '../auth/loopback';
import { SessionExpiredError, SessionStore } from '../auth/refresh';
import { accountDisplay, refreshDueAt, type StoredSession } from '../auth/session';

export const AUTH_PROVIDER_ID = 'navi';
export const SESSION_KEY = 'navi.auth.session';
const HINT = 'Check navi.auth.issuer and navi.auth.clientId in your user settings.';
const URI_CALLBACK_PATH = '/auth-callback';

type Flow = 'loopback' | 'uriHandler' | 'deviceCode';

export class AuthFeature implements vscode.Disposable, vscode.AuthenticationProvider {
  private readonly changes =
    new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>();
  readonly onDidChangeSessions = this.changes.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly store: SessionStore;
  private readonly statusBar: vscode.StatusBarItem;
  /** The session as this window last saw it (for change events and the status bar). */
  private known: StoredSession | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private pendingUriCallback: ((uri: vscode.Uri) => void) | undefined;
  private signingIn: Promise<vscode.AuthenticationSession | undefined> | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.store = new SessionStore(context.secrets, {
      key: SESSION_KEY,
      refresh: async (session) => {
        this.log.info(`NAVI sign-in: renewing the session of ${accountDisplay(session.account)}.`);
        return refreshSession(session, HINT);
      },
    });
    this.statusBar = vscode.window.createStatusBarItem('navi.auth', vscode.StatusBarAlignment.Left, 50);
    this.statusBar.name = 'NAVI Org';
    this.disposables.push(
      this.changes,
      this.statusBar,
      vscode.authentication.registerAuthenticationProvider(AUTH_PROVIDER_ID, 'NAVI', this, {
        supportsMultipleAccounts: false,
      }),
      vscode.window.registerUriHandler({ handleUri: (uri) => this.handleUri(uri) }),
      // Another window signed in, refreshed or signed out.
      context.secrets.onDidChange((e) => {
        if (e.key === SESSION_KEY) void this.reload();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('navi.auth')) void this.reload();
      }),
    );
    void this.reload();
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
  }

  /** The sign-in settings, or undefined when no issuer is configured (no org sign-in). */
  settings(): OidcSettings | undefined {
    const issuer = readSetting('auth.issuer', this.log, { userOnly: true }).replace(/\/+$/, '');
    if (!issuer) return undefined;
    const audience = readSetting('auth.audience', this.log, { userOnly: true });
    const scopes = readSetting('auth.scopes', this.log, { userOnly: true }).split(/\s+/).filter(Boolean);
    return {
      issuer,
      clientId: readSetting('auth.clientId', this.log, { userOnly: true }),
      ...(audience ? { audience } : {}),
      scopes: scopes.length ? scopes : DEFAULT_SCOPES,
    };
  }

  /**
   * A current access token for the org's control plane (refreshed first when it is about to
   * expire, by this window or another), or undefined when not signed in. With
   * `createIfNone`, starts *NAVI: Sign In* first. Callers send it as `Authorization: Bearer`
   * and must not log or store it; call again for each request batch rather than caching it.
   */
  async getAccessToken(options: { createIfNone?: boolean } = {}): Promise<string | undefined> {
    const session = await this.currentSession();
    if (session) return session.accessToken;
    if (!options.createIfNone) return undefined;
    return (await this.signIn())?.accessToken;
  }

  /** The account (user, org, roles) of the current session, for display. */
  async account(): Promise<StoredSession['account'] | undefined> {
    return (await this.currentSession())?.account;
  }

  // --- vscode.AuthenticationProvider -------------------------------------------------------

  async getSessions(): Promise<vscode.AuthenticationSession[]> {
    const session = await this.currentSession().catch(() => undefined);
    return session ? [toVsSession(session)] : [];
  }

  async createSession(): Promise<vscode.AuthenticationSession> {
    const session = await this.signIn();
    if (!session) throw new Error('Sign in was cancelled.');
    return session;
  }

  async removeSession(): Promise<void> {
    await this.signOut();
  }

  // --- Commands ------------------------------------------------------------------------------

  /** *NAVI: Sign In*. Resolves with the session, or undefined when cancelled or failed (shown). */
  signIn(flowOverride?: Flow): Promise<vscode.AuthenticationSession | undefined> {
    this.signingIn ??= this.signInOnce(flowOverride).finally(() => (this.signingIn = undefined));
    return this.signingIn;
  }

  private async signInOnce(flowOverride?: Flow): Promise<vscode.AuthenticationSession | undefined> {
    const settings = this.settings();
    if (!settings) {
      const choice = await vscode.window.showErrorMessage(
        'NAVI sign-in is not set up: set navi.auth.issuer (your org\u2019s identity provider) in your user settings, or ask your admin for the values.',
        'Open Settings',
      );
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'navi.auth');
      return undefined;
    }
    const flow = flowOverride ?? this.chooseFlow();
    this.log.info(`NAVI sign-in: starting (${flow}) with ${settings.issuer}, client ${settings.clientId}.`);
    try {
      const session =
        flow === 'deviceCode'
          ? await this.deviceCodeSignIn(settings)
          : await this.browserSignIn(settings, flow);
      if (!session) return undefined;
      const previous = await this.store.read();
      await this.store.write(session);
      if (previous && previous.id !== session.id) void revokeSession(previous, HINT);
      this.log.info(`NAVI sign-in: signed in as ${accountDisplay(session.account)}.`);
      await this.reload();
      return toVsSession(session);
    } catch (error) {
      if (error === CANCELLED) return undefined;
      if (error instanceof SwitchToDeviceCode) return this.signInOnce('deviceCode');
      const message = error instanceof Error ? error.message : String(error);
      this.log.error(`NAVI sign-in failed: ${message}`);
      const text = error instanceof SignInError ? message : `Sign in failed: ${message}`;
      void this.showError(text, ...(flow === 'deviceCode' ? [] : [USE_DEVICE_CODE]));
      return undefined;
    }
  }

  /** *NAVI: Sign Out*: revokes the tokens at the provider, then forgets them in every window. */
  async signOut(): Promise<void> {
    const session = await this.store.read();
    if (!session) {
      void vscode.window.setStatusBarMessage('NAVI: not signed in.', 4000);
      await this.reload();
      return;
    }
    const problems = await revokeSession(session, HINT);
    if (problems.length)
      this.log.warn(`NAVI sign-out: the provider did not revoke every token (${problems.join('; ')}).`);
    await this.store.clear();
    this.log.info(`NAVI sign-in: signed out ${accountDisplay(session.account)}.`);
    await this.reload();
    void vscode.window.setStatusBarMessage(`NAVI: signed out of ${session.account.org}.`, 4000);
  }

  // --- Flows ---------------------------------------------------------------------------------

  private chooseFlow(): Flow {
    const flow = readSetting('auth.flow', this.log, { userOnly: true });
    if (flow !== 'auto') return flow;
    return vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName ? 'loopback' : 'uriHandler';
  }

  private async browserSignIn(
    settings: OidcSettings,
    flow: 'loopback' | 'uriHandler',
  ): Promise<StoredSession> {
    const cancel = new AbortController();
    let redirectUri: string;
    let callback: Promise<URL>;
    let close = () => {};
    if (flow === 'loopback') {
      const loopback = await startLoopbackRedirect({ signal: cancel.signal, appName: vscode.env.appName });
      redirectUri = loopback.redirectUri;
      callback = loopback.callback;
      close = loopback.close;
    } else {
      const target = vscode.Uri.parse(
        `${vscode.env.uriScheme}://${this.context.extension.id}${URI_CALLBACK_PATH}`,
      );
      redirectUri = (await vscode.env.asExternalUri(target)).toString(true);
      callback = new Promise<URL>((resolve, reject) => {
        this.pendingUriCallback = (uri) => resolve(new URL(`https://callback.invalid/?${uri.query}`));
        const timer = setTimeout(
          () => reject(new Error('timed out waiting for the browser to finish the sign-in')),
          5 * 60_000,
        );
        cancel.signal.addEventListener('abort', () => (clearTimeout(timer), reject(CANCELLED)), {
          once: true,
        });
      });
      callback.catch(() => undefined);
      this.log.info(`NAVI sign-in: redirect URI ${redirectUri} (it must be registered for the client).`);
    }
    try {
      const pending = await startAuthorization(settings, redirectUri, HINT);
      const opened = await vscode.env.openExternal(vscode.Uri.parse(pending.url.href, true));
      if (!opened) throw new SwitchToDeviceCode();
      const url = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: 'NAVI: complete the sign-in in your browser…',
          cancellable: true,
        },
        (_progress, token) => {
          token.onCancellationRequested(() => cancel.abort());
          return callback;
        },
      );
      return await pending.finish(url);
    } catch (error) {
      if (cancel.signal.aborted) throw CANCELLED;
      throw error;
    } finally {
      cancel.abort();
      this.pendingUriCallback = undefined;
      close();
    }
  }

  private async deviceCodeSignIn(settings: OidcSettings): Promise<StoredSession> {
    const pending = await startDeviceAuthorization(settings, HINT);
    const cancel = new AbortController();
    const target = pending.verificationUriComplete ?? pending.verificationUri;
    const copyAndOpen = 'Copy Code and Open';
    void vscode.window
      .showInformationMessage(
        `To sign in to NAVI, open ${pending.verificationUri} and enter the code ${pending.userCode}.`,
        copyAndOpen,
      )
      .then(async (choice) => {
        if (choice !== copyAndOpen) return;
        await vscode.env.clipboard.writeText(pending.userCode);
        await vscode.env.openExternal(vscode.Uri.parse(target, true));
      });
    try {
      return await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `NAVI: waiting for the code ${pending.userCode} to be approved…`,
          cancellable: true,
        },
        (_progress, token) => {
          token.onCancellationRequested(() => cancel.abort(CANCELLED));
          return pending.wait(cancel.signal);
        },
      );
    } catch (error) {
      if (cancel.signal.aborted) throw CANCELLED;
      throw error;
    }
  }

  private handleUri(uri: vscode.Uri): void {
    if (uri.path === URI_CALLBACK_PATH && this.pendingUriCallback) this.pendingUriCallback(uri);
  }

  // --- State ---------------------------------------------------------------------------------

  /** The stored session for the current settings, refreshed when due; undefined when signed out. */
  private async currentSession(): Promise<StoredSession | undefined> {
    const settings = this.settings();
    if (!settings) return undefined;
    try {
      const session = await this.store.fresh();
      if (session && sessionMatches(session, settings)) return session;
      return undefined;
    } catch (error) {
      if (error instanceof SessionExpiredError) {
        this.log.warn(`NAVI sign-in: ${error.message}`);
        await this.reload();
        void this.showError(error.message, 'Sign In');
        return undefined;
      }
      throw error;
    }
  }

  /** Re-reads the stored session: fires change events, updates the status bar, plans the refresh. */
  private async reload(): Promise<void> {
    const settings = this.settings();
    const stored = await this.store.read();
    const session = stored && settings && sessionMatches(stored, settings) ? stored : undefined;
    const before = this.known;
    this.known = session;
    if (before?.id !== session?.id || before?.accessToken !== session?.accessToken) {
      const event: vscode.AuthenticationProviderAuthenticationSessionsChangeEvent = {
        added: session && before?.id !== session.id ? [toVsSession(session)] : [],
        removed: before && before.id !== session?.id ? [toVsSession(before)] : [],
        changed: session && before?.id === session.id ? [toVsSession(session)] : [],
      };
      this.changes.fire(event);
    }
    void vscode.commands.executeCommand('setContext', 'navi.signedIn', Boolean(session));
    this.renderStatusBar(settings, session);
    this.planRefresh(session);
  }

  private renderStatusBar(settings: OidcSettings | undefined, session: StoredSession | undefined): void {
    if (!settings) {
      this.statusBar.hide();
      return;
    }
    if (session) {
      const { account } = session;
      this.statusBar.text = `$(organization) ${account.org}`;
      this.statusBar.tooltip = new vscode.MarkdownString(
        `Signed in to NAVI as **${escapeMarkdown(account.label)}**, org **${escapeMarkdown(account.org)}**` +
          `${account.roles.length ? ` (${escapeMarkdown(account.roles.join(', '))})` : ''}.\n\nIssuer: ${escapeMarkdown(session.issuer)}\n\nClick to sign out.`,
      );
      this.statusBar.command = 'navi.signOut';
      this.statusBar.accessibilityInformation = {
        label: `NAVI org ${account.org}, signed in as ${account.label}`,
      };
    } else {
      this.statusBar.text = '$(sign-in) Sign in';
      this.statusBar.tooltip = `Sign in to NAVI with ${settings.issuer}`;
      this.statusBar.command = 'navi.signIn';
      this.statusBar.accessibilityInformation = { label: 'NAVI: not signed in. Sign in' };
    }
    this.statusBar.show();
  }

  /** Refreshes a little before `refreshDueAt`, with jitter so windows do not all race the lease. */
  private planRefresh(session: StoredSession | undefined): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    if (!session?.refreshToken) return;
    const delay = Math.max(0, refreshDueAt(session) - Date.now()) + Math.random() * 2_000;
    this.refreshTimer = setTimeout(
      () => {
        this.currentSession().then(
          () => this.reload(),
          (error: unknown) => {
            this.log.warn(
              `NAVI sign-in: renewing the session failed (${error instanceof Error ? error.message : String(error)}); retrying in a minute.`,
            );
            this.refreshTimer = setTimeout(() => void this.reload(), 60_000);
          },
        );
      },
      Math.min(delay, 2 ** 31 - 1),
    );
  }

  private async showError(message: string, ...actions: string[]): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, ...actions, 'Open Settings', 'Show Log');
    if (choice === 'Sign In') void this.signIn();
    else if (choice === USE_DEVICE_CODE) void this.signIn('deviceCode');
    else if (choice === 'Open Settings')
      void vscode.commands.executeCommand('workbench.action.openSettings', 'navi.auth');
    else if (choice === 'Show Log') this.log.show();
  }
}

const CANCELLED = new Error('cancelled');
const USE_DEVICE_CODE = 'Use a Device Code';
class SwitchToDeviceCode extends Error {}

function toVsSession(session: StoredSession): vscode.AuthenticationSession {
  return {
    id: session.id,
    accessToken: session.accessToken,
    account: { id: session.account.sub, label: accountDisplay(session.account) },
    scopes: session.scopes,
  };
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, '\\$&');
}
