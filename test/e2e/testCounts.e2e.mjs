// Counts and times that match everywhere, in a real VS Code: a `node --test` project whose tests
// share full titles (as express's do: the same suite twice, a title in a loop) — the panel, the
// Test Explorer (its items and its result summary "passed/total · time") and the run's output in
// the Test Results view all say what node itself counts; and the approval the run waits for
// (answered seconds later, as a person would) is in no duration or timer: not the panel's clock,
// not the status bar, not the Test Explorer's run.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { assertPanelAccessible } from './lib/axe.mjs';
import { makeInstanceDirs, startCodeServer } from './lib/codeServer.mjs';
import { writeCommittedRepo } from './lib/fixture.mjs';
import { harness, newRunFolder } from './lib/harness.mjs';
import {
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

/** How long the "person" takes to approve: longer than the tests take to run. */
const WAIT_MS = 5_000;

/** What `node --test` prints (and counts) for the fixture. */
const NODE_COUNTS = { pass: 7, fail: 1, skipped: 2 };

const FILES = {
  'package.json':
    JSON.stringify(
      { name: 'navi-e2e-counts-fixture', version: '1.0.0', private: true, scripts: { test: 'node --test' } },
      null,
      2,
    ) + '\n',
  'package-lock.json':
    JSON.stringify(
      {
        name: 'navi-e2e-counts-fixture',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: { '': { name: 'navi-e2e-counts-fixture', version: '1.0.0' } },
      },
      null,
      2,
    ) + '\n',
  '.gitignore': 'node_modules/\n',
  'test/format.test.js': [
    "'use strict';",
    "const { describe, it } = require('node:test');",
    "const assert = require('node:assert/strict');",
    '',
    "describe('res', () => {",
    "  describe('.format(obj)', () => {",
    "    describe('in router', () => {",
    "      it('should Vary: Accept', () => {});",
    "      it('should default the Content-Type', () => {});",
    '    });',
    "    describe('in router', () => {",
    "      it('should Vary: Accept', () => {});",
    "      it('should default the Content-Type', () => {});",
    '    });',
    '  });',
    '});',
    '',
    'for (const n of [1, 2, 3])',
    "  it('parses a number', () => assert.equal(Number(String(n)), n === 3 ? 4 : n));",
    '',
    "it('is not done', { skip: 'later' }, () => {});",
    "it('is not done', { skip: 'later' }, () => {});",
    '',
  ].join('\n'),
  'test/other.test.js': [
    "'use strict';",
    "const { it } = require('node:test');",
    "it('should Vary: Accept', () => {});",
    '',
  ].join('\n'),
};

/** "850ms", "1.2s" (the Test Explorer's result summary) → ms. */
function msOf(text) {
  const m = /([\d.]+)\s*(ms|s)\b/.exec(text);
  assert.ok(m, `a duration in ${JSON.stringify(text)}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

/**
 * All the text of a terminal (the Test Results output): it draws only the rows in view, so scroll
 * up to the top, collecting each view's rows.
 */
async function terminalText(rows) {
  const seen = [];
  let last = '';
  // The wheel goes to what is under the mouse (a widget layer covers the rows for the pointer).
  const box = await rows.boundingBox();
  await rows.page().mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 50; i++) {
    const text = await rows.innerText();
    if (text === last) break;
    seen.unshift(text);
    last = text;
    await rows.page().mouse.wheel(0, -400);
    await rows.page().waitForTimeout(100);
  }
  return seen.join('\n');
}

describe('NAVI test counts and times: repeated titles, an approval wait (code-server + Chromium)', function () {
  this.timeout(240_000);
  let server;
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  let dir;

  before(async function () {
    this.timeout(180_000);
    const h = harness();
    dir = path.join(mkdtempSync(path.join(newRunFolder('counts-fixture'), 'counts-')), 'navi-counts-fixture');
    writeCommittedRepo(dir, FILES);
    try {
      server = await startCodeServer({
        tools: h.tools,
        root: newRunFolder('counts-code-server'),
        extensionsDir: h.extensionsDir,
        // The Test Results output is a terminal: drawn as text (not on a canvas), so it can be read.
        settings: { 'terminal.integrated.gpuAcceleration': 'off' },
      });
      browser = await launchBrowser({
        chromiumPath: h.tools.chromium,
        dirs: makeInstanceDirs(newRunFolder('counts-chromium')),
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

  /** Waits for the approval of `pattern`, lets WAIT_MS pass (checking what waits), allows it once. */
  async function approveSlowly(pattern) {
    const view = naviView(page);
    const card = view.locator('[data-testid="approval"]', { hasText: pattern });
    await card.waitFor({ state: 'visible', timeout: 60_000 });
    const askedAt = Date.now();
    // While it waits, no clock counts: the panel and the status bar say what it waits for.
    const elapsed = view.locator('[data-testid="test-elapsed"]');
    await waitForText(elapsed, /^waiting for approval$/);
    await waitForText(page.locator('.part.statusbar'), /waiting for approval/);
    await screenshot(page, 'counts-waiting-for-approval');
    await page.waitForTimeout(Math.max(0, WAIT_MS - (Date.now() - askedAt)));
    assert.equal(await elapsed.innerText(), 'waiting for approval', 'still no clock after the wait');
    await card.locator('[data-testid="approve-once"]').click();
    await card.waitFor({ state: 'detached' });
    return Date.now() - askedAt;
  }

  /** The Test Explorer's result summary of the latest run: passed/total and its time. */
  async function explorerSummary() {
    await runCommand(page, 'Testing: Focus on Test Explorer View');
    const summary = page.locator('.test-explorer .result-summary');
    const text = await waitForText(summary, /\d+\/\d+/);
    const [, passed, total] = /(\d+)\/(\d+)/.exec(text);
    const duration = await summary.locator('duration').innerText();
    return { passed: Number(passed), total: Number(total), ms: msOf(duration), text };
  }

  it('Run Tests: the panel, the status bar, the Test Explorer and the Test Results output say node’s counts and the tests’ own time', async () => {
    await openNaviContainer(page);
    const view = naviView(page);
    await view.locator('[data-testid="run-tests"]').waitFor({ state: 'visible' });
    await runCommand(page, 'NAVI: Run Tests');
    const waited = await approveSlowly(/node --test/);
    assert.ok(waited >= WAIT_MS);

    // The panel: node's counts, and a time well under the wait.
    const summary = view.locator('[data-testid="test-summary"]');
    await summary.waitFor({ state: 'visible', timeout: 120_000 });
    await waitForText(summary.locator('[data-testid="test-headline"]'), /^1 of 10 tests failed$/);
    const totals = await summary.locator('[data-testid="test-totals"]').innerText();
    assert.match(totals, new RegExp(`${NODE_COUNTS.pass}\\s+passed`));
    assert.match(totals, new RegExp(`${NODE_COUNTS.fail}\\s+failed`));
    assert.match(totals, new RegExp(`${NODE_COUNTS.skipped}\\s+skipped`));
    const panelMs = msOf(await summary.locator('.card-head .muted').innerText());
    assert.ok(panelMs < WAIT_MS, `the panel says ${panelMs} ms, which would include the ${WAIT_MS} ms wait`);

    // The notification (the status bar's word when all pass) says the same counts and time.
    const toast = page.locator('.notifications-toasts .notification-list-item', {
      hasText: /NAVI: 1 test failed/,
    });
    const toastText = await waitForText(toast, /7 passed, 1 failed, 2 skipped in [\d.]+ (ms|s)/);
    assert.ok(msOf(toastText.replace(/.*\bin\b/s, '')) < WAIT_MS, toastText);
    await page.waitForTimeout(500); // the toast animates in
    await screenshot(page, 'counts-panel');
    await assertPanelAccessible(page, 'counts panel');

    // The Test Explorer: one item per test node ran, node's pass count over what ran, the run's
    // time from the tests' start.
    const explorer = await explorerSummary();
    assert.equal(explorer.passed, NODE_COUNTS.pass, explorer.text);
    assert.equal(explorer.total, NODE_COUNTS.pass + NODE_COUNTS.fail, explorer.text);
    assert.ok(explorer.ms < WAIT_MS, `the Test Explorer's run took ${explorer.ms} ms: the wait is in it`);
    const tree = page.locator('.test-explorer');
    for (const [level, label] of [
      [1, 'test/format.test.js'],
      [2, 'res'],
      [3, '.format(obj)'],
      [4, 'in router'],
    ]) {
      const row = tree.locator(`.monaco-list-row[aria-level="${level}"]`, { hasText: label }).first();
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      if ((await row.getAttribute('aria-expanded')) === 'false')
        await row.locator('.monaco-tl-twistie').click();
    }
    const loop = tree.locator('.monaco-list-row[aria-level="2"]', { hasText: 'parses a number' });
    await loop.nth(2).waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await loop.count(), 3, 'the three tests of the loop are three items');
    assert.match(await loop.nth(1).innerText(), /#2/);
    await loop.nth(2).locator('.codicon-testing-failed-icon').waitFor({ state: 'visible' });
    const vary = tree.locator('.monaco-list-row[aria-level="5"]', { hasText: 'should Vary: Accept' });
    assert.equal(await vary.count(), 2, 'the suite that is there twice has its tests twice');
    await screenshot(page, 'counts-explorer');

    // The Test Results view: the run's output, node's own summary and NAVI's line with its counts.
    await runCommand(page, 'Test: Show Output');
    const output = page.locator('.part.panel .xterm-rows').first();
    await waitForText(output, /NAVI: 7 passed, 1 failed, 2 skipped in/, 30_000);
    const text = await terminalText(output);
    assert.match(text, new RegExp(`ℹ pass ${NODE_COUNTS.pass}\\b`));
    assert.match(text, new RegExp(`ℹ fail ${NODE_COUNTS.fail}\\b`));
    assert.match(text, new RegExp(`ℹ skipped ${NODE_COUNTS.skipped}\\b`));
    assert.ok(msOf(/NAVI: .* in ([\d.]+ (?:ms|s))/.exec(text)[1]) < WAIT_MS);
    await screenshot(page, 'counts-test-results');
  });

  it('Run from the Test Explorer: its run starts with the tests, not with the click', async () => {
    const tree = page.locator('.test-explorer');
    const file = tree.locator('.monaco-list-row[aria-level="1"]', { hasText: 'test/format.test.js' });
    await file.hover();
    await file.locator('.action-label[aria-label^="Run Test"]').click();
    await openNaviContainer(page);
    await approveSlowly(/node --test.*test\/format\.test\.js/);
    const summary = naviView(page).locator('[data-testid="test-summary"]', { hasText: /1 file ·/ });
    await summary.waitFor({ state: 'visible', timeout: 120_000 });
    await waitForText(summary.locator('[data-testid="test-headline"]'), /^1 of 9 tests failed$/);
    const explorer = await explorerSummary();
    assert.equal(explorer.passed, 6, explorer.text);
    assert.equal(explorer.total, 7, explorer.text);
    assert.ok(explorer.ms < WAIT_MS, `the Test Explorer's run took ${explorer.ms} ms: the wait is in it`);
    await screenshot(page, 'counts-explorer-rerun');
    await runCommand(page, 'Test: Show Output');
    await waitForText(
      page.locator('.part.panel .xterm-rows').first(),
      /NAVI: 6 passed, 1 failed, 2 skipped in/,
    );
    await screenshot(page, 'counts-explorer-rerun-output');
  });
});
