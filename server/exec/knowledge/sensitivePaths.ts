/**
 * Paths that matter for safety. Patterns are globs (`*` within a name, `**` across folders);
 * a pattern without `/` matches a name at any depth (like .gitignore). Workspace patterns are
 * relative to the workspace root, home patterns relative to the home folder, system patterns
 * absolute.
 */

/**
 * Inside the workspace, never written by the agent (edits, redirects or file arguments):
 * git's own files (hooks and config run code), NAVI's policy, and installed dependencies (the
 * code an allowlisted `npm test` runs). Files that something runs by itself — `.git/**` among
 * them, shell start-up files, hooks, editor and CI settings — are refused first, inside and
 * outside the workspace, with a finer rule: see autoRunFiles.ts.
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
 * Inside the workspace, written only with approval: files that configure tools or agents without
 * running anything by themselves, and secrets. (Files that run code by themselves are refused:
 * autoRunFiles.ts.)
 */
export const SENSITIVE_WORKSPACE: readonly { pattern: string; why: string }[] = [
  { pattern: '.gitlab/**', why: 'the CI pipeline can include files from it' },
  {
    pattern: '.gitmodules',
    why: 'git fetches and checks out the submodule URLs it names (it runs no command from it)',
  },
  {
    pattern: '.gitattributes',
    why: 'attributes select the filter and diff drivers that git configuration defines',
  },
  { pattern: '.cursor/**', why: "another agent's settings and rules" },
  { pattern: '.cursorrules', why: 'agent instructions' },
  { pattern: '.github/copilot-instructions.md', why: 'agent instructions' },
  { pattern: '.env', why: 'it holds secrets' },
  { pattern: '.env.*', why: 'it holds secrets' },
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
