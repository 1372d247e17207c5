// NAVI activates in a real extension host and registers exactly the commands it contributes.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { OUTPUT_TAG } from './index';
import { naviApi, naviExtension } from './util';

interface Contributes {
  commands?: { command: string }[];
  views?: Record<string, { id: string }[]>;
}

describe('NAVI activation', () => {
  it('activates and exports its API', async () => {
    const api = await naviApi();
    assert.equal(naviExtension().isActive, true);
    assert.equal(typeof api.agentInfo, 'function');
    assert.equal(typeof api.onDidChangeAgentState, 'function');
    // Reported, not asserted: timing belongs in benchmarks (docs/BENCHMARKS.md).
    console.log(
      `${OUTPUT_TAG}      activation took ${api.activationMs.toFixed(1)} ms of NAVI's own work in this extension host`,
    );
  });

  it('registers every contributed command, and contributes every navi.* command it registers', async () => {
    await naviApi();
    const contributes = (naviExtension().packageJSON as { contributes: Contributes }).contributes;
    const contributed = (contributes.commands ?? []).map((c) => c.command).sort();
    assert.ok(contributed.length > 0, 'package.json contributes commands');

    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], 'contributed commands that are not registered');

    // The workbench registers `<viewId>.focus`, `<viewId>.resetViewLocation`… for each view:
    // those are VS Code's, not NAVI's.
    const viewIds = Object.values(contributes.views ?? {})
      .flat()
      .map((v) => v.id);
    const naviOwn = [...registered].filter(
      (id) => id.startsWith('navi.') && !viewIds.some((view) => id.startsWith(`${view}.`)),
    );
    const notContributed = naviOwn.filter((id) => !contributed.includes(id)).sort();
    assert.deepEqual(notContributed, [], 'registered navi.* commands missing from contributes.commands');
  });
});
