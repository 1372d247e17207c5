import type { Diagnostic } from '../../../protocol/diagnostics';
import {
  FixRecord,
  FixResult,
  ReceiptSummary,
  type FixFileChange,
  type RemainingDiagnostic,
} from '../../../protocol/fix';

/** Typed builders for the fix task's protocol objects; every one is parsed, so a test cannot build an impossible one. */

export const TASK_ID = '01890a5d-ac96-7abc-8def-0123456789ab';
export const OTHER_TASK_ID = '01890a5d-ac96-7abc-8def-ba9876543210';
export const RECEIPT_ID = '01890a5d-ac97-7abc-8def-0123456789ab';
export const SHA_A = 'a'.repeat(64);
export const SHA_B = 'b'.repeat(64);

export function diagnostic(over: Partial<Diagnostic> = {}): Diagnostic {
  return {
    file: 'src/main.ts',
    range: { startLine: 3, startColumn: 13 },
    code: 'TS2304',
    source: 'ts',
    message: "Cannot find name 'add'.",
    severity: 'error',
    checker: 'tsc',
    ...over,
  };
}

export const MAIN_DIFF = [
  '--- a/src/main.ts',
  '+++ b/src/main.ts',
  '@@ -1,3 +1,4 @@',
  "+import { add } from './math';",
  ' ',
  ' export function main() {',
  '   return add(1, 2);',
  '',
].join('\n');

export function change(over: Partial<FixFileChange> = {}): FixFileChange {
  return {
    path: 'src/main.ts',
    before: SHA_A,
    after: SHA_B,
    diff: MAIN_DIFF,
    beforeText: '\nexport function main() {\n  return add(1, 2);\n}\n',
    ...over,
  };
}

export function fixRecord(n = 1, over: Partial<FixRecord> = {}, taskId = TASK_ID): FixRecord {
  return FixRecord.parse({
    id: `${taskId}.f${n}`,
    fixer: { kind: 'language-service', name: 'TypeScript: import' },
    status: 'kept',
    files: ['src/main.ts'],
    changes: [change()],
    diagnostics: [diagnostic()],
    fixedCount: 1,
    introduced: [],
    brokenTests: [],
    receipt: { id: RECEIPT_ID, status: 'verified' },
    ...over,
  });
}

export function remaining(over: Partial<RemainingDiagnostic> = {}): RemainingDiagnostic {
  return {
    file: 'src/other.ts',
    line: 4,
    column: 7,
    code: 'TS2322',
    message: "Type 'string' is not assignable to type 'number'.",
    checker: 'tsc',
    reason: 'no fixer for TS2322',
    ...over,
  };
}

export function fixResult(over: Partial<FixResult> = {}): FixResult {
  return FixResult.parse({
    taskId: TASK_ID,
    status: 'fixed',
    fixes: [fixRecord()],
    remaining: [],
    rolledBack: [],
    checks: [],
    notes: [],
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 1234,
    ...over,
  });
}

export function receiptSummary(over: Partial<ReceiptSummary> = {}): ReceiptSummary {
  return ReceiptSummary.parse({
    id: RECEIPT_ID,
    taskId: TASK_ID,
    fixId: `${TASK_ID}.f1`,
    status: 'verified',
    reasons: [],
    issuedAt: '2025-01-01T00:00:01.000Z',
    fixer: { kind: 'language-service', name: 'TypeScript: import' },
    files: [{ path: 'src/main.ts', sha256: SHA_B }],
    commands: [{ command: 'node_modules/.bin/tsc --noEmit -p . --pretty false', exitCode: 0 }],
    tests: { before: { passed: 3, failed: 0, skipped: 0 }, after: { passed: 3, failed: 0, skipped: 0 } },
    envelopeSha256: SHA_A,
    ...over,
  });
}
