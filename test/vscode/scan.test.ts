// `navi.scanRepository` returns the scan report of the workspace folder (the fixture repository
// made by test/e2e/lib/fixture.mjs: an npm project with a committed .env holding a Stripe key).
import * as assert from 'node:assert/strict';
import { readFile, realpath } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ScanReport } from '../../protocol/scanReport';
import { naviApi, workspaceFolder } from './util';

describe('navi.scanRepository', () => {
  let report: ScanReport;
  let secret: string;

  before(async function () {
    this.timeout(90_000);
    await naviApi();
    const env = await readFile(path.join(workspaceFolder().uri.fsPath, '.env'), 'utf8');
    secret = /^STRIPE_KEY=(.+)$/m.exec(env)?.[1] ?? '';
    assert.ok(secret.length > 0, 'the fixture has a key in .env');
    const result: unknown = await vscode.commands.executeCommand('navi.scanRepository');
    report = ScanReport.parse(result);
  });

  it('scans the workspace folder', async () => {
    assert.equal(report.root, await realpath(workspaceFolder().uri.fsPath));
    assert.equal(report.git, true);
    assert.equal(report.inventory.source, 'git');
    assert.equal(report.inventory.files, 7);
  });

  it('finds the npm project and its commands', () => {
    const project = report.projects[0];
    assert.ok(project, 'one project');
    assert.equal(report.projects.length, 1);
    assert.equal(project.packageManager, 'npm');
    assert.equal(project.commands.test?.command, 'npm test');
    assert.equal(project.commands.lint?.command, 'npm run lint');
    assert.deepEqual(
      report.ci.map((c) => c.path),
      ['.github/workflows/ci.yml'],
    );
  });

  it('reports the committed secret at its line without revealing it', () => {
    const secretRisk = report.risks.find((r) => r.id === 'secret');
    assert.ok(secretRisk, `a secret risk; risks: ${report.risks.map((r) => r.id).join(', ')}`);
    assert.ok(
      secretRisk.evidence.some((e) => e.path === '.env' && e.line === 2),
      `evidence at .env:2; got ${JSON.stringify(secretRisk.evidence)}`,
    );
    assert.ok(
      report.risks.some((r) => r.id === 'env-file'),
      'the committed .env file is a risk of its own',
    );
    assert.equal(JSON.stringify(report).includes(secret), false, 'the raw secret is nowhere in the report');
  });
});
