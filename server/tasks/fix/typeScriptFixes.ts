import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../../../protocol/diagnostics';
import type { CheckStep } from './checkRuns';
import { workspacePath } from './diagnostics';
import type { FixApplier } from './fixApply';
import { currentErrors, diagKey, progress, type FixState } from './fixState';
import type { FixTypeScriptResult } from './tsFixer';
import { openTypeScriptFixer, type TypeScriptFixer } from './tsFixerHandle';

/**
 * The fix task's TypeScript code fixes (docs/fix.md), per project with a `tsc` check. The project
 * is opened before the baseline checks run (its program builds in a worker thread meanwhile); the
 * fixes for the baseline's errors are looked for while the checkpoint is taken; they are used
 * when the files they were computed from are still what is on disk, and looked for again if not.
 */
export interface TypeScriptWork {
  /** By check step key. */
  fixers: Map<string, TypeScriptFixer>;
  /** The search started right after the baseline, by check step key. */
  early: Map<string, { files: string[]; result: Promise<FixTypeScriptResult | Error> }>;
}

/**
 * Projects opened before the baseline, at most: each holds a whole program in memory, and a
 * monorepo's twenty `tsc` checks must not start twenty. The others open when their turn comes.
 */
const EARLY_PROJECTS = 2;

/** Opens a project for the first `tsc` checks (before the baseline: their programs build meanwhile). */
export function openTypeScriptFixers(state: FixState): TypeScriptWork {
  const fixers = new Map<string, TypeScriptFixer>();
  for (const step of state.steps.filter((s) => s.adapter.id === 'tsc').slice(0, EARLY_PROJECTS)) {
    const fixer = openFixer(state, step);
    if (fixer) fixers.set(step.key, fixer);
  }
  return { fixers, early: new Map() };
}

function openFixer(state: FixState, step: CheckStep): TypeScriptFixer | undefined {
  const tsconfig = tsconfigOf(step);
  try {
    return openTypeScriptFixer({ projectRoot: step.dir, ...(tsconfig ? { tsconfigPath: tsconfig } : {}) });
  } catch (error) {
    state.notes.push(`TypeScript's code fixes could not start: ${messageOf(error)}`);
    return undefined;
  }
}

export function closeTypeScriptFixers(work: TypeScriptWork): void {
  for (const fixer of work.fixers.values()) fixer.close();
  work.fixers.clear();
}

/** After the baseline: closes the projects without errors, starts looking for the others' fixes. */
export function startTypeScriptSearch(state: FixState, work: TypeScriptWork): void {
  for (const [key, fixer] of work.fixers) {
    const step = state.steps.find((s) => s.key === key)!;
    const files = targetFiles(state, targetsOf(state, step));
    if (files.length === 0) {
      fixer.close();
      work.fixers.delete(key);
      continue;
    }
    const result = fixer.fix(files, state.ctx.signal).catch((error: unknown) => asError(error));
    work.early.set(key, { files, result });
  }
}

/** TypeScript's code fixes, per project with a `tsc` check: one fix per file changed. */
export async function typeScriptFixes(
  state: FixState,
  applier: FixApplier,
  work: TypeScriptWork,
): Promise<void> {
  for (const step of state.steps.filter((s) => s.adapter.id === 'tsc')) {
    if (state.ctx.signal.aborted) return;
    const inProject = targetsOf(state, step);
    if (inProject.length === 0) continue;
    // Not opened early (past EARLY_PROJECTS): opened now. Either way closed once its fixes are in.
    const fixer = work.fixers.get(step.key) ?? openFixer(state, step);
    if (!fixer) continue;
    work.fixers.set(step.key, fixer);
    try {
      await fixProject(state, applier, work, step, fixer, inProject);
    } finally {
      fixer.close();
      work.fixers.delete(step.key);
    }
  }
}

async function fixProject(
  state: FixState,
  applier: FixApplier,
  work: TypeScriptWork,
  step: CheckStep,
  fixer: TypeScriptFixer,
  inProject: Diagnostic[],
): Promise<void> {
  progress(
    state,
    'fixing',
    `TypeScript code fixes for ${inProject.length} error${inProject.length === 1 ? '' : 's'}…`,
  );
  const files = targetFiles(state, inProject);
  const early = work.early.get(step.key);
  let result = early && early.files.join('\0') === files.join('\0') ? await early.result : undefined;
  // Another fixer (eslint --fix…) may have changed a file since: then look again on what is there now.
  if (result && !(result instanceof Error) && !result.edits.every(isStillOnDisk)) result = undefined;
  result ??= await fixer.fix(files, state.ctx.signal).catch((error: unknown) => asError(error));
  if (result instanceof Error) {
    if (!state.ctx.signal.aborted)
      state.notes.push(`TypeScript's code fixes could not run: ${result.message}`);
    return;
  }
  await applyResult(state, applier, inProject, result);
}

async function applyResult(
  state: FixState,
  applier: FixApplier,
  inProject: Diagnostic[],
  result: FixTypeScriptResult,
): Promise<void> {
  state.notes.push(...result.notes.map((n) => `TypeScript: ${n}`));
  for (const r of result.remaining) {
    const rel = workspacePath(r.file, state.root, state.root);
    const d = inProject.find(
      (t) =>
        t.file === rel &&
        t.range.startLine === r.line &&
        t.range.startColumn === r.column &&
        t.code === `TS${r.code}`,
    );
    if (d && r.reason) state.reasons.set(diagKey(d), r.reason);
  }
  for (const edit of result.edits) {
    const rel = workspacePath(edit.file, state.root, state.root);
    if (!rel) continue;
    const fixed = result.fixed.filter((f) => f.file === edit.file);
    const fixNames = [...new Set(fixed.map((f) => f.fixName))].join(', ') || 'code fix';
    const targetsOfFile = inProject.filter(
      (d) =>
        d.file === rel &&
        fixed.some(
          (f) =>
            `TS${f.code}` === d.code &&
            (f.line === d.range.startLine || f.message.split('\n')[0] === d.message.split('\n')[0]),
        ),
    );
    if (!applier.writable(rel, targetsOfFile)) continue;
    await applier.apply({
      fixer: {
        kind: 'language-service',
        name: `typescript ${result.typescript.version} ${fixNames}`.slice(0, 200),
      },
      targets: targetsOfFile,
      files: [rel],
      write: {
        kind: 'content',
        contents: new Map([[rel, edit.after]]),
        basedOn: new Map([[rel, edit.before]]),
      },
    });
  }
}

/** The tsc errors in this check's project, in files that exist. */
function targetsOf(state: FixState, step: CheckStep): Diagnostic[] {
  return currentErrors(state).filter(
    (d) =>
      d.checker === 'tsc' &&
      d.file &&
      !path.relative(step.dir, path.join(state.root, d.file)).startsWith('..') &&
      fs.existsSync(path.join(state.root, d.file)),
  );
}

function targetFiles(state: FixState, targets: readonly Diagnostic[]): string[] {
  return [...new Set(targets.map((d) => path.join(state.root, d.file)))].sort();
}

function isStillOnDisk(edit: { file: string; before: string }): boolean {
  try {
    return fs.readFileSync(edit.file, 'utf8') === edit.before;
  } catch {
    return false;
  }
}

/** The `-p`/`--project` of a tsc step, absolute; undefined for the default tsconfig.json. */
function tsconfigOf(step: CheckStep): string | undefined {
  const i = step.argv.findIndex((a) => a === '-p' || a === '--project');
  const value = i >= 0 ? step.argv[i + 1] : step.argv.find((a) => a.startsWith('--project='))?.slice(10);
  if (!value) return undefined;
  const abs = path.resolve(step.dir, value);
  try {
    return fs.statSync(abs).isDirectory() ? path.join(abs, 'tsconfig.json') : abs;
  } catch {
    return undefined;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function messageOf(error: unknown): string {
  return asError(error).message;
}
