import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { ScanSummary } from '../../../protocol/scanReport';
import { searchContent } from '../../../server/tasks/scan/secrets';
import { type Fixture, fakeSecrets, fixture } from '../../fixtures/builders';
import { riskOf, runScan, scanInChildProcess } from './harness';

describe('scan: progressive summary and cancellation', () => {
  let fx: Fixture | undefined;
  afterEach(() => fx?.cleanup());

  it('sends the summary (inventory, projects, CI) before the content is searched', async () => {
    fx = fixture({
      '.gitignore': '',
      'package.json': JSON.stringify({ name: 'p', scripts: { test: 'mocha' } }),
      '.github/workflows/ci.yml': 'on: push\n',
      'src/late.ts': 'export const clean = true;\n',
    });
    const late = fx.abs('src/late.ts');
    const { report, summaries } = await runScan(fx.root, {
      // Plant a secret only once the summary is out: the content pass must still see it, so
      // it cannot have run before the summary.
      onSummary: () => fs.appendFileSync(late, `export const key = '${fakeSecrets.awsAccessKeyId()}';\n`),
    });
    assert.equal(summaries.length, 1);
    const summary = ScanSummary.parse(summaries[0]);
    assert.ok(!('risks' in summaries[0]!), 'the summary has no risks yet');
    assert.equal(summary.inventory.files, 4);
    assert.equal(summary.inventory.source, 'git');
    assert.equal(summary.projects[0]?.name, 'p');
    assert.deepEqual(summary.ci, [{ system: 'github-actions', path: '.github/workflows/ci.yml' }]);
    assert.equal(summary.git, true);
    assert.equal(summary.root, fx.root);
    assert.deepEqual(
      riskOf(report, 'secret')?.evidence.map((e) => [e.path, e.line]),
      [['src/late.ts', 2]],
    );
    assert.ok(report.durationMs >= summary.durationMs);
  });

  it('rejects with the abort reason when cancelled after the summary, without finishing', async () => {
    fx = fixture({ '.gitignore': '' }, { commit: false });
    for (let i = 0; i < 300; i++) fx.write(`src/f${i}.ts`, `export const v${i} = ${i};\n`.repeat(50));
    fx.commit();
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    const progress: string[] = [];
    await assert.rejects(
      runScan(fx.root, {
        signal: controller.signal,
        onSummary: () => controller.abort(reason),
        onProgress: (message) => progress.push(message),
      }),
      (error) => error === reason,
    );
    assert.ok(!progress.includes('Scan complete'));
  });

  it('rejects at once when the signal is already aborted', async () => {
    fx = fixture({ 'a.txt': 'a' });
    const controller = new AbortController();
    controller.abort(new Error('early'));
    let summaries = 0;
    await assert.rejects(
      runScan(fx.root, { signal: controller.signal, onSummary: () => summaries++ }),
      /early/,
    );
    assert.equal(summaries, 0);
  });

  it('prints nothing on stdout or stderr (the agent’s JSON-RPC channel), worker threads included', () => {
    fx = fixture({ '.gitignore': '', 'src/a.ts': `export const k = '${fakeSecrets.githubToken()}';\n` });
    // Sparse files big enough that the scan expects a lot to read and starts worker threads.
    for (let i = 0; i < 5; i++)
      fs.truncateSync(fx.write(`assets/blob${i}.bin`, '').abs(`assets/blob${i}.bin`), 7 << 20);
    const run = scanInChildProcess(fx.root);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '');
    const report = JSON.parse(run.stdout) as { risks: { id: string }[] };
    assert.deepEqual(
      report.risks.map((r) => r.id),
      ['secret', 'no-tests', 'large-file', 'no-ci'],
    );
  });

  it('cancels the content search on worker threads mid-way', async () => {
    fx = fixture({}, { git: false });
    const targets: string[] = [];
    for (let i = 0; i < 1200; i++) {
      fx.write(`f${i}.txt`, 'x\n');
      targets.push(fx.abs(`f${i}.txt`));
    }
    const controller = new AbortController();
    const reason = new Error('stop');
    let calls = 0;
    await assert.rejects(
      searchContent(targets, 0, {
        maxBytes: 1024,
        signal: controller.signal,
        workers: 2,
        onProgress: () => {
          calls++;
          controller.abort(reason);
        },
      }),
      (error) => error === reason,
    );
    assert.ok(calls >= 1);
  });

  it('finds the same things on worker threads as in-process', async () => {
    fx = fixture({}, { git: false });
    const targets: string[] = [];
    for (let i = 0; i < 600; i++) {
      const body = i % 97 === 0 ? `a\nb = "${fakeSecrets.githubToken()}"\n` : `plain ${i}\n`;
      fx.write(`f${i}.txt`, body);
      targets.push(fx.abs(`f${i}.txt`));
    }
    const signal = new AbortController().signal;
    const inProcess = await searchContent(targets, 0, { maxBytes: 1 << 20, signal, workers: 0 });
    const threaded = await searchContent(targets, 0, { maxBytes: 1 << 20, signal, workers: 2 });
    assert.deepEqual(threaded, inProcess);
    const found = inProcess.filter(
      (r) => typeof r !== 'number' && r.hits.length === 1 && r.hits[0]!.line === 2,
    );
    assert.equal(found.length, 7);
  });
});
