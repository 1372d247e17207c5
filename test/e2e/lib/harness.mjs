// What run.mjs prepared for the UI suites: the tools, the run's folder, the extensions dir with the
// packaged NAVI installed. The suites run in run.mjs's process, so a module-level value is shared.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** @type {undefined | { tools: {chromium: string, node: string, codeServerEntry: string}, runDir: string, extensionsDir: string, vsix: string }} */
let current;
let counter = 0;

export function configure(harness) {
  current = harness;
}

export function harness() {
  if (!current)
    throw new Error('The e2e suites are run by test/e2e/run.mjs (npm run test:e2e), not by mocha directly.');
  return current;
}

/** A new folder in the run's folder, for one code-server instance or one fixture. */
export function newRunFolder(name) {
  const dir = path.join(harness().runDir, `${String(++counter).padStart(2, '0')}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
