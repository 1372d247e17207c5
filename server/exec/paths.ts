/**
 * Path checks for writes and reads. Every path is resolved the way the kernel will resolve it:
 * symlinks of the existing prefix are followed component by component (so `link/../x` goes
 * where the kernel goes, not where string normalisation says), a missing tail is appended as
 * written, and the result is compared with the real workspace root using `path.relative`.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
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
  | { kind: 'outside'; display: string; via: 'symlink' | 'path' }
  | { kind: 'root'; display: string }
  | { kind: 'protected'; display: string; why: string }
  | { kind: 'hidden'; display: string }
  | { kind: 'sensitive'; display: string; why: string }
  | { kind: 'ok'; display: string; real: string };

/** Judges writing the absolute (lexical) path `abs`. */
export function checkWrite(abs: string, env: PathEnv): WriteCheck {
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
    return { kind: 'outside', display, via: lexicallyInside ? 'symlink' : 'path' };
  }
  if (rel === '') return { kind: 'root', display };
  const lexRel = relInside(env.rootGiven, lexical) ?? relInside(env.root, lexical);
  if (test(PROTECTED_RE, rel) || test(PROTECTED_RE, lexRel))
    return { kind: 'protected', display, why: protectedWhy(rel) };
  if (env.protectedPaths.matches(lexical, env) || env.protectedPaths.matches(real, env))
    return { kind: 'protected', display, why: 'the policy protects it' };
  for (const candidate of [rel, lexRel]) {
    if (candidate === null || test(NOT_SECRET_RE, candidate)) continue;
    const hit = SENSITIVE_RE.find((s) => s.re.test(candidate));
    if (hit) return { kind: 'sensitive', display, why: hit.why };
  }
  return { kind: 'ok', display, real };
}

function protectedWhy(rel: string): string {
  if (/(^|\/)\.git(\/hooks)(\/|$)/.test(rel)) return 'git hooks run unsandboxed on the next commit';
  if (/(^|\/)\.git(\/|$)/.test(rel)) return "git's own files (hooks and config) can run programs";
  if (/^\.navi(\/|$)/.test(rel)) return "it holds NAVI's policy";
  if (/(^|\/)node_modules(\/|$)/.test(rel)) return 'installed dependencies are the code your tests run';
  return 'it is version-control data';
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
