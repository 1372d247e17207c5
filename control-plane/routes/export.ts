import type { FastifyPluginAsync } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { who, type RouteDeps } from '../app';
import { canReadOrg } from '../auth';
import { CONTENT_TYPES, EXPORT_FORMATS, exportChunks, type ExportFormat } from '../exportFormat';
import { errors } from '../openapi';
import { FILTER_PROPERTIES, filterFor, type FilterQuery } from './filters';

/**
 * `GET /api/audit/export`: the org's events (auditors and admins) streamed from one snapshot,
 * in listing order. Each export is recorded as a control-plane `export` row before the first
 * byte is sent, and an `export.completed` row (with the count) when the stream ends.
 */
export function exportRoutes({ store, metrics }: RouteDeps): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Querystring: FilterQuery & { format: ExportFormat } }>(
      '/api/audit/export',
      {
        schema: {
          summary: 'Export audit events as JSON, NDJSON or CSV (streamed)',
          description:
            'Auditors and admins. Constant memory on the server whatever the size; the client receives ' +
            'a chunked body. CSV cells that a spreadsheet would read as a formula are prefixed with an ' +
            'apostrophe. JSON and NDJSON carry each event exactly as uploaded (re-hashable).',
          tags: ['audit'],
          querystring: {
            type: 'object',
            required: ['format'],
            additionalProperties: false,
            properties: { format: { type: 'string', enum: [...EXPORT_FORMATS] }, ...FILTER_PROPERTIES },
          },
          produces: Object.values(CONTENT_TYPES),
          response: { 200: { type: 'string', description: 'the export' }, ...errors(400, 401, 403) },
        },
      },
      async (req, reply) => {
        const id = who(req);
        if (!canReadOrg(id))
          return reply
            .code(403)
            .send({ error: 'forbidden', message: 'exports need the auditor or admin role' });
        const { format, ...query } = req.query;
        const filter = filterFor(id, query);
        const exportId = randomUUID();
        await store.appendControlEvent({
          id: exportId,
          orgId: id.orgId,
          ts: new Date().toISOString(),
          kind: 'export',
          actor: id.sub,
          data: { format, filter, clientId: id.clientId },
        });
        metrics.exports.inc({ format });
        const progress = { events: 0 };
        const body = Readable.from(exportChunks(store, id.orgId, filter, format, progress), {
          objectMode: false,
          highWaterMark: 64 * 1024,
        });
        body.on('close', () => {
          store
            .appendControlEvent({
              id: randomUUID(),
              orgId: id.orgId,
              ts: new Date().toISOString(),
              kind: 'export.completed',
              actor: id.sub,
              data: { exportId, events: progress.events, complete: body.readableEnded },
            })
            .catch((err: unknown) => req.log.error({ err }, 'could not record the end of an export'));
        });
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        return reply
          .header('Content-Type', CONTENT_TYPES[format])
          .header('Content-Disposition', `attachment; filename="navi-audit-${id.orgId}-${stamp}.${format}"`)
          .header('Cache-Control', 'no-store')
          .send(body);
      },
    );
  };
}
