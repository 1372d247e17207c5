// Finds the tools the end-to-end suite needs: Chromium (Debian package) and code-server + Node 24
// (installed by scripts/e2e-setup.sh into the cache folder).
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const RESULTS_DIR = path.join(REPO, 'test-results', 'e2e');

export function cacheDir() {
  return path.resolve(process.env.NAVI_E2E_CACHE || path.join(REPO, '.navi-cache', 'e2e'));
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** @returns {{ chromium?: string, node?: string, codeServerEntry?: string, problems: string[] }} */
export function findTools() {
  const problems = [];
  const chromium =
    process.env.NAVI_E2E_CHROMIUM ||
    ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(isExecutable) ||
    onPath('chromium') ||
    onPath('chromium-browser');
  if (!chromium || !isExecutable(chromium)) {
    problems.push(
      'Chromium was not found (looked for $NAVI_E2E_CHROMIUM, /usr/bin/chromium, chromium on PATH).',
    );
  }

  const envFile = path.join(cacheDir(), 'e2e-env.json');
  let node;
  let codeServerEntry;
  if (existsSync(envFile)) {
    try {
      const env = JSON.parse(readFileSync(envFile, 'utf8'));
      node = env.node;
      codeServerEntry = env.codeServerEntry;
    } catch (err) {
      problems.push(`${envFile} is unreadable (${err.message}); run scripts/e2e-setup.sh again.`);
    }
    if (node && !isExecutable(node))
      problems.push(`Node 24 is missing at ${node}; run scripts/e2e-setup.sh.`);
    if (codeServerEntry && !existsSync(codeServerEntry)) {
      problems.push(`code-server is missing at ${codeServerEntry}; run scripts/e2e-setup.sh.`);
    }
  } else {
    problems.push(`code-server and Node 24 are not installed (no ${envFile}).`);
  }
  return { chromium, node, codeServerEntry, problems };
}
