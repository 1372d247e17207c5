import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../taskContext';
import {
  countPending,
  cursorPath,
  readBatch,
  readCursor,
  writeCursor,
  type BatchLimits,
  type LogEntry,
  type UploadCursor,
} from './cursor';
import { describeError, type OrgSession } from './session';

/**
 * Uploads the local audit log to the org's control plane (`POST /api/audit/events`,
 * docs/control-plane.md), in order, in batches, from a persisted cursor (./cursor.ts).
 *
 * - The cursor advances only after the control plane answered 200 for every event before it, so
 *   nothing is lost when offline, when the control plane restarts, or when the agent is killed
 *   mid-upload; a re-sent event is reported as a duplicate and never stored twice.
 * - Transient failures (network, 5xx, 429, anything unexpected) are retried with exponential
 *   back-off and jitter; the events wait in the local log meanwhile.
 * - 401: ask the client for a fresh token once and retry; still refused: pause until a new
 *   session arrives.
 * - 409 (an id or session position stored with other content), 400 naming one event: that event
 *   is skipped, logged as an error and recorded in `<cursor>.skipped.ndjson`; the rest is sent.
 * - 413 or a 400 that names no event: the batch is split in halves (and later batches are kept
 *   smaller); one event that is still refused is skipped with a record.
 */

export interface UploaderOptions {
  /** The audit log file (read only; it may not exist yet). */
  file: () => string;
  /** Folder for the cursor and the skipped-events record (`<stateDir>`). */
  stateDir: () => string;
  session: () => OrgSession | undefined;
  /** A token for the current session; `rejected` asks the client for a fresh one. */
  token: (reason?: 'rejected') => Promise<string | undefined>;
  log: Logger;
  fetch?: typeof fetch;
  /** Most events per batch (default 500; the control plane takes up to 1000). */
  maxBatchEvents?: number;
  /** Most bytes per batch body (default 4 MiB; the control plane takes up to 16 MiB). */
  maxBatchBytes?: number;
  backoff?: Partial<BackoffOptions>;
  /** How often the log is looked at without a nudge (other processes append too). Default 30 s. */
  pollMs?: number;
  /** Timeout of one HTTP request. Default 30 s. */
  requestTimeoutMs?: number;
  random?: () => number;
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (1, 2, …): exponential, capped, with "equal jitter" (half
 * fixed, half random) so that many agents retrying after an outage spread out but none retries
 * at once.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export interface UploadStats {
  inserted: number;
  duplicates: number;
  skipped: number;
  lastUploadAt?: string;
  lastError?: string;
}

/** Why an upload pass stopped without reaching the end of the log. */
export class UploadError extends Error {
  constructor(
    message: string,
    readonly kind: 'transient' | 'unauthorized' | 'no-session',
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

interface Target {
  session: OrgSession;
  file: string;
  cursorFile: string;
}

const DEFAULTS = {
  maxBatchEvents: 500,
  maxBatchBytes: 4 * 1024 * 1024,
  pollMs: 30_000,
  requestTimeoutMs: 30_000,
};

export class AuditUploader {
  readonly stats: UploadStats = { inserted: 0, duplicates: 0, skipped: 0 };
  private readonly limits: BatchLimits;
  private readonly backoff: BackoffOptions;
  private readonly fetch: typeof fetch;
  private readonly random: () => number;
  /** One pass at a time. */
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  /** Set after a refused token: wait for a new session instead of retrying. */
  private paused = false;
  private stopped = false;

  constructor(private readonly options: UploaderOptions) {
    this.limits = {
      maxEvents: options.maxBatchEvents ?? DEFAULTS.maxBatchEvents,
      maxBytes: options.maxBatchBytes ?? DEFAULTS.maxBatchBytes,
    };
    this.backoff = { baseMs: 1000, maxMs: 5 * 60_000, ...options.backoff };
    this.fetch = options.fetch ?? fetch;
    this.random = options.random ?? Math.random;
  }

  /** A new session (or sign-out): forget the back-off and try at once. */
  sessionChanged(): void {
    this.paused = false;
    this.failures = 0;
    this.schedule(0);
  }

  /** Something was appended: upload soon (a short delay gathers the events of one command). */
  nudge(): void {
    if (this.failures === 0 && !this.paused) this.schedule(100);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * Uploads until the cursor reaches `through` (a byte offset; default: the end of the log now),
   * ignoring the back-off, retrying transient failures quickly until `timeoutMs`. Rejects with the
   * reason when it cannot get there in time.
   */
  async flush(options: { through?: number; timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    const deadline = Date.now() + options.timeoutMs;
    const target = this.target();
    if (!target) throw new UploadError('not signed in to an org', 'no-session');
    const through = options.through ?? (await fileSize(target.file));
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted();
      try {
        await this.pass();
        const cursor = await readCursor(target.cursorFile, this.cursorKey(target));
        if (cursor.offset >= through || (await this.caughtUp(target, cursor, through))) return;
      } catch (error) {
        if (error instanceof UploadError && error.kind !== 'transient') throw error;
        const wait = Math.min(2_000, 100 * 2 ** attempt);
        if (Date.now() + wait > deadline) throw error instanceof Error ? error : new Error(String(error));
        await sleep(wait, options.signal);
      }
      if (Date.now() > deadline) throw new UploadError('the upload did not finish in time', 'transient');
    }
  }

  /** Pending events and where the upload goes, for `navi/auditUpload`. */
  async pending(): Promise<number> {
    const target = this.target();
    if (!target) return 0;
    return countPending(target.file, await readCursor(target.cursorFile, this.cursorKey(target)));
  }

  /** Runs one pass now (or joins the running one): uploads everything up to the end of the log. */
  pass(): Promise<void> {
    if (this.running) return this.running.then(() => this.pass());
    this.running = this.upload().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.options.session() || this.paused) return;
      this.pass().then(
        () => {
          this.failures = 0;
          this.schedule(this.options.pollMs ?? DEFAULTS.pollMs);
        },
        (error: unknown) => {
          if (error instanceof UploadError && error.kind === 'no-session') return;
          if (error instanceof UploadError && error.kind === 'unauthorized') {
            this.paused = true;
            return;
          }
          this.failures++;
          const delay = backoffDelay(this.failures, this.backoff, this.random);
          this.options.log.warn(
            `Audit upload failed (${error instanceof Error ? error.message : String(error)}); retrying in ${Math.round(delay / 1000)} s. The events stay in the local log.`,
          );
          this.schedule(delay);
        },
      );
    }, ms);
    this.timer.unref?.();
  }

  private target(): Target | undefined {
    const session = this.options.session();
    if (!session) return undefined;
    const file = this.options.file();
    return {
      session,
      file,
      cursorFile: cursorPath(this.options.stateDir(), session.controlPlaneUrl, session.org, file),
    };
  }

  private cursorKey(t: Target) {
    return { controlPlaneUrl: t.session.controlPlaneUrl, org: t.session.org, file: t.file };
  }

  private async caughtUp(target: Target, cursor: UploadCursor, through: number): Promise<boolean> {
    // Past `through` only torn bytes or nothing: what was asked for is acknowledged.
    const batch = await readBatch(target.file, cursor, { maxEvents: 1, maxBytes: 1 });
    return batch.entries.length === 0 || batch.entries[0]!.offset >= through;
  }

  private async upload(): Promise<void> {
    const target = this.target();
    if (!target) throw new UploadError('not signed in to an org', 'no-session');
    let cursor = await readCursor(target.cursorFile, this.cursorKey(target));
    try {
      for (;;) {
        const batch = await readBatch(target.file, cursor, this.limits);
        if (batch.reset) {
          this.options.log.warn(`Audit upload: ${batch.reset}; uploading the log from its start.`);
          cursor = { ...cursor, offset: 0, check: undefined };
        }
        if (batch.entries.length === 0 && batch.end <= cursor.offset) {
          this.stats.lastError = undefined;
          return;
        }
        if (batch.entries.length) await this.send(target, batch.entries);
        const last = batch.entries[batch.entries.length - 1];
        cursor = {
          ...cursor,
          offset: batch.end,
          ...(last ? { check: { offset: last.offset, length: last.length, hash: last.hash } } : {}),
          updatedAt: new Date().toISOString(),
        };
        await writeCursor(target.cursorFile, cursor);
      }
    } catch (error) {
      this.stats.lastError = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }

  /** Sends the entries until each is acknowledged or skipped with a record. */
  private async send(target: Target, entries: LogEntry[]): Promise<void> {
    let rest = entries;
    let refreshed = false;
    let token = await this.options.token();
    while (rest.length) {
      if (!token) throw new UploadError('no access token for the control plane', 'unauthorized');
      const reply = await this.post(target, rest, token);
      if (reply.status === 200) {
        const body = reply.body as {
          inserted?: string[];
          duplicates?: string[];
          chain?: { breaks?: unknown[] };
        };
        const acked = new Set([...(body.inserted ?? []), ...(body.duplicates ?? [])]);
        const missing = rest.filter((e) => !acked.has(e.id));
        if (missing.length)
          throw new UploadError(
            `the control plane did not acknowledge ${missing.length} events`,
            'transient',
          );
        this.stats.inserted += body.inserted?.length ?? 0;
        this.stats.duplicates += body.duplicates?.length ?? 0;
        this.stats.lastUploadAt = new Date().toISOString();
        if (body.chain?.breaks?.length)
          this.options.log.warn(
            `Audit upload: the control plane reports ${body.chain.breaks.length} hash-chain breaks (kept as evidence).`,
          );
        return;
      }
      if (reply.status === 401) {
        if (refreshed)
          throw new UploadError('the control plane refused the access token (401)', 'unauthorized');
        refreshed = true;
        token = await this.options.token('rejected');
        if (!token) throw new UploadError('the control plane refused the access token (401)', 'unauthorized');
        continue;
      }
      if (reply.status === 403)
        throw new UploadError(
          `the control plane refused the upload (403 ${errorText(reply.body)})`,
          'unauthorized',
        );
      if (reply.status === 409) {
        const conflicts = ((
          reply.body as { conflicts?: { id: string; reason?: string; existingId?: string }[] }
        )?.conflicts ?? []) as { id: string; reason?: string; existingId?: string }[];
        const ids = new Set(conflicts.map((c) => c.id));
        const bad = rest.filter((e) => ids.has(e.id));
        if (!bad.length) throw new UploadError('409 without a conflicting event', 'transient');
        for (const e of bad) {
          const c = conflicts.find((x) => x.id === e.id);
          this.options.log.error(
            `AUDIT CONFLICT: the control plane already holds ${c?.reason === 'seq' ? `another event (${c.existingId}) at the session position of` : 'different content for'} event ${e.id}. It was NOT uploaded; this log and the control plane disagree (tampering, or a restored log). Recorded in the upload record.`,
          );
          await this.skip(target, e, 409, reply.body);
        }
        rest = rest.filter((e) => !ids.has(e.id));
        continue;
      }
      if (reply.status === 400 || reply.status === 413) {
        const named = (reply.body as { id?: string } | undefined)?.id;
        const index = (reply.body as { index?: number } | undefined)?.index;
        const one =
          reply.status === 400
            ? (rest.find((e) => e.id === named) ?? (index !== undefined ? rest[index] : undefined))
            : undefined;
        if (one) {
          this.options.log.error(
            `Audit upload: the control plane refused event ${one.id} (${errorText(reply.body)}); skipped and recorded.`,
          );
          await this.skip(target, one, reply.status, reply.body);
          rest = rest.filter((e) => e !== one);
          continue;
        }
        if (rest.length > 1) {
          const half = Math.ceil(rest.length / 2);
          if (reply.status === 413) {
            this.limits.maxEvents = Math.max(1, Math.min(this.limits.maxEvents, half));
            this.limits.maxBytes = Math.max(64 * 1024, Math.floor(this.limits.maxBytes / 2));
          }
          await this.send(target, rest.slice(0, half));
          await this.send(target, rest.slice(half));
          return;
        }
        this.options.log.error(
          `Audit upload: the control plane refused event ${rest[0]!.id} (${reply.status} ${errorText(reply.body)}); skipped and recorded.`,
        );
        await this.skip(target, rest[0]!, reply.status, reply.body);
        return;
      }
      throw new UploadError(
        `the control plane answered ${reply.status} ${errorText(reply.body)}`,
        'transient',
      );
    }
  }

  private async post(
    target: Target,
    entries: LogEntry[],
    token: string,
  ): Promise<{ status: number; body: unknown }> {
    // The lines exactly as stored: what the control plane hashes is what the log hashed.
    const parts: Buffer[] = [Buffer.from('{"events":[')];
    entries.forEach((e, i) => parts.push(i ? Buffer.from(',') : Buffer.alloc(0), e.bytes));
    parts.push(Buffer.from(']}'));
    let res: Response;
    try {
      res = await this.fetch(`${target.session.controlPlaneUrl}/api/audit/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: Buffer.concat(parts),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs),
      });
    } catch (error) {
      throw new UploadError(
        `cannot reach ${target.session.controlPlaneUrl}: ${describeError(error)}`,
        'transient',
      );
    }
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = { message: text.slice(0, 200) };
    }
    return { status: res.status, body };
  }

  private async skip(target: Target, entry: LogEntry, status: number, body: unknown): Promise<void> {
    this.stats.skipped++;
    const record = {
      ts: new Date().toISOString(),
      controlPlaneUrl: target.session.controlPlaneUrl,
      org: target.session.org,
      id: entry.id,
      hash: entry.hash,
      offset: entry.offset,
      status,
      response: body,
    };
    await fsp.mkdir(path.dirname(target.cursorFile), { recursive: true, mode: 0o700 });
    await fsp.appendFile(skippedPath(target.cursorFile), `${JSON.stringify(record)}\n`, { mode: 0o600 });
  }
}

/** The record of events the control plane refused: `<cursor>.skipped.ndjson`. */
export function skippedPath(cursorFile: string): string {
  return cursorFile.replace(/\.json$/, '.skipped.ndjson');
}

function errorText(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { error?: unknown; message?: unknown };
    return [b.error, b.message].filter((x) => typeof x === 'string').join(': ');
  }
  return '';
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await fsp.stat(file)).size;
  } catch {
    return 0;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
