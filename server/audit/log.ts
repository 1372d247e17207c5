import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import { ZodError } from 'zod';
import { AuditEvent, AuditEventInput, GENESIS_PREV_HASH, Uuid7, type AuditActor } from '../../protocol/audit';
import { NAVI_VERSION } from '../version';
import { canonicalJson, eventHash, isJsonObject } from './canonical';
import { redactSecrets } from './redact';

/**
 * The local audit log: an append-only NDJSON file, one canonical-JSON event per line, each
 * linked to the line before it by `prevHash` (docs/audit.md).
 *
 * Durability: `append` resolves only after the line is written and `fsync`ed, so a caller that
 * awaits it before acting never acts without a record. The locked part (lock, stat, write,
 * unlock) uses synchronous calls: an append costs a few small system calls instead of as many
 * thread-pool round trips; the fsync and waiting for another process's lock yield.
 *
 * Ordering: appends of one `AuditLog` run one at a time (a promise queue), and every append holds
 * `<file>.lock` (created with O_EXCL) while it reads the end of the file, writes and syncs, so two
 * processes (two VS Code windows, the CLI) sharing a log still build one chain.
 *
 * Crashes: a writer killed mid-append can leave a torn line (bytes without a final newline). The
 * log never rewrites or truncates bytes: the next writer starts its line with a newline and links
 * to the last complete event before the torn bytes, and `verifyAuditLog` accepts a line that is
 * not JSON only when the next event links past it, or at the end of the file.
 */

/** Where `navi` keeps its audit log: `$XDG_STATE_HOME/navi/audit.ndjson`, else `~/.local/state/navi/…`. */
export function defaultCliAuditPath(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  // The XDG spec says a relative value is invalid and must be ignored.
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'state');
  return path.join(base, 'navi', 'audit.ndjson');
}

export type AuditLogErrorCode = 'corrupt' | 'busy' | 'failed' | 'closed' | 'session-reused';

/**
 * Why the log cannot record: `corrupt` (its last event does not verify), `busy` (another process
 * held the lock too long), `failed` (an earlier write or fsync failed; open a new log), `closed`,
 * `session-reused` (the session id is the one of the log's last event).
 */
export class AuditLogError extends Error {
  constructor(
    readonly code: AuditLogErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuditLogError';
  }
}

export interface OpenAuditLogOptions {
  /** UUIDv7 of this session (one per agent process or CLI run); a new one by default. */
  sessionId?: string;
  /** The clock, for tests. */
  now?: () => Date;
  /** Who starts the session (actor of `session.started`); default `{ kind: 'user', id: <OS user> }`. */
  actor?: AuditActor;
  /** Which front end runs this session, recorded in `session.started`. */
  client?: 'extension' | 'cli';
  /** Workspace folder of the session, recorded in `session.started`. */
  workspace?: string;
  /** How long an append waits for another process's lock, in ms (default 10 000). */
  lockTimeoutMs?: number;
}

export interface AuditLog {
  /** Absolute path of the log file. */
  readonly file: string;
  /** UUIDv7 of this session. */
  readonly sessionId: string;
  /**
   * Redacts secrets in `event.data` and `event.workspace`, validates it, gives it id, seq, ts,
   * prevHash and hash, writes it as one line and fsyncs. Resolves with the event as stored.
   * Rejects with a ZodError (nothing written) for an invalid event, with an AuditLogError when the
   * log cannot record; after a failed write every later append rejects (open a new log).
   */
  append(event: AuditEventInput): Promise<AuditEvent>;
  /**
   * Appends several events as one write and one fsync, in order (each linked to the one before):
   * for events that are recorded together, before the same action. All or nothing is validated
   * first; an invalid one rejects them all with nothing written.
   */
  appendAll(events: readonly AuditEventInput[]): Promise<AuditEvent[]>;
  /** Waits for queued appends, then closes the file. Later appends reject. */
  close(): Promise<void>;
}

/**
 * Opens (creating file 0600 and directory 0700 if needed) the log and writes this session's
 * `session.started`, linked to the last complete event already in the file.
 */
export async function openAuditLog(file: string, opts: OpenAuditLogOptions = {}): Promise<AuditLog> {
  const sessionId = opts.sessionId ?? uuidv7();
  if (!Uuid7.safeParse(sessionId).success) throw new TypeError(`sessionId must be a UUIDv7: ${sessionId}`);
  const abs = path.resolve(file);
  await fsp.mkdir(path.dirname(abs), { recursive: true, mode: 0o700 });
  const fh = await fsp.open(abs, OPEN_FLAGS, 0o600);
  try {
    if (process.platform !== 'win32' && ((await fh.stat()).mode & 0o077) !== 0) await fh.chmod(0o600);
    await syncDirectory(path.dirname(abs));
    const log = new FileAuditLog(abs, fh, sessionId, opts);
    await log.start({
      actor: opts.actor ?? { kind: 'user', id: osUser() },
      workspace: opts.workspace,
      data: {
        agentVersion: NAVI_VERSION,
        pid: process.pid,
        platform: process.platform,
        arch: process.arch,
        nodeVersion: process.version,
        ...(opts.client ? { client: opts.client } : {}),
      },
    });
    return log;
  } catch (error) {
    await fh.close().catch(() => undefined);
    throw error;
  }
}

// O_APPEND: every write lands at the end of the file whatever other writers did. O_NOFOLLOW (where
// the platform has it): the log is never written through a symlink planted in its place.
const OPEN_FLAGS =
  fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND | (fs.constants.O_NOFOLLOW ?? 0);

/** What the writer knows about the end of the file. */
interface Tail {
  size: number;
  /** False after a torn write: the next line must start with a newline. */
  endsWithNewline: boolean;
  /** The last complete event (absent: the chain starts at the genesis hash). */
  last?: { hash: string; sessionId: string };
}

class FileAuditLog implements AuditLog {
  private readonly lockPath: string;
  private readonly now: () => Date;
  private readonly lockTimeoutMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private tail: Tail | undefined;
  private nextSeq = 0;
  private lastTs = '';
  private failure: unknown;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    readonly file: string,
    private readonly fh: fsp.FileHandle,
    readonly sessionId: string,
    opts: OpenAuditLogOptions,
  ) {
    this.lockPath = `${file}.lock`;
    this.now = opts.now ?? (() => new Date());
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 10_000;
  }

  start(input: { actor: AuditActor; workspace: string | undefined; data: Record<string, unknown> }) {
    const event = { type: 'session.started', actor: input.actor, ...redactedFields(input) };
    return this.enqueue(async () => (await this.write([event], true))[0]!);
  }

  async append(event: AuditEventInput): Promise<AuditEvent> {
    return (await this.appendAll([event]))[0]!;
  }

  appendAll(events: readonly AuditEventInput[]): Promise<AuditEvent[]> {
    if (this.closed) return Promise.reject(new AuditLogError('closed', `audit log ${this.file} is closed`));
    // Redact first (what is hashed and stored is the redacted text), then validate: an invalid
    // event is refused before it takes a place in the queue.
    const inputs: Record<string, unknown>[] = [];
    for (const event of events) {
      const parsed = AuditEventInput.safeParse({ ...event, ...redactedFields(event) });
      if (!parsed.success) return Promise.reject(parsed.error);
      inputs.push(parsed.data);
    }
    return this.enqueue(() => this.write(inputs, false));
  }

  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.queue.then(() => this.fh.close());
    return this.closing;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(inputs: readonly Record<string, unknown>[], isStart: boolean): Promise<AuditEvent[]> {
    if (this.failure !== undefined) {
      throw new AuditLogError('failed', `audit log ${this.file}: an earlier append failed; open it again`, {
        cause: this.failure,
      });
    }
    const token = await acquireLock(this.lockPath, this.lockTimeoutMs).catch((error: unknown) => {
      if (error instanceof AuditLogError) throw error;
      throw new AuditLogError('failed', `cannot lock audit log ${this.file}: ${String(error)}`, {
        cause: error,
      });
    });
    try {
      return await this.writeLocked(inputs, isStart);
    } catch (error) {
      if (error instanceof AuditLogError || error instanceof ZodError) throw error;
      // An I/O error: the line may or may not be on disk, so this session can no longer know
      // its seq and prevHash. Fail closed; a new session re-reads the end of the file.
      this.failure = error;
      throw new AuditLogError('failed', `audit log ${this.file}: ${String(error)}`, { cause: error });
    } finally {
      releaseLock(this.lockPath, token);
    }
  }

  private async writeLocked(
    inputs: readonly Record<string, unknown>[],
    isStart: boolean,
  ): Promise<AuditEvent[]> {
    const size = fs.fstatSync(this.fh.fd).size;
    // Another process (or a torn write) changed the end of the file: read it again.
    if (this.tail?.size !== size) this.tail = await readTail(this.fh, size, this.file);
    const tail = this.tail;
    if (isStart && tail.last?.sessionId === this.sessionId) {
      throw new AuditLogError('session-reused', `session ${this.sessionId} already wrote to ${this.file}`);
    }
    const now = this.now().toISOString();
    // A clock stepped back (NTP) must not make the session's timestamps run backwards.
    const ts = now < this.lastTs ? this.lastTs : now;
    const stored: AuditEvent[] = [];
    let prevHash = tail.last?.hash ?? GENESIS_PREV_HASH;
    let text = tail.endsWithNewline ? '' : '\n';
    for (const input of inputs) {
      const unsigned: Record<string, unknown> = {
        id: uuidv7(),
        sessionId: this.sessionId,
        seq: this.nextSeq + stored.length,
        ts,
        ...input,
        prevHash,
      };
      const event = { ...unsigned, hash: eventHash(unsigned) } as AuditEvent;
      // Validated, but what is written is exactly the object that was hashed (never a parse output).
      AuditEvent.parse(event);
      text += `${canonicalJson(event)}\n`;
      stored.push(event);
      prevHash = event.hash;
    }
    const bytes = Buffer.from(text, 'utf8');
    writeAll(this.fh.fd, bytes);
    // The fsync goes to the thread pool: the caller can prepare its action meanwhile (the
    // pipeline sets up the sandbox), it just must not act before this resolves.
    await this.fh.sync();
    this.tail = {
      size: size + bytes.length,
      endsWithNewline: true,
      last: { hash: prevHash, sessionId: this.sessionId },
    };
    this.nextSeq += stored.length;
    this.lastTs = ts;
    return stored;
  }
}

/** `data` and `workspace` with every string passed through redactSecrets; other fields as given. */
function redactedFields(event: { workspace?: unknown; data?: unknown }): {
  workspace?: unknown;
  data: unknown;
} {
  const deep = (value: unknown): unknown => {
    if (typeof value === 'string') return redactSecrets(value);
    if (Array.isArray(value)) return value.map(deep);
    if (isJsonObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deep(v)]));
    return value;
  };
  return {
    data: deep(event.data),
    ...(event.workspace === undefined ? {} : { workspace: deep(event.workspace) }),
  };
}

function writeAll(fd: number, bytes: Buffer): void {
  for (let offset = 0; offset < bytes.length;)
    offset += fs.writeSync(fd, bytes, offset, bytes.length - offset, null);
}

/** The directory entry of a new file is durable only once its directory is synced (POSIX). */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fsp.open(dir, 'r').catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}

function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the uid still identifies the account.
    return `uid:${process.getuid?.() ?? 'unknown'}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the end of the file

const FIRST_TAIL_WINDOW = 64 * 1024;
/** Longest line the reader accepts; events are far smaller (the command is at most 1 Mi characters). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * Finds the last complete event: reads a window at the end of the file, walks its lines from the
 * last, skips lines that are not JSON (torn writes), and checks the hash of the first JSON line.
 */
async function readTail(fh: fsp.FileHandle, size: number, file: string): Promise<Tail> {
  if (size === 0) return { size, endsWithNewline: true };
  for (let window = FIRST_TAIL_WINDOW; ; window *= 2) {
    const start = Math.max(0, size - window);
    const buf = Buffer.alloc(size - start);
    for (let read = 0; read < buf.length;) {
      const { bytesRead } = await fh.read(buf, read, buf.length - read, start + read);
      if (bytesRead === 0) throw new Error(`audit log ${file} shrank while it was read`);
      read += bytesRead;
    }
    const endsWithNewline = buf[buf.length - 1] === 0x0a;
    const lines = splitLines(endsWithNewline ? buf.subarray(0, -1) : buf);
    // The first piece of a window that does not start the file may be the end of a longer line.
    if (start > 0) lines.shift();
    for (let i = lines.length - 1; i >= 0; i--) {
      let value: unknown;
      try {
        value = JSON.parse(lines[i]!.toString('utf8'));
      } catch {
        continue; // a torn write: the chain skips it
      }
      if (
        !isJsonObject(value) ||
        typeof value.hash !== 'string' ||
        typeof value.sessionId !== 'string' ||
        eventHash(value) !== value.hash
      ) {
        throw new AuditLogError(
          'corrupt',
          `audit log ${file}: its last event does not verify, so nothing can be chained to it. ` +
            `Run "navi audit verify --audit-log ${file}" to see where it breaks; move the file aside ` +
            '(keep it as evidence) to start a new log.',
        );
      }
      return { size, endsWithNewline, last: { hash: value.hash, sessionId: value.sessionId } };
    }
    if (start === 0) return { size, endsWithNewline };
    if (window >= MAX_LINE_BYTES * 2) {
      throw new AuditLogError('corrupt', `audit log ${file}: no complete event in its last ${window} bytes`);
    }
  }
}

function splitLines(buf: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let from = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, from)) {
    lines.push(buf.subarray(from, nl));
    from = nl + 1;
  }
  lines.push(buf.subarray(from));
  return lines;
}

/** One line of the file as `readAuditLines` yields it. */
export interface RawAuditLine {
  /** 1-based line number. */
  line: number;
  /** The bytes without the newline (empty when `oversized`). */
  bytes: Buffer;
  /** False for a last line without a final newline. */
  terminated: boolean;
  /** Longer than MAX_LINE_BYTES: not an event; its bytes were not kept. */
  oversized: boolean;
}

/** Streams the lines of a log file with bounded memory (for verify and export). */
export async function* readAuditLines(file: string): AsyncGenerator<RawAuditLine> {
  const stream = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  let parts: Buffer[] = [];
  let length = 0;
  let oversized = false;
  let line = 0;
  const add = (piece: Buffer) => {
    if (oversized || piece.length === 0) return;
    if (length + piece.length > MAX_LINE_BYTES) {
      oversized = true;
      parts = [];
      return;
    }
    parts.push(piece);
    length += piece.length;
  };
  const take = (terminated: boolean): RawAuditLine => {
    const result = { line: ++line, bytes: Buffer.concat(parts), terminated, oversized };
    parts = [];
    length = 0;
    oversized = false;
    return result;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      add(chunk.subarray(from, nl));
      yield take(true);
      from = nl + 1;
    }
    add(chunk.subarray(from));
  }
  if (length > 0 || oversized) yield take(false);
}

// ---------------------------------------------------------------------------------------------
// The cross-process lock

const HOST = os.hostname();
/** A lock older than this is abandoned whoever holds it: no append takes a minute. */
const LOCK_STALE_MS = 60_000;

interface LockHolder {
  pid: number;
  host: string;
  token: string;
}

/** Creates `lockPath` exclusively; waits (bounded backoff) while a live holder has it. */
async function acquireLock(lockPath: string, timeoutMs: number): Promise<string> {
  const token = randomUUID();
  const body = JSON.stringify({ pid: process.pid, host: HOST, token } satisfies LockHolder);
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      // Synchronous on purpose, like the write and fsync under the lock: a few small system
      // calls cost far less than as many round trips through libuv's thread pool (measured:
      // 0.04 ms against 0.34 ms for a lock cycle), and a command waits on every append.
      fs.writeFileSync(lockPath, body, { flag: 'wx', mode: 0o600 });
      return token;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    const seen = await readLock(lockPath);
    if (seen === undefined) continue; // released meanwhile
    if (isStale(seen)) {
      await breakLock(lockPath, seen.text);
      continue;
    }
    if (Date.now() > deadline) {
      throw new AuditLogError(
        'busy',
        `audit log lock ${lockPath} is held by process ${seen.holder?.pid ?? '?'} on ${seen.holder?.host ?? '?'}`,
      );
    }
    await delay(Math.min(1 + attempt, 25));
  }
}

async function readLock(
  lockPath: string,
): Promise<{ text: string; holder: LockHolder | undefined; ageMs: number } | undefined> {
  try {
    const [text, stat] = await Promise.all([fsp.readFile(lockPath, 'utf8'), fsp.stat(lockPath)]);
    let holder: LockHolder | undefined;
    try {
      const value: unknown = JSON.parse(text);
      if (isJsonObject(value) && typeof value.pid === 'number' && typeof value.host === 'string') {
        holder = { pid: value.pid, host: value.host, token: String(value.token) };
      }
    } catch {
      // Created but not written yet (or garbage): judged by age only.
    }
    return { text, holder, ageMs: Date.now() - stat.mtimeMs };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function isStale(seen: { holder: LockHolder | undefined; ageMs: number }): boolean {
  if (seen.ageMs > LOCK_STALE_MS) return true;
  return seen.holder !== undefined && seen.holder.host === HOST && !processAlive(seen.holder.pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/**
 * Removes an abandoned lock. Renaming it aside first means two processes breaking the same lock
 * cannot both succeed; if what was moved aside is not the lock judged stale (its holder released
 * it and another process took it in between), it is linked back (link fails if a third process
 * has created the lock meanwhile, a race this does not close).
 */
async function breakLock(lockPath: string, judged: string): Promise<void> {
  const aside = `${lockPath}.stale-${randomUUID()}`;
  try {
    await fsp.rename(lockPath, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  const moved = await fsp.readFile(aside, 'utf8').catch(() => judged);
  if (moved !== judged) await fsp.link(aside, lockPath).catch(() => undefined);
  await fsp.unlink(aside).catch(() => undefined);
}

function releaseLock(lockPath: string, token: string): void {
  let text = '';
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch {
    return; // broken as stale meanwhile: not ours any more
  }
  if (!text.includes(token)) return;
  try {
    fs.unlinkSync(lockPath);
  } catch {
    // already gone
  }
}

function errorCode(error: unknown): string | undefined {
  return isJsonObject(error) && typeof error.code === 'string' ? error.code : undefined;
}
