import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMAND_LOG_NAME } from './runner';

/**
 * How long the full output of commands is kept (`<stateDir>/logs/<time>-<id>.log`). The audit
 * trail keeps each log's size and SHA-256 (`command.executed`), so a log removed later can still
 * be matched against a copy; the log itself is only for reading.
 */
export interface LogRetention {
  /** Logs older than this go (by last write). */
  maxAgeMs: number;
  /** Then the oldest go until the rest fit. */
  maxTotalBytes: number;
}

export const DEFAULT_LOG_RETENTION: LogRetention = {
  maxAgeMs: 30 * 24 * 60 * 60 * 1000,
  maxTotalBytes: 1024 * 1024 * 1024,
};

export interface PruneResult {
  removed: number;
  freedBytes: number;
  kept: number;
  keptBytes: number;
}

/**
 * Removes the command logs that are past the retention, never one in `inUse` (a command still
 * writing it, however long ago it last printed). A missing folder is nothing to do; a file that
 * cannot be removed is left for the next time.
 */
export async function pruneCommandLogs(
  dir: string,
  options: { retention?: LogRetention; inUse?: ReadonlySet<string>; now?: number } = {},
): Promise<PruneResult> {
  const retention = options.retention ?? DEFAULT_LOG_RETENTION;
  const now = options.now ?? Date.now();
  const result: PruneResult = { removed: 0, freedBytes: 0, kept: 0, keptBytes: 0 };
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return result;
  }
  const logs: { file: string; size: number; mtimeMs: number }[] = [];
  for (const name of names) {
    if (!COMMAND_LOG_NAME.test(name)) continue;
    const file = path.join(dir, name);
    try {
      const st = await fs.promises.lstat(file);
      if (st.isFile()) logs.push({ file, size: st.size, mtimeMs: st.mtimeMs });
    } catch {
      // Removed meanwhile.
    }
  }
  // Newest first: what is kept is the most recent output that fits.
  logs.sort((a, b) => b.mtimeMs - a.mtimeMs);
  let total = 0;
  for (const log of logs) {
    const active = options.inUse?.has(log.file) === true;
    const tooOld = now - log.mtimeMs > retention.maxAgeMs;
    if (active || (!tooOld && total + log.size <= retention.maxTotalBytes)) {
      total += log.size;
      result.kept++;
      result.keptBytes += log.size;
      continue;
    }
    try {
      await fs.promises.rm(log.file);
      result.removed++;
      result.freedBytes += log.size;
    } catch {
      result.kept++;
      result.keptBytes += log.size;
    }
  }
  return result;
}
