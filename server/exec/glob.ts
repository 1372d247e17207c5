/**
 * Bash 5.2 pathname expansion, done by NAVI at judgement time: a pattern word is expanded here,
 * the judge sees the resulting names, and NAVI runs exactly those names (quoted), so a repository
 * file called `-delete` cannot turn `find * -name x` into a command nobody judged.
 *
 * The directory walk (here) and the matcher (globMatch.ts) are a port of bash's lib/glob (glob.c: glob_filename,
 * glob_vector, skipname; sm_loop.c: gmatch, brackmatch, extmatch, patscan), not a fresh glob
 * dialect: bracket quirks, leading-dot rules, extglob, globstar and the way bash prints repeated
 * slashes only come out right when the same algorithm runs. As in bash, the word is first turned
 * into a pattern where a quoted character is written `\c` (a quoted `/` still separates).
 *
 * Where NAVI deliberately differs from bash:
 * - Order: bash sorts matches with the locale's collation; NAVI sorts by UTF-8 byte order, which
 *   is what bash does under LC_ALL=C. Only the order of the (quoted) names is affected.
 * - Characters are Unicode code points (bash in a UTF-8 locale). Ranges compare code points (the
 *   5.2 default globasciiranges), `[=c=]` is just `c`, nocaseglob folds with toLowerCase, and
 *   character classes outside ASCII use Unicode properties. With ASCII names this is exactly bash.
 * - `unknown` instead of a guess: names that are not valid UTF-8, directories NAVI cannot read
 *   (EACCES…), the limits, a pattern too costly to match, an unquoted backslash (only possible
 *   from an expansion) and collating-symbol names (`[[.space.]]`).
 * - GLOBIGNORE and `shopt -u globskipdots` are not modelled: NAVI's bash runs with neither.
 */

import * as fs from 'node:fs';
import { CASEFOLD, dequote, EXTMATCH, patscan, PERIOD, strmatch, SURROGATE, Unknown } from './globMatch';

/** One character of a parsed word; quoted characters are never pattern characters. */
export interface QChar {
  c: string;
  q: boolean;
}

export interface GlobOptions {
  dotglob: boolean;
  nullglob: boolean;
  failglob: boolean;
  extglob: boolean;
  globstar: boolean;
  nocaseglob: boolean;
}

/** The shopt defaults of a non-interactive `bash -c`. */
export const DEFAULT_GLOB_OPTIONS: GlobOptions = Object.freeze({
  dotglob: false,
  nullglob: false,
  failglob: false,
  extglob: false,
  globstar: false,
  nocaseglob: false,
});

export interface GlobLimits {
  maxMatches: number;
  maxEntriesRead: number;
}

export const DEFAULT_GLOB_LIMITS: GlobLimits = Object.freeze({ maxMatches: 1000, maxEntriesRead: 20000 });

export type GlobResult =
  /** The matches, sorted by UTF-8 bytes: the words bash passes, in the order NAVI passes them. */
  | { kind: 'names'; names: string[] }
  /** Nothing matched: bash passes the pattern without its quotes, or nothing under nullglob. */
  | { kind: 'no-match'; word: string | null }
  /** failglob and nothing matched: bash refuses to run the command. */
  | { kind: 'fail'; reason: string }
  /** NAVI cannot expand the word faithfully; the reason says why (a limit, EACCES, …). */
  | { kind: 'unknown'; reason: string };

// bash's internal form of a word: a quoted character is preceded by CTLESC. A marker longer than
// one code point can never collide with a real character.
const CTLESC = '<CTLESC>';

/**
 * True when bash would glob the word: `unquoted_glob_pattern_p`. Like bash 5.2 it treats `+(`,
 * `@(` and `!(` as pattern openers whether or not extglob is on (without extglob an unquoted `(`
 * can only come from an expansion), so the shell options do not change the answer.
 */
export function isPattern(chars: readonly QChar[]): boolean {
  const s: string[] = [];
  for (const { c, q } of chars) for (const ch of c) s.push(...(q ? [CTLESC, ch] : [ch]));
  let open = false;
  for (let i = 0; i < s.length;) {
    const c = s[i++]!;
    const next = s[i] ?? '';
    if (c === '?' || c === '*') return true;
    if (c === '[') open = true;
    else if (c === ']') {
      if (open) return true;
    } else if (c === '/' || c === '+' || c === '@' || c === '!') {
      if (c === '/') open = false;
      if (next === '(') return true;
    } else if (c === '\\') {
      if (next === '') return false;
      // An escaped character is not a pattern character; a CTLESC after it is skipped as such.
      i++;
    } else if (c === CTLESC) i++;
  }
  return false;
}

/**
 * Expands one word as bash would in `cwd` (absolute). Relative patterns give relative names,
 * absolute ones absolute names. A word that is not a pattern (see isPattern) comes back as the
 * one name, unchanged.
 */
export function expandGlob(
  chars: readonly QChar[],
  cwd: string,
  options: Partial<GlobOptions> = {},
  limits: Partial<GlobLimits> = {},
): GlobResult {
  const o: GlobOptions = { ...DEFAULT_GLOB_OPTIONS, ...options };
  const word = chars.map((ch) => ch.c).join('');
  // Not a pattern: bash passes the word through untouched, whatever nullglob/failglob say.
  if (!isPattern(chars)) return { kind: 'names', names: [word] };
  try {
    if (!cwd.startsWith('/')) throw new Unknown(`the working directory is not absolute: ${cwd}`);
    const w: Walk = { cwd, o, l: { ...DEFAULT_GLOB_LIMITS, ...limits }, read: 0, steps: 0 };
    const found = globFilename(w, toPattern(chars), o.globstar ? GLOBSTAR : 0) ?? [];
    if (found.length === 0) {
      if (o.failglob) return { kind: 'fail', reason: `no match: ${word}` };
      return { kind: 'no-match', word: o.nullglob ? null : word };
    }
    if (found.length > w.l.maxMatches) throw new Unknown(`more than ${w.l.maxMatches} matches for ${word}`);
    // UTF-16 order is UTF-8 byte order unless surrogates are involved.
    if (!found.some((n) => SURROGATE.test(n))) return { kind: 'names', names: found.sort() };
    const keyed = found.map((n) => ({ n, b: Buffer.from(n) }));
    return { kind: 'names', names: keyed.sort((x, y) => Buffer.compare(x.b, y.b)).map((x) => x.n) };
  } catch (e) {
    if (e instanceof Unknown) return { kind: 'unknown', reason: e.message };
    // Only a pathologically nested pattern recurses deep enough to overflow the stack.
    if (e instanceof RangeError)
      return { kind: 'unknown', reason: `the pattern is too complex: ${e.message}` };
    throw e;
  }
}

/** quote_string_for_globbing: quoted characters become `\c`, except `/`. */
function toPattern(chars: readonly QChar[]): string[] {
  const out: string[] = [];
  for (const { c, q } of chars)
    for (const ch of c) {
      if (q) out.push(...(ch === '/' ? ['/'] : ['\\', ch]));
      else if (ch === '\\') throw new Unknown('the pattern has an unquoted backslash (from an expansion)');
      else out.push(ch);
    }
  return out;
}

/** internal_glob_pattern_p: 1 = has pattern characters, 2 = only backslash escapes, 0 = neither. */
function globPatternP(p: readonly string[]): 0 | 1 | 2 {
  let bopen = false;
  let escaped = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '?' || c === '*') return 1;
    if (c === '[') bopen = true;
    else if (c === ']' && bopen) return 1;
    else if ((c === '+' || c === '@' || c === '!') && p[i + 1] === '(') return 1;
    else if (c === '\\') {
      if (i + 1 >= p.length) return 0;
      i++;
      escaped = true;
    }
  }
  return escaped ? 2 : 0;
}

// ------------------------------------------------------------------------------------------
// Directory walk (glob.c)

const ALLDIRS = 1; // GX_ALLDIRS: `**`, list everything below, recursing into real directories
const ADDCURDIR = 2; // GX_ADDCURDIR: with ALLDIRS, the directory itself is a match too
const NULLDIR = 4; // GX_NULLDIR: the directory is the implicit `.`; names get no `./` prefix
const GLOBSTAR = 8;
const RECURSE = 16; // expanding the directory part of a longer pattern

interface Walk {
  cwd: string;
  o: GlobOptions;
  l: GlobLimits;
  read: number;
  steps: number;
}

// The kernel resolves `..` after symlinks, so paths are joined, never normalised.
const abs = (w: Walk, p: string) => (p.startsWith('/') ? p : `${w.cwd}/${p}`);

/** Runs an fs call; null where bash just sees "no such file", unknown where NAVI cannot look. */
function fsCall<T>(p: string, f: () => T): T | null {
  try {
    return f();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG'].includes(code)) return null;
    throw new Unknown(`cannot read ${p}: ${code}`);
  }
}

/** glob_testdir: 0 directory, -2 symlink (only when not following), -1 anything else. */
function testdir(w: Walk, dir: string, noFollow: boolean): number {
  if (dir === '') return -1;
  const st = fsCall(dir, () => (noFollow ? fs.lstatSync(abs(w, dir)) : fs.statSync(abs(w, dir))));
  return st === null ? -1 : st.isSymbolicLink() ? -2 : st.isDirectory() ? 0 : -1;
}

/** Entries of a directory; a name that is not UTF-8 is read byte per character, as bash falls back. */
function readDir(w: Walk, dir: string): { name: string; bad: boolean }[] | null {
  const names = fsCall(dir, () => fs.readdirSync(abs(w, dir)));
  if (names === null) return null;
  w.read += names.length;
  if (w.read > w.l.maxEntriesRead)
    throw new Unknown(`more than ${w.l.maxEntriesRead} directory entries to read`);
  // Reading names as buffers costs twice as much, so only when decoding replaced something.
  if (!names.some((n) => n.includes('\uFFFD'))) return names.map((name) => ({ name, bad: false }));
  const bufs = fsCall(dir, () => fs.readdirSync(abs(w, dir), { encoding: 'buffer' })) ?? [];
  return bufs.map((b) => {
    const name = b.toString('utf8');
    const bad = !Buffer.from(name).equals(b);
    return { name: bad ? b.toString('latin1') : name, bad };
  });
}

const badName = (dir: string, name: string) =>
  new Unknown(`a name in ${dir} is not valid UTF-8: ${JSON.stringify(name)}`);

/** sh_makepath as glob_vector calls it. */
function makepath(dir: string, name: string, ignDot: boolean): string {
  const base = dir === '' ? '.' : ignDot && (dir === '.' || dir === './') ? '' : dir;
  return base === '' || base.endsWith('/') ? base + name : `${base}/${name}`;
}

const dirToArray = (dir: string, names: string[]) =>
  dir === '' ? names : names.map((n) => (dir.endsWith('/') ? dir : `${dir}/`) + n);

const isStarstar = (p: readonly string[], i: number) =>
  p[i] === '*' && p[i + 1] === '*' && (p[i + 2] === '/' || i + 2 >= p.length);

/** glob_dirscan: with extglob, the last `/` outside anything that looks like a group. */
function lastSlash(P: readonly string[], extglob: boolean): number {
  if (!extglob) return P.lastIndexOf('/');
  let d = -1;
  for (let p = 0; p < P.length; p++) {
    if (extglobPatternP(P.slice(p, p + 2))) {
      const pe = patscan(P, p + 2, P.length - 1, '');
      if (pe === null) continue;
      if (pe >= P.length) break;
      p = pe - 1;
    } else if (P[p] === '/') d = p;
  }
  return d;
}

/** glob_filename: null is bash's glob_error_return (treated as no match). */
function globFilename(w: Walk, path: readonly string[], flags: number): string[] | null {
  const slash = lastSlash(path, w.o.extglob);
  const dir = path.slice(0, slash + 1);
  const file = path.slice(slash + 1);
  const fileStarstar = file.length === 2 && isStarstar(file, 0);
  const hasglob = dir.length > 0 ? globPatternP(dir) : 0;
  if (hasglob !== 1) return onlyFilename(w, dir, file, flags, hasglob);

  let d = dir;
  let allStarstar = false;
  let dflags = flags;
  if (flags & GLOBSTAR && isStarstar(d, 0)) {
    // A directory part made of `**/` only collapses to one `**`.
    let i = 0;
    let p = 0;
    while (isStarstar(d, i)) {
      p = i;
      i += 3;
      while (d[i] === '/') i++;
      if (i >= d.length) break;
    }
    allStarstar = i >= d.length;
    d = d.slice(p);
    dflags |= ALLDIRS | ADDCURDIR;
  }
  let dlen = d.length;
  if (flags & GLOBSTAR && !allStarstar) {
    let dl = dlen;
    let prev = dlen;
    while (dl >= 4 && d[dl - 1] === '/' && d[dl - 2] === '*' && d[dl - 3] === '*' && d[dl - 4] === '/')
      [prev, dl] = [dl, dl - 3];
    // `dir/**/**` is `dir/**`: scanning the same tree twice would only duplicate names.
    if (dl !== dlen && prev > 4 && fileStarstar) prev -= 3;
    dlen = prev;
  }
  if (d[dlen - 1] === '/') dlen--;
  const dirs = globFilename(w, d.slice(0, dlen), dflags | RECURSE);
  if (dirs === null || dirs.length === 0) return null;
  if (allStarstar && fileStarstar) return onlyFilename(w, [], file, flags, 0);

  const out: string[] = [];
  for (const dname of dirs) {
    let df = flags & ~(ALLDIRS | ADDCURDIR);
    if (flags & GLOBSTAR && fileStarstar) df |= ALLDIRS | ADDCURDIR;
    let dn = dname;
    if (dn === '' && file.length > 0) [df, dn] = [df | NULLDIR, '.'];
    let temp: string[] | null;
    // bash 5.2 lists a symlink to a directory under `**/` but does not descend into it.
    if (allStarstar && !(df & NULLDIR) && testdir(w, dn, true) === -2 && testdir(w, dn, false) === 0)
      temp = file.length > 0 ? null : [''];
    else temp = globVector(w, file, dn, df);
    if (temp === null) continue;
    if (df & ALLDIRS && fileStarstar) {
      // The `''` placeholder for `.` means everything below was listed already.
      if (df & NULLDIR && !(flags & NULLDIR) && temp.includes('')) {
        out.push(...temp.filter((t) => t !== ''));
        break;
      }
      out.push(...temp);
    } else out.push(...dirToArray(dname, temp));
  }
  return out;
}

/** glob_filename when the directory part has no pattern characters. */
function onlyFilename(
  w: Walk,
  dir: readonly string[],
  file: readonly string[],
  flags: number,
  hasglob: number,
): string[] | null {
  const d = dequote(dir);
  if (file.length === 0) {
    if (hasglob === 2 && !(flags & RECURSE) && testdir(w, d, false) < 0) return null;
    return [d];
  }
  let df = dir.length === 0 ? flags | NULLDIR : flags;
  if (flags & GLOBSTAR && file.length === 2 && isStarstar(file, 0)) {
    df |= ALLDIRS | ADDCURDIR;
    if (dir.length === 0 && !(flags & ALLDIRS)) df &= ~ADDCURDIR;
  }
  const temp = globVector(w, file, dir.length === 0 ? '.' : d, df);
  return temp && dirToArray(df & ALLDIRS ? '' : d, temp);
}

/** glob_vector: the names in `dir` matching one pattern component. */
function globVector(w: Walk, pat: readonly string[], dir: string, flags: number): string[] | null {
  if (pat.length === 0) return testdir(w, dir, false) < 0 ? null : [''];
  if (globPatternP(pat) !== 1) {
    // A literal component is looked up, not listed: it may be hidden or a dangling symlink.
    if (testdir(w, dir, false) < 0) return null;
    const name = dequote(pat);
    return fsCall(`${dir}/${name}`, () => fs.lstatSync(abs(w, `${dir}/${name}`))) ? [name] : [];
  }
  const entries = readDir(w, dir);
  if (entries === null) return null;
  const out: string[] = [];
  const { dotglob, nocaseglob, extglob } = w.o;
  const mflags = (dotglob ? 0 : PERIOD) | (nocaseglob ? CASEFOLD : 0) | (extglob ? EXTMATCH : 0);
  for (const { name, bad } of entries) {
    if (skipname(pat, name, dotglob)) continue;
    if (flags & ALLDIRS) {
      if (bad) throw badName(dir, name);
      const sub = makepath(dir, name, (flags & NULLDIR) !== 0);
      if (testdir(w, sub, true) === 0) out.push(...(globVector(w, pat, sub, flags & ~ADDCURDIR) ?? []));
      out.push(sub);
    } else if (strmatch(w, pat, name, mflags)) {
      if (bad) throw badName(dir, name);
      out.push(name);
    }
  }
  if ((flags & (ALLDIRS | ADDCURDIR)) === (ALLDIRS | ADDCURDIR)) out.push(flags & NULLDIR ? '' : dir);
  return out;
}

const extglobPatternP = (p: readonly string[]) =>
  p[0] !== undefined && '*+!@?'.includes(p[0]) && p[1] === '(';

/**
 * skipname: leading-dot names need a leading literal dot unless dotglob. `.` and `..` never get
 * here: readdir leaves them out, and globskipdots (on in 5.2) would skip them anyway.
 */
function skipname(pat: readonly string[], name: string, dotglob: boolean): boolean {
  if (extglobPatternP(pat)) return extglobSkipname(pat, name, dotglob);
  return !dotglob && name[0] === '.' && pat[0] !== '.' && !(pat[0] === '\\' && pat[1] === '.');
}

function extglobSkipname(pat: readonly string[], name: string, dotglob: boolean): boolean {
  const wild = pat[0] === '*' || pat[0] === '?';
  const se = pat.length;
  const pe = patscan(pat, 2, se, '');
  if (pe === null) return false;
  if (pe === se && pat[pe - 1] === ')' && !pat.slice(2).includes('|'))
    return skipname(pat.slice(2, pe - 1), name, dotglob);
  let pp = 2;
  let r = true;
  for (let t = patscan(pat, pp, pe, '|'); t !== null; t = patscan(pat, pp, pe, '|')) {
    const nested = extglobPatternP(pat.slice(pp)) && pat[t - 1] === ')';
    r = skipname(pat.slice(pp, nested ? se : t - 1), name, dotglob);
    if (!r) return false;
    pp = t;
    if (pp === pe) break;
  }
  if (pp === se) return r;
  return wild && pe < se ? skipname(pat.slice(pe), name, dotglob) : true;
}
