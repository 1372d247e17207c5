// Drives the VS Code workbench served by code-server in headless Chromium (playwright-core).
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { tailFile } from './codeServer.mjs';
import { RESULTS_DIR } from './tools.mjs';

export const EXTENSION_ID = 'navi-dev.navi';
export const WEBVIEW_TIMEOUT = 30_000;

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Launches headless Chromium with an empty profile. Playwright puts the profile in os.tmpdir(),
 * so TMPDIR (and HOME, for Chromium's own caches) point into the run's folder.
 */
export async function launchBrowser({ chromiumPath, dirs }) {
  const previousTmp = process.env.TMPDIR;
  process.env.TMPDIR = dirs.tmp;
  try {
    return await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: CHROMIUM_ARGS,
      env: {
        ...process.env,
        HOME: dirs.home,
        TMPDIR: dirs.tmp,
        XDG_CONFIG_HOME: dirs.config,
        XDG_DATA_HOME: dirs.data,
        XDG_CACHE_HOME: dirs.cache,
      },
      timeout: 60_000,
    });
  } finally {
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
  }
}

export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WEBVIEW_TIMEOUT);
  return page;
}

export function workbenchUrl(server, folder, extraQuery = '') {
  return `${server.url}/?folder=${encodeURIComponent(folder)}${extraQuery}`;
}

/** Opens the workbench on `folder` and waits until it is laid out. */
export async function openWorkbench(page, server, folder) {
  await page.goto(workbenchUrl(server, folder), { waitUntil: 'domcontentloaded', timeout: 60_000 });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  // Extension contributions are registered a moment later; NAVI's activity bar entry says they
  // are (before that, the palette does not list NAVI's commands yet).
  await naviActivityEntry(page).waitFor({ state: 'visible', timeout: 60_000 });
}

function naviActivityEntry(page) {
  return page
    .locator('.part.activitybar .action-item[role="tab"]:has(> a.action-label[aria-label^="NAVI"])')
    .first();
}

/**
 * Picks a command in the palette by its title ("NAVI: Scan Repository") and presses Enter; returns
 * the quick-input widget, which stays open when the command asks for input (an input box, a pick).
 */
export async function startCommand(page, title) {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input').first();
  // F1 reaches the workbench only when it has the keyboard focus (not a webview that is still
  // loading): focus the editor area and try again if the palette does not open.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      break;
    } catch (error) {
      if (attempt === 3) throw error;
      await page.locator('.part.editor').click({ position: { x: 20, y: 20 } });
    }
  }
  await input.fill(`>${title}`);
  // Wait until the row for exactly this command is the focused one, then run it.
  const row = widget.locator('.monaco-list-row.focused', { hasText: title });
  await row.waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
  return widget;
}

/** Runs a command from the palette by its title and waits for the palette to close. */
export async function runCommand(page, title) {
  const widget = await startCommand(page, title);
  await widget.waitFor({ state: 'hidden' });
}

/** The document inside NAVI's sidebar webview (webviews are two nested iframes). */
export function naviView(page) {
  return page
    .frameLocator(`iframe.webview.ready[src*="extensionId=${EXTENSION_ID}"]`)
    .frameLocator('#active-frame');
}

/** Shows the NAVI container in the side bar (a click on its activity bar entry, unless it is shown). */
export async function openNaviContainer(page) {
  const entry = naviActivityEntry(page);
  await entry.waitFor({ state: 'visible' });
  if ((await entry.getAttribute('aria-selected')) !== 'true') {
    await entry.click();
    // Move off the entry so its hover tooltip is not in the screenshots.
    await page.mouse.move(700, 450);
  }
  await page.locator('.part.sidebar .composite.title', { hasText: /NAVI/i }).waitFor({ state: 'visible' });
}

/** Waits until `locator`'s text matches `pattern`; returns the text. */
export async function waitForText(locator, pattern, timeout = WEBVIEW_TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last = '';
  for (;;) {
    try {
      last = await locator.innerText({ timeout: Math.max(1, Math.min(5000, deadline - Date.now())) });
      if (pattern.test(last)) return last;
    } catch {
      // not attached yet
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeout} ms waiting for text ${pattern}; last text: ${JSON.stringify(last.slice(0, 500))}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Waits until no notification toast matching `pattern` is on screen (VS Code keeps a finished
 * progress toast up for a moment; screenshots should not catch it).
 */
export async function waitForToastGone(page, pattern, timeout = 15_000) {
  await page
    .locator('.notifications-toasts .notification-list-item', { hasText: pattern })
    .first()
    .waitFor({ state: 'hidden', timeout });
}

/** The label of the active editor tab. */
export function activeTab(page) {
  return page.locator('.editor-group-container.active .tabs-container .tab.active');
}

export async function screenshot(page, name) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Saves a failure screenshot and prints the logs a reader needs to see why a test failed. */
export async function reportFailure(test, page, server) {
  const slug = test
    .fullTitle()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);
  const lines = [`\n--- diagnostics for "${test.fullTitle()}" ---`];
  if (page && !page.isClosed()) {
    try {
      lines.push(`screenshot: ${await screenshot(page, `failure-${slug}`)}`);
    } catch (err) {
      lines.push(`(no screenshot: ${err.message})`);
    }
    try {
      const text = await naviView(page).locator('body').innerText({ timeout: 2000 });
      lines.push(`NAVI webview text:\n${text.slice(0, 2000)}`);
    } catch {
      lines.push('(NAVI webview not found)');
    }
  }
  if (server) lines.push(serverLogs(server));
  console.error(lines.join('\n'));
}

/** The tails of code-server's log, the extension host log and NAVI's log channel. */
export function serverLogs(server) {
  const lines = [`code-server log (${server.logFile}), last lines:\n${server.logTail(40)}`];
  for (const file of findLogs(path.join(server.dirs.userData, 'logs'))) {
    lines.push(`${file}, last lines:\n${tailFile(file, 30)}`);
  }
  return lines.join('\n');
}

/** NAVI's own log channel and the extension host log, newest session. */
function findLogs(dir) {
  const found = [];
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/NAVI\.log$|exthost\.log$|remoteexthost\.log$/i.test(e)) found.push(p);
    }
  };
  walk(dir);
  return found;
}
