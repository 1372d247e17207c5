import * as path from 'node:path';

/**
 * The Python half of the import graph: a tolerant tokenizer that finds the import statements of
 * a module, and a resolver that maps them to files of the project the way `sys.path` would.
 *
 * The tokenizer skips comments and strings (prefixed, raw, triple-quoted), joins backslash
 * continuations and bracketed lines into logical lines, and splits them at `;`. Imports inside
 * functions, `try:` and `if TYPE_CHECKING:` count as well (conservative: they may run).
 */

export interface PyImport {
  /** Leading dots of a relative import (0 for absolute). */
  level: number;
  /** Dotted module (`a.b`), `''` for `from . import x`. */
  module: string;
  /** For `from m import a, b`: the imported names (one may be a submodule); `*` kept as is. */
  names: string[];
  /** 1-based. */
  line: number;
}

export interface PyScan {
  imports: PyImport[];
  /** `importlib.import_module(x)` / `__import__(x)` with a non-literal argument (1-based lines). */
  unknown: number[];
}

const enum P {
  Name,
  Str,
  Op,
}

interface PyToken {
  t: P;
  v: string;
  line: number;
}

const STRING_PREFIX = /^(?:[rRbBuUfF]|[rR][bBfF]|[bBfF][rR])$/;

/** Tokens of the source, grouped into logical lines. */
function logicalLines(src: string): PyToken[][] {
  const lines: PyToken[][] = [];
  let current: PyToken[] = [];
  let depth = 0;
  let line = 1;
  const n = src.length;
  const flush = () => {
    if (current.length > 0) lines.push(current);
    current = [];
  };
  let i = 0;
  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
      if (depth === 0) flush();
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
    } else if (c === '#') {
      while (i < n && src[i] !== '\n') i++;
    } else if (c === '\\' && (src[i + 1] === '\n' || (src[i + 1] === '\r' && src[i + 2] === '\n'))) {
      i += src[i + 1] === '\n' ? 2 : 3;
      line++;
    } else if (c === '"' || c === "'") {
      const start = line;
      const triple = src[i + 1] === c && src[i + 2] === c;
      const quote = triple ? c.repeat(3) : c;
      i += quote.length;
      let value = '';
      while (i < n) {
        const d = src[i]!;
        if (d === '\\') {
          if (src[i + 1] === '\n') line++;
          value += src[i + 1] ?? '';
          i += 2;
          continue;
        }
        if (src.startsWith(quote, i)) {
          i += quote.length;
          break;
        }
        if (d === '\n') {
          if (!triple) break; // Unclosed: end it with the line.
          line++;
        }
        value += d;
        i++;
      }
      current.push({ t: P.Str, v: value, line: start });
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const start = i;
      while (i < n && /[\w\u0080-\uffff]/.test(src[i]!)) i++;
      const word = src.slice(start, i);
      // A string prefix (`r'…'`, `f"…"`): the string token follows.
      if (!(STRING_PREFIX.test(word) && (src[i] === '"' || src[i] === "'"))) {
        current.push({ t: P.Name, v: word, line });
      }
    } else if (/[0-9]/.test(c)) {
      while (i < n && /[\w.]/.test(src[i]!)) i++;
      current.push({ t: P.Op, v: '0', line });
    } else {
      if (c === '(' || c === '[' || c === '{') depth++;
      else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
      if (c === ';' && depth === 0) flush();
      else current.push({ t: P.Op, v: c, line });
      i++;
    }
  }
  flush();
  return lines;
}

/** The import statements (and literal `import_module` calls) of one Python module. */
export function scanPythonImports(src: string): PyScan {
  const result: PyScan = { imports: [], unknown: [] };
  if (!src.includes('import')) return result;
  for (const toks of logicalLines(src)) {
    for (let k = 0; k < toks.length; k++) {
      const tok = toks[k]!;
      if (tok.t !== P.Name) continue;
      // A statement starts the logical line or follows `:` (`try: import x`, `if c: from a import b`).
      const atStatement = k === 0 || (toks[k - 1]!.t === P.Op && toks[k - 1]!.v === ':');
      if (atStatement && tok.v === 'import') {
        k = parseImport(toks, k + 1, result);
      } else if (atStatement && tok.v === 'from') {
        k = parseFrom(toks, k + 1, result);
      } else if (
        (tok.v === 'import_module' || tok.v === '__import__') &&
        toks[k + 1]?.v === '(' &&
        !(toks[k - 1]?.t === P.Name && toks[k - 1]!.v === 'def')
      ) {
        const arg = toks[k + 2];
        const after = toks[k + 3];
        if (arg?.t === P.Str && (after?.v === ')' || after?.v === ',') && !arg.v.startsWith('.')) {
          result.imports.push({ level: 0, module: arg.v, names: [], line: tok.line });
        } else if (arg?.v !== ')') result.unknown.push(tok.line);
      } else if (k === 0 && tok.v === 'pytest_plugins' && toks[1]?.v === '=') {
        // conftest.py: `pytest_plugins = ["pkg.fixtures", …]` loads those modules for every test below.
        for (const s of toks.slice(2)) {
          if (s.t === P.Str) result.imports.push({ level: 0, module: s.v, names: [], line: s.line });
        }
        break;
      }
    }
  }
  return result;
}

/** `a.b.c` from k; returns [name, next index]. */
function dotted(toks: PyToken[], k: number): [string, number] {
  let name = '';
  while (toks[k]?.t === P.Name && toks[k]!.v !== 'import') {
    name += toks[k]!.v;
    if (toks[k + 1]?.v === '.' && toks[k + 2]?.t === P.Name) {
      name += '.';
      k += 2;
    } else return [name, k + 1];
  }
  return [name, k];
}

function parseImport(toks: PyToken[], k: number, out: PyScan): number {
  const line = toks[k - 1]!.line;
  for (;;) {
    const [name, next] = dotted(toks, k);
    if (name === '') return k;
    out.imports.push({ level: 0, module: name, names: [], line });
    k = next;
    if (toks[k]?.v === 'as') k += 2;
    if (toks[k]?.v !== ',') return k - 1;
    k++;
  }
}

function parseFrom(toks: PyToken[], k: number, out: PyScan): number {
  const line = toks[k - 1]!.line;
  let level = 0;
  while (toks[k]?.v === '.') {
    level++;
    k++;
  }
  const [module, next] = dotted(toks, k);
  k = next;
  if (toks[k]?.v !== 'import' || (level === 0 && module === '')) return k;
  k++;
  const names: string[] = [];
  for (; k < toks.length; k++) {
    const tok = toks[k]!;
    if (tok.t === P.Name) {
      if (tok.v === 'as') k++;
      else names.push(tok.v);
    } else if (tok.v === '*') names.push('*');
    else if (tok.v !== '(' && tok.v !== ')' && tok.v !== ',') break;
  }
  out.imports.push({ level, module, names, line });
  return k - 1;
}

// ---------------------------------------------------------------------------------------------
// Resolution

export class PyResolver {
  private readonly dirs = new Set<string>(['.']);

  /**
   * @param files every file of the project, relative to it
   * @param roots import roots relative to the project (`.`, `src`…), tried after the file's own base
   */
  constructor(
    private readonly files: ReadonlySet<string>,
    private readonly roots: readonly string[],
  ) {
    for (const f of files) {
      for (let slash = f.lastIndexOf('/'); slash > 0; slash = f.lastIndexOf('/', slash - 1)) {
        const dir = f.slice(0, slash);
        if (this.dirs.has(dir)) break;
        this.dirs.add(dir);
      }
    }
  }

  private join(dir: string, name: string): string {
    return dir === '.' ? name : `${dir}/${name}`;
  }

  /**
   * The folder pytest puts on sys.path for a file (its "rootdir-relative basedir" in the default
   * `prepend` import mode): the first ancestor that is not a package.
   */
  baseDir(file: string): string {
    let dir = path.posix.dirname(file);
    while (dir !== '.' && this.files.has(this.join(dir, '__init__.py'))) dir = path.posix.dirname(dir);
    return dir;
  }

  /**
   * The files executed by importing dotted `module` below `root`: each package's `__init__.py`
   * on the way and the module itself; undefined when the top package is not there.
   */
  private fromRoot(root: string, parts: readonly string[]): string[] | undefined {
    const out: string[] = [];
    let dir = root;
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i]!;
      const sub = this.join(dir, name);
      const isLast = i === parts.length - 1;
      if (this.dirs.has(sub)) {
        const init = this.join(sub, '__init__.py');
        if (this.files.has(init)) out.push(init);
        dir = sub;
        // A package and a module of the same name: the package wins, as in CPython.
        continue;
      }
      if (isLast && this.files.has(`${sub}.py`)) {
        out.push(`${sub}.py`);
        return out;
      }
      // Not found: an unknown top-level name is not ours; deeper, keep what was found.
      return i === 0 ? undefined : out;
    }
    return out;
  }

  /** The files one import statement of `from` executes (project files only). */
  resolve(from: string, imp: PyImport): string[] {
    const parts = imp.module === '' ? [] : imp.module.split('.');
    let found: string[] | undefined;
    let pkgDir: string | undefined;
    if (imp.level > 0) {
      let base = path.posix.dirname(from);
      for (let l = 1; l < imp.level; l++) base = base === '.' ? '..' : path.posix.dirname(base);
      if (base.startsWith('..')) return [];
      found = this.fromRoot(base, parts) ?? [];
      if (parts.length === 0) {
        const init = this.join(base, '__init__.py');
        if (this.files.has(init)) found.push(init);
      }
      pkgDir = parts.length === 0 ? base : this.join(base, parts.join('/'));
    } else {
      for (const root of [this.baseDir(from), ...this.roots]) {
        found = this.fromRoot(root, parts);
        if (found !== undefined) {
          pkgDir = this.join(root, parts.join('/'));
          break;
        }
      }
      if (found === undefined) return [];
    }
    // `from pkg import name`: name may be a submodule of the package.
    if (pkgDir !== undefined && this.dirs.has(pkgDir)) {
      for (const name of imp.names) {
        if (name === '*') continue;
        const sub = this.join(pkgDir, name);
        if (this.files.has(`${sub}.py`)) found.push(`${sub}.py`);
        else if (this.files.has(this.join(sub, '__init__.py'))) found.push(this.join(sub, '__init__.py'));
      }
    }
    return found;
  }

  /**
   * What runs whenever `file` is imported, whatever imported it: the `__init__.py` of its package
   * (and, for an `__init__.py`, its parent package's).
   */
  implicit(file: string): string[] {
    let dir = path.posix.dirname(file);
    if (path.posix.basename(file) === '__init__.py') {
      if (dir === '.') return [];
      dir = path.posix.dirname(dir);
    }
    const init = this.join(dir, '__init__.py');
    return this.files.has(init) && init !== file ? [init] : [];
  }

  /** The conftest.py files pytest loads for a test file: one per folder from the project root down. */
  conftests(testFile: string): string[] {
    const out: string[] = [];
    let dir = path.posix.dirname(testFile);
    for (;;) {
      const c = this.join(dir, 'conftest.py');
      if (this.files.has(c)) out.push(c);
      if (dir === '.') break;
      dir = path.posix.dirname(dir);
    }
    return out.reverse();
  }
}
