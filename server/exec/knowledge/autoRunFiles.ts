/**
 * Files that something runs or sources without the user asking: a shell when it starts, git on
 * commit, an editor when it opens the folder, a package manager on every command, CI on the next
 * push. Writing one of them (an edit, a redirect, `cp`, `tee`, `sed -i`…) is refused — inside the
 * workspace as well as outside it — as the `write-protected` detector with a finer rule id,
 * `builtin:write-protected:<rule>` (docs/policy.md, "Files that run automatically"). Reading them
 * is judged as before.
 *
 * The criterion for an entry is what the tool really does: it runs or sources the file (or a
 * program the file names) without being asked to, so the code runs outside NAVI, its judge and its
 * sandbox, later, as the user. Files that only configure (`.editorconfig`), that hold data
 * (`.env`), or that are the project's own code which its build runs when the user builds it
 * (`package.json` scripts, `build.rs`, `eslint.config.js`, `Makefile`) are not here. Decided
 * against, with reasons (they keep their verdicts in sensitivePaths.ts):
 * - `.gitattributes` selects filter and diff drivers, but a driver's command is defined only in git
 *   configuration (`.git/config`, protected here); the attributes alone run nothing.
 * - `.gitmodules` names submodule URLs; git ignores `update = !command` from it (CVE-2019-19604).
 * - `.overcommit.yml` (overcommit refuses a changed file until it is signed again), `.exrc` and
 *   `.nvim.lua` (off by default; Neovim trusts them by content hash), `.dir-locals.el` (Emacs asks
 *   about unsafe values), `.gdbinit` and `.lldbinit` in a project folder (not loaded by default).
 * - `.tool-versions`, `.nvmrc`, `.node-version` choose versions; `bunfig.toml` preloads run only
 *   with the `bun run`/`bun test` the user starts, like the tests themselves.
 *
 * Patterns are globs as in sensitivePaths.ts (a name without `/` matches at any depth, `**` spans
 * folders, a pattern covers everything below what it names), matched without regard to case
 * (macOS and Windows file systems ignore it). They are matched against the path relative to the
 * workspace root, relative to the home folder, and the absolute path, so a name like `.bashrc` is
 * protected wherever it is: a dotfiles repository is linked into the home folder, and a workspace
 * can be the home folder.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

/** The rule ids of this class and what each protects, as verdicts show them. */
export const AUTO_RUN_RULES = {
  'shell-startup':
    'A shell start-up or logout file: every new shell runs it (VS Code starts one for each terminal), outside NAVI and its sandbox.',
  'folder-env': 'A file direnv or mise runs when a shell enters the folder.',
  'package-manager': 'Package-manager settings or hooks that run programs on every install or command.',
  'version-control':
    "Version-control metadata and settings: its hooks and settings (core.pager, aliases, filters) run programs on the user's own commands.",
  'git-hooks': 'Hook definitions that a hook manager runs on every commit, push or checkout.',
  editor:
    'Editor and dev-container settings: tasks, launch configurations and the programs they name run when the folder opens.',
  agent:
    "Another agent's settings: the MCP servers and hooks it starts by itself, and permissions that let it run commands without asking.",
  ci: "A CI pipeline definition: it runs on the next push, with the repository's secrets.",
  'tool-startup':
    'A file a program loads every time it starts (interpreter start-up files, Python .pth files, ssh and ripgrep settings) that can make it run other code.',
  'session-startup': 'A login or desktop session item: it runs at the next login.',
} as const;

export type AutoRunRule = keyof typeof AUTO_RUN_RULES;

export interface AutoRunFile {
  pattern: string;
  rule: AutoRunRule;
  /** What runs it, for the reason a verdict shows ("… is protected: <why>"). */
  why: string;
}

/** The table. First match wins, so a specific entry comes before a general one. */
export const AUTO_RUN_FILES: readonly AutoRunFile[] = [
  // Shells (bash, zsh, fish, ksh, csh/tcsh, xonsh, nushell, PowerShell) and readline. A name
  // without `/` also covers $ZDOTDIR and dotfiles repositories.
  { pattern: '.bashrc', rule: 'shell-startup', why: 'bash runs it in every interactive shell' },
  { pattern: '.bash_profile', rule: 'shell-startup', why: 'bash runs it in every login shell' },
  {
    pattern: '.bash_login',
    rule: 'shell-startup',
    why: 'bash runs it in a login shell when there is no .bash_profile',
  },
  { pattern: '.profile', rule: 'shell-startup', why: 'sh, dash, bash and ksh run it in every login shell' },
  { pattern: '.bash_logout', rule: 'shell-startup', why: 'bash runs it when a login shell exits' },
  {
    pattern: '.bash_aliases',
    rule: 'shell-startup',
    why: 'the default .bashrc of Debian and Ubuntu sources it in every interactive shell',
  },
  { pattern: 'bash.bashrc', rule: 'shell-startup', why: "bash runs /etc/bash.bashrc in every user's shell" },
  { pattern: '.zshenv', rule: 'shell-startup', why: 'zsh runs it in every shell, scripts included' },
  { pattern: '.zprofile', rule: 'shell-startup', why: 'zsh runs it in every login shell' },
  { pattern: '.zshrc', rule: 'shell-startup', why: 'zsh runs it in every interactive shell' },
  { pattern: '.zlogin', rule: 'shell-startup', why: 'zsh runs it in every login shell' },
  { pattern: '.zlogout', rule: 'shell-startup', why: 'zsh runs it when a login shell exits' },
  { pattern: 'config.fish', rule: 'shell-startup', why: 'fish runs it in every shell' },
  { pattern: '**/fish/conf.d', rule: 'shell-startup', why: 'fish runs every file there when it starts' },
  {
    pattern: '**/fish/functions',
    rule: 'shell-startup',
    why: 'fish loads a function from there when its name is used, the prompt functions at every prompt',
  },
  { pattern: '.kshrc', rule: 'shell-startup', why: 'ksh runs it (through $ENV) in every interactive shell' },
  { pattern: '.mkshrc', rule: 'shell-startup', why: 'mksh runs it in every interactive shell' },
  { pattern: '.cshrc', rule: 'shell-startup', why: 'csh and tcsh run it in every shell' },
  { pattern: '.tcshrc', rule: 'shell-startup', why: 'tcsh runs it in every shell' },
  { pattern: '.login', rule: 'shell-startup', why: 'csh and tcsh run it in every login shell' },
  { pattern: '.logout', rule: 'shell-startup', why: 'csh and tcsh run it when a login shell exits' },
  { pattern: '.xonshrc', rule: 'shell-startup', why: 'xonsh runs it in every interactive shell' },
  { pattern: '**/nushell/config.nu', rule: 'shell-startup', why: 'nushell runs it in every shell' },
  { pattern: '**/nushell/env.nu', rule: 'shell-startup', why: 'nushell runs it in every shell' },
  { pattern: '**/nushell/login.nu', rule: 'shell-startup', why: 'nushell runs it in every login shell' },
  {
    pattern: '**/powershell/*profile.ps1',
    rule: 'shell-startup',
    why: 'PowerShell runs its profile in every session',
  },
  ...[
    'etc/profile',
    'etc/profile.d',
    'etc/bashrc',
    'etc/zsh',
    'etc/zshenv',
    'etc/zprofile',
    'etc/zshrc',
    'etc/zlogin',
    'etc/zlogout',
    'etc/csh.cshrc',
    'etc/csh.login',
    'etc/csh.logout',
  ].map((pattern): AutoRunFile => ({
    pattern,
    rule: 'shell-startup',
    why: "the shells run the system's start-up files for every user",
  })),
  {
    pattern: '.inputrc',
    rule: 'shell-startup',
    why: 'readline reads it at every bash prompt, and a key binding can type and run a command',
  },

  // Run when a shell enters the folder.
  {
    pattern: '.envrc',
    rule: 'folder-env',
    why: 'direnv runs it when a shell enters the folder (the files it sources are not approved again, and a whitelisted folder is not approved at all)',
  },
  ...[
    'mise.toml',
    '.mise.toml',
    'mise.*.toml',
    '.mise.*.toml',
    '**/.mise/config.toml',
    '**/mise/config.toml',
    '**/.config/mise.toml',
    '**/.config/mise',
  ].map((pattern): AutoRunFile => ({
    pattern,
    rule: 'folder-env',
    why: 'mise runs its hooks and env scripts when a shell enters the folder, and it trusts a file by its path, not its content',
  })),

  // Package managers: read by every command, not only by the project's own scripts.
  {
    pattern: '.npmrc',
    rule: 'package-manager',
    why: 'npm reads it for every command, and node-options, script-shell and git in it run programs',
  },
  {
    pattern: '.yarnrc',
    rule: 'package-manager',
    why: 'yarn 1 runs the file its yarn-path names for every command',
  },
  {
    pattern: '.yarnrc.yml',
    rule: 'package-manager',
    why: 'yarn runs its yarnPath and loads its plugins for every command',
  },
  {
    pattern: '**/.yarn/releases',
    rule: 'package-manager',
    why: 'yarnPath points here: every yarn command runs it',
  },
  { pattern: '**/.yarn/plugins', rule: 'package-manager', why: 'yarn loads these plugins for every command' },
  { pattern: '.pnpmfile.cjs', rule: 'package-manager', why: 'pnpm runs its hooks on every install' },
  { pattern: '.pnpmfile.mjs', rule: 'package-manager', why: 'pnpm runs its hooks on every install' },
  ...['**/.cargo/config.toml', '**/.cargo/config'].map((pattern): AutoRunFile => ({
    pattern,
    rule: 'package-manager',
    why: 'cargo reads it for every command (editors run cargo check by themselves), and rustc-wrapper, runners and aliases in it run programs',
  })),

  // Version control.
  {
    pattern: '**/.git/hooks',
    rule: 'version-control',
    why: 'git runs its hooks on commit, checkout, merge and push, outside the sandbox',
  },
  {
    pattern: '**/.git/config',
    rule: 'version-control',
    why: 'its settings (core.pager, core.fsmonitor, aliases, filters) make git run programs',
  },
  {
    pattern: '.git',
    rule: 'version-control',
    why: "git's own files: hooks and settings run programs, and the rest is the repository's history",
  },
  {
    pattern: '.gitconfig',
    rule: 'version-control',
    why: 'git reads it as your settings, or a repository includes it (include.path), and core.pager, aliases and filters in it run programs',
  },
  { pattern: '**/.config/git/config', rule: 'version-control', why: 'git reads it as your settings' },
  { pattern: 'etc/gitconfig', rule: 'version-control', why: "git reads it as every user's settings" },
  { pattern: '.hg', rule: 'version-control', why: 'the hooks in .hg/hgrc run on hg commands' },
  { pattern: '.hgrc', rule: 'version-control', why: 'Mercurial runs the hooks and extensions it names' },

  // Hook managers: the installed hook reads these on every commit.
  {
    pattern: '.husky',
    rule: 'git-hooks',
    why: 'git runs the husky hooks in it on every commit (core.hooksPath)',
  },
  {
    pattern: '.githooks',
    rule: 'git-hooks',
    why: 'git runs the hooks in it on every commit (core.hooksPath)',
  },
  {
    pattern: '.pre-commit-config.yaml',
    rule: 'git-hooks',
    why: 'pre-commit runs the commands it lists on every commit',
  },
  ...['lefthook', '.lefthook', 'lefthook-local', '.lefthook-local']
    .flatMap((name) => [`${name}.y*ml`, `${name}.json`, `${name}.toml`])
    .concat('.lefthook')
    .map((pattern): AutoRunFile => ({
      pattern,
      rule: 'git-hooks',
      why: 'lefthook runs the commands it lists on every commit',
    })),

  // Editors and dev containers.
  {
    pattern: '.vscode',
    rule: 'editor',
    why: 'VS Code runs its tasks when the folder opens (runOn: folderOpen), and its settings name programs that extensions start',
  },
  {
    pattern: '*.code-workspace',
    rule: 'editor',
    why: 'a VS Code workspace file holds settings, tasks and launch configurations that run programs',
  },
  {
    pattern: '.idea',
    rule: 'editor',
    why: 'JetBrains IDEs run its startup tasks and the tools its settings name when the project opens',
  },
  {
    pattern: '.devcontainer',
    rule: 'editor',
    why: 'Dev Containers runs its initializeCommand on this machine and its other commands in the container',
  },
  {
    pattern: '.devcontainer.json',
    rule: 'editor',
    why: 'Dev Containers runs its initializeCommand on this machine and its other commands in the container',
  },
  {
    pattern: '**/.zed/settings.json',
    rule: 'editor',
    why: 'Zed starts the language servers its settings name when a file opens',
  },

  // Other agents' settings.
  {
    pattern: '.mcp.json',
    rule: 'agent',
    why: 'agents start the MCP servers it lists, and an approved server keeps running whatever its command becomes',
  },
  {
    pattern: '.claude',
    rule: 'agent',
    why: 'Claude Code runs the hooks in its settings and follows its permissions, commands, agents and skills',
  },
  { pattern: '**/.cursor/mcp.json', rule: 'agent', why: 'Cursor starts the MCP servers it lists' },
  {
    pattern: '**/.gemini/settings.json',
    rule: 'agent',
    why: 'Gemini CLI starts the MCP servers and hooks it lists',
  },

  // CI: a fixed file each system runs on every push.
  ...[
    '**/.github/workflows',
    '**/.github/actions',
    '**/.gitea/workflows',
    '**/.forgejo/workflows',
    '.gitlab-ci.yml',
    '.circleci',
    '.travis.yml',
    'azure-pipelines.y*ml',
    '.azure-pipelines',
    'Jenkinsfile',
    'bitbucket-pipelines.yml',
    '.buildkite',
    '.drone.yml',
    '.woodpecker.y*ml',
    '.woodpecker',
    'appveyor.yml',
    '.appveyor.yml',
    '.cirrus.yml',
    '.cirrus.star',
    '.semaphore',
  ].map((pattern): AutoRunFile => ({
    pattern,
    rule: 'ci',
    why: "CI runs it on the next push, with the repository's secrets",
  })),

  // Programs that load a file from the folder or the home folder every time they start.
  {
    pattern: '.Rprofile',
    rule: 'tool-startup',
    why: 'R runs it from the current folder at every start (RStudio starts R when the project opens)',
  },
  { pattern: '.irbrc', rule: 'tool-startup', why: 'irb and rails console run it from the current folder' },
  { pattern: '.pryrc', rule: 'tool-startup', why: 'pry runs it from the current folder' },
  { pattern: '.pdbrc', rule: 'tool-startup', why: 'pdb runs its commands from the current folder' },
  {
    pattern: '**/site-packages/*.pth',
    rule: 'tool-startup',
    why: 'Python runs its import lines at every start of that environment',
  },
  {
    pattern: '**/site-packages/sitecustomize.py',
    rule: 'tool-startup',
    why: 'Python imports it at every start of that environment',
  },
  {
    pattern: '**/site-packages/usercustomize.py',
    rule: 'tool-startup',
    why: 'Python imports it at every start of that environment',
  },
  ...['**/.venv/bin/activate*', '**/venv/bin/activate*'].map((pattern): AutoRunFile => ({
    pattern,
    rule: 'tool-startup',
    why: "VS Code's Python extension sources it in every new terminal",
  })),
  {
    pattern: '.ripgreprc',
    rule: 'tool-startup',
    why: 'rg reads it (RIPGREP_CONFIG_PATH) for every search, and --pre in it runs a program for each file',
  },
  {
    pattern: '**/.ssh/config',
    rule: 'tool-startup',
    why: 'ssh (and git over ssh) reads it for every connection, and ProxyCommand, LocalCommand and Match exec run programs',
  },

  // Login and desktop sessions.
  { pattern: '**/.ssh/rc', rule: 'session-startup', why: 'sshd runs it at every ssh login' },
  {
    pattern: '**/.config/autostart',
    rule: 'session-startup',
    why: 'the desktop starts these programs at every login',
  },
  {
    pattern: '**/.config/systemd/user',
    rule: 'session-startup',
    why: 'systemd starts the enabled user units at every login',
  },
  {
    pattern: '**/Library/LaunchAgents',
    rule: 'session-startup',
    why: 'launchd starts these agents at every login',
  },
  ...['.xinitrc', '.xprofile', '.xsessionrc', '.xsession'].map((pattern): AutoRunFile => ({
    pattern,
    rule: 'session-startup',
    why: 'the X session runs it at every login',
  })),
];

/**
 * The files and folders of the table that exist at the top of the workspace (a name, or a path
 * the table names from any folder: `.github/workflows`), for the sandbox to mount read-only: a
 * program an allowed command runs (a test) must not write them either. Version-control entries
 * are left to the sandbox's own rules (`.git/hooks` and `.git/config` read-only, the rest
 * writable: a test may commit). Ones that do not exist yet are not protected there (a read-only
 * mount point would appear in the workspace for every command).
 */
export function autoRunPathsIn(workspace: string): { path: string; dir: boolean }[] {
  const out: { path: string; dir: boolean }[] = [];
  for (const entry of AUTO_RUN_FILES) {
    if (entry.rule === 'version-control') continue;
    const rel = entry.pattern.replace(/^\*\*\//, '');
    if (/[*?[\]{}]/.test(rel) || rel.startsWith('etc/')) continue;
    const abs = path.join(workspace, rel);
    try {
      const st = fs.lstatSync(abs);
      if (!st.isSymbolicLink()) out.push({ path: abs, dir: st.isDirectory() });
    } catch {
      // not here
    }
  }
  return out;
}
