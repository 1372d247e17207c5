/**
 * Path checks for writes and reads. Every path is resolved the way the kernel will resolve it:
 * symlinks of the existing prefix are followed component by component (so `link/../x` goes
 * where the kernel goes, not where string normalisation says), a missing tail is appended as
 * written, and the result is compared with the real workspace root using `path.relative`.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { AUTO_RUN_FILES, AUTO_RUN_RULES, type AutoRunRule } from './knowledge/autoRunFiles';
import {
  NETWORK_DEVICES,
  NOT_SECRET,
  PROTECTED_WORKSPACE,
  SECRET_HOME,
  SECRET_SYSTEM,
  SENSITIVE_READ_WORKSPACE,
  SENSITIVE_WORKSPACE,
  SPECIAL_FILES,
} from './knowledge/sensitivePaths';
import { BUILD_OUTPUT } from './knowledge/buildOutputs';

const posix = path.posix;

// ------------------------------------------------------------------------------------------
// Globs

/**
 * Compiles a glob to a RegExp over `/`-separated relative paths. `*` and `?` stay within one
 * name, `**` spans folders, a pattern without `/` matches a name at any depth, and a pattern
 * also matches everything below what it names (`secrets` covers `secrets/x`).
 */
export function compileGlob(pattern: string): RegExp {
  let p = pattern.replace(/\\/g, '/').replace(/\/+$/, '');
  const anchored = p.includes('/');
  // `dir/**` names the folder itself too (the suffix below already matches everything in it).
  p = p.replace(/(.)\/\*\*$/, '$1');
  p = p.replace(/^\.\//, '').replace(/^\//, '');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        const slashAfter = p[i + 2] === '/';
        re += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${re}(?:/.*)?$`);
}

const compileAll = (patterns: readonly string[]) => patterns.map(compileGlob);
const PROTECTED_RE = compileAll(PROTECTED_WORKSPACE);
const SENSITIVE_RE = SENSITIVE_WORKSPACE.map((s) => ({ re: compileGlob(s.pattern), why: s.why }));
const SENSITIVE_READ_RE = compileAll(SENSITIVE_READ_WORKSPACE);
const NOT_SECRET_RE = compileAll(NOT_SECRET);
// Anchored at the home folder: a workspace `.npmrc` is sensitive, `~/.npmrc` is a secret.
const SECRET_HOME_RE = SECRET_HOME.map((p) => compileGlob(`/${p}`));
const SECRET_SYSTEM_RE = SECRET_SYSTEM.map((p) => compileGlob(p));
// Without regard to case: on macOS and Windows `.VSCode/tasks.json` is `.vscode/tasks.json`.
const AUTO_RUN_RE = AUTO_RUN_FILES.map((f) => ({
  file: f,
  re: new RegExp(compileGlob(f.pattern).source, 'i'),
}));
const BUILD_OUTPUT_RE = compileAll(BUILD_OUTPUT);
// What stays protected from deletes too: everything protected but the dependencies.
const PROTECTED_NOT_DEPENDENCIES_RE = compileAll(
  PROTECTED_WORKSPACE.filter((p) => !p.split('/').includes('node_modules')),
);

const test = (res: readonly RegExp[], rel: string | null) => rel !== null && res.some((r) => r.test(rel));

/** Policy path lists (protectedPaths, hiddenPaths): workspace-relative, `~/…` or absolute. */
export class PathPatterns {
  private readonly workspace: RegExp[] = [];
  private readonly home: RegExp[] = [];
  private readonly absolute: RegExp[] = [];

  constructor(readonly patterns: readonly string[]) {
    for (const p of patterns) {
      if (p === '~' || p.startsWith('~/')) this.home.push(compileGlob(p === '~' ? '**' : `/${p.slice(2)}`));
      else if (p.startsWith('/')) this.absolute.push(compileGlob(p));
      else this.workspace.push(compileGlob(p));
    }
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  matches(abs: string, env: PathEnv): boolean {
    if (this.empty) return false;
    if (this.absolute.some((r) => r.test(abs.slice(1)))) return true;
    for (const base of [env.root, env.rootGiven]) if (test(this.workspace, relInside(base, abs))) return true;
    for (const base of [env.home, env.homeGiven]) if (test(this.home, relInside(base, abs))) return true;
    return false;
  }
}

/** A file something runs by itself (knowledge/autoRunFiles.ts): the finer rule of `write-protected`. */
export interface AutoRunMatch {
  /** `shell-startup`…: the verdict's rule id is `builtin:write-protected:<id>`. */
  id: AutoRunRule;
  /** What the rule protects (the verdict rule's justification). */
  justification: string;
  /** What runs this file. */
  why: string;
}

/** The entry of the auto-run table that covers a `/`-separated relative path, if any. */
export function autoRunFile(rel: string | null): AutoRunMatch | undefined {
  if (rel === null || rel === '') return undefined;
  const hit = AUTO_RUN_RE.find((f) => f.re.test(rel));
  return hit && { id: hit.file.rule, justification: AUTO_RUN_RULES[hit.file.rule], why: hit.file.why };
}

/**
 * Control characters in a path given to the edit judge: C0 (tab and newline included: no file
 * name needs them, and they split lines in reviews and logs), DEL, C1, and the invisible and
 * direction marks the command text check refuses too (parse.ts).
 */
const PATH_CONTROL_CHARS =
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

export function hasPathControlCharacters(p: string): boolean {
  return PATH_CONTROL_CHARS.test(p);
}

// ------------------------------------------------------------------------------------------
// Resolution

/** Where the judge resolves paths: the real workspace root and home, and policy lists. */
export interface PathEnv {
  /** Real path of the workspace root. */
  root: string;
  /** The workspace root as given (may differ when it goes through a symlink). */
  rootGiven: string;
  home: string;
  homeGiven: string;
  protectedPaths: PathPatterns;
  hiddenPaths: PathPatterns;
  /** Resolution cache for one judgement. */
  cache: Map<string, string | null>;
}

export function makePathEnv(
  workspaceRoot: string,
  home: string,
  protectedPaths: PathPatterns,
  hiddenPaths: PathPatterns,
): PathEnv {
  const rootGiven = posix.resolve(workspaceRoot);
  const homeGiven = posix.resolve(home);
  const cache = new Map<string, string | null>();
  return {
    root: resolveReal(rootGiven, cache) ?? rootGiven,
    rootGiven,
    home: resolveReal(homeGiven, cache) ?? homeGiven,
    homeGiven,
    protectedPaths,
    hiddenPaths,
    cache,
  };
}

/** `fs.statSync` that follows symlinks, or null when there is nothing (or nothing readable) there. */
export function statSafe(p: string): fs.Stats | null {
  try {
    return fs.statSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

const MAX_SYMLINK_HOPS = 40;

/**
 * The real path of an absolute path whose tail may not exist: symlinks in the existing prefix
 * are followed (also dangling ones), the missing rest is appended. Null on a symlink loop.
 */
export function resolveReal(abs: string, cache?: Map<string, string | null>): string | null {
  const hit = cache?.get(abs);
  if (hit !== undefined) return hit;
  let result: string | null;
  const slash = abs.lastIndexOf('/');
  const last = abs.slice(slash + 1);
  if (cache && slash > 0 && last !== '' && last !== '.' && last !== '..') {
    // One judgement resolves many names in the same folders (the 500 matches of a wildcard):
    // the folder once, through the cache, then only the last name.
    const parent = resolveReal(abs.slice(0, slash), cache);
    result = parent === null ? null : walkFrom(parent, [last], { hops: 0 });
  } else result = walk(abs, { hops: 0 });
  cache?.set(abs, result);
  return result;
}

function walk(abs: string, state: { hops: number }): string | null {
  return walkFrom('/', abs.split('/'), state);
}

/** Resolves `parts` below `cur`, a real path. */
function walkFrom(cur: string, parts: readonly string[], state: { hops: number }): string | null {
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      cur = posix.dirname(cur);
      continue;
    }
    const next = cur === '/' ? `/${part}` : `${cur}/${part}`;
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(next);
    } catch {
      // Missing (or unreadable): nothing below it can be a symlink, so the rest is lexical.
      return posix.resolve(next, ...parts.slice(i + 1).filter((p) => p !== ''));
    }
    if (stat.isSymbolicLink()) {
      if (++state.hops > MAX_SYMLINK_HOPS) return null;
      let target: string;
      try {
        target = fs.readlinkSync(next);
      } catch {
        return null;
      }
      // Not normalised on purpose: `..` in the target must apply to real directories.
      const resolved = walk(target.startsWith('/') ? target : `${cur}/${target}`, state);
      if (resolved === null) return null;
      cur = resolved;
    } else {
      cur = next;
    }
  }
  return cur;
}

/** An absolute path with no empty, `.` or `..` segment and no trailing slash (or `/` itself). */
const NORMAL_ABS = /^(?:\/|(?:\/(?!\.\.?(?:\/|$))[^/]+)+)$/;

/** `child` relative to `base` when inside it ('' for base itself), else null. */
export function relInside(base: string, child: string): string | null {
  if (child === base) return '';
  // The common case without path.relative's normalising: both already normal absolute paths.
  if (NORMAL_ABS.test(base) && NORMAL_ABS.test(child)) {
    const prefix = base === '/' ? '/' : `${base}/`;
    return child.startsWith(prefix) ? child.slice(prefix.length) : null;
  }
  const rel = posix.relative(base, child);
  if (rel === '' || rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel)) return null;
  return rel;
}

/** How a path reads in a reason: `src/x`, `~/.bashrc`, or absolute. */
export function displayPath(abs: string, env: PathEnv): string {
  for (const base of [env.rootGiven, env.root]) {
    const rel = relInside(base, abs);
    if (rel !== null) return rel === '' ? 'the workspace folder' : rel;
  }
  for (const base of [env.homeGiven, env.home]) {
    const rel = relInside(base, abs);
    if (rel !== null) return rel === '' ? '~' : `~/${rel}`;
  }
  return abs;
}

// ------------------------------------------------------------------------------------------
// Writes

export type WriteCheck =
  | { kind: 'special' }
  | { kind: 'network'; display: string }
  | { kind: 'unresolvable'; display: string }
  | { kind: 'outside'; display: string; via: 'symlink' | 'path'; autoRun?: AutoRunMatch }
  | { kind: 'root'; display: string }
  | { kind: 'protected'; display: string; why: string; autoRun?: AutoRunMatch }
  | { kind: 'hidden'; display: string }
  | { kind: 'sensitive'; display: string; why: string }
  | { kind: 'ok'; display: string; real: string };

/**
 * Judges writing the absolute (lexical) path `abs`. `deletes`: the write deletes the path, so a
 * protected build output that is deleted whole (a `node_modules` folder) is not a protected write.
 */
export function checkWrite(abs: string, env: PathEnv, opts: { deletes?: boolean } = {}): WriteCheck {
  const lexical = posix.normalize(abs);
  if (SPECIAL_FILES.some((r) => r.test(lexical))) return { kind: 'special' };
  if (NETWORK_DEVICES.test(lexical)) return { kind: 'network', display: lexical };
  const display = displayPath(lexical, env);
  const real = resolveReal(abs, env.cache);
  if (real === null) return { kind: 'unresolvable', display };
  if (env.hiddenPaths.matches(lexical, env) || env.hiddenPaths.matches(real, env))
    return { kind: 'hidden', display };
  const rel = relInside(env.root, real);
  if (rel === null) {
    const lexicallyInside =
      relInside(env.rootGiven, lexical) !== null || relInside(env.root, lexical) !== null;
    const autoRun = autoRunOutside(lexical, real, env);
    return {
      kind: 'outside',
      display,
      via: lexicallyInside ? 'symlink' : 'path',
      ...(autoRun && { autoRun }),
    };
  }
  if (rel === '') return { kind: 'root', display };
  const lexRel = relInside(env.rootGiven, lexical) ?? relInside(env.root, lexical);
  // Before the other protected paths: deleting one counts too, and the rule is finer.
  const autoRun = autoRunFile(rel) ?? autoRunFile(lexRel);
  if (autoRun) return { kind: 'protected', display, why: autoRun.why, autoRun };
  const reinstallable =
    opts.deletes && isBuildOutputFolder(rel) && (lexRel === null || isBuildOutputFolder(lexRel));
  if ((test(PROTECTED_RE, rel) || test(PROTECTED_RE, lexRel)) && !reinstallable)
    return { kind: 'protected', display, why: protectedWhy(test(PROTECTED_RE, rel) ? rel : lexRel!) };
  if (env.protectedPaths.matches(lexical, env) || env.protectedPaths.matches(real, env))
    return { kind: 'protected', display, why: 'the policy protects it' };
  for (const candidate of [rel, lexRel]) {
    if (candidate === null || test(NOT_SECRET_RE, candidate)) continue;
    const hit = SENSITIVE_RE.find((s) => s.re.test(candidate));
    if (hit) return { kind: 'sensitive', display, why: hit.why };
  }
  return { kind: 'ok', display, real };
}

/**
 * Outside the workspace, the file something runs by itself: matched relative to the home folder
 * (`.config/autostart/x`), or as an absolute path (a name like `.bashrc` anywhere: `/etc/skel`).
 */
function autoRunOutside(lexical: string, real: string, env: PathEnv): AutoRunMatch | undefined {
  for (const p of [real, lexical]) {
    for (const base of [env.home, env.homeGiven]) {
      const hit = autoRunFile(relInside(base, p));
      if (hit) return hit;
    }
    const hit = autoRunFile(p.slice(1));
    if (hit) return hit;
  }
  return undefined;
}

function protectedWhy(rel: string): string {
  if (/(^|\/)\.git(\/hooks)(\/|$)/.test(rel)) return 'git hooks run unsandboxed on the next commit';
  if (/(^|\/)\.git(\/|$)/.test(rel)) return "git's own files (hooks and config) can run programs";
  if (/^\.navi(\/|$)/.test(rel)) return "it holds NAVI's policy";
  if (/(^|\/)node_modules(\/|$)/.test(rel)) return 'installed dependencies are the code your tests run';
  return 'it is version-control data';
}

/**
 * A workspace path (relative to the root) that is a build output or cache by its own name
 * (BUILD_OUTPUT: `dist`, `.cache`, `packages/lib/node_modules`), not merely something inside one,
 * in a folder that is not protected — or a cache folder tools keep directly in such a
 * `node_modules` (`node_modules/.cache`). Deleting it loses nothing a person wrote: the build, the
 * test run or the package manager makes it again. Anything else inside `node_modules` is the code
 * the tests run, and stays protected.
 */
export function isBuildOutputFolder(rel: string): boolean {
  if (rel === '' || test(PROTECTED_NOT_DEPENDENCIES_RE, rel)) return false;
  const name = posix.basename(rel);
  if (!test(BUILD_OUTPUT_RE, name)) return false;
  const parent = posix.dirname(rel);
  if (parent === '.' || !test(PROTECTED_RE, parent)) return true;
  return name.startsWith('.') && posix.basename(parent) === 'node_modules' && isBuildOutputFolder(parent);
}

/**
 * A git repository in the folder `real`, or — for a `node_modules` folder — in one of its packages
 * (`node_modules/x/.git`, `node_modules/@scope/x/.git`: a package cloned there to work on, whose
 * commits and changes `npm ci` does not bring back).
 */
export function holdsGitRepository(real: string): boolean {
  if (fs.existsSync(`${real}/.git`)) return true;
  if (posix.basename(real) !== 'node_modules') return false;
  const folders = (dir: string) => {
    try {
      return fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return [];
    }
  };
  for (const name of folders(real)) {
    const packages = name.startsWith('@') ? folders(`${real}/${name}`).map((n) => `${name}/${n}`) : [name];
    if (packages.some((p) => fs.existsSync(`${real}/${p}/.git`))) return true;
  }
  return false;
}

/**
 * The names in the workspace folder that `*` matches (not those starting with `.`), when there
 * are two or more and one is not a build output: deleting all of them deletes the project's own
 * files (with one name, that delete is the ordinary delete of one folder). Empty otherwise.
 */
export function projectEntries(root: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(root).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
  return names.length > 1 && names.some((n) => !test(BUILD_OUTPUT_RE, n)) ? names : [];
}

/** True when deleting or replacing `real` recursively would take a protected path with it. */
export function containsProtected(real: string, env: PathEnv): boolean {
  return relInside(real, env.root) !== null;
}

// ------------------------------------------------------------------------------------------
// Reads

export type ReadCheck =
  | { kind: 'ok' }
  | { kind: 'network'; display: string }
  | { kind: 'secret'; display: string }
  | { kind: 'hidden'; display: string }
  | { kind: 'sensitive'; display: string; why: string };

/** Judges reading the absolute (lexical) path `abs`. */
export function checkRead(abs: string, env: PathEnv): ReadCheck {
  const lexical = posix.normalize(abs);
  if (SPECIAL_FILES.some((r) => r.test(lexical))) return { kind: 'ok' };
  if (NETWORK_DEVICES.test(lexical)) return { kind: 'network', display: lexical };
  const real = resolveReal(abs, env.cache) ?? lexical;
  const display = displayPath(lexical, env);
  if (env.hiddenPaths.matches(lexical, env) || env.hiddenPaths.matches(real, env))
    return { kind: 'hidden', display };
  for (const p of [lexical, real]) {
    if (SECRET_SYSTEM_RE.some((r) => r.test(p.slice(1)))) return { kind: 'secret', display };
    for (const base of [env.homeGiven, env.home]) {
      const rel = relInside(base, p);
      if (rel && test(SECRET_HOME_RE, rel)) return { kind: 'secret', display };
    }
  }
  const rel = relInside(env.root, real);
  if (rel !== null) {
    const lexRel = relInside(env.rootGiven, lexical) ?? rel;
    for (const candidate of [rel, lexRel])
      if (test(SENSITIVE_READ_RE, candidate) && !test(NOT_SECRET_RE, candidate))
        return { kind: 'sensitive', display, why: 'it looks like it holds secrets' };
    return { kind: 'ok' };
  }
  if (relInside(env.rootGiven, lexical) !== null) {
    // Inside the workspace by name, outside by symlink: judge where it really goes.
    const realDisplay = displayPath(real, env);
    const homeRel = relInside(env.home, real);
    if (homeRel !== null && homeRel.startsWith('.'))
      return {
        kind: 'sensitive',
        display: `${display} (→ ${realDisplay})`,
        why: 'it links to a settings file in your home folder',
      };
  }
  for (const base of [env.home, env.homeGiven]) {
    const homeRel = relInside(base, real);
    if (homeRel !== null && homeRel.startsWith('.'))
      return { kind: 'sensitive', display, why: 'settings files in your home folder can hold tokens' };
  }
  return { kind: 'ok' };
}

// ------------------------------------------------------------------------------------------
// Edit paths

/**
 * Turns a path the agent wants to write into an absolute path: `~` and `$HOME` are the home
 * folder (never a literal `~` folder), relative paths are relative to `base` (the working
 * directory of the request), and
 * Windows-style paths are refused on POSIX (a drive letter is never inside a POSIX workspace;
 * backslashes are treated as separators so `src\..\..\x` cannot hide a traversal).
 */
export function editTarget(input: string, base: string, home: string): { abs: string } | { error: string } {
  if (input.trim() === '') return { error: 'The path is empty.' };
  let p = input;
  if (/^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'))
    return { error: `${input} is a Windows path, which is outside the workspace.` };
  p = p.replace(/\\/g, '/');
  const home$ = /^(?:\$HOME|\$\{HOME\})(?=\/|$)/;
  if (p === '~' || p.startsWith('~/')) p = home + p.slice(1);
  else if (p.startsWith('~')) return { error: `${input} names another user's home folder.` };
  else if (home$.test(p)) p = p.replace(home$, home);
  return { abs: posix.isAbsolute(p) ? p : `${base.replace(/\/+$/, '')}/${p}` };
}
