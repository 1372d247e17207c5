import * as vscode from 'vscode';
import { Settings, type SettingKey } from '../protocol/settings';

/**
 * Reads `navi.*` settings through the settings schema: a value of the wrong type or out of range
 * falls back to the default with a warning in the log instead of breaking a feature.
 */
export function readSetting<K extends SettingKey>(
  key: K,
  log: vscode.LogOutputChannel,
  options: { userOnly?: boolean } = {},
): Settings[K] {
  const schema = Settings.shape[key];
  // `userOnly`: settings an admin controls (sign-in). Workspace and folder values are ignored
  // even if VS Code let one through: a cloned repository must never choose the identity provider.
  const raw = options.userOnly
    ? vscode.workspace.getConfiguration('navi').inspect<unknown>(key)?.globalValue
    : vscode.workspace.getConfiguration('navi').get<unknown>(key);
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data as Settings[K];
  const fallback = schema.parse(undefined) as Settings[K];
  log.warn(
    `Setting navi.${key} has an invalid value (${JSON.stringify(raw)}); using ${JSON.stringify(fallback)}.`,
  );
  return fallback;
}
