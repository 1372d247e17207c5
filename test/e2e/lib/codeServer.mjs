// Starts and stops code-server (VS Code's workbench + a real Node extension host) for one test run.
// Every instance gets its own HOME, TMPDIR, XDG dirs and user-data dir, runs in its own process
// group on 127.0.0.1 with a free port, and is stopped by its group. Processes that left the group
// (an agent spawned detached, say) are found by a marker in their environment and ended too.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

const MARKER = 'NAVI_E2E_INSTANCE';

/** Settings that keep the workbench quiet and deterministic (E2E.md). */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'git.openRepositoryInParentFolders': 'never',
  'security.workspace.trust.enabled': false,
};

/** Live instances, so that an exit or a signal can stop them all. */
const live = new Set();

function isolatedEnv(dirs, extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    // A VS Code terminal's VSCODE_IPC_HOOK_CLI would make code-server hand its arguments to that
    // VS Code instead of starting; npm's and tsx's variables have no business in the test host.
    if (/^(VSCODE_|ELECTRON_|npm_|NODE_OPTIONS$|NODE_PATH$|TS_NODE_|TSX_)/i.test(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    XDG_STATE_HOME: dirs.state,
    ...extra,
  };
}

/** Creates the per-instance folders under `root`. */
export function makeInstanceDirs(root) {
  const dirs = {
    root,
    home: path.join(root, 'home'),
    tmp: path.join(root, 'tmp'),
    config: path.join(root, 'xdg-config'),
    data: path.join(root, 'xdg-data'),
    cache: path.join(root, 'xdg-cache'),
    state: path.join(root, 'xdg-state'),
    userData: path.join(root, 'user-data'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  return dirs;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `code-server --install-extension` into `extensionsDir`; throws with the output on failure. */
export function installExtension({ tools, vsix, extensionsDir, root }) {
  const dirs = makeInstanceDirs(root);
  mkdirSync(extensionsDir, { recursive: true });
  const result = spawnSync(
    tools.node,
    [
      tools.codeServerEntry,
      '--user-data-dir',
      dirs.userData,
      '--extensions-dir',
      extensionsDir,
      '--disable-telemetry',
      '--install-extension',
      vsix,
      '--force',
    ],
    { env: isolatedEnv(dirs), encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0 || !/successfully installed/i.test(output)) {
    throw new Error(
      `code-server --install-extension ${vsix} failed (exit ${result.status}, ${result.error ?? ''}):\n${output}`,
    );
  }
  return output.trim();
}

/**
 * Starts code-server and waits until /healthz answers.
 * @param {object} options
 * @param {{node: string, codeServerEntry: string}} options.tools
 * @param {string} options.root         folder for this instance's HOME, TMPDIR, user data, log
 * @param {string} options.extensionsDir
 * @param {object} [options.settings]   merged over QUIET_SETTINGS into User/settings.json
 * @param {string[]} [options.args]     extra code-server arguments
 * @param {string} [options.folder]     the folder to open by default
 * @param {Record<string,string>} [options.env] extra environment for code-server (and so the extension host)
 */
export async function startCodeServer(options) {
  const { root, extensionsDir } = options;
  const dirs = makeInstanceDirs(root);
  mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(
    path.join(dirs.userData, 'User', 'settings.json'),
    JSON.stringify({ ...QUIET_SETTINGS, ...(options.settings ?? {}) }, null, 2),
  );
  mkdirSync(extensionsDir, { recursive: true });

  let lastError;
  // A port found free can be taken before code-server binds it; try again with another one.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const instance = spawnInstance({ ...options, dirs, port, attempt });
    try {
      await instance.ready;
      return instance;
    } catch (err) {
      lastError = err;
      await instance.stop();
      if (!/EADDRINUSE/.test(instance.logTail(50))) break;
    }
  }
  throw lastError;
}

function spawnInstance({ tools, extensionsDir, args = [], folder, env = {}, dirs, port, attempt }) {
  const id = randomUUID();
  const logFile = path.join(dirs.root, `code-server${attempt > 1 ? `-${attempt}` : ''}.log`);
  const logFd = openSync(logFile, 'a');
  const argv = [
    tools.codeServerEntry,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    ...args,
  ];
  if (folder) argv.push(folder);
  const child = spawn(tools.node, argv, {
    cwd: dirs.home,
    env: isolatedEnv(dirs, { ...env, [MARKER]: id }),
    // Its own process group (setsid): the extension host and the agent are stopped with it.
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);

  let exited = false;
  let exitInfo = '';
  const exitedPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      exitInfo = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
    child.on('error', (err) => {
      exited = true;
      exitInfo = String(err);
      resolve();
    });
  });

  const instance = {
    id,
    port,
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    authority: `127.0.0.1:${port}`,
    dirs,
    logFile,
    logTail: (lines = 60) => tailFile(logFile, lines),
    ready: undefined,
    stopped: false,
    async stop() {
      if (instance.stopped) return;
      instance.stopped = true;
      live.delete(instance);
      signalGroup(child.pid, 'SIGTERM');
      const timer = new Promise((resolve) => setTimeout(resolve, 5000).unref());
      await Promise.race([exitedPromise, timer]);
      signalGroup(child.pid, 'SIGKILL');
      killByMarker(id);
    },
    stopSync() {
      if (instance.stopped) return;
      instance.stopped = true;
      live.delete(instance);
      signalGroup(child.pid, 'SIGKILL');
      killByMarker(id);
    },
  };
  live.add(instance);

  instance.ready = (async () => {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (exited) {
        throw new Error(
          `code-server exited before it was ready (${exitInfo}); log ${logFile}:\n${tailFile(logFile, 40)}`,
        );
      }
      if (await healthy(instance.url)) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(
      `code-server did not answer /healthz within 90 s; log ${logFile}:\n${tailFile(logFile, 40)}`,
    );
  })();
  return instance;
}

async function healthy(url) {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** SIGKILLs every process whose environment carries this instance's marker. */
function killByMarker(id) {
  const needle = `${MARKER}=${id}\0`;
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return; // not Linux: the process group is all we have
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (environ.includes(needle)) {
      try {
        process.kill(Number(entry), 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
  }
}

export function tailFile(file, lines) {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } catch (err) {
    return `(cannot read ${file}: ${err.message})`;
  }
}

/** Stops every instance still running (used on exit and on signals). */
export function stopAllSync() {
  for (const instance of [...live]) instance.stopSync();
}

export async function stopAll() {
  await Promise.all([...live].map((instance) => instance.stop()));
}
