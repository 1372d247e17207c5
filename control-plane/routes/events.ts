import type { FastifyPluginAsync } from 'fastify';
import { who, type RouteDeps } from '../app';
import { canReadOrg } from '../auth';
import { ingest } from '../ingest';
import { errors } from '../openapi';
import { cursorOf } from '../store/types';
import { FILTER_PROPERTIES, decodeCursor, encodeCursor, filterFor, type FilterQuery } from './filters';

const StoredEventSchema = {
  type: 'object',
  properties: {
    event: {
      type: 'object',
      additionalProperties: true,
      description: 'The event exactly as uploaded (components/schemas/AuditEvent)',
    },
    uploader: { type: 'string', description: 'Verified token subject that uploaded it' },
    receivedAt: { type: 'string', format: 'date-time', description: 'When the control plane committed it' },
  },
} as const;

const ChainSchema = {
  type: 'object',
  description: 'Hash-chain state after this batch',
  properties: {
    breaks: {
      type: 'array',
      description:
        'Events whose prevHash matches neither their session predecessor nor any stored event of the org',
      items: {
        type: 'object',
        properties: {
          sessionId: { type: 'string' },
          seq: { type: 'integer' },
          id: { type: 'string' },
          prevHash: { type: 'string' },
          expected: { type: 'string', description: 'hash of the stored event at seq - 1' },
        },
      },
    },
    gaps: {
      type: 'array',
      description: 'Sessions of the batch that miss seqs between 0 and their highest stored seq',
      items: {
        type: 'object',
        properties: {
          sessionId: { type: 'string' },
          missing: {
            type: 'array',
            description: 'inclusive [from, to] ranges, at most 100',
            items: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 2 },
          },
        },
      },
    },
  },
} as const;

/** Upload and listing of audit events, the control plane's own audit rows, and `whoami`. */
export function eventRoutes({ config, store, metrics }: RouteDeps): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: { events: unknown[] } }>(
      '/api/audit/events',
      {
        schema: {
          summary: 'Upload a batch of audit events (idempotent by org and event id)',
          description:
            `At most ${config.maxEventsPerBatch} events and ${config.bodyLimitBytes} bytes per request. ` +
            'Each event is validated with the AuditEvent schema and its hash recomputed. The batch is ' +
            'stored atomically and committed durably before the response. Re-sent events with identical ' +
            'content are reported as duplicates; an id (or session position) stored with other content ' +
            'makes the whole batch a 409, recorded as a control-plane `conflict` event.',
          tags: ['audit'],
          body: {
            type: 'object',
            required: ['events'],
            additionalProperties: false,
            properties: {
              events: {
                type: 'array',
                description: 'AuditEvent objects (components/schemas/AuditEvent), in any order',
                items: { type: 'object' },
              },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                inserted: { type: 'array', items: { type: 'string' }, description: 'ids stored now' },
                duplicates: {
                  type: 'array',
                  items: { type: 'string' },
                  description: 'ids already stored, same content',
                },
                chain: ChainSchema,
              },
            },
            ...errors(400, 401, 409, 413),
          },
        },
      },
      async (req, reply) => {
        const out = await ingest(store, who(req), req.body.events, config.maxEventsPerBatch, metrics);
        return reply.code(out.status).send(out.body);
      },
    );

    app.get<{ Querystring: FilterQuery & { cursor?: string; limit?: number } }>(
      '/api/audit/events',
      {
        schema: {
          summary: 'List audit events, oldest first, with cursor paging',
          description:
            'Order: (ts, sessionId, seq), stable and unique. Members see the events they uploaded; auditors ' +
            'and admins see the whole org. Pass `nextCursor` back as `cursor` for the next page.',
          tags: ['audit'],
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              ...FILTER_PROPERTIES,
              cursor: { type: 'string', maxLength: 1000, description: 'nextCursor of the previous page' },
              limit: {
                type: 'integer',
                minimum: 1,
                maximum: config.maxPageSize,
                description: `Events per page (default ${config.defaultPageSize})`,
              },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                events: { type: 'array', items: StoredEventSchema },
                nextCursor: { type: 'string', nullable: true, description: 'null on the last page' },
              },
            },
            ...errors(400, 401),
          },
        },
      },
      async (req) => {
        const id = who(req);
        const limit = req.query.limit ?? config.defaultPageSize;
        const after = req.query.cursor ? decodeCursor(req.query.cursor) : null;
        const rows = await store.listEvents(id.orgId, filterFor(id, req.query), after, limit + 1);
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          events: page.map((e) => ({
            event: JSON.parse(e.content),
            uploader: e.uploader,
            receivedAt: e.receivedAt,
          })),
          nextCursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null,
        };
      },
    );

    app.get<{ Querystring: { after?: number; limit?: number } }>(
      '/api/audit/control-events',
      {
        schema: {
          summary: "The control plane's own audit rows (conflicts, exports, policy changes, chain breaks)",
          description: 'Auditors and admins only. Ordered by `pos`; pass the last `pos` as `after`.',
          tags: ['audit'],
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              after: { type: 'integer', minimum: 0, description: 'Return rows with pos greater than this' },
              limit: { type: 'integer', minimum: 1, maximum: config.maxPageSize },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                events: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      pos: { type: 'integer' },
                      id: { type: 'string' },
                      ts: { type: 'string' },
                      kind: {
                        type: 'string',
                        description: 'conflict | export | policy.changed | chain.broken',
                      },
                      actor: { type: 'string', description: 'verified subject that caused it' },
                      data: { type: 'object', additionalProperties: true },
                    },
                  },
                },
              },
            },
            ...errors(400, 401, 403),
          },
        },
      },
      async (req, reply) => {
        const id = who(req);
        if (!canReadOrg(id))
          return reply.code(403).send({ error: 'forbidden', message: 'needs the auditor or admin role' });
        const rows = await store.listControlEvents(
          id.orgId,
          req.query.after ?? 0,
          req.query.limit ?? config.defaultPageSize,
        );
        return { events: rows.map(({ orgId: _org, ...rest }) => rest) };
      },
    );

    app.get(
      '/api/me',
      {
        schema: {
          summary: 'Who the token says the caller is',
          tags: ['identity'],
          response: {
            200: {
              type: 'object',
              properties: {
                org: { type: 'string' },
                sub: { type: 'string' },
                email: { type: 'string' },
                name: { type: 'string' },
                roles: { type: 'array', items: { type: 'string', enum: ['member', 'auditor', 'admin'] } },
                clientId: { type: 'string' },
                tokenType: { type: 'string', enum: ['access', 'id'] },
              },
            },
            ...errors(401),
          },
        },
      },
      async (req) => {
        const { orgId, ...rest } = who(req);
        return { org: orgId, ...rest };
      },
    );
  };
}
