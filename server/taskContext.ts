import type { ScanSummary } from '../protocol/scanReport';

/**
 * Ports a task sees. Tasks never see the JSON-RPC connection: server/main.ts builds the real
 * ports, the CLI and VS Code get the same behaviour, and unit tests pass fakes.
 */

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  /** Unexpected failures: include the error so its stack reaches the log. */
  error(message: string, error?: unknown): void;
}

export interface Progress {
  /** Report what the task is doing; `percentage` 0..100 when known. Cheap to call often (throttled). */
  report(message: string, percentage?: number): void;
}

export interface TaskContext {
  /** Aborted when the client cancels; tasks check it between units of work and stop promptly. */
  signal: AbortSignal;
  progress: Progress;
  log: Logger;
}

export interface ScanContext extends TaskContext {
  /** Called once, as soon as inventory, projects and CI are known (before content checks). */
  onSummary(summary: ScanSummary): void;
}

/** A logger that drops everything: for tests and benchmarks that do not look at logs. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** A progress sink that drops everything. */
export const noProgress: Progress = { report() {} };
