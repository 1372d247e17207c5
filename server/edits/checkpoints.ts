/**
 * Checkpoints and rollback that never lose the user's work (DESIGN §4).
 *
 * A checkpoint is a commit in NAVI's shadow store (shadowStore.ts) on `refs/navi/checkpoints/<task>`
 * holding the workspace's files as they are — tracked, untracked and ignored alike — except
 * `.git/`, nested repositories and `node_modules/` (reported), files over a size cap (reported)
 * and whatever a time budget did not reach (reported). NAVI records what it writes
 * (`recordWrite`); a rollback restores only those files, and only where a file still holds
 * exactly what NAVI left there. A file the user changed since is kept and reported with both
 * versions. The rollback checkpoints the files it touches first, so it can be undone.
 *
 * Nothing here runs `git clean`, `reset`, `checkout` or `stash`, or any git command with the
 * workspace's own `.git`: files are read and written by Node, git only stores blobs and trees.
 */

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { relInside, resolveReal } from '../exec/paths';
import { snapshotByIndex } from './indexSnapshot';
import { walkSnapshot } from './walk';
import {
  type CheckpointRecord,
  type Meta,
  type Skipped,
  type Store,
  type TreeEntry,
  covers,
  ensureStore,
  entriesAt,
  git,
  gitText,
  readBlob,
  readMeta,
  sha256,
  storeFor,
  withStoreLock,
  writeBlob,
  writeMeta,
} from './shadowStore';

export type { CheckpointRecord, SkipReason, Skipped } from './shadowStore';
export { covers } from './shadowStore';
export { indexWarmedUp } from './indexSnapshot';

export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;
export const DEFAULT_TIME_BUDGET_MS = 1500;

export interface CheckpointOptions {
  workspaceRoot: string;
  stateDir: string;
  taskId: string;
  /** Only these files or folders (workspace-relative or absolute); else the whole workspace. */
  paths?: readonly string[];
  maxFileBytes?: number;
  timeBudgetMs?: number;
}

export interface Checkpoint {
  id: string;
  taskId: string;
  commit: string;
  files: number;
  skipped: Skipped[];
  ms: number;
  /** Real path of the workspace, and the state folder: what `recordWrite` needs. */
  workspaceRoot: string;
  stateDir: string;
}

export interface Conflict {
  path: string;
  kept: 'user';
  /** Blob (in the store) of what NAVI left; null when NAVI had removed the file. */
  navi: string | null;
  /** Blob of the checkpoint's content; null when the file did not exist then. */
  original: string | null;
  /** Blob of the user's version, as the rollback's own checkpoint holds it. */
  user: string | null;
}

export type NotRestoredReason = 'not-checkpointed' | 'symlink' | 'outside-workspace' | 'unreadable' | 'error';

export interface RollbackResult {
  restored: string[];
  deleted: string[];
  conflicts: Conflict[];
  /** Files NAVI wrote that the rollback left alone for another reason. */
  notRestored: { path: string; reason: NotRestoredReason }[];
  /** The checkpoint taken before rolling back; `rollback({checkpointId})` undoes the rollback. */
  undoCheckpoint: string;
  undoTaskId: string;
}

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$/;
const taskRef = (taskId: string) => `refs/navi/checkpoints/${taskId}`;

function checkTaskId(taskId: string): void {
  if (taskId.length > 200 || !TASK_ID.test(taskId) || taskId.endsWith('.lock'))
    throw new Error(`Invalid task id for a checkpoint: ${JSON.stringify(taskId)}`);
}

/** Workspace-relative real path of `p` (relative to the workspace, or absolute); throws outside. */
function toRel(workspace: string, p: string): string {
  const abs = path.isAbsolute(p) ? path.resolve(p) : path.resolve(workspace, p);
  const real = resolveReal(abs);
  const rel = real === null ? null : relInside(workspace, real);
  if (rel === null) throw new Error(`${p} is outside the workspace`);
  if (/(^|\/)\.git(\/|$)/.test(rel)) throw new Error(`${p} is inside a .git folder`);
  return rel;
}

// ------------------------------------------------------------------------------------------
// Snapshots

async function snapshot(
  store: Store,
  meta: Meta,
  opts: CheckpointOptions & { undoOf?: string },
  started: number,
): Promise<Checkpoint> {
  checkTaskId(opts.taskId);
  const deadline = started + (opts.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS);
  const starts = opts.paths ? [...new Set(opts.paths.map((p) => toRel(store.workspace, p)))].sort() : null;
  const scope = starts === null || starts.includes('') ? 'all' : starts;
  await ensureStore(store);
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const { tree, files, skipped } =
    (scope === 'all' ? await snapshotByIndex(store, maxBytes, deadline) : null) ??
    (await walkSnapshot(store, scope === 'all' ? null : scope, maxBytes, deadline));
  const ref = taskRef(opts.taskId);
  const parent = meta.checkpoints.findLast((c) => c.taskId === opts.taskId)?.commit ?? '';
  const id = `${Date.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`;
  const message = `navi checkpoint ${id}\n\ntask: ${opts.taskId}\n`;
  const commit = await gitText(store, [
    'commit-tree',
    tree,
    ...(parent ? ['-p', parent] : []),
    '-m',
    message,
  ]);
  await git(store, ['update-ref', ref, commit]);
  const record: CheckpointRecord = {
    id,
    taskId: opts.taskId,
    commit,
    createdAt: Date.now(),
    scope,
    files,
    skipped,
    ...(opts.undoOf ? { undoOf: opts.undoOf } : {}),
  };
  meta.checkpoints.push(record);
  await writeMeta(store, meta);
  return {
    id,
    taskId: opts.taskId,
    commit,
    files,
    skipped,
    ms: Date.now() - started,
    workspaceRoot: store.workspace,
    stateDir: opts.stateDir,
  };
}

/** Records the current content of the workspace's files (or of `paths`) in the shadow store. */
export async function createCheckpoint(opts: CheckpointOptions): Promise<Checkpoint> {
  const started = Date.now();
  const store = storeFor(opts.stateDir, opts.workspaceRoot);
  return withStoreLock(store, () => snapshot(store, readMeta(store), opts, started));
}

/**
 * Tells the store what NAVI wrote to a file (`null`: NAVI removed it). The first write of a path
 * in a task names the checkpoint that holds its content from before.
 */
export async function recordWrite(
  checkpoint: Checkpoint,
  filePath: string,
  content: string | Buffer | null,
): Promise<void> {
  const store = storeFor(checkpoint.stateDir, checkpoint.workspaceRoot);
  const rel = toRel(store.workspace, filePath);
  if (rel === '') throw new Error('The workspace folder itself is not a file');
  return withStoreLock(store, async () => {
    const meta = readMeta(store);
    if (!meta.checkpoints.some((c) => c.id === checkpoint.id))
      throw new Error(`Unknown checkpoint ${checkpoint.id}`);
    const data = content === null ? null : Buffer.from(content);
    const blob = data === null ? null : await writeBlob(store, data);
    const task = (meta.writes[checkpoint.taskId] ??= {});
    task[rel] = {
      checkpoint: task[rel]?.checkpoint ?? checkpoint.id,
      sha256: data === null ? null : sha256(data),
      blob,
      at: Date.now(),
    };
    await writeMeta(store, meta);
  });
}

/** The checkpoints of this workspace, oldest first. */
export function listCheckpoints(stateDir: string, workspaceRoot: string): CheckpointRecord[] {
  return readMeta(storeFor(stateDir, workspaceRoot)).checkpoints;
}

// ------------------------------------------------------------------------------------------
// Rollback

/** Why NAVI must not write `rel` (a `.git` path, outside by realpath, through a symlink), or null. */
function unsafe(ws: string, rel: string): 'outside-workspace' | 'symlink' | null {
  if (rel === '' || rel.split('/').some((s) => s === '.git' || s === '..' || s === '.' || s === ''))
    return 'outside-workspace';
  const abs = path.join(ws, rel);
  const real = resolveReal(abs);
  if (real === null || relInside(ws, real) === null) return 'outside-workspace';
  return real === abs ? null : 'symlink';
}

/** sha256 of a regular file's content; null when missing; a marker for anything else. */
function currentSha(abs: string): string | null {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return st.isFile() ? sha256(fs.readFileSync(abs)) : `not-a-file:${st.mode & 0o170000}`;
}

/** Replaces `abs` through a temp file and a rename in the same folder, with `mode`. */
async function replaceFile(abs: string, content: Buffer, mode: number): Promise<void> {
  const dir = path.dirname(abs);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.navi-rollback-${crypto.randomBytes(6).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(content);
    await fh.chmod(mode);
    await fh.sync();
    await fh.close();
    await fsp.rename(tmp, abs);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

export interface RollbackOptions {
  workspaceRoot: string;
  stateDir: string;
  /** The task whose writes to roll back; or `checkpointId`, the task of that checkpoint. */
  taskId?: string;
  checkpointId?: string;
}

export async function rollback(opts: RollbackOptions): Promise<RollbackResult> {
  const started = Date.now();
  const store = storeFor(opts.stateDir, opts.workspaceRoot);
  return withStoreLock(store, async () => {
    const meta = readMeta(store);
    const taskId = opts.taskId ?? meta.checkpoints.find((c) => c.id === opts.checkpointId)?.taskId;
    if (!taskId) throw new Error(`Unknown checkpoint ${opts.checkpointId ?? '(none given)'}`);
    const writes = meta.writes[taskId] ?? {};
    const paths = Object.keys(writes).sort();
    const prior = meta.checkpoints.filter((c) => c.undoOf === taskId).length;
    const undoTaskId = `${taskId}.undo${prior + 1}`;
    // The rollback's own checkpoint: the current state of every file it may touch.
    const safePaths = paths.filter((p) => unsafe(store.workspace, p) === null);
    const undo = await snapshot(
      store,
      meta,
      {
        ...opts,
        taskId: undoTaskId,
        paths: safePaths,
        maxFileBytes: Infinity,
        timeBudgetMs: Infinity,
        undoOf: taskId,
      },
      started,
    );
    const undoEntries = await entriesAt(store, undo.commit, safePaths);
    const byId = new Map(meta.checkpoints.map((c) => [c.id, c]));
    const originals = new Map<string, TreeEntry>();
    const byBase = new Map<string, string[]>();
    for (const p of safePaths)
      byBase.set(writes[p]!.checkpoint, [...(byBase.get(writes[p]!.checkpoint) ?? []), p]);
    for (const [id, rels] of byBase) {
      const base = byId.get(id);
      if (base) for (const [rel, e] of await entriesAt(store, base.commit, rels)) originals.set(rel, e);
    }
    const result: RollbackResult = {
      restored: [],
      deleted: [],
      conflicts: [],
      notRestored: [],
      undoCheckpoint: undo.id,
      undoTaskId,
    };
    const undoWrites: Meta['writes'][string] = {};
    for (const rel of paths) {
      const w = writes[rel]!;
      const why =
        unsafe(store.workspace, rel) ?? (undo.skipped.some((k) => k.path === rel) ? 'unreadable' : null);
      if (why) {
        result.notRestored.push({ path: rel, reason: why });
        continue;
      }
      const abs = path.join(store.workspace, rel);
      const original = originals.get(rel);
      const base = byId.get(w.checkpoint);
      try {
        if (currentSha(abs) !== w.sha256) {
          const user = undoEntries.get(rel)?.oid ?? null;
          result.conflicts.push({
            path: rel,
            kept: 'user',
            navi: w.blob,
            original: original?.oid ?? null,
            user,
          });
          continue;
        }
        if (!base || (!original && !covers(base, rel)) || original?.mode === '120000') {
          result.notRestored.push({ path: rel, reason: original ? 'symlink' : 'not-checkpointed' });
          continue;
        }
        if (original) {
          const content = await readBlob(store, original.oid);
          const exists = fs.existsSync(abs);
          const mode = exists ? fs.statSync(abs).mode & 0o7777 : original.mode === '100755' ? 0o755 : 0o644;
          // Just before writing: the file must still hold what NAVI left (the user may be typing).
          if (currentSha(abs) !== w.sha256) throw new Error('changed during the rollback');
          await replaceFile(abs, content, mode);
          result.restored.push(rel);
          undoWrites[rel] = {
            checkpoint: undo.id,
            sha256: sha256(content),
            blob: original.oid,
            at: Date.now(),
          };
        } else {
          if (w.sha256 !== null) await fsp.unlink(abs);
          result.deleted.push(rel);
          undoWrites[rel] = { checkpoint: undo.id, sha256: null, blob: null, at: Date.now() };
        }
        delete writes[rel];
      } catch {
        result.notRestored.push({ path: rel, reason: 'error' });
      }
    }
    if (Object.keys(writes).length === 0) delete meta.writes[taskId];
    if (Object.keys(undoWrites).length > 0) meta.writes[undoTaskId] = undoWrites;
    await writeMeta(store, meta);
    return result;
  });
}
