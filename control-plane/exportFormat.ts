import type { AuditEvent } from '../protocol/audit';
import { CSV_COLUMNS, csvFields, csvRow } from '../server/audit/export';
import type { EventFilter, Store, StoredEvent } from './store/types';

/**
 * The export's text, produced slice by slice from a store snapshot so memory stays constant
 * whatever the number of events: the caller wraps this generator in a Readable, which asks for
 * the next chunk only when the socket has drained (backpressure).
 *
 * - `ndjson`: one event per line, exactly as uploaded (RFC 8785 canonical JSON), so every line can
 *   be re-hashed and checked like a local `navi audit export`.
 * - `json`: the same events as one JSON array.
 * - `csv`: the local export's columns (server/audit/export.ts) plus `uploader` (verified subject
 *   that uploaded the event) and `receivedAt`; RFC 4180 with CRLF, cells a spreadsheet would read
 *   as a formula prefixed with `'`.
 */
export const EXPORT_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CSV_COLUMNS = [...CSV_COLUMNS, 'uploader', 'receivedAt'] as const;

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

export interface ExportProgress {
  events: number;
}

/**
 * Chunks stay small (about 16 K characters): a string over ~128 KB lands in V8's large-object
 * space, which only a full GC frees, so big chunks would make the heap grow with the export.
 */
const CHUNK_CHARS = 16 * 1024;

export async function* exportChunks(
  store: Store,
  orgId: string,
  filter: EventFilter,
  format: ExportFormat,
  progress: ExportProgress,
): AsyncGenerator<string> {
  let out = format === 'csv' ? csvRow(EXPORT_CSV_COLUMNS) : format === 'json' ? '[' : '';
  for await (const slice of store.streamEvents(orgId, filter)) {
    for (const e of slice) {
      if (format === 'ndjson') out += `${e.content}\n`;
      else if (format === 'json') out += `${progress.events === 0 ? '\n' : ',\n'}${e.content}`;
      else out += csvRow(csvCells(e));
      progress.events++;
      if (out.length >= CHUNK_CHARS) {
        yield out;
        out = '';
      }
    }
  }
  if (format === 'json') out += progress.events === 0 ? ']\n' : '\n]\n';
  if (out) yield out;
}

function csvCells(e: StoredEvent): string[] {
  // Stored content passed the schema on upload; the store is append-only, so parse without re-validating.
  return [...csvFields(JSON.parse(e.content) as AuditEvent), e.uploader, e.receivedAt];
}
