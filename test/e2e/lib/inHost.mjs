// Runs the mocha suites of test/vscode inside the real extension host: code-server with the smoke
// test driver enabled, the workbench opened with `payload` = extensionDevelopmentPath (this repo)
// + extensionTestsPath (out/test/suite/index.js), exactly what @vscode/test-electron passes to a
// desktop VS Code. The workbench calls window.codeAutomationExit(code) when run() settles.
// test/vscode/lm-provider (language models for the navi/modelChat suite) is installed beside it.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeInstanceDirs, startCodeServer } from './codeServer.mjs';
import { createFixtureRepo } from './fixture.mjs';
import { harness, newRunFolder } from './harness.mjs';
import { REPO, RESULTS_DIR } from './tools.mjs';
import { launchBrowser, newPage, screenshot, serverLogs, workbenchUrl } from './workbench.mjs';

const TESTS_MODULE = path.join(REPO, 'out', 'test', 'suite', 'index.js');
/** A test-only extension that contributes language models (test/vscode/modelChat.test.ts uses them). */
const LM_PROVIDER_EXTENSION = path.join(REPO, 'test', 'vscode', 'lm-provider');
const RUN_TIMEOUT = 240_000;
/** Prefix of the lines test/vscode/index.ts writes for the runner (its OUTPUT_TAG). */
const OUTPUT_TAG = '[navi-e2e] ';

/**
 * @param {{ grep?: string }} options
 * @returns {Promise<{ passed: number, failed: number, exitCode: number | undefined, error?: string }>}
 */
export async function runInHostSuites(options = {}) {
  const h = harness();
  if (!existsSync(TESTS_MODULE))
    throw new Error(`${TESTS_MODULE} is missing: run node test/vscode/esbuild.mjs`);
  // The extension under development: this checkout (package.json + dist/ from `npm run build`).
  const devExtension = path.resolve(process.env.NAVI_E2E_DEV_EXTENSION || REPO);
  if (devExtension === REPO && !existsSync(path.join(REPO, 'dist', 'extension.js'))) {
    throw new Error('dist/extension.js is missing: npm run build');
  }

  const fixture = createFixtureRepo(newRunFolder('in-host-fixture'));
  const extensionsDir = path.join(h.runDir, 'in-host-extensions');
  installTestExtension(LM_PROVIDER_EXTENSION, extensionsDir);
  let server;
  let browser;
  const result = { passed: 0, failed: 0, exitCode: undefined };
  try {
    server = await startCodeServer({
      tools: h.tools,
      root: newRunFolder('in-host-code-server'),
      // No .vsix: the extension under test is the development one (this checkout).
      extensionsDir,
      args: ['--vscode-option', 'enable-smoke-test-driver'],
    });
    browser = await launchBrowser({
      chromiumPath: h.tools.chromium,
      dirs: makeInstanceDirs(newRunFolder('in-host-chromium')),
    });
    const page = await newPage(browser);

    let settle;
    const exited = new Promise((resolve) => (settle = resolve));
    await page.exposeFunction('codeAutomationExit', (code) => settle({ code }));
    page.on('crash', () => settle({ error: 'the workbench page crashed' }));
    page.on('pageerror', (err) => process.stderr.write(`[workbench pageerror] ${err.message}\n`));
    const consoleLines = [];
    page.on('console', (msg) => {
      const text = msg.text();
      consoleLines.push(`[${msg.type()}] ${text}`);
      const at = text.indexOf(OUTPUT_TAG);
      if (at < 0) return;
      const output = text.slice(at + OUTPUT_TAG.length);
      const counts = /^NAVI_E2E_RESULT (\{.*\})/.exec(output);
      if (counts) {
        ({ passed: result.passed, failed: result.failed } = JSON.parse(counts[1]));
        return;
      }
      process.stdout.write(`${output}\n`);
    });

    const remote = (p) => `vscode-remote://${server.authority}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(devExtension)],
      ['extensionTestsPath', remote(TESTS_MODULE)],
      [
        'extensionEnvironment',
        JSON.stringify({ NAVI_E2E: '1', ...(options.grep ? { NAVI_E2E_GREP: options.grep } : {}) }),
      ],
    ];
    const url = `${workbenchUrl(server, fixture.dir)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });

    let timer;
    const outcome = await Promise.race([
      exited,
      new Promise((resolve) => {
        timer = setTimeout(() => resolve({ error: `no result within ${RUN_TIMEOUT / 1000} s` }), RUN_TIMEOUT);
      }),
    ]);
    clearTimeout(timer);
    result.exitCode = outcome.code;
    if (outcome.error || outcome.code !== 0) {
      result.error = outcome.error ?? `the extension host test run exited with code ${outcome.code}`;
      if (result.failed === 0) result.failed = 1;
      await diagnose(page, server, consoleLines);
    }
    return result;
  } catch (err) {
    if (server) console.error(serverLogs(server));
    throw err;
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop();
  }
}

/**
 * Puts a test-only extension into the extensions folder as `<publisher>.<name>-<version>`, where
 * the first start of code-server finds it. (A second `extensionDevelopmentPath` does not work in
 * the web workbench: it reads the payload into a Map, so only the last of a repeated key is kept.)
 */
function installTestExtension(folder, extensionsDir) {
  const { publisher, name, version } = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8'));
  mkdirSync(extensionsDir, { recursive: true });
  cpSync(folder, path.join(extensionsDir, `${publisher}.${name}-${version}`), { recursive: true });
}

async function diagnose(page, server, consoleLines) {
  const consoleLog = path.join(RESULTS_DIR, 'in-host-console.log');
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(consoleLog, consoleLines.join('\n') + '\n');
  console.error(`workbench console (extension host errors included): ${consoleLog}`);
  try {
    console.error(`screenshot: ${await screenshot(page, 'failure-in-host')}`);
  } catch (err) {
    console.error(`(no screenshot: ${err.message})`);
  }
  console.error(serverLogs(server));
}
