// TypeScript/JavaScript code fixes from the TypeScript language service, no model (docs/fix.md).
// Builds a LanguageService over the project's tsconfig with an in-memory host, applies only the
// safe code fixes (missing import, spelling, missing `await`) in passes, and returns the edits:
// it never writes a file, the caller writes through NAVI's edit policy and checkpoints.

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as TS from 'typescript';

export type TypeScriptModule = typeof TS;
export type TypeScriptSource = 'project' | 'navi';

export interface LoadedTypeScript {
  ts: TypeScriptModule;
  version: string;
  source: TypeScriptSource;
  /** Why the project's own TypeScript was not used, when it was not. */
  reason?: string;
}

/** The fix names we apply, per error code (the fix must also be what TypeScript offers). */
const IMPORT_CODES = [2304, 2503, 2552];
const SPELLING_CODES = [2551, 2552, 2568, 2570, 2662, 2663, 2724, 2833];
const AWAIT_CODES = [
  2339, 2345, 2349, 2351, 2356, 2362, 2363, 2365, 2367, 2461, 2488, 2495, 2504, 2548, 2549, 2736, 2801,
];
const FIX_NAMES_BY_CODE = new Map<number, string[]>();
for (const [codes, names] of [
  [IMPORT_CODES, ['import']],
  [SPELLING_CODES, ['spelling']],
  [AWAIT_CODES, ['addMissingAwaitToInitializer', 'addMissingAwait']],
] as const) {
  for (const code of codes) FIX_NAMES_BY_CODE.set(code, [...(FIX_NAMES_BY_CODE.get(code) ?? []), ...names]);
}
/** Error codes the fixer acts on by default. */
export const SAFE_CODES: readonly number[] = [...FIX_NAMES_BY_CODE.keys()].sort((a, b) => a - b);
/** Fixes with a single deterministic outcome, safe to apply file-wide with getCombinedCodeFix. */
const COMBINABLE = new Set(['fixSpelling', 'addMissingAwait']);
export const MAX_FILES = 5000;

export interface FixTypeScriptOptions {
  projectRoot: string;
  tsconfigPath?: string;
  /** Files in scope (absolute or relative to projectRoot); default every project file. */
  files?: string[];
  /** Error codes to act on; default SAFE_CODES (others are never acted on). */
  codes?: number[];
  maxPasses?: number;
  maxFiles?: number;
  signal?: AbortSignal;
}
export interface FileEdit {
  file: string;
  before: string;
  after: string;
}
export interface FixedDiagnostic {
  file: string;
  line: number;
  code: number;
  message: string;
  fixName: string;
}
export interface RemainingDiagnostic {
  file: string;
  line: number;
  column: number;
  code: number;
  message: string;
  reason?: string;
}
export interface FixTypeScriptResult {
  edits: FileEdit[];
  fixed: FixedDiagnostic[];
  remaining: RemainingDiagnostic[];
  typescript: { version: string; source: TypeScriptSource };
  passes: number;
  /** Config errors, skipped work (too many files), anything the caller should show. */
  notes: string[];
}

/**
 * The project's own `typescript` when its major version is ≤ 6 (it has the JavaScript API);
 * for 7+ (no JS API) or none, NAVI's own TypeScript 6.
 */
export function loadTypeScript(projectRoot: string): LoadedTypeScript {
  let reason = 'the project has no typescript';
  try {
    const projectRequire = createRequire(path.join(path.resolve(projectRoot), 'package.json'));
    const pkgPath = projectRequire.resolve('typescript/package.json');
    const version = String((JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as { version?: unknown }).version);
    const major = Number.parseInt(version, 10);
    if (!(major >= 4 && major <= 6)) {
      reason = `the project's typescript ${version} has no usable JavaScript API`;
    } else {
      const ts = projectRequire(path.dirname(pkgPath)) as TypeScriptModule;
      if (typeof ts.createLanguageService === 'function')
        return { ts, version: ts.version, source: 'project' };
      reason = `the project's typescript ${version} did not load`;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND')
      reason = `the project's typescript: ${String(err)}`;
  }
  const ts = naviTypeScript();
  return { ts, version: ts.version, source: 'navi', reason };
}

/**
 * NAVI's own TypeScript 6: the bundle beside the agent (dist/typescript.js, built by
 * esbuild.config.mjs and shipped in the .vsix and the npm package), else the `typescript` package
 * NAVI was installed with (running from sources).
 */
function naviTypeScript(): TypeScriptModule {
  const bundled = path.join(__dirname, 'typescript.js');
  const load = createRequire(__filename);
  return (fs.existsSync(bundled) ? load(bundled) : load('typescript')) as TypeScriptModule;
}

interface Candidate {
  diag: TS.Diagnostic;
  file: string;
  action?: TS.CodeFixAction;
  reason?: string;
}

/** Where the language service's project comes from; `fix` says what to fix in it. */
export interface TypeScriptProjectOptions {
  projectRoot: string;
  tsconfigPath?: string;
  maxFiles?: number;
}

export interface FixRequestOptions {
  /** Files in scope (absolute or relative to projectRoot); default every project file. */
  files?: string[];
  /** Error codes to act on; default SAFE_CODES (others are never acted on). */
  codes?: number[];
  maxPasses?: number;
  signal?: AbortSignal;
}

/**
 * A TypeScript project held open for code fixes: the language service and its program, built
 * once (`warm`) and reused by every `fix`. Files on disk are versioned by their modification time
 * and size, so whatever changes between two calls (a fixer's write, the person's own edit) is read
 * again; a fix's own edits live in memory only while that fix runs.
 */
export class TypeScriptProject {
  readonly typescript: { version: string; source: TypeScriptSource };
  /** Config errors, skipped work, the TypeScript used: anything the caller should show. */
  readonly notes: string[] = [];
  private readonly ts: TypeScriptModule;
  private readonly root: string;
  private readonly parsed?: TS.ParsedCommandLine;
  private readonly service?: TS.LanguageService;
  private readonly overlay = new Map<string, { text: string; version: number }>();
  private edits = 0;

  constructor(opts: TypeScriptProjectOptions) {
    this.root = path.resolve(opts.projectRoot);
    const loaded = loadTypeScript(this.root);
    this.ts = loaded.ts;
    this.typescript = { version: loaded.version, source: loaded.source };
    if (loaded.reason) this.notes.push(`using NAVI's TypeScript ${loaded.version}: ${loaded.reason}`);
    const { ts, root } = this;
    const configPath = opts.tsconfigPath
      ? path.resolve(root, opts.tsconfigPath)
      : ['tsconfig.json', 'jsconfig.json'].map((n) => path.join(root, n)).find((p) => fs.existsSync(p));
    if (!configPath) {
      this.notes.push('no tsconfig.json or jsconfig.json');
      return;
    }
    const parsed = ts.getParsedCommandLineOfConfigFile(configPath, undefined, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => this.notes.push(flatten(ts, d)),
    });
    if (!parsed) return;
    for (const d of parsed.errors) this.notes.push(flatten(ts, d));
    const maxFiles = opts.maxFiles ?? MAX_FILES;
    if (parsed.fileNames.length > maxFiles) {
      this.notes.push(
        `skipped: ${parsed.fileNames.length} files in the project, more than the cap of ${maxFiles}`,
      );
      return;
    }
    this.parsed = parsed;
    const norm = (f: string) => path.resolve(f);
    const host: TS.LanguageServiceHost = {
      getCompilationSettings: () => parsed.options,
      getScriptFileNames: () => parsed.fileNames,
      getProjectReferences: () => parsed.projectReferences,
      getScriptVersion: (f) => {
        const edited = this.overlay.get(norm(f));
        if (edited) return `edit ${edited.version}`;
        try {
          const st = fs.statSync(f);
          return `${st.mtimeMs}:${st.size}`;
        } catch {
          return 'missing';
        }
      },
      getScriptSnapshot: (f) => {
        const text = this.readText(f);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => root,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (f) => this.overlay.has(norm(f)) || ts.sys.fileExists(f),
      readFile: (f) => this.readText(f),
      readDirectory: (...a) => ts.sys.readDirectory(...a),
      directoryExists: (d) => ts.sys.directoryExists(d),
      getDirectories: (d) => ts.sys.getDirectories(d),
      realpath: ts.sys.realpath,
      useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  private readText(f: string): string | undefined {
    return this.overlay.get(path.resolve(f))?.text ?? this.ts.sys.readFile(f);
  }

  /** Builds the program (parses and binds every file): the slow part, done before it is needed. */
  warm(): void {
    this.service?.getProgram()?.getTypeChecker();
  }

  /** The safe code fixes for the files in scope, in passes until nothing changes; writes nothing. */
  fix(opts: FixRequestOptions = {}): FixTypeScriptResult {
    const { ts, root, parsed, service } = this;
    const result: FixTypeScriptResult = {
      edits: [],
      fixed: [],
      remaining: [],
      typescript: this.typescript,
      passes: 0,
      notes: [...this.notes],
    };
    opts.signal?.throwIfAborted();
    if (!parsed || !service) return result;
    const original = new Map<string, string>();
    try {
      const inProject = new Set(parsed.fileNames.map((f) => path.resolve(f)));
      const scope = opts.files
        ? opts.files.map((f) => path.resolve(root, f)).filter((f) => inProject.has(f))
        : [...inProject].filter((f) => !f.endsWith('.d.ts') && !f.split(path.sep).includes('node_modules'));
      if (opts.files && scope.length < opts.files.length)
        result.notes.push('some requested files are not in the project');
      const codes = new Set(opts.codes ?? SAFE_CODES);
      const combinedAllowed = !opts.codes; // a restricted code set must not be widened by fix-all
      const format: TS.FormatCodeSettings = {
        ...ts.getDefaultFormatCodeSettings('\n'),
        indentSize: 2,
        tabSize: 2,
      };
      const preferences: TS.UserPreferences = { quotePreference: 'auto' };
      const maxPasses = opts.maxPasses ?? 5;
      // Pass 1 looks at every file in scope; a later pass only at the files the one before edited
      // (their fixes may have revealed more: a name now imported, its member misspelled). What the
      // other files reported stays as pass 1 found it; the checkers' own run decides in the end.
      const inScope = new Set(scope);
      let looked = scope;
      const lastSeen = new Map<string, Candidate[]>();
      for (let pass = 1; ; pass++) {
        opts.signal?.throwIfAborted();
        const candidates: Candidate[] = looked.flatMap((file) =>
          [...service.getSyntacticDiagnostics(file), ...service.getSemanticDiagnostics(file)]
            .filter((d) => d.category === ts.DiagnosticCategory.Error)
            .map((diag) =>
              codes.has(diag.code) && pass <= maxPasses
                ? { diag, file, ...chooseFix(service, file, diag, format, preferences) }
                : {
                    diag,
                    file,
                    reason: codes.has(diag.code)
                      ? 'not fixed within the passes'
                      : 'no safe fix for this code',
                  },
            ),
        );
        for (const file of looked) lastSeen.set(file, []);
        for (const c of candidates) lastSeen.get(c.file)!.push(c);
        const changes = new Map<string, TS.TextChange[]>();
        const applied = this.accept(candidates, changes, combinedAllowed, format, preferences);
        if (applied.length === 0) {
          result.remaining = [...lastSeen.values()]
            .flat()
            .map(({ diag, file, reason }) => toRemaining(ts, file, diag, reason));
          break;
        }
        for (const [file, list] of changes) {
          const before = this.readText(file) ?? '';
          if (!original.has(file)) original.set(file, ts.sys.readFile(file) ?? '');
          this.overlay.set(file, { text: applyChanges(before, list), version: ++this.edits });
        }
        for (const c of applied) {
          const { line } = lineColumn(ts, c.diag);
          result.fixed.push({
            file: c.file,
            line,
            code: c.diag.code,
            message: flatten(ts, c.diag),
            fixName: c.action!.fixName,
          });
        }
        result.passes = pass;
        looked = [...changes.keys()].filter((f) => inScope.has(f));
      }
      for (const [file, { text: after }] of this.overlay) {
        const before = original.get(file) ?? '';
        if (before !== after) result.edits.push({ file, before, after });
      }
      return result;
    } finally {
      // The caller writes what it keeps; the next fix reads the files from disk again.
      this.overlay.clear();
    }
  }

  /** The candidates whose fixes apply together this pass (combined per file where safe), their changes in `changes`. */
  private accept(
    candidates: Candidate[],
    changes: Map<string, TS.TextChange[]>,
    combinedAllowed: boolean,
    format: TS.FormatCodeSettings,
    preferences: TS.UserPreferences,
  ): Candidate[] {
    const service = this.service!;
    const usable = candidates.filter((c) => c.action);
    const applied: Candidate[] = [];
    const combinedDone = new Set<string>();
    for (const c of usable) {
      const action = c.action!;
      const key = `${c.file}\0${action.fixId}`;
      if (action.fixId && combinedDone.has(key)) {
        applied.push(c);
        continue;
      }
      let fileChanges: readonly TS.FileTextChanges[] = action.changes;
      if (combinedAllowed && action.fixId && COMBINABLE.has(String(action.fixId))) {
        const sameFix = usable.filter((o) => o.file === c.file && o.action!.fixId === action.fixId);
        if (sameFix.length > 1) {
          const combined = service.getCombinedCodeFix(
            { type: 'file', fileName: c.file },
            action.fixId,
            format,
            preferences,
          );
          fileChanges = combined.changes;
        }
      }
      if (fileChanges.some((fc) => !insideProject(this.root, fc.fileName))) {
        c.reason = 'the fix edits a file outside the project';
        continue;
      }
      if (tryAccept(changes, fileChanges)) {
        applied.push(c);
        if (fileChanges !== action.changes) combinedDone.add(key);
      }
    }
    return applied;
  }

  dispose(): void {
    this.service?.dispose();
  }
}

/** Opens the project, fixes, and closes it (one call; `TypeScriptProject` keeps it open). */
export async function fixTypeScript(opts: FixTypeScriptOptions): Promise<FixTypeScriptResult> {
  opts.signal?.throwIfAborted();
  const project = new TypeScriptProject(opts);
  try {
    return project.fix(opts);
  } finally {
    project.dispose();
  }
}

/** The safe fix for one diagnostic, or why there is none (ambiguous import candidates). */
function chooseFix(
  service: TS.LanguageService,
  file: string,
  diag: TS.Diagnostic,
  format: TS.FormatCodeSettings,
  preferences: TS.UserPreferences,
): { action?: TS.CodeFixAction; reason?: string } {
  const allowed = FIX_NAMES_BY_CODE.get(diag.code) ?? [];
  const start = diag.start ?? 0;
  let fixes: readonly TS.CodeFixAction[];
  try {
    fixes = service.getCodeFixesAtPosition(
      file,
      start,
      start + (diag.length ?? 0),
      [diag.code],
      format,
      preferences,
    );
  } catch (err) {
    return { reason: `the language service failed: ${String(err)}` };
  }
  const safe = fixes.filter((f) => allowed.includes(f.fixName) && !f.commands?.length);
  if (safe.length === 0) return { reason: 'no safe fix offered' };
  const imports = safe.filter((f) => f.fixName === 'import');
  if (imports.length > 0) {
    const modules = new Set(imports.map(importSource));
    if (modules.size > 1) {
      return { reason: `ambiguous import: ${[...modules].map((m) => JSON.stringify(m)).join(', ')}` };
    }
    return { action: imports[0] };
  }
  // Otherwise the first by our preference order (the initializer fix before the use-site one).
  for (const name of allowed) {
    const found = safe.find((f) => f.fixName === name);
    if (found) return { action: found };
  }
  return { reason: 'no safe fix offered' };
}

/** The module an import fix imports from: the last quoted string of its description. */
function importSource(fix: TS.CodeFixAction): string {
  const quoted = [...fix.description.matchAll(/["'`]([^"'`]+)["'`]/g)];
  return quoted.at(-1)?.[1] ?? fix.description;
}

function insideProject(root: string, file: string): boolean {
  const rel = path.relative(root, path.resolve(file));
  return !rel.startsWith('..') && !path.isAbsolute(rel) && !rel.split(path.sep).includes('node_modules');
}

/** Accepts all of a fix's changes when none overlaps a change already accepted this pass. */
function tryAccept(
  accepted: Map<string, TS.TextChange[]>,
  fileChanges: readonly TS.FileTextChanges[],
): boolean {
  const overlaps = (a: TS.TextChange, b: TS.TextChange) => {
    const [as, ae, bs, be] = [
      a.span.start,
      a.span.start + a.span.length,
      b.span.start,
      b.span.start + b.span.length,
    ];
    if (as === bs && ae === be && a.newText === b.newText) return false; // the same change
    if (as === ae && bs === be) return false; // two inserts: both apply, in order
    return as < be && bs < ae; // ranges intersect, or an insert strictly inside a range
  };
  for (const fc of fileChanges) {
    const list = accepted.get(path.resolve(fc.fileName)) ?? [];
    if (fc.textChanges.some((t) => list.some((o) => overlaps(t, o)))) return false;
  }
  for (const fc of fileChanges) {
    const file = path.resolve(fc.fileName);
    const list = accepted.get(file) ?? [];
    for (const t of fc.textChanges) {
      const same = list.some(
        (o) => o.span.start === t.span.start && o.span.length === t.span.length && o.newText === t.newText,
      );
      if (!same) list.push(t);
    }
    accepted.set(file, list);
  }
  return true;
}

/** Applies non-overlapping changes; inserts at one position keep their order of acceptance. */
export function applyChanges(text: string, changes: readonly TS.TextChange[]): string {
  const ordered = changes
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.span.start - b.c.span.start || a.i - b.i);
  let out = '';
  let at = 0;
  for (const { c } of ordered) {
    out += text.slice(at, c.span.start) + c.newText;
    at = Math.max(at, c.span.start + c.span.length);
  }
  return out + text.slice(at);
}

function flatten(ts: TypeScriptModule, d: TS.Diagnostic): string {
  return ts.flattenDiagnosticMessageText(d.messageText, '\n');
}

function lineColumn(ts: TypeScriptModule, d: TS.Diagnostic): { line: number; column: number } {
  if (!d.file || d.start === undefined) return { line: 0, column: 0 };
  const { line, character } = ts.getLineAndCharacterOfPosition(d.file, d.start);
  return { line: line + 1, column: character + 1 };
}

function toRemaining(
  ts: TypeScriptModule,
  file: string,
  d: TS.Diagnostic,
  reason?: string,
): RemainingDiagnostic {
  return { file, ...lineColumn(ts, d), code: d.code, message: flatten(ts, d), ...(reason ? { reason } : {}) };
}
