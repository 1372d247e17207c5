/**
 * Bash 5.2's matcher for one name against one pattern component, ported from lib/glob/sm_loop.c
 * (gmatch, brackmatch, extmatch, patscan) for glob.ts. A pattern is an array of code points in
 * bash's internal form, where a quoted character is written `\\c`. Every gmatch call is a step
 * counted against a budget, so a hostile name cannot stall the judge.
 */

/** Thrown when NAVI cannot match faithfully (a budget, an unsupported construct): the word is unknown. */
export class Unknown extends Error {}

/** What the matcher counts its steps on (glob.ts's walk of one word). */
export interface StepCounter {
  steps: number;
}

// Extglob backtracking is exponential in bash too; a hostile name must not stall the judge. A
// step is one gmatch call (about a microsecond); sane patterns need at most a few thousand a name.
const MAX_STEPS_PER_NAME = 20_000;
const MAX_STEPS = 500_000;

export const SURROGATE = /[\uD800-\uDFFF]/;

export const dequote = (p: readonly string[]): string => {
  let s = '';
  for (let i = 0; i < p.length; i++) s += p[i] === '\\' && i + 1 < p.length ? p[++i] : p[i];
  return s;
};

// Matching one name against one component (sm_loop.c). Indices past an end read as '' the way
// the C code reads the terminating NUL; the pattern may legitimately be read past `pe`.

export const PERIOD = 1; // FNM_PERIOD: a leading `.` must be matched by a literal dot
export const CASEFOLD = 2;
export const EXTMATCH = 4;

interface M {
  p: readonly string[];
  s: ArrayLike<string>; // code points; the name itself when it has no surrogate pairs
  fold: (c: string) => string;
  w: StepCounter;
  budget: number; // w.steps at which this name has cost too much
}

const cp = (c: string) => c.codePointAt(0) ?? -1;
const lower = (c: string) => {
  const l = c.toLowerCase();
  return l.length === c.length ? l : c;
};

export function strmatch(w: StepCounter, pat: readonly string[], name: string, flags: number): boolean {
  const s = SURROGATE.test(name) ? Array.from(name) : name;
  const budget = Math.min(w.steps + MAX_STEPS_PER_NAME, MAX_STEPS);
  const m: M = { p: pat, s, fold: flags & CASEFOLD ? lower : (c) => c, w, budget };
  return gmatch(m, 0, s.length, 0, pat.length, null, flags);
}

/** gmatch; `ends` is glibc's trick bash uses to avoid backtracking into an earlier `*`. */
function gmatch(
  m: M,
  n: number,
  se: number,
  p: number,
  pe: number,
  ends: { p: number; n: number } | null,
  flags: number,
): boolean {
  if (++m.w.steps > m.budget) throw new Unknown('the pattern is too costly to match');
  const { p: P, s: S, fold } = m;
  const start = n;
  while (p < pe) {
    let c = fold(P[p++]!);
    let sc = n < se ? S[n]! : '';
    if (flags & EXTMATCH && P[p] === '(' && '+*?@!'.includes(c))
      return extmatch(m, c, n, se, p, pe, n === start ? flags : flags & ~PERIOD);
    if (c === '?') {
      if (sc === '' || (flags & PERIOD && sc === '.' && n === start)) return false;
    } else if (c === '\\') {
      if (!(p === pe && sc === '\\' && n + 1 === se)) {
        if (p === pe || fold(sc) !== fold(P[p++]!)) return false;
      }
    } else if (c === '*') {
      if (ends) {
        [ends.p, ends.n] = [p - 1, n];
        return true;
      }
      if (flags & PERIOD && sc === '.' && n === start) return false;
      if (p === pe) return true;
      for (c = P[p++] ?? ''; c === '?' || c === '*'; c = P[p++] ?? '') {
        if (flags & EXTMATCH && c === '?' && P[p] === '(') {
          if (extmatch(m, c, n, se, p, pe, flags)) return true;
          p = patscan(P, p + 1, pe, '') ?? pe;
        } else if (c === '?') {
          if (sc === '') return false;
          sc = ++n < se ? S[n]! : '';
        }
        if (flags & EXTMATCH && c === '*' && P[p] === '(') {
          for (let nn = n; nn < se; nn++) if (extmatch(m, c, nn, se, p, pe, flags)) return true;
          p = patscan(P, p + 1, pe, '') ?? pe;
        }
        if (p === pe) break;
      }
      if (p === pe && (c === '?' || c === '*')) return true;
      if (n === se && flags & EXTMATCH && (c === '!' || c === '?') && P[p] === '(')
        return extmatch(m, c, n, se, p - 1, pe, flags) === (c !== '!');
      // A `/` in a component (left there by glob_dirscan) needs a `/` in the name: never.
      if (c === '/') return false;
      const end = { p: -1, n: 0 };
      const c1 = fold(c === '\\' ? (P[p] ?? '') : c);
      for (--p; n < se; ++n) {
        if (c !== '[' && fold(S[n]!) !== c1) {
          if (!(flags & EXTMATCH)) continue;
          if (P[p + 1] !== '(' && !'?*+@!'.includes(P[p] ?? '')) continue;
        }
        if (gmatch(m, n, se, p, pe, end, flags & ~PERIOD)) {
          if (end.p < 0) return true;
          break;
        }
      }
      if (end.p < 0) return false;
      [p, n] = [end.p, end.n];
      continue;
    } else if (c === '[') {
      if (sc === '' || n === se || (flags & PERIOD && sc === '.' && n === start)) return false;
      p = brackmatch(m, p, sc);
      if (p < 0) return false;
    } else if (c !== fold(sc)) return false;
    n++;
  }
  return n === se;
}

const CLASSES: Record<string, RegExp> = {
  alnum: /[\p{L}0-9]/u,
  alpha: /\p{L}/u,
  ascii: /[\0-\x7f]/,
  blank: /[\t\p{Zs}]/u,
  cntrl: /\p{Cc}/u,
  digit: /[0-9]/,
  graph: /[^\p{C}\p{Z}]/u,
  lower: /[\p{Ll}\p{Lt}]/u, // glibc counts titlecase letters (ǅ) as both cases
  print: /[^\p{C}]/u,
  punct: /[\p{P}\p{S}]/u,
  space: /[\t-\r\p{Zs}\u2028\u2029]/u,
  upper: /[\p{Lu}\p{Lt}]/u,
  word: /[\p{L}0-9_]/u,
  xdigit: /[0-9A-Fa-f]/,
};

/** PARSE_COLLSYM from the `.` after `[`: the symbol's code point (-1 invalid) and where it ends. */
function collsym(P: readonly string[], p: number): { v: number; p: number } {
  let len = 0;
  for (p++; P[p + len] !== undefined && !(P[p + len] === '.' && P[p + len + 1] === ']'); len++);
  if (P[p + len] === undefined) return { v: -1, p: p + len };
  if (len > 1) throw new Unknown('the pattern uses a collating symbol name');
  return { v: len === 1 ? cp(P[p]!) : -1, p: p + len + 2 };
}

/** brackmatch: the index after the bracket expression when `testc` matches, else -1. */
function brackmatch(m: M, p: number, testc: string): number {
  const { p: P, fold } = m;
  const at = (i: number) => P[i] ?? '';
  const foldn = (v: number) => (v >= 0 && v <= 0x10ffff ? cp(fold(String.fromCodePoint(v))) : v);
  const test = fold(testc);
  const T = cp(test);
  const savep = p;
  // An unterminated `[` is an ordinary character: it matches only a `[`.
  const unterminated = () => (test === '[' ? savep : -1);
  const not = at(p) === '!' || at(p) === '^';
  if (not) p++;
  let c = at(p++);
  let matched = false;
  for (;;) {
    let cstart = cp(c);
    if (c === '[' && at(p) === '=' && at(p + 2) === '=' && at(p + 3) === ']') {
      const eq = fold(at(p + 1));
      p += 4;
      if (test === eq) {
        p++;
        matched = true;
        break;
      }
      // bash 5.2 does not check for `]` here, so `[[=a=]]` closes one bracket later.
      c = at(p++);
      if (c === '') return unterminated();
      c = fold(c);
      continue;
    }
    if (c === '[' && at(p) === ':') {
      let close = p + 1;
      while (at(close) !== '' && !(at(close) === ':' && at(close + 1) === ']')) close++;
      let inClass = false;
      if (at(close) !== '') {
        inClass = CLASSES[dequote(P.slice(p + 1, close))]?.test(testc) ?? false;
        p = close + 2;
      }
      if (inClass) {
        p++;
        matched = true;
        break;
      }
      c = at(p++);
      if (c === '') return unterminated();
      if (c === ']') break;
      c = fold(c);
      continue;
    }
    if (c === '[' && at(p) === '.') {
      const sym = collsym(P, p);
      [cstart, p] = [sym.v < 0 ? T + 1 : sym.v, sym.p];
    }
    if (c === '\\') {
      if (at(p) === '') return -1;
      cstart = cp(at(p++));
    }
    cstart = foldn(cstart);
    let cend = cstart;
    let isrange = false;
    if (c === '') return unterminated();
    c = fold(at(p++));
    if (c === '') return unterminated();
    if (c === '/') return -1;
    if (c === '-' && at(p) !== ']') {
      let e = at(p++);
      if (e === '\\') e = at(p++);
      if (e === '') return -1;
      if (e === '[' && at(p) === '.') {
        const sym = collsym(P, p);
        [cend, p] = [sym.v < 0 ? T - 1 : sym.v, sym.p];
      } else cend = cp(e);
      cend = foldn(cend);
      c = at(p++);
      if (cstart > cend) {
        // An inverted range matches nothing; the rest of the expression still counts.
        if (c === ']') break;
        c = fold(c);
        continue;
      }
      isrange = true;
    }
    if (isrange ? T >= cstart && T <= cend : T === cstart) {
      matched = true;
      break;
    }
    if (c === ']') break;
  }
  if (!matched) return not ? p : -1;
  // Skip the rest of the expression, still honouring nested [: :], [= =], [. .] and escapes.
  c = at(--p);
  let brcnt = 1;
  let brchrp = -1;
  while (brcnt > 0) {
    if (c === '') return unterminated();
    const oc = c;
    c = at(p++);
    if (c === '[' && (at(p) === '=' || at(p) === ':' || at(p) === '.')) {
      brcnt++;
      brchrp = p++;
      if ((c = at(p)) === '') return unterminated();
    } else if (c === ']' && brcnt > 1 && brchrp >= 0 && oc === at(brchrp)) {
      brcnt--;
      brchrp = -1;
    } else if (c === ']' && (brchrp < 0 || at(brchrp) !== '.')) brcnt = 0;
    else if (c === '\\') {
      if (at(p) === '') return -1;
      p++;
    }
  }
  return not ? -1 : p;
}

/** patscan: the index after the `)` closing a group (delim '') or after the next top-level `|`. */
export function patscan(P: readonly string[], i: number, end: number, delim: '' | '|'): number | null {
  if (i === end) return null;
  let pnest = 0;
  let bnest = 0;
  let cchar = '';
  let bfirst = -1;
  let skip = false;
  for (let s = i; s < P.length; s++) {
    if (s >= end) return s;
    const c = P[s];
    if (skip) skip = false;
    else if (c === '\\') skip = true;
    else if (c === '[') {
      if (bnest === 0) {
        bfirst = P[s + 1] === '!' || P[s + 1] === '^' ? s + 2 : s + 1;
        bnest++;
      } else if (P[s + 1] === ':' || P[s + 1] === '.' || P[s + 1] === '=') cchar = P[s + 1]!;
    } else if (c === ']' && bnest) {
      if (cchar && P[s - 1] === cchar) cchar = '';
      else if (s !== bfirst) [bnest, bfirst] = [bnest - 1, -1];
    } else if (c === '(' && bnest === 0) pnest++;
    else if (c === ')' && bnest === 0 && pnest-- <= 0) return s + 1;
    else if (c === '|' && bnest === 0 && pnest === 0 && delim === '|') return s + 1;
  }
  return null;
}

/** extmatch for `op(a|b)` at pattern index `p` (the `(`), string index `s`. */
function extmatch(m: M, xc: string, s: number, se: number, p: number, pe: number, flags: number): boolean {
  const P = m.p;
  const prest = patscan(P, p + (P[p] === '(' ? 1 : 0), pe, '');
  if (prest === null) {
    // Not a well-formed group: bash compares the rest of the pattern as a plain string.
    return pe - (p - 1) === se - s && P.slice(p - 1, pe).every((c, i) => c === m.s[s + i]);
  }
  // Each alternative runs from psub to pnext - 1; the last one ends at the closing `)`.
  // Plain loops, no closures: extglob backtracking is hot enough for allocations to matter.
  if (xc === '!') {
    for (let srest = s; srest <= se; srest++) {
      let m1 = false;
      for (let psub = p + 1, pnext = 0; !m1; psub = pnext) {
        pnext = patscan(P, psub, pe, '|') ?? prest;
        m1 = gmatch(m, s, srest, psub, pnext - 1, null, flags);
        if (pnext >= prest) break;
      }
      // Even a negation does not match a leading dot implicitly.
      if (!m1 && flags & PERIOD && m.s[s] === '.') return false;
      const xflags = srest > s ? flags & ~PERIOD : flags;
      if (!m1 && gmatch(m, srest, se, prest, pe, null, xflags)) return true;
    }
    return false;
  }
  const repeat = xc === '+' || xc === '*';
  if ((xc === '*' || xc === '?') && gmatch(m, s, se, prest, pe, null, flags)) return true;
  for (let psub = p + 1, pnext = 0; ; psub = pnext) {
    pnext = patscan(P, psub, pe, '|') ?? prest;
    for (let srest = repeat || prest !== pe ? s : se; srest <= se; srest++) {
      if (!gmatch(m, s, srest, psub, pnext - 1, null, flags)) continue;
      const xflags = srest > s ? flags & ~PERIOD : flags;
      if (gmatch(m, srest, se, prest, pe, null, xflags)) return true;
      // `+(…)` and `*(…)` may match again right after.
      if (repeat && s !== srest && gmatch(m, srest, se, p - 1, pe, null, xflags)) return true;
    }
    if (pnext >= prest) return false;
  }
}
