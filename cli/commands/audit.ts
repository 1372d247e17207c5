import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { AUDIT_EXPORT_FORMATS, exportAudit, type AuditExportFormat } from '../../server/audit/export';
import { defaultCliAuditPath } from '../../server/audit/log';
import { verifyAuditLog, type AuditLogProblem } from '../../server/audit/verify';
import { EXIT, UsageError } from '../common';
import { auditUploadCommand } from './auditUpload';

/** One line for the `navi` command table. */
export const AUDIT_SUMMARY = 'Verify, export or upload the local, hash-chained audit trail.';

export const AUDIT_HELP = `Usage:
  navi audit verify [--audit-log FILE] [--json]
  navi audit export --format json|ndjson|csv [--since DATE] [--audit-log FILE] [--output FILE]
  navi audit upload [--control-plane URL] [--timeout SECONDS] [--audit-log FILE] [--json]

NAVI records what it proposed, decided and ran in a local append-only log, each event
hash-chained to the one before it (docs/audit.md). These commands read the file directly;
no agent is started.

Commands:
  verify    Check every event: it matches the schema, its hash recomputes, it links to the
            event before it, ids are unique, and seq and timestamps run in order within each
            session. Exit 0 when the chain verifies (a torn line left by a crash is a warning),
            1 at the first broken link, printed with its line, event id, seq and reason.
  export    Print the events, oldest first. Does not verify: run verify first.
  upload    Send the events the org's control plane does not have yet (starts an agent;
            "navi audit upload --help" for its options).

Options:
  --audit-log FILE  The log to read. Default: $XDG_STATE_HOME/navi/audit.ndjson, else
                    ~/.local/state/navi/audit.ndjson (the CLI's log). VS Code's log is
                    audit.ndjson in the extension's global storage folder.
  --json            verify: print the result as JSON.
  --format FORMAT   export: json (one array), ndjson (one event per line, as stored) or csv
                    (RFC 4180; cells that start with = + - @ tab or CR get a leading ').
  --since DATE      export: only events at or after DATE, ISO-8601: 2025-05-01 (midnight UTC),
                    2025-05-01T09:30:00Z or 2025-05-01T09:30:00+02:00.
  --output FILE     export: write to FILE (created with mode 0600) instead of stdout.

Exit codes: 0 success, 1 failure (broken chain, unreadable log), 2 bad usage.`;

export interface AuditIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** `navi audit …` (args after `audit`). Never throws for bad usage: prints it and returns 2. */
export async function auditCommand(args: string[], io: AuditIo): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === undefined) throw new UsageError('navi audit needs a command: verify or export.');
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      io.stdout.write(`${AUDIT_HELP}\n`);
      return EXIT.ok;
    }
    if (sub === 'verify') return await verifyCommand(rest, io);
    if (sub === 'export') return await exportCommand(rest, io);
    if (sub === 'upload') return await auditUploadCommand(rest, io);
    throw new UsageError(`Unknown audit command "${sub}" (verify, export or upload).`);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr.write(`navi: ${(error as Error).message}\nRun "navi audit --help" for usage.\n`);
      return EXIT.usage;
    }
    io.stderr.write(`navi: ${describeError(error)}\n`);
    return EXIT.failure;
  }
}

async function verifyCommand(args: string[], io: AuditIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      'audit-log': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(`${AUDIT_HELP}\n`);
    return EXIT.ok;
  }
  const file = logPath(values['audit-log']);
  const result = await verifyAuditLog(file);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ file, ...result }, null, 2)}\n`);
    return result.ok ? EXIT.ok : EXIT.failure;
  }
  for (const w of result.warnings) io.stderr.write(`navi: warning: ${describe(w)}\n`);
  const counts = `${plural(result.events, 'event')} in ${plural(result.sessions, 'session')}`;
  if (result.ok) {
    io.stdout.write(`Audit log ${file} verifies: ${counts}, chain head ${result.headHash}.\n`);
    return EXIT.ok;
  }
  const broken = result.firstBroken!;
  io.stdout.write(
    `Audit log ${file} is BROKEN at ${describe(broken)}\n` +
      `The ${counts} before line ${broken.line} verify; nothing from line ${broken.line} on can be trusted.\n`,
  );
  return EXIT.failure;
}

async function exportCommand(args: string[], io: AuditIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      'audit-log': { type: 'string' },
      format: { type: 'string' },
      since: { type: 'string' },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(`${AUDIT_HELP}\n`);
    return EXIT.ok;
  }
  if (values.format === undefined) throw new UsageError('navi audit export needs --format json|ndjson|csv.');
  if (!(AUDIT_EXPORT_FORMATS as readonly string[]).includes(values.format)) {
    throw new UsageError(
      `--format must be one of ${AUDIT_EXPORT_FORMATS.join(', ')}, got "${values.format}".`,
    );
  }
  const format = values.format as AuditExportFormat;
  const since = values.since === undefined ? undefined : parseSince(values.since);
  const file = logPath(values['audit-log']);
  // Fail on a missing log before creating the output file.
  await fs.promises.access(file, fs.constants.R_OK);

  const chunks = exportAudit(file, { format, ...(since ? { since } : {}) });
  if (values.output === undefined) {
    for await (const chunk of chunks) await write(io.stdout, chunk);
    return EXIT.ok;
  }
  const output = path.resolve(values.output);
  await pipeline(Readable.from(chunks), fs.createWriteStream(output, { mode: 0o600 }));
  io.stderr.write(`navi: exported ${format} to ${output}\n`);
  return EXIT.ok;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * `--since`: an ISO-8601 date (midnight UTC) or date-time with `Z` or an offset. A date-time
 * without a zone is refused rather than guessed (ISO reads it as local time, people often mean UTC).
 */
export function parseSince(text: string): Date {
  const date = ISO_DATE.exec(text);
  const dateTime = ISO_DATE_TIME.exec(text);
  const parts = date ?? dateTime;
  if (!parts) {
    throw new UsageError(
      `--since must be an ISO-8601 date like 2025-05-01 or 2025-05-01T09:30:00Z, got "${text}".`,
    );
  }
  if (dateTime && dateTime[7] === undefined) {
    throw new UsageError(`--since "${text}" has no time zone: add Z (UTC) or an offset such as +02:00.`);
  }
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const [hour, minute, second] = [
    Number(dateTime?.[4] ?? 0),
    Number(dateTime?.[5] ?? 0),
    Number(dateTime?.[6] ?? 0),
  ];
  const valid =
    month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour < 24 && minute < 60 && second < 60;
  // Date.parse wants the offset with a colon.
  const normalized = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const result = new Date(normalized);
  if (!valid || Number.isNaN(result.getTime()))
    throw new UsageError(`--since "${text}" is not a valid date.`);
  return result;
}

function logPath(flag: string | undefined): string {
  if (flag === '') throw new UsageError('--audit-log needs a file name.');
  return path.resolve(flag ?? defaultCliAuditPath());
}

function describe(p: AuditLogProblem): string {
  const ids = [
    p.eventId && `event ${p.eventId}`,
    p.sessionId && `session ${p.sessionId}`,
    p.seq !== undefined && `seq ${p.seq}`,
  ].filter(Boolean);
  return `line ${p.line}${ids.length ? ` (${ids.join(', ')})` : ''}: ${p.reason}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function write(stream: NodeJS.WritableStream, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

function isParseArgsError(error: unknown): boolean {
  return error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
}

function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const file = (error as NodeJS.ErrnoException | undefined)?.path;
  if (code === 'ENOENT' && file) return `no audit log at ${file} (nothing has been recorded there).`;
  if (code === 'EACCES' && file) return `cannot read ${file}: permission denied.`;
  if (code === 'EISDIR' && file) return `${file} is a directory, not an audit log.`;
  return error instanceof Error ? error.message : String(error);
}
