import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';

/**
 * "Always allow this exact command in this workspace": stored per workspace, for an exact argv
 * (never a bare program name), with an expiry. The policy engine turns an `ask` into `allow` only
 * for a live entry that matches the whole argv, and never overrides a `deny`.
 */
const Entry = z.object({
  workspace: z.string(),
  argv: z.array(z.string()).min(2),
  /** Epoch ms. */
  expiresAt: z.number(),
  createdAt: z.number(),
  /** Who chose "always allow". */
  by: z.string(),
});
export type AlwaysAllowEntry = z.infer<typeof Entry>;
const File = z.object({ version: z.literal(1), entries: z.array(Entry) });

export const ALWAYS_ALLOW_DAYS = 30;

export class AlwaysAllowStore {
  constructor(private readonly file: string) {}

  /** Live entries for a workspace; expired or malformed entries are dropped. */
  list(workspace: string, now = Date.now()): AlwaysAllowEntry[] {
    return this.read().filter((e) => e.workspace === workspace && e.expiresAt > now);
  }

  /**
   * Adds an entry. Refuses a bare program name: `argv` must have at least the program and one
   * argument, so "always allow" can never mean "allow everything `git` does".
   */
  add(entry: Omit<AlwaysAllowEntry, 'createdAt' | 'expiresAt'>, now = Date.now()): AlwaysAllowEntry {
    if (entry.argv.length < 2)
      throw new Error('"Always allow" needs a full command, not a bare program name.');
    const created: AlwaysAllowEntry = {
      ...entry,
      createdAt: now,
      expiresAt: now + ALWAYS_ALLOW_DAYS * 86_400_000,
    };
    const kept = this.read().filter(
      (e) => e.expiresAt > now && !(e.workspace === entry.workspace && same(e.argv, entry.argv)),
    );
    this.write([...kept, created]);
    return created;
  }

  private read(): AlwaysAllowEntry[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    try {
      return File.parse(JSON.parse(text)).entries;
    } catch {
      return []; // a damaged file loosens nothing: it is as if there were no entries
    }
  }

  private write(entries: AlwaysAllowEntry[]): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify({ version: 1, entries }, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, this.file); // atomic: a crash leaves the old file or the new one
  }
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
