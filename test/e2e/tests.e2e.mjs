// Tests and apps in a real VS Code: NAVI: Run Tests on a `node --test` project with one failing
// test shows the failure in the panel, as a diagnostic at the failing line (Problems view) and as
// a failed item in the Test Explorer; NAVI: Start App on a small HTTP server shows its URL, the
// URL answers, and NAVI: Stop App closes the port. Both commands ask for approval (medium risk):
// the test answers "Allow once" in the panel.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { assertPanelAccessible } from './lib/axe.mjs';
import { makeInstanceDirs, startCodeServer } from './lib/codeServer.mjs';
import { writeCommittedRepo } from './lib/fixture.mjs';
import { harness, newRunFolder } from './lib/harness.mjs';
import {
  activeTab,
  launchBrowser,
  naviView,
  newPage,
  openNaviContainer,
  openWorkbench,
  reportFailure,
  runCommand,
  screenshot,
  waitForText,
} from './lib/workbench.mjs';

/** The failing assertion's line in test/math.test.js (checked against the file below). */
const FAILING_LINE = 12;

const FILES = {
  'package.json':
    JSON.stringify(
      {
        name: 'navi-e2e-tests-fixture',
        version: '1.0.0',
        private: true,
        scripts: { test: 'node --test', start: 'node server.js' },
      },
      null,
      2,
    ) + '\n',
  'package-lock.json':
    JSON.stringify(
      {
        name: 'navi-e2e-tests-fixture',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: { '': { name: 'navi-e2e-tests-fixture', version: '1.0.0' } },
      },
      null,
      2,
    ) + '\n',
  '.gitignore': 'node_modules/\n',
  'src/math.js': [
    "'use strict';",
    '',
    'function add(a, b) {',
    '  return a + b;',
    '}',
    '',
    'function sub(a, b) {',
    '  return a + b; // the bug the failing test finds',
    '}',
    '',
    'module.exports = { add, sub };',
    '',
  ].join('\n'),
  'test/math.test.js': [
    "'use strict';",
    "const test = require('node:test');",
    "const assert = require('node:assert/strict');",
    "const { add, sub } = require('../src/math.js');",
    '',
    "test.describe('math', () => {",
    "  test.it('adds two numbers', () => {",
    '    assert.equal(add(2, 3), 5);',
    '  });',
    '',
    "  test.it('subtracts two numbers', () => {",
    '    assert.equal(sub(5, 3), 2);', // line 12: FAILING_LINE
    '  });',
    '',
    "  test.it('is skipped for now', { skip: 'not yet' }, () => {});",
    '});',
    '',
  ].join('\n'),
  // Port 0: the OS picks a free port; the line tells NAVI (and the test) which.
  'server.js': [
    "'use strict';",
    "const http = require('node:http');",
    'const server = http.createServer((req, res) => {',
    "  res.writeHead(200, { 'content-type': 'text/plain' });",
    "  res.end('hello from the navi e2e app\\n');",
    '});',
    "server.listen(0, '127.0.0.1', () => {",
    '  console.log(`Listening on http://127.0.0.1:${server.address().port}`);',
    '});',
    '',
  ].join('\n'),
};

function createTestsFixture(parent) {
  const dir = path.join(mkdtempSync(path.join(parent, 'tests-')), 'navi-tests-fixture');
  writeCommittedRepo(dir, FILES);
  return dir;
}

/**
 * The profile was confirmed in the first test: confirming it approved its commands, so a run of
 * one of them shows no approval card (it would stay pinned at the top until answered).
 */
async function assertNoApproval(page) {
  assert.equal(
    await naviView(page).locator('[data-testid="approval"]').count(),
    0,
    'a command of the confirmed profile asks for no approval',
  );
}

/** Resolves true once nothing accepts connections at `url` (ECONNREFUSED). */
async function portClosed(url, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(2000) });
    } catch (error) {
      if (error?.cause?.code === 'ECONNREFUSED') return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('NAVI tests and apps: Run Tests, Start App, Stop App (code-server + Chromium)', function () {
  this.timeout(240_000);
  let server;
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  let dir;
  let appUrl;

  before(async function () {
    this.timeout(180_000);
    const h = harness();
    dir = createTestsFixture(newRunFolder('tests-fixture'));
    try {
      server = await startCodeServer({
        tools: h.tools,
        root: newRunFolder('tests-code-server'),
        extensionsDir: h.extensionsDir,
      });
      browser = await launchBrowser({
        chromiumPath: h.tools.chromium,
        dirs: makeInstanceDirs(newRunFolder('tests-chromium')),
      });
      page = await newPage(browser);
      await openWorkbench(page, server, dir);
    } catch (error) {
      await reportFailure(this.test, page, server);
      throw error;
    }
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await reportFailure(this.currentTest, page, server);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it('proposes the project profile from the scan and confirms it in the panel', async () => {
    await openNaviContainer(page);
    const view = naviView(page);
    await view.locator('[data-testid="profile-load"]').click();
    const card = view.locator('[data-testid="profile"][data-status="proposed"]');
    await card.waitFor({ state: 'visible', timeout: 60_000 });
    const text = await card.innerText();
    assert.match(text, /npm test/, 'the test command is proposed');
    assert.match(text, /npm start/, 'the start command is proposed');
    await card.locator('[data-testid="profile-edit"]').click();
    const editor = view.locator('[data-testid="profile"]');
    assert.equal(await editor.locator('[data-testid="profile-test"]').inputValue(), 'npm test');
    await screenshot(page, 'profile-proposed');
    await assertPanelAccessible(page, 'profile proposed');
    await editor.locator('[data-testid="profile-confirm"]').click();
    await view.locator('[data-testid="profile"][data-status="confirmed"]').waitFor({ state: 'visible' });
  });

  it('Run Tests shows the failure in the panel, in the Problems view at the line and in the Test Explorer', async () => {
    await openNaviContainer(page);
    const view = naviView(page);
    await view.locator('[data-testid="run-tests"]').waitFor({ state: 'visible' });

    const started = Date.now();
    await runCommand(page, 'NAVI: Run Tests');
    const summary = view.locator('[data-testid="test-summary"]');
    await summary.waitFor({ state: 'visible', timeout: 120_000 });
    await assertNoApproval(page);
    console.log(`      (tests ran and reported in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    assert.equal(await summary.getAttribute('data-status'), 'failed');
    await waitForText(summary.locator('[data-testid="test-headline"]'), /^1 of 3 tests failed$/);
    const totals = await summary.locator('[data-testid="test-totals"]').innerText();
    assert.match(totals, /1 passed/);
    assert.match(totals, /1 failed/);
    assert.match(totals, /1 skipped/);
    const failure = summary.locator('[data-testid="test-failure"]');
    assert.equal(await failure.count(), 1);
    assert.match(await failure.innerText(), /math › subtracts two numbers/);
    assert.match(await failure.innerText(), /Expected values to be strictly equal/);
    const link = failure.locator('[data-testid="test-failure-link"]');
    assert.equal(await link.innerText(), `test/math.test.js:${FAILING_LINE}`);
    await page.waitForTimeout(500); // the warning toast animates in
    await screenshot(page, 'tests-failure');
    await assertPanelAccessible(page, 'tests failure');

    // The failure link opens the test file at the failing line.
    await link.click();
    await waitForText(activeTab(page), /math\.test\s*\.js/);
    await waitForText(page.locator('.part.statusbar'), new RegExp(`Ln ${FAILING_LINE}, Col 1`));

    // Problems: one NAVI error at the failing line.
    await runCommand(page, 'View: Focus Problems');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: /strictly equal/ }).first();
    await problem.waitFor({ state: 'visible', timeout: 30_000 });
    const problemText = await problem.innerText();
    assert.match(problemText, /NAVI tests/, 'the diagnostic names its source');
    assert.match(problemText, new RegExp(`\\[Ln ${FAILING_LINE}, Col \\d+\\]`), `at line ${FAILING_LINE}`);
    await screenshot(page, 'tests-problems');

    // Test Explorer: the failing test is marked failed, the passing one passed.
    await runCommand(page, 'Testing: Focus on Test Explorer View');
    const explorer = page.locator('.test-explorer');
    await explorer.waitFor({ state: 'visible' });
    // Expand the tree (file → suite → tests) so the test items are rendered.
    for (const [level, label] of [
      [1, 'test/math.test.js'],
      [2, 'math'],
    ]) {
      const row = explorer.locator(`.monaco-list-row[aria-level="${level}"]`, { hasText: label }).first();
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      if ((await row.getAttribute('aria-expanded')) === 'false')
        await row.locator('.monaco-tl-twistie').click();
    }
    const failedRow = explorer.locator('.monaco-list-row', { hasText: 'subtracts two numbers' });
    await failedRow.waitFor({ state: 'visible', timeout: 30_000 });
    await failedRow.locator('.codicon-testing-failed-icon').waitFor({ state: 'visible', timeout: 10_000 });
    const passedRow = explorer.locator('.monaco-list-row', { hasText: 'adds two numbers' });
    await passedRow.locator('.codicon-testing-passed-icon').waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot(page, 'tests-explorer');

    // Re-run just the failing test from the Test Explorer: NAVI runs that one test (by its id:
    // the agent adds the runner's name filter, here --test-name-pattern, and the file).
    await failedRow.hover();
    await failedRow.locator('.action-label[aria-label^="Run Test"]').click();
    await openNaviContainer(page);
    const rerun = view.locator('[data-testid="test-summary"]', { hasText: /1 test ·/ });
    await rerun.waitFor({ state: 'visible', timeout: 120_000 });
    await assertNoApproval(page);
    // Only the chosen test ran, and failed (node --test reports the others of its file as skipped).
    await waitForText(rerun.locator('[data-testid="test-headline"]'), /^1 of 3 tests failed$/);
  });

  it('Start App shows the URL, the URL answers, and Stop App closes the port', async () => {
    await openNaviContainer(page);
    const view = naviView(page);
    const started = Date.now();
    await runCommand(page, 'NAVI: Start App');
    const card = view.locator('[data-testid="app"][data-status="ready"]');
    await card.waitFor({ state: 'visible', timeout: 90_000 });
    await assertNoApproval(page);
    console.log(`      (app ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    appUrl = await card.locator('[data-testid="app-url"]').innerText();
    assert.match(appUrl, /^http:\/\/127\.0\.0\.1:\d+\/?$/);
    const response = await fetch(appUrl, { signal: AbortSignal.timeout(10_000) });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'hello from the navi e2e app\n');
    // The status bar shows where it runs.
    await waitForText(
      page.locator('.part.statusbar'),
      new RegExp(new URL(appUrl).host.replace(/\./g, '\\.')),
    );
    await page.waitForTimeout(500); // the notification animates in
    await screenshot(page, 'app-running');
    await assertPanelAccessible(page, 'app running');

    // The panel's Output button shows what the app printed, live, in the NAVI App output channel.
    await card.locator('[data-testid="app-output"]').click();
    const output = page.locator('.part.panel .view-lines').first();
    await waitForText(output, /Listening\son\shttp:\/\/127\.0\.0\.1:\d+/);
    await waitForText(output, /NAVI:\sready\sat\shttp:\/\/127\.0\.0\.1:\d+/);
    await screenshot(page, 'app-output');

    await runCommand(page, 'NAVI: Stop App');
    await view
      .locator('[data-testid="app"][data-status="stopped"]')
      .waitFor({ state: 'visible', timeout: 30_000 });
    assert.ok(await portClosed(appUrl), `nothing listens at ${appUrl} any more`);
    await screenshot(page, 'app-stopped');
  });
});
