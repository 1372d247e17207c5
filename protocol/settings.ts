import { z } from 'zod';

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
});
export type Settings = z.infer<typeof Settings>;
export type SettingKey = keyof Settings;
