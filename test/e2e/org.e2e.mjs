// Org upload in a real VS Code: after NAVI: Sign In (a real OIDC provider), a command approved in
// the sidebar (Allow once) has its events — proposed, verdict, approved, executed — in the org's
// control plane, read back through the auditor's export (GET /api/audit/export?format=json).
//
// test/fixtures/orgStack.ts runs the provider (on 127.0.0.2, see signin.e2e.mjs) and the real
// control plane (SQLite in a temp folder, org acme registered for that provider) in one child
// process, plus a helper URL that runs the export with an auditor's (bob's) token.
// The title says "signin" so that `--grep signin` runs it with the sign-in suite.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { useSession } from './lib/session.mjs';
import { REPO } from './lib/tools.mjs';
import { naviView, openNaviContainer, screenshot, startCommand, waitForText } from './lib/workbench.mjs';

function startOrgStack() {
  const script = path.join(REPO, 'test', 'fixtures', 'orgStack.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--host', '127.0.0.2'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buffer += d;
      const line = buffer.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ ...JSON.parse(line), stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`the org stack exited (${code}): ${stderr}`)));
    setTimeout(() => reject(new Error(`the org stack did not start in 30 s: ${stderr}`)), 30_000).unref();
  });
}

async function runInNavi(page, text) {
  const widget = await startCommand(page, 'NAVI: Run Command…');
  await widget.locator('.quick-input-title', { hasText: 'NAVI: Run Command' }).waitFor({ state: 'visible' });
  await widget.locator('input').first().fill(text);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden' });
}

describe('NAVI org upload (signin): an approved command’s events reach the control plane (code-server + Chromium)', function () {
  this.timeout(180_000);
  let stack;
  const settings = {};
  before(async () => {
    stack = await startOrgStack();
    Object.assign(settings, {
      'navi.auth.issuer': stack.issuer,
      'navi.auth.clientId': stack.clientId,
      'navi.auth.audience': stack.audience,
      'navi.auth.flow': 'loopback',
      'navi.controlPlane.url': stack.controlPlaneUrl,
    });
  });
  const getSession = useSession('org', { settings });
  after(() => stack?.stop());

  it('signs in, runs an approved command, and the export of the control plane holds its events', async () => {
    const { page, fixture } = getSession();
    // The panel first (its webview loads while the workbench has the focus), then the sign-in.
    await openNaviContainer(page);
    const view = naviView(page);
    await view.locator('[data-testid="scan-button"]').waitFor({ state: 'visible', timeout: 60_000 });
    const signInItem = page.locator('.part.statusbar .statusbar-item', { hasText: 'Sign in' }).first();
    await signInItem.waitFor({ state: 'visible', timeout: 60_000 });
    const popup = page.context().waitForEvent('page', { timeout: 60_000 });
    await startCommand(page, 'NAVI: Sign In');
    const openButton = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Open$/ });
    const tab = await Promise.race([
      popup,
      openButton.waitFor({ state: 'visible', timeout: 60_000 }).then(async () => {
        await openButton.click();
        return popup;
      }),
    ]);
    await tab.waitForLoadState('domcontentloaded');
    await tab.locator('#username').fill('alice');
    await tab.locator('#password').fill('alice-password');
    await tab.locator('#sign-in').click();
    await waitForText(tab.locator('#navi-signin-result'), /Signed in to NAVI/, 30_000);
    await tab.close();
    await page.bringToFront();
    await page
      .locator('.part.statusbar [id="navi-dev.navi.navi.auth"][aria-label^="NAVI org acme"]')
      .waitFor({ state: 'visible', timeout: 30_000 });

    // An `ask` command (inline code), approved once in the sidebar.
    const command = `node -e "require('fs').writeFileSync('uploaded.txt', 'ran')"`;
    await runInNavi(page, command);
    const card = view.locator('[data-testid="approval"]', { hasText: 'uploaded.txt' });
    await card.waitFor({ state: 'visible', timeout: 60_000 });
    await card.locator('[data-testid="approve-once"]').click();
    const run = view.locator('[data-testid="run"]', { hasText: 'uploaded.txt' });
    await waitForText(
      run.locator('[data-testid="run-status"]'),
      /^Ran (in the sandbox|without a sandbox): exit 0\.$/,
      60_000,
    );
    assert.ok(existsSync(path.join(fixture.dir, 'uploaded.txt')));
    assert.equal(readFileSync(path.join(fixture.dir, 'uploaded.txt'), 'utf8'), 'ran');

    // The agent uploads right after each append; poll the auditor's export.
    const deadline = Date.now() + 60_000;
    let types = [];
    let events = [];
    while (Date.now() < deadline) {
      events = await (await fetch(`${stack.helperUrl}/export`)).json();
      const proposed = events.find((e) => e.type === 'command.proposed' && e.data.command === command);
      types = proposed
        ? events.filter((e) => e.data.commandId === proposed.data.commandId).map((e) => e.type)
        : [];
      if (types.includes('command.executed')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(types, ['command.proposed', 'command.verdict', 'command.approved', 'command.executed']);
    const approved = events.find(
      (e) => e.type === 'command.approved' && types.length && e.data.by === 'user',
    );
    assert.ok(approved, 'the approval by the user is in the control plane');
    const ids = events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'no event is stored twice');
    await screenshot(page, 'org-upload-approved');
  });
});
