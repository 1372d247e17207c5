import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { FixId, FixerRef } from '../../../protocol/fix';
import { Uuid7 } from '../../../protocol/audit';
import { writeFileDurably } from '../../durableFile';

/**
 * What `navi rollback` needs to know about past fix tasks: per workspace, each task's fixes, their
 * files and whether they are still in place. Kept in the state folder
 * (`<stateDir>/fixes/<workspace hash>/<taskId>.json`), never in the workspace.
 */

export const FixTaskRecord = z
  .object({
    version: z.literal(1),
    taskId: Uuid7,
    root: z.string().min(1).max(4096),
    createdAt: z.string().max(40),
    fixes: z.array(
      z
        .object({
          id: FixId,
          fixer: FixerRef,
          files: z.array(z.string().max(4096)),
          status: z.enum(['kept', 'rolled-back']),
          receiptId: Uuid7.optional(),
        })
        .strict(),
    ),
  })
  .strict();
export type FixTaskRecord = z.infer<typeof FixTaskRecord>;

function dirOf(stateDir: string, root: string): string {
  const id = createHash('sha256').update(root).digest('hex').slice(0, 24);
  return path.join(stateDir, 'fixes', id);
}

export async function saveFixTask(stateDir: string, record: FixTaskRecord): Promise<void> {
  const dir = dirOf(stateDir, record.root);
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileDurably(path.join(dir, `${record.taskId}.json`), `${JSON.stringify(record, null, 2)}\n`);
}

/** The workspace's fix tasks, newest first (task ids are UUIDv7: they sort by time). Damaged files are skipped. */
export function listFixTasks(stateDir: string, root: string): FixTaskRecord[] {
  const dir = dirOf(stateDir, root);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: FixTaskRecord[] = [];
  for (const n of names
    .filter((x) => x.endsWith('.json'))
    .sort()
    .reverse()) {
    try {
      const parsed = FixTaskRecord.safeParse(JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')));
      if (parsed.success && parsed.data.root === root) out.push(parsed.data);
    } catch {
      // a damaged record names nothing to roll back
    }
  }
  return out;
}
