import * as z from 'zod';

/**
 * NAVI's VS Code settings (the `navi.*` keys in package.json `contributes.configuration`). The
 * extension reads them through one typed reader that parses with this schema and falls back to
 * the default, with a logged warning, for any value that does not fit.
 */
export const Settings = z.object({
  /** Scan automatically when a workspace opens. */
  'scan.scanOnOpen': z.boolean().default(false),
  /** Files larger than this many MB are reported as `large-file` and not searched (1..1024). */
  'scan.maxFileSizeMB': z.number().min(1).max(1024).default(5),
  /** Agent restarts allowed within three minutes before NAVI gives up (0..20). */
  'agent.maxRestarts': z.number().int().min(0).max(20).default(4),
  /** Seconds a command waits for the user's approval before it is denied (5..3600). */
  'approvals.timeoutSeconds': z.number().int().min(5).max(3600).default(300),
  /** Minutes a command may run before NAVI stops it and everything it started (1..1440). */
  'commands.timeoutMinutes': z.number().int().min(1).max(1440).default(10),
  /** Minutes one test step may run before NAVI stops it and everything it started (1..1440). */
  'tests.timeoutMinutes': z.number().int().min(1).max(1440).default(10),
  /** Seconds a started app may take to become ready (a URL, a "listening on" line or an open port) (1..3600). */
  'app.readyTimeoutSeconds': z.number().int().min(1).max(3600).default(60),
  /**
   * Org sign-in (application scope: user settings only, also in remote windows, never a
   * workspace's; NAVI reads only those). The OIDC issuer URL, https (http only for 127.0.0.1 / localhost); '' = no org sign-in.
   */
  'auth.issuer': z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default(''),
  /** The OIDC client id NAVI is registered with at the issuer (a public client, PKCE). */
  'auth.clientId': z.string().min(1).default('navi'),
  /** Resource indicator (RFC 8707) of the org's control plane; '' = none is sent. */
  'auth.audience': z.string().default(''),
  /** Scopes requested, space-separated; `offline_access` gives the refresh token. */
  'auth.scopes': z.string().min(1).default('openid email profile offline_access'),
  /**
   * How the browser returns to NAVI: `auto` (loopback on a local desktop, the URI handler on a
   * remote or web host), `loopback` (http://127.0.0.1:PORT/callback), `uriHandler` (a
   * vscode:// redirect through `asExternalUri`), `deviceCode` (a code to enter on any device).
   */
  'auth.flow': z.enum(['auto', 'loopback', 'uriHandler', 'deviceCode']).default('auto'),
  /**
   * Base URL of the org's NAVI control plane (application scope, like `auth.*`): when set and
   * signed in, the agent uploads the audit trail there and takes the org policy layer from it.
   * https (http only for 127.0.0.1 / localhost); '' = no upload.
   */
  'controlPlane.url': z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default(''),
});
export type Settings = z.infer<typeof Settings>;
export type SettingKey = keyof Settings;
