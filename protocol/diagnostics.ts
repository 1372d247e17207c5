import * as z from 'zod';

/**
 * Diagnostics: the problems a project's own checkers (type checker, linter, formatter check) report,
 * read from their machine-readable output (server/tasks/fix/checkers.ts) into one model, so that
 * the fix task, the panel and the CLI show a `tsc` error, an eslint warning and a file `black`
 * would reformat the same way. Every object is strict: an unknown field is a schema error.
 */

/** Longest workspace-relative file path, in characters. */
export const MAX_DIAGNOSTIC_PATH_CHARS = 4096;
/** Longest diagnostic message, in characters (longer messages are cut by the parser). */
export const MAX_DIAGNOSTIC_MESSAGE_CHARS = 8 * 1024 + 100;

const ShortText = z.string().min(1).max(200);
const Position = z.number().int().positive();

/**
 * A file relative to the workspace root, `/`-separated: never absolute, never `.` or `..`
 * segments, never empty (`src/app.ts`, `pkg/a.go`).
 */
export const WorkspaceFile = z
  .string()
  .min(1)
  .max(MAX_DIAGNOSTIC_PATH_CHARS)
  .refine(
    (p) => !p.startsWith('/') && !p.includes('\\') && !/^[A-Za-z]:/.test(p),
    'expected a workspace-relative path with / separators',
  )
  .refine(
    (p) => p.split('/').every((part) => part !== '' && part !== '.' && part !== '..'),
    'expected a normalised path without empty, . or .. segments',
  );

/** Where a diagnostic is, 1-based (as editors and every checker print it). */
export const DiagnosticRange = z
  .object({
    /** First line, 1-based. Formatter checks that name only a file use line 1. */
    startLine: Position,
    /** First column, 1-based (UTF-16 code units for tsc and eslint, bytes+1 for Rust and Go). */
    startColumn: Position,
    /** Last line, 1-based, when the checker says (eslint, cargo, ruff). */
    endLine: Position.optional(),
    /** Column just after the last character, 1-based, when the checker says. */
    endColumn: Position.optional(),
  })
  .strict();
export type DiagnosticRange = z.infer<typeof DiagnosticRange>;

/**
 * How bad: `error` fails the check (type errors, lint errors, unformatted files, vet findings),
 * `warning` is reported without failing it by default (eslint severity 1, rustc warnings, flake8
 * `W` codes), `info` is a note or hint.
 */
export const DiagnosticSeverity = z.enum(['error', 'warning', 'info']);
export type DiagnosticSeverity = z.infer<typeof DiagnosticSeverity>;

/** One problem a checker reported in one file. */
export const Diagnostic = z
  .object({
    /** The file, relative to the workspace root, `/`-separated (see WorkspaceFile). */
    file: WorkspaceFile,
    /** Where in the file (1-based). */
    range: DiagnosticRange,
    /**
     * The checker's code for the problem, when it has one: `TS2304`, an eslint rule id
     * (`no-var`), a rustc code (`E0425`) or lint name, a go vet analyzer (`printf`), a flake8 /
     * ruff code (`F401`); `format` for a file a formatter would change; `syntax` for a file a
     * formatter could not parse.
     */
    code: ShortText.optional(),
    /**
     * The tool that produced it: `ts`, `eslint`, `prettier`, `gofmt`, `go vet`, `cargo`, `flake8`,
     * `ruff`, `black`, `isort`.
     */
    source: ShortText,
    /** The checker's message, one or more lines, secrets redacted, cut to about 8 KiB. */
    message: z.string().min(1).max(MAX_DIAGNOSTIC_MESSAGE_CHARS),
    severity: DiagnosticSeverity,
    /** Id of the NAVI adapter that read it (`tsc`, `eslint`, `cargo-check`…). */
    checker: ShortText,
    /**
     * Whether the checker itself can fix it (its own `--fix` / `--write`): eslint messages with a
     * fix, ruff `safe` fixes, rustc `MachineApplicable` suggestions, go vet suggested fixes and
     * every formatter finding. Absent: the checker does not say.
     */
    fixable: z.boolean().optional(),
  })
  .strict();
export type Diagnostic = z.infer<typeof Diagnostic>;

/** What one checker run yielded, once read. */
export const CheckerResult = z
  .object({
    /** Id of the adapter that read the output. */
    checker: ShortText,
    /** The diagnostics (de-duplicated, sorted by file, line and column). At most 10 000. */
    diagnostics: z.array(Diagnostic).max(10_000),
    /**
     * False when the output could not be read completely (malformed JSON, the checker crashed or
     * was killed, it failed without reporting anything NAVI could read, or there were more
     * diagnostics than kept): then nobody may say the project has "no errors".
     */
    complete: z.boolean(),
    /** Why the result is incomplete, one plain sentence (redacted). */
    reason: z.string().max(2000).optional(),
    /** How many diagnostics named files outside the workspace and were dropped. */
    droppedOutsideWorkspace: z.number().int().nonnegative(),
    /**
     * Messages that belong to no file (tsc's `error TS5083: Cannot read file…`, eslint's "File
     * ignored…", a cargo error without a span). At most 50, each at most 2000 characters.
     */
    notes: z.array(z.string().max(2000)).max(50),
  })
  .strict();
export type CheckerResult = z.infer<typeof CheckerResult>;
