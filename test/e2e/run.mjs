#!/usr/bin/env node
// `npm run test:e2e`: NAVI in a real VS Code (code-server's workbench + a real extension host),
// driven by headless Chromium (playwright-core). See test/e2e/README.md.
//
//   1. package the extension (`npm run package` → navi-<version>.vsix) and bundle test/vscode
//   2. install the .vsix into a throwaway extensions dir with `code-server --install-extension`
//   3. UI suites (test/e2e/*.e2e.mjs, mocha): palette, sidebar webview, editor, Restricted Mode
//   4. in-host suites (test/vscode/*.test.ts, mocha inside the extension host)
//
// Options: --ui | --in-host        run one kind only
//          --grep <regexp>         only tests whose full title matches
//          --keep                  keep the run's temp folder (kept anyway on failure)
// Environment: CI                  missing Chromium/code-server is a failure instead of a skip
//              NAVI_E2E_CACHE      where scripts/e2e-setup.sh installed code-server (default .navi-cache/e2e)
//              NAVI_E2E_CHROMIUM   Chromium binary (default /usr/bin/chromium)
//              NAVI_E2E_VSIX       use this .vsix instead of running `npm run package`
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Mocha from 'mocha';
import { installExtension, stopAll, stopAllSync } from './lib/codeServer.mjs';
import { configure } from './lib/harness.mjs';
import { runInHostSuites } from './lib/inHost.mjs';
import { findTools, REPO, RESULTS_DIR } from './lib/tools.mjs';

const { values: opts } = parseArgs({
  options: {
    ui: { type: 'boolean', default: false },
    'in-host': { type: 'boolean', default: false },
    grep: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const runUi = opts.ui || !opts['in-host'];
const runInHost = opts['in-host'] || !opts.ui;
const isCi = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';

const timings = [];
async function step(label, fn) {
  const started = Date.now();
  console.log(`\n[e2e] ${label}…`);
  try {
    return await fn();
  } finally {
    const seconds = (Date.now() - started) / 1000;
    timings.push([label, seconds]);
    console.log(`[e2e] ${label}: ${seconds.toFixed(1)} s`);
  }
}

// --- Are the tools there? ---------------------------------------------------------------------
const tools = findTools();
if (tools.problems.length > 0) {
  const how = [
    'To run it:',
    '  apt-get install chromium libkrb5-dev   (Debian/Ubuntu; as root)',
    '  scripts/e2e-setup.sh                   (Node 24 + code-server into .navi-cache/e2e, ~2 min once)',
    '  npm run test:e2e',
  ].join('\n');
  if (isCi) {
    console.error(
      `[e2e] FAILED: the end-to-end suite cannot run on CI:\n  - ${tools.problems.join('\n  - ')}\n${how}`,
    );
    process.exit(1);
  }
  console.log(
    [
      '',
      '[e2e] ==================================================================',
      '[e2e] SKIPPED: the end-to-end suite (NAVI in a real VS Code) did not run.',
      ...tools.problems.map((p) => `[e2e]   - ${p}`),
      ...how.split('\n').map((l) => `[e2e] ${l}`),
      '[e2e] (With CI set, a missing tool fails the run instead.)',
      '[e2e] ==================================================================',
    ].join('\n'),
  );
  process.exit(0);
}

// --- Cleanup on every way out --------------------------------------------------------------------
let runDir;
let failed = false;
process.on('exit', () => stopAllSync());
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.on(signal, () => {
    console.error(`\n[e2e] ${signal}: stopping code-server and Chromium`);
    stopAllSync();
    if (runDir) console.error(`[e2e] run folder kept: ${runDir}`);
    process.exit(code);
  });
}

// Every wait has its own timeout; this is the backstop that keeps CI from hanging on a bug here.
const WATCHDOG_MINUTES = Number(process.env.NAVI_E2E_WATCHDOG_MINUTES || 15);
setTimeout(() => {
  console.error(`\n[e2e] FAILED: the end-to-end run took over ${WATCHDOG_MINUTES} minutes; stopping it.`);
  if (runDir) console.error(`[e2e] run folder kept: ${runDir}`);
  process.exit(1);
}, WATCHDOG_MINUTES * 60_000).unref();

const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
const startedAll = Date.now();
let ui = { passed: 0, failed: 0, skipped: true };
let inHost = { passed: 0, failed: 0, skipped: true };

// Screenshots and logs of this run only.
rmSync(RESULTS_DIR, { recursive: true, force: true });
mkdirSync(RESULTS_DIR, { recursive: true });

try {
  console.log(`[e2e] chromium: ${tools.chromium}`);
  console.log(`[e2e] code-server: ${tools.codeServerEntry} (node ${tools.node})`);

  const vsix = await step('package the extension', () => packageExtension());
  if (runInHost) {
    await step('bundle the in-host suites', () => sh(process.execPath, ['test/vscode/esbuild.mjs']));
    // The in-host suites load this checkout as the development extension: it needs dist/.
    if (!existsSync(path.join(REPO, 'dist', 'extension.js'))) {
      await step('build (dist/ for the development extension)', () => sh('npm', ['run', 'build']));
    }
  }

  runDir = mkdtempSync(path.join(os.tmpdir(), 'navi-e2e-'));
  console.log(`[e2e] run folder: ${runDir}`);

  const extensionsDir = path.join(runDir, 'extensions');
  await step(`install ${path.basename(vsix)} into code-server`, () => {
    const output = installExtension({ tools, vsix, extensionsDir, root: path.join(runDir, '00-install') });
    console.log(
      `[e2e] ${output
        .split('\n')
        .filter((l) => /Installing|installed/.test(l))
        .join('\n[e2e] ')}`,
    );
    const installed = readdirSync(extensionsDir).filter((d) => d.startsWith(`${pkg.publisher}.${pkg.name}-`));
    if (installed.length !== 1)
      throw new Error(`expected one ${pkg.publisher}.${pkg.name} in ${extensionsDir}, found ${installed}`);
  });

  configure({ tools, runDir, extensionsDir, vsix });

  if (runUi) {
    ui = await step('UI suites (test/e2e/*.e2e.mjs)', () => runUiSuites(opts.grep));
  }
  if (runInHost) {
    inHost = await step('in-host suites (test/vscode/*.test.ts)', async () => {
      const r = await runInHostSuites({ grep: opts.grep });
      if (r.error) console.error(`[e2e] in-host: ${r.error}`);
      return r;
    });
  }
  // A part that ran no test is a failure too (unless --grep filtered them out).
  const ranNothing = (part) => !part.skipped && part.passed + part.failed === 0;
  const total = ui.passed + ui.failed + inHost.passed + inHost.failed;
  if (total === 0 || (!opts.grep && (ranNothing(ui) || ranNothing(inHost)))) {
    console.error('[e2e] ERROR: a suite ran no test.');
    failed = true;
  }
  failed ||= ui.failed > 0 || inHost.failed > 0;
} catch (err) {
  failed = true;
  console.error(`\n[e2e] ERROR: ${err?.stack ?? err}`);
} finally {
  await stopAll();
}

// --- Summary ---------------------------------------------------------------------------------
console.log('\n[e2e] timings:');
for (const [label, seconds] of timings) console.log(`[e2e]   ${seconds.toFixed(1).padStart(6)} s  ${label}`);
console.log(`[e2e]   ${((Date.now() - startedAll) / 1000).toFixed(1).padStart(6)} s  total`);
if (existsSync(RESULTS_DIR)) {
  const shots = readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.png'));
  console.log(`[e2e] screenshots (${path.relative(REPO, RESULTS_DIR)}/): ${shots.join(', ') || 'none'}`);
}
if (runDir) {
  if (failed || opts.keep) console.log(`[e2e] run folder kept (logs, user data): ${runDir}`);
  else rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
}
const passed = ui.passed + inHost.passed;
const failedCount = ui.failed + inHost.failed + (failed && ui.failed + inHost.failed === 0 ? 1 : 0);
console.log(
  `[e2e] UI: ${ui.passed} passed, ${ui.failed} failed; in-host: ${inHost.passed} passed, ${inHost.failed} failed`,
);
console.log(`e2e: ${passed} passed, ${failedCount} failed`);
process.exit(failed ? 1 : 0);

// --- Steps -----------------------------------------------------------------------------------

function sh(cmd, args, { capture = false } = {}) {
  const result = spawnSync(cmd, args, {
    cwd: REPO,
    stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
  });
  if (capture && result.stdout) process.stdout.write(result.stdout);
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${result.status ?? result.signal ?? result.error})`);
  }
  return result.stdout ?? '';
}

function packageExtension() {
  if (process.env.NAVI_E2E_VSIX) {
    const vsix = path.resolve(process.env.NAVI_E2E_VSIX);
    if (!existsSync(vsix)) throw new Error(`NAVI_E2E_VSIX=${vsix} does not exist`);
    console.log(`[e2e] using ${vsix} (NAVI_E2E_VSIX)`);
    return vsix;
  }
  const started = Date.now();
  const output = sh('npm', ['run', '--silent', 'package'], { capture: true });
  // scripts/package.mjs prints the path; fall back to the name vsce gives by default.
  const printed = output
    .split('\n')
    .map((l) => /(\S+\.vsix)\b/.exec(l)?.[1])
    .filter((p) => p && existsSync(path.resolve(REPO, p)))
    .pop();
  const vsix = path.resolve(REPO, printed ?? `${pkg.name}-${pkg.version}.vsix`);
  if (!existsSync(vsix)) throw new Error(`npm run package did not produce ${vsix}`);
  if (statSync(vsix).mtimeMs < started - 1000)
    throw new Error(`${vsix} is older than this run: npm run package did not rebuild it`);
  return vsix;
}

async function runUiSuites(grep) {
  const files = readdirSync(path.join(REPO, 'test', 'e2e'))
    .filter((f) => f.endsWith('.e2e.mjs'))
    .sort()
    .map((f) => path.join(REPO, 'test', 'e2e', f));
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', timeout: 120_000, ...(grep ? { grep } : {}) });
  for (const file of files) mocha.addFile(file);
  await mocha.loadFilesAsync();
  const stats = await new Promise((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats));
  });
  return { passed: stats.passes, failed: stats.failures, skipped: false };
}
