// Approvals without noise, in a real VS Code: with the NAVI panel hidden, a test run's approval
// shows as a badge on NAVI's activity bar entry and a status bar item (no notification); a click on
// the item reveals the panel with the approval pinned at the top and focused, the profile's
// `npm test` first and what NAVI adds in a disclosure; Y / A / N answer it from the keyboard; the
// "always allow" entry A made is listed with its expiry and revoked, and the next run asks again.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
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
  startCommand,
  waitForText,
} from './lib/workbench.mjs';

const FILES = {
  'package.json':
    JSON.stringify(
      { name: 'navi-e2e-approvals', version: '1.0.0', private: true, scripts: { test: 'node --test' } },
      null,
      2,
    ) + '\n',
  '.gitignore': 'node_modules/\n',
  'src/math.js': "'use strict';\nmodule.exports = { add: (a, b) => a + b };\n",
  'test/math.test.js': [
    "'use strict';",
    "const test = require('node:test');",
    "const assert = require('node:assert/strict');",
    "const { add } = require('../src/math.js');",
    '',
    '// One line per run: the suite counts the runs that happened without anyone answering.',
    "require('node:fs').appendFileSync(require('node:path').join(__dirname, '..', 'runs.log'), 'run\\n');",
    "test('adds two numbers', () => assert.equal(add(2, 3), 5));",
    '',
  ].join('\n'),
};

/** Inline code always asks: the second approval, typed by the person. */
const ASKS = `node -e "require('fs').writeFileSync('typed.txt', 'ran')"`;

/** NAVI's activity bar entry and the badge on it. */
function naviBadge(page) {
  return page
    .locator('.part.activitybar .action-item[role="tab"]:has(> a.action-label[aria-label^="NAVI"])')
    .first()
    .locator('.badge .badge-content');
}

function approvalsStatusItem(page) {
  return page.locator('.part.statusbar .statusbar-item', { hasText: /NAVI: \d+ approvals?/ });
}

/** The pending approval's card that has the keyboard focus in the panel (its id), or null. */
async function focusedApproval(page) {
  return naviView(page)
    .locator('body')
    .evaluate(
      (body) =>
        body.ownerDocument.activeElement?.closest('[data-testid="approval"]')?.dataset.approvalId ?? null,
    );
}

describe('NAVI approvals without noise: pinned, badge, status bar, keys, always allow (code-server + Chromium)', function () {
  this.timeout(240_000);
  let server;
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  let dir;

  before(async function () {
    this.timeout(180_000);
    const h = harness();
    dir = path.join(mkdtempSync(path.join(newRunFolder('approvals-fixture'), 'a-')), 'navi-approvals');
    writeCommittedRepo(dir, FILES);
    try {
      server = await startCodeServer({
        tools: h.tools,
        root: newRunFolder('approvals-code-server'),
        extensionsDir: h.extensionsDir,
      });
      browser = await launchBrowser({
        chromiumPath: h.tools.chromium,
        dirs: makeInstanceDirs(newRunFolder('approvals-chromium')),
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

  it('counts approvals on the badge and the status bar while the panel is hidden, without a notification', async () => {
    // The panel loads once, then the person goes back to the Explorer.
    await openNaviContainer(page);
    await naviView(page).locator('[data-testid="scan-button"]').waitFor({ state: 'visible' });
    await runCommand(page, 'View: Show Explorer');
    await page
      .locator('.part.sidebar .composite.title', { hasText: /Explorer/i })
      .waitFor({ state: 'visible' });

    await runCommand(page, 'NAVI: Run Tests');
    await waitForText(approvalsStatusItem(page), /NAVI: 1 approval$/, 60_000);
    await waitForText(naviBadge(page), /^1$/);
    // A second one, typed by the person (NAVI: Run Command… shows the panel).
    const widget = await startCommand(page, 'NAVI: Run Command…');
    await widget.locator('input').first().fill(ASKS);
    await page.keyboard.press('Enter');
    await widget.waitFor({ state: 'hidden' });
    await waitForText(approvalsStatusItem(page), /NAVI: 2 approvals$/, 60_000);
    await waitForText(naviBadge(page), /^2$/);
    await runCommand(page, 'View: Show Explorer');
    await page.waitForTimeout(500);
    assert.equal(
      await page.locator('.notifications-toasts .notification-list-item', { hasText: /approv/i }).count(),
      0,
      'no notification asks for the approval',
    );
    await screenshot(page, 'approvals-badge-status-bar');
  });

  it('pins the approvals at the top, `npm test` first, and focuses the oldest from the status bar', async () => {
    await approvalsStatusItem(page).click();
    const view = naviView(page);
    const section = view.locator('[data-testid="approvals"]');
    await section.waitFor({ state: 'visible' });
    assert.equal(
      await view.locator('#app').evaluate((app) => app.firstElementChild?.dataset.testid),
      'approvals',
      'the approvals come first in the panel',
    );
    await waitForText(section.locator('h2'), /^Waiting for your approval \(2\)/i);

    const cards = view.locator('[data-testid="approval"]');
    const testCard = cards.nth(0);
    assert.equal(await testCard.locator('[data-testid="approval-command"]').innerText(), 'npm test');
    assert.equal(
      await testCard.locator('[data-testid="approval-step"]').innerText(),
      'Step 1 of 1: node --test',
    );
    assert.match(await testCard.innerText(), /Your test command/);
    assert.equal(await cards.nth(1).locator('[data-testid="approval-command"]').innerText(), ASKS);

    // The oldest approval has the keyboard focus (the status bar item asked for it).
    const testId = await testCard.getAttribute('data-approval-id');
    const deadline = Date.now() + 10_000;
    while ((await focusedApproval(page)) !== testId) {
      if (Date.now() > deadline)
        throw new Error(`the test approval was not focused: ${await focusedApproval(page)}`);
      await page.waitForTimeout(100);
    }

    await page.mouse.move(1200, 850);
    await screenshot(page, 'approvals-focused');

    // Exactly what runs, and what NAVI adds, behind a disclosure.
    const details = testCard.locator('[data-testid="approval-details"]');
    assert.equal(await details.evaluate((d) => d.open), false, 'closed at first');
    await details.locator('summary').click();
    await waitForText(
      testCard.locator('[data-testid="approval-exact"]'),
      /^node --test-reporter=\S+ .*--test$/,
    );
    const additions = await testCard.locator('[data-testid="approval-additions"]').innerText();
    assert.match(additions, /adds\s+--test-reporter=\S+navi-node-test-reporter\.mjs/);
    assert.match(additions, /Adds NAVI's reporter/);
    assert.match(additions, /may write\s+\S+\/cache\/\S+/);
    await page.mouse.move(1200, 850); // no hover tooltip in the screenshot
    await screenshot(page, 'approvals-pinned');
    await assertPanelAccessible(page, 'approvals pinned');

    // Pinned: scrolled to the bottom of the panel, the approvals stay at its top.
    const top = await view.locator('body').evaluate((body) => {
      body.ownerDocument.defaultView.scrollTo(0, body.scrollHeight);
      return body.ownerDocument.querySelector('[data-testid="approvals"]').getBoundingClientRect().top;
    });
    assert.ok(Math.abs(top) < 2, `the approvals stay at the top of the panel (top ${top})`);
  });

  it('answers from the keyboard: A always allows the test command, then N denies the next', async () => {
    const view = naviView(page);
    await view.locator('[data-testid="approval"]').first().focus();
    await page.keyboard.press('a');
    // The test ran (always allowed), and the focus moved to the next approval.
    const summary = view.locator('[data-testid="test-summary"]');
    await summary.waitFor({ state: 'visible', timeout: 120_000 });
    assert.equal(await summary.getAttribute('data-status'), 'passed');
    const remaining = view.locator('[data-testid="approval"]');
    await waitForText(remaining.first().locator('[data-testid="approval-command"]'), /typed\.txt/);
    assert.equal(await remaining.count(), 1);
    assert.equal(await focusedApproval(page), await remaining.first().getAttribute('data-approval-id'));
    await waitForText(approvalsStatusItem(page), /NAVI: 1 approval$/);

    await page.keyboard.press('n');
    await remaining.first().waitFor({ state: 'detached' });
    const run = view.locator('[data-testid="run"]', { hasText: 'typed.txt' });
    await waitForText(run.locator('[data-testid="run-status"]'), /^Not run: denied by /);
    await approvalsStatusItem(page).waitFor({ state: 'hidden' });
    await naviBadge(page).waitFor({ state: 'hidden' });
  });

  it('lists the always-allow entry with its expiry, revokes it, and the next run asks again', async () => {
    const view = naviView(page);
    const entry = view.locator('[data-testid="always-allow-entry"]');
    await entry.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await entry.count(), 1);
    assert.equal(
      await entry.locator('[data-testid="always-allow-command"]').innerText(),
      'npm test → node --test',
    );
    const exact = entry.locator('[data-testid="always-allow-exact"]');
    await exact.locator('summary').click();
    await waitForText(exact.locator('pre'), /^node --test-reporter=\S+ .*--test$/);
    await waitForText(
      entry.locator('[data-testid="always-allow-expiry"]'),
      /^by \S+ · expires in 30 days \(\d{4}-\d\d-\d\d\)$/,
    );
    await entry.scrollIntoViewIfNeeded();
    await page.mouse.move(1200, 850);
    await screenshot(page, 'always-allow-listed');
    await assertPanelAccessible(page, 'always allow listed');

    // Still always allowed: a second run happens without anyone answering.
    const runs = () =>
      existsSync(path.join(dir, 'runs.log')) ? readFileSync(path.join(dir, 'runs.log'), 'utf8') : '';
    assert.equal(runs(), 'run\n', 'the tests ran once so far');
    await runCommand(page, 'NAVI: Run Tests');
    const deadline = Date.now() + 60_000;
    while (runs() !== 'run\nrun\n') {
      assert.equal(
        await view.locator('[data-testid="approval"]').count(),
        0,
        'no approval while it is allowed',
      );
      if (Date.now() > deadline) throw new Error(`the second run did not happen: ${JSON.stringify(runs())}`);
      await page.waitForTimeout(200);
    }
    await view.locator('[data-testid="test-progress"]').waitFor({ state: 'detached', timeout: 60_000 });

    await entry.locator('[data-testid="always-allow-revoke"]').click();
    await view.locator('[data-testid="always-allow"]').waitFor({ state: 'detached', timeout: 30_000 });

    await runCommand(page, 'NAVI: Run Tests');
    const card = view.locator('[data-testid="approval"]');
    await card.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await card.locator('[data-testid="approval-command"]').innerText(), 'npm test');
    await waitForText(approvalsStatusItem(page), /NAVI: 1 approval$/);
    await page.mouse.move(1200, 850);
    await screenshot(page, 'always-allow-revoked-asks-again');
    await card.locator('[data-testid="approve-deny"]').click();
    await card.waitFor({ state: 'detached' });
  });
});
