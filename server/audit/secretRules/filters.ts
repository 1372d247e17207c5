import type { SecretRule } from './types';

/**
 * What keeps the scan's findings trustworthy: a match is reported only when its sensitive part is
 * not a documented example or placeholder and, for generic rules, looks random enough. The output
 * redactor does not apply these filters (it masks every match: hiding a placeholder costs nothing).
 */

/** Shannon entropy of `s` in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * Values that providers and standards publish as examples (AWS's documented key pair, the jwt.io
 * sample signature): never a real credential, wherever they appear.
 */
const DOCUMENTED_EXAMPLES = [
  'AKIAIOSFODNN7EXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
];

// Words that mark a value as written for a reader, not issued by a provider. Matched case-
// insensitively inside the sensitive part.
const PLACEHOLDER_WORDS =
  /example|sample|dummy|placeholder|redacted|changeme|change_me|change-me|your[_-]?(?:api|secret|token|key|pass|own|access|client|app)|_here\b|-here\b|insert|replace[_-]?me|fake|notreal|not[_-]real|xxxx|\*{3}|\.\.\./i;
// Template syntax: `${VAR}`, `{{ var }}`, `<your-token>`, `%(name)s`, `$(cmd)`, `[TOKEN]`.
const TEMPLATE = /\$\{|\{\{|\}\}|<[A-Za-z0-9_ .-]+>|%\(|%s\b|\$\(|^\[[A-Z_]+\]$|^\$[A-Z_]+$/;
// A run of one character (`0000000`, `aaaaaa`) or an obvious sequence.
const RUN = /(.)\1{5,}/;
const SEQUENCE = /0123456789|123456789|abcdefghij|ABCDEFGHIJ|qwertyuiop/;

const PLACEHOLDER_PASSWORDS = new Set([
  'password',
  'passwd',
  'pass',
  'pwd',
  'secret',
  'changeme',
  'change-me',
  'example',
  'placeholder',
  'your-password',
  'yourpassword',
  'mypassword',
  'test',
  'token',
  'redacted',
]);
/** True when `value` is a documented example, a template, a masked value or a placeholder. */
export function isPlaceholder(value: string): boolean {
  if (DOCUMENTED_EXAMPLES.some((e) => value.includes(e))) return true;
  // `user:password` (curl -u, .netrc-like values): the password part decides.
  const colon = value.lastIndexOf(':');
  if (colon > 0 && PLACEHOLDER_PASSWORDS.has(value.slice(colon + 1).toLowerCase())) return true;
  return PLACEHOLDER_WORDS.test(value) || TEMPLATE.test(value) || RUN.test(value) || SEQUENCE.test(value);
}

const EXAMPLE_HOST = /(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localhost)$/i;

/**
 * True when a `scheme://user:pass@host` match is an obvious example rather than a real
 * credential: templated (`${DB_PASS}`, `{{pass}}`, `<password>`, `%s`), a placeholder word, a
 * masked value (`****`, `xxxx`), or a host reserved for examples (RFC 2606).
 */
export function isPlaceholderCredential(match: RegExpExecArray | readonly (string | undefined)[]): boolean {
  const password = match[1] ?? '';
  const host = /@([A-Za-z0-9.-]+)$/.exec(match[0] ?? '')?.[1] ?? '';
  if (/[$%{}<>[\]]/.test(password)) return true;
  if (/^[*x.•_-]+$/i.test(password)) return true;
  if (PLACEHOLDER_PASSWORDS.has(password.toLowerCase())) return true;
  if (EXAMPLE_HOST.test(host)) return true;
  return false;
}

/**
 * A value made only of identifier and path characters, with no digit, reads as code or a name
 * (`process.env.TOKEN`, `prod/api/credentials`), not as something a provider generated.
 */
const CODE_LIKE = /^[A-Za-z_.$/-]+$/;

/**
 * Whether a match of `rule` (groups as the regex returned them: whole match, then the sensitive
 * group if any) should be reported by the scan.
 */
export function isReportable(rule: SecretRule, groups: readonly (string | undefined)[]): boolean {
  const whole = groups[0] ?? '';
  const sensitive = groups[1] ?? whole;
  if (rule.kind === 'credentials-in-url') return !isPlaceholderCredential(groups);
  if (rule.kind === 'private-key') return !isPlaceholder(sensitive.slice(0, 400).replace(/\s+/g, ''));
  if (isPlaceholder(sensitive)) return false;
  if (rule.minEntropy !== undefined) {
    if (CODE_LIKE.test(sensitive)) return false;
    if (shannonEntropy(sensitive) < rule.minEntropy) return false;
  }
  return true;
}
