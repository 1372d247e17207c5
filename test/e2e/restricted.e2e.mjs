// Restricted Mode: with Workspace Trust on and the folder not trusted, NAVI (which declares
// limited support for untrusted workspaces) still scans, because a scan only reads files.
import assert from 'node:assert/strict';
import { useSession } from './lib/session.mjs';
import {
  naviView,
  openNaviContainer,
  runCommand,
  screenshot,
  waitForText,
  waitForToastGone,
} from './lib/workbench.mjs';

describe('NAVI in Restricted Mode (untrusted folder)', function () {
  this.timeout(120_000);
  const getSession = useSession('restricted', {
    settings: {
      'security.workspace.trust.enabled': true,
      // No modal "Do you trust the authors?" on open: the folder simply opens untrusted.
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.banner': 'always',
      'security.workspace.trust.untrustedFiles': 'open',
    },
  });

  it('opens the fixture in Restricted Mode', async () => {
    const { page } = getSession();
    // VS Code shows "Restricted Mode" in the status bar while the workspace is untrusted.
    await waitForText(page.locator('.part.statusbar'), /Restricted Mode/);
  });

  it('scans from the sidebar button and shows the report', async () => {
    const { page } = getSession();
    await openNaviContainer(page);
    const view = naviView(page);
    const button = view.locator('[data-testid="scan-button"]');
    await button.waitFor({ state: 'visible' });
    await button.click();
    await view.locator('[data-testid="scan-report"]').waitFor({ state: 'visible', timeout: 60_000 });
    await waitForText(view.locator('[data-testid="inventory"]'), /\b7 files\b/);
    const riskTexts = await view.locator('[data-testid="risk"]').allInnerTexts();
    assert.ok(
      riskTexts.some((t) => /stripe/i.test(t)),
      `the Stripe key is reported in Restricted Mode too; risks: ${JSON.stringify(riskTexts)}`,
    );
    assert.ok(
      !(await view.locator('body').innerText()).includes(getSession().fixture.secret),
      'no raw secret',
    );
    // Still untrusted after the scan: scanning must not ask for (or grant) trust.
    await waitForText(page.locator('.part.statusbar'), /Restricted Mode/);
    await waitForToastGone(page, /Scanning/);
    await screenshot(page, 'restricted-mode-scan');
  });

  it('runs nothing: the panel says why, and NAVI: Run Command… offers to manage trust', async () => {
    const { page } = getSession();
    const view = naviView(page);
    const banner = view.locator('[data-testid="trust-banner"]');
    await waitForText(banner, /Restricted Mode/);
    assert.match(await banner.innerText(), /runs nothing here/);
    assert.equal(await banner.locator('button', { hasText: 'Manage Workspace Trust' }).count(), 1);

    await runCommand(page, 'NAVI: Run Command…');
    const toast = page
      .locator('.notifications-toasts .notification-list-item', {
        hasText: /NAVI runs nothing in Restricted Mode/,
      })
      .first();
    await toast.waitFor({ state: 'visible' });
    assert.equal(
      await toast.locator('a.monaco-button, .monaco-button', { hasText: 'Manage Workspace Trust' }).count(),
      1,
    );
    assert.equal(await view.locator('[data-testid="run"]').count(), 0, 'nothing was sent to run');
    await page.waitForTimeout(500); // toasts animate in
    await screenshot(page, 'restricted-mode-run');
  });
});
