import * as z from 'zod';
import { IsoUtcMs, Sha256Hex, Uuid7 } from './audit';

/**
 * Verification receipts (docs/receipts.md): what NAVI's own runner checked after a fix, as an
 * in-toto Statement v1 whose subjects are the changed files with their SHA-256 and whose predicate
 * is a NAVI verification predicate, wrapped in a DSSE envelope signed with the installation's
 * Ed25519 key. Written only by the agent (server/verify/receipts.ts); anyone can verify one.
 *
 * Every object is strict: a field this version does not know makes the receipt `invalid` rather
 * than being silently ignored, since everything in the statement is covered by the signature. A
 * predicate with new fields gets a new `predicateType` (`…/v2`).
 */

/** `_type` of an in-toto Statement v1. */
export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** The DSSE `payloadType` of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** `predicateType` of a NAVI verification predicate, version 1 (this file, docs/receipts.md). */
export const NAVI_VERIFICATION_PREDICATE_TYPE = 'https://navi.dev/verification/v1';

/** Largest statement (decoded DSSE payload) NAVI writes or reads, in bytes: 4 MiB. */
export const MAX_RECEIPT_PAYLOAD_BYTES = 4 << 20;
/** Most subjects (changed files) in one receipt. */
export const MAX_RECEIPT_SUBJECTS = 10_000;
/** Most signatures an envelope may carry; NAVI writes exactly one. */
export const MAX_RECEIPT_SIGNATURES = 16;

const ShortText = z.string().max(200);
const Message = z.string().max(4000);
const Count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * A path relative to the workspace root, `/`-separated, normalised: not empty, not absolute, no
 * `\`, no NUL, no empty, `.` or `..` segment, no drive letter. At most 4096 characters.
 */
export const WorkspaceRelativePath = z
  .string()
  .min(1)
  .max(4096)
  .refine(
    (p) =>
      !p.startsWith('/') &&
      !/[\\\0]/.test(p) &&
      !/^[A-Za-z]:/.test(p) &&
      p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'),
    'expected a normalised workspace-relative path with / separators',
  );

/** Test counts as parsed from a runner's machine-readable report. */
export const ReceiptTestCounts = z
  .object({
    /** Tests that passed. */
    passed: Count,
    /** Tests that failed (an assertion or an error in the test). */
    failed: Count,
    /** Tests the runner skipped (including `todo`). */
    skipped: Count,
  })
  .strict();
export type ReceiptTestCounts = z.infer<typeof ReceiptTestCounts>;

/** One diagnostic, as a checker reported it. */
export const ReceiptDiagnostic = z
  .object({
    /**
     * The file it is about: workspace-relative and `/`-separated for files in the workspace, the
     * checker's own path otherwise. At most 4096 characters.
     */
    file: z.string().min(1).max(4096),
    /** 1-based line. */
    line: z.number().int().positive(),
    /** 1-based column (UTF-16 code units, as editors count). */
    column: z.number().int().positive(),
    /** The checker's code for it (`TS2322`, `no-unused-vars`, `E501`), when it has one. */
    code: ShortText.optional(),
    /** The checker's message (redacted). At most 4000 characters. */
    message: Message,
    /** How serious the checker says it is. */
    severity: z.enum(['error', 'warning', 'info', 'hint']),
  })
  .strict();

/** Everything one checker reported at one point in time. */
export const CheckerDiagnostics = z
  .object({
    /** The checker (`tsc`, `eslint`, `ruff`, `mypy`…). At most 200 characters. */
    checker: ShortText.min(1),
    /** Its diagnostics, in the order it printed them. At most 100 000. */
    diagnostics: z.array(ReceiptDiagnostic).max(100_000),
  })
  .strict();

/** One command NAVI's runner ran to verify the fix (through the command pipeline). */
export const ReceiptCommand = z
  .object({
    /** The argv it ran when it ran as a literal simple command; `null` when it ran as `bash -c` text. */
    argv: z
      .array(z.string().max(1 << 16))
      .max(10_000)
      .nullable(),
    /** The command text exactly as it ran (the verdict's text as judged), redacted. At most 1 MiB. */
    command: z.string().max(1 << 20),
    /** Working directory, relative to the workspace root (`.` for the root itself). */
    cwd: z.union([z.literal('.'), WorkspaceRelativePath]),
    /** Exit code; `null` when a signal ended it or it never started. */
    exitCode: z.number().int().nullable(),
    /** Wall-clock milliseconds from spawn to exit (integer). */
    durationMs: Count,
    /** Test counts parsed from the runner's report, when the command was a test run. */
    counts: ReceiptTestCounts.optional(),
    /** Lower-case hex SHA-256 of the full redacted output log NAVI kept (stdout and stderr). */
    logSha256: Sha256Hex,
  })
  .strict();

export type ReceiptCommand = z.infer<typeof ReceiptCommand>;

/** The predicate of a NAVI receipt: what was fixed, how, and what the runner saw. */
export const VerificationPredicate = z
  .object({
    /** Who made the change, cheapest first (../shared/DESIGN.md section 2). */
    fixer: z
      .object({
        /**
         * `project-fixer`: the project's own tool (ESLint `--fix`, Prettier, Ruff…);
         * `language-service`: a language service code fix; `editor-quick-fix`: a quick fix the
         * person applied in the editor; `model`: a configured model.
         */
        kind: z.enum(['project-fixer', 'language-service', 'editor-quick-fix', 'model']),
        /** Its name (`eslint --fix`, `typescript fixMissingImport`, a model id). At most 200 characters. */
        name: ShortText.min(1),
      })
      .strict(),
    /** Diagnostics per checker before the change (the baseline). At most 50 checkers. */
    diagnosticsBefore: z.array(CheckerDiagnostics).max(50),
    /** Diagnostics per checker after the change, from the same checkers. At most 50 checkers. */
    diagnosticsAfter: z.array(CheckerDiagnostics).max(50),
    /** The commands the runner ran to verify, in order. At most 1000. */
    commands: z.array(ReceiptCommand).max(1000),
    /** Test totals before the change (the baseline) and after it, when tests ran. */
    tests: z.object({ before: ReceiptTestCounts.optional(), after: ReceiptTestCounts.optional() }).strict(),
    /** Lower-case hex SHA-256 of the project profile (its JSON file's bytes) the commands came from. */
    profileSha256: Sha256Hex,
    /** The NAVI that ran the verification. */
    navi: z.object({ /** NAVI's version (`dev` from sources). */ version: ShortText.min(1) }).strict(),
    /** When verification started (ISO-8601 UTC with milliseconds). */
    startedAt: IsoUtcMs,
    /** When verification finished (ISO-8601 UTC with milliseconds). */
    finishedAt: IsoUtcMs,
    /** UUIDv7 of the task run (the `taskId` of its `task.*` audit events). */
    taskId: Uuid7,
    /** The fix within the task (`<taskId>.f<n>`): `navi rollback --fix` names it. */
    fixId: z
      .string()
      .regex(/^[0-9a-f-]{36}\.f[0-9]{1,4}$/)
      .optional(),
    /**
     * `verified`: every check passed and nothing got worse than the baseline; `failed`: the
     * runner ran the checks and they did not pass (the receipt proves that too).
     */
    result: z.enum(['verified', 'failed']),
    /** One plain sentence on why, mostly for `failed` (redacted). At most 4000 characters. */
    reason: Message.optional(),
  })
  .strict();
export type VerificationPredicate = z.infer<typeof VerificationPredicate>;

/** An in-toto resource descriptor for one changed file. */
export const ReceiptSubject = z
  .object({
    /** Path of the file, relative to the workspace root. */
    name: WorkspaceRelativePath,
    /** Its content digest at verification time. */
    digest: z.object({ /** Lower-case hex SHA-256 of the file's bytes. */ sha256: Sha256Hex }).strict(),
  })
  .strict();

/** An in-toto Statement v1 carrying a NAVI verification predicate. */
export const Statement = z
  .object({
    /** Always `https://in-toto.io/Statement/v1`. */
    _type: z.literal(IN_TOTO_STATEMENT_TYPE),
    /** The changed files, sorted by name, no duplicates. 1 to 10 000. */
    subject: z.array(ReceiptSubject).min(1).max(MAX_RECEIPT_SUBJECTS),
    /** Always `https://navi.dev/verification/v1`. */
    predicateType: z.literal(NAVI_VERIFICATION_PREDICATE_TYPE),
    /** What was verified. */
    predicate: VerificationPredicate,
  })
  .strict();
export type Statement = z.infer<typeof Statement>;

/** Standard or URL-safe base64, padding optional (DSSE accepts both alphabets). */
const Base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'expected base64');

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse, protocol v1). */
export const DsseEnvelope = z
  .object({
    /** Media type of the payload: `application/vnd.in-toto+json` for a receipt. */
    payloadType: z.string().min(1).max(200),
    /** Base64 of the serialized statement (UTF-8 JSON). At most 4 MiB decoded. */
    payload: Base64.max(Math.ceil(MAX_RECEIPT_PAYLOAD_BYTES / 3) * 4),
    /** Signatures over PAE(payloadType, payload bytes). 1 to 16. */
    signatures: z
      .array(
        z
          .object({
            /** Hint for the key: lower-case hex SHA-256 of the public key's SPKI DER (NAVI's keys). */
            keyid: z.string().max(200).optional(),
            /** Base64 of the signature (64 bytes for Ed25519). */
            sig: Base64.min(1).max(1024),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_RECEIPT_SIGNATURES),
  })
  .strict();
export type DsseEnvelope = z.infer<typeof DsseEnvelope>;

/**
 * What checking a receipt says: `verified` / `failed` (signature good, files unchanged, the
 * predicate's result), `stale` (signature good, a subject file changed or is gone since), `invalid`
 * (malformed, wrong payload type, no trusted key verifies it, or the statement fails its schema).
 */
export const ReceiptStatus = z.enum(['verified', 'failed', 'stale', 'invalid']);
export type ReceiptStatus = z.infer<typeof ReceiptStatus>;

/** One stored receipt: `<state folder>/receipts/<id>.json` (not signed: the envelope is). */
export const ReceiptRecord = z
  .object({
    /** Always 1. */
    version: z.literal(1),
    /** UUIDv7 of the receipt; the file name. Chosen at issue, time-ordered, not covered by the signature. */
    id: Uuid7,
    /** Absolute real path of the workspace the subjects are relative to. */
    workspaceRoot: z.string().min(1).max(4096),
    /** When NAVI issued it (ISO-8601 UTC with milliseconds). */
    issuedAt: IsoUtcMs,
    /** The signed receipt. */
    envelope: DsseEnvelope,
  })
  .strict();
export type ReceiptRecord = z.infer<typeof ReceiptRecord>;
