import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  describeRollback,
  FixTasks,
  KEEP_TASKS,
  outcome,
  summarizeFix,
  toView,
} from '../../../extension/features/fix/fixModel';
import {
  apiKeySecret,
  modelChoice,
  type ModelSettingValues,
} from '../../../extension/features/fix/modelConfig';
import {
  FixHostMessage,
  FixPanelMessage,
  PANEL_MAX_DIFF_CHARS,
  PANEL_MAX_REMAINING,
} from '../../../protocol/fixMessages';
import type { RollbackResult } from '../../../protocol/fix';
import { diffLineClass } from '../../../webview-ui/views/diff';
import { applyFix, createFixesState, summaryLine } from '../../../webview-ui/views/fixes';
import {
  change,
  fixRecord,
  fixResult,
  OTHER_TASK_ID,
  RECEIPT_ID,
  receiptSummary,
  remaining,
  TASK_ID,
} from './fixBuilders';

const root = path.resolve('/work/app');

/** Every message the host posts must pass the panel's schema (the panel drops what does not). */
function valid(messages: FixHostMessage[]): FixHostMessage[] {
  for (const m of messages)
    assert.equal(FixHostMessage.safeParse(m).success, true, `${m.kind} fits the schema`);
  return messages;
}

describe('fix tasks for the panel (host side)', () => {
  it('turns a task’s progress, its fixes and its result into panel messages', () => {
    const tasks = new FixTasks();
    assert.deepEqual(
      valid(tasks.start('run-1', root, 'src/main.ts', 1000)).map((m) => m.kind),
      ['fixStarted'],
    );
    assert.equal(tasks.running?.runId, 'run-1');

    const step = valid(
      tasks.progress({ runId: 'run-1', taskId: TASK_ID, step: 'baseline', message: 'Checking…' }),
    );
    assert.deepEqual(step, [
      { kind: 'fixProgress', runId: 'run-1', taskId: TASK_ID, step: 'baseline', message: 'Checking…' },
    ]);
    // A fix that finished while the task runs shows at once.
    const live = valid(
      tasks.progress({
        runId: 'run-1',
        taskId: TASK_ID,
        step: 'fixing',
        message: 'Fixed 1',
        fix: fixRecord(),
      }),
    );
    assert.deepEqual(
      live.map((m) => m.kind),
      ['fixProgress', 'fixRecord'],
    );

    const done = valid(tasks.finish('run-1', fixResult({ remaining: [remaining()] })));
    assert.deepEqual(
      done.map((m) => m.kind),
      ['fixRecord', 'fixFinished'],
    );
    const finished = done[1] as Extract<FixHostMessage, { kind: 'fixFinished' }>;
    assert.equal(finished.outcome?.status, 'fixed');
    assert.equal(finished.outcome?.remainingTotal, 1);
    assert.equal(tasks.running, undefined);
    assert.deepEqual([...tasks.taskIds()], [TASK_ID]);
    assert.equal(tasks.find(`${TASK_ID}.f1`)?.fix.changes[0]?.beforeText?.includes('add(1, 2)'), true);
  });

  it('ignores progress of runs it did not start (another window’s agent client) and after the end', () => {
    const tasks = new FixTasks();
    assert.deepEqual(tasks.progress({ runId: 'other', taskId: TASK_ID, step: 'fixing', message: 'x' }), []);
    tasks.start('run-1', root, 'the workspace', 1);
    tasks.fail('run-1', 'Stopped.');
    assert.deepEqual(
      tasks.progress({ runId: 'run-1', taskId: TASK_ID, step: 'fixing', message: 'late' }),
      [],
    );
    assert.deepEqual(tasks.finish('nope', fixResult()), []);
  });

  it('replays everything a reloaded panel needs, decisions and receipts included', () => {
    const tasks = new FixTasks();
    tasks.start('run-1', root, 'src/main.ts', 1);
    tasks.finish('run-1', fixResult());
    tasks.decide(`${TASK_ID}.f1`, 'kept', 'Kept.');
    tasks.setReceipts([
      receiptSummary(),
      receiptSummary({ id: '01890a5d-ac98-7abc-8def-0123456789ab', taskId: OTHER_TASK_ID }),
    ]);
    const replay = valid(tasks.replay());
    assert.deepEqual(
      replay.map((m) => m.kind),
      ['fixStarted', 'fixRecord', 'fixFinished', 'fixDecision', 'receipts'],
    );
    const receipts = replay.at(-1) as Extract<FixHostMessage, { kind: 'receipts' }>;
    assert.deepEqual(
      receipts.receipts.map((r) => r.id),
      [RECEIPT_ID],
      'only the receipts of the tasks shown',
    );
    // A running task replays its latest step.
    tasks.start('run-2', root, 'the workspace', 2);
    tasks.progress({ runId: 'run-2', taskId: OTHER_TASK_ID, step: 'verifying', message: 'Verifying' });
    assert.equal(
      tasks.replay().some((m) => m.kind === 'fixProgress' && m.runId === 'run-2'),
      true,
    );
  });

  it('keeps the last tasks only, with their decisions', () => {
    const tasks = new FixTasks();
    for (let i = 0; i <= KEEP_TASKS; i++) {
      tasks.start(`run-${i}`, root, 'x', i);
      tasks.finish(`run-${i}`, fixResult());
    }
    assert.equal(tasks.replay().filter((m) => m.kind === 'fixStarted').length, KEEP_TASKS);
    assert.equal(
      tasks.replay().some((m) => m.kind === 'fixStarted' && m.runId === 'run-0'),
      false,
    );
  });

  it('knows which files the fixes shown cover, so a save of one refreshes the receipts', () => {
    const tasks = new FixTasks();
    tasks.start('run-1', root, 'x', 1);
    tasks.finish(
      'run-1',
      fixResult({
        fixes: [fixRecord(1), fixRecord(2, { files: ['src/b.ts'], changes: [change({ path: 'src/b.ts' })] })],
      }),
    );
    tasks.setReceipts([receiptSummary({ files: [{ path: 'src/c.ts', sha256: 'c'.repeat(64) }] })]);
    assert.deepEqual([...tasks.coveredFiles()].sort(), ['src/b.ts', 'src/c.ts', 'src/main.ts']);
  });

  it('shows a fix without its text before, with long diffs cut and Open Diff where it can work', () => {
    const long = fixRecord(1, { changes: [change({ diff: '+x\n'.repeat(PANEL_MAX_DIFF_CHARS) })] });
    const view = toView(long);
    assert.equal(view.changes[0]!.diff.length, PANEL_MAX_DIFF_CHARS);
    assert.equal(view.changes[0]!.diffCut, true);
    assert.equal(view.changes[0]!.canOpenDiff, true);
    assert.equal('beforeText' in view.changes[0]!, false);
    const noCopy = toView(fixRecord(1, { changes: [change({ beforeText: undefined })] }));
    assert.equal(noCopy.changes[0]!.canOpenDiff, false, 'no copy of a big or binary file');
    const created = toView(fixRecord(1, { changes: [change({ before: null, beforeText: undefined })] }));
    assert.equal(created.changes[0]!.canOpenDiff, true, 'a new file was empty before');
  });

  it('lists at most PANEL_MAX_REMAINING remaining diagnostics, relative to the workspace', () => {
    const many = Array.from({ length: PANEL_MAX_REMAINING + 20 }, (_, i) =>
      remaining({ file: path.join(root, 'src', `f${i}.ts`) }),
    );
    const o = outcome(fixResult({ status: 'remaining', remaining: many }), root);
    assert.equal(o.remaining.length, PANEL_MAX_REMAINING);
    assert.equal(o.remainingTotal, PANEL_MAX_REMAINING + 20);
    assert.equal(o.remaining[0]!.file, 'src/f0.ts');
    assert.equal('fixes' in o, false);
  });
});

describe('fix result sentences', () => {
  it('says n fixed and verified, m remaining, and what was rolled back and why', () => {
    assert.equal(summarizeFix(fixResult()).text, 'NAVI fixed and verified 1 problem (1 fix); none remain.');
    const mixed = summarizeFix(
      fixResult({
        status: 'remaining',
        fixes: [
          fixRecord(1, { fixedCount: 2 }),
          fixRecord(2, { status: 'rolled-back', fixedCount: 0, reason: 'tsc found a new error in src/a.ts' }),
        ],
        remaining: [remaining(), remaining({ line: 9 })],
        rolledBack: [
          { id: `${TASK_ID}.f2`, reason: 'tsc found a new error in src/a.ts', files: ['src/a.ts'] },
        ],
      }),
    );
    assert.equal(mixed.fixed, 2);
    assert.equal(mixed.kept, 1);
    assert.equal(mixed.remaining, 2);
    assert.equal(
      mixed.text,
      'NAVI fixed and verified 2 problems (1 fix); 2 remain. 1 fix was rolled back: tsc found a new error in src/a.ts',
    );
    assert.equal(
      summarizeFix(fixResult({ status: 'clean', fixes: [] })).text,
      'NAVI found no problems to fix.',
    );
    assert.match(
      summarizeFix(
        fixResult({
          status: 'incomplete',
          fixes: [],
          remaining: [remaining()],
          notes: ['eslint was not found.'],
        }),
      ).text,
      /^NAVI fixed no problem; 1 remains\. Not every check could run: eslint was not found\.$/,
    );
  });

  it('says what a rollback restored and what it left as the person changed it', () => {
    const base: RollbackResult = {
      taskId: TASK_ID,
      fixIds: [`${TASK_ID}.f1`],
      restored: ['src/main.ts'],
      deleted: [],
      conflicts: [],
      notRestored: [],
      undoCheckpoints: [],
      nothing: false,
    };
    assert.equal(describeRollback(base), 'Restored src/main.ts.');
    assert.equal(
      describeRollback({ ...base, restored: [], conflicts: [{ path: 'src/main.ts', kept: 'user' }] }),
      'No file needed restoring. src/main.ts was changed after the fix and left as you changed it.',
    );
    assert.equal(
      describeRollback({ ...base, nothing: true }),
      'Nothing to roll back: the fix was already rolled back.',
    );
  });
});

describe('model settings → navi/fix model', () => {
  const values = (over: Partial<ModelSettingValues>): ModelSettingValues => ({
    'model.provider': 'none',
    'model.baseUrl': '',
    'model.name': '',
    ...over,
  });

  it('sends no model for none, and vscode-lm with or without a name', () => {
    assert.deepEqual(modelChoice(values({}), 'k'), { kind: 'none' });
    assert.deepEqual(modelChoice(values({ 'model.provider': 'vscode-lm' }), undefined), {
      kind: 'model',
      model: { provider: 'vscode-lm' },
    });
    assert.deepEqual(
      modelChoice(values({ 'model.provider': 'vscode-lm', 'model.name': 'gpt-4o' }), 'ignored'),
      {
        kind: 'model',
        model: { provider: 'vscode-lm', model: 'gpt-4o' },
      },
    );
  });

  it('sends the HTTP providers with their key, and says what is missing', () => {
    assert.deepEqual(
      modelChoice(
        values({
          'model.provider': 'openai-compatible',
          'model.baseUrl': 'http://127.0.0.1:11434/v1',
          'model.name': 'qwen',
        }),
        undefined,
      ),
      {
        kind: 'model',
        model: { provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', model: 'qwen' },
      },
    );
    assert.deepEqual(
      modelChoice(values({ 'model.provider': 'anthropic', 'model.name': 'claude' }), 'sk-test'),
      { kind: 'model', model: { provider: 'anthropic', model: 'claude', apiKey: 'sk-test' } },
    );
    assert.equal(
      modelChoice(values({ 'model.provider': 'openai-compatible', 'model.name': 'x' }), 'k').kind,
      'invalid',
    );
    const noKey = modelChoice(values({ 'model.provider': 'anthropic', 'model.name': 'claude' }), undefined);
    assert.equal(noKey.kind, 'invalid');
    assert.match((noKey as { problem: string }).problem, /Set Model API Key/);
    assert.equal(apiKeySecret('anthropic'), 'navi.model.apiKey.anthropic');
  });
});

describe('Fixes card (panel side)', () => {
  it('applies the host’s messages: tasks, fixes, outcome, decisions, receipts', () => {
    const state = createFixesState();
    const host = new FixTasks();
    const messages = [
      ...host.start('run-1', root, 'src/main.ts', 1),
      ...host.progress({ runId: 'run-1', taskId: TASK_ID, step: 'fixing', message: 'Fixing' }),
      ...host.finish('run-1', fixResult()),
      ...host.decide(`${TASK_ID}.f1`, 'rolledBack', 'Restored src/main.ts.'),
      ...host.setReceipts([receiptSummary({ status: 'stale', reasons: ['src/main.ts changed'] })]),
    ];
    const applied = messages.map((m) => applyFix(state, FixHostMessage.parse(m)));
    assert.deepEqual(applied, [undefined, 'progress', undefined, undefined, undefined, undefined]);
    const task = state.tasks.get('run-1')!;
    assert.equal(task.fixes.size, 1);
    assert.equal(task.finished?.outcome?.status, 'fixed');
    assert.equal(state.decisions.get(`${TASK_ID}.f1`)?.decision, 'rolledBack');
    assert.equal(state.receipts.get(RECEIPT_ID)?.status, 'stale');
    assert.equal(
      summaryLine([...task.fixes.values()], task.finished!.outcome!),
      '1 fixed and verified · 0 remaining',
    );
  });

  it('validates what the panel sends', () => {
    assert.equal(FixPanelMessage.safeParse({ kind: 'rollbackFix', fixId: `${TASK_ID}.f1` }).success, true);
    assert.equal(FixPanelMessage.safeParse({ kind: 'rollbackFix', fixId: '../../etc' }).success, false);
    assert.equal(
      FixPanelMessage.safeParse({ kind: 'openFixDiff', fixId: `${TASK_ID}.f1`, path: '' }).success,
      false,
    );
  });

  it('marks diff lines by their sign', () => {
    assert.deepEqual(
      ['Index: x', '====', '--- a/x', '+++ b/x', '@@ -1 +1 @@', '+new', '-old', ' same', '\\ No newline'].map(
        diffLineClass,
      ),
      [
        'diff-file',
        'diff-file',
        'diff-file',
        'diff-file',
        'diff-hunk',
        'diff-add',
        'diff-del',
        'diff-context',
        'diff-note',
      ],
    );
  });
});
