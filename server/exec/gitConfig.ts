/**
 * The repository configuration git would read for a command, read without running anything it
 * configures: the repository git would use (found the way git finds it), its `config`, the
 * worktree's `config.worktree` (with `extensions.worktreeConfig`), the files they include, the
 * configuration of its submodules, its hooks folder and its attribute files.
 *
 * Config files are parsed by real git (`git config --file F --list -z --no-includes`, in a clean
 * environment: no system or global config, an empty HOME, no GIT_* variables, an empty working
 * folder), which reads the exact grammar git reads and never runs a program. Each file's result
 * is cached by (dev, inode, size, mtime, ctime), so a judgement costs a few stat calls when nothing
 * changed. The classifier is synchronous, so a cache miss runs git synchronously (a few ms).
 *
 * knowledge/git.ts decides what the settings mean for one git command.
 */

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scrubEnv } from './env';
import { statSafe } from './paths';

const posix = path.posix;

export interface ConfigEntry {
  /** As git prints it: section and name in lower case, the subsection as written. */
  key: string;
  /** Null: the key is given without `=` (git reads it as boolean true). */
  value: string | null;
  /** The file that sets it (absolute). */
  file: string;
  /** For a file read through include.path / includeIf.*.path: the file that included it. */
  includedFrom?: string;
}

export interface ConfigProblem {
  file: string;
  message: string;
}

export interface GitRepository {
  gitDir: string;
  commonDir: string;
  /** Null for a bare repository. */
  workTree: string | null;
  /** Every setting of the repository, in the order git reads them (common config, then worktree config). */
  entries: ConfigEntry[];
  /** Files git could not read or parse (git refuses to run then), includes NAVI cannot follow. */
  problems: ConfigProblem[];
  /** The hooks folder git uses. */
  hooksDir: string;
  /** The entry that moved it (core.hooksPath), if any. */
  hooksPath?: ConfigEntry;
  /** Attribute files that apply to the whole work tree (root .gitattributes, info/attributes, core.attributesFile). */
  attributeFiles: string[];
  /** Repositories of submodules ($GIT_COMMON_DIR/modules/…): git reads their settings when it recurses. */
  submodules: GitRepository[];
  /** `submodule of …` for a submodule repository. */
  label?: string;
}

/** Where git starts looking, after `-C`; `--git-dir`, `--work-tree`, `--bare`. */
export interface GitLocation {
  start: string;
  gitDir?: string;
  workTree?: string;
  bare?: boolean;
}

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
const MAX_INCLUDE_DEPTH = 10;
const MAX_SUBMODULES = 32;
const MAX_CACHE = 512;

// ------------------------------------------------------------------------------------------
// One config file, parsed by git

type Parsed = { entries: { key: string; value: string | null }[] } | { error: string } | { missing: true };

interface CacheEntry {
  stamp: string;
  result: Parsed;
}

const fileCache = new Map<string, CacheEntry>();
/** For tests and the benchmark: how many times git was run. */
export const configReadStats = { gitRuns: 0 };

function stampOf(file: string): { stamp: string; stat: fs.BigIntStats } | null {
  try {
    // No exception for a missing file: most files NAVI looks for do not exist, and throwing is slow.
    const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
    if (!st) return null;
    return {
      stamp: `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}`,
      stat: st,
    };
  } catch {
    return null;
  }
}

let emptyDir: string | undefined;
function cleanDir(): string {
  if (emptyDir && fs.existsSync(emptyDir)) return emptyDir;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-gitconfig-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  emptyDir = dir;
  return dir;
}

const gitBinaries = new Map<string, string | null>();
/** `git` on the scrubbed PATH (never a folder of the workspace). */
function gitBinary(workspaceRoot: string | undefined): string | null {
  const searchPath = scrubEnv(process.env, { workspaceRoot }).PATH ?? '/usr/bin:/bin';
  const cached = gitBinaries.get(searchPath);
  if (cached !== undefined) return cached;
  let found: string | null = null;
  for (const dir of searchPath.split(':')) {
    const candidate = `${dir}/git`;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) {
        found = candidate;
        break;
      }
    } catch {
      /* not here */
    }
  }
  gitBinaries.set(searchPath, found);
  return found;
}

/**
 * The settings of one config file, as git reads them (includes not followed). `missing` when the
 * file does not exist (git reads nothing from it then); `error` when git would refuse it.
 */
export function readConfigFile(file: string, workspaceRoot?: string): Parsed {
  const s = stampOf(file);
  if (!s) {
    fileCache.delete(file);
    return { missing: true };
  }
  const hit = fileCache.get(file);
  if (hit && hit.stamp === s.stamp) return hit.result;
  const result = parseWithGit(file, s.stat, workspaceRoot);
  if (fileCache.size >= MAX_CACHE) fileCache.delete(fileCache.keys().next().value!);
  fileCache.set(file, { stamp: s.stamp, result });
  return result;
}

function parseWithGit(file: string, stat: fs.BigIntStats, workspaceRoot: string | undefined): Parsed {
  // A FIFO or device would block git (and NAVI) forever; so can a pseudo-file of /proc or /sys.
  if (!stat.isFile()) return { error: 'it is not a regular file' };
  let real = file;
  try {
    real = fs.realpathSync(file);
  } catch {
    /* vanished: git will say so */
  }
  if (/^\/(proc|sys|dev)\//.test(real)) return { error: `it is ${real}, not a configuration file` };
  if (stat.size > BigInt(MAX_CONFIG_BYTES)) return { error: 'it is larger than 8 MiB' };
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    return { error: 'it cannot be read' };
  }
  const git = gitBinary(workspaceRoot);
  if (!git) return { error: 'NAVI found no git program to read it with' };
  const dir = cleanDir();
  configReadStats.gitRuns++;
  try {
    const out = execFileSync(git, ['config', '--file', file, '--list', '-z', '--no-includes'], {
      cwd: dir,
      env: {
        PATH: '/usr/bin:/bin',
        HOME: dir,
        XDG_CONFIG_HOME: dir,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_CEILING_DIRECTORIES: posix.dirname(dir),
        LC_ALL: 'C',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
      maxBuffer: 4 * MAX_CONFIG_BYTES,
      windowsHide: true,
    });
    const entries: { key: string; value: string | null }[] = [];
    for (const record of out.toString('utf8').split('\0')) {
      if (record === '') continue;
      const nl = record.indexOf('\n');
      entries.push(
        nl < 0 ? { key: record, value: null } : { key: record.slice(0, nl), value: record.slice(nl + 1) },
      );
    }
    return { entries };
  } catch (error) {
    const e = error as { stderr?: Buffer; message?: string };
    const text = (e.stderr?.toString('utf8') ?? '').trim() || e.message || 'git failed';
    const line = text.split('\n').find((l) => l.startsWith('fatal:')) ?? text.split('\n')[0]!;
    return {
      error: line
        .replace(/^fatal:\s*/, '')
        .replace(` in file ${file}`, '')
        .slice(0, 200),
    };
  }
}

const textCache = new Map<string, { stamp: string; text: string | null }>();

/**
 * A small workspace file's text (at most 256 KiB, a regular file), cached by its stat; null when
 * it is missing or not one. For tools' settings files (.npmrc, .yarnrc.yml…): read, never run.
 */
export function readSmallFile(file: string): string | null {
  const s = stampOf(file);
  if (!s) return null;
  const hit = textCache.get(file);
  if (hit && hit.stamp === s.stamp) return hit.text;
  let text: string | null = null;
  if (s.stat.isFile() && s.stat.size <= BigInt(256 * 1024))
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      text = null;
    }
  if (textCache.size >= MAX_CACHE) textCache.delete(textCache.keys().next().value!);
  textCache.set(file, { stamp: s.stamp, text });
  return text;
}

/** Drops every cached file (tests). */
export function clearConfigCache(): void {
  fileCache.clear();
  attributeCache.clear();
  textCache.clear();
}

// ------------------------------------------------------------------------------------------
// Finding the repository

function readSmall(file: string): string | null {
  try {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st?.isFile() || st.size > 64 * 1024) return null;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Whether a folder is a git directory, as git's is_git_directory checks it. */
function isGitDirectory(dir: string): boolean {
  const head = statSafe(`${dir}/HEAD`);
  if (!head?.isFile()) return false;
  const common = readSmall(`${dir}/commondir`);
  const base = common !== null ? posix.resolve(dir, common.trim()) : dir;
  return !!statSafe(`${base}/objects`)?.isDirectory() && !!statSafe(`${base}/refs`)?.isDirectory();
}

/** `gitdir: X` of a .git file, resolved; null when it is not one. */
function readGitFile(file: string): string | null {
  const text = readSmall(file);
  const m = text === null ? null : /^gitdir: (.+?)\s*$/m.exec(text);
  if (!m) return null;
  return posix.resolve(posix.dirname(file), m[1]!);
}

/**
 * The git directory and work tree git would use, starting in `loc.start`: `--git-dir` (a folder
 * or a .git file), else the nearest `.git` folder or file, or a folder that is itself a git
 * directory (a bare repository), walking up to `/`. Null when there is none (git then fails, or
 * works without a repository).
 */
export function findGitDir(
  loc: GitLocation,
): { gitDir: string; workTree: string | null; explicit: boolean } | null {
  // `git --bare` without --git-dir: the folder git starts in is the repository.
  const given = loc.gitDir ?? (loc.bare ? loc.start : undefined);
  if (given !== undefined) {
    const st = statSafe(given);
    const gitDir = st?.isFile() ? readGitFile(given) : given;
    if (!gitDir || !isGitDirectory(gitDir)) return null;
    return { gitDir, workTree: loc.bare ? null : (loc.workTree ?? loc.start), explicit: true };
  }
  let dir = posix.normalize(loc.start);
  for (let i = 0; i < 256; i++) {
    const dotGit = `${dir === '/' ? '' : dir}/.git`;
    const st = statSafe(dotGit);
    if (st?.isDirectory() && isGitDirectory(dotGit))
      return { gitDir: dotGit, workTree: loc.bare ? null : (loc.workTree ?? dir), explicit: false };
    if (st?.isFile()) {
      const target = readGitFile(dotGit);
      // An invalid .git file stops git ("invalid gitfile format"): nothing runs.
      if (!target || !isGitDirectory(target)) return null;
      return { gitDir: target, workTree: loc.bare ? null : (loc.workTree ?? dir), explicit: false };
    }
    if (isGitDirectory(dir)) return { gitDir: dir, workTree: loc.workTree ?? null, explicit: false };
    if (dir === '/') return null;
    dir = posix.dirname(dir);
  }
  return null;
}

// ------------------------------------------------------------------------------------------
// The repository's settings

const TRUE = /^(true|yes|on|1)$/i;

function lastValue(entries: readonly ConfigEntry[], key: string): ConfigEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.key === key) return entries[i];
  return undefined;
}

export function isTrue(value: string | null | undefined): boolean {
  return value === null || (value !== undefined && TRUE.test(value.trim()));
}

/** Expands `~/` and makes a path from a config file absolute (relative to `base`). */
function configPath(value: string, base: string, home: string): string | null {
  if (value.startsWith('~/')) return posix.join(home, value.slice(2));
  if (value === '~') return home;
  if (value.startsWith('~') || value.startsWith('%(prefix)')) return null;
  return posix.resolve(base, value);
}

/** Reads a config file and the files it includes, depth first, as git does. */
function collect(
  file: string,
  includedFrom: string | undefined,
  depth: number,
  ctx: { home: string; workspaceRoot: string },
  entries: ConfigEntry[],
  problems: ConfigProblem[],
): void {
  const parsed = readConfigFile(file, ctx.workspaceRoot);
  if ('missing' in parsed) return; // git ignores a missing config file and a missing include
  if ('error' in parsed) {
    problems.push({ file, message: `git cannot read it (${parsed.error}), so git would refuse to run` });
    return;
  }
  for (const e of parsed.entries) {
    entries.push({ ...e, file, ...(includedFrom ? { includedFrom } : {}) });
    if (e.key !== 'include.path' && !/^includeif\..+\.path$/.test(e.key)) continue;
    if (e.value === null || e.value === '') {
      problems.push({ file, message: `${e.key} has no value` });
      continue;
    }
    if (depth + 1 > MAX_INCLUDE_DEPTH) {
      problems.push({ file, message: `includes are nested more than ${MAX_INCLUDE_DEPTH} deep` });
      continue;
    }
    const target = configPath(e.value, posix.dirname(file), ctx.home);
    if (target === null) {
      problems.push({ file, message: `NAVI cannot tell which file ${e.key} = ${e.value} includes` });
      continue;
    }
    // includeIf conditions (gitdir:, onbranch:, hasconfig:) are not evaluated: the included
    // settings are judged as if they applied, which is the strict reading.
    collect(target, file, depth + 1, ctx, entries, problems);
  }
}

/**
 * The repository git would use from `loc`, with everything git reads from it. Null when git
 * would find no repository there.
 */
export function loadRepository(
  loc: GitLocation,
  ctx: { home: string; workspaceRoot: string },
): GitRepository | null {
  const found = findGitDir(loc);
  if (!found) return null;
  return loadGitDir(found.gitDir, found.workTree, found.explicit || loc.workTree !== undefined, ctx, 0);
}

function loadGitDir(
  gitDir: string,
  workTreeGiven: string | null,
  workTreeFixed: boolean,
  ctx: { home: string; workspaceRoot: string },
  level: number,
): GitRepository {
  const common = readSmall(`${gitDir}/commondir`);
  const commonDir = common !== null ? posix.resolve(gitDir, common.trim()) : gitDir;
  const entries: ConfigEntry[] = [];
  const problems: ConfigProblem[] = [];
  collect(`${commonDir}/config`, undefined, 0, ctx, entries, problems);
  if (isTrue(lastValue(entries, 'extensions.worktreeconfig')?.value))
    collect(`${gitDir}/config.worktree`, undefined, 0, ctx, entries, problems);

  let workTree = workTreeGiven;
  const coreWorktree = lastValue(entries, 'core.worktree');
  if (!workTreeFixed && coreWorktree?.value) workTree = posix.resolve(gitDir, coreWorktree.value);
  if (!workTreeFixed && isTrue(lastValue(entries, 'core.bare')?.value)) workTree = null;

  const hooksPath = lastValue(entries, 'core.hookspath');
  let hooksDir = `${commonDir}/hooks`;
  if (hooksPath?.value)
    hooksDir = configPath(hooksPath.value, workTree ?? gitDir, ctx.home) ?? `${commonDir}/hooks`;

  const attributeFiles = [`${commonDir}/info/attributes`];
  if (workTree) attributeFiles.unshift(`${workTree}/.gitattributes`);
  const attributesFile = lastValue(entries, 'core.attributesfile');
  if (attributesFile?.value) {
    const p = configPath(attributesFile.value, workTree ?? gitDir, ctx.home);
    if (p) attributeFiles.push(p);
  }

  const repo: GitRepository = {
    gitDir,
    commonDir,
    workTree,
    entries,
    problems,
    hooksDir,
    ...(hooksPath?.value ? { hooksPath } : {}),
    attributeFiles,
    submodules: [],
  };
  if (level < 2) repo.submodules = loadSubmodules(commonDir, ctx, level);
  return repo;
}

/** The git directories under `$GIT_COMMON_DIR/modules` (a submodule name may contain `/`). */
function loadSubmodules(
  commonDir: string,
  ctx: { home: string; workspaceRoot: string },
  level: number,
): GitRepository[] {
  const root = `${commonDir}/modules`;
  if (!statSafe(root)?.isDirectory()) return [];
  const out: GitRepository[] = [];
  const walk = (dir: string, depth: number) => {
    if (out.length >= MAX_SUBMODULES || depth > 4) return;
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of names) {
      if (!d.isDirectory()) continue;
      const sub = `${dir}/${d.name}`;
      if (isGitDirectory(sub)) {
        const repo = loadGitDir(sub, null, false, ctx, level + 1);
        repo.label = `the submodule repository ${posix.relative(root, sub)}`;
        out.push(repo);
        if (out.length >= MAX_SUBMODULES) return;
      } else walk(sub, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

// ------------------------------------------------------------------------------------------
// Attributes

interface AttributeLine {
  file: string;
  line: string;
  /** `diff=foo` → {attr: 'diff', value: 'foo'} */
  selects: { attr: string; value: string }[];
}

const attributeCache = new Map<string, { stamp: string; lines: AttributeLine[] }>();

function attributeLines(file: string): AttributeLine[] {
  const s = stampOf(file);
  if (!s || !s.stat.isFile() || s.stat.size > BigInt(1024 * 1024)) return [];
  const hit = attributeCache.get(file);
  if (hit && hit.stamp === s.stamp) return hit.lines;
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    /* unreadable: no lines */
  }
  const lines: AttributeLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('[attr]')) continue;
    const selects = line
      .split(/\s+/)
      .slice(1)
      .flatMap((tok) => {
        const m = /^(diff|filter|merge)=(.+)$/.exec(tok);
        return m ? [{ attr: m[1]!, value: m[2]! }] : [];
      });
    if (selects.length > 0) lines.push({ file, line, selects });
  }
  if (attributeCache.size >= MAX_CACHE) attributeCache.delete(attributeCache.keys().next().value!);
  attributeCache.set(file, { stamp: s.stamp, lines });
  return lines;
}

/** The first line of the repository's attribute files that selects `attr=value`, if any. */
export function attributeSelecting(
  repo: GitRepository,
  attr: string,
  value: string,
): { file: string; line: string } | null {
  for (const file of repo.attributeFiles)
    for (const l of attributeLines(file))
      if (l.selects.some((s) => s.attr === attr && s.value === value)) return { file: l.file, line: l.line };
  return null;
}

// ------------------------------------------------------------------------------------------
// Hooks

/** Whether git would run this hook file: a regular file with an execute bit. */
export function hookRuns(file: string): boolean {
  const st = statSafe(file);
  return !!st?.isFile() && (st.mode & 0o111) !== 0;
}

// ------------------------------------------------------------------------------------------
// Overrides in the environment

/** A setting NAVI gives git for one command run (GIT_CONFIG_COUNT/KEY/VALUE). */
export interface ConfigOverride {
  key: string;
  value: string;
}

/**
 * The environment that gives git these settings, merged with `base` (a task's own variables):
 * the pairs are appended after any GIT_CONFIG_KEY_n/VALUE_n already there, and GIT_CONFIG_COUNT
 * counts them all. Undefined when there is nothing to pass.
 */
export function configOverrideEnv(
  overrides: readonly ConfigOverride[] | undefined,
  base?: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
  if (!overrides || overrides.length === 0) return base ? { ...base } : undefined;
  const env: Record<string, string> = { ...base };
  const given = Number.parseInt(env.GIT_CONFIG_COUNT ?? '0', 10);
  let n = Number.isFinite(given) && given > 0 ? given : 0;
  for (const o of overrides) {
    env[`GIT_CONFIG_KEY_${n}`] = o.key;
    env[`GIT_CONFIG_VALUE_${n}`] = o.value;
    n++;
  }
  env.GIT_CONFIG_COUNT = String(n);
  return env;
}
