// Approvals in a real VS Code: a command that needs approval waits in NAVI's sidebar; Deny stops
// it, Allow once runs it (in the sandbox), and the audit trail exported from the palette shows
// both decisions, in order, with who made them.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertPanelAccessible } from './lib/axe.mjs';
import { useSession } from './lib/session.mjs';
import { naviView, openNaviContainer, screenshot, startCommand, waitForText } from './lib/workbench.mjs';

/** NAVI: Run Command… with `text` typed into its input box. */
async function runInNavi(page, text) {
  const widget = await startCommand(page, 'NAVI: Run Command…');
  await widget.locator('.quick-input-title', { hasText: 'NAVI: Run Command' }).waitFor({ state: 'visible' });
  const input = widget.locator('input').first();
  await input.fill(text);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden' });
}

describe('NAVI approvals: a command that needs approval (code-server + Chromium)', function () {
  this.timeout(180_000);
  const getSession = useSession('approvals');
  // Inline code is always `ask`: it writes a marker file only if it really runs.
  const marker = (name) => `node -e "require('fs').writeFileSync('${name}', 'ran')"`;
  let deniedFile;
  let allowedFile;

  before(() => {
    deniedFile = path.join(getSession().fixture.dir, 'denied.txt');
    allowedFile = path.join(getSession().fixture.dir, 'allowed.txt');
  });

  it('shows the pending approval in the sidebar, and Deny stops the command', async () => {
    const { page } = getSession();
    await openNaviContainer(page);
    const view = naviView(page);
    await view.locator('[data-testid="scan-button"]').waitFor({ state: 'visible' }); // the panel is up
    // A wildcard among the arguments, in a folder with an option-like name: the card shows what
    // it stands for (NAVI judges and runs exactly those names).
    writeFileSync(path.join(getSession().fixture.dir, 'src', '-rf'), '');
    await runInNavi(page, `${marker('denied.txt')} src/*`);

    const card = view.locator('[data-testid="approval"]');
    await card.waitFor({ state: 'visible', timeout: 60_000 });
    await waitForText(card.locator('[data-testid="approval-command"]'), /denied\.txt/);
    const text = await card.innerText();
    assert.match(text, /node -e/i, 'the reason names the inline code');
    assert.match(text, /high risk/i, 'the risk is shown');
    assert.match(text, /builtin:interpreter-inline/, 'the rule that asked is shown');
    assert.match(text, /Denied automatically in \d+:\d\d/, 'the timeout countdown is shown');
    assert.match(
      await card.locator('[data-testid="approval-expansions"]').innerText(),
      /src\/\* → src\/-rf src\/index\.js/,
      'the wildcard is shown with the names it stands for',
    );
    await screenshot(page, 'approval-pending');
    await assertPanelAccessible(page, 'approval pending');

    await card.locator('[data-testid="approve-deny"]').click();
    await card.waitFor({ state: 'detached' });
    const run = view.locator('[data-testid="run"]', { hasText: 'denied.txt' });
    await waitForText(run.locator('[data-testid="run-status"]'), /^Not run: denied by /);
    assert.equal(await run.getAttribute('data-state'), 'not-run');
    assert.ok(!existsSync(deniedFile), 'the denied command did not run');
  });

  it('runs the command in the sandbox after Allow once', async () => {
    const { page } = getSession();
    await runInNavi(page, marker('allowed.txt'));
    const view = naviView(page);
    const card = view.locator('[data-testid="approval"]', { hasText: 'allowed.txt' });
    await card.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(
      await card.locator('[data-testid="approve-always"]').count(),
      1,
      'Always allow is offered for one exact command',
    );
    await card.locator('[data-testid="approve-once"]').click();

    const run = view.locator('[data-testid="run"]', { hasText: 'allowed.txt' });
    await waitForText(run.locator('[data-testid="run-status"]'), /^Ran in the sandbox: exit 0\.$/, 60_000);
    assert.equal(await run.getAttribute('data-state'), 'ok');
    assert.equal(readFileSync(allowedFile, 'utf8'), 'ran', 'the allowed command ran in the workspace');
    assert.ok(!existsSync(deniedFile), 'the denied command still did not run');
    await screenshot(page, 'approval-allowed');
  });

  it('streams a command’s output into the sidebar', async () => {
    const { page } = getSession();
    // Read-only and allowed without asking.
    await runInNavi(page, 'cat package.json');
    const run = naviView(page).locator('[data-testid="run"]', { hasText: 'cat package.json' });
    await waitForText(run.locator('[data-testid="run-status"]'), /exit 0/, 60_000);
    await waitForText(run.locator('[data-testid="run-output"]'), /"name": "navi-e2e-fixture"/);
    await screenshot(page, 'command-output');
    await assertPanelAccessible(page, 'command output');
  });

  it('exports the audit trail from the palette with both decisions in order', async () => {
    const { page, fixture } = getSession();
    const widget = await startCommand(page, 'NAVI: Export Audit Trail…');
    await widget.locator('.monaco-list-row', { hasText: 'JSON' }).first().waitFor({ state: 'visible' });
    await widget.locator('input').first().fill('JSON');
    await widget.locator('.monaco-list-row.focused', { hasText: /^JSON/ }).waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');
    // code-server's save dialog is VS Code's simple file dialog: a path in the quick input, which
    // NAVI fills with navi-audit-<date>.json in the workspace folder. Accept it once it is there.
    const pathInput = widget.locator('input').first();
    const deadline = Date.now() + 30_000;
    let value = '';
    while (!/navi-audit-\d{4}-\d\d-\d\d\.json$/.test(value)) {
      if (Date.now() > deadline) throw new Error(`the save dialog did not offer the default file: ${value}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      value = await pathInput.inputValue().catch(() => '');
    }
    const out = path.join(fixture.dir, path.basename(value));
    await page.keyboard.press('Enter');
    await page
      .locator('.notifications-toasts .notification-list-item', { hasText: /Exported the NAVI audit trail/ })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await page.waitForTimeout(500); // toasts animate in
    await screenshot(page, 'audit-exported');

    const events = JSON.parse(readFileSync(out, 'utf8'));
    const proposals = new Map(
      events.filter((e) => e.type === 'command.proposed').map((e) => [e.data.commandId, e.data.command]),
    );
    const decisions = events
      .filter((e) => e.type === 'command.denied' || e.type === 'command.approved')
      .map((e) => ({
        type: e.type,
        by: e.data.by,
        actor: e.actor,
        command: proposals.get(e.data.commandId),
      }));
    assert.deepEqual(
      decisions.map((d) => [d.type, d.command]),
      [
        ['command.denied', `${marker('denied.txt')} src/*`],
        ['command.approved', marker('allowed.txt')],
      ],
      'the denial, then the approval, each linked to its command',
    );
    for (const d of decisions) {
      assert.equal(d.by, 'user');
      assert.equal(d.actor.kind, 'user');
      assert.ok(d.actor.id, 'the decision names who made it');
    }
    const executed = events.filter((e) => e.type === 'command.executed');
    assert.ok(
      executed.some((e) => e.data.exitCode === 0 && e.data.sandboxed),
      'the allowed command is recorded as executed in the sandbox',
    );
  });
});
