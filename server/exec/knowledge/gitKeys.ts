/**
 * What git does with its sub-commands and its settings, as data: which sub-commands read, change
 * the repository or talk to a remote, and which configuration keys make git run a program or load
 * code, with the sub-commands each one affects (used for `git -c KEY=…` and for the repository's
 * own configuration, gitRepository.ts).
 */

import * as path from 'node:path';

const posix = path.posix;

export const READ = new Set([
  'status',
  'log',
  'diff',
  'show',
  'blame',
  'annotate',
  'shortlog',
  'describe',
  'rev-parse',
  'rev-list',
  'ls-files',
  'ls-tree',
  'cat-file',
  'merge-base',
  'name-rev',
  'for-each-ref',
  'show-ref',
  'show-branch',
  'count-objects',
  'whatchanged',
  'version',
  'help',
  'check-ignore',
  'check-attr',
  'check-ref-format',
  'check-mailmap',
  'var',
  'cherry',
  'range-diff',
  'diff-tree',
  'diff-files',
  'diff-index',
  'grep',
  'verify-commit',
  'verify-tag',
  'verify-pack',
  'fsck',
  'get-tar-commit-id',
  'interpret-trailers',
  'column',
  'stripspace',
  'patch-id',
  'mailinfo',
  'fmt-merge-msg',
]);

export const STATE = new Set([
  'add',
  'commit',
  'checkout',
  'switch',
  'restore',
  'reset',
  'rm',
  'mv',
  'merge',
  'rebase',
  'cherry-pick',
  'revert',
  'am',
  'apply',
  'clean',
  'init',
  'gc',
  'prune',
  'repack',
  'pack-refs',
  'update-index',
  'update-ref',
  'symbolic-ref',
  'replace',
  'filter-branch',
  'commit-tree',
  'write-tree',
  'read-tree',
  'mktag',
  'mktree',
  'hash-object',
  'sparse-checkout',
  'maintenance',
  'lfs',
  'stage',
  'mergetool',
  'difftool',
  'merge-file',
  'format-patch',
  'bundle',
  'archive',
  'checkout-index',
  'unpack-objects',
  'index-pack',
  'pack-objects',
  'prune-packed',
  'multi-pack-index',
  'commit-graph',
  'rerere',
  'citool',
  'gui',
]);

export const NETWORK = new Set([
  'fetch',
  'pull',
  'push',
  'clone',
  'ls-remote',
  'submodule',
  'send-email',
  'request-pull',
  'daemon',
]);

/** Sub-commands that talk to a remote (and so run ssh, credential helpers, proxies). */
const NET_SUBS = [
  'fetch',
  'pull',
  'push',
  'clone',
  'ls-remote',
  'submodule',
  'remote',
  'archive',
  'request-pull',
  'fetch-pack',
  'send-pack',
  'lfs',
];
/** Sub-commands that can open an editor. */
const EDITOR_SUBS = [
  'commit',
  'merge',
  'pull',
  'rebase',
  'tag',
  'am',
  'notes',
  'cherry-pick',
  'revert',
  'branch',
  'config',
  'add',
  'send-email',
  'replace',
];
/** Sub-commands that run an external diff program (diff.external, diff.<driver>.command). */
const EXT_DIFF_SUBS = [
  'diff',
  'difftool',
  'stash',
  'log',
  'show',
  'whatchanged',
  'format-patch',
  'diff-tree',
  'diff-files',
  'diff-index',
];
/** Sub-commands that run textconv filters when they show file contents or patches. */
const TEXTCONV_SUBS = [
  'diff',
  'show',
  'blame',
  'annotate',
  'range-diff',
  'difftool',
  'stash',
  'add',
  'checkout',
  'reset',
  'restore',
  'commit',
  'log',
  'whatchanged',
  'grep',
  'cat-file',
  'format-patch',
  'diff-tree',
  'diff-files',
  'diff-index',
];
/** Sub-commands that move content between the work tree and the repository (clean/smudge filters). */
const FILTER_SUBS = [
  'status',
  'diff',
  'add',
  'commit',
  'checkout',
  'switch',
  'restore',
  'reset',
  'stash',
  'merge',
  'rebase',
  'pull',
  'cherry-pick',
  'revert',
  'am',
  'apply',
  'rm',
  'mv',
  'blame',
  'annotate',
  'hash-object',
  'update-index',
  'checkout-index',
  'read-tree',
  'archive',
  'worktree',
  'sparse-checkout',
  'submodule',
  'describe',
  'diff-files',
  'diff-index',
  'difftool',
  'mergetool',
  'bisect',
  'cat-file',
  'lfs',
];
/** Sub-commands that merge files (merge drivers). */
const MERGE_SUBS = [
  'merge',
  'pull',
  'rebase',
  'cherry-pick',
  'revert',
  'am',
  'stash',
  'checkout',
  'switch',
  'merge-tree',
  'merge-recursive',
];
/** Sub-commands that sign or verify signatures (gpg.program and friends). */
const GPG_SUBS = [
  'commit',
  'tag',
  'merge',
  'pull',
  'rebase',
  'cherry-pick',
  'revert',
  'am',
  'push',
  'verify-commit',
  'verify-tag',
  'fmt-merge-msg',
  'commit-tree',
  'log',
  'show',
  'whatchanged',
  'rev-list',
];
/** The log family: shows signatures (runs gpg.program) with --show-signature, %G formats or log.showSignature. */
const LOG_FAMILY = ['log', 'show', 'whatchanged', 'rev-list'];
const HELP_SUBS = ['help', 'instaweb', 'web--browse'];

/** What the repository-level value of a setting means for one git command. */
export interface RepoContext {
  /** The sub-command git runs (`help` for `git <cmd> --help`). */
  sub: string;
  /** Its arguments (null: only known when it runs). */
  args: readonly (string | null)[];
  /** Whether an argument is one of these options (`--opt` or `--opt=…`, `-U3` for `-U`). */
  has(...names: string[]): boolean;
  /** The last value the repository sets for a key (lower-case section and name). */
  config(key: string): string | null | undefined;
  inWorkspace(abs: string): boolean;
  gitDir: string;
}

/**
 * A git setting that makes git run a program or load code (or run one somewhere else). One table
 * for both places a setting can come from: `git -c KEY=…` / `git config KEY …` on the command line
 * (any row: deny) and the repository's own configuration (where `subs` says when it matters).
 */
export interface GitExecKey {
  /** Matches the key with section and name in lower case. */
  pattern: RegExp;
  /** How docs/policy.md names it. */
  key: string;
  /**
   * The sub-commands a repository-level value affects: a list, `all`, `named` (the key names the
   * sub-command: `pager.<cmd>`, `alias.<name>`), `hooks` (the hooks each sub-command runs, when
   * they exist: core.hooksPath) or `none` (git ignores the key in repository configuration, or
   * NAVI follows it: include.path reads the included file's settings instead).
   */
  subs: readonly string[] | 'all' | 'named' | 'hooks' | 'none';
  /** A network setting: in a partial clone every sub-command may fetch objects, so every one is affected. */
  network?: true;
  /** Sub-commands of `subs` affected only when this holds (an option turns the feature on). */
  only?: Readonly<Record<string, (c: RepoContext) => boolean>>;
  /** Values that run nothing (a boolean, an empty value that resets a list…). */
  inert?: (value: string | null, c: RepoContext) => boolean;
  /**
   * A setting NAVI can give git for this command so that it runs nothing while the command does
   * what the user expects (GIT_CONFIG_COUNT/KEY/VALUE in its environment).
   */
  neutralise?: (c: RepoContext) => { key: string; value: string } | null;
  /** What git does with the value ("would run it" by default). */
  does?: string;
  /** The gitattributes attribute that selects a driver of this kind (`diff` for diff.<driver>.textconv). */
  attribute?: 'diff' | 'filter' | 'merge';
}

const BOOLEAN = /^(true|false|yes|no|on|off|1|0)$/i;
const FALSE = /^(false|no|off|0)$/i;
const patchOptions = (c: RepoContext) =>
  c.has(
    '-p',
    '-u',
    '--patch',
    '--cc',
    '-c',
    '-m',
    '--dd',
    '--remerge-diff',
    '--word-diff',
    '--color-words',
    '--patch-with-stat',
    '--patch-with-raw',
    '--full-diff',
    '--textconv',
    '-W',
    '--function-context',
    '-U',
    '--unified',
    '-L',
  );
const PATCH_ONLY = { log: patchOptions, whatchanged: patchOptions } as const;
const EXT_DIFF_ONLY = {
  diff: (c: RepoContext) => !c.has('--no-ext-diff'),
  log: (c: RepoContext) => c.has('--ext-diff'),
  show: (c: RepoContext) => c.has('--ext-diff'),
  whatchanged: (c: RepoContext) => c.has('--ext-diff'),
  'format-patch': (c: RepoContext) => c.has('--ext-diff'),
  'diff-tree': (c: RepoContext) => c.has('--ext-diff'),
  'diff-files': (c: RepoContext) => c.has('--ext-diff'),
  'diff-index': (c: RepoContext) => c.has('--ext-diff'),
};
const showsSignature = (c: RepoContext) =>
  c.has('--show-signature') ||
  c.args.some((a) => a === null || /%G/.test(a)) ||
  /%G/.test(c.config('format.pretty') ?? '');
/** Programs whose standard settings git-lfs and git-crypt write; they run a system tool, nothing from the repository. */
const KNOWN_FILTERS: readonly RegExp[] = [
  /^git-lfs (clean|smudge) -- %f$/,
  /^git-lfs filter-process$/,
  /^"?(\/[^"\s]*\/)?git-crypt"? (clean|smudge|diff)$/,
];

export const GIT_EXEC_KEYS: readonly GitExecKey[] = [
  {
    pattern: /^core\.fsmonitor$/,
    key: 'core.fsmonitor',
    subs: 'all',
    // true/false select git's own daemon or nothing; anything else is a program.
    inert: (v) => v === null || v === '' || BOOLEAN.test(v),
    neutralise: () => ({ key: 'core.fsmonitor', value: 'false' }),
  },
  { pattern: /^core\.hookspath$/, key: 'core.hooksPath', subs: 'hooks' },
  {
    pattern: /^core\.pager$/,
    key: 'core.pager',
    subs: 'all',
    inert: (v) => v === null || v === '' || v === 'cat',
    neutralise: () => ({ key: 'core.pager', value: 'cat' }),
  },
  {
    pattern: /^pager\./,
    key: 'pager.<cmd>',
    subs: 'named',
    inert: (v) => v !== null && FALSE.test(v),
    neutralise: (c) => ({ key: `pager.${c.sub}`, value: 'false' }),
  },
  { pattern: /^core\.editor$/, key: 'core.editor', subs: EDITOR_SUBS },
  { pattern: /^sequence\.editor$/, key: 'sequence.editor', subs: ['rebase', 'pull'] },
  {
    pattern: /^core\.(sshcommand|gitproxy|askpass)$/,
    key: 'core.sshCommand, core.gitProxy, core.askPass',
    subs: NET_SUBS,
    network: true,
  },
  {
    pattern: /^ssh\.variant$/,
    key: 'ssh.variant',
    subs: NET_SUBS,
    network: true,
    does: 'would run ssh as it says',
  },
  {
    pattern: /^credential\.(helper|.+\.helper)$/,
    key: 'credential.helper, credential.<url>.helper',
    subs: NET_SUBS,
    network: true,
    inert: (v) => v === '',
  },
  {
    pattern: /^remote\..+\.(receivepack|uploadpack|vcs)$/,
    key: 'remote.<name>.uploadpack, .receivepack, .vcs',
    subs: NET_SUBS,
    network: true,
  },
  {
    pattern: /^remote\..+\.proxy$/,
    key: 'remote.<name>.proxy',
    subs: NET_SUBS,
    network: true,
    does: 'would send its traffic through it',
  },
  {
    pattern: /^protocol\.(allow|.+\.allow)$/,
    key: 'protocol.allow, protocol.<name>.allow',
    subs: NET_SUBS,
    network: true,
    inert: (v) => v === 'never',
    does: 'would allow that transport (ext:: runs a command)',
  },
  {
    pattern: /^url\..+\.(insteadof|pushinsteadof)$/,
    key: 'url.<base>.insteadOf, .pushInsteadOf',
    subs: NET_SUBS,
    network: true,
    does: 'would rewrite remote addresses with it',
  },
  {
    pattern: /^http\.(proxy|.+\.proxy|sslverify|sslcainfo)$/,
    key: 'http.proxy, http.sslVerify, http.sslCAInfo',
    subs: NET_SUBS,
    network: true,
    does: 'would send its traffic through it or trust other certificates',
  },
  {
    pattern: /^core\.alternaterefscommand$/,
    key: 'core.alternateRefsCommand',
    subs: ['fetch', 'pull', 'push', 'clone', 'receive-pack', 'fetch-pack', 'send-pack'],
  },
  {
    pattern: /^core\.worktree$/,
    key: 'core.worktree',
    subs: 'all',
    // Submodules set it to their folder in the superproject: only a work tree outside the workspace matters.
    inert: (v, c) => v === null || v === '' || c.inWorkspace(posix.resolve(c.gitDir, v)),
    does: 'would work on that folder, outside the workspace',
  },
  { pattern: /^diff\.external$/, key: 'diff.external', subs: EXT_DIFF_SUBS, only: EXT_DIFF_ONLY },
  {
    pattern: /^diff\..+\.textconv$/,
    key: 'diff.<driver>.textconv',
    subs: TEXTCONV_SUBS,
    only: {
      ...PATCH_ONLY,
      grep: (c) => c.has('--textconv'),
      'cat-file': (c) => c.has('--textconv'),
      'format-patch': (c) => c.has('--textconv'),
      'diff-tree': (c) => c.has('--textconv'),
      'diff-files': (c) => c.has('--textconv'),
      'diff-index': (c) => c.has('--textconv'),
    },
    attribute: 'diff',
    inert: (v) => v !== null && KNOWN_FILTERS.some((r) => r.test(v)),
  },
  {
    pattern: /^diff\..+\.command$/,
    key: 'diff.<driver>.command',
    subs: EXT_DIFF_SUBS,
    only: EXT_DIFF_ONLY,
    attribute: 'diff',
  },
  { pattern: /^merge\..+\.driver$/, key: 'merge.<driver>.driver', subs: MERGE_SUBS, attribute: 'merge' },
  {
    pattern: /^filter\..+\.(clean|smudge|process)$/,
    key: 'filter.<driver>.clean, .smudge, .process',
    subs: FILTER_SUBS,
    only: { 'cat-file': (c) => c.has('--filters') },
    attribute: 'filter',
    inert: (v) => v !== null && KNOWN_FILTERS.some((r) => r.test(v)),
  },
  { pattern: /^alias\./, key: 'alias.<name>', subs: 'named' },
  {
    pattern: /^gpg\.(program|.+\.program|ssh\.defaultkeycommand)$/,
    key: 'gpg.program, gpg.<format>.program, gpg.ssh.defaultKeyCommand',
    subs: GPG_SUBS,
    only: {
      tag: (c) =>
        c.args.length > 0 && !(c.has('-l', '--list', '-n') && !c.has('-v', '--verify', '-s', '--sign')),
    },
    // The log family runs gpg only to show signatures: turn log.showSignature off unless the
    // command itself asks for signatures.
    neutralise: (c) =>
      LOG_FAMILY.includes(c.sub) && !showsSignature(c) ? { key: 'log.showSignature', value: 'false' } : null,
  },
  { pattern: /^sendemail\./, key: 'sendemail.*', subs: ['send-email'] },
  { pattern: /^imap\.tunnel$/, key: 'imap.tunnel', subs: ['imap-send'] },
  // Only honoured from protected (system, global, command-line) configuration.
  { pattern: /^uploadpack\.packobjectshook$/, key: 'uploadpack.packObjectsHook', subs: 'none' },
  // NAVI reads the included file and judges its settings as if they were in the including file.
  { pattern: /^include\.path$/, key: 'include.path', subs: 'none' },
  { pattern: /^includeif\..+\.path$/, key: 'includeIf.<condition>.path', subs: 'none' },
  {
    pattern: /^(web\..+|help\.browser|browser\..+|man\..+)$/,
    key: 'web.browser, help.browser, browser.<tool>.*, man.*',
    subs: HELP_SUBS,
  },
  { pattern: /^instaweb\./, key: 'instaweb.*', subs: ['instaweb'] },
  {
    pattern: /^(difftool\..+|diff\.(tool|guitool))$/,
    key: 'difftool.*, diff.tool, diff.guitool',
    subs: ['difftool'],
  },
  {
    pattern: /^(mergetool\..+|merge\.(tool|guitool))$/,
    key: 'mergetool.*, merge.tool, merge.guitool',
    subs: ['mergetool'],
  },
  { pattern: /^guitool\./, key: 'guitool.*', subs: ['citool', 'gui'] },
  {
    pattern: /^interactive\.difffilter$/,
    key: 'interactive.diffFilter',
    subs: ['add', 'checkout', 'reset', 'restore', 'stash', 'commit'],
  },
  {
    pattern: /^trailer\..+\.(command|cmd)$/,
    key: 'trailer.<token>.command, .cmd',
    subs: ['interpret-trailers', 'commit', 'tag', 'am', 'merge', 'pull', 'rebase', 'cherry-pick', 'revert'],
  },
  // Ignored in repository configuration (git checks ownership instead).
  { pattern: /^safe\.directory$/, key: 'safe.directory', subs: 'none' },
  { pattern: /^receive\.procreceiverefs$/, key: 'receive.procReceiveRefs', subs: ['receive-pack'] },
  {
    pattern: /^submodule\..+\.update$/,
    key: 'submodule.<name>.update',
    subs: ['submodule', 'pull', 'checkout', 'switch', 'clone'],
    inert: (v) => v === null || !v.startsWith('!'),
  },
  { pattern: /^init\.templatedir$/, key: 'init.templateDir', subs: ['init', 'clone'] },
  {
    pattern: /^lfs\.(customtransfer\..+\.(path|args)|extension\..+\.(clean|smudge)|standalonetransferagent)$/,
    key: 'lfs.customtransfer.<name>.path, lfs.extension.<name>.clean/smudge',
    subs: [...new Set([...FILTER_SUBS, ...NET_SUBS])],
  },
];

/** Settings that make git run a program (or load settings from elsewhere): every row of the table. */
const EXEC_KEYS: readonly RegExp[] = GIT_EXEC_KEYS.map((k) => k.pattern);

/** Settings that only change output. */
const SAFE_KEYS: readonly RegExp[] = [
  /^color\./,
  /^core\.(quotepath|autocrlf|safecrlf|eol|abbrev|filemode|ignorecase|precomposeunicode)$/,
  /^log\./,
  /^format\.(pretty|date)$/,
  /^diff\.(noprefix|renames|algorithm|colormoved|context|mnemonicprefix|relative|statgraphwidth|indentheuristic|submodule)$/,
  /^advice\./,
  /^user\.(name|email)$/,
  /^init\.defaultbranch$/,
  /^column\./,
  /^status\./,
  /^blame\./,
  /^grep\.(linenumber|extendedregexp|patterntype|column|fullname)$/,
  /^i18n\./,
  /^pull\.(rebase|ff)$/,
  /^push\.(default|autosetupremote)$/,
  /^fetch\.prune$/,
  /^commit\.(gpgsign|verbose)$/,
  /^tag\.gpgsign$/,
  /^rerere\.enabled$/,
  /^maintenance\./,
  /^gc\.auto$/,
];

/** Lower-cases the section and key of `section.sub.key` (the subsection keeps its case). */
function normaliseKey(key: string): string {
  const first = key.indexOf('.');
  const last = key.lastIndexOf('.');
  if (first < 0) return key.toLowerCase();
  if (first === last) return key.toLowerCase();
  return `${key.slice(0, first).toLowerCase()}${key.slice(first, last)}${key.slice(last).toLowerCase()}`;
}

export function gitKeyRisk(key: string): 'exec' | 'safe' | 'unknown' {
  const k = normaliseKey(key);
  const lower = k.toLowerCase();
  if (EXEC_KEYS.some((r) => r.test(lower))) return 'exec';
  if (SAFE_KEYS.some((r) => r.test(lower))) return 'safe';
  return 'unknown';
}
