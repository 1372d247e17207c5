import * as fs from 'node:fs';
import * as path from 'node:path';
import { listGitFiles } from '../../scan/git';
import { DirGuard, readSmallText } from '../../scan/safeFs';
import { SkippedList, baseOf } from '../../scan/types';
import { walkFiles } from '../../scan/walk';

/**
 * The files of a project and which of them are tests, by the conventions of the test runners.
 * Listing uses git (tracked and untracked-but-not-ignored files) inside a work tree, the scan's
 * `.gitignore`-aware walk elsewhere; dependency, virtualenv and build folders are dropped either way.
 */

/** Which import graph applies to a project's ecosystem (`ProjectProfile.ecosystem`). */
export type GraphKind = 'js' | 'python';

export function graphKindOf(ecosystem: string): GraphKind | undefined {
  const e = ecosystem.toLowerCase();
  if (e === 'node' || e === 'javascript' || e === 'typescript' || e === 'js' || e === 'ts') return 'js';
  if (e === 'python' || e === 'py') return 'python';
  return undefined;
}

/** Folders never listed: installed dependencies, virtualenvs, build output, caches. */
const SKIPPED_DIRS = new Set([
  'node_modules',
  '.git',
  '.venv',
  'venv',
  '.tox',
  '.nox',
  '__pycache__',
  '.pytest_cache',
  '.mypy_cache',
  'dist',
  'build',
  'coverage',
]);

/** Whether a `/`-separated relative path lies in a skipped folder. */
export function inSkippedDir(rel: string): boolean {
  let start = 0;
  for (;;) {
    const slash = rel.indexOf('/', start);
    if (slash < 0) return false;
    if (SKIPPED_DIRS.has(rel.slice(start, slash))) return true;
    start = slash + 1;
  }
}

export interface ListOptions {
  signal?: AbortSignal;
}

/**
 * Every file below `dir` as `/`-separated paths relative to it (symlinks and submodules left
 * out: the graph never follows a link out of the project), skipped folders dropped.
 */
export async function listProjectFiles(dir: string, opts: ListOptions = {}): Promise<string[]> {
  const signal = opts.signal ?? new AbortController().signal;
  const real = fs.realpathSync(dir);
  const out: string[] = [];
  // git ls-files straight away (no rev-parse first: one process less); outside a work tree, or
  // without git, it fails and the directory walk lists the files instead.
  const listed = await listGitFiles(real, signal).catch(() => {
    signal.throwIfAborted();
    return undefined;
  });
  if (listed !== undefined) {
    for (const entry of listed.tracked) {
      if (entry.name === undefined || entry.mode === 160000 || entry.mode === 120000) continue;
      if (!inSkippedDir(entry.name)) out.push(entry.name);
    }
    for (const entry of listed.untracked) {
      if (entry.name !== undefined && !inSkippedDir(entry.name)) out.push(entry.name);
    }
  } else {
    // TODO: walkFiles cannot prune folders, so a non-git project without a .gitignore still has its
    // node_modules walked (and then dropped here); a skip option on walkFiles would save that time.
    for (const entry of await walkFiles(real, new SkippedList(0), signal)) {
      if (entry.readable && !entry.symlink && !inSkippedDir(entry.path)) out.push(entry.path);
    }
  }
  return [...new Set(out)].sort();
}

// ---------------------------------------------------------------------------------------------
// Globs (mocha `spec`, jest `testMatch`): `**`, `*`, `?`, `[…]`, `{a,b}` and the extglobs
// `?(…) *(…) +(…) @(…) !(…)` that jest's defaults use. Paths are `/`-separated and relative.

export function globToRegExp(glob: string): RegExp {
  let g = glob.replace(/^<rootDir>\//, '').replace(/^\.\//, '');
  if (g.startsWith('/')) g = g.slice(1);
  let re = '';
  const braces: number[] = [];
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    const next = g[i + 1];
    if ('?*+@!'.includes(c) && next === '(') {
      // Extglob: find the group's end and translate its alternatives.
      let depth = 0;
      let j = i + 1;
      for (; j < g.length; j++) {
        if (g[j] === '(') depth++;
        else if (g[j] === ')' && --depth === 0) break;
      }
      const inner = g
        .slice(i + 2, j)
        .split('|')
        .map((alt) => globToRegExp(alt).source.slice(1, -1))
        .join('|');
      re +=
        c === '?'
          ? `(?:${inner})?`
          : c === '*'
            ? `(?:${inner})*`
            : c === '+'
              ? `(?:${inner})+`
              : c === '@'
                ? `(?:${inner})`
                : `(?!(?:${inner}))[^/]*`;
      i = j;
    } else if (c === '*') {
      if (next === '*') {
        const atStart = i === 0 || g[i - 1] === '/';
        i++;
        if (atStart && g[i + 1] === '/') {
          re += '(?:[^/]*/)*';
          i++;
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = g.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${g.slice(i + 1, end).replace(/^!/, '^')}]`;
        i = end;
      }
    } else if (c === '{') {
      braces.push(i);
      re += '(?:';
    } else if (c === '}' && braces.length > 0) {
      braces.pop();
      re += ')';
    } else if (c === ',' && braces.length > 0) re += '|';
    else if (c === '\\' && next !== undefined) {
      re += next.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i++;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Parses JSON with comments and trailing commas (tsconfig, .mocharc.jsonc); undefined when it is not JSON. */
export function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else out += c;
  }
  try {
    return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Conventions

const JS_EXT = /\.(?:[cm]?[jt]sx?)$/;
const JS_TEST_NAME = /\.(?:test|spec)\.[cm]?[jt]sx?$/;
const JS_TEST_DIR = /(?:^|\/)(?:test|tests|__tests__)\//;
/** Folders under test/ that hold data and helpers, not tests. */
const NOT_TEST_DIR = /(?:^|\/)(?:fixtures|__fixtures__|__mocks__|__snapshots__|helpers|support)\//;
const PY_TEST_NAME = /(?:^|\/)(?:test_[^/]*|[^/]*_test)\.py$/;

/** A compiled glob or regexp, tested against a `/`-separated path relative to the project. */
export interface PathMatcher {
  test(rel: string): boolean;
}

/** What the project's runner configuration says about its tests. */
export interface TestConventions {
  /** Globs or regexps from `.mocharc*` `spec` and package.json `jest.testMatch`/`testRegex`, when present. */
  patterns: PathMatcher[];
  /** Where they came from (`.mocharc.json#spec`), for reports. */
  sources: string[];
  /**
   * Files every test loads before it runs (mocha `require`/`file`, jest `setupFiles*`), relative
   * to the project: a change to one of them affects all tests.
   */
  setupFiles: string[];
}

const asList = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** The `key:` entry of a simple YAML file: `key: value`, `key: [a, b]` or a `- item` list under it. */
function yamlList(text: string, key: string): string[] {
  const lines = text.split(/\r?\n/);
  const unquote = (s: string) => s.trim().replace(/^['"]|['"]$/g, '');
  for (let i = 0; i < lines.length; i++) {
    const m = new RegExp(`^${key}\\s*:\\s*(.*)$`).exec(lines[i]!);
    if (!m) continue;
    const rest = m[1]!.replace(/\s+#.*$/, '').trim();
    if (rest.startsWith('[')) return rest.slice(1, -1).split(',').map(unquote).filter(Boolean);
    if (rest) return [unquote(rest)];
    const items: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const item = /^\s+-\s*(.+)$/.exec(lines[j]!);
      if (item) items.push(unquote(item[1]!));
      else if (lines[j]!.trim() !== '') break;
    }
    return items;
  }
  return [];
}

function localPath(spec: string): string | undefined {
  if (!spec.startsWith('./') && !spec.startsWith('../') && !/\.[cm]?[jt]sx?$/.test(spec)) return undefined;
  return path.posix.normalize(spec.replace(/^<rootDir>\//, ''));
}

/**
 * Reads the runner configuration at the project root. JS config files (`.mocharc.js`,
 * `jest.config.js`) are not evaluated: their project falls back to the default conventions.
 */
export async function readTestConventions(
  projectDir: string,
  files: readonly string[],
): Promise<TestConventions> {
  const guard = new DirGuard(fs.realpathSync(projectDir));
  const conv: TestConventions = { patterns: [], sources: [], setupFiles: [] };
  const addSpec = (spec: string, source: string, extensions: string[], recursive: boolean) => {
    const clean = spec.replace(/^\.\//, '').replace(/\/$/, '');
    const isDir = !/[*?[{]/.test(clean) && files.some((f) => f.startsWith(`${clean}/`));
    const ext = `{${extensions.map((e) => e.replace(/^\./, '')).join(',')}}`;
    const glob = isDir ? `${clean}/${recursive ? '**/' : ''}*.${ext}` : clean;
    conv.patterns.push(globToRegExp(glob));
    conv.sources.push(source);
  };
  const mocha = (cfg: Record<string, unknown>, source: string) => {
    const ext = asList(cfg.extension);
    const extensions = ext.length > 0 ? ext : ['js', 'cjs', 'mjs'];
    for (const spec of asList(cfg.spec)) addSpec(spec, `${source}#spec`, extensions, cfg.recursive === true);
    for (const f of [...asList(cfg.require), ...asList(cfg.file)]) {
      const p = localPath(f);
      if (p) conv.setupFiles.push(p);
    }
  };
  for (const rel of files) {
    if (rel.includes('/') || !rel.startsWith('.mocharc')) continue;
    const text = await readSmallText(guard, rel);
    if (text === undefined) continue;
    if (/\.ya?ml$/.test(rel)) {
      mocha(
        {
          spec: yamlList(text, 'spec'),
          require: yamlList(text, 'require'),
          file: yamlList(text, 'file'),
          extension: yamlList(text, 'extension'),
        },
        rel,
      );
    } else if (/\.jsonc?$/.test(rel) || rel === '.mocharc') {
      const cfg = parseJsonc(text);
      if (cfg && typeof cfg === 'object') mocha(cfg as Record<string, unknown>, rel);
    }
  }
  const pkgText = files.includes('package.json') ? await readSmallText(guard, 'package.json') : undefined;
  const pkg =
    pkgText === undefined ? undefined : (parseJsonc(pkgText) as Record<string, unknown> | undefined);
  if (pkg && typeof pkg === 'object') {
    if (pkg.mocha && typeof pkg.mocha === 'object')
      mocha(pkg.mocha as Record<string, unknown>, 'package.json#mocha');
    const jest = pkg.jest as Record<string, unknown> | undefined;
    if (jest && typeof jest === 'object') {
      for (const glob of asList(jest.testMatch)) {
        conv.patterns.push(globToRegExp(glob));
        conv.sources.push('package.json#jest.testMatch');
      }
      for (const re of asList(jest.testRegex)) {
        try {
          // Jest matches testRegex against the absolute path; a leading `/` stands for the root.
          const regexp = new RegExp(re);
          conv.patterns.push({ test: (rel: string) => regexp.test(`/${rel}`) });
          conv.sources.push('package.json#jest.testRegex');
        } catch {
          // An invalid regexp: jest would refuse it too.
        }
      }
      for (const f of [...asList(jest.setupFiles), ...asList(jest.setupFilesAfterEnv)]) {
        const p = localPath(f);
        if (p) conv.setupFiles.push(p);
      }
    }
  }
  return conv;
}

/** Whether `rel` (relative to the project) is a test file by the runners' default conventions. */
export function isDefaultTestFile(rel: string, kind: GraphKind): boolean {
  if (kind === 'python') return PY_TEST_NAME.test(rel);
  if (!JS_EXT.test(rel) || /\.d\.[cm]?ts$/.test(rel) || NOT_TEST_DIR.test(rel)) return false;
  return JS_TEST_NAME.test(rel) || JS_TEST_DIR.test(rel);
}

export interface FindTestFilesOptions extends ListOptions {
  /** The project's files relative to projectDir (as listProjectFiles gives them), when already listed. */
  files?: readonly string[];
  /** The runner configuration, when already read. */
  conventions?: TestConventions;
}

/**
 * The project's test files, absolute, sorted. JavaScript/TypeScript: the `spec` globs of
 * `.mocharc*` and package.json `jest.testMatch`/`testRegex` when the project has them (they say
 * what its runner runs); otherwise `*.test.*`, `*.spec.*` and everything under `test/`, `tests/`
 * and `__tests__/` (not `fixtures/`, `helpers/`, `support/`, `__mocks__/`, not `.d.ts`). Python:
 * `test_*.py` and `*_test.py` (pytest's defaults). Other ecosystems: none (no graph for them).
 */
export async function findTestFiles(
  projectDir: string,
  ecosystem: string,
  opts: FindTestFilesOptions = {},
): Promise<string[]> {
  const kind = graphKindOf(ecosystem);
  if (kind === undefined) return [];
  const files = opts.files ?? (await listProjectFiles(projectDir, opts));
  const root = path.resolve(projectDir);
  let tests: string[];
  if (kind === 'js') {
    const conv = opts.conventions ?? (await readTestConventions(projectDir, files));
    tests =
      conv.patterns.length > 0
        ? files.filter((f) => JS_EXT.test(f) && conv.patterns.some((p) => p.test(f)))
        : files.filter((f) => isDefaultTestFile(f, 'js'));
  } else {
    tests = files.filter((f) => PY_TEST_NAME.test(f) && baseOf(f) !== 'conftest.py');
  }
  return tests.map((f) => path.join(root, f)).sort();
}
