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
  return singleQuote(word);
}

/** One word in single quotes for bash, whatever it holds (`'` written as `'\\''`). */
export function singleQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Quotes one word for a person to read: like shellQuote, but a word with a newline, tab or other
 * control character is written as bash's `$'…'` with escapes, so a file name cannot break a line
 * or send terminal escape sequences where a command is shown.
 */
export function displayWord(word: string): string {
  if (
    !/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/.test(
      word,
    )
  )
    return shellQuote(word);
  const escaped = [...word]
    .map((c) => {
      const code = c.codePointAt(0)!;
      if (c === '\n') return '\\n';
      if (c === '\t') return '\\t';
      if (c === "'" || c === '\\') return `\\${c}`;
      if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `\\x${code.toString(16).padStart(2, '0')}`;
      if (code >= 0x200b && code <= 0xfeff && !/[\p{L}\p{N}\p{P}\p{S}\p{Zs}]/u.test(c))
        return `\\u${code.toString(16).padStart(4, '0')}`;
      return c;
    })
    .join('');
  return `$'${escaped}'`;
}

/** `src/*.ts → a.ts b.ts …` for one expanded pattern, at most `max` names. */
export function describeExpansion(e: { pattern: string; names: readonly string[] }, max = 20): string {
  if (e.names.length === 0) return `${e.pattern} → nothing (the word is dropped)`;
  const shown = e.names.slice(0, max).map(displayWord).join(' ');
  const more = e.names.length > max ? ` … and ${plural(e.names.length - max, 'more name')}` : '';
  return `${e.pattern} → ${shown}${more}`;
}
