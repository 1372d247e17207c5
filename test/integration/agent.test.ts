import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ResponseError } from 'vscode-jsonrpc/node';
import { startAgent, CancellationTokenSource, type AgentClient } from '../../cli/agentClient';
import { ErrorCodes } from '../../protocol/errors';
import * as requests from '../../protocol/requests';
import { ScanReport } from '../../protocol/scanReport';
import { fakeStripeKey, requireBuild, SERVER, tempDir, writeFiles } from './helpers';

/** The real agent process over JSON-RPC (stdio), as the CLI and VS Code talk to it. */
describe('agent process over JSON-RPC', () => {
  let agent: AgentClient;
  let repo: string;

  before(() => {
    requireBuild();
    repo = tempDir('agent');
    writeFiles(repo, {
      'package.json': JSON.stringify({ name: 'demo', scripts: { test: 'mocha', lint: 'eslint .' } }, null, 2),
      'package-lock.json': '{"lockfileVersion":3}',
      '.gitignore': 'node_modules\n',
      'src/index.js': 'module.exports = 1;\n',
      'test/index.test.js': "require('../src');\n",
      'config/settings.js': `module.exports = { stripe: '${fakeStripeKey()}' };\n`,
    });
    execFileSync('git', ['init', '-q'], { cwd: repo });
    execFileSync('git', ['add', '.'], { cwd: repo });
  });

  beforeEach(async () => {
    agent = await startAgent({ serverPath: SERVER });
  });

  afterEach(async () => {
    await agent.dispose();
  });

  after(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('answers navi/agentInfo with its version and pid', async () => {
    const info = requests.AgentInfoResult.parse(
      await agent.connection.sendRequest(requests.agentInfo.type, {}),
    );
    assert.equal(info.pid, agent.process.pid);
    assert.ok(info.tasks.includes('scan'));
    assert.match(info.version, /^\d+\.\d+\.\d+/);
  });

  it('scans a repository, sending the summary before the full report', async () => {
    const order: string[] = [];
    agent.connection.onNotification(requests.scanSummary.type, (params) => {
      requests.ScanSummaryParams.parse(params);
      if (params.scanId === 's1') order.push('summary');
    });
    const progress: string[] = [];
    agent.connection.onNotification('$/progress', (p: { token: string; value: { kind: string } }) => {
      if (p.token === 's1') progress.push(p.value.kind);
    });
    const raw = await agent.connection.sendRequest(requests.scan.type, {
      root: repo,
      scanId: 's1',
      workDoneToken: 's1',
    });
    order.push('report');
    const report = ScanReport.parse(raw);
    assert.deepEqual(order, ['summary', 'report']);
    assert.equal(report.root, fs.realpathSync(repo));
    assert.equal(report.projects[0]?.commands.test?.command, 'npm test');
    assert.ok(
      report.risks.some((r) => r.id === 'secret'),
      'the planted Stripe key is reported',
    );
    assert.ok(!JSON.stringify(report).includes(fakeStripeKey()), 'the secret itself never leaves the agent');
    assert.equal(progress[0], 'begin');
    assert.equal(progress.at(-1), 'end');
  });

  it('rejects invalid params with a clear JSON-RPC error and keeps serving', async () => {
    await assert.rejects(
      agent.connection.sendRequest(requests.scan.method, { root: 42, scanId: 'x' }),
      (error: unknown) => {
        assert.ok(error instanceof ResponseError);
        assert.equal(error.code, ErrorCodes.InvalidParams);
        assert.match(error.message, /navi\/scan.*root/);
        return true;
      },
    );
    await assert.rejects(
      agent.connection.sendRequest(requests.scan.method, { root: repo, scanId: 'x', extra: true }),
      /Invalid params/,
    );
    // Still alive and answering.
    await agent.connection.sendRequest(requests.agentInfo.type, {});
  });

  it('says which path is missing or not a directory', async () => {
    const missing = path.join(repo, 'no-such-dir');
    await assert.rejects(
      agent.connection.sendRequest(requests.scan.type, { root: missing, scanId: 'm' }),
      (error: unknown) => {
        assert.ok(error instanceof ResponseError);
        assert.equal(error.code, ErrorCodes.PathNotFound);
        assert.ok(error.message.includes(missing));
        return true;
      },
    );
    const file = path.join(repo, 'package.json');
    await assert.rejects(
      agent.connection.sendRequest(requests.scan.type, { root: file, scanId: 'f' }),
      (error: unknown) => {
        assert.ok(error instanceof ResponseError);
        assert.equal(error.code, ErrorCodes.NotADirectory);
        return true;
      },
    );
  });

  it('answers an unknown method with MethodNotFound instead of crashing', async () => {
    await assert.rejects(agent.connection.sendRequest('navi/doesNotExist', {}), (error: unknown) => {
      assert.ok(error instanceof ResponseError);
      assert.equal(error.code, -32601);
      return true;
    });
    await agent.connection.sendRequest(requests.agentInfo.type, {});
  });

  it('stops a scan when the client cancels it', async () => {
    // Big enough (2,000 files, 80 MB) that the scan is still reading when the cancel arrives.
    const big = tempDir('cancel');
    const line = 'const value = computeSomething(input, options); // filler text for the scan\n';
    const body = line.repeat(Math.ceil(40_000 / line.length));
    for (let d = 0; d < 20; d++) {
      fs.mkdirSync(path.join(big, `dir${d}`));
      for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(big, `dir${d}`, `file${f}.js`), body);
    }
    after(() => fs.rmSync(big, { recursive: true, force: true }));
    const cancel = new CancellationTokenSource();
    // Cancel as soon as the first progress report arrives: the scan is under way.
    agent.connection.onNotification('$/progress', (p: { token: string }) => {
      if (p.token === 'c1') cancel.cancel();
    });
    const started = Date.now();
    const pending = agent.connection.sendRequest(
      requests.scan.type,
      { root: big, scanId: 'c1', workDoneToken: 'c1' },
      cancel.token,
    );
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof ResponseError);
      assert.equal(error.code, ErrorCodes.RequestCancelled);
      return true;
    });
    console.log(`      (cancelled after ${Date.now() - started} ms)`);
    await agent.connection.sendRequest(requests.agentInfo.type, {});
  });
});
