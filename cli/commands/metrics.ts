import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { MetricsResult, TaskCategoryMetrics } from '../../protocol/metrics';
import { defaultCliAuditPath } from '../../server/audit/log';
import { metricsOfAuditLog } from '../../server/metrics/read';
import { EXIT, UsageError } from '../common';

/** One line for the `navi` command table. */
export const METRICS_SUMMARY =
  'KPIs from the audit trail: tasks, approvals by rule, fixes, time to first win.';

export const METRICS_HELP = `Usage:
  navi metrics [PATH] [--json]

Reads an audit log (PATH; default $XDG_STATE_HOME/navi/audit.ndjson, else
~/.local/state/navi/audit.ndjson, the CLI's log; VS Code's is audit.ndjson in the extension's
global storage folder), verifies its hash chain and prints, from the events that verify:
  - tasks by category (scan, fix, test, start, command): how many finished, success rate,
    error rate, p50 and p95 duration;
  - commands allowed (by the policy), approved (by a person or --yes) and denied, by rule;
  - fixes verified, kept and rolled back;
  - time to first win (VS Code: the NAVI panel first opened in a workspace → its first verified
    result), the latest and the median over workspaces.
Nothing after a broken link counts ("navi audit verify" says where and why). No agent is started.
The org upload state is shown in VS Code's Metrics card and by "navi audit upload".

Options:
  --json   Print the numbers as JSON (the navi/metrics result, docs/protocol.md).

Exit codes: 0 success (also for an empty or missing log), 1 broken chain or unreadable log, 2 bad usage.`;

export interface MetricsIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** `navi metrics …` (args after `metrics`). */
export async function metricsCommand(args: string[], io: MetricsIo = process): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      io.stdout.write(`${METRICS_HELP}\n`);
      return EXIT.ok;
    }
    if (positionals.length > 1) throw new UsageError('navi metrics takes one audit log path at most.');
    const file = path.resolve(positionals[0] ?? defaultCliAuditPath());
    const result = await metricsOfAuditLog(file);
    io.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatMetrics(result));
    return result.verified ? EXIT.ok : EXIT.failure;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`navi: ${(error as Error).message}\nRun "navi metrics --help" for usage.\n`);
      return EXIT.usage;
    }
    const code = (error as NodeJS.ErrnoException).code;
    io.stderr.write(
      `navi: ${code === 'EACCES' ? 'cannot read the audit log: permission denied.' : code === 'EISDIR' ? 'that path is a directory, not an audit log.' : error instanceof Error ? error.message : String(error)}\n`,
    );
    return EXIT.failure;
  }
}

const pct = (r: number | null) => (r === null ? '—' : `${Math.round(r * 1000) / 10}%`);

const FIRST_WIN_VIA: Record<NonNullable<MetricsResult['firstWin']['latest']>['via'], string> = {
  fix: 'a verified fix',
  test: 'tests passed',
  start: 'the app answered',
};

/** Milliseconds as people read them: 850 ms, 4.2 s, 3 min 5 s. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function taskRow(t: TaskCategoryMetrics): string[] {
  if (!t.recorded) return [t.category, 'not recorded', '', '', '', ''];
  return [
    t.category,
    String(t.count) + (t.unfinished ? ` (+${t.unfinished} unfinished)` : ''),
    pct(t.successRate),
    pct(t.errorRate),
    formatDuration(t.p50Ms),
    formatDuration(t.p95Ms),
  ];
}

/** The readable report `navi metrics` prints. */
export function formatMetrics(m: MetricsResult): string {
  const out: string[] = [];
  if (!m.exists) return `No audit log at ${m.auditLog}: nothing has been recorded there yet.\n`;
  out.push(
    `Audit log ${m.auditLog}: ${m.events} events${m.firstEventAt ? ` from ${m.firstEventAt} to ${m.lastEventAt}` : ''}.`,
  );
  if (m.brokenAt)
    out.push(
      `WARNING: the chain is broken at line ${m.brokenAt.line} (${m.brokenAt.reason}); nothing from there on is counted.`,
    );
  out.push(
    '',
    'Tasks',
    table(['category', 'count', 'success', 'errors', 'p50', 'p95'], m.tasks.map(taskRow)),
  );
  const c = m.commands;
  out.push(
    '',
    `Commands: ${c.allowed} allowed by the policy, ${c.approved} approved, ${c.denied} denied`,
    c.byRule.length
      ? table(
          ['rule', 'allowed', 'approved', 'denied'],
          c.byRule.map((r) => [r.ruleId, String(r.allowed), String(r.approved), String(r.denied)]),
        )
      : '(no command was decided)',
  );
  const f = m.fixes;
  out.push(
    '',
    `Fixes: ${f.verified} verified, ${f.failedVerification} failed verification, ${f.kept} kept, ${f.rolledBack} rolled back`,
  );
  const w = m.firstWin;
  out.push(
    '',
    w.latest
      ? `Time to first win: ${formatDuration(w.latest.durationMs)} (${FIRST_WIN_VIA[w.latest.via]}, ${w.latest.at})${
          w.workspaces > 1 ? `; median ${formatDuration(w.p50Ms)} over ${w.workspaces} workspaces` : ''
        }`
      : 'Time to first win: none recorded yet',
  );
  if (m.org)
    out.push(
      '',
      `Org upload (${m.org.org ?? 'org'}): ${m.org.pending} pending, last upload ${m.org.lastUploadAt ?? 'never'}${m.org.lastError ? `, last error: ${m.org.lastError}` : ''}`,
    );
  return `${out.join('\n')}\n`;
}
