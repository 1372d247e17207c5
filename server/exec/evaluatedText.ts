/**
 * Reading a text the way bash's evaluator reads it (codeExpansion.ts decides what it means).
 *
 * Arithmetic evaluates an expression: identifiers are variables whose values are evaluated in
 * turn, and `[…]` is a subscript, whose text bash expands (`$(…)` included) before evaluating it.
 * A name given to a builtin (`read NAME`, `${!x}`) is evaluated only in its subscript. The
 * scanner reads the source of such a text with quotes transparent (a quoted value is still
 * evaluated) and uses the syntax tree to tell a real `$(…)` (a command NAVI judges) from the same
 * characters in a quoted literal (text bash runs only when it evaluates it). What it finds is a
 * Scan: the variables evaluated or used as names, the command outputs evaluated, literal code in
 * subscripts, `${x@P}`, values set outside the command, and what the text itself assigns.
 */

/** The parts of a syntax node the scanner reads (parse.ts PNode). */
export interface SyntaxNode {
  type: string;
  named: boolean;
  field: string | null;
  start: number;
  end: number;
  children: SyntaxNode[];
}

/** Parameters bash sets to numbers (or the user's own environment sets): safe in arithmetic. */
export const SPECIAL_NUMBERS = new Set([
  '#',
  '?',
  '$',
  '!',
  'RANDOM',
  'SRANDOM',
  'SECONDS',
  'LINENO',
  'BASHPID',
  'PPID',
  'UID',
  'EUID',
  'EPOCHSECONDS',
  'OPTIND',
  'SHLVL',
  'HISTCMD',
  'PIPESTATUS',
  'BASH_SUBSHELL',
  'BASH_LINENO',
  'BASH_ARGC',
  'COLUMNS',
  'LINES',
]);

/**
 * Commands whose output is only digits and blanks, given these arguments: their output in
 * arithmetic is a number, never an expression with a subscript. The command must be the last
 * stage of the substitution, with literal arguments and no redirect but `<` and `2>`.
 */
const NUMERIC_OUTPUT: Readonly<Record<string, (args: readonly string[]) => boolean>> = {
  // Counts alone when no file is named (it reads its input).
  wc: (a) => a.every((x) => /^-[clmwL]+$|^--(lines|bytes|chars|words|max-line-length)$/.test(x)),
  nproc: (a) => a.every((x) => /^--all$|^--ignore=\d+$/.test(x)),
  seq: (a) => a.length > 0 && a.length <= 3 && a.every((x) => /^-?\d+$/.test(x)),
  // Only numeric conversions: seconds, nanoseconds, date and time fields.
  date: (a) => a.length === 1 && /^\+(?:%[sNYmdHMSjuwyCGVUW])+$/.test(a[0]!),
  git: (a) => a[0] === 'rev-list' && a.includes('--count') && !a.some((x) => /^--(?:format|pretty)/.test(x)),
  id: (a) => a.length === 1 && /^-[ug]$/.test(a[0]!),
};

/** Node types the scanner reads as real expansions (a command NAVI judges, a value, a number). */
export const EXPANSION_TYPES = new Set([
  'command_substitution',
  'process_substitution',
  'arithmetic_expansion',
  'expansion',
]);

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /[0-9][A-Za-z0-9_#@]*/y;
const ASSIGN_AFTER = /\s*(?:(?:[-+*/%&|^]|<<|>>|\*\*)?=(?!=)|\+\+|--)/y;

// ------------------------------------------------------------------------------------------
// Scanning evaluated text

export interface Src {
  text: string;
  /** Real expansions of the syntax tree, by start offset (outermost first). */
  subs: ReadonlyMap<number, SyntaxNode>;
}

/**
 * How a text is read. `arith`: evaluated as an arithmetic expression. `name`: its value is a
 * variable name (only a subscript in it is evaluated; `=` ends it, as in `declare N=V`). `keys`:
 * an array literal, whose `[K]=` keys are evaluated. `word`: an ordinary word, where only the
 * sub-parts of `${…}` are evaluated.
 */
export type Mode = 'arith' | 'name' | 'keys' | 'word';

interface Output {
  text: string;
  subscript: boolean;
  numeric: boolean;
  asName: boolean;
}

/** What one evaluated text refers to. */
export interface Scan {
  /** Variables whose values are evaluated as arithmetic. */
  refs: Set<string>;
  /** Variables whose values are used as variable names. */
  nameRefs: Set<string>;
  /** Command substitutions whose output is evaluated. */
  outputs: Output[];
  /** Literal `$(…)` or backticks inside a subscript: code bash runs that NAVI never judges. */
  code: string[];
  /** `${x@P}`. */
  prompts: string[];
  /** Other values NAVI cannot know, as reasons. */
  unknown: string[];
  /** Variables the arithmetic assigns (`i=0`, `i++`): numbers afterwards. */
  assigned: Set<string>;
  /** `${x:=word}`: x gets the word. */
  defaults: { name: string; from: number; to: number }[];
}

export function newScan(): Scan {
  return {
    refs: new Set(),
    nameRefs: new Set(),
    outputs: [],
    code: [],
    prompts: [],
    unknown: [],
    assigned: new Set(),
    defaults: [],
  };
}

export function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 59)}…` : one;
}

const isPositional = (name: string) => /^(?:[0-9]+|[@*])$/.test(name);

/** Scans `src.text[from, to)` in `mode`; `depth0` > 0: the text is inside a subscript. */
export function scan(src: Src, from: number, to: number, mode: Mode, out: Scan, depth0 = 0): void {
  const t = src.text;
  let depth = depth0;
  let i = from;
  while (i < to) {
    const c = t[i]!;
    const real = src.subs.get(i);
    if (real && real.end <= to) {
      realExpansion(src, real, mode, depth, out);
      i = real.end;
      continue;
    }
    if (c === '$' || c === '`' || ((c === '<' || c === '>') && t[i + 1] === '(')) {
      i = literalExpansion(src, i, to, mode, depth, out);
      continue;
    }
    if (mode === 'word') {
      i++;
      continue;
    }
    const evaluated = mode === 'arith' || depth > 0;
    if (/[A-Za-z_]/.test(c)) {
      IDENT.lastIndex = i;
      const name = IDENT.exec(t)![0].slice(0, to - i);
      if (evaluated) {
        out.refs.add(name);
        ASSIGN_AFTER.lastIndex = i + name.length;
        const assigns = ASSIGN_AFTER.exec(t) !== null && ASSIGN_AFTER.lastIndex <= to;
        const before = t.slice(Math.max(from, i - 3), i).trimEnd();
        if (assigns || before.endsWith('++') || before.endsWith('--')) out.assigned.add(name);
      }
      i += name.length;
      continue;
    }
    if (/[0-9]/.test(c)) {
      NUMBER.lastIndex = i;
      i += NUMBER.exec(t)![0].length;
      continue;
    }
    if (c === '[') depth++;
    else if (c === ']' && depth > 0) depth--;
    else if (c === '=' && mode === 'name' && depth === 0) return;
    i++;
  }
}

/** A `$(…)`, `$((…))`, `<(…)` or `${…}` the grammar parsed: a real expansion. */
function realExpansion(src: Src, n: SyntaxNode, mode: Mode, depth: number, out: Scan): void {
  const t = src.text;
  switch (n.type) {
    case 'command_substitution': {
      const text = clip(t.slice(n.start, n.end));
      if (depth > 0 || mode === 'arith')
        out.outputs.push({ text, subscript: depth > 0, numeric: numericOutput(t, n), asName: false });
      else if (mode === 'name') out.outputs.push({ text, subscript: false, numeric: false, asName: true });
      return;
    }
    case 'arithmetic_expansion': {
      const open = t.startsWith('$((', n.start) ? 3 : 2;
      scan(src, n.start + open, n.end - (open - 1), 'arith', out);
      return;
    }
    case 'expansion':
      braced(src, n.start, n.end, mode, depth, out);
      return;
    default:
      // A process substitution is a /dev/fd path; the commands in it are judged as commands.
      return;
  }
}

/** The same characters where the grammar saw none: literal text that is expanded only if evaluated. */
function literalExpansion(src: Src, i: number, to: number, mode: Mode, depth: number, out: Scan): number {
  const t = src.text;
  // A value may spell `$(` with backslashes between (`a[\$\(id\)]` unquoted is `a[$(id)]`).
  let j = i + 1;
  while (t[j] === '\\' && j < to) j++;
  const next = t[j];
  if (t[i] === '$' && next === '{' && j === i + 1) {
    const end = matching(t, i + 1, to, '{', '}');
    braced(src, i, end, mode, depth, out);
    return end;
  }
  if (t[i] === '$' && ((next === '(' && t[j + 1] === '(') || next === '[')) return j + 1; // arithmetic
  if (t[i] === '`' || next === '(' || (t[i] === '$' && next === '{')) {
    // Text bash runs when it expands a subscript; elsewhere a value is never expanded again.
    const end =
      t[i] === '`' ? t.indexOf('`', i + 1) + 1 || to : matching(t, j, to, next!, next === '(' ? ')' : '}');
    if (depth > 0) out.code.push(clip(t.slice(i, Math.min(end, to))));
    return t[i] === '`' ? i + 1 : j + 1;
  }
  if (t[i] !== '$') return i + 1;
  const m = /[A-Za-z_][A-Za-z0-9_]*|[0-9]|[@*#?$!_-]/y;
  m.lastIndex = i + 1;
  const name = m.exec(t)?.[0];
  if (!name) return i + 1;
  reference(name, mode, depth, out, `$${name}`);
  return i + 1 + name.length;
}

/** A variable whose value this text holds: evaluated, used as a name, or neither. */
function reference(name: string, mode: Mode, depth: number, out: Scan, shown: string): void {
  const evaluated = mode === 'arith' || depth > 0;
  const asName = mode === 'name' && depth === 0;
  if (!evaluated && !asName) return;
  if (isPositional(name) || name === '0' || name === '_' || name === '-')
    out.unknown.push(`${shown} is set outside the command`);
  else if (evaluated) out.refs.add(name);
  else out.nameRefs.add(name);
}

/** `${…}` from `start` (`$`) to `end` (after `}`). */
export function braced(src: Src, start: number, end: number, mode: Mode, depth: number, out: Scan): void {
  const t = src.text;
  const stop = t[end - 1] === '}' ? end - 1 : end;
  let p = start + 2;
  let prefix = '';
  if ((t[p] === '#' || t[p] === '!') && p + 1 < stop) prefix = t[p++]!;
  const m = /[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-]/y;
  m.lastIndex = p;
  const name = m.exec(t)?.[0];
  if (!name || p + name.length > stop) return scan(src, p, stop, mode, out, depth);
  p += name.length;
  let whole = false;
  if (t[p] === '[') {
    const close = matching(t, p, stop, '[', ']');
    const index = t.slice(p + 1, close - 1).trim();
    if (index === '@' || index === '*') whole = true;
    else scan(src, p + 1, close - 1, 'arith', out, 1);
    p = close;
  }
  const rest = t.slice(p, stop);
  const shown = clip(t.slice(start, end));
  if (prefix === '#') return; // a length
  if (rest.startsWith('@')) {
    if (rest === '@P') out.prompts.push(shown);
  } else if (rest.startsWith(':') && !/^:[-=?+]/.test(rest)) {
    scan(src, p + 1, stop, 'arith', out); // ${s:offset:length}
  } else if (/^:?=/.test(rest)) {
    const from = p + (rest.startsWith(':') ? 2 : 1);
    if (prefix === '' && !isPositional(name)) out.defaults.push({ name, from, to: stop });
    scan(src, from, stop, mode, out, depth);
  } else if (rest) {
    scan(src, p, stop, mode, out, depth);
  }
  if (prefix === '!') {
    if (whole || rest === '*' || rest === '@') return; // ${!a[@]} keys, ${!prefix*} names
    // ${!x}: the value of x names the variable bash reads, subscript included.
    reference(name, 'name', 0, out, shown);
    if (mode === 'arith' || depth > 0) out.unknown.push(`${shown} reads a variable named only when it runs`);
    return;
  }
  reference(name, mode, depth, out, shown);
}

/** Index after the bracket that closes the one at `i` (or `to`). */
function matching(t: string, i: number, to: number, open: string, close: string): number {
  let depth = 0;
  for (let k = i; k < to; k++) {
    const c = t[k];
    if (c === '\\') k++;
    else if (c === open) depth++;
    else if (c === close && --depth === 0) return k + 1;
  }
  return to;
}

/** Whether a command substitution prints only a number (NUMERIC_OUTPUT). */
function numericOutput(t: string, n: SyntaxNode): boolean {
  const body = n.children.filter((c) => c.named && c.type !== 'comment');
  if (body.length !== 1) return false;
  let stmt = body[0]!;
  if (stmt.type === 'pipeline') {
    const stages = stmt.children.filter((c) => c.named && c.type !== 'comment');
    stmt = stages[stages.length - 1]!;
  }
  const redirects: SyntaxNode[] = [];
  if (stmt.type === 'redirected_statement') {
    redirects.push(...stmt.children.filter((c) => c.field === 'redirect'));
    stmt = stmt.children.find((c) => c.field === 'body') ?? stmt;
  }
  if (stmt.type !== 'command') return false;
  const words: string[] = [];
  for (const c of stmt.children) {
    if (!c.named) continue;
    const text = t.slice(c.start, c.end);
    if (c.type === 'file_redirect') redirects.push(c);
    else if ((c.field === 'name' || c.field === 'argument') && /^[A-Za-z0-9_+%=.,:/-]+$/.test(text))
      words.push(text);
    else return false;
  }
  const plainRedirect = (r: SyntaxNode) => /^(?:<|2>>?)\s*[A-Za-z0-9_./-]+$/.test(t.slice(r.start, r.end));
  if (!redirects.every(plainRedirect)) return false;
  const [name, ...args] = words;
  return name !== undefined && (NUMERIC_OUTPUT[name]?.(args) ?? false);
}
