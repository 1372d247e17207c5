import * as path from 'node:path';
import { parseJsonc } from './testFiles';

/**
 * The JavaScript/TypeScript half of the import graph: a tolerant scanner that finds the module
 * specifiers of a source file, and a resolver that maps them to files of the project.
 *
 * The scanner is a small tokenizer, not a parser: it skips comments, strings, template literals
 * and regular expressions (told apart from division by the token before them), and recognises
 * `import … from 'x'`, `import 'x'`, `import type … from 'x'`, `export … from 'x'`, `import('x')`,
 * `require('x')` and TS `import x = require('x')`. A string that is not closed on its line ends
 * there, so JSX text with an apostrophe costs one line, not the file. `typescript`'s
 * `preProcessFile` finds the same specifiers (a unit test compares them on NAVI's own sources) but
 * would add megabytes to dist/server.js.
 */

export type JsImportKind = 'static' | 'type' | 'reexport' | 'dynamic' | 'require' | 'import-equals';

export interface JsImport {
  specifier: string;
  /**
   * `type`: `import type` / `export type … from`. Erased at run time, so it cannot change what a
   * test does, but it can break the typecheck of the test file: it is an edge like any other.
   */
  kind: JsImportKind;
  /** 1-based. */
  line: number;
}

export interface JsScan {
  imports: JsImport[];
  /**
   * `require(x)` / `import(x)` with an argument that is not a literal (1-based lines): the file
   * may load any module, so the graph treats it as depending on every file (see index.ts).
   */
  unknown: number[];
}

const enum T {
  Ident,
  Str,
  Template,
  Num,
  Regex,
  Punct,
}

interface Token {
  t: T;
  /** Identifier name, string value, or the punctuator character. */
  v: string;
  pos: number;
  /** On `)`: it closes `if (…)`, `while (…)`, `for (…)` or `with (…)`, so a `/` after it starts a regexp. */
  control?: boolean;
}

/** Keywords after which a `/` starts a regular expression rather than a division. */
const REGEX_AFTER = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

const CONTROL = new Set(['if', 'while', 'for', 'with']);

const isIdStart = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c === 35 || c > 127;

// Sticky regexps do the character loops: they run as native code even before the tokenizer is
// optimized, which makes the first selection in a fresh agent several times faster.
const WHITESPACE = /[ \t\r\n]+/y;
const IDENT = /[\w$#\u0080-\uffff]+/y;
const NUMBER = /[\w.]+/y;
/** A string's characters up to its quote; one left open ends before the line break. */
const SINGLE = /(?:[^'\\\n]+|\\[^])*/y;
const DOUBLE = /(?:[^"\\\n]+|\\[^])*/y;
/** Template characters up to `, ${ or the end. (Runs of plain characters match as one step, and none of these can fail, so nothing backtracks.) */
const TEMPLATE_CHARS = /(?:[^`\\$]+|\\[^]|\$(?!\{))*/y;
const unescape = (raw: string) => (raw.includes('\\') ? raw.replace(/\\([^])/g, '$1') : raw);

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  // One entry per open `{`: true when it is a template's `${`, so its `}` resumes the template.
  const braces: boolean[] = [];
  // One entry per open `(`: true when it follows if/while/for/with.
  const parens: boolean[] = [];
  const n = src.length;
  let i = 0;
  /** Where `re` stops matching from i (i when it does not match: a failed exec resets lastIndex). */
  const match = (re: RegExp) => {
    re.lastIndex = i;
    return re.test(src) ? re.lastIndex : i;
  };

  const regexAllowed = () => {
    const last = tokens[tokens.length - 1];
    if (last === undefined) return true;
    if (last.t === T.Punct) return last.v === ')' ? last.control === true : last.v !== ']';
    if (last.t === T.Ident) return REGEX_AFTER.has(last.v);
    return false;
  };

  /** Scans template characters from i (just after '`' or '}'); pushes a token. */
  const templatePart = (start: number, head: boolean) => {
    const from = i;
    i = match(TEMPLATE_CHARS);
    const value = unescape(src.slice(from, i));
    if (src.charCodeAt(i) === 96) {
      i++;
      // A whole template without substitutions is a literal.
      tokens.push({ t: head ? T.Str : T.Template, v: value, pos: start });
    } else {
      if (i < n) {
        i += 2;
        braces.push(true);
      }
      tokens.push({ t: T.Template, v: value, pos: start });
    }
  };

  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i = match(WHITESPACE);
    } else if (c === 47 && src.charCodeAt(i + 1) === 47) {
      const eol = src.indexOf('\n', i);
      i = eol < 0 ? n : eol;
    } else if (c === 47 && src.charCodeAt(i + 1) === 42) {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === 39 || c === 34) {
      const start = i;
      i++;
      i = match(c === 39 ? SINGLE : DOUBLE);
      tokens.push({ t: T.Str, v: unescape(src.slice(start + 1, i)), pos: start });
      if (src.charCodeAt(i) === c) i++;
    } else if (c === 96) {
      const start = i;
      i++;
      templatePart(start, true);
    } else if (isIdStart(c)) {
      const start = i;
      i = match(IDENT);
      tokens.push({ t: T.Ident, v: src.slice(start, i), pos: start });
    } else if (c >= 48 && c <= 57) {
      const start = i;
      i = match(NUMBER);
      tokens.push({ t: T.Num, v: src.slice(start, i), pos: start });
    } else if (c === 47 && regexAllowed()) {
      const start = i;
      let j = i + 1;
      let inClass = false;
      let closed = false;
      while (j < n) {
        const d = src.charCodeAt(j);
        if (d === 10) break;
        if (d === 92) j += 2;
        else {
          if (d === 91) inClass = true;
          else if (d === 93) inClass = false;
          else if (d === 47 && !inClass) {
            closed = true;
            j++;
            break;
          }
          j++;
        }
      }
      if (closed) {
        i = j;
        i = match(IDENT);
        tokens.push({ t: T.Regex, v: '', pos: start });
      } else {
        i++;
        tokens.push({ t: T.Punct, v: '/', pos: start });
      }
    } else if (c === 123) {
      braces.push(false);
      tokens.push({ t: T.Punct, v: '{', pos: i });
      i++;
    } else if (c === 125) {
      const start = i;
      i++;
      if (braces.pop() === true) templatePart(start, false);
      else tokens.push({ t: T.Punct, v: '}', pos: start });
    } else if (c === 40) {
      const last = tokens[tokens.length - 1];
      parens.push(last?.t === T.Ident && CONTROL.has(last.v));
      tokens.push({ t: T.Punct, v: '(', pos: i });
      i++;
    } else if (c === 41) {
      tokens.push(
        parens.pop() ? { t: T.Punct, v: ')', pos: i, control: true } : { t: T.Punct, v: ')', pos: i },
      );
      i++;
    } else {
      tokens.push({ t: T.Punct, v: src[i]!, pos: i });
      i++;
    }
  }
  return tokens;
}

function lineStarts(src: string): number[] {
  const starts = [0];
  for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineAt(starts: number[], pos: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** The module specifiers of one JavaScript/TypeScript source file. */
export function scanJsImports(src: string): JsScan {
  const result: JsScan = { imports: [], unknown: [] };
  if (!src.includes('import') && !src.includes('require') && !src.includes('export')) return result;
  const tokens = tokenize(src);
  let starts: number[] | undefined;
  const line = (pos: number) => lineAt((starts ??= lineStarts(src)), pos);
  const is = (k: number, t: T, v?: string) => {
    const tok = tokens[k];
    return tok !== undefined && tok.t === t && (v === undefined || tok.v === v);
  };
  const add = (k: number, kind: JsImportKind) =>
    result.imports.push({ specifier: tokens[k]!.v, kind, line: line(tokens[k]!.pos) });
  /** After `(` at k: a literal argument → its index; otherwise -1 (and -2 for an empty call). */
  const literalArg = (k: number) =>
    is(k + 1, T.Str) && (is(k + 2, T.Punct, ')') || is(k + 2, T.Punct, ','))
      ? k + 1
      : is(k + 1, T.Punct, ')')
        ? -2
        : -1;
  /** Scans an import/export clause from k for `from '<x>'`; the string's index or -1. */
  const fromClause = (k: number, limit: number) => {
    let depth = 0;
    for (let j = k; j < Math.min(tokens.length, k + limit); j++) {
      const tok = tokens[j]!;
      if (tok.t === T.Ident) {
        if (tok.v === 'from' && depth === 0 && is(j + 1, T.Str)) return j + 1;
      } else if (tok.t === T.Punct) {
        if (tok.v === '{') depth++;
        else if (tok.v === '}') {
          if (--depth < 0) return -1;
        } else if (tok.v !== ',' && tok.v !== '*') return -1;
      } else return -1;
    }
    return -1;
  };

  for (let k = 0; k < tokens.length; k++) {
    const tok = tokens[k]!;
    if (tok.t !== T.Ident) continue;
    const prev = tokens[k - 1];
    // `a.import`, `a.require(`: a property, not the keyword (but `...require(x)` is a spread).
    if (prev?.t === T.Punct && prev.v === '.' && !(tokens[k - 2]?.v === '.')) continue;
    if (tok.v === 'import') {
      if (is(k + 1, T.Punct, '(')) {
        const arg = literalArg(k + 1);
        if (arg >= 0) add(arg, 'dynamic');
        else if (arg === -1) result.unknown.push(line(tok.pos));
      } else if (is(k + 1, T.Str)) {
        add(k + 1, 'static');
      } else if (is(k + 1, T.Ident) || is(k + 1, T.Punct, '{') || is(k + 1, T.Punct, '*')) {
        const typeOnly =
          (is(k + 1, T.Ident, 'type') || is(k + 1, T.Ident, 'typeof')) &&
          !is(k + 2, T.Ident, 'from') &&
          !is(k + 2, T.Punct, ',') &&
          !is(k + 2, T.Punct, '=');
        // `import x = require('y')` / `import type x = require('y')`
        const eq = typeOnly ? k + 3 : k + 2;
        if (is(eq, T.Punct, '=') && is(eq + 1, T.Ident, 'require') && is(eq + 2, T.Punct, '(')) {
          const arg = literalArg(eq + 2);
          if (arg >= 0) add(arg, typeOnly ? 'type' : 'import-equals');
          k = eq + 2;
          continue;
        }
        const spec = fromClause(typeOnly ? k + 2 : k + 1, 4096);
        if (spec >= 0) {
          add(spec, typeOnly ? 'type' : 'static');
          k = spec;
        }
      }
    } else if (tok.v === 'export') {
      let j = k + 1;
      const typeOnly = is(j, T.Ident, 'type') && (is(j + 1, T.Punct, '{') || is(j + 1, T.Punct, '*'));
      if (typeOnly) j++;
      if (is(j, T.Punct, '*')) {
        // `export * from 'x'`, `export * as ns from 'x'`
        const spec = is(j + 1, T.Ident, 'as')
          ? is(j + 3, T.Ident, 'from') && is(j + 4, T.Str)
            ? j + 4
            : -1
          : is(j + 1, T.Ident, 'from') && is(j + 2, T.Str)
            ? j + 2
            : -1;
        if (spec >= 0) add(spec, typeOnly ? 'type' : 'reexport');
      } else if (is(j, T.Punct, '{')) {
        const spec = fromClause(j, 4096);
        if (spec >= 0) add(spec, typeOnly ? 'type' : 'reexport');
      }
    } else if (tok.v === 'require' && is(k + 1, T.Punct, '(')) {
      if (prev?.t === T.Ident && prev.v === 'function') continue;
      const arg = literalArg(k + 1);
      if (arg >= 0) add(arg, 'require');
      else if (arg === -1 && !definesMethod(tokens, k + 1)) result.unknown.push(line(tok.pos));
    }
  }
  return result;
}

/** `require(name) {` — a method called require, not a call. */
function definesMethod(tokens: Token[], open: number): boolean {
  let depth = 0;
  for (let j = open; j < tokens.length && j < open + 64; j++) {
    const tok = tokens[j]!;
    if (tok.t !== T.Punct) continue;
    if (tok.v === '(') depth++;
    else if (tok.v === ')' && --depth === 0) return tokens[j + 1]?.t === T.Punct && tokens[j + 1]!.v === '{';
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Resolution

/** Extensions probed after a specifier without one, in TypeScript's order, then JavaScript's. */
export const JS_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.d.ts', '.js', '.jsx', '.mjs', '.cjs'];
/** Files the scanner reads for imports (others — JSON, CSS — are leaves of the graph). */
export const JS_SOURCE = /\.(?:[cm]?[jt]sx?|vue|svelte|astro)$/;
/** The TypeScript convention: `./x.js` in the source is `./x.ts` on disk. */
const JS_TO_TS: Record<string, string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};

/** A package of the workspace (npm/yarn/pnpm workspaces, or the project itself), by its name. */
export interface WorkspacePackage {
  name: string;
  /** Its folder relative to the graph root (`.` for the root). */
  dir: string;
  manifest: Record<string, unknown>;
}

/** tsconfig `compilerOptions.paths` / `baseUrl`, with folders relative to the graph root. */
export interface TsPaths {
  /** Folder that non-relative specifiers may resolve against (`baseUrl`), if set. */
  baseUrl?: string;
  /** Folder `paths` targets are relative to (baseUrl, or the tsconfig's folder). */
  pathsBase: string;
  paths: { pattern: string; targets: string[] }[];
}

export interface JsResolverInput {
  /** Every file of the graph root, `/`-separated, relative to it. */
  files: ReadonlySet<string>;
  packages: readonly WorkspacePackage[];
  /** The nearest tsconfig/jsconfig's paths for a folder (relative); undefined when there is none. */
  tsPathsFor: (dir: string) => TsPaths | undefined;
}

/** Output folders of a package whose sources sit in `src/` (`dist/index.js` → `src/index.ts`). */
const BUILD_DIR = /^(?:\.\/)?(?:dist|build|lib|out|esm|cjs)\//;

export class JsResolver {
  private readonly packages = new Map<string, WorkspacePackage>();
  private readonly dirs = new Set<string>();

  constructor(private readonly input: JsResolverInput) {
    for (const pkg of input.packages) this.packages.set(pkg.name, pkg);
    for (const f of input.files) {
      for (let slash = f.lastIndexOf('/'); slash > 0; slash = f.lastIndexOf('/', slash - 1)) {
        const dir = f.slice(0, slash);
        if (this.dirs.has(dir)) break;
        this.dirs.add(dir);
      }
    }
  }

  /**
   * The project file that `specifier`, imported from the file `from`, loads; undefined for a
   * package from node_modules, a Node built-in, or a path that does not exist.
   */
  resolve(from: string, specifier: string): string | undefined {
    const spec = specifier.replace(/[?#].*$/, '');
    if (spec === '') return undefined;
    const fromDir = path.posix.dirname(from);
    if (spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..') {
      return this.probe(path.posix.join(fromDir, spec));
    }
    if (spec.startsWith('/') || /^[a-z]+:/i.test(spec)) return undefined; // Absolute, node:, http:
    const ts = this.input.tsPathsFor(fromDir);
    if (ts) {
      for (const { pattern, targets } of ts.paths) {
        const star = pattern.indexOf('*');
        let captured: string | undefined;
        if (star < 0) captured = pattern === spec ? '' : undefined;
        else if (
          spec.length >= pattern.length - 1 &&
          spec.startsWith(pattern.slice(0, star)) &&
          spec.endsWith(pattern.slice(star + 1))
        )
          captured = spec.slice(star, spec.length - (pattern.length - star - 1));
        if (captured === undefined) continue;
        for (const target of targets) {
          const hit = this.probe(path.posix.join(ts.pathsBase, target.replace('*', captured)));
          if (hit) return hit;
        }
      }
    }
    const pkgHit = this.resolvePackage(spec);
    if (pkgHit) return pkgHit;
    if (ts?.baseUrl !== undefined) return this.probe(path.posix.join(ts.baseUrl, spec));
    return undefined;
  }

  private has(rel: string): boolean {
    return this.input.files.has(rel);
  }

  /** A path without or with an extension → the file it names (extension probing, `index.*`, `.js`→`.ts`). */
  probe(rel: string): string | undefined {
    const p = rel === '' ? '.' : path.posix.normalize(rel);
    if (p.startsWith('../') || p === '..') return undefined;
    const ext = path.posix.extname(p);
    if (this.has(p)) return p;
    for (const alt of JS_TO_TS[ext] ?? []) {
      const candidate = p.slice(0, -ext.length) + alt;
      if (this.has(candidate)) return candidate;
    }
    for (const e of JS_EXTENSIONS) if (this.has(p + e)) return p + e;
    if (p === '.' || this.dirs.has(p)) {
      const base = p === '.' ? '' : `${p}/`;
      for (const e of JS_EXTENSIONS) if (this.has(`${base}index${e}`)) return `${base}index${e}`;
    }
    return undefined;
  }

  /** `pkg` / `@scope/pkg/sub` of a workspace package → its entry (exports, main, src/). */
  private resolvePackage(spec: string): string | undefined {
    const parts = spec.split('/');
    const nameLen = spec.startsWith('@') ? 2 : 1;
    const pkg = this.packages.get(parts.slice(0, nameLen).join('/'));
    if (!pkg) return undefined;
    const sub = parts.slice(nameLen).join('/');
    const inPkg = (target: string) => {
      const rel = path.posix.join(pkg.dir, target);
      return (
        this.probe(rel) ??
        (BUILD_DIR.test(target)
          ? this.probe(path.posix.join(pkg.dir, target.replace(BUILD_DIR, 'src/')).replace(/\.d\.ts$/, ''))
          : undefined)
      );
    };
    for (const target of exportTargets(pkg.manifest.exports, sub === '' ? '.' : `./${sub}`)) {
      const hit = inPkg(target);
      if (hit) return hit;
    }
    if (sub !== '') return inPkg(sub) ?? inPkg(`src/${sub}`);
    for (const field of ['source', 'module', 'main', 'types', 'typings']) {
      const target = pkg.manifest[field];
      if (typeof target === 'string') {
        const hit = inPkg(target);
        if (hit) return hit;
      }
    }
    return inPkg('src/index') ?? inPkg('index');
  }
}

/** The targets of package.json `exports` for a subpath (`.`, `./sub`), all conditions, in order. */
export function exportTargets(exports: unknown, subpath: string): string[] {
  if (exports === undefined || exports === null) return [];
  const flatten = (v: unknown, star?: string): string[] => {
    if (typeof v === 'string') return [star === undefined ? v : v.replaceAll('*', star)];
    if (Array.isArray(v)) return v.flatMap((x) => flatten(x, star));
    if (v && typeof v === 'object') return Object.values(v).flatMap((x) => flatten(x, star));
    return [];
  };
  if (typeof exports === 'string' || Array.isArray(exports)) return subpath === '.' ? flatten(exports) : [];
  if (typeof exports !== 'object') return [];
  const map = exports as Record<string, unknown>;
  const keys = Object.keys(map);
  if (!keys.some((k) => k.startsWith('.'))) return subpath === '.' ? flatten(map) : [];
  if (subpath in map) return flatten(map[subpath]);
  for (const key of keys) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const [head, tail] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(head) && subpath.endsWith(tail) && subpath.length >= key.length - 1)
      return flatten(map[key], subpath.slice(head.length, subpath.length - tail.length));
  }
  return [];
}

/**
 * Reads the paths of a tsconfig/jsconfig and the configs it `extends` (relative paths only; a
 * config from a package is not followed). `read` returns a file's text (relative to the graph root).
 */
export async function readTsPaths(
  configRel: string,
  read: (rel: string) => Promise<string | undefined>,
): Promise<TsPaths | undefined> {
  let baseUrl: string | undefined;
  let paths: Record<string, unknown> | undefined;
  let pathsDir: string | undefined;
  let current: string | undefined = configRel;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    const text = await read(current);
    const cfg = text === undefined ? undefined : (parseJsonc(text) as Record<string, unknown> | undefined);
    if (!cfg || typeof cfg !== 'object') break;
    const dir = path.posix.dirname(current);
    const opts = (cfg.compilerOptions ?? {}) as Record<string, unknown>;
    // The nearest config wins for each option; its folder anchors the option's paths.
    if (baseUrl === undefined && typeof opts.baseUrl === 'string')
      baseUrl = path.posix.join(dir, opts.baseUrl);
    if (paths === undefined && opts.paths && typeof opts.paths === 'object') {
      paths = opts.paths as Record<string, unknown>;
      pathsDir = dir;
    }
    const ext = typeof cfg.extends === 'string' ? cfg.extends : undefined;
    current =
      ext && (ext.startsWith('./') || ext.startsWith('../'))
        ? path.posix.normalize(path.posix.join(dir, ext.endsWith('.json') ? ext : `${ext}.json`))
        : undefined;
  }
  if (baseUrl === undefined && paths === undefined) return undefined;
  return {
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    pathsBase: baseUrl ?? pathsDir ?? '.',
    paths: Object.entries(paths ?? {}).map(([pattern, targets]) => ({
      pattern,
      targets: Array.isArray(targets) ? targets.filter((t): t is string => typeof t === 'string') : [],
    })),
  };
}
