import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where the agent keeps its state (audit log, always-allow entries, command logs). VS Code passes
 * the extension's global storage folder; the CLI uses the XDG state directory.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.local', 'state'), 'navi');
}

/** The user's own policy file (the `user` layer), shared by VS Code and the CLI. */
export function userPolicyPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  return path.join(
    xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config'),
    'navi',
    'policy.json',
  );
}

/** The org layer on this machine, managed by an administrator (a control plane serves it later). */
export const MACHINE_ORG_POLICY = '/etc/navi/policy.json';
