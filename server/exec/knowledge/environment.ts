/**
 * Environment variables that change what a command runs. A safe program with the wrong
 * environment is not safe: `LD_PRELOAD=./evil.so ls` loads attacker code into `ls`,
 * `GIT_SSH_COMMAND=…` makes `git fetch` run a program, `BASH_ENV` is sourced by every
 * non-interactive bash. These are refused (`exec-env`), and so are proxy variables, which take
 * traffic around the network policy (`network-tampering`, knowledge/networkTampering.ts).
 * Variables that only change where programs, settings or servers are found (`PATH`, `HOME`,
 * registries) need approval (`env-override`). Anything else (`CI=1`, `NODE_ENV=test`, `DEBUG=x`)
 * is harmless.
 */

import { isProxyVariable } from './networkTampering';

export type EnvJudgement =
  | { detector: 'exec-env'; effect: 'deny'; reason: string }
  | { detector: 'network-tampering'; effect: 'deny'; reason: string }
  | { detector: 'env-override'; effect: 'ask'; reason: string };

/** Variables that make a program load, source or run other code. */
const EXEC_VARS: Readonly<Record<string, string>> = {
  LD_PRELOAD: 'loads a library into every program',
  LD_LIBRARY_PATH: 'makes programs load libraries from another directory',
  LD_AUDIT: 'loads an audit library into every program',
  GCONV_PATH: 'makes glibc load conversion modules from another directory',
  BASH_ENV: 'is a file every non-interactive bash runs first',
  ENV: 'is a file sh runs at start',
  PROMPT_COMMAND: 'runs a command before each prompt',
  PS4: 'is expanded (and can run commands) on every traced line',
  SHELLOPTS: 'changes shell options for every child bash',
  BASHOPTS: 'changes shell options for every child bash',
  ZDOTDIR: 'makes zsh read its start-up files from another directory',
  IFS: 'changes how the shell splits words',
  GIT_SSH: 'is the program git runs to connect',
  GIT_SSH_COMMAND: 'is a command git runs to connect',
  GIT_EXTERNAL_DIFF: 'is a program git runs for diffs',
  GIT_PAGER: 'is a program git runs for output',
  GIT_EDITOR: 'is a program git runs to edit messages',
  GIT_SEQUENCE_EDITOR: 'is a program git runs for rebase todo lists',
  GIT_ASKPASS: 'is a program git runs for passwords',
  SSH_ASKPASS: 'is a program ssh runs for passwords',
  GIT_PROXY_COMMAND: 'is a command git runs to connect',
  GIT_EXEC_PATH: 'makes git run its sub-commands from another directory',
  GIT_TEMPLATE_DIR: 'installs hooks from another directory',
  GIT_CONFIG: 'makes git read settings (that can run programs) from another file',
  GIT_CONFIG_GLOBAL: 'makes git read settings (that can run programs) from another file',
  GIT_CONFIG_SYSTEM: 'makes git read settings (that can run programs) from another file',
  GIT_CONFIG_PARAMETERS: 'sets git settings, some of which run programs',
  GIT_CONFIG_COUNT: 'sets git settings, some of which run programs',
  GIT_DIR: 'points git at another repository and its settings',
  GIT_WORK_TREE: 'points git at another work tree',
  PAGER: 'is a program many tools run for output',
  MANPAGER: 'is a program man runs for output',
  SYSTEMD_PAGER: 'is a program systemd tools run for output',
  EDITOR: 'is a program many tools run to edit text',
  VISUAL: 'is a program many tools run to edit text',
  BROWSER: 'is a program tools run to open links',
  LESSOPEN: 'is a command less runs on every file',
  LESSCLOSE: 'is a command less runs on every file',
  NODE_OPTIONS: 'can make node load any module first (--require)',
  NODE_REPL_EXTERNAL_MODULE: 'makes node load a module as its REPL',
  PYTHONSTARTUP: 'is a file python runs at start',
  PYTHONPATH: 'makes python import modules from another directory first',
  PYTHONHOME: 'makes python load its standard library from another directory',
  PYTHONWARNINGS: 'can make python import a module',
  PYTHONBREAKPOINT: 'can make python import and call any function',
  PERL5OPT: 'adds options (such as -M modules) to every perl',
  PERL5LIB: 'makes perl load modules from another directory first',
  PERLLIB: 'makes perl load modules from another directory first',
  PERL5DB: 'is code perl runs as its debugger',
  RUBYOPT: 'adds options (such as -r libraries) to every ruby',
  RUBYLIB: 'makes ruby load libraries from another directory first',
  JAVA_TOOL_OPTIONS: 'can make every JVM load an agent',
  _JAVA_OPTIONS: 'can make every JVM load an agent',
  JDK_JAVA_OPTIONS: 'can make every JVM load an agent',
  RUSTC_WRAPPER: 'is a program cargo runs for every compile',
  RUSTC: 'is the program cargo runs as the compiler',
  RUSTDOC: 'is the program cargo runs for docs',
  GOFLAGS: 'can add -toolexec or -exec to every go command',
  CC: 'is the program builds run as the C compiler',
  CXX: 'is the program builds run as the C++ compiler',
  LD: 'is the program builds run as the linker',
  MAKEFLAGS: 'adds options to every make',
  BUNDLE_GEMFILE: 'makes bundler run another Gemfile (Ruby code)',
  npm_config_script_shell: 'is the shell npm runs scripts with',
  NPM_CONFIG_SCRIPT_SHELL: 'is the shell npm runs scripts with',
  npm_config_node_options: 'adds node options to every script npm runs',
  NPM_CONFIG_NODE_OPTIONS: 'adds node options to every script npm runs',
  npm_config_git: 'is the git program npm runs',
  npm_config_shell: 'is the shell npm runs',
  npm_config_editor: 'is the editor npm runs',
};

/** Name patterns that, by convention, hold a command or a hook. */
const EXEC_PATTERNS: readonly RegExp[] = [
  /^LD_/,
  /^DYLD_/,
  /^BASH_FUNC_/,
  /^GIT_CONFIG_(KEY|VALUE)_\d+$/,
  /^CARGO_TARGET_.+_RUNNER$/,
  /(_COMMAND|_CMD|_EDITOR|_PAGER|_SHELL|_PRELOAD|_ASKPASS|_WRAPPER|_RUNNER|_HOOKS?)$/i,
];

/** Variables that change where programs, settings or servers are found. */
const OVERRIDE_VARS: Readonly<Record<string, string>> = {
  PATH: 'changes where programs are found, so a workspace file can stand in for a system tool',
  HOME: 'changes which start-up and settings files programs read',
  SHELL: 'changes the shell tools start',
  TMPDIR: 'changes where programs write temporary files',
  NODE_PATH: 'changes where node finds modules',
  CLASSPATH: 'changes where Java finds classes',
  GEM_HOME: 'changes where Ruby finds gems',
  GEM_PATH: 'changes where Ruby finds gems',
  CARGO_HOME: 'changes cargo settings and registries',
  RUSTUP_HOME: 'changes which Rust toolchain runs',
  RUSTUP_TOOLCHAIN: 'changes which Rust toolchain runs',
  GOPATH: 'changes where go finds modules',
  GOPROXY: 'changes where go downloads modules from',
  GONOSUMDB: 'turns off checksum checks for go modules',
  GONOSUMCHECK: 'turns off checksum checks for go modules',
  GOINSECURE: 'turns off TLS for go module downloads',
  GOTOOLCHAIN: 'can make go download and run another toolchain',
  NODE_TLS_REJECT_UNAUTHORIZED: 'turns off TLS certificate checks',
  NODE_EXTRA_CA_CERTS: 'adds trusted certificate authorities',
  SSL_CERT_FILE: 'replaces trusted certificate authorities',
  SSL_CERT_DIR: 'replaces trusted certificate authorities',
  REQUESTS_CA_BUNDLE: 'replaces trusted certificate authorities',
  CURL_CA_BUNDLE: 'replaces trusted certificate authorities',
  GIT_SSL_NO_VERIFY: 'turns off TLS certificate checks for git',
  DOCKER_HOST: 'points docker at another daemon',
  KUBECONFIG: 'points kubectl at another cluster',
  GOOGLE_APPLICATION_CREDENTIALS: 'selects cloud credentials',
  SSH_AUTH_SOCK: 'gives programs your SSH keys',
  HISTFILE: 'changes where shell history is written',
};

const OVERRIDE_PATTERNS: readonly RegExp[] = [
  /^XDG_/,
  /^AWS_/,
  /^AZURE_/,
  /^GIT_TRACE/,
  /^PIP_/,
  /^UV_/,
  /^POETRY_/,
  /^npm_config_/i,
  /^YARN_/,
  /^PNPM_/,
  /^BUN_/,
  /^DENO_/,
  /^CARGO_/,
  /^DOCKER_/,
  /proxy$/i,
  /(_OPTIONS|_OPTS|FLAGS|PATH|_HOME|_DIR|_CONFIG|_RC|_URL|_REGISTRY|_INDEX|_CERT|_CA)$/i,
];

/** Common variables that only tune output or behaviour. */
const SAFE_VARS: ReadonlySet<string> = new Set([
  'CI',
  'NODE_ENV',
  'DEBUG',
  'FORCE_COLOR',
  'NO_COLOR',
  'CLICOLOR',
  'CLICOLOR_FORCE',
  'TERM',
  'COLORTERM',
  'COLUMNS',
  'LINES',
  'LANG',
  'LANGUAGE',
  'TZ',
  'PYTHONUNBUFFERED',
  'PYTHONDONTWRITEBYTECODE',
  'PYTHONHASHSEED',
  'PYTHONIOENCODING',
  'PYTHONUTF8',
  'RUST_BACKTRACE',
  'RUST_LOG',
  'GOOS',
  'GOARCH',
  'CGO_ENABLED',
  'GOMAXPROCS',
  'VERBOSE',
  'PORT',
  'HOST',
  'LOG_LEVEL',
  'GIT_TERMINAL_PROMPT',
  'GIT_PAGER_IN_USE',
  'PAGER_DISABLED',
  'HUSKY',
  'CYPRESS_INSTALL_BINARY',
  'PUPPETEER_SKIP_DOWNLOAD',
  'TS_NODE_TRANSPILE_ONLY',
  'JEST_WORKER_ID',
]);

/** Judges `NAME=value` on a command, in an `env` wrapper or exported. Null: harmless. */
export function judgeEnvVar(name: string): EnvJudgement | null {
  if (SAFE_VARS.has(name) || /^LC_[A-Z]+$/.test(name)) return null;
  const exec = EXEC_VARS[name];
  if (exec) return { detector: 'exec-env', effect: 'deny', reason: `${name} ${exec}` };
  if (EXEC_PATTERNS.some((p) => p.test(name)))
    return { detector: 'exec-env', effect: 'deny', reason: `${name} names a program or code to load` };
  if (isProxyVariable(name))
    return {
      detector: 'network-tampering',
      effect: 'deny',
      reason: `${name} changes the proxy, so connections bypass the network policy`,
    };
  const override = OVERRIDE_VARS[name];
  if (override) return { detector: 'env-override', effect: 'ask', reason: `${name} ${override}` };
  if (OVERRIDE_PATTERNS.some((p) => p.test(name)))
    return {
      detector: 'env-override',
      effect: 'ask',
      reason: `${name} changes where a tool finds settings or code`,
    };
  return null;
}
