import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AffectedSelection } from '../../../../protocol/testing';
import { yieldToLoop } from '../../scan/walk';
import { DirGuard, SAFE_OPEN_FLAGS, readSmallText } from '../../scan/safeFs';
import { baseOf } from '../../scan/types';
import {
  JS_SOURCE,
  JsResolver,
  type TsPaths,
  type WorkspacePackage,
  readTsPaths,
  scanJsImports,
} from './jsGraph';
import { PyResolver, scanPythonImports } from './pythonGraph';
import {
  type GraphKind,
  findTestFiles,
  globToRegExp,
  graphKindOf,
  inSkippedDir,
  listProjectFiles,
  parseJsonc,
  readTestConventions,
} from './testFiles';

/**
 * Affected tests first: given changed files, the test files that can be affected, found through
 * the import graph (JavaScript/TypeScript and Python), each with the chain of imports that links
 * it to a change.
 *
 * How the graph is built: the test files are the roots; every file reachable from them is read
 * once (breadth-first, in parallel batches) and its imports resolved; the edges are then walked
 * backwards from each changed file. Files no test reaches are never read.
 *
 * Conservative on purpose (a test that should have run and did not is worse than one too many):
 * - type-only imports are edges (they cannot change what a test does, but can break its typecheck);
 * - a file with a non-literal `require(x)` / `import(x)` / `import_module(x)` may load anything:
 *   every test that reaches it is selected for any changed source file (`reason: 'unknown-import'`);
 * - a change to configuration (manifests, lockfiles, tsconfig, runner configs, the root
 *   conftest.py, runner setup files) selects every test (`reason: 'config'`);
 * - an ecosystem without a graph gives `method: 'all'`.
 */

export { findTestFiles, listProjectFiles, readTestConventions } from './testFiles';
export { scanJsImports } from './jsGraph';
export { scanPythonImports } from './pythonGraph';

export interface SelectAffectedParams {
  /** Absolute project directory (the one whose tests run). */
  projectDir: string;
  /**
   * Absolute workspace root. When its package.json (or pnpm-workspace.yaml) declares workspaces,
   * the JS graph spans the whole workspace so imports of sibling packages are followed.
   */
  workspaceRoot?: string;
  /** `ProjectProfile.ecosystem`: `node` (JS/TS) and `python` have a graph; others get `method: 'all'`. */
  ecosystem: string;
  /** Changed files, absolute or relative to projectDir; deleted files are fine. */
  changed: readonly string[];
  /** The project's test files (absolute or relative to projectDir); found by the conventions when absent. */
  testFiles?: readonly string[];
  signal?: AbortSignal;
}

/** Why a test file was selected. */
export type SelectionReason =
  /** It is one of the changed files. */
  | 'changed'
  /** It imports a changed file, directly or transitively (`because` is the chain). */
  | 'import'
  /** A configuration file changed (`because` is [test, config file]). */
  | 'config'
  /** It reaches a file with a non-literal import, which may load the changed file (`because` ends there, then the change). */
  | 'unknown-import'
  /** No import graph for the ecosystem (`method: 'all'`): every test given runs. */
  | 'no-graph';

export interface AffectedTest {
  file: string;
  /** Absolute paths: the test file, each file it imports on the way, and the changed file last. */
  because: string[];
  reason: SelectionReason;
}

/**
 * `AffectedSelection` plus what a report needs to say why (extra fields are dropped when the
 * selection is parsed with the protocol schema).
 */
export interface AffectedAnalysis extends AffectedSelection {
  selected: AffectedTest[];
  /** Changed configuration files that made every test selected. */
  config: string[];
  /** Changed files that no test reaches (nothing selected for them), absolute. */
  unreached: string[];
  /** Files reached from the tests that load modules by computed names, with the line. */
  unknownImports: { file: string; line: number }[];
  /** Files read to build the graph. */
  filesRead: number;
  timings: { listMs: number; graphMs: number; totalMs: number };
}

// ---------------------------------------------------------------------------------------------
// Configuration changes

const JS_CONFIG = [
  /^package\.json$/,
  /^(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|pnpm-workspace\.yaml|bun\.lockb?|\.yarnrc(?:\.yml)?|\.npmrc)$/,
  /^[tj]sconfig(?:\..+)?\.json$/,
  /^(?:jest|vitest|vite|babel|karma|playwright|ava|webpack|rollup)\.config\.[cm]?[jt]s(?:on)?$/,
  /^vitest\.workspace\.[cm]?[jt]s(?:on)?$/,
  /^(?:jest|vitest)\.setup\.[cm]?[jt]sx?$/,
  /^setupTests\.[cm]?[jt]sx?$/,
  /^\.mocharc(?:\..+)?$/,
  /^\.babelrc(?:\..+)?$/,
  /^\.swcrc$/,
  /^\.(?:nvmrc|node-version)$/,
  /^\.env(?:\..+)?$/,
];
const PY_CONFIG = [
  /^(?:pyproject\.toml|setup\.cfg|setup\.py|pytest\.ini|tox\.ini|noxfile\.py)$/,
  /^(?:requirements|constraints)[\w.-]*\.(?:txt|in)$/,
  /^(?:Pipfile|Pipfile\.lock|poetry\.lock|uv\.lock|pdm\.lock|\.python-version)$/,
  /^\.env(?:\..+)?$/,
];

function isConfigName(name: string, kind: GraphKind): boolean {
  return (kind === 'js' ? JS_CONFIG : PY_CONFIG).some((re) => re.test(name));
}

// ---------------------------------------------------------------------------------------------
// Workspaces

async function readJson(guard: DirGuard, rel: string): Promise<Record<string, unknown> | undefined> {
  const text = await readSmallText(guard, rel);
  const value = text === undefined ? undefined : parseJsonc(text);
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The `workspaces` globs of a package.json and the `packages:` of pnpm-workspace.yaml at `guard`'s root. */
async function workspaceGlobs(guard: DirGuard): Promise<string[]> {
  const globs: string[] = [];
  const pkg = await readJson(guard, 'package.json');
  const ws = pkg?.workspaces;
  const list = Array.isArray(ws)
    ? ws
    : ws && typeof ws === 'object'
      ? (ws as { packages?: unknown }).packages
      : undefined;
  if (Array.isArray(list)) for (const g of list) if (typeof g === 'string') globs.push(g);
  const pnpm = await readSmallText(guard, 'pnpm-workspace.yaml');
  if (pnpm !== undefined) {
    const block = /^packages\s*:\s*\n((?:[ \t]+-.*\n?|[ \t]*#.*\n?|[ \t]*\n)*)/m.exec(pnpm);
    for (const m of block?.[1]?.matchAll(/^[ \t]+-\s*['"]?([^'"\n#]+?)['"]?\s*(?:#.*)?$/gm) ?? [])
      globs.push(m[1]!);
  }
  return globs;
}

/** The workspace packages (and the root package itself) by name, from the listed package.json files. */
async function workspacePackages(guard: DirGuard, files: readonly string[], globs: readonly string[]) {
  const include = globs.filter((g) => !g.startsWith('!')).map((g) => globToRegExp(g.replace(/\/$/, '')));
  const exclude = globs
    .filter((g) => g.startsWith('!'))
    .map((g) => globToRegExp(g.slice(1).replace(/\/$/, '')));
  const packages: WorkspacePackage[] = [];
  for (const f of files) {
    if (baseOf(f) !== 'package.json') continue;
    const dir = path.posix.dirname(f);
    if (dir !== '.' && (!include.some((re) => re.test(dir)) || exclude.some((re) => re.test(dir)))) continue;
    const manifest = await readJson(guard, f);
    if (manifest && typeof manifest.name === 'string') packages.push({ name: manifest.name, dir, manifest });
  }
  return packages;
}

// ---------------------------------------------------------------------------------------------
// Graph

interface Graph {
  /** Forward edges of every file read (relative to the graph root). */
  deps: Map<string, string[]>;
  /** Files with a non-literal import, and its line. */
  unknown: Map<string, number>;
  filesRead: number;
}

type DepsOf = (rel: string, text: string) => { deps: string[]; unknownLine?: number };

const MAX_SOURCE_BYTES = 4 * 1024 * 1024;

/**
 * readSmallText's rules (no symlink followed, at any level; regular files only; FIFOs cannot
 * block), synchronously: for a hundred small sources the async version costs ~25x the CPU
 * (five thread-pool round trips and their promises per file), which was most of a selection.
 */
function readSourceSync(guard: DirGuard, rel: string): string | undefined {
  const slash = rel.lastIndexOf('/');
  if (guard.check(slash < 0 ? '.' : rel.slice(0, slash)) !== 'ok') return undefined;
  const abs = path.join(guard.rootReal, rel);
  let fd: number | undefined;
  try {
    // lstat first: opening a device node can have side effects even if nothing is read.
    if (!fs.lstatSync(abs).isFile()) return undefined;
    fd = fs.openSync(abs, SAFE_OPEN_FLAGS);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > MAX_SOURCE_BYTES) return undefined;
    const buf = Buffer.alloc(st.size);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, n);
  } catch {
    return undefined; // Deleted (a changed file), unreadable: no imports.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Reads every file reachable from `roots`, breadth-first, yielding to the event loop between batches. */
async function buildGraph(
  guard: DirGuard,
  roots: readonly string[],
  parseable: (rel: string) => boolean,
  depsOf: DepsOf,
  implicit: (rel: string) => string[],
  signal: AbortSignal,
): Promise<Graph> {
  const graph: Graph = { deps: new Map(), unknown: new Map(), filesRead: 0 };
  const seen = new Set<string>(roots);
  let frontier = [...roots];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (let start = 0; start < frontier.length; start += 64) {
      signal.throwIfAborted();
      const batch = frontier.slice(start, start + 64);
      const texts = batch.map((rel) => (parseable(rel) ? readSourceSync(guard, rel) : undefined));
      for (let b = 0; b < batch.length; b++) {
        const rel = batch[b]!;
        const text = texts[b];
        const edges = implicit(rel);
        if (text !== undefined) {
          graph.filesRead++;
          const { deps, unknownLine } = depsOf(rel, text);
          edges.push(...deps);
          if (unknownLine !== undefined) graph.unknown.set(rel, unknownLine);
        }
        const unique = [...new Set(edges)].filter((d) => d !== rel);
        graph.deps.set(rel, unique);
        for (const d of unique) {
          if (!seen.has(d)) {
            seen.add(d);
            next.push(d);
          }
        }
      }
      await yieldToLoop();
    }
    frontier = next;
  }
  return graph;
}

/** Reverse BFS from `start`: for every file that reaches it, the next hop towards it. */
function reachersOf(start: string, reverse: ReadonlyMap<string, string[]>): Map<string, string | null> {
  const nextHop = new Map<string, string | null>([[start, null]]);
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const node = queue[q]!;
    for (const importer of reverse.get(node) ?? []) {
      if (nextHop.has(importer)) continue;
      nextHop.set(importer, node);
      queue.push(importer);
    }
  }
  return nextHop;
}

function chainFrom(test: string, nextHop: ReadonlyMap<string, string | null>): string[] {
  const chain = [test];
  for (let hop = nextHop.get(test); hop !== null && hop !== undefined; hop = nextHop.get(hop))
    chain.push(hop);
  return chain;
}

// ---------------------------------------------------------------------------------------------

const elapsed = (since: number) => Math.round((performance.now() - since) * 10) / 10;

function isWithin(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function toRelative(root: string, rootReal: string, file: string): string | undefined {
  for (const base of [root, rootReal]) {
    const rel = path.relative(base, file);
    if (rel === '') return '.';
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  }
  // A path through a symlink: compare real paths (of the parent, for a deleted file).
  try {
    const real = fs.realpathSync(path.dirname(file));
    const rel = path.relative(rootReal, path.join(real, path.basename(file)));
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  } catch {
    // Its folder is gone too.
  }
  return undefined;
}

/** Selects the test files a set of changes can affect. See the module comment for the rules. */
export async function selectAffected(params: SelectAffectedParams): Promise<AffectedAnalysis> {
  const t0 = performance.now();
  const signal = params.signal ?? new AbortController().signal;
  const projectDir = path.resolve(params.projectDir);
  const projectReal = fs.realpathSync(projectDir);
  const kind = graphKindOf(params.ecosystem);
  const changedAbs = [...new Set(params.changed.map((f) => path.resolve(projectDir, f)))];
  const analysis: AffectedAnalysis = {
    changed: changedAbs,
    selected: [],
    totalTestFiles: 0,
    method: 'import-graph',
    ranRest: false,
    config: [],
    unreached: [],
    unknownImports: [],
    filesRead: 0,
    timings: { listMs: 0, graphMs: 0, totalMs: 0 },
  };

  // The graph root: the workspace root when it declares workspaces (JS), else the project.
  let graphRoot = projectDir;
  let graphReal = projectReal;
  let wsGlobs: string[] = [];
  if (kind === 'js' && params.workspaceRoot !== undefined) {
    const wsRoot = path.resolve(params.workspaceRoot);
    const wsReal = fs.realpathSync(wsRoot);
    const inside = toRelative(wsRoot, wsReal, projectDir);
    if (inside !== undefined && inside !== '.') {
      wsGlobs = await workspaceGlobs(new DirGuard(wsReal));
      if (wsGlobs.length > 0) [graphRoot, graphReal] = [wsRoot, wsReal];
    }
  }
  const guard = new DirGuard(graphReal);
  const projectRel = toRelative(graphRoot, graphReal, projectDir) ?? '.';
  const inProject = (rel: string) => projectRel === '.' || rel.startsWith(`${projectRel}/`);
  const fromProject = (rel: string) => (projectRel === '.' ? rel : rel.slice(projectRel.length + 1));
  const abs = (rel: string) => (rel === '.' ? graphRoot : path.join(graphRoot, rel));

  const files = kind === undefined ? [] : await listProjectFiles(graphReal, { signal });
  const projectFiles = graphRoot === projectDir ? files : files.filter(inProject).map(fromProject);
  const conventions = kind === 'js' ? await readTestConventions(projectReal, projectFiles) : undefined;
  const tests = (
    params.testFiles
      ? params.testFiles.map((f) => path.resolve(projectDir, f))
      : await findTestFiles(projectDir, params.ecosystem, {
          files: projectFiles,
          ...(conventions ? { conventions } : {}),
        })
  )
    .map((f) => toRelative(graphRoot, graphReal, f))
    .filter((f): f is string => f !== undefined && f !== '.');
  const testSet = new Set(tests);
  analysis.totalTestFiles = tests.length;
  analysis.timings.listMs = elapsed(t0);

  if (kind === undefined) {
    // No graph for this ecosystem: everything runs.
    analysis.method = 'all';
    analysis.totalTestFiles = params.testFiles?.length ?? 0;
    analysis.selected = (params.testFiles ?? []).map((f) => ({
      file: path.resolve(projectDir, f),
      because: [],
      reason: 'no-graph',
    }));
    analysis.timings.totalMs = elapsed(t0);
    return analysis;
  }

  // Changed files, relative to the graph root; outside it, only configuration of an enclosing folder counts.
  const changedRel = new Map<string, string>();
  const setupFiles = new Set(
    (conventions?.setupFiles ?? []).map((f) => (projectRel === '.' ? f : `${projectRel}/${f}`)),
  );
  for (const file of changedAbs) {
    const rel = toRelative(graphRoot, graphReal, file);
    const name = path.basename(file);
    // A manifest or lockfile of a folder that holds the project (a monorepo's root) affects it too.
    const enclosing =
      rel === undefined &&
      params.workspaceRoot !== undefined &&
      isWithin(path.resolve(params.workspaceRoot), file) &&
      isWithin(path.dirname(file), projectDir);
    if (enclosing && isConfigName(name, kind)) {
      analysis.config.push(file);
      continue;
    }
    if (rel === undefined || rel === '.' || inSkippedDir(rel)) {
      analysis.unreached.push(file);
      continue;
    }
    const isConfig =
      setupFiles.has(rel) ||
      (isConfigName(name, kind) && !testSet.has(rel)) ||
      (kind === 'python' && name === 'conftest.py' && path.posix.dirname(rel) === projectRel);
    if (isConfig) analysis.config.push(file);
    else changedRel.set(rel, file);
  }

  if (analysis.config.length > 0) {
    const cause = analysis.config[0]!;
    analysis.selected = tests.map((t) => ({ file: abs(t), because: [abs(t), cause], reason: 'config' }));
    analysis.timings.totalMs = elapsed(t0);
    return analysis;
  }

  // The graph.
  const tg = performance.now();
  const fileSet = new Set(files);
  // A deleted file is still imported by the files that have not been changed yet.
  for (const rel of changedRel.keys()) fileSet.add(rel);
  let graph: Graph;
  if (kind === 'js') {
    const packages = await workspacePackages(guard, files, wsGlobs);
    const nearestConfig = new Map<string, string | undefined>();
    const configOf = (dir: string): string | undefined => {
      if (nearestConfig.has(dir)) return nearestConfig.get(dir);
      const here = ['tsconfig.json', 'jsconfig.json']
        .map((n) => (dir === '.' ? n : `${dir}/${n}`))
        .find((f) => fileSet.has(f));
      const found = here ?? (dir === '.' ? undefined : configOf(path.posix.dirname(dir)));
      nearestConfig.set(dir, found);
      return found;
    };
    // The paths of each tsconfig/jsconfig that governs a source file, read once up front.
    const resolvedPaths = new Map<string, TsPaths | undefined>();
    for (const f of files) {
      const c = JS_SOURCE.test(f) ? configOf(path.posix.dirname(f)) : undefined;
      if (c !== undefined && !resolvedPaths.has(c)) {
        resolvedPaths.set(c, await readTsPaths(c, (rel) => readSmallText(guard, rel)));
      }
    }
    const resolver = new JsResolver({
      files: fileSet,
      packages,
      tsPathsFor: (dir) => {
        const c = configOf(dir);
        return c === undefined ? undefined : resolvedPaths.get(c);
      },
    });
    graph = await buildGraph(
      guard,
      tests,
      (rel) => JS_SOURCE.test(rel),
      (rel, text) => {
        const scan = scanJsImports(text);
        const deps: string[] = [];
        for (const imp of scan.imports) {
          const hit = resolver.resolve(rel, imp.specifier);
          if (hit !== undefined) deps.push(hit);
        }
        return { deps, ...(scan.unknown.length > 0 ? { unknownLine: scan.unknown[0] } : {}) };
      },
      () => [],
      signal,
    );
  } else {
    // Import roots: the project, and `src/` for the src layout (each file's own base comes first).
    const roots = files.some((f) => f.startsWith('src/') && !f.startsWith('src/__init__'))
      ? ['.', 'src']
      : ['.'];
    const resolver = new PyResolver(fileSet, roots);
    graph = await buildGraph(
      guard,
      tests,
      (rel) => rel.endsWith('.py'),
      (rel, text) => {
        const scan = scanPythonImports(text);
        const deps = scan.imports.flatMap((imp) => resolver.resolve(rel, imp));
        return { deps, ...(scan.unknown.length > 0 ? { unknownLine: scan.unknown[0] } : {}) };
      },
      (rel) => [...resolver.implicit(rel), ...(testSet.has(rel) ? resolver.conftests(rel) : [])],
      signal,
    );
  }
  analysis.filesRead = graph.filesRead;
  analysis.unknownImports = [...graph.unknown].map(([file, line]) => ({ file: abs(file), line }));

  const reverse = new Map<string, string[]>();
  for (const [from, deps] of graph.deps) {
    for (const d of deps) {
      let list = reverse.get(d);
      if (!list) reverse.set(d, (list = []));
      list.push(from);
    }
  }

  // Walk back from each change; keep each test's shortest chain.
  const chosen = new Map<string, AffectedTest>();
  const choose = (test: string, because: string[], reason: SelectionReason) => {
    const known = chosen.get(test);
    if (known && (known.reason === 'changed' || known.because.length <= because.length)) return;
    chosen.set(test, { file: abs(test), because: because.map(abs), reason });
  };
  const sourceLike = (rel: string) =>
    kind === 'js' ? JS_SOURCE.test(rel) || rel.endsWith('.json') : rel.endsWith('.py');
  let unknownReachers: Map<string, string[]> | undefined;
  for (const [rel, file] of changedRel) {
    let hit = false;
    if (testSet.has(rel)) {
      chosen.set(rel, { file: abs(rel), because: [abs(rel)], reason: 'changed' });
      hit = true;
    }
    const nextHop = reachersOf(rel, reverse);
    for (const node of nextHop.keys()) {
      if (node !== rel && testSet.has(node)) {
        choose(node, chainFrom(node, nextHop), 'import');
        hit = true;
      }
    }
    if (graph.unknown.size > 0 && sourceLike(rel) && !testSet.has(rel)) {
      // Tests that reach a computed import may load this file too.
      if (!unknownReachers) {
        unknownReachers = new Map();
        for (const u of graph.unknown.keys()) {
          const hops = reachersOf(u, reverse);
          for (const node of hops.keys()) {
            if (testSet.has(node) && !unknownReachers.has(node))
              unknownReachers.set(node, chainFrom(node, hops));
          }
        }
      }
      for (const [test, chain] of unknownReachers) {
        if (!chosen.has(test)) choose(test, [...chain, rel], 'unknown-import');
        hit = true;
      }
    }
    if (!hit) analysis.unreached.push(file);
  }
  const order: Record<SelectionReason, number> = {
    changed: 0,
    import: 1,
    'unknown-import': 2,
    config: 3,
    'no-graph': 4,
  };
  analysis.selected = [...chosen.values()].sort(
    (a, b) =>
      order[a.reason] - order[b.reason] ||
      a.because.length - b.because.length ||
      a.file.localeCompare(b.file),
  );
  analysis.timings.graphMs = elapsed(tg);
  analysis.timings.totalMs = elapsed(t0);
  return analysis;
}
