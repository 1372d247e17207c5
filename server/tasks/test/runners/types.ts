import type { TestCaseResult, TestRunnerId, TestTotals } from '../../../../protocol/testing';

/**
 * One test runner: how to recognise its command, how to ask it for machine-readable results, and
 * how to read them back. Adapters are pure: they never run anything themselves (the test task
 * runs the instrumented argv through the safe command pipeline).
 */

export interface InstrumentOptions {
  /** Absolute directory, writable by the command (bind-mounted into the sandbox), for report files. */
  reportDir: string;
  /** Project directory (the command's cwd), absolute. */
  cwd: string;
  /**
   * Absolute directory kept from one run of this workspace's tests to the next, writable by the
   * command, for a runner whose cache would otherwise start empty in the sandbox's private /tmp.
   */
  cacheDir?: string;
  /** Run only these test files (absolute paths). */
  files?: readonly string[];
  /**
   * Run only these tests: each is the test's suites and title joined by ` > `, as in
   * `TestCaseResult.id` after its `::` (exact titles, not patterns; `splitTestName` splits them).
   */
  testNames?: readonly string[];
}

export interface Instrumented {
  /** The argv to run instead (same program, reporter options added, filters added). */
  argv: string[];
  /** Extra environment variables the runner needs (no secrets; may be empty). */
  env?: Record<string, string>;
  /** Report files the parser reads after the command ends (inside reportDir). */
  reports: string[];
  /**
   * Report files the build writes inside the project instead of reportDir (Maven's
   * `target/surefire-reports/TEST-*.xml`, Gradle's `build/test-results/<task>/TEST-*.xml`): glob
   * patterns relative to cwd, `/`-separated, `**` for any number of folders, `*` within one name.
   * The caller expands them after the command ends (`expandReportGlobs` in common.ts, which skips
   * files older than the step) and passes the matches in `ParseInput.reports` with the `reports`.
   */
  reportGlobs?: string[];
}

export interface ParseInput {
  /** Project directory (cwd of the step), absolute. */
  cwd: string;
  /** Workspace root, absolute: stack frames outside it are dropped. */
  workspaceRoot: string;
  /** Step index, copied into every TestCaseResult.step. */
  step: number;
  /** The report files from `Instrumented.reports` (those that exist), by path, as UTF-8 text. */
  reports: ReadonlyMap<string, string>;
  /** Full redacted stdout of the step (bounded by the caller; may be truncated for huge runs). */
  stdout: string;
  /** Full redacted stderr of the step (bounded likewise). */
  stderr: string;
  exitCode: number | null;
  /**
   * When the step started (ms since the epoch, `Date.now()`). Adapters whose reports live in the
   * project (`reportGlobs`) ignore report files last modified before it (less a second for coarse
   * file-system clocks): those are left over from an earlier run, not results of this one.
   */
  startedAtMs?: number;
}

export interface ParsedTests {
  tests: TestCaseResult[];
  /** Totals as the runner counts them (the runner's own numbers when it prints a summary). */
  totals: TestTotals;
  /** `machine` when read from a structured report, `text` for the best-effort text parse. */
  parsedFrom: 'machine' | 'text';
  /**
   * Errors outside any test (a file that failed to load, a crash), one sentence each: the step is
   * reported as `error` when there are no tests and this is non-empty.
   */
  errors: string[];
}

export interface RunnerAdapter {
  id: TestRunnerId;
  /**
   * Whether argv invokes this runner. argv[0] is the program as written (`mocha`,
   * `./node_modules/.bin/jest`, `npx vitest`, `node`, `python3`, `go`, `cargo`, `mvn`, `./gradlew`).
   */
  matches(argv: readonly string[]): boolean;
  /** Adds the options for machine-readable output (and the file / name filters). */
  instrument(argv: readonly string[], options: InstrumentOptions): Instrumented;
  /** Reads the results back. Never throws on malformed input: it reports what it could read and an error. */
  parse(input: ParseInput): ParsedTests;
}
