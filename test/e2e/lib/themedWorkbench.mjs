// One workbench for a suite: code-server with its own folders and a colour theme, headless
// Chromium, a page on the workbench of `folder`. The lifecycle several suites repeat by hand
// (start, open, report a failure, stop), in one place; a suite can switch the theme while it runs
// (through Preferences: Color Theme) to take each screenshot in every theme.
import { assertPanelAccessible } from './axe.mjs';
import { makeInstanceDirs, QUIET_SETTINGS, startCodeServer } from './codeServer.mjs';
import { harness, newRunFolder } from './harness.mjs';
import {
  launchBrowser,
  newPage,
  openWorkbench,
  reportFailure,
  screenshot,
  serverLogs,
} from './workbench.mjs';

/**
 * VS Code's built-in themes by the short name the suites use in screenshot names: the
 * `workbench.colorTheme` id (VS Code 1.139 calls "Default Dark Modern" `Dark Modern`) and the
 * label the theme picker shows.
 */
export const THEMES = {
  light: { id: 'Light Modern', label: 'Light Modern' },
  dark: { id: 'Dark Modern', label: 'Dark Modern' },
  hc: { id: 'Default High Contrast', label: 'Dark High Contrast' },
};

/** The workbench's class for each theme kind (`.monaco-workbench.vs`, `.vs-dark`, `.hc-black`). */
const THEME_CLASS = { light: 'vs', dark: 'vs-dark', hc: 'hc-black' };

/**
 * Starts code-server with `theme` (a key of THEMES), Chromium, and opens `folder`.
 * @param {{ name: string, folder: string, theme?: keyof typeof THEMES, settings?: object }} options
 */
export async function startThemedWorkbench({ name, folder, theme = 'dark', settings = {} }) {
  const h = harness();
  const wb = {
    server: undefined,
    browser: undefined,
    /** @type {import('playwright-core').Page} */
    page: undefined,
    theme,
    /**
     * Switches the colour theme as a person does (Preferences: Color Theme, pick, Enter) and
     * waits until the workbench shows it. (A changed settings.json is not picked up in time here.)
     */
    async setTheme(next) {
      // Its keybinding (Ctrl+K Ctrl+T): typed in the palette, "Color Theme" first matches
      // "Browse Color Themes in Marketplace". The workbench takes the keys, not a webview: a
      // click on the empty middle of the activity bar gives it the focus and changes nothing.
      await wb.page.locator('.part.activitybar').click({ position: { x: 20, y: 560 } });
      await wb.page.keyboard.press('Control+K');
      await wb.page.keyboard.press('Control+T');
      const widget = wb.page.locator('.quick-input-widget');
      await widget.waitFor({ state: 'visible' });
      const input = widget.locator('input').first();
      await input.fill(THEMES[next].label);
      await widget
        .locator('.monaco-list-row.focused', { hasText: THEMES[next].label })
        .first()
        .waitFor({ state: 'visible' });
      await wb.page.keyboard.press('Enter');
      await widget.waitFor({ state: 'hidden' });
      await wb.page
        .locator(`.monaco-workbench.${THEME_CLASS[next]}`)
        .waitFor({ state: 'attached', timeout: 30_000 });
      wb.theme = next;
      // Away from the palette, and time for the webview to get the new --vscode-* variables.
      await wb.page.mouse.move(700, 450);
      await wb.page.waitForTimeout(700);
    },
    /**
     * One screenshot per theme (`<name>-light.png`, `-dark`, `-hc`), each with an accessibility scan
     * of the panel (axe-core: no serious or critical violation); ends in the theme it began with.
     */
    async screenshotAllThemes(shot) {
      const start = wb.theme;
      const order = [start, ...Object.keys(THEMES).filter((t) => t !== start)];
      const files = [];
      for (const t of order) {
        if (t !== wb.theme) await wb.setTheme(t);
        files.push(await screenshot(wb.page, `${shot}-${t}`));
        await assertPanelAccessible(wb.page, `at ${shot}, ${t} theme`);
      }
      if (wb.theme !== start) await wb.setTheme(start);
      return files;
    },
    async reportFailure(test) {
      await reportFailure(test, wb.page, wb.server);
    },
    async stop() {
      await wb.browser?.close().catch(() => {});
      await wb.server?.stop();
    },
  };
  try {
    wb.server = await startCodeServer({
      tools: h.tools,
      root: newRunFolder(`${name}-code-server`),
      extensionsDir: h.extensionsDir,
      settings: { ...QUIET_SETTINGS, 'workbench.colorTheme': THEMES[theme].id, ...settings },
    });
    wb.browser = await launchBrowser({
      chromiumPath: h.tools.chromium,
      dirs: makeInstanceDirs(newRunFolder(`${name}-chromium`)),
    });
    wb.page = await newPage(wb.browser);
    await openWorkbench(wb.page, wb.server, folder);
    await wb.page.locator(`.monaco-workbench.${THEME_CLASS[theme]}`).waitFor({ state: 'attached' });
  } catch (error) {
    if (wb.server) console.error(serverLogs(wb.server));
    await wb.stop();
    throw error;
  }
  return wb;
}
