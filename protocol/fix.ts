import * as z from 'zod';
import { IsoUtcMs, Sha256Hex, Uuid7 } from './audit';
import { Diagnostic } from './diagnostics';
import { ReceiptStatus, ReceiptTestCounts } from './receipts';

/**
 * The fix task's messages (docs/fix.md): `navi/fix` finds the errors with the profile's checkers,
 * fixes them cheapest first, verifies each fix and issues a signed receipt; `navi/receipts`,
 * `navi/receiptVerify`, `navi/rollback` and `navi/fixKeep` act on what it left. Every object is
 * strict: an unknown field is a schema error.
 */

const AbsolutePath = z.string().min(1).max(4096);
const ShortText = z.string().min(1).max(200);
const Text = z.string().max(4000);
const ProgressToken = z.union([z.number().int(), z.string()]);
/** A fix id: `<taskId>.f<n>` (the n-th fix of the task). */
export const FixId = z.string().regex(/^[0-9a-f-]{36}\.f[0-9]{1,4}$/, 'expected <taskId>.f<n>');

/** Where the model that fixes what the cheap fixers leave comes from (docs/fix.md, "Models"). */
export const ModelSettings = z.discriminatedUnion('provider', [
  z
    .object({
      /** Any endpoint that speaks OpenAI's chat completions (OpenAI, Azure OpenAI, Ollama, vLLM, LM Studio). */
      provider: z.literal('openai-compatible'),
      /** Base URL up to `/v1` (`https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`). */
      baseUrl: z.url().max(2000),
      model: ShortText,
      /** The key; never logged, never in the audit trail. Absent for local servers that need none. */
      apiKey: z.string().max(4000).optional(),
    })
    .strict(),
  z
    .object({
      provider: z.literal('anthropic'),
      /** Default `https://api.anthropic.com`. */
      baseUrl: z.url().max(2000).optional(),
      model: ShortText,
      apiKey: z.string().max(4000).optional(),
    })
    .strict(),
  z
    .object({
      /** VS Code's Language Model API: the agent asks the client (`navi/modelChat`). */
      provider: z.literal('vscode-lm'),
      /** A model family or id the client picks from (`gpt-4o`); absent: the client's first model. */
      model: z.string().max(200).optional(),
    })
    .strict(),
]);
export type ModelSettings = z.infer<typeof ModelSettings>;

/** Budgets of the model step: attempts per error group, wall time and tokens for the whole task. */
export const ModelBudget = z
  .object({
    attempts: z.number().int().min(1).max(10).default(2),
    timeMs: z
      .number()
      .int()
      .min(1_000)
      .max(3_600_000)
      .default(5 * 60_000),
    tokens: z.number().int().min(1_000).max(10_000_000).default(200_000),
  })
  .strict();
export type ModelBudget = z.infer<typeof ModelBudget>;

export const FixParams = z
  .object({
    /** Id the client picks: `navi/commandOutput` and `navi/fixProgress` carry it. */
    runId: z.string().min(1).max(100),
    /** Absolute workspace root. */
    root: AbsolutePath,
    /** Project directory relative to root (default: every project of the profile with a check). */
    project: z.string().max(4096).optional(),
    trusted: z.boolean(),
    /** Fix only these files (absolute, or relative to the root); default: every file with an error. */
    files: z.array(z.string().min(1).max(4096)).max(10_000).optional(),
    /** CLI `--yes`: approve `ask` verdicts of the task's commands without a prompt (never a `deny`). */
    autoApprove: z.boolean().optional(),
    /** The model for what the cheap fixers leave; absent: no model (`--no-model`). */
    model: ModelSettings.optional(),
    budget: ModelBudget.optional(),
    /** Diagnostics the editor shows (VS Code): fixed and verified like the checkers' own. */
    editorDiagnostics: z.array(Diagnostic).max(10_000).optional(),
    /** Files open with unsaved changes (workspace-relative): never written. */
    unsavedFiles: z.array(z.string().min(1).max(4096)).max(10_000).optional(),
    /** Skip the baseline and verification test runs (the checkers still verify). */
    skipTests: z.boolean().optional(),
    workDoneToken: ProgressToken.optional(),
  })
  .strict();
export type FixParams = z.infer<typeof FixParams>;

/** A diagnostic as `remaining` lists it: flat, for people and scripts. */
export const RemainingDiagnostic = z
  .object({
    file: z.string().min(1).max(4096),
    line: z.number().int().positive(),
    column: z.number().int().positive(),
    code: z.string().max(200).optional(),
    message: z.string().max(9000),
    checker: ShortText,
    /** Why no fixer fixed it (`no fixer for TS2322`, `ambiguous import…`, `the model's fix failed…`). */
    reason: Text.optional(),
  })
  .strict();
export type RemainingDiagnostic = z.infer<typeof RemainingDiagnostic>;

/** One file a fix changed. */
export const FixFileChange = z
  .object({
    /** Workspace-relative, `/`-separated. */
    path: z.string().min(1).max(4096),
    /** SHA-256 before and after (`null`: the file did not exist / was removed). */
    before: Sha256Hex.nullable(),
    after: Sha256Hex.nullable(),
    /** Unified diff (at most 256 KiB; cut with a note beyond). */
    diff: z.string().max(300_000),
    /** The content before the fix, for the editor's diff view; absent over 1 MiB or binary. */
    beforeText: z
      .string()
      .max(1 << 20)
      .optional(),
  })
  .strict();
export type FixFileChange = z.infer<typeof FixFileChange>;

export const FixerRef = z
  .object({
    kind: z.enum(['project-fixer', 'language-service', 'editor-quick-fix', 'model']),
    name: ShortText,
  })
  .strict();

/** One fix: a fixer's change to one or more files, verified (or not) by NAVI's runner. */
export const FixRecord = z
  .object({
    id: FixId,
    fixer: FixerRef,
    /** `kept`: verified and left in place; `rolled-back`: did not verify, its files were restored. */
    status: z.enum(['kept', 'rolled-back']),
    /** Workspace-relative paths it changed. */
    files: z.array(z.string().min(1).max(4096)).max(10_000),
    changes: z.array(FixFileChange).max(10_000),
    /** The diagnostics it set out to fix (baseline), and which of them are gone. */
    diagnostics: z.array(Diagnostic).max(10_000),
    fixedCount: z.number().int().nonnegative(),
    /** Diagnostics that appeared in its files after it (a fix with any is not verified). */
    introduced: z.array(Diagnostic).max(10_000),
    /** Tests that passed before and failed after it (`TestCaseResult.id`s). */
    brokenTests: z.array(z.string().max(10_000)).max(1000),
    receipt: z.object({ id: Uuid7, status: ReceiptStatus }).strict().optional(),
    /** Why it was rolled back (one sentence). */
    reason: Text.optional(),
  })
  .strict();
export type FixRecord = z.infer<typeof FixRecord>;

/** One checker run of the task. */
export const FixCheckRun = z
  .object({
    checker: ShortText,
    command: z.string().max(100_000),
    phase: z.enum(['baseline', 'verify', 'final']),
    exitCode: z.number().int().nullable(),
    ran: z.boolean(),
    complete: z.boolean(),
    diagnostics: z.number().int().nonnegative(),
    /** Why it did not run or could not be read. */
    reason: Text.optional(),
  })
  .strict();

export const FixResult = z
  .object({
    taskId: Uuid7,
    /**
     * `clean`: the checkers found no error; `fixed`: every error found is fixed and verified;
     * `remaining`: errors remain (or a fix was rolled back); `incomplete`: a checker could not be
     * run or read, so NAVI cannot say the project is clean; `cancelled`.
     */
    status: z.enum(['clean', 'fixed', 'remaining', 'incomplete', 'cancelled']),
    fixes: z.array(FixRecord).max(10_000),
    remaining: z.array(RemainingDiagnostic).max(10_000),
    rolledBack: z.array(z.object({ id: FixId, reason: Text, files: z.array(z.string().max(4096)) }).strict()),
    checks: z.array(FixCheckRun).max(1000),
    tests: z
      .object({ before: ReceiptTestCounts.optional(), after: ReceiptTestCounts.optional() })
      .strict()
      .optional(),
    /** The task's checkpoint: what a rollback goes back to; what it skipped (size cap, nested repositories…). */
    checkpoint: z
      .object({
        id: z.string().max(200),
        files: z.number().int().nonnegative(),
        skipped: z.array(z.object({ path: z.string().max(4096), reason: z.string().max(200) }).strict()),
        ms: z.number().int().nonnegative(),
      })
      .strict()
      .optional(),
    /** Plain sentences: checkers that were not found, budgets reached, files left unwritten… */
    notes: z.array(Text).max(200),
    startedAt: IsoUtcMs,
    durationMs: z.number().int().nonnegative(),
  })
  .strict();
export type FixResult = z.infer<typeof FixResult>;

/** Server → client, while `navi/fix` runs: the step it is on. */
export const FixProgressParams = z
  .object({
    runId: z.string().min(1).max(100),
    taskId: Uuid7,
    step: z.enum(['baseline', 'checkpoint', 'fixing', 'verifying', 'tests', 'receipts', 'done']),
    message: Text,
    /** A fix that just finished, so a panel can show it before the task ends. */
    fix: FixRecord.optional(),
  })
  .strict();
export type FixProgressParams = z.infer<typeof FixProgressParams>;

// ---------------------------------------------------------------------------------------------
// Receipts

export const ReceiptsParams = z.object({ root: AbsolutePath }).strict();

export const ReceiptSummary = z
  .object({
    id: Uuid7,
    taskId: Uuid7,
    fixId: z.string().max(100).optional(),
    status: ReceiptStatus,
    /** Why it is stale, failed or invalid. */
    reasons: z.array(Text).max(100),
    issuedAt: IsoUtcMs,
    fixer: FixerRef.optional(),
    files: z.array(z.object({ path: z.string().max(4096), sha256: Sha256Hex }).strict()),
    commands: z.array(
      z.object({ command: z.string().max(1 << 20), exitCode: z.number().int().nullable() }).strict(),
    ),
    tests: z
      .object({ before: ReceiptTestCounts.optional(), after: ReceiptTestCounts.optional() })
      .strict()
      .optional(),
    /** SHA-256 of the stored envelope's JSON: what the audit trail's `receipt.issued` names. */
    envelopeSha256: Sha256Hex,
  })
  .strict();
export type ReceiptSummary = z.infer<typeof ReceiptSummary>;

export const ReceiptsResult = z.object({ receipts: z.array(ReceiptSummary) }).strict();
export type ReceiptsResult = z.infer<typeof ReceiptsResult>;

export const ReceiptVerifyParams = z
  .object({
    /** The workspace the subjects are relative to (their current content is compared). */
    root: AbsolutePath.optional(),
    /** A stored receipt's id, or an envelope (JSON text) to check. */
    id: Uuid7.optional(),
    envelope: z
      .string()
      .max(8 << 20)
      .optional(),
  })
  .strict()
  .refine((p) => (p.id === undefined) !== (p.envelope === undefined), 'give exactly one of id and envelope');

export const ReceiptVerifyResult = z
  .object({
    status: ReceiptStatus,
    reasons: z.array(Text).max(100),
    subjects: z.array(
      z
        .object({
          path: z.string().max(4096),
          expected: z.string().max(100),
          actual: z.string().max(100).nullable(),
        })
        .strict(),
    ),
    filesChecked: z.boolean(),
    keyid: z.string().max(200).optional(),
  })
  .strict();
export type ReceiptVerifyResult = z.infer<typeof ReceiptVerifyResult>;

// ---------------------------------------------------------------------------------------------
// Rollback and keep

export const RollbackParams = z
  .object({
    root: AbsolutePath,
    trusted: z.boolean(),
    /** The fix task to undo (all its kept fixes); default: the last fix task in this workspace. */
    taskId: Uuid7.optional(),
    /** Or one fix of it. */
    fixId: FixId.optional(),
  })
  .strict();
export type RollbackParams = z.infer<typeof RollbackParams>;

export const RollbackResult = z
  .object({
    taskId: Uuid7,
    fixIds: z.array(FixId),
    restored: z.array(z.string().max(4096)),
    deleted: z.array(z.string().max(4096)),
    /** Files the user changed after NAVI: kept as the user left them. */
    conflicts: z.array(z.object({ path: z.string().max(4096), kept: z.literal('user') }).strict()),
    notRestored: z.array(z.object({ path: z.string().max(4096), reason: z.string().max(200) }).strict()),
    /** Undo the rollback: the checkpoint taken before it. */
    undoCheckpoints: z.array(z.string().max(200)),
    /** Nothing to roll back (already rolled back, or no fix task here). */
    nothing: z.boolean(),
  })
  .strict();
export type RollbackResult = z.infer<typeof RollbackResult>;

export const FixKeepParams = z.object({ root: AbsolutePath, fixId: FixId }).strict();
export const FixKeepResult = z.object({ fixId: FixId, kept: z.boolean() }).strict();

// ---------------------------------------------------------------------------------------------
// navi/modelChat (server → client): the VS Code Language Model API, for `provider: 'vscode-lm'`

export const ModelChatParams = z
  .object({
    model: z.string().max(200).optional(),
    system: z.string().max(200_000),
    messages: z
      .array(z.object({ role: z.enum(['user', 'assistant']), content: z.string().max(2_000_000) }).strict())
      .min(1)
      .max(100),
    maxTokens: z.number().int().positive().max(1_000_000),
  })
  .strict();
export type ModelChatParams = z.infer<typeof ModelChatParams>;

export const ModelChatResult = z
  .object({
    text: z.string().max(4_000_000),
    model: z.string().max(200),
    /** Token counts when the API says them (VS Code's does not for output). */
    inputTokens: z.number().int().nonnegative().optional(),
    outputTokens: z.number().int().nonnegative().optional(),
  })
  .strict();
export type ModelChatResult = z.infer<typeof ModelChatResult>;

// ---------------------------------------------------------------------------------------------
// navi/editorQuickFixes (server → client): preferred quick fixes of the editor's language extensions

export const EditorQuickFixesParams = z
  .object({
    /** Absolute workspace root the diagnostics' files are relative to. */
    root: AbsolutePath,
    /** The errors the cheaper fixers left (at most 500). */
    diagnostics: z.array(Diagnostic).max(500),
  })
  .strict();
export type EditorQuickFixesParams = z.infer<typeof EditorQuickFixesParams>;

/**
 * Per file, the preferred quick fixes that are plain text edits of that file alone (no command,
 * no file created or renamed), applied to the file's saved text; files with unsaved changes are
 * left out. The agent writes `content` as one fix and verifies it like any other.
 */
export const EditorQuickFixesResult = z
  .object({
    fixes: z
      .array(
        z
          .object({
            /** Workspace-relative, `/`-separated. */
            file: z.string().min(1).max(4096),
            /** The quick fixes' titles (`Add missing import`), for the receipt. */
            title: z.string().min(1).max(200),
            /** Indices into the params' `diagnostics` these quick fixes address. */
            diagnostics: z.array(z.number().int().nonnegative()).min(1).max(500),
            /** The file's whole text with the fixes applied. */
            content: z.string().max(10 << 20),
          })
          .strict(),
      )
      .max(500),
  })
  .strict();
export type EditorQuickFixesResult = z.infer<typeof EditorQuickFixesResult>;
