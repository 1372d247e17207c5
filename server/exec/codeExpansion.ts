/**
 * Expansions that run code where no command shows it.
 *
 * Bash evaluates some values as code. Arithmetic evaluates a variable's value as an expression,
 * and an array subscript in that expression is expanded, `$(…)` included: `x='a[$(id)]';
 * echo $((x))` runs `id`, a command that never appears as one in the text. The same evaluation
 * happens in `(( ))`, `let`, `for (( ))`, `[[ A -eq B ]]` (not `[ ]` or `test`), the value of a
 * `declare -i` variable, substring offsets `${s:N:M}` and array subscripts, and with every builtin
 * that takes a variable name, which may carry a subscript (`read`, `printf -v`, `unset`,
 * `declare`, `test -v`, `${!x}`, namerefs). `${x@P}` expands a value as a prompt string, which
 * runs the command substitutions in it.
 *
 * The parser hands every syntax tree it reads to collectCodeFacts, which records where such
 * evaluation happens (uses) and what the text assigns to each variable (sites); after the whole
 * text (with its `bash -c` payloads) is read, judgeCodeFacts decides:
 *
 * - deny: code NAVI sees but never judges as a command (a literal `a[$(id)]` that gets evaluated),
 *   a command's output in an array subscript (bash before 5.2 expands it a second time, every
 *   bash evaluates it as an expression), `${x@P}`;
 * - ask: a value NAVI cannot know (read from a file, printed by a command, a variable the text
 *   does not set, positional parameters) evaluated as arithmetic or used as a name — a person can
 *   tell that `n=$(cat count.txt)` holds a number; NAVI cannot;
 * - nothing: numbers (arithmetic results, counters, `$#`, `$(wc -l < f)`) and literal text
 *   without code.
 *
 * evaluatedText.ts reads each evaluated part as bash's evaluator does.
 */

import {
  braced,
  clip,
  EXPANSION_TYPES,
  newScan,
  scan,
  SPECIAL_NUMBERS,
  type Mode,
  type Scan,
  type Src,
  type SyntaxNode,
} from './evaluatedText';

export interface CodeFinding {
  effect: 'ask' | 'deny';
  message: string;
}

/** What one text (with its payloads) evaluates and assigns; filled by collectCodeFacts. */
export interface CodeFacts {
  uses: Use[];
  sites: Map<string, Site[]>;
  /** Variables declared `-i`: every assignment evaluates its value as arithmetic. */
  integers: Set<string>;
}

export function newCodeFacts(): CodeFacts {
  return { uses: [], sites: new Map(), integers: new Set() };
}

// ------------------------------------------------------------------------------------------
// Knowledge

/** `[[ A op B ]]` operators whose operands bash evaluates as arithmetic. */
const ARITH_TESTS = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge']);

/** Syntax-tree depth read (parse.ts reads as deep); deeper text asks. */
const MAX_DEPTH = 400;

// ------------------------------------------------------------------------------------------
// Collecting uses and sites from a syntax tree

type Site =
  | { kind: 'number' }
  | { kind: 'unknown'; why: string }
  | { kind: 'text'; src: Src; from: number; to: number };

interface Use {
  scan: Scan;
  /** The text that evaluates, as written (clipped). */
  where: string;
}

/** Records what one parsed text evaluates and assigns (call once per tree, payloads included). */
export function collectCodeFacts(root: SyntaxNode, text: string, facts: CodeFacts): void {
  // Cheap exit for the common case: nothing in the text can evaluate a value.
  if (
    !/[$`[(]|\blet\b|\bread|printf|unset|declare|typeset|local|mapfile|readarray|getopts|wait|test/.test(text)
  )
    return;
  const subs = new Map<number, SyntaxNode>();
  const stack = [root];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (EXPANSION_TYPES.has(n.type) && !subs.has(n.start)) subs.set(n.start, n);
    for (let k = n.children.length - 1; k >= 0; k--) stack.push(n.children[k]!);
  }
  new Collector({ text, subs }, facts).visit(root, false, 0);
}

class Collector {
  /** The `[[ ]]` or `[ ]` being read. */
  private testCommand: SyntaxNode | null = null;

  constructor(
    private readonly src: Src,
    private readonly facts: CodeFacts,
  ) {}

  private text(n: SyntaxNode): string {
    return this.src.text.slice(n.start, n.end);
  }

  private site(name: string, site: Site): void {
    const list = this.facts.sites.get(name);
    if (list) list.push(site);
    else this.facts.sites.set(name, [site]);
  }

  /** Scans a text that bash evaluates in `mode`, and records it as a use. */
  private use(mode: Mode, from: number, to: number, where: SyntaxNode, depth = 0): void {
    const s = newScan();
    if (mode === 'word') braced(this.src, from, to, 'word', 0, s);
    else scan(this.src, from, to, mode, s, depth);
    for (const name of s.assigned) this.site(name, { kind: 'number' });
    for (const d of s.defaults) this.site(d.name, { kind: 'text', src: this.src, from: d.from, to: d.to });
    if (
      s.refs.size + s.nameRefs.size + s.outputs.length + s.code.length + s.prompts.length + s.unknown.length >
      0
    )
      this.facts.uses.push({ scan: s, where: clip(this.text(where)) });
  }

  private children(n: SyntaxNode, covered: boolean, depth: number): void {
    for (const c of n.children) this.visit(c, covered, depth + 1);
  }

  /**
   * `covered`: a scan already read this node as evaluated text; only the commands in it are left
   * (their own words may evaluate again).
   */
  visit(n: SyntaxNode, covered: boolean, depth: number): void {
    if (depth > MAX_DEPTH) {
      // Fail closed: what lies deeper is not read, so it cannot be allowed.
      const s = newScan();
      s.unknown.push('it is nested too deeply for NAVI to read what it evaluates');
      this.facts.uses.push({ scan: s, where: clip(this.text(n)) });
      return;
    }
    if (n.type === 'command_substitution' || n.type === 'process_substitution') {
      this.children(n, false, depth);
      return;
    }
    if (covered || !n.named) {
      this.children(n, covered, depth);
      return;
    }
    const kids = n.children;
    switch (n.type) {
      case 'arithmetic_expansion': {
        const open = this.src.text.startsWith('$((', n.start) ? 3 : 2;
        this.use('arith', n.start + open, n.end - (open - 1), n);
        this.children(n, true, depth);
        return;
      }
      case 'compound_statement':
        if (kids[0]?.type === '((') {
          this.use('arith', kids[0].end, kids[kids.length - 1]!.start, n);
          this.children(n, true, depth);
          return;
        }
        break;
      case 'c_style_for_statement':
        for (const c of kids) {
          const clause = c.field === 'initializer' || c.field === 'condition' || c.field === 'update';
          if (clause) this.use('arith', c.start, c.end, c);
          this.visit(c, clause, depth + 1);
        }
        return;
      case 'expansion':
        this.use('word', n.start, n.end, n);
        this.children(n, true, depth);
        return;
      case 'subscript':
        this.subscript(n);
        this.children(n, true, depth);
        return;
      case 'test_command': {
        const outer = this.testCommand;
        this.testCommand = n;
        this.children(n, false, depth);
        this.testCommand = outer;
        return;
      }
      case 'binary_expression':
      case 'unary_expression':
        if (this.test(n, depth)) return;
        break;
      case 'variable_assignment':
        this.assignment(n, depth);
        return;
      case 'declaration_command':
        this.declaration(n, depth);
        return;
      case 'unset_command':
        if (!kids.some((c) => c.type === 'word' && /^-[a-z]*f/.test(this.text(c))))
          for (const c of kids)
            if (c.named && c.type !== 'variable_name' && !/^-/.test(this.text(c))) this.name(c, n);
        break;
      case 'for_statement':
        this.forLoop(n);
        break;
      case 'command':
        this.command(n);
        break;
      case 'heredoc_redirect': {
        // A quoted delimiter makes the body literal: nothing in it expands.
        const start = kids.find((c) => c.type === 'heredoc_start');
        const quoted = start !== undefined && /['"\\]/.test(this.text(start));
        for (const c of kids) if (!(quoted && c.type === 'heredoc_body')) this.visit(c, false, depth + 1);
        return;
      }
    }
    this.children(n, false, depth);
  }

  private name(n: SyntaxNode, where: SyntaxNode = n): void {
    this.use('name', n.start, n.end, where);
  }

  private subscript(n: SyntaxNode): void {
    const index = n.children.find((c) => c.field === 'index');
    const text = index ? this.text(index).trim() : '@';
    if (index && text !== '@' && text !== '*') this.use('arith', index.start, index.end, n, 1);
  }

  /** `[[ A -eq B ]]`, `[[ -v NAME ]]`, `[ -v NAME ]`, `[[ X =~ RE ]]`. True when handled. */
  private test(n: SyntaxNode, depth: number): boolean {
    const op = n.children.find((c) => c.field === 'operator');
    if (!op) return false;
    const operator = this.text(op);
    const operands = n.children.filter((c) => c.named && c !== op);
    if (n.type === 'binary_expression' && operator === '=~') this.site('BASH_REMATCH', unknown('=~'));
    const where = this.testCommand ?? n;
    // Only `[[ ]]` evaluates arithmetic operands; `[ ]` and `test` want plain integers.
    if (n.type === 'binary_expression' && ARITH_TESTS.has(operator) && where.children[0]?.type === '[[') {
      for (const c of operands) {
        this.use('arith', c.start, c.end, where);
        this.visit(c, true, depth + 1);
      }
      return true;
    }
    if (n.type === 'unary_expression' && operator === '-v') {
      for (const c of operands) {
        this.name(c, where);
        this.visit(c, true, depth + 1);
      }
      return true;
    }
    return false;
  }

  private assignment(n: SyntaxNode, depth: number): void {
    const nameNode = n.children.find((c) => c.field === 'name');
    const value = n.children.find((c) => c.field === 'value');
    if (!nameNode) return this.children(n, false, depth);
    let name = this.text(nameNode);
    if (nameNode.type === 'subscript') {
      this.subscript(nameNode);
      name = this.text(nameNode.children.find((c) => c.field === 'name') ?? nameNode);
    }
    if (!value) {
      this.site(name, { kind: 'text', src: this.src, from: n.end, to: n.end });
      return;
    }
    this.site(name, { kind: 'text', src: this.src, from: value.start, to: value.end });
    if (value.type === 'array') {
      this.use('keys', value.start, value.end, value);
      this.visit(value, true, depth + 1);
    } else this.visit(value, false, depth + 1);
  }

  private declaration(n: SyntaxNode, depth: number): void {
    const keyword = n.children.find((c) => !c.named)?.type ?? 'declare';
    const flags = n.children
      .filter((c) => c.type === 'word' && /^[-+][A-Za-z]+$/.test(this.text(c)))
      .map((c) => this.text(c));
    const on = (letter: string) => flags.some((f) => f.startsWith('-') && f.includes(letter));
    const nameref = on('n') && (keyword === 'declare' || keyword === 'typeset' || keyword === 'local');
    const integer = on('i');
    for (const c of n.children) {
      if (!c.named || flags.includes(this.text(c))) continue;
      if (c.type === 'variable_assignment') {
        const nameNode = c.children.find((k) => k.field === 'name');
        const base =
          nameNode?.type === 'subscript' ? nameNode.children.find((k) => k.field === 'name') : nameNode;
        if (integer && base) this.facts.integers.add(this.text(base));
        const value = c.children.find((k) => k.field === 'value');
        // A nameref's value is the name of the variable it stands for, subscript included.
        if (nameref && value) this.name(value, c);
        this.assignment(c, depth);
      } else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(this.text(c))) {
        if (integer) this.facts.integers.add(this.text(c));
      } else {
        // `declare "$n=$v"`, `declare 'a[$(id)]=1'`: the name is evaluated, subscript included.
        this.name(c, n);
        this.visit(c, false, depth + 1);
      }
    }
  }

  private forLoop(n: SyntaxNode): void {
    const keyword = n.children.find((c) => !c.named)?.type;
    const variable = n.children.find((c) => c.field === 'variable');
    const values = n.children.filter((c) => c.field === 'value');
    if (!variable) return;
    const name = this.text(variable);
    if (keyword === 'select') {
      this.site(name, unknown('select'));
      this.site('REPLY', unknown('select'));
    } else if (values.length === 0)
      this.site(name, { kind: 'unknown', why: 'takes the positional parameters' });
    for (const v of keyword === 'select' ? [] : values)
      this.site(
        name,
        hasWildcard(v, this.src.text)
          ? { kind: 'unknown', why: 'takes the file names a wildcard matches' }
          : { kind: 'text', src: this.src, from: v.start, to: v.end },
      );
  }

  /** Builtins that assign variables or take variable names. */
  private command(n: SyntaxNode): void {
    const nameNode = n.children.find((c) => c.field === 'name');
    let args = n.children.filter((c) => c.field === 'argument');
    let name = nameNode ? literal(nameNode, this.src.text) : null;
    while ((name === 'command' || name === 'builtin') && args.length > 0) {
      name = literal(args[0]!, this.src.text);
      args = args.slice(1);
    }
    const values = args.map((a) => literal(a, this.src.text));
    const named = (i: number, why: string) => {
      const a = args[i];
      if (!a) return;
      const base = /^[A-Za-z_][A-Za-z0-9_]*/.exec(values[i] ?? '')?.[0];
      if (base) this.site(base, unknown(why));
      if (values[i] === null || /[[$`]/.test(values[i]!)) this.name(a, n);
    };
    switch (name) {
      case 'let':
        for (const a of args) this.use('arith', a.start, a.end, n);
        return;
      case 'read': {
        let names = 0;
        for (let i = 0; i < args.length; i++) {
          const v = values[i];
          if (v !== null && v !== undefined && /^-[A-Za-z]+$/.test(v)) {
            const letter = [...v.slice(1)].find((ch) => 'adinNptu'.includes(ch));
            if (letter === 'a') named(++i, 'read');
            else if (letter) i++;
            continue;
          }
          names++;
          named(i, 'read');
        }
        if (names === 0) this.site('REPLY', unknown('read'));
        return;
      }
      case 'mapfile':
      case 'readarray': {
        let operand = -1;
        for (let i = 0; i < args.length && operand < 0; i++) {
          const v = values[i];
          if (v !== null && v !== undefined && /^-[A-Za-z]+$/.test(v)) {
            if (/[dnOsuCc]/.test(v.slice(1))) i++;
          } else operand = i;
        }
        if (operand >= 0) named(operand, name);
        else this.site('MAPFILE', unknown(name));
        return;
      }
      case 'printf': {
        const i = values.indexOf('-v');
        if (i >= 0) named(i + 1, 'printf -v');
        return;
      }
      case 'getopts':
        named(1, 'getopts');
        this.site('OPTARG', unknown('getopts'));
        return;
      case 'wait': {
        const i = values.indexOf('-p');
        const target = values[i + 1];
        if (i >= 0 && target && /^[A-Za-z_][A-Za-z0-9_]*$/.test(target))
          this.site(target, { kind: 'number' });
        else if (i >= 0 && args[i + 1]) this.name(args[i + 1]!, n);
        return;
      }
      case 'test':
        for (let i = 0; i + 1 < args.length; i++) if (values[i] === '-v') this.name(args[i + 1]!, n);
        return;
    }
  }
}

function unknown(source: string): Site {
  return { kind: 'unknown', why: `comes from ${source}` };
}

/** A word's value when it is plain literal text (quotes removed), else null. */
function literal(n: SyntaxNode, t: string): string | null {
  const text = t.slice(n.start, n.end);
  switch (n.type) {
    case 'command_name':
      return n.children.length === 1 ? literal(n.children[0]!, t) : null;
    case 'word':
    case 'number':
      return text.replace(/\\(.)/g, '$1');
    case 'raw_string':
      return text.slice(1, -1);
    case 'string':
      return n.children.some((c) => c.named && c.type !== 'string_content') ? null : text.slice(1, -1);
    case 'concatenation': {
      const parts = n.children.map((c) => literal(c, t));
      return parts.every((p) => p !== null) ? parts.join('') : null;
    }
    default:
      return null;
  }
}

/** An unquoted `*`, `?` or `[` in a for-loop word: its values are file names. */
function hasWildcard(n: SyntaxNode, t: string): boolean {
  if (n.type === 'word' || n.type === 'extglob_pattern') return /[*?[]/.test(t.slice(n.start, n.end));
  if (n.type === 'concatenation') return n.children.some((c) => hasWildcard(c, t));
  return false;
}

// ------------------------------------------------------------------------------------------
// Judging

interface Result {
  level: 1 | 2;
  why: string;
}

const CODE_TAIL = 'a value like a[$(cmd)] in it would run cmd';

/** The findings for a text's facts: deny for code NAVI sees, ask for values it cannot know. */
export function judgeCodeFacts(facts: CodeFacts): CodeFinding[] {
  if (facts.uses.length === 0 && facts.integers.size === 0) return [];
  const judge = new Judge(facts);
  const out: CodeFinding[] = [];
  const add = (where: string, r: Result | null) => {
    if (!r) return;
    const message =
      r.level === 2
        ? r.why.startsWith(where)
          ? r.why
          : `${where}: ${r.why}`
        : `${where} evaluates a value only known when it runs (${r.why}); ${CODE_TAIL}`;
    if (!out.some((f) => f.message === message))
      out.push({ effect: r.level === 2 ? 'deny' : 'ask', message });
  };
  for (const u of facts.uses) add(u.where, judge.scan(u.scan));
  // `declare -i n`: every assignment to n evaluates the value assigned.
  for (const name of facts.integers)
    for (const s of facts.sites.get(name) ?? [])
      if (s.kind === 'text' && s.to > s.from)
        add(`${name}=${clip(s.src.text.slice(s.from, s.to))}`, judge.scan(siteScan(s, 'arith')));
  return out;
}

function siteScan(s: Extract<Site, { kind: 'text' }>, mode: 'arith' | 'name'): Scan {
  const out = newScan();
  scan(s.src, s.from, s.to, mode, out);
  return out;
}

class Judge {
  private readonly memo = new Map<string, Result | null>();
  private readonly visiting = new Set<string>();
  /** A cycle was cut while judging: results below the cut miss a site and are not remembered. */
  private cut = false;

  constructor(private readonly facts: CodeFacts) {}

  scan(s: Scan): Result | null {
    const found: { worst: Result | null } = { worst: null };
    const take = (r: Result | null) => {
      if (r && (!found.worst || r.level > found.worst.level)) found.worst = r;
    };
    for (const p of s.prompts)
      take({ level: 2, why: `${p} expands a value as a prompt string, which runs the commands in it` });
    for (const c of s.code)
      take({
        level: 2,
        why: `bash runs the ${c} in an array subscript when it evaluates it, a command NAVI never judges`,
      });
    for (const o of s.outputs) {
      if (o.numeric) continue;
      if (o.subscript)
        take({
          level: 2,
          why: `an array subscript holds the output of ${o.text}, which bash evaluates as code (a[$(…)] in the output runs)`,
        });
      else if (o.asName) take({ level: 1, why: `the output of ${o.text} is used as a variable name` });
      else take({ level: 1, why: `bash evaluates the output of ${o.text}` });
    }
    for (const u of s.unknown) take({ level: 1, why: u });
    for (const r of s.refs) if (found.worst?.level !== 2) take(this.variable(r, 'arith'));
    for (const r of s.nameRefs) if (found.worst?.level !== 2) take(this.variable(r, 'name'));
    return found.worst;
  }

  /** What the value of `name` can do when evaluated as arithmetic or used as a name. */
  private variable(name: string, as: 'arith' | 'name'): Result | null {
    const key = `${as}:${name}`;
    if (this.memo.has(key)) return this.memo.get(key)!;
    if (this.visiting.has(key)) {
      this.cut = true; // a cycle: the other sites decide
      return null;
    }
    const sites = this.facts.sites.get(name);
    let result: Result | null = null;
    if (this.facts.integers.has(name))
      result = null; // always a number (its assignments are judged)
    else if (/^npm_/i.test(name))
      result = { level: 1, why: `$${name} comes from package.json or .npmrc, which the repository controls` };
    else if (!sites || sites.length === 0)
      result = SPECIAL_NUMBERS.has(name) ? null : { level: 1, why: `$${name} is not set by the command` };
    else {
      const outer = this.cut;
      this.cut = false;
      this.visiting.add(key);
      for (const s of sites) {
        const r =
          s.kind === 'number'
            ? null
            : s.kind === 'unknown'
              ? { level: 1 as const, why: `$${name} ${s.why}` }
              : this.text(name, s, as);
        if (r && (!result || r.level > result.level)) result = r;
        if (result?.level === 2) break;
      }
      this.visiting.delete(key);
      const complete = !this.cut || this.visiting.size === 0;
      this.cut ||= outer;
      if (!complete) return result;
    }
    this.memo.set(key, result);
    return result;
  }

  private text(name: string, s: Extract<Site, { kind: 'text' }>, as: 'arith' | 'name'): Result | null {
    const r = this.scan(siteScan(s, as));
    if (!r || r.level === 1) return r;
    return { level: 2, why: `${name} holds ${clip(s.src.text.slice(s.from, s.to))}: ${r.why}` };
  }
}
