import * as z from 'zod';

/**
 * The repository scan report: what `navi/scan` returns, what `navi scan --json` prints and what
 * the sidebar renders. Paths in the report are POSIX-style and relative to `root`, except `root`
 * itself (absolute). Every field is documented in docs/protocol.md.
 */

/** Where a finding or a command came from: a file and (1-based) line. */
export const Evidence = z.object({
  /** File path relative to the scan root, `/`-separated. */
  path: z.string(),
  /** 1-based line number, when the finding is on a line. */
  line: z.number().int().positive().optional(),
  /** A short, redacted excerpt or note that shows why (never a raw secret). */
  detail: z.string().max(300).optional(),
  /**
   * For secret findings: the id of the detection rule that matched (`aws-access-key-id`,
   * `private-key`…). With `path` and `line` it makes the fingerprint a `.navi/secrets-baseline`
   * line accepts (`path:rule:line`).
   */
  rule: z.string().max(100).optional(),
  /**
   * Why this finding has its severity, in a few words: `in source code`, `in CI configuration`,
   * `in a committed .env file`, `test fixture (test/)`, `documentation (docs/)`, `Stripe test-mode key`…
   */
  reason: z.string().max(200).optional(),
});
export type Evidence = z.infer<typeof Evidence>;

export const LanguageStat = z.object({
  /** Language name ("TypeScript", "Python", "Shell"…); "Other" for files not recognised. */
  name: z.string(),
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});
export type LanguageStat = z.infer<typeof LanguageStat>;

export const Inventory = z.object({
  /** Number of files in the inventory (tracked + untracked-not-ignored in git; else not ignored). */
  files: z.number().int().nonnegative(),
  /** Sum of their sizes in bytes (apparent size as `stat` reports it). */
  bytes: z.number().int().nonnegative(),
  /** Per language, sorted by bytes descending: every file, binary and data included. */
  languages: z.array(LanguageStat),
  /**
   * The language bar, counted the way GitHub's linguist does: programming and markup languages
   * only (no data, prose, binary or unrecognised files), outside vendored, generated and
   * documentation paths (`node_modules/`, `vendor/`, `dist/`, `*.min.js`, lockfiles, `docs/`,
   * `examples/`). Sorted by bytes descending. Absent in reports of older agents.
   */
  sourceLanguages: z.array(LanguageStat).optional(),
  /** How the file list was made: `git` (git ls-files) or `walk` (directory walk with .gitignore). */
  source: z.enum(['git', 'walk']),
});
export type Inventory = z.infer<typeof Inventory>;

export const CommandKind = z.enum(['install', 'build', 'lint', 'typecheck', 'format', 'test', 'start']);
export type CommandKind = z.infer<typeof CommandKind>;
export const COMMAND_KINDS = CommandKind.options;

export const DetectedCommand = z.object({
  /** The shell command, as it would be typed in the project's directory. */
  command: z.string(),
  /** Evidence: `package.json#scripts.test`, `Makefile:test`, `pyproject.toml#tool.pytest`… */
  source: z.string(),
  /** True when NAVI guessed the command from conventions rather than reading it from the project. */
  inferred: z.boolean().optional(),
});
export type DetectedCommand = z.infer<typeof DetectedCommand>;

export const Ecosystem = z.enum(['node', 'python', 'go', 'rust', 'java', 'dotnet']);
export type Ecosystem = z.infer<typeof Ecosystem>;

export const Project = z.object({
  /** Directory of the project relative to root; `.` for the root itself. */
  path: z.string(),
  /** Name from the manifest, when it has one. */
  name: z.string().optional(),
  ecosystem: Ecosystem,
  /** npm | pnpm | yarn | bun | pip | poetry | uv | go | cargo | maven | gradle | dotnet. */
  packageManager: z.string(),
  /** The manifest file the project was detected from, relative to root. */
  manifest: z.string(),
  commands: z.partialRecord(CommandKind, DetectedCommand),
  /** For a monorepo root: the workspace member directories (relative to root). */
  workspaces: z.array(z.string()).optional(),
});
export type Project = z.infer<typeof Project>;

export const CiSystem = z.enum(['github-actions', 'gitlab-ci', 'azure-pipelines', 'circleci', 'jenkins']);
export type CiSystem = z.infer<typeof CiSystem>;

export const CiConfig = z.object({
  system: CiSystem,
  /** The config file, relative to root. */
  path: z.string(),
});
export type CiConfig = z.infer<typeof CiConfig>;

export const Severity = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type Severity = z.infer<typeof Severity>;

export const Risk = z.object({
  /**
   * Stable kind of risk: `secret`, `private-key`, `credentials-in-url`, `secret-in-test-data`
   * (keys in test fixtures, examples, docs or vendored code, or well-known test keys), `env-file`,
   * `large-file`, `missing-lockfile`, `no-lockfile-on-purpose` (info: the project's own
   * configuration turns lockfiles off), `no-tests`, `no-ci`, `no-gitignore`.
   */
  id: z.string(),
  severity: Severity,
  /** One line a user reads first ("AWS access key committed"). */
  title: z.string(),
  /** Where; secrets are never included, only redacted excerpts. Capped at 50 entries. */
  evidence: z.array(Evidence),
  /** What to do about it, in one sentence. */
  remedy: z.string().optional(),
  /**
   * Why the severity is what it is, when the project's own files lowered it or the context
   * decides it ("`package-lock=false` in .npmrc: no lockfile on purpose", "all in test fixtures").
   */
  reason: z.string().optional(),
});
export type Risk = z.infer<typeof Risk>;

export const NextStep = z.object({
  /** Stable id (`run-tests`, `rotate-secrets`, `add-ci`…). */
  id: z.string(),
  title: z.string(),
  /** Who acts: a NAVI action (a command id or CLI command) or the user by hand. */
  actor: z.enum(['navi', 'user']),
  /** For `navi` steps: the NAVI command that does it (`navi.runTests`, `navi test`); for user steps, what to do. */
  action: z.string().optional(),
});
export type NextStep = z.infer<typeof NextStep>;

export const SkippedEntry = z.object({
  path: z.string(),
  /**
   * Why: `symlink-outside-root`, `symlink-loop`, `unreadable`, `too-large` (not searched for
   * secrets), `special-file`, `binary`, `invalid-name` (not valid UTF-8; path shown with escapes).
   */
  reason: z.string(),
});
export type SkippedEntry = z.infer<typeof SkippedEntry>;

/** The first, fast part of a scan: sent as `navi/scanSummary` before the content checks finish. */
export const ScanSummary = z.object({
  /** Absolute, real path of the scanned directory. */
  root: z.string(),
  /** Milliseconds from the start of the scan until this summary was ready. */
  durationMs: z.number().nonnegative(),
  /** Whether the root is inside a git work tree. */
  git: z.boolean(),
  inventory: Inventory,
  projects: z.array(Project),
  ci: z.array(CiConfig),
});
export type ScanSummary = z.infer<typeof ScanSummary>;

export const ScanReport = ScanSummary.extend({
  /** Milliseconds from the start of the scan until the whole report was ready. */
  durationMs: z.number().nonnegative(),
  /** Sorted by severity (critical first). */
  risks: z.array(Risk),
  /** Ranked, most useful first. */
  nextSteps: z.array(NextStep),
  /** Entries the scan did not read or follow, with the reason; capped at 200 (see `skippedTotal`). */
  skipped: z.array(SkippedEntry),
  /** Total number of skipped entries, including those beyond the cap. */
  skippedTotal: z.number().int().nonnegative(),
  /**
   * Secret findings the repository accepted in its baseline file and the report leaves out.
   * Present only when the baseline file exists. It lowers what is reported, nothing else: the
   * output redactor and command policy ignore it.
   */
  hidden: z
    .object({
      /** How many findings the baseline hid. */
      count: z.number().int().nonnegative(),
      /** The baseline file, relative to root (`.navi/secrets-baseline`). */
      file: z.string(),
    })
    .optional(),
});
export type ScanReport = z.infer<typeof ScanReport>;
