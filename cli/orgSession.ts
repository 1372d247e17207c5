import * as fs from 'node:fs';
import * as requests from '../protocol/requests';
import type { AgentClient } from './agentClient';
import { bearerToken, configFile } from './auth';
import { UsageError } from './common';

/**
 * The CLI's org session for its agent: when a control plane is configured and a token is at hand,
 * the agent started by `navi run` / `navi test` / `navi start` / `navi audit upload` uploads the
 * audit trail (and applies the org policy) like the extension's does.
 *
 * - Control plane: `--control-plane URL` (navi audit upload), else `NAVI_CONTROL_PLANE_URL`, else
 *   `"controlPlane": {"url": …}` in `~/.config/navi/config.json`. None: nothing is uploaded.
 * - Token: `NAVI_TOKEN`, else the `navi login` session (renewed when due), as `navi whoami` finds it.
 * - Before the CLI exits it flushes what is pending (at most `NAVI_UPLOAD_EXIT_WAIT_SECONDS`, default
 *   5 s); what is left stays in the local log and goes with the next run or `navi audit upload`.
 */

export function resolveControlPlaneUrl(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const fromFile = (): string | undefined => {
    const file = configFile(env);
    if (!fs.existsSync(file)) return undefined;
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { controlPlane?: { url?: unknown } };
      return typeof parsed.controlPlane?.url === 'string' ? parsed.controlPlane.url : undefined;
    } catch (error) {
      throw new UsageError(`${file} is not valid JSON (${(error as Error).message}).`);
    }
  };
  const raw = (flag ?? env.NAVI_CONTROL_PLANE_URL ?? fromFile())?.trim();
  if (!raw) return undefined;
  const parsed = requests.ControlPlaneUrl.safeParse(raw);
  if (!parsed.success) throw new UsageError(`control plane URL ${raw}: ${parsed.error.issues[0]?.message}`);
  return raw.replace(/\/+$/, '');
}

export interface OrgConnection {
  /** Whether the agent has an org session. */
  active: boolean;
  controlPlaneUrl?: string;
  /** `navi/auditUpload`: upload what is pending, at most `timeoutMs`. */
  flush(timeoutMs: number): Promise<requests.OrgUploadStatus | undefined>;
}

/** Gives the agent the org session (if any) and answers its token requests. */
export async function connectOrg(
  agent: AgentClient,
  options: { controlPlaneUrl?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<OrgConnection> {
  const env = options.env ?? process.env;
  const url = options.controlPlaneUrl ?? resolveControlPlaneUrl(undefined, env);
  const none: OrgConnection = { active: false, flush: async () => undefined };
  if (!url) return none;
  const token = await bearerToken(env).catch(() => undefined);
  if (!token) return { ...none, controlPlaneUrl: url };
  const claims = jwtClaims(token);
  agent.connection.onRequest(requests.orgToken.type, async (): Promise<requests.OrgTokenResult> => {
    const fresh = await bearerToken(env).catch(() => undefined);
    if (!fresh) return { signedOut: true };
    const exp = jwtClaims(fresh).exp;
    return { accessToken: fresh, ...(exp !== undefined ? { expiresAt: exp } : {}) };
  });
  await agent.connection.sendNotification(requests.orgSession.type, {
    controlPlaneUrl: url,
    accessToken: token,
    ...(claims.exp !== undefined ? { expiresAt: claims.exp } : {}),
    org: claims.org ?? new URL(url).host,
    user: claims.user ?? 'unknown',
  });
  return {
    active: true,
    controlPlaneUrl: url,
    flush: async (timeoutMs) =>
      requests.OrgUploadStatus.parse(
        await agent.connection.sendRequest(requests.auditUpload.type, { timeoutMs }),
      ),
  };
}

/** How long the CLI waits for the upload before it exits. */
export function exitWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.NAVI_UPLOAD_EXIT_WAIT_SECONDS ?? 5);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 600) * 1000 : 5000;
}

/** Claims of a JWT, unverified: for the org name and the refresh time only (the control plane verifies). */
function jwtClaims(token: string): { exp?: number; org?: string; user?: string } {
  try {
    const c = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    return {
      ...(typeof c.exp === 'number' ? { exp: Math.round(c.exp * 1000) } : {}),
      ...((str(c.navi_org) ?? str(c.org)) ? { org: (str(c.navi_org) ?? str(c.org))! } : {}),
      ...((str(c.email) ?? str(c.sub)) ? { user: (str(c.email) ?? str(c.sub))! } : {}),
    };
  } catch {
    return {};
  }
}
