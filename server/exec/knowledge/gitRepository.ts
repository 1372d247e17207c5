/**
 * The repository's own configuration as part of a git command: what `.git/config`,
 * `config.worktree`, included files, submodule configs and hooks make this sub-command run
 * (read by gitConfig.ts with real git, judged with the key table of gitKeys.ts). A key NAVI can
 * turn off for the command is neutralised; any other that the sub-command would use asks.
 */

import { redactSecrets } from '../../audit/redact';
import type { ConfigEntry, GitRepository } from '../gitConfig';
import { attributeSelecting, hookRuns, isTrue } from '../gitConfig';
import { GIT_EXEC_KEYS, NETWORK, READ, STATE, type GitExecKey, type RepoContext } from './gitKeys';
import type { ToolCall } from './types';

/** Every hook githooks(5) lists. */
const ALL_HOOKS = [
  'applypatch-msg',
  'pre-applypatch',
  'post-applypatch',
  'pre-commit',
  'pre-merge-commit',
  'prepare-commit-msg',
  'commit-msg',
  'post-commit',
  'pre-rebase',
  'post-checkout',
  'post-merge',
  'pre-push',
  'pre-receive',
  'update',
  'proc-receive',
  'post-receive',
  'post-update',
  'reference-transaction',
  'push-to-checkout',
  'pre-auto-gc',
  'post-rewrite',
  'sendemail-validate',
  'fsmonitor-watchman',
  'p4-changelist',
  'p4-prepare-changelist',
  'p4-post-changelist',
  'p4-pre-submit',
  'post-index-change',
];
const COMMIT_HOOKS = [
  'prepare-commit-msg',
  'commit-msg',
  'reference-transaction',
  'post-index-change',
  'pre-auto-gc',
];
/**
 * The hooks each sub-command can run. A reading sub-command that is not listed runs none; a
 * sub-command that changes the repository and is not listed may update refs and the index; one
 * NAVI does not know (a plugin, an alias) may run any.
 */
const HOOKS: Readonly<Record<string, readonly string[]>> = {
  status: ['post-index-change'],
  diff: ['post-index-change'],
  describe: ['post-index-change'],
  add: ['post-index-change'],
  rm: ['post-index-change'],
  mv: ['post-index-change'],
  restore: ['post-index-change'],
  apply: ['post-index-change'],
  'update-index': ['post-index-change'],
  'read-tree': ['post-index-change'],
  'sparse-checkout': ['post-index-change'],
  commit: ['pre-commit', 'post-commit', 'post-rewrite', ...COMMIT_HOOKS],
  merge: ['pre-merge-commit', 'post-merge', ...COMMIT_HOOKS],
  'cherry-pick': ['pre-commit', 'post-commit', ...COMMIT_HOOKS],
  revert: ['pre-commit', 'post-commit', ...COMMIT_HOOKS],
  rebase: ['pre-rebase', 'post-checkout', 'post-rewrite', 'pre-commit', 'post-commit', ...COMMIT_HOOKS],
  am: ['applypatch-msg', 'pre-applypatch', 'post-applypatch', 'post-rewrite', ...COMMIT_HOOKS],
  pull: ['pre-merge-commit', 'post-merge', 'pre-rebase', 'post-checkout', 'post-rewrite', ...COMMIT_HOOKS],
  checkout: ['post-checkout', 'reference-transaction', 'post-index-change'],
  switch: ['post-checkout', 'reference-transaction', 'post-index-change'],
  reset: ['reference-transaction', 'post-index-change'],
  stash: ['post-checkout', 'reference-transaction', 'post-index-change'],
  bisect: ['post-checkout', 'reference-transaction', 'post-index-change'],
  worktree: ['post-checkout', 'reference-transaction', 'post-index-change'],
  submodule: ['post-checkout', 'reference-transaction', 'post-index-change'],
  clone: ['post-checkout', 'reference-transaction'],
  push: ['pre-push', 'reference-transaction'],
  fetch: ['reference-transaction', 'pre-auto-gc'],
  gc: ['pre-auto-gc', 'reference-transaction'],
  'receive-pack': [
    'pre-receive',
    'update',
    'proc-receive',
    'post-receive',
    'post-update',
    'push-to-checkout',
    'reference-transaction',
  ],
  'send-email': ['sendemail-validate'],
  p4: ALL_HOOKS.filter((h) => h.startsWith('p4-')),
};

/** Sub-commands NAVI knows besides READ, STATE and NETWORK (judged case by case below). */
const OTHER_KNOWN = new Set([
  'branch',
  'tag',
  'remote',
  'stash',
  'worktree',
  'notes',
  'reflog',
  'config',
  'credential',
  'credential-store',
  'credential-cache',
  'hook',
  'instaweb',
  'web--browse',
  'bisect',
  'rebase',
  'reset',
  'clean',
  'checkout',
  'restore',
  'filter-branch',
  'add',
]);

export function knownSub(sub: string): boolean {
  return READ.has(sub) || STATE.has(sub) || NETWORK.has(sub) || OTHER_KNOWN.has(sub);
}

function hooksFor(sub: string): readonly string[] {
  const listed = HOOKS[sub];
  if (listed) return listed;
  if (READ.has(sub)) return [];
  return knownSub(sub) ? ['reference-transaction', 'post-index-change'] : ALL_HOOKS;
}

/** A value as a reason shows it: secrets redacted, control characters escaped, at most 80 characters. */
export function showConfigValue(value: string | null): string {
  if (value === null) return 'true';
  let v = redactSecrets(value).replace(
    /[\u0000-\u001f\u007f]/g,
    (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  if (v.length > 80) v = `${v.slice(0, 77)}…`;
  return v;
}

const lastOf = (entries: readonly ConfigEntry[], key: string) => {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.key === key) return entries[i]!.value;
  return undefined;
};

/** Short options whose value may be attached (`-U5`, `-L1,5:file`). */
const ATTACHED = new Set(['-U', '-L']);

function repoContext(
  t: ToolCall,
  sub: string,
  args: readonly (string | null)[],
  repo: GitRepository,
): RepoContext {
  return {
    sub,
    args,
    has: (...names) =>
      args.some(
        (a) =>
          a !== null &&
          names.some(
            (n) =>
              a === n || (n.startsWith('--') ? a.startsWith(`${n}=`) : ATTACHED.has(n) && a.startsWith(n)),
          ),
      ),
    config: (key) => lastOf(repo.entries, key),
    inWorkspace: (abs) => t.inWorkspace(abs),
    gitDir: repo.gitDir,
  };
}

/** The part of `section.name` or `section.sub.name` between the section and the name. */
const subsection = (key: string) => key.slice(key.indexOf('.') + 1, key.lastIndexOf('.'));
/** `pager.log` → `log`, `alias.st` → `st`. */
const namedPart = (key: string) => key.slice(key.indexOf('.') + 1);

const rowOf = new Map<string, GitExecKey | null>();
export function execKeyFor(key: string): GitExecKey | undefined {
  let row = rowOf.get(key);
  if (row === undefined) {
    const lower = key.toLowerCase();
    row = GIT_EXEC_KEYS.find((k) => k.pattern.test(lower)) ?? null;
    if (rowOf.size < 4096) rowOf.set(key, row);
  }
  return row ?? undefined;
}

function affects(rule: GitExecKey, c: RepoContext, key: string, partialClone: boolean): boolean {
  if (rule.subs === 'none' || rule.subs === 'hooks') return false;
  let hit =
    rule.subs === 'all' ||
    (rule.subs === 'named'
      ? namedPart(key).toLowerCase() === c.sub.toLowerCase()
      : rule.subs.includes(c.sub) || !knownSub(c.sub));
  if (!hit && rule.network && partialClone) hit = true;
  if (!hit) return false;
  const only = rule.only?.[c.sub];
  return only ? only(c) : true;
}

/** What the judge of one git command learns from the repositories it would use. */
export function judgeRepositories(
  t: ToolCall,
  sub: string,
  args: readonly (string | null)[],
  found: ReturnType<ToolCall['gitRepositories']>,
): void {
  if ('unknown' in found) {
    t.ask('dynamic-argument', found.unknown);
    return;
  }
  for (const repo of found.repos) judgeRepository(t, sub, args, repo, found);
}

function judgeRepository(
  t: ToolCall,
  sub: string,
  args: readonly (string | null)[],
  repo: GitRepository,
  found: { show(abs: string): string; hidden(abs: string): boolean },
): void {
  const show = found.show;
  // Keys can hold credentials too (url.https://user:token@host/.insteadOf); a hidden file's values stay hidden.
  const key = (e: ConfigEntry) => redactSecrets(e.key);
  const value = (e: ConfigEntry) =>
    found.hidden(e.file) ? '(hidden by the policy)' : showConfigValue(e.value);
  const where = (e: ConfigEntry) =>
    e.includedFrom ? `${show(e.file)} (included from ${show(e.includedFrom)})` : show(e.file);
  for (const p of repo.problems) t.ask('repo-config-exec', `NAVI cannot check ${show(p.file)}: ${p.message}`);
  const c = repoContext(t, sub, args, repo);
  const partialClone =
    !!lastOf(repo.entries, 'extensions.partialclone') ||
    repo.entries.some((e) => /^remote\..+\.promisor$/.test(e.key) && isTrue(e.value));
  for (const e of repo.entries) {
    const rule = execKeyFor(e.key);
    // Aliases matter only as the sub-command itself: judgeAlias.
    if (!rule || rule.key === 'alias.<name>') continue;
    if (!affects(rule, c, e.key, partialClone)) continue;
    if (rule.inert?.(e.value, c)) continue;
    let what = rule.does ?? 'would run it';
    if (rule.attribute) {
      const driver = subsection(e.key);
      const line = attributeSelecting(repo, rule.attribute, driver);
      what += line
        ? ` for files with ${rule.attribute}=${driver} (${show(line.file)}: ${showConfigValue(line.line.length > 60 ? `${line.line.slice(0, 57)}…` : line.line)})`
        : ` for files whose attributes select ${rule.attribute}=${driver}`;
    }
    const ask = `${where(e)} sets ${key(e)} = ${value(e)}: git ${sub} ${what}`;
    const n = rule.neutralise?.(c);
    if (!n) {
      t.ask('repo-config-exec', ask);
      continue;
    }
    const same = n.key.toLowerCase() === e.key.toLowerCase();
    t.neutralise({
      key: n.key,
      value: n.value,
      file: where(e),
      reason: same
        ? `NAVI turns off ${n.key} (set in ${where(e)}) for this command`
        : `NAVI turns off ${n.key} for this command, so that git ${sub} does not run ${key(e)} (set in ${where(e)})`,
      ask,
    });
  }
  // Hooks: those the sub-command runs that exist. In the standard folder (read-only in the
  // sandbox) they only matter for reading sub-commands: changing ones already ask, as running hooks.
  const running = hooksFor(sub).filter((h) => hookRuns(`${repo.hooksDir}/${h}`));
  if (running.length > 0 && (repo.hooksPath || READ.has(sub) || !knownSub(sub))) {
    const list = running.slice(0, 3).map((h) => show(`${repo.hooksDir}/${h}`));
    const files = `${list.join(', ')}${running.length > 3 ? ` and ${running.length - 3} more` : ''}`;
    t.ask(
      'repo-config-exec',
      repo.hooksPath
        ? `${where(repo.hooksPath)} sets core.hooksPath = ${value(repo.hooksPath)}: git ${sub} would run ${files}`
        : `git ${sub} would run the repository's hook ${files}`,
    );
  }
  for (const s of repo.submodules) judgeRepository(t, sub, args, s, found);
}

/** git's split_cmdline: words split at blanks, with '…', "…" and backslash escapes. Null: an unclosed quote. */
function splitAlias(text: string): string[] | null {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === null && /\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (quote === null && (ch === '"' || ch === "'")) quote = ch;
    else if (quote === ch) quote = null;
    else if (ch === '\\' && quote !== "'") {
      i++;
      if (i >= text.length) return null;
      cur += text[i];
    } else cur += ch;
  }
  if (quote !== null) return null;
  if (inWord) words.push(cur);
  return words;
}

/**
 * `git NAME …` where NAME is not a git command NAVI knows and the repository defines alias.NAME:
 * a `!` alias runs a shell command (ask); any other alias is git with other arguments, judged as
 * such (and still asked about: git runs a real command of that name instead, which NAVI may not
 * know). True when an alias was found.
 */
export function judgeAlias(
  t: ToolCall,
  subIndex: number,
  sub: string,
  found: ReturnType<ToolCall['gitRepositories']>,
): boolean {
  if ('unknown' in found) return false;
  for (const repo of found.repos) {
    let name = sub.toLowerCase();
    const seen = new Set<string>();
    let entry: ConfigEntry | undefined;
    let words: string[] = [];
    for (let hop = 0; hop < 16; hop++) {
      const e = [...repo.entries].reverse().find((x) => x.key === `alias.${name}`);
      if (!e) break;
      entry = e;
      if (seen.has(name) || e.value === null)
        return askAlias(t, sub, e, found.show, 'is an alias loop or has no value');
      seen.add(name);
      if (e.value.startsWith('!')) {
        t.ask(
          'repo-config-exec',
          `${found.show(e.file)} sets alias.${namedPart(e.key)} = ${showConfigValue(e.value)}: git ${sub} would run it as a shell command`,
        );
        return true;
      }
      const split = splitAlias(e.value);
      if (split === null || split.length === 0) return askAlias(t, sub, e, found.show, 'does not parse');
      words = [...split, ...words.slice(1)];
      const head = split[0]!;
      if (head.startsWith('-') || knownSub(head)) break;
      name = head.toLowerCase();
    }
    if (!entry) continue;
    const w = (value: string) => ({ raw: value, value, glob: false, substitution: false, variable: false });
    t.ask(
      'unknown-command',
      `git ${sub} is an alias for "git ${showConfigValue(words.join(' '))}" (set in ${found.show(entry.file)})`,
    );
    t.run(
      [w('git'), ...t.args.slice(0, subIndex), ...words.map(w), ...t.args.slice(subIndex + 1)],
      `git ${sub}`,
    );
    return true;
  }
  return false;
}

function askAlias(
  t: ToolCall,
  sub: string,
  e: ConfigEntry,
  show: (abs: string) => string,
  why: string,
): true {
  t.ask(
    'repo-config-exec',
    `${show(e.file)} sets alias.${namedPart(e.key)} = ${showConfigValue(e.value)}, which ${why}: git ${sub} would stop`,
  );
  return true;
}
