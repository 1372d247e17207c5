// Accessibility scans of NAVI's panel with axe-core (issue 12): the engine runs inside the panel's
// own document (the webview's inner frame), not over the whole workbench, whose violations are
// VS Code's. A scan fails on any serious or critical violation and names the rule and the elements.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { naviView } from './workbench.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The playwright Frame of the panel's document. */
async function panelFrame(page) {
  const body = await naviView(page).locator('body').elementHandle();
  const frame = await body?.ownerFrame();
  assert.ok(frame, 'the NAVI panel is not open');
  return frame;
}

/** The serious and critical violations in the panel as it is now. */
export async function panelViolations(page) {
  const frame = await panelFrame(page);
  // Injected through the DevTools protocol, so the panel's Content Security Policy does not apply.
  if (!(await frame.evaluate(() => typeof globalThis.axe === 'object'))) await frame.evaluate(AXE_SOURCE);
  return frame.evaluate(async () => {
    const result = await globalThis.axe.run(globalThis.document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        rule: v.id,
        impact: v.impact,
        help: v.help,
        elements: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
        why: v.nodes[0]?.any?.[0]?.message ?? v.nodes[0]?.failureSummary ?? '',
      }));
  });
}

/** Fails the test when the panel, in the state named by `state`, has a serious or critical violation. */
export async function assertPanelAccessible(page, state) {
  const violations = await panelViolations(page);
  assert.deepEqual(
    violations,
    [],
    `accessibility (axe-core) of the panel ${state}:\n${violations
      .map((v) => `- ${v.impact} ${v.rule}: ${v.help} (${v.elements.join(', ')}): ${v.why}`)
      .join('\n')}`,
  );
}
