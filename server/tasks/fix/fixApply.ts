import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { v7 as uuidv7 } from 'uuid';
import type { Diagnostic } from '../../../protocol/diagnostics';
import type { FixFileChange, FixRecord } from '../../../protocol/fix';
import type { ReceiptCommand, ReceiptTestCounts, VerificationPredicate } from '../../../protocol/receipts';
import type { TestRunResult } from '../../../protocol/testing';
import { createCheckpoint, recordWrite, type Checkpoint } from '../../edits/checkpoints';
import { check } from '../../exec/pipeline';
import { NAVI_VERSION } from '../../version';
import { issueReceipt, loadOrCreateSigningKey, ReceiptStore, type SigningKey } from '../../verify/receipts';
import { covers, receiptCwd, runStepCommand, type CheckRun, type CheckStep } from './checkRuns';
import { rollbackFix } from './fixRollback';
import { countsOf, diagKey, runChecks, testRun, type FixState } from './fixState';

/**
 * One fix, from proposal to verdict: the edit policy for each file, a checkpoint of those files,
 * the write (NAVI writes the content, or runs the project's fixer), then verification against the
 * checks as they stood before it and the tests that passed before. A fix that does not verify is
 * rolled back at once, with a `failed` receipt that proves why; the others stay.
 */

export type FixWrite =
  | { kind: 'command'; step: CheckStep; argv: string[] }
  | {
      kind: 'content';
      contents: Map<string, string>;
      /** The texts the contents were computed from: a file that no longer has it is not written. */
      basedOn?: Map<string, string>;
    };

export interface FixRequest {
  fixer: FixRecord['fixer'];
  /** The diagnostics it sets out to fix: all must be gone for it to verify. */
  targets: Diagnostic[];
  /** Workspace-relative files it may change. */
  files: string[];
  write: FixWrite;
}

export interface AppliedFix {
  record: FixRecord;
  checkpoint: Checkpoint;
  /** The fixer's own command (project fixers), then the verification commands. */
  commands: ReceiptCommand[];
  before: CheckRun[];
  after: CheckRun[];
  testsAfter?: ReceiptTestCounts;
  startedAt: Date;
  finishedAt: Date;
}

const MAX_DIFF_CHARS = 256 * 1024;
const MAX_BEFORE_TEXT = 1 << 20;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function readOrNull(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch {
    return null;
  }
}

const isText = (b: Buffer) => !b.includes(0);

function change(rel: string, before: Buffer | null, after: Buffer | null): FixFileChange {
  const a = before && isText(before) ? before.toString('utf8') : '';
  const b = after && isText(after) ? after.toString('utf8') : '';
  let diff = createTwoFilesPatch(`a/${rel}`, `b/${rel}`, a, b, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
  if (diff.length > MAX_DIFF_CHARS) diff = `${diff.slice(0, MAX_DIFF_CHARS)}\n… (diff cut at 256 KiB)\n`;
  return {
    path: rel,
    before: before ? sha256(before) : null,
    after: after ? sha256(after) : null,
    diff,
    ...(before && isText(before) && before.length <= MAX_BEFORE_TEXT ? { beforeText: a } : {}),
  };
}

/** Counts diagnostics by identity (diagKey). */
function multiset(runs: readonly CheckRun[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of runs) for (const d of r.result.diagnostics) m.set(diagKey(d), (m.get(diagKey(d)) ?? 0) + 1);
  return m;
}

/** Per checker, its diagnostics in `files` (and those it newly reports anywhere), as a receipt holds them. */
function receiptDiagnostics(
  runs: readonly CheckRun[],
  files: ReadonlySet<string>,
  introduced: ReadonlySet<string>,
) {
  return runs.slice(0, 50).map((r) => ({
    checker: r.step.adapter.id,
    diagnostics: r.result.diagnostics
      .filter((d) => files.has(d.file) || introduced.has(diagKey(d)))
      .slice(0, 100_000)
      .map((d) => ({
        file: d.file,
        line: d.range.startLine,
        column: d.range.startColumn,
        ...(d.code ? { code: d.code } : {}),
        message: d.message.slice(0, 4000),
        severity: d.severity,
      })),
  }));
}

function testCommands(root: string, result: TestRunResult): ReceiptCommand[] {
  const out: ReceiptCommand[] = [];
  for (const s of result.steps) {
    if (!s.ran || !s.logFile) continue;
    const log = readOrNull(s.logFile);
    if (!log) continue;
    out.push({
      argv: null,
      command: s.command.slice(0, 1 << 20),
      cwd: receiptCwd(root, s.cwd),
      exitCode: s.exitCode,
      durationMs: Math.round(s.durationMs),
      ...(s.kind === 'test'
        ? {
            counts: {
              passed: s.totals.passed,
              failed: s.totals.failed,
              skipped: s.totals.skipped + s.totals.todo,
            },
          }
        : {}),
      logSha256: sha256(log),
    });
  }
  return out;
}

export class FixApplier {
  private key: SigningKey | undefined;

  constructor(
    private readonly state: FixState,
    readonly fixes: AppliedFix[],
  ) {}

  /** Whether NAVI may write the file: never a file open with unsaved changes in the editor. */
  writable(file: string, targets: readonly Diagnostic[]): boolean {
    if (!this.state.unsaved.has(file)) return true;
    for (const d of targets.filter((t) => t.file === file))
      this.state.reasons.set(
        diagKey(d),
        `${file} has unsaved changes in the editor; NAVI does not overwrite them`,
      );
    return false;
  }

  private reason(targets: readonly Diagnostic[], files: readonly string[] | null, why: string): void {
    for (const d of targets)
      if (files === null || files.includes(d.file)) this.state.reasons.set(diagKey(d), why);
  }

  /** The edit policy's verdict for each file, recorded in the audit trail; returns the files it may write. */
  private async judge(req: FixRequest): Promise<string[]> {
    const { root, params, ports } = this.state;
    const allowed: string[] = [];
    for (const file of req.files) {
      const editId = uuidv7();
      const verdict = await check(
        { editPath: path.join(root, file), cwd: root, workspaceRoot: root, trusted: params.trusted },
        ports.pipeline,
      );
      await ports.pipeline.audit.appendAll([
        {
          type: 'edit.proposed',
          actor: { kind: 'agent' },
          workspace: root,
          data: { editId, path: file, proposer: 'agent' },
        },
        {
          type: 'edit.verdict',
          actor: { kind: 'policy' },
          workspace: root,
          data: {
            editId,
            path: file,
            verdict: verdict.verdict,
            reasons: verdict.reasons,
            ruleIds: verdict.rules.map((r) => r.id),
          },
        },
      ]);
      if (verdict.verdict === 'allow' || (verdict.verdict === 'ask' && params.autoApprove))
        allowed.push(file);
      else
        this.reason(
          req.targets,
          [file],
          verdict.verdict === 'deny'
            ? `NAVI may not write ${file}: ${verdict.reasons.join('; ')}`
            : `writing ${file} needs a person's approval (${verdict.reasons.join('; ')}); run with --yes to allow it`,
        );
    }
    return allowed;
  }

  /** Proposes, writes and verifies one fix; returns it (kept or rolled back), or undefined when nothing changed. */
  async apply(req: FixRequest): Promise<AppliedFix | undefined> {
    const { state } = this;
    const files = await this.judge(req);
    if (files.length === 0 || state.ctx.signal.aborted) return undefined;
    await state.baselineDone; // the tests before fixing must see the files as they were
    if (state.ctx.signal.aborted) return undefined;
    const id = `${state.taskId}.f${this.fixes.length + 1}`;
    const startedAt = new Date();
    const checkpoint = await createCheckpoint({
      workspaceRoot: state.root,
      stateDir: state.ports.stateDir,
      taskId: id,
      paths: files,
      maxFileBytes: Infinity,
      timeBudgetMs: Infinity,
    });
    const abs = (f: string) => path.join(state.root, f);
    const before = new Map(files.map((f) => [f, readOrNull(abs(f))]));
    const commands: ReceiptCommand[] = [];
    if (req.write.kind === 'content') {
      const { basedOn } = req.write;
      const moved = files.filter(
        (f) => basedOn?.has(f) && before.get(f)?.toString('utf8') !== basedOn.get(f),
      );
      if (moved.length) {
        // Someone (the person, another fixer) changed the file since the fix was computed from it.
        this.reason(
          req.targets,
          null,
          `${moved[0]} changed while the fix was being prepared; it was not written`,
        );
        return undefined;
      }
      for (const f of files) {
        const text = req.write.contents.get(f);
        if (text !== undefined) await fs.promises.writeFile(abs(f), text);
      }
    } else {
      const ran = await this.runFixer(req.write.step, req.write.argv);
      if (!ran.ok) {
        this.reason(req.targets, null, ran.reason);
        if (!ran.receipt) return undefined;
      }
      if (ran.receipt) commands.push(ran.receipt);
    }
    const changes: FixFileChange[] = [];
    for (const f of files) {
      const after = readOrNull(abs(f));
      const was = before.get(f) ?? null;
      if ((was === null) === (after === null) && (was === null || was.equals(after!))) continue;
      await recordWrite(checkpoint, abs(f), after);
      changes.push(change(f, was, after));
      await state.ports.pipeline.audit.append({
        type: 'edit.applied',
        actor: { kind: 'agent' },
        workspace: state.root,
        data: {
          taskId: state.taskId,
          fixId: id,
          path: f,
          fixer: req.fixer.kind,
          before: was ? sha256(was) : null,
          after: after ? sha256(after) : null,
        },
      });
    }
    if (changes.length === 0) {
      this.reason(req.targets, null, `${req.fixer.name} changed nothing`);
      return undefined;
    }
    const fix: AppliedFix = {
      record: {
        id,
        fixer: req.fixer,
        status: 'kept',
        files: changes.map((c) => c.path),
        changes,
        diagnostics: req.targets.slice(0, 10_000),
        fixedCount: 0,
        introduced: [],
        brokenTests: [],
      },
      checkpoint,
      commands,
      before: [],
      after: [],
      startedAt,
      finishedAt: startedAt,
    };
    this.fixes.push(fix);
    await this.verify(fix, req.targets);
    return fix;
  }

  /** Runs a project fixer through the pipeline (policy, approval, sandbox, audit). */
  private async runFixer(
    step: CheckStep,
    argv: string[],
  ): Promise<{ ok: boolean; reason: string; receipt?: ReceiptCommand }> {
    const { state } = this;
    const { outcome, command, receipt } = await runStepCommand(
      step,
      argv,
      { ...state.run, ...(state.ctx.onOutput ? { onOutput: state.ctx.onOutput } : {}) },
      10 * 60_000,
    );
    state.commandIds.push(outcome.commandId);
    const r = outcome.result;
    if (!receipt || !r) return { ok: false, reason: `\`${command}\` did not run: ${outcome.message}` };
    // eslint --fix exits 1 when problems it cannot fix remain; the verification decides.
    const ok = !r.timedOut && !r.cancelled && r.exitCode !== null;
    return { ok, reason: ok ? '' : `\`${command}\` ${r.timedOut ? 'timed out' : 'was stopped'}`, receipt };
  }

  /** Re-runs what covers the change and compares with the state before it; keeps or rolls back. */
  private async verify(fix: AppliedFix, targets: readonly Diagnostic[]): Promise<void> {
    const { state } = this;
    state.ctx.onProgress?.({
      runId: state.params.runId,
      taskId: state.taskId,
      step: 'verifying',
      message: `Verifying ${fix.record.fixer.name} on ${fix.record.files.join(', ')}…`.slice(0, 4000),
    });
    const steps = state.steps.filter((s) => fix.record.files.some((f) => covers(s, state.root, f)));
    fix.before = steps.map((s) => state.current.get(s.key)).filter((r): r is CheckRun => r !== undefined);
    fix.after = await runChecks(state, steps, 'verify');
    fix.commands.push(...fix.after.flatMap((r) => (r.receipt ? [r.receipt] : [])));
    const problems: string[] = [];
    const unreadable = fix.after.filter((r) => !r.ran || !r.result.complete);
    if (state.ctx.signal.aborted) problems.push('the task was cancelled before the fix was verified');
    if (unreadable.length)
      problems.push(
        `${unreadable.map((r) => r.step.adapter.id).join(', ')} could not be run or read after the fix (${unreadable[0]!.reason ?? unreadable[0]!.result.reason ?? 'no reason given'})`,
      );
    const b = multiset(fix.before);
    const a = multiset(fix.after);
    const introduced = fix.after
      .flatMap((r) => r.result.diagnostics)
      .filter((d) => {
        const k = diagKey(d);
        const left = (a.get(k) ?? 0) - (b.get(k) ?? 0);
        if (left <= 0) return false;
        a.set(k, (a.get(k) ?? 0) - 1); // each surplus copy counted once
        return true;
      });
    const after = multiset(fix.after);
    const wanted = new Map<string, number>();
    for (const t of targets) wanted.set(diagKey(t), (wanted.get(diagKey(t)) ?? 0) + 1);
    const notFixed = targets.filter(
      (t) => (after.get(diagKey(t)) ?? 0) > (b.get(diagKey(t)) ?? 0) - (wanted.get(diagKey(t)) ?? 0),
    );
    fix.record.introduced = introduced.slice(0, 10_000);
    fix.record.fixedCount = targets.length - notFixed.length;
    if (introduced.length)
      problems.push(
        `it introduced ${introduced.length} new diagnostic${introduced.length === 1 ? '' : 's'} (${introduced[0]!.file}:${introduced[0]!.range.startLine} ${introduced[0]!.message.split('\n')[0]})`,
      );
    if (notFixed.length)
      problems.push(
        `${notFixed.length} of the ${targets.length} errors it set out to fix remain (${notFixed[0]!.file}:${notFixed[0]!.range.startLine} ${notFixed[0]!.message.split('\n')[0]})`,
      );
    if (problems.length === 0 && state.testsBefore && !state.ctx.signal.aborted)
      problems.push(...(await this.verifyTests(fix)));
    fix.finishedAt = new Date();
    if (problems.length === 0) {
      for (const r of fix.after) state.current.set(r.step.key, r);
      await state.ports.pipeline.audit.append({
        type: 'edit.kept',
        actor: { kind: 'system' },
        workspace: state.root,
        data: { taskId: state.taskId, fixId: fix.record.id, paths: fix.record.files },
      });
    } else {
      await this.fail(fix, `The fix did not verify: ${problems.join('; ')}.`);
    }
    state.ctx.onProgress?.({
      runId: state.params.runId,
      taskId: state.taskId,
      step: 'verifying',
      message: `${fix.record.status === 'kept' ? 'Verified' : 'Rolled back'}: ${fix.record.fixer.name}`.slice(
        0,
        4000,
      ),
      fix: fix.record,
    });
  }

  /**
   * The tests a fix's files affect, compared test by test with the run before the task. When the
   * affected run itself could not run or report (a selection the runner refuses, a suite that
   * fails to compile), the whole suite decides instead: a crash is not a verdict on the fix.
   */
  private async verifyTests(fix: AppliedFix): Promise<string[]> {
    const { state } = this;
    const before = state.testsBefore!;
    let tests = await testRun(
      state,
      before.resolved,
      fix.record.files.map((f) => path.join(state.root, f)),
    );
    fix.commands.push(...testCommands(state.root, tests));
    let whole = false;
    if (tests.status === 'error' && !state.ctx.signal.aborted) {
      tests = await testRun(state, before.resolved);
      fix.commands.push(...testCommands(state.root, tests));
      whole = true;
    }
    fix.testsAfter = countsOf(tests);
    const broken = this.brokenTests(tests, whole);
    fix.record.brokenTests = broken.slice(0, 1000);
    if (broken.length)
      return [
        `${broken.length} test${broken.length === 1 ? '' : 's'} that passed before now fail${broken.length === 1 ? 's' : ''} or no longer run (${broken[0]})`,
      ];
    return [];
  }

  /**
   * Tests that passed before the task and fail in `result`; with `whole` (the whole suite ran),
   * also those that no longer ran at all (their file stopped compiling).
   */
  private brokenTests(result: TestRunResult, whole: boolean): string[] {
    const before = this.state.testsBefore?.byId;
    if (!before) return [];
    const now = new Map(result.tests.map((t) => [t.id, t.status]));
    const failed = result.tests
      .filter((t) => t.status === 'failed' && before.get(t.id) === 'passed')
      .map((t) => t.id);
    if (!whole) return failed;
    const missing = [...before]
      .filter(([id, status]) => status === 'passed' && !now.has(id))
      .map(([id]) => id);
    return [...failed, ...missing];
  }

  /** A fix that did not verify: a `failed` receipt for what the runner saw, then its files go back. */
  private async fail(fix: AppliedFix, reason: string): Promise<void> {
    const { state } = this;
    await this.issue(fix, 'failed', reason).catch((error: unknown) =>
      state.ctx.log.warn(`Could not issue the failed receipt of ${fix.record.id}: ${String(error)}`),
    );
    const result = await rollbackFix(state.ports, state.root, state.taskId, fix.record.id, reason);
    fix.record.status = 'rolled-back';
    fix.record.reason = reason.slice(0, 4000);
    if (result.conflicts.length)
      state.notes.push(
        `Rolling back ${fix.record.id} kept your later changes to ${result.conflicts.join(', ')}.`,
      );
    for (const d of fix.record.diagnostics)
      state.reasons.set(diagKey(d), `${fix.record.fixer.name}: ${reason}`);
  }

  /** After all fixes: the whole suite once; fixes are undone, newest first, until nothing that passed before fails. */
  async finalTests(): Promise<void> {
    const { state } = this;
    const kept = () => this.fixes.filter((f) => f.record.status === 'kept');
    if (!state.testsBefore || kept().length === 0 || state.ctx.signal.aborted) return;
    state.ctx.onProgress?.({
      runId: state.params.runId,
      taskId: state.taskId,
      step: 'tests',
      message: 'Running the whole test suite…',
    });
    let result = await testRun(state, state.testsBefore.resolved);
    let broken = this.brokenTests(result, true);
    let undone = false;
    while (broken.length > 0 && kept().length > 0 && !state.ctx.signal.aborted) {
      const last = kept().at(-1)!;
      await this.fail(
        last,
        `The whole test suite after the fixes failed ${broken.length} test${broken.length === 1 ? '' : 's'} that passed before (${broken[0]}).`,
      );
      undone = true;
      result = await testRun(state, state.testsBefore.resolved);
      broken = this.brokenTests(result, true);
    }
    const counts = countsOf(result);
    for (const f of kept()) {
      f.testsAfter = counts;
      f.commands.push(...testCommands(state.root, result));
    }
    if (undone)
      for (const r of await runChecks(state, state.steps, 'final')) state.current.set(r.step.key, r);
  }

  /** Signed receipts for the fixes that stay. */
  async issueReceipts(): Promise<void> {
    for (const f of this.fixes)
      if (f.record.status === 'kept') {
        try {
          await this.issue(f, 'verified');
        } catch (error) {
          this.state.notes.push(
            `NAVI could not issue the receipt of ${f.record.id}: ${String((error as Error).message ?? error)}`,
          );
        }
      }
  }

  private signingKey(): SigningKey {
    this.key ??= loadOrCreateSigningKey(this.state.ports.stateDir, { workspaceRoots: [this.state.root] });
    return this.key;
  }

  private async issue(fix: AppliedFix, result: 'verified' | 'failed', reason?: string): Promise<void> {
    const { state } = this;
    const files = new Set(fix.record.files);
    const introduced = new Set(fix.record.introduced.map(diagKey));
    const predicate: VerificationPredicate = {
      fixer: fix.record.fixer,
      diagnosticsBefore: receiptDiagnostics(fix.before, files, introduced),
      diagnosticsAfter: receiptDiagnostics(fix.after, files, introduced),
      commands: fix.commands.slice(0, 1000),
      tests: {
        ...(state.testsBefore ? { before: countsOf(state.testsBefore.result) } : {}),
        ...(fix.testsAfter ? { after: fix.testsAfter } : {}),
      },
      profileSha256: state.profileSha256,
      navi: { version: NAVI_VERSION },
      startedAt: fix.startedAt.toISOString(),
      finishedAt: fix.finishedAt.toISOString(),
      taskId: state.taskId,
      fixId: fix.record.id,
      result,
      ...(reason ? { reason: reason.slice(0, 4000) } : {}),
    };
    const present = fix.record.files.filter((f) => fs.existsSync(path.join(state.root, f)));
    if (present.length === 0) return; // a receipt needs at least one file to cover
    const issued = await issueReceipt({
      workspaceRoot: state.root,
      files: present,
      predicate,
      key: this.signingKey(),
    });
    const record = await new ReceiptStore(state.ports.stateDir).save(issued, state.root);
    fix.record.receipt = { id: record.id, status: result };
    await state.ports.pipeline.audit.append({
      type: 'receipt.issued',
      actor: { kind: 'system' },
      workspace: state.root,
      data: {
        taskId: state.taskId,
        fixId: fix.record.id,
        receiptId: record.id,
        result,
        envelopeSha256: sha256(JSON.stringify(record.envelope)),
        paths: present,
      },
    });
  }
}
