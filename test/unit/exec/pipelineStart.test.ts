import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ApprovalResult } from '../../../protocol/approvals';
import type { RunParams } from '../../../protocol/requests';
import { openAuditLog, type AuditLog } from '../../../server/audit/log';
import { run, type PipelinePorts } from '../../../server/exec/pipeline';
import { tempDir } from '../../fixtures/builders';
import { pipelinePorts } from './harness';

// When a command starts: the pipeline calls `onStart` once its process runs — after the verdict,
// the approval and the audit record — and the run's `durationMs` counts from there, so the time a
// person took to approve is in no duration (a test run's clocks start with `onStart`).

/** Inline code asks; it sleeps a little, then writes `name` in the workspace. */
const sleepsThenWrites = (ms: number, name: string) =>
  `node -e "setTimeout(() => require('fs').writeFileSync('${name}', 'ran'), ${ms})"`;

describe('exec/pipeline: the process start', () => {
  const APPROVAL_MS = 600;
  let root: string;
  let ws: string;
  let log: AuditLog;
  let answer: () => Promise<ApprovalResult>;
  let ports: PipelinePorts;

  beforeEach(async () => {
    root = tempDir('navi-pipeline-start-');
    ws = path.join(root, 'ws');
    fs.mkdirSync(ws);
    log = await openAuditLog(path.join(root, 'state', 'audit.ndjson'), { client: 'cli' });
    ports = pipelinePorts(root, {
      audit: log,
      requestApproval: () => answer(),
      sandbox: async () => ({ available: false, reason: 'not used by these tests' }),
    });
  });
  afterEach(async () => {
    await log.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const params = (command: string): RunParams => ({
    runId: 'r1',
    command,
    cwd: ws,
    workspaceRoot: ws,
    trusted: true,
    proposer: 'task',
  });

  it('starts the clock with the process, after the approval: the wait is in no duration', async () => {
    let answeredAt = 0;
    answer = async () => {
      await new Promise((resolve) => setTimeout(resolve, APPROVAL_MS));
      answeredAt = Date.now();
      return { decision: 'allowOnce', by: 'ana' };
    };
    const starts: number[] = [];
    const sentAt = Date.now();
    const outcome = await run(params(sleepsThenWrites(200, 'done.txt')), ports, {
      signal: new AbortController().signal,
      onStart: () => starts.push(Date.now()),
    });
    const doneAt = Date.now();
    assert.equal(outcome.ran, true, outcome.message);
    assert.ok(fs.existsSync(path.join(ws, 'done.txt')));
    assert.equal(starts.length, 1, 'onStart once');
    assert.ok(starts[0]! >= answeredAt, 'the process starts after the answer');
    const duration = outcome.result!.durationMs;
    assert.ok(duration >= 150, `the process ran for its 200 ms sleep (${duration} ms)`);
    assert.ok(
      duration <= doneAt - starts[0]!,
      `${duration} ms, but only ${doneAt - starts[0]!} ms passed since the process started`,
    );
    assert.ok(doneAt - sentAt >= APPROVAL_MS + 150, 'the run as a whole did wait');
  });

  it('never calls onStart for a command that does not run', async () => {
    answer = async () => ({ decision: 'deny', by: 'ana' });
    let started = false;
    const outcome = await run(params(sleepsThenWrites(0, 'no.txt')), ports, {
      signal: new AbortController().signal,
      onStart: () => (started = true),
    });
    assert.equal(outcome.ran, false);
    assert.equal(started, false);
  });
});
