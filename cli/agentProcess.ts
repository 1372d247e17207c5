import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Spawns NAVI's agent, `node dist/launch.js dist/server.js --stdio` (launch.js keeps V8's code
 * cache, cli/launch.ts; without it, server.js directly). Its own process group: Ctrl-C in a
 * terminal reaches only the CLI, which cancels the request, so the agent stops the command and
 * records how it ended instead of dying mid-run. The agent still exits with us: its stdin closes
 * and it watches our processId.
 */
export function spawnAgent(serverPath: string, cwd?: string): ChildProcess {
  const launcher = path.join(path.dirname(serverPath), 'launch.js');
  const args = fs.existsSync(launcher) ? [launcher, serverPath, '--stdio'] : [serverPath, '--stdio'];
  return spawn(process.execPath, args, {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
    detached: process.platform !== 'win32',
  });
}

/** The commands that start an agent (`navi audit upload` too). */
const AGENT_COMMANDS = new Set([
  'scan',
  'check',
  'run',
  'start',
  'profile',
  'test',
  'fix',
  'receipts',
  'rollback',
]);

let early: ChildProcess | undefined;

/**
 * Starts the agent a command will need before the rest of the CLI has loaded (cli/earlyAgent.ts
 * runs this first), so the two processes load in parallel: about 80 ms of every `navi test`.
 */
export function startAgentEarly(argv: readonly string[]): void {
  const [command, ...rest] = argv;
  const needsAgent =
    command !== undefined && (AGENT_COMMANDS.has(command) || (command === 'audit' && rest[0] === 'upload'));
  if (!needsAgent || rest.includes('--help') || rest.includes('-h')) return;
  const child = spawnAgent(path.join(__dirname, 'server.js'));
  // Until a command takes it, it must not keep the CLI alive: after a usage error the CLI exits,
  // and the agent reads the end of its input and leaves too. startAgent reports spawn errors.
  child.on('error', () => {});
  setRef(child, false);
  early = child;
}

/** The early agent, when one is running (once). */
export function takeEarlyAgent(): ChildProcess | undefined {
  const child = early;
  early = undefined;
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
    return undefined;
  setRef(child, true);
  return child;
}

function setRef(child: ChildProcess, ref: boolean): void {
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as Array<{
    ref?: () => void;
    unref?: () => void;
  } | null>)
    if (ref) handle?.ref?.();
    else handle?.unref?.();
}
