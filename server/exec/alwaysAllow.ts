import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import type { AlwaysAllowEntryInfo } from '../../protocol/approvals';
import { shellQuote } from '../../protocol/display';
import { ErrorCodes, NaviError } from '../../protocol/errors';
import type {
  AlwaysAllowListParams,
  AlwaysAllowListResult,
  AlwaysAllowRevokeParams,
  AlwaysAllowRevokeResult,
} from '../../protocol/requests';
import type { AuditLog } from '../audit/log';

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
  /** How people know the command (a task's `npm test → node --test`), for display only. */
  label: z.string().max(1000).optional(),
});
type StoredEntry = z.infer<typeof Entry>;
/** An entry with its id: a digest of workspace, argv and creation time, so the file needs no ids. */
export type AlwaysAllowEntry = StoredEntry & { id: string };
const File = z.object({ version: z.literal(1), entries: z.array(Entry) });

export const ALWAYS_ALLOW_DAYS = 30;

export interface AlwaysAllowStoreOptions {
  /** Called after the file changed: an entry was added (`added`) or revoked (`revoked`). */
  onChange?: (workspace: string, change: 'added' | 'revoked') => void;
}

export class AlwaysAllowStore {
  constructor(
    readonly file: string,
    private readonly options: AlwaysAllowStoreOptions = {},
  ) {}

  /** Live entries for a workspace, oldest first; expired or malformed entries are dropped. */
  list(workspace: string, now = Date.now()): AlwaysAllowEntry[] {
    return this.read().filter((e) => e.workspace === workspace && e.expiresAt > now);
  }

  /**
   * Removes the live entries of `workspace` with these ids (all of them for `'all'`) and returns
   * the ones removed; an id that is not a live entry of the workspace is left out of the result.
   * `beforeRemove` runs first with what will go (the audit record); if it throws, nothing is removed.
   */
  async revoke(
    workspace: string,
    which: readonly string[] | 'all',
    beforeRemove: (entries: AlwaysAllowEntry[]) => Promise<void> = async () => {},
    now = Date.now(),
  ): Promise<AlwaysAllowEntry[]> {
    const wanted = which === 'all' ? undefined : new Set(which);
    const goes = (e: AlwaysAllowEntry) =>
      e.workspace === workspace && e.expiresAt > now && (wanted === undefined || wanted.has(e.id));
    const revoked = this.read().filter(goes);
    if (revoked.length === 0) return [];
    await beforeRemove(revoked);
    // Read again: an entry added meanwhile (another window's agent) stays.
    const gone = new Set(revoked.map((e) => e.id));
    this.write(this.read().filter((e) => e.expiresAt > now && !gone.has(e.id)));
    this.options.onChange?.(workspace, 'revoked');
    return revoked;
  }

  /**
   * Adds an entry. Refuses a bare program name: `argv` must have at least the program and one
   * argument, so "always allow" can never mean "allow everything `git` does".
   */
  add(entry: Omit<StoredEntry, 'createdAt' | 'expiresAt'>, now = Date.now()): AlwaysAllowEntry {
    if (entry.argv.length < 2)
      throw new Error('"Always allow" needs a full command, not a bare program name.');
    const created = withId({
      workspace: entry.workspace,
      argv: entry.argv,
      by: entry.by,
      ...(entry.label ? { label: entry.label.slice(0, 1000) } : {}),
      createdAt: now,
      expiresAt: now + ALWAYS_ALLOW_DAYS * 86_400_000,
    });
    const kept = this.read().filter(
      (e) => e.expiresAt > now && !(e.workspace === entry.workspace && same(e.argv, entry.argv)),
    );
    this.write([...kept, created]);
    this.options.onChange?.(entry.workspace, 'added');
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
      return File.parse(JSON.parse(text)).entries.map(withId);
    } catch {
      return []; // a damaged file loosens nothing: it is as if there were no entries
    }
  }

  private write(entries: AlwaysAllowEntry[]): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    // The id is derived, not stored: the file keeps the format older versions wrote.
    const stored = entries.map(({ id: _id, ...e }) => e);
    fs.writeFileSync(tmp, `${JSON.stringify({ version: 1, entries: stored }, null, 2)}\n`, {
      mode: 0o600,
    });
    fs.renameSync(tmp, this.file); // atomic: a crash leaves the old file or the new one
  }
}

function withId(e: StoredEntry): AlwaysAllowEntry {
  const id = createHash('sha256')
    .update(JSON.stringify([e.workspace, e.argv, e.createdAt]))
    .digest('hex')
    .slice(0, 12);
  return { ...e, id };
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** An entry as the protocol carries it (ISO dates, the argv as one quoted text). */
export function entryInfo(e: AlwaysAllowEntry): AlwaysAllowEntryInfo {
  return {
    id: e.id,
    workspaceRoot: e.workspace,
    argv: e.argv,
    command: e.argv.map(shellQuote).join(' '),
    ...(e.label ? { label: e.label } : {}),
    by: e.by,
    createdAt: new Date(e.createdAt).toISOString(),
    expiresAt: new Date(e.expiresAt).toISOString(),
  };
}

/** `navi/alwaysAllowList`. */
export function listAlwaysAllow(
  params: AlwaysAllowListParams,
  store: AlwaysAllowStore,
): AlwaysAllowListResult {
  return {
    workspaceRoot: params.workspaceRoot,
    entries: store.list(params.workspaceRoot).map(entryInfo),
    file: store.file,
  };
}

/**
 * `navi/alwaysAllowRevoke`: each revocation is recorded (`alwaysAllow.revoked`, one write) before
 * the entries are removed; a log that cannot record removes nothing.
 */
export async function revokeAlwaysAllow(
  params: AlwaysAllowRevokeParams,
  ports: { store: AlwaysAllowStore; audit: Pick<AuditLog, 'appendAll'> },
): Promise<AlwaysAllowRevokeResult> {
  const workspace = params.workspaceRoot;
  const revoked = await ports.store.revoke(
    workspace,
    params.all ? 'all' : (params.ids ?? []),
    async (entries) => {
      try {
        await ports.audit.appendAll(
          entries.map((e) => ({
            type: 'alwaysAllow.revoked' as const,
            actor: { kind: 'user' as const, id: params.by },
            workspace,
            data: {
              entryId: e.id,
              argv: e.argv,
              createdAt: new Date(e.createdAt).toISOString(),
              expiresAt: new Date(e.expiresAt).toISOString(),
            },
          })),
        );
      } catch {
        throw new NaviError(
          ErrorCodes.AuditUnavailable,
          'NAVI could not write its audit log, so it revoked nothing.',
          { hint: 'Run "navi audit verify" to check the log, then try again.' },
        );
      }
    },
  );
  const gone = new Set(revoked.map((e) => e.id));
  return {
    revoked: revoked.map(entryInfo),
    notFound: (params.ids ?? []).filter((id) => !gone.has(id)),
  };
}
