import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Replaces a small state file so that a crash leaves the old content or the new, never a torn
 * one: a private temp file beside it (0600, the folder created 0700), fsync, rename, then an fsync
 * of the folder so the rename itself survives a power loss.
 */
export async function writeFileDurably(file: string, text: string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
  const dir = await fsp.open(path.dirname(file), 'r').catch(() => undefined);
  await dir?.sync().catch(() => undefined);
  await dir?.close();
}
