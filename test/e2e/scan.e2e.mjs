// The first-win flow in a real VS Code: scan the repository from the command palette, read the
// report in NAVI's sidebar, follow a risk's evidence link into the editor.
import assert from 'node:assert/strict';
import { assertPanelAccessible } from './lib/axe.mjs';
import { useSession } from './lib/session.mjs';
import {
  activeTab,
  naviView,
  openNaviContainer,
  runCommand,
  screenshot,
  waitForText,
  waitForToastGone,
} from './lib/workbench.mjs';

describe('NAVI sidebar: scan report (code-server + Chromium)', function () {
  this.timeout(120_000);
  const getSession = useSession('scan');

  it('shows the NAVI sidebar with a scan button before any scan', async () => {
    const { page } = getSession();
    await openNaviContainer(page);
    const view = naviView(page);
    const button = view.locator('[data-testid="scan-button"]');
    await button.waitFor({ state: 'visible' });
    assert.match(await button.innerText(), /scan repository/i);
    assert.equal(await view.locator('[data-testid="scan-report"]').count(), 0, 'no report before a scan');
    await screenshot(page, 'sidebar-before-scan');
    await assertPanelAccessible(page, 'before a scan');
  });

  it('scans from the command palette and shows the report in the NAVI sidebar', async () => {
    const { page } = getSession();
    await runCommand(page, 'NAVI: Scan Repository');
    const view = naviView(page);
    const report = view.locator('[data-testid="scan-report"]');
    await report.waitFor({ state: 'visible', timeout: 60_000 });

    // Inventory: the fixture's 7 committed files.
    await waitForText(view.locator('[data-testid="inventory"]'), /\b7 files\b/);

    // One npm project with the commands read from package.json.
    const projects = view.locator('[data-testid="project"]');
    assert.equal(await projects.count(), 1, 'exactly one project');
    const project = await projects.first().innerText();
    assert.match(project, /\bnpm\b/, 'the package manager is shown');
    assert.match(project, /npm test/, 'the test command is shown');
    assert.match(project, /npm run lint/, 'the lint command is shown');

    // Risks: the committed .env and the live Stripe key in it.
    const risks = view.locator('[data-testid="risk"]');
    const riskTexts = await risks.allInnerTexts();
    assert.ok(
      riskTexts.some((t) => /\.env/.test(t)),
      `a risk names the committed .env file; risks: ${JSON.stringify(riskTexts)}`,
    );
    assert.ok(
      riskTexts.some((t) => /stripe/i.test(t)),
      `a risk names the Stripe key; risks: ${JSON.stringify(riskTexts)}`,
    );
    assert.ok((await view.locator('[data-testid="next-step"]').count()) >= 1, 'at least one next step');
    assert.equal(
      await view.locator('[data-testid="scan-progress"]').count(),
      0,
      'no progress indicator once the report is shown',
    );

    // The scan's progress notification closes once the scan is done.
    await waitForToastGone(page, /Scanning/);
    await screenshot(page, 'scan-report');
    await assertPanelAccessible(page, 'with a scan report');
  });

  it('never shows the raw secret in the sidebar', async () => {
    const view = naviView(getSession().page);
    await view.locator('[data-testid="scan-report"]').waitFor({ state: 'visible' });
    const text = await view.locator('body').innerText();
    const html = await view.locator('html').evaluate((el) => el.outerHTML);
    assert.ok(!text.includes(getSession().fixture.secret), 'the secret is not in the webview text');
    assert.ok(!html.includes(getSession().fixture.secret), 'the secret is not anywhere in the webview DOM');
  });

  it('opens the file at the line when an evidence link is clicked', async () => {
    const { page } = getSession();
    const view = naviView(page);
    const stripe = view.locator('[data-testid="risk"]', { hasText: /stripe/i }).first();
    const link = stripe.locator('a[data-testid="evidence-link"]').first();
    await link.waitFor({ state: 'visible' });
    await link.click();

    // The .env file opens in the active editor group, with the cursor on the key's line (2).
    await waitForText(activeTab(page), /^\.env\b/);
    await waitForText(page.locator('[id="status.editor.selection"]'), /\bLn 2\b/);
    await screenshot(page, 'evidence-editor');
  });
});
