import * as fs from 'node:fs';
import * as path from 'node:path';
import { redactSecrets } from '../audit/redact';

/**
 * The environment a command runs with, and the secret values its output is scrubbed of.
 *
 * scrubEnv keeps an allowlist (locale, terminal, paths of toolchains) and then drops, even from
 * the allowlist, anything that looks like a credential or can make a program run other code
 * (LD_PRELOAD, BASH_ENV, NODE_OPTIONS, GIT_*…). A command that needs more gets it explicitly from
 * the caller, never by inheriting the agent's environment (VS Code adds NODE_OPTIONS,
 * ELECTRON_RUN_AS_NODE, VSCODE_* and the askpass helpers to it).
 */

/** Variables kept as they are (after the deny rules below). */
const ALLOWED = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TERM',
  'COLORTERM',
  'NO_COLOR',
  'FORCE_COLOR',
  'COLUMNS',
  'LINES',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  'HOSTNAME',
  'CI',
  'NODE_ENV',
  'XDG_CONFIG_HOME',
  'XDG_CACHE_HOME',
  'XDG_DATA_HOME',
  'XDG_STATE_HOME',
  // Toolchain locations: where a user's compilers and package managers live.
  'JAVA_HOME',
  'GOPATH',
  'GOROOT',
  'GOBIN',
  'GOCACHE',
  'GOMODCACHE',
  'CARGO_HOME',
  'RUSTUP_HOME',
  'RUSTUP_TOOLCHAIN',
  'PYENV_ROOT',
  'PYENV_VERSION',
  'VIRTUAL_ENV',
  'CONDA_PREFIX',
  'CONDA_DEFAULT_ENV',
  'NVM_DIR',
  'NVM_BIN',
  'PNPM_HOME',
  'VOLTA_HOME',
  'BUN_INSTALL',
  'DENO_DIR',
  'DOTNET_ROOT',
  'ANDROID_HOME',
  'ANDROID_SDK_ROOT',
  'GEM_HOME',
  // Trust anchors (a corporate TLS proxy needs them) and proxies (dropped if they carry a password).
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
  'REQUESTS_CA_BUNDLE',
  'CURL_CA_BUNDLE',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
]);

/** Locale categories (LC_ALL, LC_CTYPE…). */
const ALLOWED_PREFIXES = ['LC_'];

/**
 * Names that can make a program load or run code chosen by whoever set them. Checked after the
 * allowlist so a future allowlist entry cannot let one through.
 */
const EXEC_CAPABLE = new Set([
  'BASH_ENV',
  'ENV',
  'PROMPT_COMMAND',
  'PS0',
  'PS1',
  'PS2',
  'PS4',
  'SHELLOPTS',
  'BASHOPTS',
  'IFS',
  'CDPATH',
  'GLOBIGNORE',
  'ZDOTDIR',
  'PAGER',
  'MANPAGER',
  'EDITOR',
  'VISUAL',
  'BROWSER',
  'SSH_ASKPASS',
  'SUDO_ASKPASS',
  'LESSOPEN',
  'LESSCLOSE',
  'NODE_OPTIONS',
  'NODE_PATH',
  'NODE_REPL_EXTERNAL_MODULE',
  'PYTHONSTARTUP',
  'PYTHONPATH',
  'PYTHONHOME',
  'PYTHONINSPECT',
  'PYTHONUSERBASE',
  'PERL5OPT',
  'PERL5LIB',
  'PERLLIB',
  'RUBYOPT',
  'RUBYLIB',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'CLASSPATH',
  'MAVEN_OPTS',
  'GRADLE_OPTS',
  'DOTNET_STARTUP_HOOKS',
  'GOFLAGS',
  'RUSTC_WRAPPER',
  'RUSTC',
  'RUSTFLAGS',
  'GCONV_PATH',
  'GLIBC_TUNABLES',
  'HOSTALIASES',
  'LOCPATH',
  'NLSPATH',
  'OPENSSL_CONF',
  'OPENSSL_ENGINES',
  'SSLKEYLOGFILE',
  'LUA_INIT',
  'TCLLIBPATH',
  'MAILCAP',
  'TERMINFO',
]);

/** Prefixes of exec-capable or credential-bearing families. */
const DENIED_PREFIXES = [
  'LD_',
  'DYLD_',
  'BASH_FUNC_',
  'GIT_',
  'NPM_CONFIG_',
  'YARN_',
  'PIP_',
  'CGO_',
  'CARGO_BUILD_',
  'CARGO_REGISTRIES_',
  'AWS_',
  'AZURE_',
  'ARM_',
  'GOOGLE_',
  'GCP_',
  'GCLOUD_',
  'CLOUDSDK_',
  'GITHUB_',
  'GH_',
  'GITLAB_',
  'CI_JOB_',
  'DOCKER_',
  'KUBE',
  'VAULT_',
  'SSH_',
  'GPG_',
  'GNUPG',
  'VSCODE_',
  'ELECTRON_',
  'NAVI_',
];

/**
 * `_`-separated name parts that mark a credential (`GITHUB_TOKEN`, `githubToken`, `DB_PASSWORD`,
 * `STRIPE_API_KEY`): a part that ends in a secret word, or is one of a few short ones. Parts, not
 * substrings, so `TOKENIZER_PARALLELISM`, `KEYBOARD` and `AUTHOR` are not secrets.
 */
const SECRET_PART_END =
  /(?:TOKENS?|SECRETS?|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|APIKEY|PRIVATEKEY|ACCESSKEY|SECRETKEY|COOKIES?)$/;
const SECRET_PARTS = new Set(['KEY', 'KEYS', 'AUTH', 'DSN', 'PAT', 'PWD', 'PASS', 'SALT']);
/** Names that contain a secret part but are not secrets. */
const NOT_SECRET_NAMES = new Set(['PWD', 'OLDPWD', 'XAUTHORITY']);
const CONNECTION_URL =
  /(?:^|_)(?:DATABASE|DB|REDIS|MONGO(?:DB)?|AMQP|RABBITMQ|POSTGRES(?:QL)?|MYSQL)_?(?:URL|URI)$/;

/** True when a variable name looks like it holds a credential. */
export function isSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  if (NOT_SECRET_NAMES.has(upper)) return false;
  const parts = upper.split(/[_.-]+/).filter(Boolean);
  if (parts.some((part) => SECRET_PARTS.has(part) || SECRET_PART_END.test(part))) return true;
  // API_KEY, ACCESS_KEY, PRIVATE_KEY are caught by the KEY part; camelCase names are one part.
  return CONNECTION_URL.test(upper);
}

/** True when a variable could make a program run code it did not mean to run. */
export function isExecCapableName(name: string): boolean {
  const upper = name.toUpperCase();
  return EXEC_CAPABLE.has(upper) || DENIED_PREFIXES.some((p) => upper.startsWith(p));
}

function isAllowedName(name: string): boolean {
  return ALLOWED.has(name) || ALLOWED_PREFIXES.some((p) => name.startsWith(p));
}

/** A value that carries a credential whatever its name (`https://user:pass@proxy`, a provider key). */
function valueCarriesSecret(value: string): boolean {
  return redactSecrets(value) !== value;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The environment for a command: the allowlisted variables of `base` minus credentials and
 * exec-capable variables; `PATH` always set. Names are matched case-sensitively for the
 * allowlist and case-insensitively for the deny rules.
 *
 * `PATH` keeps only absolute folders outside the workspace: the judge reads a bare `cat` as the
 * system's cat, so no `.`, empty or relative entry (nor `<workspace>/bin`) may make it find a
 * `./cat` from the repository instead. npm adds `node_modules/.bin` for script bodies itself,
 * and the judge knows that.
 */
export function scrubEnv(
  base: NodeJS.ProcessEnv,
  options: { workspaceRoot?: string } = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || !isAllowedName(name)) continue;
    if (isExecCapableName(name) || isSecretName(name)) continue;
    if (value.includes('\0') || valueCarriesSecret(value)) continue;
    env[name] = value;
  }
  env.PATH = trustedPath(env.PATH, options.workspaceRoot);
  return env;
}

function trustedPath(value: string | undefined, workspaceRoot: string | undefined): string {
  const roots = workspaceRoot ? [path.resolve(workspaceRoot), realOrSelf(workspaceRoot)] : [];
  const inside = (dir: string) =>
    roots.some((root) => {
      const rel = path.relative(root, dir);
      return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
    });
  const kept = (value ?? '')
    .split(path.delimiter)
    .filter((dir) => path.isAbsolute(dir) && !inside(path.resolve(dir)) && !inside(realOrSelf(dir)));
  return kept.length > 0 ? [...new Set(kept)].join(path.delimiter) : DEFAULT_PATH;
}

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

// ---------------------------------------------------------------------------------------------
// Secret values

/** Values that are configuration, not secrets: masking them would only garble output. */
const NON_SECRET_VALUE =
  /^(?:true|false|yes|no|on|off|null|nil|none|undefined|enabled|disabled|production|development|staging|testing|test|local|localhost|debug|info|warn|warning|error|trace|verbose|silent)$/i;
const NUMERIC_VALUE = /^[\d.:,_ +-]+$/;
const PATH_VALUE = /^(?:~|\.{1,2})?\/[\w./@+-]*$/;
/** A URL without user info or query: an endpoint, not a credential. */
const PLAIN_URL = /^[a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]+(?::\d+)?(?:\/[^\s@?#]*)?$/i;

function looksLikeConfiguration(value: string): boolean {
  return (
    NON_SECRET_VALUE.test(value) ||
    NUMERIC_VALUE.test(value) ||
    PATH_VALUE.test(value) ||
    PLAIN_URL.test(value)
  );
}

/** `.env` files that hold real values (templates hold placeholders). */
const ENV_FILE = /^\.env(?:\..+)?$/;
const TEMPLATE_ENV_FILE = /\.(?:example|sample|template|dist|defaults?|schema)$/i;
const SKIPPED_DIRS = new Set([
  'node_modules',
  '.git',
  'dist',
  'build',
  'out',
  'target',
  'vendor',
  '.venv',
  'venv',
]);
const MAX_ENV_FILE_BYTES = 256 * 1024;

/** Reads `.env*` files in the workspace root and up to `depth` folders below it (monorepo packages). */
function findEnvFiles(root: string, depth: number): string[] {
  const files: string[] = [];
  let budget = 400; // folders read at most: a huge tree must not slow every command down
  const walk = (dir: string, level: number): void => {
    if (budget-- <= 0) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isFile() && ENV_FILE.test(entry.name) && !TEMPLATE_ENV_FILE.test(entry.name))
        files.push(full);
      else if (
        entry.isDirectory() &&
        level < depth &&
        !entry.name.startsWith('.') &&
        !SKIPPED_DIRS.has(entry.name)
      )
        walk(full, level + 1);
    }
  };
  walk(root, 0);
  return files;
}

/**
 * Parses dotenv syntax: `KEY=value`, `export KEY=value`, single or double quotes (double-quoted
 * values may span lines and use `\n`), `#` comments after unquoted values.
 */
export function parseDotenv(text: string): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = [];
  const re =
    /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*[=:][ \t]*(?:"((?:\\.|[^"\\])*)"|'([^']*)'|`([^`]*)`|([^\r\n]*))/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const [, key, dq, sq, bq, bare] = m;
    let value: string;
    if (dq !== undefined) value = dq.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    else value = sq ?? bq ?? (bare ?? '').replace(/[ \t]+#.*$/, '').trim();
    out.push({ key: key!, value });
  }
  return out;
}

/** The parts of a value worth matching in output: each line of it, and its URL-encoded form. */
function valueForms(value: string): string[] {
  const forms: string[] = [];
  for (const line of value.split(/\r?\n/)) {
    const v = line.trim();
    if (v.length < 6) continue;
    forms.push(v);
    const encoded = encodeURIComponent(v);
    if (encoded !== v) forms.push(encoded);
  }
  return forms;
}

/**
 * The exact values to redact from a command's output: every secret-looking variable of `base`
 * (by name, or a URL with a password), and every entry of the workspace's `.env*` files (root and
 * two folders down; not `.env.example` and other templates), at least 6 characters long and not
 * plainly configuration (`true`, `3000`, `production`, a path, a URL without credentials).
 * Longest first.
 */
export function secretValues(
  base: NodeJS.ProcessEnv,
  workspaceRoot: string,
  options: { depth?: number } = {},
): string[] {
  const values = new Set<string>();
  const add = (value: string, always: boolean): void => {
    const v = value.trim();
    if (v.length < 6) return;
    if (!always && looksLikeConfiguration(v)) return;
    for (const form of valueForms(v)) values.add(form);
  };
  for (const [name, value] of Object.entries(base)) {
    if (!value || NOT_SECRET_NAMES.has(name.toUpperCase())) continue;
    if (isSecretName(name)) add(value, false);
    else if (valueCarriesSecret(value)) add(value, true);
  }
  for (const file of findEnvFiles(workspaceRoot, options.depth ?? 2)) {
    let text: string;
    try {
      const stat = fs.statSync(file);
      if (!stat.isFile() || stat.size > MAX_ENV_FILE_BYTES) continue;
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const { value } of parseDotenv(text)) add(value, false);
  }
  return [...values].sort((a, b) => b.length - a.length);
}
