import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { ScanParams } from '../../../protocol/requests';
import type { ScanReport, ScanSummary } from '../../../protocol/scanReport';
import type { ScanContext } from '../../../server/taskContext';
import { scan } from '../../../server/tasks/scan';

/** What a scan did, seen through fake ports. */
export interface ScanRun {
  report: ScanReport;
  summaries: ScanSummary[];
  progress: { message: string; percentage?: number }[];
  logs: string[];
}

export interface ScanHooks {
  signal?: AbortSignal;
  onSummary?: (summary: ScanSummary) => void;
  onProgress?: (message: string, percentage?: number) => void;
  params?: Partial<ScanParams>;
}

/** Runs the real scan with recording fakes for the ports. */
export async function runScan(root: string, hooks: ScanHooks = {}): Promise<ScanRun> {
  const summaries: ScanSummary[] = [];
  const progress: ScanRun['progress'] = [];
  const logs: string[] = [];
  const record = (level: string) => (message: string, error?: unknown) =>
    logs.push(`${level} ${message}${error === undefined ? '' : ` ${String(error)}`}`);
  const ctx: ScanContext = {
    signal: hooks.signal ?? new AbortController().signal,
    progress: {
      report(message, percentage) {
        progress.push({ message, percentage });
        hooks.onProgress?.(message, percentage);
      },
    },
    log: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
    onSummary(summary) {
      summaries.push(summary);
      hooks.onSummary?.(summary);
    },
  };
  const report = await scan({ root, scanId: 'test', ...hooks.params }, ctx);
  return { report, summaries, progress, logs };
}

export const riskIds = (report: ScanReport) => report.risks.map((r) => r.id);
export const riskOf = (report: ScanReport, id: string) => report.risks.find((r) => r.id === id);

/**
 * Runs the scan in a fresh Node process (through tsx) and returns what that process printed: the
 * report as JSON on stdout, nothing else. With `asNobody`, runs it as uid/gid 65534 via setpriv.
 */
export function scanInChildProcess(root: string, options: { asNobody?: boolean } = {}) {
  const program = [
    'const m = await import(process.argv[1]);',
    'const scan = m.scan ?? m.default.scan;',
    'const noop = () => {};',
    'const log = { debug: noop, info: noop, warn: noop, error: noop };',
    'const ctx = { signal: new AbortController().signal, progress: { report: noop }, log, onSummary: noop };',
    "const report = await scan({ root: process.argv[2], scanId: 'child' }, ctx);",
    'process.stdout.write(JSON.stringify(report));',
  ].join('\n');
  const node = [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    program,
    path.resolve('server/tasks/scan.ts'),
    root,
  ];
  const [command, args] = options.asNobody
    ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...node]]
    : [process.execPath, node];
  return spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, HOME: root } });
}
