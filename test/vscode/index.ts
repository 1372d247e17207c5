// Entry point the extension host loads (extensionTestsPath): runs the in-host mocha suites that
// esbuild bundled next to this file (out/test/suite/*.test.js). Started by test/e2e/run.mjs in a
// real VS Code (code-server); the same `run()` works under @vscode/test-electron.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

/**
 * Marks the lines meant for the runner's output. In code-server the extension host's console
 * reaches the page mixed with the workbench's own log lines, and unformatted (`%s` left in).
 */
export const OUTPUT_TAG = '[navi-e2e] ';

export async function run(): Promise<void> {
  const log = console.log.bind(console);
  const emit = (...args: unknown[]) => log(OUTPUT_TAG + format(...args));
  Mocha.reporters.Base.consoleLog = emit;

  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false,
    timeout: 60_000,
    ...(process.env.NAVI_E2E_GREP ? { grep: process.env.NAVI_E2E_GREP } : {}),
  });
  const files = fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.js'))
    .sort();
  for (const name of files) mocha.addFile(path.join(__dirname, name));

  const stats = await new Promise<{ passes: number; failures: number; pending: number }>(
    (resolve, reject) => {
      try {
        const runner = mocha.run(() => resolve(runner.stats ?? { passes: 0, failures: 1, pending: 0 }));
      } catch (error) {
        reject(error);
      }
    },
  );
  // One machine-readable line for test/e2e/run.mjs.
  emit(
    `NAVI_E2E_RESULT ${JSON.stringify({ passed: stats.passes, failed: stats.failures, pending: stats.pending })}`,
  );
  if (stats.passes + stats.failures === 0) throw new Error('No in-host test ran.');
  if (stats.failures > 0) throw new Error(`${stats.failures} in-host test(s) failed.`);
}
