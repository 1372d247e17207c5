// The agent process is restarted when it dies, and the restarted agent answers.
import * as assert from 'node:assert/strict';
import { realpath } from 'node:fs/promises';
import * as vscode from 'vscode';
import { ScanReport } from '../../protocol/scanReport';
import { isAlive, naviApi, waitForEvent, workspaceFolder } from './util';

describe('NAVI agent process', () => {
  it('restarts the agent after it is killed', async function () {
    this.timeout(90_000);
    const api = await naviApi();
    const before = await api.agentInfo();
    assert.ok(Number.isInteger(before.pid) && before.pid > 0, `pid ${before.pid}`);
    assert.ok(isAlive(before.pid), `agent ${before.pid} is alive before the kill`);
    assert.ok(before.version.length > 0, 'the agent reports its version');
    // Started through dist/launch.js with V8's code cache (Node's own on Node 22+), as the CLI's agent.
    assert.ok(
      ['node', 'used', 'written'].includes(before.codeCache ?? 'none'),
      `the agent started without the code cache (${before.codeCache})`,
    );

    const states: string[] = [];
    const seen = api.onDidChangeAgentState((state) => states.push(state));
    try {
      // Subscribe before the kill: the restart can be fast.
      const restarted = waitForEvent(
        api.onDidChangeAgentState,
        async (state) => state === 'running' && (await api.agentInfo()).pid !== before.pid,
        60_000,
        () =>
          `no running agent with a new pid after killing ${before.pid}; states seen: ${states.join(' → ')}`,
      );
      process.kill(before.pid, 'SIGKILL');
      await restarted;
    } finally {
      seen.dispose();
    }

    const after = await api.agentInfo();
    assert.notEqual(after.pid, before.pid);
    assert.ok(isAlive(after.pid), `the new agent ${after.pid} is alive`);
    assert.equal(isAlive(before.pid), false, 'the killed agent is gone');
    assert.equal(after.version, before.version);
    assert.ok(Array.isArray(after.tasks));
    assert.ok(
      states.includes('stopped') || states.includes('starting'),
      `states seen: ${states.join(' → ')}`,
    );

    // And the restarted agent does real work.
    const report = ScanReport.parse(await vscode.commands.executeCommand('navi.scanRepository'));
    assert.equal(report.root, await realpath(workspaceFolder().uri.fsPath));
  });
});
