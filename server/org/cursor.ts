import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as z from 'zod';
import { MAX_LINE_BYTES } from '../audit/log';
import { writeFileDurably } from '../durableFile';

/**
 * Where the upload of one audit log to one org's control plane stands, and reading the log from
 * there.
 *
 * The cursor is a byte offset into the append-only log (the start of the first line not yet
 * acknowledged), kept in a small JSON file written atomically (temp file, fsync, rename) only after
 * the control plane acknowledged everything before it. A crash before the write re-sends the last
 * batch, which the control plane reports as duplicates: at-least-once sending, exactly-once storage.
 *
 * The cursor also remembers the last acknowledged event (its offset, length and hash). If that
 * line is not there any more (the log was moved aside and a new one started, or it is another
 * file), the cursor starts again at 0: re-sending is harmless, skipping events is not.
 */

export const UploadCursor = z.object({
  version: z.literal(1),
  controlPlaneUrl: z.string(),
  org: z.string(),
  /** The audit log this cursor belongs to. */
  file: z.string(),
  /** Start of the first line not yet acknowledged. */
  offset: z.number().int().nonnegative(),
  /** The last acknowledged event's line (to check the file is still the one the cursor read). */
  check: z.object({ offset: z.number().int(), length: z.number().int(), hash: z.string() }).optional(),
  updatedAt: z.string(),
});
export type UploadCursor = z.infer<typeof UploadCursor>;

/** `<stateDir>/org/upload-<key>.json`, one per (control plane, org, log file). */
export function cursorPath(stateDir: string, controlPlaneUrl: string, org: string, file: string): string {
  const key = createHash('sha256')
    .update(`${controlPlaneUrl}\n${org}\n${path.resolve(file)}`)
    .digest('hex');
  return path.join(stateDir, 'org', `upload-${key.slice(0, 20)}.json`);
}

export async function readCursor(
  cursorFile: string,
  target: { controlPlaneUrl: string; org: string; file: string },
): Promise<UploadCursor> {
  try {
    const parsed = UploadCursor.safeParse(JSON.parse(await fsp.readFile(cursorFile, 'utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // missing or unreadable: start at the beginning (re-sending is harmless)
  }
  return {
    version: 1,
    ...target,
    file: path.resolve(target.file),
    offset: 0,
    updatedAt: new Date(0).toISOString(),
  };
}

/** Writes the cursor durably: a crash leaves the old cursor or the new one, never a torn file. */
export async function writeCursor(cursorFile: string, cursor: UploadCursor): Promise<void> {
  await writeFileDurably(cursorFile, `${JSON.stringify(cursor)}\n`);
}

/** One complete event line read from the log. */
export interface LogEntry {
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Length in bytes without the newline. */
  length: number;
  /** The line exactly as stored (the event's canonical JSON). */
  bytes: Buffer;
  id: string;
  hash: string;
}

export interface ReadBatch {
  entries: LogEntry[];
  /** Where the cursor goes once every entry is acknowledged (past skipped torn lines too). */
  end: number;
  /** The cursor was reset to 0 because its last event is not where it was. */
  reset?: string;
}

export interface BatchLimits {
  maxEvents: number;
  maxBytes: number;
}

/**
 * Reads complete lines after the cursor, up to the limits (at least one event, however large).
 * Lines that are not JSON events (torn writes) are passed over; a last line without its newline
 * is not read (it is being written, or torn and the next append will close it).
 */
export async function readBatch(file: string, cursor: UploadCursor, limits: BatchLimits): Promise<ReadBatch> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, fs.constants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], end: 0 };
    throw error;
  }
  try {
    const size = (await fh.stat()).size;
    let offset = cursor.offset;
    let reset: string | undefined;
    if (offset > size) reset = `the log is shorter (${size} bytes) than the upload cursor (${offset})`;
    else if (cursor.check && !(await lineHasHash(fh, cursor.check)))
      reset = 'the last uploaded event is not where the upload cursor expects it';
    if (reset) offset = 0;

    const entries: LogEntry[] = [];
    let bytes = 0;
    let end = offset;
    let pending: Buffer[] = [];
    let pendingLength = 0;
    let oversized = false;
    let lineStart = offset;
    let position = offset;
    const chunk = Buffer.alloc(256 * 1024);
    outer: while (position < size) {
      const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, size - position), position);
      if (bytesRead === 0) break;
      let from = 0;
      for (let nl = chunk.indexOf(0x0a, from); nl >= 0 && nl < bytesRead; nl = chunk.indexOf(0x0a, from)) {
        const piece = chunk.subarray(from, nl);
        const lineEnd = position + nl; // offset of the newline
        let line: Buffer | undefined;
        if (!oversized && pendingLength + piece.length <= MAX_LINE_BYTES)
          line = pendingLength ? Buffer.concat([...pending, piece]) : Buffer.from(piece);
        pending = [];
        pendingLength = 0;
        oversized = false;
        const event = line ? eventOf(line) : undefined;
        if (event) {
          if (
            entries.length >= limits.maxEvents ||
            (entries.length > 0 && bytes + line!.length > limits.maxBytes)
          )
            break outer;
          entries.push({ offset: lineStart, length: line!.length, bytes: line!, ...event });
          bytes += line!.length + 1;
        }
        // A torn or oversized line is passed over: the chain links past it (docs/audit.md).
        end = lineEnd + 1;
        lineStart = lineEnd + 1;
        from = nl + 1;
      }
      if (from < bytesRead) {
        const rest = chunk.subarray(from, bytesRead);
        if (!oversized && pendingLength + rest.length <= MAX_LINE_BYTES) {
          pending.push(Buffer.from(rest));
          pendingLength += rest.length;
        } else {
          oversized = true;
          pending = [];
          pendingLength = 0;
        }
      }
      position += bytesRead;
    }
    return { entries, end, ...(reset ? { reset } : {}) };
  } finally {
    await fh.close();
  }
}

/** Complete events after `offset` (for the status; reads the rest of the file once). */
export async function countPending(file: string, cursor: UploadCursor): Promise<number> {
  let total = 0;
  let at = cursor;
  for (;;) {
    const batch = await readBatch(file, at, { maxEvents: 10_000, maxBytes: 64 * 1024 * 1024 });
    total += batch.entries.length;
    if (batch.entries.length === 0 || batch.end <= at.offset) return total;
    at = { ...at, offset: batch.end, check: undefined };
  }
}

function eventOf(line: Buffer): { id: string; hash: string } | undefined {
  if (line.length === 0 || line[0] !== 0x7b /* { */) return undefined;
  try {
    const value = JSON.parse(line.toString('utf8')) as { id?: unknown; hash?: unknown };
    if (typeof value.id === 'string' && typeof value.hash === 'string')
      return { id: value.id, hash: value.hash };
  } catch {
    // torn
  }
  return undefined;
}

async function lineHasHash(fh: fsp.FileHandle, check: NonNullable<UploadCursor['check']>): Promise<boolean> {
  if (check.offset < 0 || check.length <= 0 || check.length > MAX_LINE_BYTES) return false;
  const buf = Buffer.alloc(check.length + 1);
  const { bytesRead } = await fh.read(buf, 0, buf.length, check.offset);
  if (bytesRead !== buf.length || buf[check.length] !== 0x0a) return false;
  return eventOf(buf.subarray(0, check.length))?.hash === check.hash;
}
