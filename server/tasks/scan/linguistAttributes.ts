/**
 * The overrides a repository gives GitHub's linguist in its root `.gitattributes`, so the
 * language bar counts what the project says it is (TypeScript's own repository marks `*.js` as
 * TypeScript; others mark checked-in bundles `linguist-generated`):
 *
 *     lib/**          linguist-generated
 *     third_party/**  linguist-vendored
 *     docs/**         linguist-documentation=false     (counted after all)
 *     *.js            linguist-language=TypeScript
 *
 * Patterns follow gitattributes: without a `/` they match a file name at any depth, with one they
 * match from the root; the last matching line wins for each attribute.
 */

export interface LinguistOverride {
  /** `true`: left out of the bar; `false`: counted even where the defaults leave it out. */
  excluded?: boolean;
  /** The language to count the file as. */
  language?: string;
}

interface Rule {
  regex: RegExp;
  /** Match the file name only (the pattern has no `/`). */
  nameOnly: boolean;
  excluded?: boolean;
  language?: string;
}

export type LinguistAttributes = (path: string) => LinguistOverride | undefined;

const EXCLUDING = new Set(['linguist-vendored', 'linguist-generated', 'linguist-documentation']);

/** A gitattributes pattern as a regex over a path (or a name), `**` across folders, `*` within one. */
function patternRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      out += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** The overrides in a `.gitattributes` text; undefined when it sets no linguist attribute. */
export function parseLinguistAttributes(text: string): LinguistAttributes | undefined {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || !line.includes('linguist-')) continue;
    const [pattern, ...attrs] = line.split(/\s+/);
    if (!pattern || pattern.startsWith('!')) continue;
    const rule: Rule = { regex: /$^/, nameOnly: false };
    for (const attr of attrs) {
      const unset = attr.startsWith('-');
      const [name, value] = (unset ? attr.slice(1) : attr).split('=', 2) as [string, string | undefined];
      if (EXCLUDING.has(name)) rule.excluded = !(unset || value === 'false');
      else if (name === 'linguist-language' && value && !unset) rule.language = value;
    }
    if (rule.excluded === undefined && rule.language === undefined) continue;
    let p = pattern.endsWith('/') ? `${pattern}**` : pattern;
    rule.nameOnly = !p.slice(0, -1).includes('/');
    if (p.startsWith('/')) p = p.slice(1);
    rule.regex = patternRegex(p);
    rules.push(rule);
  }
  if (rules.length === 0) return undefined;
  return (path) => {
    let result: LinguistOverride | undefined;
    const name = path.slice(path.lastIndexOf('/') + 1);
    for (const rule of rules) {
      if (!rule.regex.test(rule.nameOnly ? name : path)) continue;
      result ??= {};
      if (rule.excluded !== undefined) result.excluded = rule.excluded;
      if (rule.language !== undefined) result.language = rule.language;
    }
    return result;
  };
}
