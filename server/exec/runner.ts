import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createOutputRedactor } from '../audit/redact';
import { scrubEnv, secretValues } from './env';
import { HeadTailBuffer } from './output';
import { TRUSTED_BIN_DIRS } from './knowledge/programs';
import { prepareSandbox, probeSandbox } from './sandbox';

/**
 * Runs one command that policy allowed (or a person approved): `bash --noprofile --norc -c TEXT`
 * as an argv (never through another shell), in the bubblewrap sandbox when asked, with a scrubbed
 * environment, a timeout and cancellation that stop everything the command started, and output
 * that is redacted before anything leaves this module (the onOutput stream, the log file, the
 * head and tail in the result).
 *
 * Why `child_process.spawn` and not execa: what matters here is killing a whole process group
 * (`kill(-pgid)`), which needs `detached: true` (setsid) and `process.kill(-pid)`; execa's
 * `kill()`, `cancelSignal` and `forceKillAfterDelay` signal only the direct child, so a pipeline's
 * other members or a background job would survive. Its buffering and line splitting are not
 * wanted either: output is consumed as a bounded stream with backpressure. With spawn the
 * streams, the group and the escalation are in plain sight.
 */

export interface RunRequest {
  /** Bash source text, run as `bash --noprofile --norc -c command`. */
  command: string;
  /**
   * The same command as one literal argv, when the text is exactly one simple command with nothing
   * for a shell to do (parse.ts `literalCommand`): it then runs without the `bash -c` around it,
   * if its program is found in a trusted system folder on PATH (else through bash as usual).
   */
  argv?: readonly string[];
  /** Working directory; must be inside the workspace. */
  cwd: string;
  workspaceRoot: string;
  /** The whole group is stopped after this long (SIGTERM, SIGKILL after killGraceMs). */
  timeoutMs: number;
  /** Allow network access (sandbox only: without it the sandbox has its own empty network). */
  network: boolean;
  /** Read-only in the sandbox, even when missing (`.git/hooks` and `.git/config` always are). */
  protectedPaths: string[];
  /** Empty in the sandbox. */
  hiddenPaths: string[];
  /** Run inside bubblewrap; fails with SandboxUnavailableError when it is not available. */
  sandbox: boolean;
  /** Base environment (default process.env); scrubbed here, never passed as is. */
  env?: NodeJS.ProcessEnv;
  /**
   * Variables NAVI itself sets after scrubbing (a test reporter's options): never secrets, never
   * from the repository.
   */
  extraEnv?: Readonly<Record<string, string>>;
  /** Folders outside the workspace the command may write (a test run's report folder); bind-mounted writable. */
  writableDirs?: readonly string[];
  /**
   * A folder that keeps the command's caches from one run to the next (a test run's, per
   * workspace): in the sandbox, XDG_CACHE_HOME and npm's cache point into it (bind-mounted
   * writable) instead of the private /tmp, which starts empty every time. Jest's transform cache
   * and Go's build cache then stay warm, as they do outside NAVI.
   */
  cacheDir?: string;
  /** Folder for the full redacted output (`<time>-<id>.log`, mode 0600). */
  logDir: string;
  /** Bytes of the head and of the tail kept in the result (each); default 64 KiB. */
  maxKeptBytes?: number;
  /** Time between SIGTERM and SIGKILL; default 2000 ms. */
  killGraceMs?: number;
}

export type OutputStream = 'stdout' | 'stderr';

export interface RunContext {
  /** Aborting stops the command and everything it started; the result says `cancelled`. */
  signal: AbortSignal;
  /**
   * Redacted output as it arrives, in whole lines where possible, one call at a time. A returned
   * promise is awaited before more output is read (the command blocks on a full pipe meanwhile),
   * so it must settle. If it throws, the command is stopped and runCommand rejects with the error.
   */
  onOutput?: (chunk: string, stream: OutputStream) => void | Promise<void>;
  /**
   * The command starts only once this settles (the audit record of the decision, written while the
   * sandbox is prepared); if it rejects, nothing starts and runCommand rejects with its error.
   */
  ready?: Promise<unknown>;
  /** Called once the process has started; `durationMs` counts from here. */
  onStart?: () => void;
}

export interface RunResult {
  /** Exit code, or null when the command ended by a signal. */
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
  sandboxed: boolean;
  /** The redacted output (stdout and stderr as they interleaved); `bytes` and `sha256` are of the log file. */
  output: { head: string; tail: string; bytes: number; truncated: boolean; sha256: string };
  /** The full redacted output. */
  logFile: string;
}

/** The sandbox was asked for but cannot run here; `message` says why and what to do. */
export class SandboxUnavailableError extends Error {
  constructor(reason: string) {
    super(`The command sandbox is not available: ${reason}`);
    this.name = 'SandboxUnavailableError';
  }
}

const DEFAULT_KEEP = 64 * 1024;
const DEFAULT_GRACE_MS = 2000;
/** Log writes are batched up to this size; the write buffer holds at most LOG_BUFFER. */
const LOG_BATCH = 512 * 1024;
const LOG_BUFFER = 4 * 1024 * 1024;
/** The longest a log write waits in a batch. */
const LOG_FLUSH_MS = 1000;
/** Names the run in its processes' environment, to find ones that left the process group. */
const RUN_MARKER = 'NAVI_RUN_ID';

function findBash(): string {
  for (const candidate of ['/bin/bash', '/usr/bin/bash', '/usr/local/bin/bash']) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return 'bash';
}
let bashPath: string | undefined;

/**
 * Where `name` is on PATH, if that is a trusted system folder (root-owned: the same file inside
 * the sandbox, never one from the workspace or /tmp); undefined when bash should find it.
 */
function directProgram(name: string, PATH: string | undefined): string | undefined {
  for (const dir of (PATH ?? '').split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (!fs.statSync(candidate).isFile()) continue;
    } catch {
      continue;
    }
    // The first match is what bash would run: use it only when it is a trusted system program.
    return TRUSTED_BIN_DIRS.includes(path.normalize(dir)) ? candidate : undefined;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Processes

interface ProcState {
  pid: number;
  pgid: number;
  state: string;
  /** Start time (clock ticks after boot): tells a process from a later one with the same PID. */
  start: string;
}

const hasProc = process.platform === 'linux' && fs.existsSync('/proc/self/stat');

function readProcStat(pid: number): ProcState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0] ?? '?', pgid: Number(fields[2]), start: fields[19] ?? '' };
}

function allPids(): number[] {
  try {
    return fs
      .readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
}

/** Alive = exists and is not a zombie (a dead process whose parent has not reaped it). */
function isAlive(pid: number): boolean {
  if (hasProc) {
    const stat = readProcStat(pid);
    return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (!hasProc) return true;
  // The group exists, but maybe only as zombies (orphans of a PID 1 that does not reap).
  return allPids().some((pid) => {
    const stat = readProcStat(pid);
    return stat !== undefined && stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X';
  });
}

/** Live processes whose environment carries this run's marker: ones that left the group with setsid. */
function markedProcesses(marker: string): number[] {
  if (!hasProc) return [];
  const needle = Buffer.from(`${RUN_MARKER}=${marker}\0`);
  const pids: number[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`).includes(needle) && isAlive(pid)) pids.push(pid);
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Polls `done` (cheap checks) until it holds or `ms` passed; true when it holds. */
async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(1, deadline - Date.now()))));
  }
}

/** Runs still going, so they can be stopped when the agent exits. */
const running = new Set<() => void>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const killNow of running) killNow();
  });
}

/** The log files of the commands still running: log retention leaves them alone. */
const writingLogs = new Set<string>();
export function logsInUse(): ReadonlySet<string> {
  return writingLogs;
}

/** Stops every running command now (SIGKILL to each group): for the agent's shutdown path. */
export function killAllCommands(): void {
  for (const killNow of running) killNow();
}

// ---------------------------------------------------------------------------------------------
// Run

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel));
}

function logFileName(id: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `${stamp}-${id.slice(0, 8)}.log`;
}

/** The names logFileName gives (log retention touches nothing else in the folder). */
export const COMMAND_LOG_NAME = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-[0-9a-f]{8}\.log$/;

export async function runCommand(req: RunRequest, ctx: RunContext): Promise<RunResult> {
  if (typeof req.command !== 'string' || req.command.trim() === '') throw new Error('The command is empty.');
  if (req.command.includes('\0')) throw new Error('The command contains a NUL character.');
  if (!Number.isFinite(req.timeoutMs) || req.timeoutMs <= 0)
    throw new Error('timeoutMs must be a positive number.');
  const keep = req.maxKeptBytes ?? DEFAULT_KEEP;
  const grace = req.killGraceMs ?? DEFAULT_GRACE_MS;
  const ws = fs.realpathSync.native(req.workspaceRoot);
  const cwd = fs.realpathSync.native(path.resolve(ws, req.cwd));
  if (!isInside(ws, cwd)) throw new Error(`The working directory ${req.cwd} is outside the workspace ${ws}.`);

  const baseEnv = req.env ?? process.env;
  const env = scrubEnv(baseEnv, { workspaceRoot: req.workspaceRoot });
  env.PWD = cwd;
  Object.assign(env, req.extraEnv);
  const values = secretValues(baseEnv, ws);
  const runId = randomUUID();

  let release: (() => void) | undefined;
  let file: string;
  let args: string[];
  const bash = (bashPath ??= findBash());
  const direct = req.argv && directProgram(req.argv[0]!, env.PATH);
  const [program, programArgs] = direct
    ? [direct, req.argv!.slice(1)]
    : [bash, ['--noprofile', '--norc', '-c', req.command]];
  if (req.sandbox) {
    const probe = await probeSandbox();
    if (!probe.available || !probe.bwrapPath)
      throw new SandboxUnavailableError(probe.reason ?? 'unknown reason');
    // /tmp is private to the sandbox; a host TMPDIR would be read-only in it.
    env.TMPDIR = '/tmp';
    if (env.TMP) env.TMP = '/tmp';
    if (env.TEMP) env.TEMP = '/tmp';
    // The home folder is read-only in the sandbox: tools that keep caches there (npm's ~/.npm,
    // Go's build cache, pip, yarn…) get them in the private /tmp instead of failing with EROFS.
    env.XDG_CACHE_HOME = req.cacheDir ?? '/tmp/.cache';
    env.npm_config_cache = req.cacheDir ? path.join(req.cacheDir, 'npm') : '/tmp/.npm';
    if (req.cacheDir) fs.mkdirSync(req.cacheDir, { recursive: true, mode: 0o700 });
    const sandbox = prepareSandbox({
      workspaceRoot: ws,
      cwd,
      network: req.network,
      protectedPaths: req.protectedPaths,
      hiddenPaths: req.hiddenPaths,
      writableDirs: req.cacheDir ? [...(req.writableDirs ?? []), req.cacheDir] : req.writableDirs,
      env,
    });
    release = sandbox.release;
    file = probe.bwrapPath;
    args = [...sandbox.plan.args, '--info-fd', '3', '--', program, ...programArgs];
  } else {
    env[RUN_MARKER] = runId;
    file = program;
    args = programArgs;
  }

  try {
    fs.mkdirSync(req.logDir, { recursive: true, mode: 0o700 });
    const logFile = path.join(req.logDir, logFileName(runId));
    writingLogs.add(logFile);
    try {
      return await execute({ req, ctx, file, args, env, cwd, values, logFile, keep, grace, runId });
    } finally {
      writingLogs.delete(logFile);
    }
  } finally {
    release?.();
  }
}

interface Execution {
  req: RunRequest;
  ctx: RunContext;
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  values: string[];
  logFile: string;
  keep: number;
  grace: number;
  runId: string;
}

async function execute(x: Execution): Promise<RunResult> {
  const { req, ctx, grace } = x;
  const sandboxed = req.sandbox;
  const log = fs.createWriteStream(x.logFile, { flags: 'wx', mode: 0o600, highWaterMark: LOG_BUFFER });
  const logOpened = once(log, 'open');
  const summary = new HeadTailBuffer(x.keep);
  let started = performance.now();
  const result = (partial: Pick<RunResult, 'exitCode' | 'signal' | 'timedOut' | 'cancelled'>): RunResult => ({
    ...partial,
    durationMs: Math.round(performance.now() - started),
    sandboxed,
    output: summary.summary(),
    logFile: x.logFile,
  });
  let logError: Error | undefined;
  log.on('error', (error) => (logError ??= error));
  /** Waits until the log file takes more (or failed: a full disk must not hang the run). */
  const drained = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (logError) return reject(logError);
      const onDrain = (): void => {
        log.off('error', onError);
        resolve();
      };
      const onError = (error: Error): void => {
        log.off('drain', onDrain);
        reject(error);
      };
      log.once('drain', onDrain);
      log.once('error', onError);
    });
  /**
   * Appends to the log in batches: while corked, chunks collect and go out as one writev of about
   * LOG_BATCH bytes, so the thread pool is woken once per batch instead of once per 64 KiB read.
   */
  // Batched, but never held back for more than LOG_FLUSH_MS: a long-running command (a started
  // app) has a log file people can read while it runs.
  let flushTimer: NodeJS.Timeout | undefined;
  const writeLog = (bytes: Buffer): boolean => {
    if (!log.writableCorked) {
      log.cork();
      flushTimer ??= setTimeout(() => {
        flushTimer = undefined;
        while (log.writableCorked) log.uncork();
      }, LOG_FLUSH_MS);
      flushTimer.unref();
    }
    const ok = log.write(bytes);
    if (!ok || log.writableLength >= LOG_BATCH) log.uncork();
    return ok;
  };
  const closeLog = async (): Promise<void> => {
    if (flushTimer) clearTimeout(flushTimer);
    if (log.closed) return;
    const closed = once(log, 'close').catch(() => undefined);
    log.end();
    await closed;
  };

  await logOpened;
  if (ctx.ready) {
    try {
      await ctx.ready;
    } catch (error) {
      await closeLog();
      fs.rmSync(x.logFile, { force: true });
      throw error;
    }
  }
  if (ctx.signal.aborted) {
    await closeLog();
    return result({ exitCode: null, signal: null, timedOut: false, cancelled: true });
  }

  // stdin is /dev/null: nothing waits for input. fd 3 is bwrap's --info-fd (the sandbox's PID).
  const child: ChildProcess = spawn(x.file, x.args, {
    cwd: x.cwd,
    env: sandboxed ? { PATH: x.env.PATH ?? '/usr/bin:/bin' } : x.env,
    detached: true,
    stdio: sandboxed ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const spawned = new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error) => resolve(error));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, sig) => resolve({ code, signal: sig })),
  );
  const spawnError = await spawned;
  if (spawnError || child.pid === undefined) {
    await closeLog();
    throw new Error(`Could not start ${x.file}: ${spawnError?.message ?? 'no process id'}`);
  }
  const pgid = child.pid;
  started = performance.now();
  ctx.onStart?.();

  // --- stopping -------------------------------------------------------------------------------
  let innerPid: number | undefined; // the sandbox's PID 1 (host PID); its group is the command's
  let innerStart: string | undefined;
  /** The sandbox's PID 1 while it is still that process (not a later one that got its PID). */
  const inner = (): number | undefined =>
    innerPid !== undefined &&
    (!hasProc || (innerStart !== undefined && readProcStat(innerPid)?.start === innerStart))
      ? innerPid
      : undefined;
  let timedOut = false;
  let cancelled = false;
  let failure: unknown;
  let terminating = false;
  let killTimer: NodeJS.Timeout | undefined;
  let mainExited = false;

  const killNow = (): void => {
    signal(-pgid, 'SIGKILL');
    const pid1 = inner();
    if (pid1 !== undefined) {
      signal(-pid1, 'SIGKILL');
      signal(pid1, 'SIGKILL'); // PID 1 of the namespace: takes every process in it along
    }
    if (!sandboxed) for (const pid of markedProcesses(x.runId)) signal(pid, 'SIGKILL');
  };
  const softKill = (): void => {
    if (sandboxed) {
      // The command's group inside the sandbox gets SIGTERM; its PID 1 (bwrap) ignores it, and
      // exits with the command. Before the sandbox is up, there is nothing to be gentle with.
      const pid1 = inner();
      if (pid1 !== undefined) signal(-pid1, 'SIGTERM');
      else signal(-pgid, 'SIGKILL');
    } else {
      signal(-pgid, 'SIGTERM');
      for (const pid of markedProcesses(x.runId)) signal(pid, 'SIGTERM');
    }
  };
  const terminate = (): void => {
    if (terminating) return;
    terminating = true;
    softKill();
    killTimer = setTimeout(killNow, grace);
    killTimer.unref();
  };
  running.add(killNow);
  installExitHook();

  const timeout = setTimeout(() => {
    if (mainExited) return;
    timedOut = true;
    terminate();
  }, req.timeoutMs);
  const onAbort = (): void => {
    if (mainExited) return;
    cancelled = true;
    terminate();
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const fail = (error: unknown): void => {
    failure ??= error;
    terminate();
  };

  // --- output ---------------------------------------------------------------------------------
  // The streams flow ('data' events: Node keeps reading while a chunk is handled synchronously)
  // and are paused only while something has to wait: the log file's buffer is full, or onOutput
  // returned a promise. Both streams share one queue, so onOutput calls never overlap and arrive
  // in order; while it is busy, both pipes fill up and the command blocks on its next write.
  /** `bytes`: the text's UTF-8 when already at hand (the chunk as read, unchanged by redaction). */
  type Item = { text: string; stream: OutputStream; bytes?: Buffer };
  const queue: Item[] = [];
  const outputs = [child.stdout!, child.stderr!];
  let busy = false;
  let open = outputs.length;
  let lastActivity = Date.now();
  let markOutputDone!: () => void;
  const outputDone = new Promise<void>((resolve) => (markOutputDone = resolve));

  /** Handles one item; returns a promise when it has to wait. */
  const handle = (item: Item): Promise<unknown> | undefined => {
    const bytes = item.bytes ?? Buffer.from(item.text, 'utf8');
    summary.push(bytes);
    const deliver = (): unknown =>
      ctx.onOutput && failure === undefined ? ctx.onOutput(item.text, item.stream) : undefined;
    if (!writeLog(bytes)) return drained().then(deliver);
    const delivered = deliver();
    return delivered instanceof Promise ? delivered : undefined;
  };
  const flush = (): void => {
    while (!busy && queue.length > 0) {
      let wait: Promise<unknown> | undefined;
      try {
        wait = handle(queue.shift()!);
      } catch (error) {
        fail(error);
      }
      if (wait) {
        busy = true;
        for (const s of outputs) s.pause();
        wait.catch(fail).finally(() => {
          busy = false;
          flush();
          if (!busy) for (const s of outputs) if (!s.destroyed) s.resume();
        });
      }
    }
    if (open === 0 && !busy && queue.length === 0) markOutputDone();
  };
  const consume = (readable: Readable, stream: OutputStream): void => {
    const decoder = new StringDecoder('utf8');
    const redactor = createOutputRedactor({ values: x.values });
    readable.on('data', (chunk: Buffer) => {
      lastActivity = Date.now();
      if (failure !== undefined) return; // keep draining so the command does not block
      const decoded = decoder.write(chunk);
      const text = redactor.write(decoded);
      if (text) {
        // Most chunks pass redaction unchanged and whole: reuse their bytes instead of encoding.
        const same = text.length === chunk.length && decoded.length === chunk.length && text === decoded;
        queue.push({ text, stream, bytes: same ? chunk : undefined });
        flush();
      }
    });
    readable.on('error', () => undefined); // destroyed after the command ended
    readable.once('close', () => {
      const rest = redactor.write(decoder.end()) + redactor.end();
      if (rest && failure === undefined) queue.push({ text: rest, stream });
      open--;
      flush();
    });
  };
  consume(child.stdout!, 'stdout');
  consume(child.stderr!, 'stderr');
  let outputFinished = false;
  void outputDone.then(() => (outputFinished = true));

  if (sandboxed) {
    const info = child.stdio[3] as Readable;
    let text = '';
    info.setEncoding('utf8');
    info.on('data', (d: string) => {
      text += d;
      const m = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (m && innerPid === undefined) {
        innerPid = Number(m[1]);
        innerStart = hasProc ? readProcStat(innerPid)?.start : undefined;
        // Stopped while the sandbox was starting: now there is a group to stop.
        if (terminating && inner() !== undefined) signal(-innerPid, 'SIGTERM');
      }
    });
    info.on('error', () => undefined);
  }

  // --- the end --------------------------------------------------------------------------------
  const { code, signal: exitSignal } = await exited;
  mainExited = true;
  clearTimeout(timeout);

  // Whatever the command left running goes too: the rest of its group (background jobs), processes
  // that left the group (found by the marker), the sandbox's PID namespace.
  const leftovers = (): boolean =>
    groupAlive(pgid) ||
    (inner() !== undefined && isAlive(innerPid!)) ||
    (!sandboxed && markedProcesses(x.runId).length > 0);
  if (leftovers()) {
    if (!terminating) softKill();
    if (!(await waitUntil(() => !leftovers(), grace))) {
      killNow();
      await waitUntil(() => !leftovers(), 1000);
    }
  }
  if (killTimer) clearTimeout(killTimer);
  running.delete(killNow);
  ctx.signal.removeEventListener('abort', onAbort);

  // The pipes close when the last process holding them is gone. One that escaped everything
  // (setsid and a cleared environment, outside the sandbox) could hold them forever: once output
  // has been idle for the grace period and nothing is being handed to onOutput, stop reading.
  while (!outputFinished) {
    let idle: NodeJS.Timeout | undefined;
    await Promise.race([outputDone, new Promise((r) => (idle = setTimeout(r, grace)))]);
    clearTimeout(idle);
    if (!outputFinished && !busy && Date.now() - lastActivity >= grace) {
      for (const s of outputs) s.destroy();
    }
  }
  (child.stdio[3] as Readable | undefined)?.destroy();
  await closeLog();
  failure ??= logError;
  if (failure !== undefined) throw failure;

  let exitCode = code;
  let sig: string | null = exitSignal;
  // bwrap reports a command killed by a signal as 128 + the signal number.
  if (sandboxed && terminating && code !== null && code > 128) {
    const name = Object.entries(osConstants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name) {
      exitCode = null;
      sig = name;
    }
  }
  return result({ exitCode, signal: sig, timedOut, cancelled });
}
