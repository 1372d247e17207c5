import { ErrorCodes, NaviError } from '../../../protocol/errors';
import type * as z from 'zod';
import type { FixKeepParams, FixKeepResult, RollbackParams, RollbackResult } from '../../../protocol/fix';
import { rollback } from '../../edits/checkpoints';
import type { PipelinePorts } from '../../exec/pipeline';
import { realRoot } from '../profile';
import { listFixTasks, saveFixTask } from './fixRecords';

/**
 * Undoing fixes: each fix has its own checkpoint (task id `<taskId>.f<n>`, taken right before it
 * wrote), so one fix goes back without touching the others, and a whole task goes back fix by fix,
 * newest first. The checkpoint store restores only files NAVI wrote and only where they still
 * hold what NAVI left; a file the user changed since is kept (docs/checkpoints.md).
 */

export interface FixRollbackPorts {
  pipeline: Pick<PipelinePorts, 'audit'>;
  stateDir: string;
}

export interface OneRollback {
  restored: string[];
  deleted: string[];
  conflicts: string[];
  notRestored: { path: string; reason: string }[];
  undoCheckpoint: string;
}

/** Rolls back one fix and records it (`edit.rolledBack`). */
export async function rollbackFix(
  ports: FixRollbackPorts,
  root: string,
  taskId: string,
  fixId: string,
  reason: string,
): Promise<OneRollback> {
  const r = await rollback({ workspaceRoot: root, stateDir: ports.stateDir, taskId: fixId });
  const out: OneRollback = {
    restored: r.restored,
    deleted: r.deleted,
    conflicts: r.conflicts.map((c) => c.path),
    notRestored: r.notRestored,
    undoCheckpoint: r.undoCheckpoint,
  };
  await ports.pipeline.audit.append({
    type: 'edit.rolledBack',
    actor: { kind: reason === 'requested' ? 'user' : 'system' },
    workspace: root,
    data: {
      taskId,
      fixId,
      paths: [...out.restored, ...out.deleted].slice(0, 10_000),
      conflicts: out.conflicts.slice(0, 10_000),
      reason: reason.slice(0, 4000),
    },
  });
  return out;
}

const emptyResult = (taskId: string, nothing: boolean): RollbackResult => ({
  taskId,
  fixIds: [],
  restored: [],
  deleted: [],
  conflicts: [],
  notRestored: [],
  undoCheckpoints: [],
  nothing,
});

/** `navi/rollback`: a task's kept fixes (default: the workspace's last fix task), or one fix. */
export async function rollbackRequest(
  params: RollbackParams,
  ports: FixRollbackPorts,
): Promise<RollbackResult> {
  if (!params.trusted)
    throw new NaviError(
      ErrorCodes.WorkspaceNotTrusted,
      'This workspace is in Restricted Mode: NAVI writes nothing here.',
      {
        hint: 'Trust the workspace (Manage Workspace Trust) first.',
      },
    );
  const root = await realRoot(params.root);
  const taskId = params.taskId ?? params.fixId?.replace(/\.f[0-9]+$/, '');
  const tasks = listFixTasks(ports.stateDir, root);
  const task = taskId
    ? tasks.find((t) => t.taskId === taskId)
    : tasks.find((t) => t.fixes.some((f) => f.status === 'kept'));
  if (!task) {
    if (taskId)
      throw new NaviError(ErrorCodes.PathNotFound, `No fix task ${taskId} in ${root}.`, {
        path: root,
        hint: 'navi receipts --json lists the tasks and fixes of this workspace.',
      });
    return emptyResult('00000000-0000-7000-8000-000000000000', true);
  }
  const chosen = task.fixes
    .filter((f) => f.status === 'kept' && (!params.fixId || f.id === params.fixId))
    .reverse();
  const result = emptyResult(task.taskId, chosen.length === 0);
  for (const fix of chosen) {
    const r = await rollbackFix(ports, root, task.taskId, fix.id, 'requested');
    fix.status = 'rolled-back';
    result.fixIds.push(fix.id);
    result.restored.push(...r.restored);
    result.deleted.push(...r.deleted);
    result.conflicts.push(...r.conflicts.map((p) => ({ path: p, kept: 'user' as const })));
    result.notRestored.push(...r.notRestored);
    result.undoCheckpoints.push(r.undoCheckpoint);
    await saveFixTask(ports.stateDir, task); // after each fix: a crash leaves a true record
  }
  return result;
}

/** `navi/fixKeep`: the person keeps a fix that is still in place (`edit.kept`, actor `user`). */
export async function keepFix(
  params: z.infer<typeof FixKeepParams>,
  ports: FixRollbackPorts,
): Promise<z.infer<typeof FixKeepResult>> {
  const root = await realRoot(params.root);
  const taskId = params.fixId.replace(/\.f[0-9]+$/, '');
  const fix = listFixTasks(ports.stateDir, root)
    .find((t) => t.taskId === taskId)
    ?.fixes.find((f) => f.id === params.fixId);
  if (!fix)
    throw new NaviError(ErrorCodes.PathNotFound, `No fix ${params.fixId} in ${root}.`, { path: root });
  if (fix.status !== 'kept') return { fixId: params.fixId, kept: false };
  await ports.pipeline.audit.append({
    type: 'edit.kept',
    actor: { kind: 'user' },
    workspace: root,
    data: { taskId, fixId: params.fixId, paths: fix.files },
  });
  return { fixId: params.fixId, kept: true };
}
