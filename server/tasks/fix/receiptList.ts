import { createHash } from 'node:crypto';
import { ErrorCodes, NaviError } from '../../../protocol/errors';
import type { ReceiptSummary, ReceiptVerifyResult, ReceiptsResult } from '../../../protocol/fix';
import type { ReceiptRecord } from '../../../protocol/receipts';
import { realRoot } from '../profile';
import {
  loadOrCreateSigningKey,
  ReceiptStore,
  verifyReceipt,
  type ReceiptVerification,
} from '../../verify/receipts';

/**
 * `navi/receipts` and `navi/receiptVerify`: every stored receipt of a workspace checked now against
 * this installation's key and the files' current content, so a receipt whose file was edited since
 * says `stale`. A `failed` receipt stays `failed` when its files changed (the rollback that
 * followed it changes them): failing is what it proves.
 */

const publicKeys = (stateDir: string, root?: string) => [
  loadOrCreateSigningKey(stateDir, root ? { workspaceRoots: [root] } : {}).publicKey,
];

function summary(record: ReceiptRecord, v: ReceiptVerification): ReceiptSummary {
  const p = v.statement?.predicate;
  const status = p?.result === 'failed' && v.status === 'stale' ? 'failed' : v.status;
  return {
    id: record.id,
    taskId: p?.taskId ?? '00000000-0000-7000-8000-000000000000',
    ...(p?.fixId ? { fixId: p.fixId } : {}),
    status,
    reasons: v.reasons.slice(0, 100).map((r) => r.slice(0, 4000)),
    issuedAt: record.issuedAt,
    ...(p ? { fixer: p.fixer } : {}),
    files: (v.statement?.subject ?? []).map((s) => ({ path: s.name, sha256: s.digest.sha256 })),
    commands: (p?.commands ?? []).map((c) => ({ command: c.command, exitCode: c.exitCode })),
    ...(p ? { tests: p.tests } : {}),
    envelopeSha256: createHash('sha256').update(JSON.stringify(record.envelope)).digest('hex'),
  };
}

export async function listReceipts(root: string, stateDir: string): Promise<ReceiptsResult> {
  const real = await realRoot(root);
  const keys = publicKeys(stateDir, real);
  const records = await new ReceiptStore(stateDir).list(real);
  const receipts: ReceiptSummary[] = [];
  for (const r of records)
    receipts.push(summary(r, await verifyReceipt(r.envelope, { publicKeys: keys, workspaceRoot: real })));
  return { receipts };
}

export async function verifyOne(
  params: { root?: string | undefined; id?: string | undefined; envelope?: string | undefined },
  stateDir: string,
): Promise<ReceiptVerifyResult> {
  const root = params.root === undefined ? undefined : await realRoot(params.root);
  let envelope: unknown = params.envelope;
  if (params.id !== undefined) {
    const record = await new ReceiptStore(stateDir).get(params.id);
    if (!record)
      throw new NaviError(ErrorCodes.PathNotFound, `No receipt ${params.id} in this installation.`, {
        hint: 'navi receipts lists the receipts of a workspace; pass a receipt file to check one from elsewhere.',
      });
    envelope = record.envelope;
  }
  const v = await verifyReceipt(envelope, {
    publicKeys: publicKeys(stateDir, root),
    ...(root ? { workspaceRoot: root } : {}),
  });
  return {
    status: v.status,
    reasons: v.reasons.slice(0, 100).map((r) => r.slice(0, 4000)),
    subjects: v.subjects.map((s) => ({
      path: s.path.slice(0, 4096),
      expected: s.expected,
      actual: s.actual,
    })),
    filesChecked: v.filesChecked,
    ...(v.keyid ? { keyid: v.keyid } : {}),
  };
}
