/**
 * Secret detection and redaction, shared by the repository scan (finds secrets in files) and the
 * command runner (redacts secrets from streamed output before it is shown, logged or audited).
 *
 * The rules live in ./secretRules (provider formats with a fixed prefix or a keyword, generic
 * formats with entropy checks); a literal keyword rules a text out before any regex runs. They
 * avoid look-arounds so the same sources run under ripgrep (the scan benchmark compares against it).
 */

import {
  SECRET_RULES,
  buildKeywordAutomaton,
  findKeywords,
  isPlaceholderCredential,
  type KeywordAutomaton,
  type SecretKind,
  type SecretPattern,
  type SecretRule,
} from './secretRules';

export type { SecretKind, SecretPattern, SecretRule };
export { isPlaceholderCredential };

/**
 * Every format the scan looks for (server/audit/secretRules): the redactors below mask all of
 * them, so whatever the scan can find, a command's output, a log line or an audit event never shows.
 */
export const SECRET_PATTERNS: readonly SecretRule[] = SECRET_RULES;

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
    // A long user name is a token itself (`https://<token>:x-oauth-basic@github.com`): masked too.
    const scheme = whole.indexOf('://') + 3;
    const user = whole.slice(scheme, at);
    const shownUser = user.length >= 20 ? maskSecret(user) : user;
    return whole.slice(0, scheme) + shownUser + ':****' + whole.slice(at + 1 + sensitive.length);
  }
  // The header says what it is; nothing of the key body is shown.
  if (pattern.kind === 'private-key') return /^-----BEGIN[^-]*-----/.exec(whole)?.[0] ?? 'PRIVATE KEY';
  if (sensitive === undefined) return maskSecret(whole);
  const at = whole.lastIndexOf(sensitive);
  // A multi-line value (a manifest's data entries): stars only, no line of it survives.
  if (/[\r\n]/.test(sensitive)) return whole.slice(0, at) + ' ' + maskValue(sensitive);
  return whole.slice(0, at) + maskSecret(sensitive) + whole.slice(at + sensitive.length);
}

// A whole PEM block (or an unterminated one up to the end of the text) for output redaction.
const PRIVATE_KEY_BLOCK =
  /-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----|$)/g;

/** The formats other than PEM private keys (those are whole blocks, handled first). */
const notPem = (rule: SecretRule) => rule.id !== 'private-key';

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
  return applyPatterns(
    out,
    rulesIn(out).filter((r) => notPem(r) && !OUTPUT_ONLY.has(r)),
  );
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

// ---------------------------------------------------------------------------------------------
// Command output
//
// A command's output holds live values rather than source text, so the runner masks more than
// the scan reports: formats too generic for a repository scan (every test fixture has a JWT) and
// the exact values of the user's own secrets (environment, `.env` files), wherever they appear.
// Nothing above changes: SECRET_PATTERNS, redactSecrets and createStreamRedactor behave as before.

/**
 * Formats masked in command output on top of SECRET_PATTERNS (which already hold JWTs and
 * `Authorization` headers): secrets in URL query strings and `NAME_TOKEN=value` style assignments
 * of any value (printenv, `set -x`, config dumps). Linear-time regexes: names are bounded.
 */
export const OUTPUT_SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    id: 'url-query-secret',
    title: 'Secret in URL query',
    kind: 'secret',
    source: 'RFC 3986 §3.4 (query); AWS SigV4 and Google signed URL parameters',
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
    source: 'environment dumps (printenv, set -x): NAME_TOKEN=value of any value',
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

const ALL_OUTPUT_PATTERNS: readonly SecretPattern[] = [...SECRET_PATTERNS, ...OUTPUT_SECRET_PATTERNS];
const OUTPUT_ONLY = new Set<SecretRule>(OUTPUT_SECRET_PATTERNS);

/** A rule list with its keyword prefilter (the scan's automaton) built once. */
interface CompiledRules {
  rules: readonly SecretRule[];
  automaton: KeywordAutomaton;
  /** Per keyword of the automaton, the indexes of the rules it may start. */
  rulesOf: number[][];
}

function compileRules(rules: readonly SecretRule[]): CompiledRules {
  const byKeyword = new Map<string, number[]>();
  rules.forEach((rule, i) =>
    rule.keywords.forEach((k) => byKeyword.set(k, [...(byKeyword.get(k) ?? []), i])),
  );
  return { rules, automaton: buildKeywordAutomaton([...byKeyword.keys()]), rulesOf: [...byKeyword.values()] };
}

/**
 * False only for text that no rule can match: lower-case letters and white space alone (a
 * progress bar, `yes`), except a lower-case `bearer` token. Checked at regex-engine speed before
 * the keyword automaton, which costs more per character on such output than the redaction saves.
 */
function mayHoldSecret(text: string): boolean {
  return /[^a-z\s]/.test(text) || text.includes('bearer');
}

/** The rules whose keywords occur in `text`, in table order: one pass of the keyword automaton. */
function rulesIn(text: string): SecretRule[] {
  const compiled = COMPILED();
  const hit = new Set<number>();
  findKeywords(compiled.automaton, text, (keyword) => {
    for (const i of compiled.rulesOf[keyword]!) hit.add(i);
  });
  return [...hit].sort((x, y) => x - y).map((i) => compiled.rules[i]!);
}

/** Built on first use: importing this module (every part of the agent does) stays cheap. */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
/** Every rule of the scan and of command output, with one automaton for all their keywords. */
const COMPILED = lazy(() => compileRules(ALL_OUTPUT_PATTERNS));

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

function applyPatterns(text: string, rules: readonly SecretRule[]): string {
  let out = text;
  for (const pattern of rules) {
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
  return applyPatterns(out, rulesIn(out).filter(notPem));
}

export interface OutputRedactorOptions {
  /** Exact values to mask wherever they appear (see server/exec/env.ts secretValues); < 6 characters are ignored. */
  values?: readonly string[];
  /** A line longer than this (characters) is flushed in parts, at a point no secret spans. Default 64 Ki. */
  maxLineLength?: number;
}

// Formats that span lines other than PEM blocks (a PuTTY key's Private-Lines, a Kubernetes Secret's
// data): their start is held back until MULTILINE_WINDOW characters have followed it, so a chunk
// boundary never separates a header from the values it announces.
const MULTILINE_KEYWORDS = SECRET_PATTERNS.filter((p) => p.multiline && p.id !== 'private-key').flatMap(
  (p) => p.keywords,
);
const MULTILINE_WINDOW = 4096;

/** `cut`, moved back to the start of the line of a multi-line format that may not be complete yet. */
function holdMultiline(text: string, cut: number): number {
  let start = cut;
  // Only the window before the cut is searched: the rest of a long block costs nothing.
  const from = Math.max(0, cut - MULTILINE_WINDOW);
  const window = text.slice(from, cut);
  for (const keyword of MULTILINE_KEYWORDS) {
    const at = window.indexOf(keyword);
    if (at >= 0 && from + at < start) start = from + at;
  }
  return start === cut ? cut : text.lastIndexOf('\n', start - 1) + 1;
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
  // Own copies of the global regexes (their lastIndex is state), used synchronously in safeCut;
  // made on first use, and only the rules whose keywords are in the window run.
  const ownRegexes = new Map<SecretRule, RegExp>();
  const own = (rule: SecretRule) => {
    let re = ownRegexes.get(rule);
    if (!re) ownRegexes.set(rule, (re = new RegExp(rule.regex.source, 'g')));
    return re;
  };
  const beginKey = new RegExp(BEGIN_KEY.source, 'g');
  const cutRegexes = (window: string): RegExp[] =>
    mayHoldSecret(window) ? [beginKey, ...rulesIn(window).filter(notPem).map(own)] : [beginKey];
  const maxLine = Math.max(options.maxLineLength ?? 64 * 1024, 1024);
  // Enough context before and after a forced cut to see any whole secret that crosses it.
  const hold = Math.max(1024, (values[0]?.length ?? 0) + 1);
  let pending = '';
  const keys = keyBlockFilter();

  const needsWork = (text: string): boolean =>
    (mayHoldSecret(text) && rulesIn(text).length > 0) || values.some((v) => text.includes(v));

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
      for (const re of cutRegexes(window)) {
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
      } else {
        cut = holdMultiline(pending, cut);
        if (cut === 0) return '';
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
