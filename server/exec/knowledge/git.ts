/**
 * git. Most sub-commands read, some change the repository, some use the network, and a few
 * settings make any git command run a program. Global options are read before the
 * sub-command so `git -c core.pager=… log` cannot pass as a read-only `log` (Codex's
 * find_git_subcommand skips `-c` for the same reason). The tables of sub-commands and settings
 * are in gitKeys.ts; the repository's own configuration is judged by gitRepository.ts.
 */

import { gitKeyRisk, NETWORK, READ, STATE } from './gitKeys';
import { gitProxyKey } from './networkTampering';
import { judgeAlias, judgeRepositories, knownSub } from './gitRepository';
import {
  hasOption,
  operands,
  options,
  optionValues,
  parseArgs,
  type Arg,
  type GitWhere,
  type ToolCall,
  type ToolSpec,
} from './types';

function judgeKey(t: ToolCall, key: string, how: string): void {
  if (gitProxyKey(key)) {
    t.deny('network-tampering', `${how} changes ${key}, which decides where git's connections go`);
    return;
  }
  const risk = gitKeyRisk(key);
  if (risk === 'exec') t.deny('git-config-exec', `${how} sets ${key}, a git setting that runs a program`);
  else if (risk === 'unknown') t.ask('git-state', `${how} sets ${key}`);
}

/** Global options that take a separate value. */
const GLOBAL_VALUE = new Set([
  '-c',
  '-C',
  '--git-dir',
  '--work-tree',
  '--namespace',
  '--super-prefix',
  '--config-env',
  '--list-cmds',
  '--attr-source',
]);

/** Whether a push/fetch target is a URL or path rather than a remote name. */
const looksLikeUrl = (v: string) =>
  /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ||
  /^[^/\s]+@[^/\s]+:/.test(v) ||
  /^[^/]+::/.test(v) ||
  v.includes('/') ||
  v === '.' ||
  v === '..';

function checkTransport(t: ToolCall, value: string | null): void {
  if (value !== null && /^(ext|fd)::/i.test(value))
    t.deny('exec-option', `the git ${value.split('::')[0]}:: transport runs a command`);
}

export const gitTool: ToolSpec = {
  // Reading sub-commands (status, log, diff, show…) only read; every sub-command that changes the
  // repository, writes a file or talks to a remote says so (t.changes, t.write, t.network), and
  // unknown ones ask. Without the OS sandbox only read-only commands run without asking.
  readOnly: true,
  riskyOptions: true,
  judge(t) {
    const v = t.values;
    let i = 0;
    let dirOption = false;
    // Where git looks for the repository (-C, --git-dir, --work-tree, --bare), to read its settings.
    const where: GitWhere = { chdir: [] };
    let dynamicDir = false;
    let help = false;
    for (; i < v.length; i++) {
      const a = v[i];
      if (a === null || a === undefined) {
        t.ask('dynamic-argument', 'the git sub-command is only known when it runs');
        return;
      }
      if (!a.startsWith('-')) break;
      const eq = a.indexOf('=');
      const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
      const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : null;
      const value = inline ?? (GLOBAL_VALUE.has(name) ? (v[i + 1] ?? null) : null);
      const valueWord = inline !== null ? null : GLOBAL_VALUE.has(name) ? t.args[i + 1] : undefined;
      if (GLOBAL_VALUE.has(name) && inline === null) {
        t.notPaths(i + 1);
        i++;
      }
      t.notPaths(i);
      switch (name) {
        case '-c':
          if (value === null) t.ask('dynamic-argument', 'git -c sets a setting only known when it runs');
          else judgeKey(t, value.split('=')[0]!, 'git -c');
          break;
        case '--config-env':
          if (value !== null) judgeKey(t, value.split('=')[0]!, 'git --config-env');
          break;
        case '-C':
        case '--git-dir':
        case '--work-tree': {
          dirOption = true;
          if (value === null) dynamicDir = true;
          else if (name === '-C') where.chdir.push(value);
          else if (name === '--git-dir') where.gitDir = value;
          else where.workTree = value;
          const abs = value === null ? null : t.resolve(value);
          if (abs === null)
            t.ask('dynamic-argument', `git ${name} points at a folder only known when it runs`);
          else if (!t.inWorkspace(abs))
            t.deny(
              'git-outside-workspace',
              `git ${name} ${value} works on a repository outside the workspace (its settings can run programs)`,
            );
          else if (name === '--git-dir' && !/(^|\/)\.git\/?$/.test(value!))
            t.ask(
              'git-outside-workspace',
              `git --git-dir ${value} uses a repository other than the workspace's own .git folder`,
            );
          void valueWord;
          break;
        }
        case '--exec-path':
          if (inline !== null)
            t.deny('exec-option', 'git --exec-path= runs git sub-commands from another folder');
          break;
        case '-p':
        case '--paginate':
          t.ask('git-pager', 'git --paginate starts a pager program');
          break;
        case '--bare':
          where.bare = true;
          break;
        case '--help':
          help = true;
          break;
        case '--version':
        case '-h':
        case '-v':
        case '-P':
        case '--no-pager':
        case '--no-replace-objects':
        case '--literal-pathspecs':
        case '--glob-pathspecs':
        case '--noglob-pathspecs':
        case '--icase-pathspecs':
        case '--no-optional-locks':
        case '--no-advice':
        case '--no-lazy-fetch':
        case '--namespace':
        case '--super-prefix':
        case '--list-cmds':
        case '--attr-source':
        case '--html-path':
        case '--man-path':
        case '--info-path':
          break;
        default:
          t.ask('unknown-command', `NAVI does not know the git option ${name}`);
      }
    }
    void dirOption;
    const sub = v[i];
    // The repositories git would use, with their settings (read, never run).
    const found = dynamicDir ? null : t.gitRepositories(where);
    if (sub === undefined || sub === null) {
      if (help && found) judgeRepositories(t, 'help', [], found);
      return;
    }
    t.notPaths(i);
    const restValues = v.slice(i + 1);
    const at = i + 1;
    if (found && !knownSub(sub) && judgeAlias(t, i, sub, found)) return;
    judgeSubcommand(t, sub, restValues, at);
    // `git CMD --help` shows the manual (man.viewer, help.browser…), it does not run CMD.
    if (found) judgeRepositories(t, help || restValues[0] === '--help' ? 'help' : sub, restValues, found);
  },
};

/** Options (beyond the common ones) that take a value, per sub-command. */
const SUB_VALUE: Readonly<Record<string, readonly string[]>> = {
  'format-patch': ['-o'],
  archive: ['-o', '--prefix', '--remote'],
  clone: ['-o', '-b', '-u', '-c', '-j'],
  fetch: ['-u', '-j', '-o'],
  pull: ['-u', '-j', '-o'],
  'ls-remote': ['-u', '-o'],
  push: ['-o'],
  rebase: ['-x', '-s', '-X', '-C', '--onto', '--strategy', '--strategy-option'],
  commit: [
    '-m',
    '-F',
    '-C',
    '-c',
    '-t',
    '--author',
    '--date',
    '--fixup',
    '--squash',
    '--cleanup',
    '--trailer',
  ],
  checkout: ['-b', '-B', '-c', '-C', '--orphan', '--conflict'],
  switch: ['-b', '-B', '-c', '-C', '--orphan', '--conflict'],
  grep: ['-e', '-f', '-A', '-B', '-C', '-m', '--max-depth', '--threads'],
  tag: ['-m', '-F', '-u', '--local-user', '--cleanup'],
  branch: ['-u'],
  config: ['-f', '--file', '--comment', '--value', '--url'],
  stash: ['-m'],
  am: ['-p', '--directory', '--exclude', '--include', '-C'],
  apply: ['-p', '--directory', '--exclude', '--include', '-C'],
  worktree: ['-b', '-B', '--reason'],
  submodule: ['-b', '--name', '--depth'],
  notes: ['-m', '-F', '-C', '-c', '--ref'],
  blame: ['-L', '-S'],
  log: ['-L'],
  'cherry-pick': ['-m', '-X', '--strategy', '--strategy-option'],
  revert: ['-m', '-X', '--strategy', '--strategy-option'],
  merge: ['-m', '-F', '-s', '-X', '--strategy', '--strategy-option'],
};

/** Common options that take a value across sub-commands. */
const COMMON_VALUE = [
  '--format',
  '--pretty',
  '-n',
  '--max-count',
  '--since',
  '--after',
  '--until',
  '--before',
  '--author',
  '--committer',
  '--grep',
  '-S',
  '-G',
  '--date',
  '-U',
  '--unified',
  '--abbrev',
  '--output',
  '--output-directory',
  '--upload-pack',
  '--receive-pack',
  '--repo',
  '--template',
  '--depth',
  '--branch',
  '--origin',
  '--reference',
  '--separate-git-dir',
  '--config',
  '--push-option',
  '--contains',
  '--no-contains',
  '--merged',
  '--no-merged',
  '--points-at',
  '--sort',
  '--set-upstream-to',
  '--blob',
  '--type',
  '--default',
  '--contents',
  '--filter',
  '--jobs',
  '--exec',
  '--file',
  '--message',
  '--format',
];

/** Options that make a sub-command write a file. */
const SUB_OUTPUT: Readonly<Record<string, readonly string[]>> = {
  'format-patch': ['-o', '--output-directory', '--output'],
  archive: ['-o', '--output'],
};

function judgeSubcommand(t: ToolCall, sub: string, v: readonly (string | null)[], at: number): void {
  const args = parseArgs(v, { withValue: [...COMMON_VALUE, ...(SUB_VALUE[sub] ?? [])] });
  const all: Arg[] = args.map((a) =>
    a.kind === 'option'
      ? { ...a, index: a.index + at, valueIndex: a.valueIndex === null ? null : a.valueIndex + at }
      : { ...a, index: a.index + at },
  );
  const word = (index: number) => t.args[index]!;
  for (const a of options(all)) if (a.valueIndex !== null) t.notPaths(a.valueIndex);
  // Options that write files (log/diff --output=, format-patch -o, archive -o).
  for (const o of optionValues(all, ...(SUB_OUTPUT[sub] ?? ['--output'])))
    if (o.valueIndex !== null && o.value !== '-') t.write(t.optionWord(o), { recursive: true });
  for (const o of optionValues(all, '-F', '--file', '--contents'))
    if (o.valueIndex !== null && o.value !== '-' && sub !== 'config') t.read(t.optionWord(o));
  for (const o of optionValues(all, '--upload-pack', '--receive-pack', '--exec'))
    if (sub !== 'rebase') t.deny('exec-option', `git ${sub} ${o.name} runs a program`);
  if (sub === 'clone' || sub === 'fetch' || sub === 'pull' || sub === 'ls-remote')
    for (const o of optionValues(all, '-u'))
      t.deny('exec-option', `git ${sub} ${o.name} runs a program as upload-pack`);
  for (const op of operands(all)) checkTransport(t, op.value);

  if (READ.has(sub)) {
    if (
      sub === 'grep' &&
      (hasOption(all, '-O', '--open-files-in-pager') || v.some((x) => x?.startsWith('--open-files-in-pager')))
    )
      t.ask('exec-option', 'git grep -O opens the results in a program');
    if (sub === 'grep') {
      const ops = operands(all);
      if (!hasOption(all, '-e', '-f') && ops[0]) t.notPaths(ops[0].index);
    }
    if (sub === 'log' || sub === 'show' || sub === 'diff' || sub === 'shortlog' || sub === 'blame') {
      // Revisions and ranges are not paths (`HEAD~3`, `main..x`); only what follows `--` is.
      const dash = v.indexOf('--');
      operands(all).forEach((op) => {
        if (dash < 0 || op.index - at < dash) t.notPaths(op.index);
      });
    }
    return;
  }
  switch (sub) {
    case 'branch': {
      const modifying = hasOption(
        all,
        '-d',
        '-D',
        '--delete',
        '-m',
        '-M',
        '--move',
        '-c',
        '-C',
        '--copy',
        '-u',
        '--set-upstream-to',
        '--unset-upstream',
        '--edit-description',
        '-f',
        '--force',
        '-t',
        '--track',
        '--no-track',
      );
      const listing = hasOption(
        all,
        '-l',
        '--list',
        '-a',
        '--all',
        '-r',
        '--remotes',
        '--show-current',
        '-v',
        '-vv',
        '--verbose',
      );
      if (modifying || (operands(all).length > 0 && !listing))
        t.ask('git-state', `git branch ${v.join(' ')} changes branches`);
      operands(all).forEach((o) => t.notPaths(o.index));
      if (modifying || (operands(all).length > 0 && !listing)) t.changes();
      return;
    }
    case 'tag': {
      const listing = hasOption(
        all,
        '-l',
        '--list',
        '-n',
        '-v',
        '--verify',
        '--contains',
        '--no-contains',
        '--points-at',
        '--merged',
        '--no-merged',
        '--sort',
        '--format',
        '--column',
      );
      operands(all).forEach((o) => t.notPaths(o.index));
      if (operands(all).length > 0 && !listing) {
        t.ask('git-state', 'git tag creates or deletes tags');
        t.changes();
      } else if (hasOption(all, '-d', '--delete', '-a', '-s', '-f')) {
        t.ask('git-state', 'git tag changes tags');
        t.changes();
      }
      return;
    }
    case 'remote': {
      const verb = operands(all)[0]?.value;
      operands(all).forEach((o) => t.notPaths(o.index));
      if (verb === undefined || verb === 'get-url') return;
      if (verb === 'show' || verb === 'update' || verb === 'prune') {
        t.network(`git remote ${verb} contacts the remote`);
        return;
      }
      t.ask('git-state', `git remote ${verb ?? ''} changes the configured remotes`.trim());
      t.changes();
      return;
    }
    case 'stash': {
      const verb = operands(all)[0]?.value;
      operands(all).forEach((o) => t.notPaths(o.index));
      if (verb === 'list' || verb === 'show') return;
      t.ask('git-state', 'git stash changes the work tree');
      t.changes();
      return;
    }
    case 'worktree': {
      const ops = operands(all);
      if (ops[0]?.value === 'list') return;
      t.ask('git-state', `git worktree ${ops[0]?.value ?? ''} changes work trees`.trim());
      t.changes();
      if (ops[0]?.value === 'add' && ops[1]) t.write(word(ops[1].index), { recursive: true });
      return;
    }
    case 'notes': {
      const verb = operands(all)[0]?.value;
      if (verb === undefined || verb === 'list' || verb === 'show') return;
      t.ask('git-state', 'git notes changes notes');
      t.changes();
      return;
    }
    case 'reflog': {
      const verb = operands(all)[0]?.value;
      operands(all).forEach((o) => t.notPaths(o.index));
      if (verb !== 'expire' && verb !== 'delete') return;
      t.ask('git-state', 'git reflog changes the reflog');
      t.changes();
      return;
    }
    case 'config':
      judgeConfig(t, all, v);
      return;
    case 'credential':
    case 'credential-store':
    case 'credential-cache':
      t.deny('secret-read', `git ${sub} reads or stores saved credentials`);
      return;
    case 'hook':
      t.ask('interpreter', 'git hook run runs a repository hook');
      return;
    case 'instaweb':
    case 'web--browse':
      t.ask('exec-option', `git ${sub} starts a web server or browser`);
      return;
    case 'send-email':
      t.deny('exfiltration', 'git send-email mails repository content to other addresses');
      return;
    case 'daemon':
      t.network('git daemon serves the repository over the network');
      return;
    case 'push':
      judgePush(t, all);
      return;
    case 'clone': {
      t.network('git clone downloads a repository');
      t.changes();
      if (hasOption(all, '--template'))
        t.deny('exec-option', 'git clone --template installs hooks from another folder');
      for (const c of optionValues(all, '-c', '--config'))
        if (c.value) judgeKey(t, c.value.split('=')[0]!, 'git clone --config');
      const ops = operands(all);
      ops.forEach((o) => t.notPaths(o.index));
      if (ops[1]) t.write(word(ops[1].index), { recursive: true });
      else if (ops[0]?.value)
        t.write((ops[0].value.replace(/\/+$/, '').split(/[/:]/).pop() ?? '.').replace(/\.git$/, ''));
      return;
    }
    case 'fetch':
    case 'pull':
    case 'ls-remote':
    case 'request-pull':
      operands(all).forEach((o) => t.notPaths(o.index));
      t.network(`git ${sub} contacts a remote`);
      if (sub === 'pull') {
        t.changes();
        t.ask('git-state', 'git pull changes the work tree');
      }
      return;
    case 'submodule': {
      const verb = operands(all)[0]?.value;
      if (verb === undefined || verb === 'status' || verb === 'summary') return;
      if (verb === 'foreach') {
        const code = operands(all)[1];
        if (code) t.runShell(word(code.index), 'git submodule foreach');
      }
      if (verb === 'update' || verb === 'add' || verb === 'sync' || verb === 'init')
        t.network(`git submodule ${verb} may fetch repositories`);
      t.ask('git-state', `git submodule ${verb} changes submodules`);
      t.changes();
      return;
    }
    case 'bisect': {
      const verb = operands(all)[0];
      if (verb?.value === 'run') {
        const words = t.args.slice(verb.index + 1);
        if (words.length > 0) t.run(words, 'git bisect run');
      }
      if (verb?.value !== 'log' && verb?.value !== 'visualize' && verb?.value !== 'view') {
        t.ask('git-state', 'git bisect changes the checked-out commit');
        t.changes();
      }
      return;
    }
    case 'rebase':
      for (const x of optionValues(all, '-x', '--exec'))
        if (x.valueIndex !== null) t.runShell(t.optionWord(x), 'git rebase --exec');
      if (hasOption(all, '-i', '--interactive')) t.ask('git-state', 'git rebase -i opens an editor');
      t.ask('git-state', 'git rebase rewrites history');
      t.changes();
      return;
    case 'reset':
    case 'clean':
    case 'checkout':
    case 'restore':
      if (
        (sub === 'reset' && hasOption(all, '--hard', '--merge', '--keep')) ||
        (sub === 'clean' && hasOption(all, '-f', '--force')) ||
        ((sub === 'checkout' || sub === 'restore') && v.includes('.'))
      )
        t.ask('destructive', `git ${sub} can discard uncommitted work`);
      t.ask('git-state', `git ${sub} changes the work tree`);
      t.changes();
      return;
    case 'filter-branch':
      if (v.some((x) => x === null || /^--(tree|index|msg|env|commit|parent|tag-name)-filter/.test(x)))
        t.ask('exec-option', 'git filter-branch runs shell filters on every commit');
      t.ask('git-state', 'git filter-branch rewrites history');
      t.changes();
      return;
    case 'add':
      // Staging is reversible and runs nothing (no hooks): a change, not a question.
      if (hasOption(all, '-i', '--interactive', '-p', '--patch', '-e', '--edit'))
        t.ask('git-state', 'git add --interactive/--patch/--edit opens an editor or a prompt');
      t.changes();
      return;
    default:
      if (STATE.has(sub)) {
        operands(all).forEach((o) => {
          if (sub !== 'add' && sub !== 'rm' && sub !== 'mv') t.notPaths(o.index);
        });
        t.ask(
          'git-state',
          `git ${sub} ${sub === 'commit' ? 'records a commit (and runs hooks)' : 'changes the repository'}`,
        );
        t.changes();
        if (sub === 'archive' && hasOption(all, '--remote'))
          t.network('git archive --remote contacts a remote');
        return;
      }
      if (NETWORK.has(sub)) {
        t.network(`git ${sub} contacts a remote`);
        return;
      }
      t.ask('unknown-command', `git ${sub} is not a git command NAVI knows (it may be an alias or a plugin)`);
  }
}

function judgePush(t: ToolCall, all: Arg[]): void {
  t.network('git push sends commits to a remote');
  t.changes();
  const ops = operands(all);
  const repo = optionValues(all, '--repo')[0]?.value ?? ops[0]?.value;
  ops.forEach((o) => t.notPaths(o.index));
  if (repo === undefined) return;
  if (repo === null) {
    t.ask('dynamic-argument', 'git push goes to a remote only known when it runs');
    return;
  }
  const remotes = t.gitRemotes();
  if (remotes.names.has(repo)) return;
  if (looksLikeUrl(repo) && !remotes.urls.has(repo)) {
    t.deny('exfiltration', `git push to ${repo}, which is not a configured remote`);
    return;
  }
  if (!looksLikeUrl(repo)) t.ask('git-state', `git push to ${repo}, which is not a configured remote`);
}

const CONFIG_READ_OPTIONS = [
  '--get',
  '--get-all',
  '--get-regexp',
  '--get-urlmatch',
  '-l',
  '--list',
  '--get-color',
  '--get-colorbool',
];
const CONFIG_WRITE_OPTIONS = [
  '--add',
  '--unset',
  '--unset-all',
  '--replace-all',
  '--rename-section',
  '--remove-section',
];

function judgeConfig(t: ToolCall, all: Arg[], v: readonly (string | null)[]): void {
  const ops = operands(all);
  ops.forEach((o) => t.notPaths(o.index));
  const verbs = [
    'get',
    'list',
    'set',
    'unset',
    'rename-section',
    'remove-section',
    'edit',
    'get-color',
    'get-colorbool',
  ];
  const verb = ops[0]?.value && verbs.includes(ops[0].value) ? ops[0].value : null;
  const keyOps = verb ? ops.slice(1) : ops;
  const reading =
    hasOption(all, ...CONFIG_READ_OPTIONS) ||
    verb === 'get' ||
    verb === 'list' ||
    verb === 'get-color' ||
    verb === 'get-colorbool' ||
    (!verb && keyOps.length <= 1 && !hasOption(all, ...CONFIG_WRITE_OPTIONS, '-e', '--edit'));
  if (reading) return;
  t.changes();
  if (hasOption(all, '-e', '--edit') || verb === 'edit') {
    t.ask('git-state', 'git config --edit opens an editor on the settings');
    return;
  }
  const key = keyOps[0]?.value;
  if (key === null || key === undefined)
    t.ask('dynamic-argument', 'git config changes a setting only known when it runs');
  else judgeKey(t, key, 'git config');
  const global =
    hasOption(all, '--global', '--system') || v.some((x) => x === '--global' || x === '--system');
  const file = optionValues(all, '-f', '--file')[0];
  if (global)
    t.deny('write-outside-workspace', 'git config --global/--system changes settings outside the workspace');
  else if (file?.valueIndex != null) t.write(t.optionWord(file));
  else t.ask('git-state', 'git config changes the repository settings');
}

export const GIT_TOOLS: Readonly<Record<string, ToolSpec>> = {
  git: gitTool,
};
