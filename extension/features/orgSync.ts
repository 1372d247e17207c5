/**
 * Org sync: tells the agent which control plane to upload the audit trail to and with which
 * token (`navi/orgSession`), and answers its requests for a fresh token (`navi/orgToken`).
 *
 * - The control plane is `navi.controlPlane.url`, an application-scoped setting read from user
 *   settings only (like `navi.auth.*`: a cloned repository must never redirect the audit trail).
 * - The session is sent after every agent start (also after a crash restart: the agent keeps
 *   nothing), on sign-in, on every token refresh (this window's or another's), on sign-out
 *   (`{ signedOut: true }`) and when the setting changes.
 * - The token is never logged.
 */
import * as vscode from 'vscode';
import {
  orgSession,
  orgToken,
  OrgTokenParams,
  type OrgSessionParams,
  type OrgTokenResult,
} from '../../protocol/requests';
import type { Agent } from '../client';
import { readSetting } from '../config';
import type { AuthFeature } from './auth';

export class OrgSyncFeature implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** The last session sent, to log only changes (never the token). */
  private lastSent = '';
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly agent: Agent,
    private readonly auth: AuthFeature,
    private readonly log: vscode.LogOutputChannel,
  ) {
    agent.handleRequests((client) =>
      client.onRequest(orgToken.type, async (raw): Promise<OrgTokenResult> => {
        const parsed = OrgTokenParams.safeParse(raw);
        if (!parsed.success) return { signedOut: true };
        const token = await this.auth.getAccessToken().catch(() => undefined);
        if (!token || !this.controlPlaneUrl()) return { signedOut: true };
        const expiresAt = jwtExpiry(token);
        return { accessToken: token, ...(expiresAt !== undefined ? { expiresAt } : {}) };
      }),
    );
    this.disposables.push(
      agent.onDidStart(() => {
        this.lastSent = '';
        this.send();
      }),
      auth.onDidChangeSessions(() => this.send()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('navi.controlPlane')) this.send();
      }),
    );
    if (agent.state === 'running') this.send();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private controlPlaneUrl(): string {
    return readSetting('controlPlane.url', this.log, { userOnly: true }).replace(/\/+$/, '');
  }

  /** Sends the current session (queued: the agent sees them in order). */
  send(): void {
    this.sending = this.sending
      .then(() => this.sendNow())
      .catch((error: unknown) => {
        this.log.warn(`NAVI org sync: could not send the session to the agent (${String(error)}).`);
      });
  }

  private async sendNow(): Promise<void> {
    if (this.agent.state !== 'running') return; // onDidStart sends it
    const params = await this.params();
    const client = await this.agent.ready();
    await client.sendNotification(orgSession.type, params);
    const summary =
      'signedOut' in params ? 'signed out' : `${params.user} in ${params.org} → ${params.controlPlaneUrl}`;
    if (summary !== this.lastSent) {
      this.lastSent = summary;
      this.log.info(
        `NAVI org sync: ${'signedOut' in params ? 'no org session (audit upload paused)' : `uploading the audit trail for ${summary}`}.`,
      );
    }
  }

  private async params(): Promise<OrgSessionParams> {
    const url = this.controlPlaneUrl();
    if (!url) return { signedOut: true };
    const [token, account] = await Promise.all([
      this.auth.getAccessToken().catch(() => undefined),
      this.auth.account().catch(() => undefined),
    ]);
    if (!token || !account) return { signedOut: true };
    const expiresAt = jwtExpiry(token);
    return {
      controlPlaneUrl: url,
      accessToken: token,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      org: account.org,
      user: account.label,
    };
  }
}

/** `exp` of a JWT access token in ms (unverified: only to plan the refresh), else undefined. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? Math.round(exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}
