// Fix with verification in a real VS Code: a TypeScript project whose src/main.ts uses `add` from
// src/math.ts without importing it. "Fix with NAVI (verified)" from the editor's Quick Fix menu
// runs navi/fix for that file; the panel shows the fix with its diff and a verified receipt with
// its evidence; Open Diff shows the native diff editor; Roll back (confirmed) restores the file,
// and the receipt turns stale in the panel because the file it covers changed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { assertPanelAccessible } from './lib/axe.mjs';
import { makeInstanceDirs, startCodeServer } from './lib/codeServer.mjs';
import { createTypeScriptRepo, typeScriptProjectFiles } from './lib/fixture.mjs';
import { harness, newRunFolder } from './lib/harness.mjs';
import {
  activeTab,
  launchBrowser,
  naviView,
  newPage,
  openWorkbench,
  reportFailure,
  runCommand,
  screenshot,
  startCommand,
  waitForText,
} from './lib/workbench.mjs';

/**
 * The import TypeScript's fix adds, as a pattern (either quote). Built from a string: a regular
 * expression literal with an import statement in it reads as an import to import scanners
 * (typescript.preProcessFile among them).
 */
const IMPORT_ADD = ['import \\{ add \\} from ', `["']`, '\\./math', `["'];?`].join('');

const FILES = typeScriptProjectFiles({
  name: 'navi-e2e-fix-fixture',
  version: '1.0.0',
  private: true,
  scripts: { typecheck: 'tsc --noEmit -p .' },
});
const MAIN_TS = FILES['src/main.ts'];

/** Opens a workspace file with Go to File. */
async function openFile(page, relative) {
  const widget = await startCommand(page, 'Go to File...');
  await widget.locator('input').first().fill(relative);
  await widget
    .locator('.monaco-list-row.focused', { hasText: path.basename(relative) })
    .waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden' });
  // The tab shows the name and the extension in separate elements ("main" ".ts").
  const { name, ext } = path.parse(relative);
  await waitForText(activeTab(page), new RegExp(`${name}\\s*\\${ext}`));
}

/** Answers every approval the panel shows with Allow once until `done()` resolves true. */
async function approveUntil(page, done, timeout = 180_000) {
  const view = naviView(page);
  const deadline = Date.now() + timeout;
  const approved = [];
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out; approved so far: ${approved.join(' | ')}`);
    const card = view.locator('[data-testid="approval"]').first();
    if (await card.isVisible().catch(() => false)) {
      approved.push(await card.locator('[data-testid="approval-command"]').innerText());
      await card.locator('[data-testid="approve-once"]').click();
      await card.waitFor({ state: 'detached' }).catch(() => {});
    } else {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return approved;
}

describe('NAVI fix with verification: Fix with NAVI (verified), Open Diff, Roll back (code-server + Chromium)', function () {
  this.timeout(300_000);
  let server;
  let browser;
  /** @type {import('playwright-core').Page} */
  let page;
  let dir;

  before(async function () {
    this.timeout(180_000);
    const h = harness();
    dir = createTypeScriptRepo(newRunFolder('fix-fixture'), 'navi-fix-fixture', FILES);
    try {
      server = await startCodeServer({
        tools: h.tools,
        root: newRunFolder('fix-code-server'),
        extensionsDir: h.extensionsDir,
      });
      browser = await launchBrowser({
        chromiumPath: h.tools.chromium,
        dirs: makeInstanceDirs(newRunFolder('fix-chromium')),
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

  it('fixes the missing import from the Quick Fix menu and shows the diff with a verified receipt', async () => {
    await openFile(page, 'src/main.ts');
    // TypeScript's language server reports the error in the editor.
    const squiggle = page.locator('.monaco-editor .squiggly-error').first();
    await squiggle.waitFor({ state: 'attached', timeout: 90_000 });

    // Cursor onto the error (Go to Next Problem), then the Quick Fix menu (Ctrl+.).
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('F8');
    await page.locator('.marker-widget').first().waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    const menu = page.locator('.action-widget');
    const item = menu.locator('.monaco-list-row', { hasText: 'Fix with NAVI (verified)' });
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('Control+.');
      try {
        await item.waitFor({ state: 'visible', timeout: 10_000 });
        break;
      } catch (error) {
        if (attempt === 3) throw error;
        await page.keyboard.press('Escape');
      }
    }
    await screenshot(page, 'fix-quick-fix-menu');
    await item.click();

    const view = naviView(page);
    const task = view.locator('[data-testid="fix-task"]').first();
    await task.waitFor({ state: 'visible', timeout: 60_000 });
    const started = Date.now();
    const approved = await approveUntil(
      page,
      async () => (await task.getAttribute('data-status')) !== 'running',
    );
    console.log(
      `      (fix finished in ${((Date.now() - started) / 1000).toFixed(1)} s; approved: ${approved.join(' | ') || 'nothing'})`,
    );
    assert.equal(await task.getAttribute('data-status'), 'fixed', await task.innerText());
    await waitForText(task.locator('[data-testid="fix-summary"]'), /^1 fixed and verified · 0 remaining$/);

    const fix = task.locator('[data-testid="fix"]');
    assert.equal(await fix.count(), 1);
    assert.equal(await fix.getAttribute('data-status'), 'kept');
    const diff = await fix.locator('[data-testid="fix-diff"]').innerText();
    assert.match(diff, new RegExp(`^\\+${IMPORT_ADD}$`, 'm'), 'the diff adds the import');
    assert.match(diff, /^ {3}return add\(2, 3\);$/m, 'the call is context');
    const badge = fix.locator('[data-testid="receipt-status"]');
    await waitForText(badge, /Receipt: Verified/);
    assert.equal(await badge.getAttribute('data-status'), 'verified');

    // The evidence, one click away: what NAVI ran to verify, with exit codes.
    await fix.locator('[data-testid="receipt-evidence"] summary').click();
    const commands = await waitForText(fix.locator('[data-testid="receipt-commands"]'), /exit 0/);
    assert.match(commands, /tsc/, 'the type check that verified it');

    // The file on disk has the import now.
    assert.match(readFileSync(path.join(dir, 'src', 'main.ts'), 'utf8'), new RegExp(`^${IMPORT_ADD}\n`));

    // Open Diff: the native diff editor, the text before the fix against the file.
    await fix.locator('[data-testid="fix-open-diff"]').click();
    await waitForText(activeTab(page), /main\s*\.ts \(before NAVI.s fix ↔ now\)/);
    await page.locator('.monaco-diff-editor').first().waitFor({ state: 'visible' });
    await page.waitForTimeout(500); // toasts animate in
    await screenshot(page, 'fix-verified');
    await assertPanelAccessible(page, 'fix verified');
  });

  it('rolls the fix back after a confirmation, restores the file, and the receipt turns stale', async () => {
    const view = naviView(page);
    const fix = view.locator('[data-testid="fix"]').first();
    await fix.locator('[data-testid="fix-rollback"]').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible' });
    assert.match(await dialog.innerText(), /Roll back NAVI.s fix of src\/main\.ts\?/);
    await dialog.locator('.monaco-button', { hasText: 'Roll Back' }).click();

    await waitForText(
      fix.locator('[data-testid="fix-decision"]'),
      /^Rolled back\. Restored src\/main\.ts\.$/,
      60_000,
    );
    assert.equal(readFileSync(path.join(dir, 'src', 'main.ts'), 'utf8'), MAIN_TS, 'the file is as it was');
    assert.equal(await fix.locator('[data-testid="fix-rollback"]').count(), 0, 'nothing left to roll back');
    // The receipt covers the file's content after the fix: now that it changed, it is stale.
    const badge = fix.locator('[data-testid="receipt-status"]');
    await waitForText(badge, /Receipt: Stale/);
    assert.equal(await badge.getAttribute('data-status'), 'stale');
    await page.waitForTimeout(500);
    await screenshot(page, 'fix-rolled-back');
    await assertPanelAccessible(page, 'fix rolled back');
  });

  it('NAVI: Fix Problems (current file) from the palette, Keep, and a saved edit turns the receipt stale', async () => {
    // Only the file itself open (not the diff editor of the first test).
    await runCommand(page, 'View: Close All Editors');
    await openFile(page, 'src/main.ts');
    const widget = await startCommand(page, 'NAVI: Fix Problems');
    await widget
      .locator('.quick-input-title', { hasText: 'NAVI: Fix Problems' })
      .waitFor({ state: 'visible' });
    await widget.locator('.monaco-list-row', { hasText: 'Current file' }).click();
    await widget.waitFor({ state: 'hidden' });

    const view = naviView(page);
    // Newest first: the second task of this window.
    const task = view.locator('[data-testid="fix-task"]').first();
    await waitForText(task, /Fix src\/main\.ts/);
    await view.locator('[data-testid="fix-task"]').nth(1).waitFor({ state: 'visible' });
    await approveUntil(page, async () => (await task.getAttribute('data-status')) !== 'running');
    assert.equal(await task.getAttribute('data-status'), 'fixed', await task.innerText());
    const fix = task.locator('[data-testid="fix"]');
    await waitForText(fix.locator('[data-testid="receipt-status"]'), /Receipt: Verified/);

    await fix.locator('[data-testid="fix-keep"]').click();
    await waitForText(fix.locator('[data-testid="fix-decision"]'), /^Kept\.$/);
    assert.equal(await fix.locator('[data-testid="fix-keep"]').count(), 0, 'kept once');

    // An edit of the fixed file, saved: the receipt no longer matches the file.
    const editor = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    await waitForText(editor, /import\s\{\sadd\s\}/); // the editor shows what NAVI wrote
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('// changed by hand\n');
    await page.keyboard.press('Control+S');
    await waitForText(fix.locator('[data-testid="receipt-status"]'), /Receipt: Stale/);
    assert.match(readFileSync(path.join(dir, 'src', 'main.ts'), 'utf8'), /\/\/ changed by hand/);
    // Why, in words beside the badge and in the evidence.
    await waitForText(fix.locator('[data-testid="receipt-why"]'), /^Receipt stale: src\/main\.ts changed/);
    await fix.locator('[data-testid="receipt-evidence"] summary').click();
    await waitForText(fix.locator('[data-testid="receipt-reasons"]'), /src\/main\.ts/);
    await page.waitForTimeout(500);
    await screenshot(page, 'fix-stale-after-edit');
    await assertPanelAccessible(page, 'fix stale after edit');
  });
});
