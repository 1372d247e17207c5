/**
 * Secret detection and redaction, shared by the repository scan (finds secrets in files) and the
 * command runner (redacts secrets from streamed output before it is shown, logged or audited).
 *
 * The patterns are provider key formats with a fixed prefix, so a false positive is rare and a
 * literal keyword can rule a file out before any regex runs. They avoid look-arounds so the same
 * sources run under ripgrep (the scan benchmark compares against it).
 */

export type SecretKind = 'secret' | 'private-key' | 'credentials-in-url';

export interface SecretPattern {
  /** Stable id of the format (`aws-access-key-id`, `github-token`…). */
  id: string;
  /** What a user reads ("AWS access key id"). */
  title: string;
  kind: SecretKind;
  /**
   * Case-sensitive literals; a text that contains none of them cannot match `regex`. The scan
   * uses them as a cheap prefilter.
   */
  keywords: readonly string[];
  /**
   * Global regex. When it has a first capture group, only that group is sensitive (the rest, such
   * as `aws_secret_access_key =`, is kept in redacted text); otherwise the whole match is.
   */
  regex: RegExp;
  /**
   * For patterns whose keyword is too common to be a useful prefilter (`://`): a fast regex that
   * marks where `regex` may match instead. Its match lies on the line of the full match.
   */
  probe?: RegExp;
  /** The match may span lines (searched in a window that crosses line ends). */
  multiline?: boolean;
}

export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    id: 'aws-access-key-id',
    title: 'AWS access key id',
    kind: 'secret',
    keywords: ['AKIA', 'ASIA'],
    regex: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  },
  {
    id: 'aws-secret-access-key',
    title: 'AWS secret access key',
    kind: 'secret',
    keywords: ['aws_secret', 'AWS_SECRET', 'SecretAccessKey', 'secret_access_key', 'SECRET_ACCESS_KEY'],
    regex:
      /(?:[Aa][Ww][Ss]_?[Ss][Ee][Cc][Rr][Ee][Tt]_?[Aa][Cc][Cc][Ee][Ss][Ss]_?[Kk][Ee][Yy]|SecretAccessKey)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})/g,
  },
  {
    id: 'github-token',
    title: 'GitHub token',
    kind: 'secret',
    keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    regex: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g,
  },
  {
    id: 'github-fine-grained-token',
    title: 'GitHub fine-grained token',
    kind: 'secret',
    keywords: ['github_pat_'],
    regex: /\bgithub_pat_[A-Za-z0-9_]{36,}\b/g,
  },
  {
    id: 'gitlab-token',
    title: 'GitLab personal access token',
    kind: 'secret',
    keywords: ['glpat-'],
    regex: /\bglpat-[A-Za-z0-9_-]{20,}/g,
  },
  {
    id: 'slack-token',
    title: 'Slack token',
    kind: 'secret',
    keywords: ['xoxa-', 'xoxb-', 'xoxp-', 'xoxr-', 'xoxs-'],
    regex: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  },
  {
    id: 'slack-webhook',
    title: 'Slack webhook URL',
    kind: 'secret',
    keywords: ['hooks.slack.com'],
    regex: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9_/+-]{20,})/g,
  },
  {
    id: 'stripe-key',
    title: 'Stripe live key',
    kind: 'secret',
    keywords: ['sk_live_', 'rk_live_'],
    regex: /\b[rs]k_live_[A-Za-z0-9]{20,}\b/g,
  },
  {
    id: 'npm-token',
    title: 'npm access token',
    kind: 'secret',
    keywords: ['npm_'],
    regex: /\bnpm_[A-Za-z0-9]{36}\b/g,
  },
  {
    id: 'anthropic-key',
    title: 'Anthropic API key',
    kind: 'secret',
    keywords: ['sk-ant-'],
    regex: /\bsk-ant-[A-Za-z0-9_-]{32,}/g,
  },
  {
    id: 'openai-key',
    title: 'OpenAI API key',
    kind: 'secret',
    keywords: ['sk-'],
    // Project/service keys have a typed prefix; legacy keys are 48 alphanumerics (the hyphen in
    // `sk-ant-` keeps Anthropic keys out of the legacy branch).
    regex: /\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{48}\b)/g,
  },
  {
    id: 'google-api-key',
    title: 'Google API key',
    kind: 'secret',
    keywords: ['AIza'],
    regex: /\bAIza[0-9A-Za-z_-]{35}/g,
  },
  {
    id: 'private-key',
    title: 'Private key',
    kind: 'private-key',
    keywords: ['PRIVATE KEY'],
    // The header and the start of a key body (after optional PEM headers, across real or escaped
    // `\n` line breaks as in JSON key files): a bare header in code or docs is not a key.
    regex:
      /-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:\\[rn]|\s)+(?:[A-Za-z-]+: [^\n\\]*(?:\\[rn]|\s)+)*[A-Za-z0-9+/=]{16,}/g,
    multiline: true,
  },
  {
    id: 'credentials-in-url',
    title: 'Password in URL',
    kind: 'credentials-in-url',
    keywords: ['://'],
    probe: /:\/\/[^\s:/?#@'"`<>]+:[^\s/?#@'"`<>]+@/g,
    regex: /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/?#@'"`<>]+:([^\s/?#@'"`<>]+)@[A-Za-z0-9.-]+/g,
  },
];

/** Mask for a sensitive value: at most its first 4 characters, never enough to use. */
export function maskSecret(secret: string): string {
  const keep = secret.length >= 12 ? 4 : 0;
  return secret.slice(0, keep) + '*'.repeat(Math.min(Math.max(secret.length - keep, 4), 24));
}

/**
 * The redacted form of one match of `pattern`: the sensitive part masked, the rest kept
 * (`aws_secret_access_key = wJal****…`, `postgres://app:****@db.example`).
 */
export function redactMatch(match: RegExpExecArray, pattern: SecretPattern): string {
  const whole = match[0];
  const sensitive = match[1];
  if (pattern.kind === 'credentials-in-url' && sensitive !== undefined) {
    // A password is short and guessable from a prefix; mask all of it.
    const at = whole.lastIndexOf(':' + sensitive + '@');
    return whole.slice(0, at + 1) + '****' + whole.slice(at + 1 + sensitive.length);
  }
  // The header says what it is; nothing of the key body is shown.
  if (pattern.kind === 'private-key') return /^-----BEGIN[^-]*-----/.exec(whole)?.[0] ?? 'PRIVATE KEY';
  if (sensitive === undefined) return maskSecret(whole);
  const at = whole.lastIndexOf(sensitive);
  return whole.slice(0, at) + maskSecret(sensitive) + whole.slice(at + sensitive.length);
}

// A whole PEM block (or an unterminated one up to the end of the text) for output redaction.
const PRIVATE_KEY_BLOCK =
  /-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----|$)/g;

/**
 * Replaces every secret in `text` by its redacted form. A private key block becomes its header
 * followed by ` [REDACTED]`; a header without its end line redacts everything after it (the rest
 * may be key). Stateless: for output that arrives in chunks use createStreamRedactor, which
 * also catches a key split across chunks.
 */
export function redactSecrets(text: string): string {
  let out = text.replace(PRIVATE_KEY_BLOCK, (block) => {
    const header = /^-----BEGIN[^\n-]*-----/.exec(block)?.[0] ?? '-----BEGIN PRIVATE KEY-----';
    return `${header} [REDACTED]`;
  });
  for (const pattern of SECRET_PATTERNS) {
    if (pattern.kind === 'private-key') continue;
    if (!pattern.keywords.some((k) => out.includes(k))) continue;
    const regex = new RegExp(pattern.regex.source, pattern.regex.flags);
    out = out.replace(regex, (...args: unknown[]) => {
      const groups = args.slice(0, -2) as (string | undefined)[];
      const match = Object.assign([...groups], { index: 0, input: '' }) as unknown as RegExpExecArray;
      return redactMatch(match, pattern);
    });
  }
  return out;
}

const BEGIN_KEY = /-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----/;
const END_KEY = /-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----/;

/** A redactor for one stream of output (a command's stdout, say), fed chunk by chunk. */
export interface StreamRedactor {
  /** Takes the next chunk; returns the redacted text of the lines it completed. */
  write(chunk: string): string;
  /** Returns the redacted rest (the last, unterminated line). */
  end(): string;
}

/**
 * Redacts output that arrives in chunks: works on whole lines (a token cut in two by a chunk
 * boundary is still recognised), remembers an open private key block across chunks so its body
 * lines never pass, and flushes a line longer than 64 KB so memory stays bounded.
 */
export function createStreamRedactor(): StreamRedactor {
  let pending = '';
  let inKey = false;
  const lines = (text: string): string =>
    text
      .split(/(?<=\n)/)
      .map((line) => {
        if (inKey) {
          if (END_KEY.test(line)) inKey = false;
          return '';
        }
        if (BEGIN_KEY.test(line) && !END_KEY.test(line) && !line.includes('\\n')) {
          inKey = true;
          return `${BEGIN_KEY.exec(line)![0]} [REDACTED]\n`;
        }
        return redactSecrets(line);
      })
      .join('');
  return {
    write(chunk) {
      pending += chunk;
      const cut = pending.length > 64 * 1024 ? pending.length : pending.lastIndexOf('\n') + 1;
      if (cut === 0) return '';
      const complete = pending.slice(0, cut);
      pending = pending.slice(cut);
      return lines(complete);
    },
    end() {
      const rest = pending;
      pending = '';
      return inKey ? '' : lines(rest);
    },
  };
}

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
const EXAMPLE_HOST = /(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localhost)$/i;

/**
 * True when a `scheme://user:pass@host` match is an obvious example rather than a real
 * credential: templated (`${DB_PASS}`, `{{pass}}`, `<password>`, `%s`), a placeholder word, a
 * masked value (`****`, `xxxx`), or a host reserved for examples (RFC 2606).
 */
export function isPlaceholderCredential(match: RegExpExecArray): boolean {
  const password = match[1] ?? '';
  const host = /@([A-Za-z0-9.-]+)$/.exec(match[0])?.[1] ?? '';
  if (/[$%{}<>[\]]/.test(password)) return true;
  if (/^[*x.•_-]+$/i.test(password)) return true;
  if (PLACEHOLDER_PASSWORDS.has(password.toLowerCase())) return true;
  if (EXAMPLE_HOST.test(host)) return true;
  return false;
}
