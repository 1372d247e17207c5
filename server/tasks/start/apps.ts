import * as fs from 'node:fs';
import * as path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { AuditEventInput } from '../../../protocol/audit';
import { ErrorCodes, NaviError } from '../../../protocol/errors';
import type { RunOutcome, RunParams } from '../../../protocol/requests';
import type { AppInfo } from '../../../protocol/testing';
import { run, type PipelinePorts } from '../../exec/pipeline';
import type { OutputStream } from '../../exec/runner';
import { silentLogger, type Logger } from '../../taskContext';
import {
  answersHttp,
  appProcesses,
  canInspectProcesses,
  firstConnectable,
  listeningPorts,
  type ListeningSocket,
} from './listeningPorts';
import { connectHosts, parseReadinessLine, portUrl, type ReadinessHint } from './readiness';
import { LineTail } from './tail';

/**
 * Started apps (`navi/start`, `navi/stopApp`, `navi/appStatus`): the profile's start command runs
 * through the command pipeline (judged, approved, sandboxed with the host network, audited) and
 * keeps running after the request is answered, until it is stopped, exits, or the agent goes.
 *
 * Ready means: a local URL or a "listening" line in its output whose port accepts a TCP
 * connection, or — when the output says nothing — a port in LISTEN state held by its process tree
 * (listeningPorts.ts) for a moment without a line naming it, preferably one that answers HTTP.
 * Not ready within the timeout, or gone before: the app is stopped and reported `failed` with its
 * last output lines.
 *
 * Audit: `task.started` before the command is proposed; `task.finished` when the start is
 * decided — `ready` (with the URL), `failed` or `stopped` (before it was ready). What happens to a
 * ready app later is in its command's `command.executed` event (exit code, `cancelled` for a stop).
 */

export interface AppStartOptions {
  /** The client's id for this app: `navi/commandOutput` (as `runId`) and `navi/appStatus` carry it. */
  appId: string;
  /** Absolute workspace root. */
  root: string;
  /** Absolute project directory (inside root): where the command runs. */
  dir: string;
  /** The profile's start command (bash). */
  command: string;
  /** VS Code Workspace Trust; untrusted → 41004, nothing runs. */
  trusted: boolean;
  /** How long it may take to become ready once it runs (after any approval), ms. Default 60 s. */
  readyTimeoutMs?: number;
  /** CLI `--yes`: approve an `ask` verdict (recorded as `cli-yes`). */
  autoApprove?: boolean;
  /** The confirmed profile's approval of the start command (profileApproval.ts), when there is one. */
  profile?: { confirmedAt: string; changes: readonly string[] };
}

export interface AppStartContext {
  /**
   * Cancels the start while the app is not ready yet (the request was cancelled): the app is
   * stopped and `start` rejects with the signal's reason. Ignored once the app is ready.
   */
  signal?: AbortSignal;
  /** The app's redacted output as it arrives, for as long as it runs (errors are ignored). */
  onOutput?: (chunk: string, stream: OutputStream) => void | Promise<void>;
}

export interface AppManagerOptions {
  log?: Logger;
  /** Every change of an app's status (`starting`, `ready`, `failed`, `exited`, `stopped`): `navi/appStatus`. */
  onStatus?: (info: AppInfo) => void;
  /** Lines of output kept in memory per app (default 200). */
  tailLines?: number;
}

/** The longest a started app runs (RunParams.timeoutMs allows no more): it is stopped after a day. */
export const APP_MAX_RUN_MS = 24 * 3_600_000;
export const DEFAULT_READY_TIMEOUT_MS = 60_000;
/** How long a listening port must be there, with no output line naming one, to count as ready. */
const PORT_SETTLE_MS = 400;
/** How long a port that an output line names waits for that line's connect before it counts alone. */
const NAMED_GRACE_MS = 3000;
/** Output lines in a failed or ended app's `tail`. */
const TAIL_IN_INFO = 40;
/** The environment variable that marks an app's processes (listeningPorts.ts finds them by it). */
export const APP_MARKER_VARIABLE = 'NAVI_APP_RUN';
/** Ports dev servers commonly use: probed when the process tree cannot be inspected (no /proc). */
const COMMON_DEV_PORTS = [3000, 3001, 4000, 4200, 5000, 5173, 8000, 8080, 8081, 8888, 1313, 4321];

type EndReason = 'stop' | 'timeout' | 'cancel';

interface App {
  info: AppInfo;
  /** Absolute workspace root. */
  root: string;
  taskId: string;
  taskStarted: number;
  /** When the command actually started (its run was recorded), for the ready timeout and readyMs. */
  runStarted?: number;
  abort: AbortController;
  endReason?: EndReason;
  tail: LineTail;
  commandIds: string[];
  hints: ReadinessHint[];
  portFirstSeen: Map<number, number>;
  /** Ports seen listening (for the check that a stop closed them). */
  seenPorts: Set<number>;
  isolatedPorts: Set<number>;
  taskFinished: boolean;
  /** Wakes the readiness loop (new output, the run ended). */
  poke: () => void;
  /** Settles when the app's run has ended and its final status is out. */
  ended: Promise<AppInfo>;
}

const TERMINAL = new Set<AppInfo['status']>(['failed', 'exited', 'stopped']);

export class AppManager {
  private readonly apps = new Map<string, App>();
  private readonly log: Logger;

  constructor(private readonly options: AppManagerOptions = {}) {
    this.log = options.log ?? silentLogger;
  }

  /**
   * Starts an app and resolves once it is ready (status `ready`) or has failed (`failed`: denied,
   * exited, not ready in time — it is stopped, and the info has its last output lines) or was
   * stopped before it was ready (`stopped`). Rejects with NaviError 41004 (untrusted), 41006 (the
   * audit log cannot record), -32602 (an app with this id is running), or the signal's reason
   * when cancelled.
   */
  async start(opts: AppStartOptions, ports: PipelinePorts, ctx: AppStartContext = {}): Promise<AppInfo> {
    if (this.apps.has(opts.appId))
      throw new NaviError(ErrorCodes.InvalidParams, `An app with the id ${opts.appId} is already running.`, {
        hint: 'Stop it first, or start the new one with another appId.',
      });
    const taskId = uuidv7();
    let markEnded!: (info: AppInfo) => void;
    const app: App = {
      info: { appId: opts.appId, project: opts.dir, command: opts.command, status: 'starting' },
      root: opts.root,
      taskId,
      taskStarted: performance.now(),
      abort: new AbortController(),
      tail: new LineTail(this.options.tailLines ?? 200),
      commandIds: [],
      hints: [],
      portFirstSeen: new Map(),
      seenPorts: new Set(),
      isolatedPorts: new Set(),
      taskFinished: false,
      poke: () => undefined,
      ended: new Promise<AppInfo>((resolve) => (markEnded = resolve)),
    };
    this.apps.set(opts.appId, app);
    try {
      await record(ports, {
        type: 'task.started',
        actor: { kind: 'agent' },
        workspace: opts.root,
        data: { taskId, task: 'start', project: opts.dir, command: opts.command },
      });
    } catch (error) {
      this.apps.delete(opts.appId);
      throw error;
    }
    this.emit(app);

    const onCancel = (): void => this.end(app, 'cancel');
    ctx.signal?.addEventListener('abort', onCancel, { once: true });
    if (ctx.signal?.aborted) onCancel();

    const running = this.runApp(app, opts, ports, ctx);
    const readiness = this.watch(app, opts, ports).catch((error: unknown) => {
      this.log.error(`Watching app ${opts.appId} for readiness failed; stopping it`, error);
      this.end(app, 'stop');
    });
    void running.then(
      () => markEnded(app.info),
      () => markEnded(app.info),
    );
    try {
      await Promise.race([readiness, running]);
      // Not ready (ended, failed, stopped): answer once it has settled, its task recorded and the
      // app gone from the list. runApp sets the status before it records the end, so readiness can
      // see `failed` first.
      if (app.info.status !== 'ready') await running;
    } finally {
      ctx.signal?.removeEventListener('abort', onCancel);
    }
    if (app.endReason === 'cancel' && app.info.status !== 'ready')
      throw ctx.signal?.reason ?? new Error('Cancelled');
    return { ...app.info };
  }

  /** Stops an app (its whole process tree) and resolves with its final info; 41008 when there is no such app. */
  async stop(appId: string): Promise<AppInfo> {
    const app = this.apps.get(appId);
    if (!app)
      throw new NaviError(ErrorCodes.NoSuchApp, `No app with the id ${appId} is running.`, {
        hint: 'It was stopped, exited, or never started.',
      });
    this.end(app, 'stop');
    return { ...(await app.ended) };
  }

  /** Stops every app (agent shutdown, client disconnect); resolves when all have ended. */
  async stopAll(): Promise<AppInfo[]> {
    return Promise.all([...this.apps.keys()].map((id) => this.stop(id).catch(() => undefined))).then((all) =>
      all.filter((i): i is AppInfo => i !== undefined),
    );
  }

  /** The apps that are starting or running. */
  list(): AppInfo[] {
    return [...this.apps.values()].map((a) => ({ ...a.info }));
  }

  /** One starting or running app, with its current output tail. */
  get(appId: string): AppInfo | undefined {
    const app = this.apps.get(appId);
    return app ? { ...app.info, tail: app.tail.text() } : undefined;
  }

  // -------------------------------------------------------------------------------------------

  private end(app: App, reason: EndReason): void {
    if (TERMINAL.has(app.info.status)) return;
    if (reason === 'cancel' && app.info.status === 'ready') return; // the start was already answered
    app.endReason ??= reason;
    app.abort.abort(new Error(`app ${reason}`));
    app.poke();
  }

  private emit(app: App): void {
    try {
      this.options.onStatus?.({ ...app.info });
    } catch (error) {
      this.log.warn(`navi/appStatus listener failed: ${String(error)}`);
    }
  }

  private async finishTask(
    app: App,
    ports: PipelinePorts,
    status: 'ready' | 'failed' | 'stopped',
  ): Promise<void> {
    if (app.taskFinished) return;
    app.taskFinished = true;
    try {
      await record(ports, {
        type: 'task.finished',
        actor: { kind: 'system' },
        workspace: app.root,
        data: {
          taskId: app.taskId,
          task: 'start',
          project: app.info.project,
          status,
          durationMs: Math.round(performance.now() - app.taskStarted),
          commandIds: app.commandIds,
          ...(app.info.url ? { url: app.info.url } : {}),
        },
      });
    } catch (error) {
      this.log.error(`The audit log could not record the end of app start ${app.info.appId}`, error);
    }
  }

  /** Runs the command until it ends, then sets and emits the final status. */
  private async runApp(
    app: App,
    opts: AppStartOptions,
    ports: PipelinePorts,
    ctx: AppStartContext,
  ): Promise<void> {
    const logDir = path.join(ports.logDir, 'apps', app.taskId);
    const observe = (events: readonly AuditEventInput[]): void => {
      for (const e of events) {
        if (e.type === 'command.proposed') {
          app.commandIds.push(e.data.commandId);
          app.info.commandId ??= e.data.commandId;
        }
      }
    };
    const started = (events: readonly AuditEventInput[]): void => {
      // The runner starts the command once its verdict (allow) or approval is on record.
      if (
        events.some(
          (e) =>
            (e.type === 'command.verdict' && e.data.verdict === 'allow') || e.type === 'command.approved',
        )
      ) {
        app.runStarted ??= performance.now();
        app.poke();
      }
    };
    const watched: PipelinePorts = {
      ...ports,
      logDir,
      audit: {
        append: async (event) => {
          observe([event]);
          const out = await ports.audit.append(event);
          started([event]);
          return out;
        },
        appendAll: async (events) => {
          observe(events);
          const out = await ports.audit.appendAll(events);
          started(events);
          return out;
        },
      },
    };
    const params: RunParams = {
      runId: opts.appId,
      command: opts.command,
      cwd: opts.dir,
      workspaceRoot: opts.root,
      trusted: opts.trusted,
      proposer: 'task',
      timeoutMs: APP_MAX_RUN_MS,
      ...(opts.autoApprove ? { autoApprove: true } : {}),
    };
    let outcome: RunOutcome | undefined;
    let failure: unknown;
    try {
      outcome = await run(params, watched, {
        signal: app.abort.signal,
        onOutput: async (chunk, stream) => {
          const { lines, partial } = app.tail.push(chunk, stream);
          for (const line of partial ? [...lines, partial] : lines) {
            const hint = parseReadinessLine(line);
            if (hint && !app.hints.some((h) => h.port === hint.port && h.kind === hint.kind)) {
              app.hints.push(hint);
              app.poke();
            }
          }
          try {
            await ctx.onOutput?.(chunk, stream);
          } catch {
            // The client went away: the app's life is up to stop/stopAll, not to its output.
          }
        },
        task: {
          shareNetwork: true,
          extraEnv: { [APP_MARKER_VARIABLE]: app.taskId },
          ...(opts.profile ? { profile: opts.profile } : {}),
        },
      });
    } catch (error) {
      failure = error;
    }
    const wasReady = app.info.status === 'ready';
    const result = outcome?.result;
    if (outcome) app.info.commandId = outcome.commandId;
    if (result) {
      app.info.logFile = result.logFile;
      app.info.exitCode = result.exitCode;
    }
    app.info.tail = app.tail.text(TAIL_IN_INFO);
    const how = result
      ? result.exitCode !== null
        ? `exited with code ${result.exitCode}`
        : `was killed by ${result.signal ?? 'a signal'}`
      : '';
    if (app.endReason === 'stop' || app.endReason === 'cancel') {
      app.info.status = 'stopped';
      app.info.message = wasReady ? 'Stopped.' : 'Stopped before it was ready.';
      const open = await this.portsStillOpen(app);
      if (open.length)
        app.info.message += ` Port ${open.join(', ')} still accepts connections: another process holds it.`;
    } else if (wasReady) {
      app.info.status = 'exited';
      app.info.message = result?.timedOut
        ? `Stopped after ${APP_MAX_RUN_MS / 3_600_000} hours, the longest NAVI keeps an app running.`
        : `The app ${how || 'ended'}.`;
    } else {
      app.info.status = 'failed';
      if (app.endReason === 'timeout') {
        const seconds = Math.round((opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS) / 1000);
        app.info.message =
          `It was not ready within ${seconds} s: no URL or "listening" line in its output, and no port opened.` +
          (app.isolatedPorts.size
            ? ` It listens on port ${[...app.isolatedPorts].join(', ')} inside the sandbox, but the network policy keeps the sandbox off the host network, so nothing can reach it.`
            : ' It was stopped.');
      } else if (failure !== undefined) {
        app.info.message = `It could not run: ${failure instanceof Error ? failure.message : String(failure)}`;
      } else if (outcome && !outcome.ran) {
        app.info.message = outcome.message;
      } else {
        app.info.message = `The start command ${how || 'ended'} before it was ready.`;
      }
    }
    if (!app.taskFinished)
      await this.finishTask(app, ports, app.info.status === 'stopped' ? 'stopped' : 'failed');
    this.apps.delete(app.info.appId);
    app.poke();
    this.emit(app);
    if (failure !== undefined && !wasReady && app.endReason === undefined) throw failure;
  }

  /** Ports it had open that still answer after it ended (waits up to 3 s for them to close). */
  private async portsStillOpen(app: App): Promise<number[]> {
    const ports = new Set(app.seenPorts);
    for (const h of app.hints) if (app.info.ports?.includes(h.port)) ports.add(h.port);
    const open: number[] = [];
    for (const port of ports) {
      if (app.isolatedPorts.has(port)) continue;
      const deadline = Date.now() + 3000;
      let answering = true;
      while (answering && Date.now() < deadline) {
        answering = (await firstConnectable(['127.0.0.1', '::1'], port, 500)) !== undefined;
        if (answering) await sleep(50);
      }
      if (answering) open.push(port);
    }
    return open;
  }

  /** Watches output hints and the process tree's ports until the app is ready, ends or times out. */
  private async watch(app: App, opts: AppStartOptions, ports: PipelinePorts): Promise<void> {
    const timeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const marker = { name: APP_MARKER_VARIABLE, value: app.taskId };
    const inspectable = canInspectProcesses();
    /** Common ports already taken before the app ran: not the app's (when /proc cannot tell). */
    let takenBefore = inspectable ? undefined : await openPorts(COMMON_DEV_PORTS);
    const retryAt = new Map<string, number>();
    const gone = (): boolean => app.info.status !== 'starting' || app.abort.signal.aborted;
    while (!gone()) {
      const now = performance.now();
      const elapsed = app.runStarted === undefined ? 0 : now - app.runStarted;
      if (app.runStarted !== undefined) {
        if (elapsed > timeoutMs) {
          this.end(app, 'timeout');
          return;
        }
        // What was open at the start is not the app's, should it come to guessing by common ports.
        const before = (takenBefore ??= await openPorts(COMMON_DEV_PORTS));
        // The ports its processes listen on (Linux).
        const pids = inspectable ? appProcesses(marker) : [];
        const sockets: ListeningSocket[] | undefined = pids.length ? listeningPorts(pids) : undefined;
        for (const s of sockets ?? []) {
          app.seenPorts.add(s.port);
          if (s.isolated) app.isolatedPorts.add(s.port);
          else if (!app.portFirstSeen.has(s.port)) app.portFirstSeen.set(s.port, now);
        }
        const own = new Set(app.portFirstSeen.keys());

        // 1. What the output said, confirmed by a connect. When its processes hold ports of their
        // own, a line naming another port is about something else (a database, an API it calls).
        for (const hint of app.hints) {
          if (own.size && !own.has(hint.port)) continue;
          const key = `${hint.kind}:${hint.port}`;
          if ((retryAt.get(key) ?? 0) > now) continue;
          const host = await firstConnectable(connectHosts(hint.host), hint.port, 500);
          if (gone()) return;
          if (host !== undefined) {
            const url =
              hint.url ?? ((await answersHttp(host, hint.port, 1500)) ? portUrl(hint.port) : undefined);
            if (gone()) return;
            await this.ready(app, ports, hint.kind, [hint.port], url);
            return;
          }
          retryAt.set(key, now + 100);
        }

        // 2. A port that stayed open a moment without a line naming it.
        if (!sockets && (!inspectable || elapsed > 1000)) {
          // No /proc (macOS, Windows) or it shows nothing (hardened): common dev ports that opened.
          const opened = await openPorts(COMMON_DEV_PORTS.filter((p) => !before.has(p)));
          if (gone()) return;
          for (const p of opened) if (!app.portFirstSeen.has(p)) app.portFirstSeen.set(p, now);
        }
        const settled = [...app.portFirstSeen].some(([, at]) => now - at >= PORT_SETTLE_MS);
        // A port a line names is left to that line (its URL is better), unless it cannot be confirmed.
        const named = app.hints.some(
          (h) => now - (app.portFirstSeen.get(h.port) ?? -Infinity) < NAMED_GRACE_MS,
        );
        if (settled && !named) {
          const candidates = [...app.portFirstSeen.keys()].sort((a, b) => a - b);
          if (await this.readyByPorts(app, ports, candidates)) return;
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, elapsed < 2000 ? 50 : 200);
        app.poke = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Ready by the port alone: the first that accepts a connection, preferring one that answers HTTP. */
  private async readyByPorts(app: App, ports: PipelinePorts, candidates: number[]): Promise<boolean> {
    let reachable: number[] = [];
    for (const port of candidates)
      if ((await firstConnectable(['127.0.0.1', '::1'], port, 500)) !== undefined) reachable.push(port);
    if (app.info.status !== 'starting' || app.abort.signal.aborted) return true;
    if (!reachable.length) return false;
    let http: number | undefined;
    for (const port of reachable) {
      if ((await answersHttp('127.0.0.1', port, 1500)) || (await answersHttp('::1', port, 500))) {
        http = port;
        break;
      }
    }
    if (app.info.status !== 'starting' || app.abort.signal.aborted) return true;
    if (http !== undefined) reachable = [http, ...reachable.filter((p) => p !== http)];
    await this.ready(app, ports, 'port', reachable, http !== undefined ? portUrl(http) : undefined);
    return true;
  }

  private async ready(
    app: App,
    ports: PipelinePorts,
    by: NonNullable<AppInfo['readyBy']>,
    main: number[],
    url: string | undefined,
  ): Promise<void> {
    const all = [...new Set([...main, ...[...app.seenPorts].filter((p) => !app.isolatedPorts.has(p))])];
    app.info = {
      ...app.info,
      status: 'ready',
      readyBy: by,
      readyMs: Math.round(performance.now() - (app.runStarted ?? app.taskStarted)),
      ports: all,
      ...(url ? { url } : {}),
      ...(app.info.logFile ? {} : logFileIn(path.join(ports.logDir, 'apps', app.taskId))),
    };
    for (const p of all) app.seenPorts.add(p);
    await this.finishTask(app, ports, 'ready');
    this.log.info(
      `App ${app.info.appId} is ready${url ? ` at ${url}` : ` on port ${all.join(', ')}`} (${by}).`,
    );
    this.emit(app);
  }
}

// ---------------------------------------------------------------------------------------------

async function record(ports: PipelinePorts, event: AuditEventInput): Promise<void> {
  try {
    await ports.audit.append(event);
  } catch (error) {
    ports.log.error('The audit log could not record an app start event', error);
    throw new NaviError(
      ErrorCodes.AuditUnavailable,
      'NAVI could not write its audit log, so it will not start the app.',
      {
        hint: 'Run "navi audit verify" to check the log, then try again.',
      },
    );
  }
}

/** The log file the runner writes in this app's own log folder (it holds only that one). */
function logFileIn(dir: string): { logFile?: string } {
  try {
    const name = fs.readdirSync(dir).find((n) => n.endsWith('.log'));
    return name ? { logFile: path.join(dir, name) } : {};
  } catch {
    return {};
  }
}

async function openPorts(candidates: readonly number[]): Promise<Set<number>> {
  const open = await Promise.all(
    candidates.map(async (p) =>
      (await firstConnectable(['127.0.0.1', '::1'], p, 300)) !== undefined ? p : 0,
    ),
  );
  return new Set(open.filter((p) => p > 0));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
