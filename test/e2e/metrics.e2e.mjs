// Metrics in a real VS Code: after the suite ran commands through NAVI, the panel's Metrics card
// shows the numbers of those tasks, and they match `navi metrics --json` and the audit log itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { assertPanelAccessible } from './lib/axe.mjs';
import { useSession } from './lib/session.mjs';
import { REPO } from './lib/tools.mjs';
import { naviView, openNaviContainer, screenshot, startCommand, waitForText } from './lib/workbench.mjs';

/** NAVI: Run Command… with `text` typed into its input box. */
async function runInNavi(page, text) {
  const widget = await startCommand(page, 'NAVI: Run Command…');
  await widget.locator('.quick-input-title', { hasText: 'NAVI: Run Command' }).waitFor({ state: 'visible' });
  await widget.locator('input').first().fill(text);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden' });
}

/** The extension's audit log: audit.ndjson in its global storage folder, under the user-data dir. */
function findAuditLog(dir) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (name === 'audit.ndjson') return file;
    if (statSync(file).isDirectory()) {
      const found = findAuditLog(file);
      if (found) return found;
    }
  }
  return undefined;
}

describe('NAVI metrics: the KPIs of the audit trail in the panel (code-server + Chromium)', function () {
  this.timeout(180_000);
  const getSession = useSession('metrics');

  it('shows the numbers of the tasks the suite ran, equal to navi metrics and the audit log', async () => {
    const { page, server } = getSession();
    await openNaviContainer(page);
    const view = naviView(page);
    await view.locator('[data-testid="scan-button"]').waitFor({ state: 'visible' });

    // Two commands of their own, allowed without asking: one succeeds, one fails.
    await runInNavi(page, 'cat package.json');
    await waitForText(
      view
        .locator('[data-testid="run"]', { hasText: 'cat package.json' })
        .locator('[data-testid="run-status"]'),
      /exit 0/,
      60_000,
    );
    await runInNavi(page, 'cat no-such-file.txt');
    await waitForText(
      view.locator('[data-testid="run"]', { hasText: 'no-such-file' }).locator('[data-testid="run-status"]'),
      /exit 1/,
      60_000,
    );

    const card = view.locator('[data-testid="metrics"]');
    await card.locator('summary').click();
    const commandRow = card.locator('[data-testid="metrics-tasks"] tr[data-category="command"]');
    await commandRow.waitFor({ state: 'visible', timeout: 30_000 });
    await card.locator('[data-testid="metrics-chart"] canvas').first().waitFor({ state: 'visible' });
    const shown = {
      count: await commandRow.locator('[data-col="count"]').innerText(),
      success: await commandRow.locator('[data-col="success"]').innerText(),
      errors: await commandRow.locator('[data-col="errors"]').innerText(),
      decisions: await card.locator('[data-testid="metrics-decisions"]').innerText(),
      chartLabel: await card.locator('[data-testid="metrics-chart"]').getAttribute('aria-label'),
    };
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, 'metrics');
    await assertPanelAccessible(page, 'metrics');

    // navi/metrics as the CLI computes it from the same file.
    const auditLog = findAuditLog(server.dirs.userData);
    assert.ok(auditLog, 'the extension has an audit log');
    const cli = JSON.parse(
      execFileSync(process.execPath, [path.join(REPO, 'bin', 'navi.js'), 'metrics', '--json', auditLog], {
        encoding: 'utf8',
      }),
    );
    const command = cli.tasks.find((t) => t.category === 'command');
    assert.equal(shown.count, String(command.count));
    assert.equal(shown.success, `${Math.round(command.successRate * 1000) / 10}%`);
    assert.equal(shown.errors, `${Math.round(command.errorRate * 1000) / 10}%`);
    assert.equal(
      shown.decisions,
      `${cli.commands.allowed} allowed by the policy, ${cli.commands.approved} approved, ${cli.commands.denied} denied.`,
    );
    assert.match(
      shown.chartLabel,
      new RegExp(`command ${command.count} finished, ${command.succeeded} succeeded`),
    );

    // And the audit log itself: the two commands ran, one exit 0, one exit 1.
    const events = readFileSync(auditLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const executed = events.filter((e) => e.type === 'command.executed');
    assert.equal(command.count, executed.length);
    assert.deepEqual(
      [command.count, command.succeeded, command.failed],
      [
        2,
        executed.filter((e) => e.data.exitCode === 0).length,
        executed.filter((e) => e.data.exitCode === 1).length,
      ],
    );
    assert.deepEqual([shown.count, shown.success], ['2', '50%']);
  });
});
