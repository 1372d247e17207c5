// Org sign-in in a real VS Code: NAVI: Sign In against a real OpenID Provider (oidc-provider,
// test/fixtures/oidc.ts), the provider's login page completed in the browser, and the org in the
// status bar; then NAVI: Sign Out.
//
// The flow is the loopback redirect (navi.auth.flow = loopback): code-server's extension host and
// Chromium run on the same machine, so the browser reaches http://127.0.0.1:PORT/callback. The
// workbench opens the authorization URL through vscode.env.openExternal, which in code-server is
// a new browser tab (a popup playwright drives). With `auto`, a web host would use the URI handler.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { useSession } from './lib/session.mjs';
import { REPO } from './lib/tools.mjs';
import { screenshot, startCommand, waitForText } from './lib/workbench.mjs';

/** Starts the OIDC fixture as a child process; resolves with its details and a stop(). */
function startIdp() {
  // 127.0.0.2: code-server sends openExternal URLs on localhost / 127.0.0.1 through its port proxy
  // (/proxy/PORT/), which a real issuer (https, another host) never goes through.
  const script = path.join(REPO, 'test', 'fixtures', 'oidc.ts');
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
    child.once('exit', (code) => reject(new Error(`the OIDC fixture exited (${code}): ${stderr}`)));
    setTimeout(() => reject(new Error(`the OIDC fixture did not start in 30 s: ${stderr}`)), 30_000).unref();
  });
}

describe('NAVI sign-in (signin): NAVI: Sign In against a real OIDC provider shows the org (code-server + Chromium)', function () {
  this.timeout(180_000);
  let idp;
  // Filled in before the session opens (mocha runs `before` hooks in order).
  const settings = {};
  before(async () => {
    idp = await startIdp();
    Object.assign(settings, {
      'navi.auth.issuer': idp.issuer,
      'navi.auth.clientId': idp.clientId,
      'navi.auth.audience': idp.audience,
      'navi.auth.flow': 'loopback',
    });
  });
  const getSession = useSession('signin', { settings });
  after(() => idp?.stop());

  const orgItem = (page, text) => page.locator('.part.statusbar .statusbar-item', { hasText: text }).first();
  // NAVI's item (status bar entry `navi.auth`) when it shows the signed-in org; a status bar
  // message may mention the org too, so it is found by its id and accessible name.
  const signedInItem = (page) =>
    page.locator(
      '.part.statusbar [id="navi-dev.navi.navi.auth"][aria-label^="NAVI org acme, signed in as alice@acme.test"]',
    );

  it('shows "Sign in" in the status bar, signs in through the provider’s page and shows the org', async () => {
    const { page } = getSession();
    await orgItem(page, 'Sign in').waitFor({ state: 'visible', timeout: 60_000 });

    const popup = page.context().waitForEvent('page', { timeout: 60_000 });
    await startCommand(page, 'NAVI: Sign In');
    // VS Code may ask before opening an external site (link protection): allow it.
    const openButton = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Open$/ });
    const tab = await Promise.race([
      popup,
      openButton.waitFor({ state: 'visible', timeout: 60_000 }).then(async () => {
        await openButton.click();
        return popup;
      }),
    ]);
    await tab.waitForLoadState('domcontentloaded');
    assert.ok(tab.url().startsWith(`${idp.issuer}/`), `the browser went to the issuer: ${tab.url()}`);
    await tab.locator('#username').fill('alice');
    await tab.locator('#password').fill('alice-password');
    await screenshot(tab, 'signin-provider-login');
    await tab.locator('#sign-in').click();
    await waitForText(tab.locator('#navi-signin-result'), /Signed in to NAVI/, 30_000);
    assert.match(
      tab.url(),
      /^http:\/\/127\.0\.0\.1:\d+\/callback\?/,
      'the loopback redirect received the code',
    );
    await tab.close();

    await signedInItem(page).waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await signedInItem(page).innerText(), /acme/);
    assert.equal(await orgItem(page, 'Sign in').count(), 0, '"Sign in" is gone');
    await page.bringToFront();
    await page.waitForTimeout(500); // toasts animate out
    await screenshot(page, 'signin-status-bar-org');
  });

  it('NAVI: Sign Out revokes the session and the status bar offers "Sign in" again', async () => {
    const { page } = getSession();
    await startCommand(page, 'NAVI: Sign Out');
    await orgItem(page, 'Sign in').waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await signedInItem(page).count(), 0);
  });
});
