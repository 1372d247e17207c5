/**
 * Paths that matter for safety. Patterns are globs (`*` within a name, `**` across folders);
 * a pattern without `/` matches a name at any depth (like .gitignore). Workspace patterns are
 * relative to the workspace root, home patterns relative to the home folder, system patterns
 * absolute.
 */

/**
 * Inside the workspace, never written by the agent (edits, redirects or file arguments):
 * git's own files (hooks and config run code), NAVI's policy, and installed dependencies (the
 * code an allowlisted `npm test` runs).
 */
export const PROTECTED_WORKSPACE: readonly string[] = [
  '.git',
  '.git/**',
  '**/.git',
  '**/.git/**',
  '.navi',
  '.navi/**',
  'node_modules',
  'node_modules/**',
  '**/node_modules/**',
  '.hg/**',
  '.svn/**',
];

/**
 * Inside the workspace, written only with approval: files that configure editors, agents, CI,
 * hooks or package managers (they run code elsewhere or later), and secrets.
 */
export const SENSITIVE_WORKSPACE: readonly { pattern: string; why: string }[] = [
  { pattern: '.vscode/**', why: 'VS Code settings and tasks can run programs' },
  { pattern: '.idea/**', why: 'IDE settings can run programs' },
  { pattern: '.devcontainer/**', why: 'dev container settings run commands' },
  { pattern: '.github/workflows/**', why: 'CI workflows run with repository secrets' },
  { pattern: '.github/actions/**', why: 'CI actions run with repository secrets' },
  { pattern: '.gitlab-ci.yml', why: 'the CI pipeline runs with repository secrets' },
  { pattern: '.gitlab/**', why: 'CI configuration' },
  { pattern: '.circleci/**', why: 'CI configuration' },
  { pattern: '.travis.yml', why: 'CI configuration' },
  { pattern: 'azure-pipelines.yml', why: 'CI configuration' },
  { pattern: '.azure-pipelines/**', why: 'CI configuration' },
  { pattern: 'Jenkinsfile', why: 'CI configuration' },
  { pattern: 'bitbucket-pipelines.yml', why: 'CI configuration' },
  { pattern: '.buildkite/**', why: 'CI configuration' },
  { pattern: '.drone.yml', why: 'CI configuration' },
  { pattern: '.woodpecker.yml', why: 'CI configuration' },
  { pattern: '.woodpecker/**', why: 'CI configuration' },
  { pattern: '.husky/**', why: 'git hooks run on every commit' },
  { pattern: '.githooks/**', why: 'git hooks run on every commit' },
  { pattern: '.pre-commit-config.yaml', why: 'pre-commit hooks run on every commit' },
  { pattern: 'lefthook.yml', why: 'git hooks run on every commit' },
  { pattern: '.lefthook.yml', why: 'git hooks run on every commit' },
  { pattern: '.gitmodules', why: 'submodule URLs are fetched and checked out' },
  { pattern: '.gitattributes', why: 'attributes select filters and diff drivers' },
  { pattern: '.mcp.json', why: 'MCP servers run as the user' },
  { pattern: '.cursor/**', why: 'agent settings' },
  { pattern: '.claude/**', why: 'agent settings' },
  { pattern: '.cursorrules', why: 'agent instructions' },
  { pattern: '.github/copilot-instructions.md', why: 'agent instructions' },
  { pattern: '.envrc', why: 'direnv runs it when you enter the folder' },
  { pattern: '.env', why: 'it holds secrets' },
  { pattern: '.env.*', why: 'it holds secrets' },
  { pattern: '.npmrc', why: 'it can change the registry and hold tokens' },
  { pattern: '.yarnrc', why: 'it can change the registry and hold tokens' },
  { pattern: '.yarnrc.yml', why: 'it can change the registry, hold tokens and load plugins' },
  { pattern: '.pnpmfile.cjs', why: 'pnpm runs it on every install' },
  { pattern: '.pypirc', why: 'it holds tokens' },
  { pattern: '*.pem', why: 'it holds a key or certificate' },
  { pattern: '*.key', why: 'it holds a key' },
  { pattern: 'id_rsa*', why: 'it holds an SSH key' },
  { pattern: 'id_ed25519*', why: 'it holds an SSH key' },
  { pattern: 'id_ecdsa*', why: 'it holds an SSH key' },
];

/** Secret-looking files inside the workspace: reading them needs approval. */
export const SENSITIVE_READ_WORKSPACE: readonly string[] = [
  '.env',
  '.env.*',
  '*.env',
  '.envrc',
  '*.pem',
  '*.key',
  '*.p12',
  '*.pfx',
  '*.jks',
  '*.keystore',
  'id_rsa*',
  'id_ed25519*',
  'id_ecdsa*',
  'id_dsa*',
  '.npmrc',
  '.pypirc',
  '.netrc',
  '.git-credentials',
  'credentials.json',
  'secrets.*',
  '*.secret',
  '*.secrets',
];

/** Example and template env files carry no secrets. */
export const NOT_SECRET: readonly string[] = [
  '.env.example',
  '.env.sample',
  '.env.template',
  '.env.dist',
  '.env.defaults',
  '*.example',
];

/** Credentials outside the workspace: never read (commands naming them are refused). */
export const SECRET_HOME: readonly string[] = [
  '.ssh',
  '.ssh/**',
  '.aws',
  '.aws/**',
  '.gnupg',
  '.gnupg/**',
  '.azure/**',
  '.kube/**',
  '.docker/config.json',
  '.config/gcloud/**',
  '.config/gh/**',
  '.config/hub',
  '.config/git/credentials',
  '.config/op/**',
  '.npmrc',
  '.yarnrc',
  '.yarnrc.yml',
  '.pypirc',
  '.netrc',
  '.git-credentials',
  '.pgpass',
  '.my.cnf',
  '.boto',
  '.s3cfg',
  '.vault-token',
  '.terraform.d/**',
  '.cargo/credentials',
  '.cargo/credentials.toml',
  '.m2/settings.xml',
  '.m2/settings-security.xml',
  '.gradle/gradle.properties',
  '.password-store/**',
  '.local/share/keyrings/**',
  'Library/Keychains/**',
  '.mozilla/**',
  '.config/google-chrome/**',
  '.config/chromium/**',
  'Library/Application Support/Google/Chrome/**',
  '.bash_history',
  '.zsh_history',
  '.*_history',
  '.histfile',
];

export const SECRET_SYSTEM: readonly string[] = [
  '/etc/shadow',
  '/etc/shadow-',
  '/etc/gshadow',
  '/etc/sudoers',
  '/etc/sudoers.d/**',
  '/etc/ssh/ssh_host_*_key',
  '/root/**',
  '/proc/*/environ',
  '/proc/*/mem',
  '/proc/*/cmdline',
  '/var/run/secrets/**',
  '/run/secrets/**',
];

/**
 * Device and descriptor paths that are not files: writing `/dev/null` or reading `/dev/stdin`
 * touches nothing on disk.
 */
export const SPECIAL_FILES: readonly RegExp[] = [
  /^\/dev\/(null|zero|full|random|urandom|stdin|stdout|stderr|tty)$/,
  /^\/dev\/fd\/\d+$/,
  /^\/proc\/self\/fd\/\d+$/,
];

/** Bash's pseudo-devices for network sockets. */
export const NETWORK_DEVICES = /^\/dev\/(tcp|udp)\//;
