import type { CiSystem } from './scanReport';

/**
 * How report values read for people. The CLI and the sidebar panel both use these, so a report
 * says the same thing in the terminal and in VS Code.
 */

/** Product names of the CI systems the scan recognises. */
export const CI_SYSTEM_NAMES: Record<CiSystem, string> = {
  'github-actions': 'GitHub Actions',
  'gitlab-ci': 'GitLab CI',
  'azure-pipelines': 'Azure Pipelines',
  circleci: 'CircleCI',
  jenkins: 'Jenkins',
};

/** `1536` → `1.5 KB` (binary units, one decimal above bytes). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** `plural(1, 'file')` → `1 file`; `plural(1200, 'entry', 'entries')` → `1,200 entries`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** Quotes one word for bash so it stays one word: plain words as they are, others in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
