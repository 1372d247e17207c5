import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../../../protocol/diagnostics';
import type { ModelSettings } from '../../../protocol/fix';
import type { FixApplier } from './fixApply';
import { currentErrors, diagKey, type FixState } from './fixState';
import {
  applyEdits,
  buildPrompt,
  ModelBudgetTracker,
  ModelError,
  parseAnswer,
  providerFor,
  type LastAttempt,
  type ModelProvider,
} from './model';

/**
 * The model step (docs/fix.md, "Models"): for what the cheap fixers left, one file at a time, the
 * model sees the errors, the code around them and why its last try was not kept; its answer is a
 * set of search/replace edits that NAVI checks, writes through the same applier as every other fix
 * and verifies. Nothing the model says is a result: only the verification decides.
 */

/** Files the model is asked about per task, most errors first. */
const MAX_FILES = 20;
const MAX_ANSWER_TOKENS = 4096;
/** Model errors after which no other file is tried either. */
const FATAL: ReadonlySet<string> = new Set(['bad-key', 'unreachable', 'cancelled', 'budget']);

export async function modelFixes(
  state: FixState,
  applier: FixApplier,
  settings: ModelSettings,
): Promise<void> {
  let provider: ModelProvider;
  try {
    provider = providerFor(settings, state.ports.modelChat ? { clientChat: state.ports.modelChat } : {});
  } catch (error) {
    state.notes.push(`The model was not used: ${(error as Error).message}`);
    return;
  }
  const budget = new ModelBudgetTracker(state.params.budget ?? {});
  const byFile = new Map<string, number>();
  for (const d of currentErrors(state)) byFile.set(d.file, (byFile.get(d.file) ?? 0) + 1);
  const files = [...byFile].sort((a, b) => b[1] - a[1]).map(([f]) => f);
  if (files.length > MAX_FILES)
    state.notes.push(
      `The model was asked about the ${MAX_FILES} files with the most errors of ${files.length}.`,
    );
  for (const file of files.slice(0, MAX_FILES)) {
    const stop = await fixFile(state, applier, provider, budget, file);
    if (stop) return;
  }
}

function setReason(state: FixState, targets: readonly Diagnostic[], why: string): void {
  for (const d of targets) state.reasons.set(diagKey(d), why);
}

/** The model's attempts at one file; returns true when the whole model step must stop. */
async function fixFile(
  state: FixState,
  applier: FixApplier,
  provider: ModelProvider,
  budget: ModelBudgetTracker,
  file: string,
): Promise<boolean> {
  let last: LastAttempt | undefined;
  for (;;) {
    if (state.ctx.signal.aborted) return true;
    const targets = currentErrors(state).filter((d) => d.file === file);
    if (targets.length === 0 || !applier.writable(file, targets)) return false;
    if (!budget.canTry(file)) {
      setReason(
        state,
        targets,
        last ? `the model's fixes did not verify: ${last.reason}` : budget.reason(file)!,
      );
      return false;
    }
    let content: string;
    try {
      content = await fs.promises.readFile(path.join(state.root, file), 'utf8');
    } catch {
      return false;
    }
    const prompt = buildPrompt({
      diagnostics: targets,
      files: [{ path: file, content }],
      ...(last ? { lastAttempt: last } : {}),
    });
    const promptChars = prompt.system.length + prompt.messages.reduce((n, m) => n + m.content.length, 0);
    let answer;
    try {
      // The time budget holds inside a request too (its retries and back-off included).
      const signal = AbortSignal.any([
        state.ctx.signal,
        AbortSignal.timeout(Math.max(1, budget.remainingMs())),
      ]);
      answer = await provider.chat({ ...prompt, maxTokens: MAX_ANSWER_TOKENS }, signal);
    } catch (error) {
      budget.record({ promptChars }, file);
      const message = error instanceof Error ? error.message : String(error);
      setReason(state, targets, `the model gave no answer: ${message}`);
      if (error instanceof ModelError && FATAL.has(error.kind)) {
        state.notes.push(`The model step stopped: ${message}`);
        return true;
      }
      continue;
    }
    budget.record(
      {
        ...(answer.inputTokens !== undefined ? { inputTokens: answer.inputTokens } : { promptChars }),
        ...(answer.outputTokens !== undefined
          ? { outputTokens: answer.outputTokens }
          : { answerChars: answer.text.length }),
      },
      file,
    );
    const parsed = parseAnswer(answer.text, [file]);
    const applied = parsed.ok ? applyEdits(new Map([[file, content]]), parsed.edits) : parsed;
    if (!parsed.ok || !applied.ok) {
      const reason = applied.ok ? 'no usable edits' : applied.reason;
      last = { edits: parsed.ok ? parsed.edits : [], reason, diagnosticsAfter: targets };
      setReason(state, targets, `the model's answer was not usable: ${reason}`);
      continue;
    }
    const fix = await applier.apply({
      fixer: { kind: 'model', name: `${provider.id} ${answer.model}`.slice(0, 200) },
      targets,
      files: [file],
      write: { kind: 'content', contents: new Map(applied.changed.map((c) => [c.path, c.after])) },
    });
    if (!fix) return false;
    if (fix.record.status === 'rolled-back')
      last = {
        edits: parsed.edits,
        reason: fix.record.reason ?? 'it did not verify',
        diagnosticsAfter: fix.after.flatMap((r) => r.result.diagnostics).filter((d) => d.file === file),
        ...(fix.record.brokenTests.length ? { failedTests: fix.record.brokenTests } : {}),
      };
    else last = undefined;
  }
}
