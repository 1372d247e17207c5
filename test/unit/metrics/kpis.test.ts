import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { v7 as uuidv7 } from 'uuid';
import type { AuditEventInput } from '../../../protocol/audit';
import { MetricsResult, type TaskCategoryMetrics } from '../../../protocol/metrics';
import { openAuditLog, type AuditLog } from '../../../server/audit/log';
import { NO_RULE, percentile } from '../../../server/metrics/kpis';
import { metricsOfAuditLog } from '../../../server/metrics/read';
import { formatMetrics } from '../../../cli/commands/metrics';
import { tempLogDir } from '../audit/builders';

/** Typed builders for the events a task writes, all through the real log API. */
const PROJECT = '/work/repo';

async function command(
  log: AuditLog,
  opts: {
    verdict: 'allow' | 'ask' | 'deny';
    ruleIds?: string[];
    decision?: { by: 'user' | 'cli-yes' | 'policy' | 'timeout'; denied?: boolean };
    exitCode?: number | null;
    durationMs?: number;
    proposer?: 'agent' | 'user' | 'task';
    cancelled?: boolean;
  },
): Promise<string> {
  const commandId = uuidv7();
  await log.appendAll([
    {
      type: 'command.proposed',
      actor: { kind: 'user' },
      data: { commandId, command: 'npm test', cwd: PROJECT, proposer: opts.proposer ?? 'user' },
    },
    {
      type: 'command.verdict',
      actor: { kind: 'policy' },
      data: { commandId, verdict: opts.verdict, reasons: [], ruleIds: opts.ruleIds ?? [] },
    },
  ]);
  if (opts.decision)
    await log.append({
      type: opts.decision.denied ? 'command.denied' : 'command.approved',
      actor: { kind: 'user', id: 'alice' },
      data: { commandId, by: opts.decision.by, scope: 'once' },
    });
  if (opts.exitCode !== undefined)
    await log.append({
      type: 'command.executed',
      actor: { kind: 'system' },
      data: {
        commandId,
        exitCode: opts.exitCode,
        signal: opts.exitCode === null ? 'SIGKILL' : null,
        durationMs: opts.durationMs ?? 100,
        timedOut: false,
        cancelled: opts.cancelled ?? false,
        sandboxed: true,
        output: { bytes: 0, sha256: 'a'.repeat(64) },
      },
    });
  return commandId;
}

async function task(
  log: AuditLog,
  kind: 'test' | 'start' | 'fix',
  status: Extract<AuditEventInput, { type: 'task.finished' }>['data']['status'] | undefined,
  durationMs: number,
  commandIds: string[] = [],
): Promise<string> {
  const taskId = uuidv7();
  await log.append({
    type: 'task.started',
    actor: { kind: 'user' },
    data: { taskId, task: kind, project: PROJECT, command: 'npm test' },
  });
  if (status)
    await log.append({
      type: 'task.finished',
      actor: { kind: 'system' },
      data: { taskId, task: kind, project: PROJECT, status, durationMs, commandIds },
    });
  return taskId;
}

function row(m: MetricsResult, category: string): TaskCategoryMetrics {
  return m.tasks.find((t) => t.category === category)!;
}

describe('metrics: KPIs from the audit log', () => {
  let t: ReturnType<typeof tempLogDir>;
  beforeEach(() => (t = tempLogDir()));
  afterEach(() => t.cleanup());

  it('percentile is nearest-rank', () => {
    assert.equal(percentile([], 50), null);
    assert.equal(percentile([7], 95), 7);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(hundred, 50), 50);
    assert.equal(percentile(hundred, 95), 95);
    assert.equal(percentile([1, 2, 3, 4], 50), 2);
  });

  it('a missing log is all zeros', async () => {
    const m = MetricsResult.parse(await metricsOfAuditLog(t.file));
    assert.equal(m.exists, false);
    assert.equal(m.events, 0);
    assert.deepEqual(
      m.tasks.map((x) => [x.category, x.count, x.successRate]),
      [
        ['scan', 0, null],
        ['fix', 0, null],
        ['test', 0, null],
        ['start', 0, null],
        ['command', 0, null],
      ],
    );
  });

  it('counts tasks by category with success rate, error rate and p50/p95 durations', async () => {
    const log = await openAuditLog(t.file);
    // Three test runs: passed (1 s), failed (3 s), error (2 s); one still running.
    const testCmd = await command(log, {
      verdict: 'ask',
      decision: { by: 'user' },
      exitCode: 0,
      proposer: 'task',
    });
    await task(log, 'test', 'passed', 1000, [testCmd]);
    await task(log, 'test', 'failed', 3000);
    await task(log, 'test', 'error', 2000);
    await task(log, 'test', undefined, 0);
    // App starts: ready, exited, stopped.
    await task(log, 'start', 'ready', 500);
    await task(log, 'start', 'exited', 700);
    await task(log, 'start', 'stopped', 900);
    // Fixes: fixed, incomplete.
    await task(log, 'fix', 'fixed', 10_000);
    await task(log, 'fix', 'incomplete', 20_000);
    // Commands of their own: exit 0 (40 ms), exit 2 (60 ms), killed (80 ms), denied (never ran).
    await command(log, { verdict: 'allow', exitCode: 0, durationMs: 40 });
    await command(log, { verdict: 'allow', exitCode: 2, durationMs: 60 });
    await command(log, { verdict: 'ask', decision: { by: 'cli-yes' }, exitCode: null, durationMs: 80 });
    await command(log, { verdict: 'deny', ruleIds: ['builtin:remote-code'] });
    await log.close();

    const m = MetricsResult.parse(await metricsOfAuditLog(t.file));
    assert.equal(m.verified, true);
    assert.equal(m.events, fs.readFileSync(t.file, 'utf8').trim().split('\n').length);

    const test = row(m, 'test');
    assert.deepEqual(
      [test.count, test.unfinished, test.succeeded, test.failed, test.errored, test.p50Ms, test.p95Ms],
      [3, 1, 1, 1, 1, 2000, 3000],
    );
    assert.equal(test.successRate, 1 / 3);
    assert.equal(test.errorRate, 1 / 3);

    const start = row(m, 'start');
    assert.deepEqual([start.count, start.succeeded, start.failed, start.cancelled], [3, 1, 1, 1]);
    assert.deepEqual([start.p50Ms, start.p95Ms], [700, 900]);

    const fix = row(m, 'fix');
    assert.deepEqual(
      [fix.count, fix.succeeded, fix.errored, fix.successRate, fix.errorRate],
      [2, 1, 1, 0.5, 0.5],
    );

    // The test run's command is the task's, not a command of its own.
    const cmd = row(m, 'command');
    assert.deepEqual(
      [cmd.count, cmd.succeeded, cmd.failed, cmd.errored, cmd.p50Ms, cmd.p95Ms],
      [3, 1, 1, 1, 60, 80],
    );
    assert.equal(row(m, 'scan').recorded, false);
    assert.equal(row(m, 'scan').count, 0);
  });

  it('counts command decisions, by rule', async () => {
    const log = await openAuditLog(t.file);
    await command(log, { verdict: 'allow' }); // read-only: no rule
    await command(log, { verdict: 'allow', ruleIds: ['team:npm'] });
    await command(log, { verdict: 'ask', ruleIds: ['builtin:network'], decision: { by: 'user' } });
    await command(log, {
      verdict: 'ask',
      ruleIds: ['builtin:network'],
      decision: { by: 'timeout', denied: true },
    });
    await command(log, { verdict: 'deny', ruleIds: ['builtin:remote-code', 'builtin:network'] });
    await command(log, { verdict: 'ask', ruleIds: ['builtin:network'] }); // still waiting: counts nowhere
    await log.close();

    const { commands } = await metricsOfAuditLog(t.file);
    assert.deepEqual([commands.allowed, commands.approved, commands.denied], [2, 1, 2]);
    assert.deepEqual(commands.byRule, [
      { ruleId: 'builtin:network', allowed: 0, approved: 1, denied: 2 },
      { ruleId: NO_RULE, allowed: 1, approved: 0, denied: 0 },
      { ruleId: 'builtin:remote-code', allowed: 0, approved: 0, denied: 1 },
      { ruleId: 'team:npm', allowed: 1, approved: 0, denied: 0 },
    ]);
  });

  it('counts fixes verified, kept and rolled back (distinct fixes)', async () => {
    const log = await openAuditLog(t.file);
    const taskId = await task(log, 'fix', 'fixed', 1000);
    const fix = (n: number) => `${taskId}.f${n}`;
    const receipt = (n: number, result: 'verified' | 'failed'): AuditEventInput => ({
      type: 'receipt.issued',
      actor: { kind: 'system' },
      data: {
        taskId,
        fixId: fix(n),
        receiptId: uuidv7(),
        result,
        envelopeSha256: 'b'.repeat(64),
        paths: ['a.ts'],
      },
    });
    await log.append(receipt(1, 'verified'));
    await log.append(receipt(2, 'verified'));
    await log.append(receipt(3, 'failed'));
    await log.append({
      type: 'edit.kept',
      actor: { kind: 'system' },
      data: { taskId, fixId: fix(1), paths: ['a.ts'] },
    });
    await log.append({
      type: 'edit.kept',
      actor: { kind: 'user' },
      data: { taskId, fixId: fix(1), paths: ['a.ts'] },
    });
    await log.append({
      type: 'edit.kept',
      actor: { kind: 'system' },
      data: { taskId, fixId: fix(2), paths: ['a.ts'] },
    });
    for (const n of [2, 3])
      await log.append({
        type: 'edit.rolledBack',
        actor: { kind: 'system' },
        data: { taskId, fixId: fix(n), paths: ['a.ts'], conflicts: [], reason: 'requested' },
      });
    await log.close();

    const { fixes } = await metricsOfAuditLog(t.file);
    assert.deepEqual(fixes, { verified: 2, failedVerification: 1, kept: 2, rolledBack: 2 });
  });

  it('counts nothing after a broken link, and says where it broke', async () => {
    let log = await openAuditLog(t.file);
    await task(log, 'test', 'passed', 1000);
    await log.close();
    log = await openAuditLog(t.file);
    await task(log, 'test', 'failed', 2000);
    await log.close();
    // Tamper with the second session's task.finished: make the failed run "passed".
    const lines = fs.readFileSync(t.file, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"status":"failed"'));
    lines[i] = lines[i]!.replace('"status":"failed"', '"status":"passed"');
    fs.writeFileSync(t.file, lines.join('\n'));

    const m = await metricsOfAuditLog(t.file);
    assert.equal(m.verified, false);
    assert.equal(m.brokenAt?.line, i + 1);
    const test = row(m, 'test');
    assert.deepEqual([test.count, test.succeeded, test.unfinished], [1, 1, 1]);
    assert.match(formatMetrics(m), /chain is broken at line/);
  });

  it('prints a readable table', async () => {
    const log = await openAuditLog(t.file);
    await task(log, 'test', 'passed', 1500);
    await command(log, { verdict: 'deny', ruleIds: ['builtin:remote-code'] });
    await log.close();
    const text = formatMetrics(await metricsOfAuditLog(t.file));
    assert.match(text, /^test\s+1\s+100%\s+0%\s+1\.5 s\s+1\.5 s$/m);
    assert.match(text, /^scan\s+not recorded/m);
    assert.match(text, /0 allowed by the policy, 0 approved, 1 denied/);
    assert.match(text, /^builtin:remote-code\s+0\s+0\s+1$/m);
  });
  it('time to first win: the first of each workspace, the latest and the median', async () => {
    const log = await openAuditLog(t.file);
    const win = (workspace: string, durationMs: number, via: 'fix' | 'test' | 'start', at: string) =>
      log.append({
        type: 'onboarding.firstWin',
        actor: { kind: 'system' },
        workspace,
        data: { panelOpenedAt: '2026-01-01T00:00:00.000Z', at, durationMs, via },
      });
    await win('/work/a', 52_000, 'fix', '2026-01-01T00:00:52.000Z');
    // A second one of the same workspace does not count (the extension writes one; a copy of the
    // workspace state could write another).
    await win('/work/a', 1_000, 'test', '2026-01-02T00:00:01.000Z');
    await win('/work/b', 90_000, 'test', '2026-01-03T00:01:30.000Z');
    await win('/work/c', 30_000, 'start', '2026-01-02T00:00:30.000Z');
    await log.close();
    const m = MetricsResult.parse(await metricsOfAuditLog(t.file));
    assert.deepEqual(m.firstWin, {
      workspaces: 3,
      p50Ms: 52_000,
      latest: { durationMs: 90_000, via: 'test', at: '2026-01-03T00:01:30.000Z' },
    });
    assert.match(
      formatMetrics(m),
      /^Time to first win: 1 min 30 s \(tests passed, 2026-01-03T00:01:30\.000Z\); median 52\.0 s over 3 workspaces$/m,
    );
  });

  it('time to first win: none recorded yet', async () => {
    const log = await openAuditLog(t.file);
    await task(log, 'test', 'passed', 1500);
    await log.close();
    const m = MetricsResult.parse(await metricsOfAuditLog(t.file));
    assert.deepEqual(m.firstWin, { workspaces: 0, p50Ms: null });
    assert.match(formatMetrics(m), /^Time to first win: none recorded yet$/m);
  });
});
