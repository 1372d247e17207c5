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

/** The provider formats other than private keys (those are whole blocks, handled first). */
const TOKEN_PATTERNS = SECRET_PATTERNS.filter((p) => p.kind !== 'private-key');

/**
 * Replaces every secret in `text` by its redacted form. A private key block becomes its header
 * followed by ` [REDACTED]`; a header without its end line redacts everything after it (the rest
 * may be key). Stateless: for output that arrives in chunks use createStreamRedactor, which
 * also catches a key split across chunks.
 */
export function redactSecrets(text: string): string {
  const out = text.replace(PRIVATE_KEY_BLOCK, (block) => {
    const header = /^-----BEGIN[^\n-]*-----/.exec(block)?.[0] ?? '-----BEGIN PRIVATE KEY-----';
    return `${header} [REDACTED]`;
  });
  return applyPatterns(out, TOKEN_PATTERNS);
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
  const keys = keyBlockFilter();
  const lines = (text: string): string => keys.lines(text, redactSecrets);
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
      return keys.inKey ? '' : lines(rest);
    },
  };
}

/**
 * Line by line across the chunks of a stream: a private key block that begins on one line and has
 * not ended yet is replaced by its BEGIN line and `[REDACTED]` up to its END line (which may come
 * chunks later); every other line goes through `redact`.
 */
function keyBlockFilter(): {
  readonly inKey: boolean;
  lines(text: string, redact: (line: string) => string): string;
} {
  let inKey = false;
  return {
    get inKey() {
      return inKey;
    },
    lines: (text, redact) =>
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
          return redact(line);
        })
        .join(''),
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

// ---------------------------------------------------------------------------------------------
// Command output
//
// A command's output holds live values rather than source text, so the runner masks more than
// the scan reports: formats too generic for a repository scan (every test fixture has a JWT) and
// the exact values of the user's own secrets (environment, `.env` files), wherever they appear.
// Nothing above changes: SECRET_PATTERNS, redactSecrets and createStreamRedactor behave as before.

/**
 * Formats masked in command output on top of SECRET_PATTERNS: JWTs, `Authorization` headers and
 * bearer tokens (curl -v, HTTP client logs), secrets in URL query strings, and `NAME_TOKEN=value`
 * style assignments (printenv, `set -x`, config dumps). Linear-time regexes: names are bounded.
 */
export const OUTPUT_SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    id: 'jwt',
    title: 'JSON Web Token',
    kind: 'secret',
    keywords: ['eyJ'],
    // base64url(`{"…`) header, payload, optional signature (`alg: none` has none).
    regex: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  },
  {
    id: 'authorization-header',
    title: 'Authorization header',
    kind: 'secret',
    keywords: ['uthorization', 'UTHORIZATION', 'Bearer', 'bearer'],
    regex:
      /(?:\b(?:[Aa]uthorization|AUTHORIZATION)["']?\s*[:=]\s*["']?(?:(?:Bearer|bearer|Basic|basic|Token|token|Bot|Digest|Negotiate)\s+)?|\b(?:Bearer|bearer)\s+)([A-Za-z0-9._~+/=-]{8,})/g,
  },
  {
    id: 'url-query-secret',
    title: 'Secret in URL query',
    kind: 'secret',
    keywords: [
      'oken=',
      'OKEN=',
      'ey=',
      'EY=',
      'ecret=',
      'assword=',
      'asswd=',
      'pwd=',
      'ig=',
      'ignature=',
      'redential=',
      'auth=',
    ],
    regex:
      /[?&](?:[A-Za-z_]{0,20}(?:token|Token|TOKEN)|[A-Za-z_]{0,20}(?:key|Key|KEY)|[a-z_]{0,20}secret|password|passwd|pwd|sig|signature|X-Amz-Signature|X-Amz-Credential|X-Goog-Signature|X-Goog-Credential|auth)=([^&\s#"'<>]{6,})/g,
  },
  {
    id: 'secret-assignment',
    title: 'Secret assignment',
    kind: 'secret',
    keywords: [
      'TOKEN',
      'Token',
      'token',
      'SECRET',
      'Secret',
      'secret',
      'PASSW',
      'Passw',
      'passw',
      'KEY',
      'Key',
      'key',
    ],
    // `GITHUB_TOKEN=…`, `password: …`, `"apiKey": "…"`; the name is one identifier of bounded
    // length ending in a secret word, so `tokens: 5` or `keyboard = us` do not match.
    regex:
      /\b[A-Za-z0-9_]{0,40}(?:TOKEN|Token|token|SECRET|Secret|secret|PASSWORD|Password|password|PASSWD|passwd|PASSPHRASE|passphrase|API_?KEY|Api_?Key|api_?key|apiKey|ACCESS_?KEY|access_?key|accessKey|PRIVATE_?KEY|private_?key|privateKey|AUTH_?KEY|auth_?key)["']?\s*[:=]\s*["']?([^\s"'`,;]{6,})/g,
  },
];

const ALL_OUTPUT_PATTERNS: readonly SecretPattern[] = [...TOKEN_PATTERNS, ...OUTPUT_SECRET_PATTERNS];

/**
 * The output redactor's prefilter: one entry per keyword, most behind a character every match
 * needs. A short keyword costs a scan per occurrence of its first character (`auth=` over a run of
 * `a`s), while a single character is found at memchr speed; so `=` (or `_`, `:`, `@`…) is looked
 * for first, once per block. Pattern gates: the regex cannot match without one of the characters.
 */
const GATES: Readonly<Record<string, readonly string[]>> = {
  'aws-secret-access-key': [':', '='],
  'credentials-in-url': ['@'],
  'url-query-secret': ['='],
  'secret-assignment': [':', '='],
};
const GATE_CHARS = ['_', '-', '=', ':', '@', '.', ' '];
const PREFILTER: ReadonlyArray<{ gate?: readonly string[]; keyword: string }> = [
  { keyword: 'PRIVATE KEY' },
  ...ALL_OUTPUT_PATTERNS.flatMap((p) =>
    p.keywords.map((keyword) => {
      const own = GATE_CHARS.find((c) => keyword.includes(c));
      return { keyword, gate: GATES[p.id] ?? (own === undefined ? undefined : [own]) };
    }),
  ),
];

/** What an exact secret value becomes: stars only (unlike a provider key, no prefix says what it was). */
export function maskValue(value: string): string {
  return '*'.repeat(Math.min(Math.max(value.length, 4), 24));
}

/** Exact values worth masking: at least 6 characters, longest first (a value may contain another). */
function normalizeValues(values: readonly string[]): string[] {
  return [...new Set(values.filter((v) => v.length >= 6))].sort((a, b) => b.length - a.length);
}

function replaceValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) if (out.includes(value)) out = out.split(value).join(maskValue(value));
  return out;
}

function applyPatterns(text: string, patterns: readonly SecretPattern[]): string {
  let out = text;
  for (const pattern of patterns) {
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

/**
 * Redacts command output held in one string: private key blocks (as redactSecrets), then the exact
 * `values` (masked by maskValue), then every provider format and OUTPUT_SECRET_PATTERNS.
 */
export function redactOutput(text: string, values: readonly string[] = []): string {
  const wanted = normalizeValues(values);
  let out = text.replace(PRIVATE_KEY_BLOCK, (block) => {
    const header = /^-----BEGIN[^\n-]*-----/.exec(block)?.[0] ?? '-----BEGIN PRIVATE KEY-----';
    return `${header} [REDACTED]`;
  });
  out = replaceValues(out, wanted);
  return applyPatterns(out, ALL_OUTPUT_PATTERNS);
}

export interface OutputRedactorOptions {
  /** Exact values to mask wherever they appear (see server/exec/env.ts secretValues); < 6 characters are ignored. */
  values?: readonly string[];
  /** A line longer than this (characters) is flushed in parts, at a point no secret spans. Default 64 Ki. */
  maxLineLength?: number;
}

/**
 * The command runner's redactor for one stream: like createStreamRedactor (whole lines, private
 * key blocks remembered across chunks) plus OUTPUT_SECRET_PATTERNS and exact values, and built
 * for throughput: a block of complete lines that holds no keyword and no value passes unchanged
 * without a regex; lines are only handled one by one around a private key. A line longer than
 * `maxLineLength` is flushed in parts, cut before any secret or value that spans the cut, so a
 * chunk boundary never splits a secret and memory stays bounded.
 */
export function createOutputRedactor(options: OutputRedactorOptions = {}): StreamRedactor {
  const values = normalizeValues(options.values ?? []);
  // Own copies of the global regexes (their lastIndex is state), used synchronously in safeCut.
  const cutRegexes = [BEGIN_KEY, ...ALL_OUTPUT_PATTERNS.map((p) => p.regex)].map(
    (r) => new RegExp(r.source, 'g'),
  );
  const maxLine = Math.max(options.maxLineLength ?? 64 * 1024, 1024);
  // Enough context before and after a forced cut to see any whole secret that crosses it.
  const hold = Math.max(1024, (values[0]?.length ?? 0) + 1);
  let pending = '';
  const keys = keyBlockFilter();

  const needsWork = (text: string): boolean => {
    const has = new Map<string, boolean>();
    const gateOpen = (c: string): boolean => {
      let open = has.get(c);
      if (open === undefined) has.set(c, (open = text.includes(c)));
      return open;
    };
    return (
      PREFILTER.some((f) => (!f.gate || f.gate.some(gateOpen)) && text.includes(f.keyword)) ||
      values.some((v) => text.includes(v))
    );
  };

  const redactBlock = (text: string): string => (needsWork(text) ? redactOutput(text, values) : text);

  const redactLines = (text: string): string =>
    // Most output holds no key: redact it as one block instead of line by line.
    !keys.inKey && !text.includes('PRIVATE KEY') ? redactBlock(text) : keys.lines(text, redactBlock);

  /** Where to cut a long line: `hold` characters from its end, moved before any match that spans it. */
  const safeCut = (text: string): number => {
    let cut = text.length - hold;
    for (let round = 0; round < 16 && cut > 0; round++) {
      const from = Math.max(0, cut - hold);
      const window = text.slice(from);
      let start = -1;
      const consider = (index: number, length: number): void => {
        const at = from + index;
        if (at < cut && at + length > cut && (start < 0 || at < start)) start = at;
      };
      for (const value of values) {
        for (let i = window.indexOf(value); i >= 0; i = window.indexOf(value, i + 1))
          consider(i, value.length);
      }
      for (const re of cutRegexes) {
        re.lastIndex = 0;
        for (let m = re.exec(window); m; m = re.exec(window)) {
          consider(m.index, m[0].length);
          if (m[0].length === 0) re.lastIndex++;
        }
      }
      if (start < 0) return cut;
      cut = start;
    }
    // A "secret" as long as the whole buffer: nothing sensible to keep back, redact it as it is.
    return cut > 0 ? cut : text.length;
  };

  return {
    write(chunk) {
      // `pending` never holds a line end, so only the new chunk is searched (forwards first: a
      // single-character indexOf is a memchr, lastIndexOf a plain loop). A carriage return ends a
      // line too: progress bars (`\r`-updated) stream as they are drawn.
      const before = pending.length;
      pending += chunk;
      const lf = chunk.indexOf('\n') >= 0 ? chunk.lastIndexOf('\n') : -1;
      const cr = chunk.indexOf('\r') >= 0 ? chunk.lastIndexOf('\r') : -1;
      let cut = lf >= 0 || cr >= 0 ? before + Math.max(lf, cr) + 1 : 0;
      if (cut === 0) {
        if (pending.length <= maxLine) return '';
        cut = safeCut(pending);
      }
      const complete = pending.slice(0, cut);
      pending = pending.slice(cut);
      return redactLines(complete);
    },
    end() {
      const rest = pending;
      pending = '';
      return keys.inKey ? '' : redactLines(rest);
    },
  };
}
