import { AuditEvent } from '../../protocol/audit';
import { readAuditLines } from './log';

export const AUDIT_EXPORT_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

export interface AuditExportOptions {
  /** `json`: one array; `ndjson`: one event per line, as stored; `csv`: RFC 4180, spreadsheet-safe. */
  format: AuditExportFormat;
  /** Only events whose `ts` is at or after this instant. */
  since?: Date;
}

/** The CSV header, in column order. */
export const CSV_COLUMNS = [
  'id',
  'sessionId',
  'seq',
  'ts',
  'type',
  'actor.kind',
  'actor.id',
  'workspace',
  'summary',
  'data',
  'prevHash',
  'hash',
] as const;

/** A complete line of the log that is not a valid event: export stops there. */
export class AuditExportError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'AuditExportError';
  }
}

const CHUNK_CHARS = 64 * 1024;

/**
 * Streams the events of a log, oldest first, as text chunks of the chosen format. It does not
 * verify the chain (that is `verifyAuditLog`); it skips torn writes (lines that are not JSON)
 * and throws AuditExportError at a JSON line that is not a valid event. `ndjson` and `json`
 * carry each event exactly as stored (canonical JSON), so exported events can be re-hashed.
 */
export async function* exportAudit(file: string, opts: AuditExportOptions): AsyncGenerator<string> {
  if (!AUDIT_EXPORT_FORMATS.includes(opts.format))
    throw new TypeError(`unknown format ${String(opts.format)}`);
  const since = opts.since?.getTime();
  if (since !== undefined && Number.isNaN(since)) throw new TypeError('since is not a valid date');
  let out = opts.format === 'json' ? '[' : opts.format === 'csv' ? csvRow(CSV_COLUMNS) : '';
  let first = true;
  for await (const raw of readAuditLines(file)) {
    const text = raw.bytes.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      continue; // a torn write is not an event
    }
    const parsed = AuditEvent.safeParse(value);
    if (!parsed.success) {
      throw new AuditExportError(
        raw.line,
        `line ${raw.line} is not a valid audit event (${parsed.error.issues[0]?.message}); run "navi audit verify"`,
      );
    }
    const event = parsed.data;
    if (since !== undefined && Date.parse(event.ts) < since) continue;
    if (opts.format === 'ndjson') out += `${text}\n`;
    else if (opts.format === 'json') out += `${first ? '\n' : ',\n'}${text}`;
    else out += csvRow(csvFields(event));
    first = false;
    if (out.length >= CHUNK_CHARS) {
      yield out;
      out = '';
    }
  }
  if (opts.format === 'json') out += first ? ']\n' : '\n]\n';
  if (out) yield out;
}

/** The CSV cells of one event, in CSV_COLUMNS order (before quoting). */
export function csvFields(event: AuditEvent): string[] {
  return [
    event.id,
    event.sessionId,
    String(event.seq),
    event.ts,
    event.type,
    event.actor.kind,
    event.actor.id ?? '',
    event.workspace ?? '',
    summarizeAuditEvent(event),
    JSON.stringify(event.data),
    event.prevHash,
    event.hash,
  ];
}

/** One CSV record: cells neutralised and quoted, CRLF-terminated (RFC 4180). */
export function csvRow(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * One CSV cell. A cell a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`,
 * tab or CR; OWASP "CSV injection") gets a leading `'` so it shows as text; then a cell with a
 * comma, quote, CR or LF is quoted, its quotes doubled (RFC 4180).
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const MAX_SUMMARY = 500;

/** One line for a person reading an export ("deny: deletes files outside the workspace"). */
export function summarizeAuditEvent(event: AuditEvent): string {
  const text = summary(event);
  return text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY - 1)}…` : text;
}

function summary(event: AuditEvent): string {
  switch (event.type) {
    case 'session.started': {
      const d = event.data;
      return `NAVI ${d.agentVersion} started${d.client ? ` (${d.client})` : ''}, pid ${d.pid}, ${d.platform}/${d.arch}`;
    }
    case 'command.proposed':
      return `${event.data.proposer} proposed: ${event.data.command}`;
    case 'command.verdict':
      return verdictSummary(event.data.verdict, event.data);
    case 'edit.verdict':
      return verdictSummary(`${event.data.verdict} edit of ${event.data.path}`, event.data);
    case 'command.approved':
    case 'command.denied': {
      const d = event.data;
      const verb = event.type === 'command.approved' ? 'approved' : 'denied';
      return `${verb} ${d.scope} by ${d.by}${d.expiresAt ? ` until ${d.expiresAt}` : ''}`;
    }
    case 'command.executed': {
      const d = event.data;
      const end =
        d.exitCode !== null ? `exit ${d.exitCode}` : d.signal ? `killed by ${d.signal}` : 'did not start';
      const flags = [
        d.timedOut && 'timed out',
        d.cancelled && 'cancelled',
        d.sandboxed ? 'sandboxed' : 'not sandboxed',
      ];
      return `${end} after ${d.durationMs} ms, ${flags.filter(Boolean).join(', ')}, ${d.output.bytes} bytes of output`;
    }
    case 'policy.changed': {
      const d = event.data;
      return d.sha256 === null
        ? `${d.layer} policy removed: ${d.path}`
        : `${d.layer} policy changed: ${d.path} (${d.ruleIds.length} rules)`;
    }
    case 'edit.proposed':
      return `${event.data.proposer} proposed an edit of ${event.data.path}`;
    case 'edit.applied':
      return `${event.data.fixer} changed ${event.data.path} (${event.data.fixId})`;
    case 'edit.kept':
      return `kept ${event.data.fixId}: ${event.data.paths.join(', ')}`;
    case 'edit.rolledBack':
      return `rolled back ${event.data.fixId} (${event.data.reason}): ${event.data.paths.join(', ')}${
        event.data.conflicts.length ? `; kept the user's ${event.data.conflicts.join(', ')}` : ''
      }`;
    case 'receipt.issued':
      return `receipt ${event.data.receiptId} (${event.data.result}) for ${event.data.fixId}: ${event.data.paths.join(', ')}`;
    case 'alwaysAllow.revoked':
      return `revoked always allow ${event.data.entryId}: ${event.data.argv.join(' ')}`;
    case 'onboarding.firstWin':
      return `first win (${event.data.via}) ${event.data.durationMs} ms after the panel was first opened`;
    case 'profile.confirmed':
      return `profile confirmed: ${event.data.commands.map((c) => `${c.project} ${c.kind}: ${c.command}`).join('; ')}`;
    case 'task.started':
      return `${event.data.task} started in ${event.data.project}: ${event.data.command}`;
    case 'task.finished': {
      const d = event.data;
      const t = d.totals;
      const counts = t
        ? `: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped, ${t.todo} todo`
        : '';
      return `${d.task} ${d.status} after ${d.durationMs} ms${counts}${d.url ? ` at ${d.url}` : ''}`;
    }
  }
}

function verdictSummary(head: string, d: { reasons: string[]; ruleIds: string[] }): string {
  const reasons = d.reasons.length ? `: ${d.reasons.join('; ')}` : '';
  const rules = d.ruleIds.length ? ` [${d.ruleIds.join(', ')}]` : '';
  return `${head}${reasons}${rules}`;
}
