import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../app';

/**
 * Unauthenticated operational routes: liveness, readiness (the store answers) and Prometheus
 * metrics. They reveal no org, user or event data.
 */
export function healthRoutes({ store, metrics }: RouteDeps): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          summary: 'Liveness: the process serves HTTP',
          tags: ['operations'],
          security: [],
          response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } },
        },
      },
      async () => ({ status: 'ok' }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          summary: 'Readiness: the store answers a query',
          tags: ['operations'],
          security: [],
          response: {
            200: {
              type: 'object',
              properties: { status: { type: 'string', enum: ['ready'] }, store: { type: 'string' } },
            },
            503: {
              type: 'object',
              properties: { status: { type: 'string', enum: ['unavailable'] }, store: { type: 'string' } },
            },
          },
        },
      },
      async (req, reply) => {
        try {
          await store.ping();
          return { status: 'ready', store: store.kind };
        } catch (err) {
          req.log.warn({ err }, 'store not reachable');
          return reply.code(503).send({ status: 'unavailable', store: store.kind });
        }
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics (text exposition format)',
          tags: ['operations'],
          security: [],
          produces: ['text/plain'],
          response: { 200: { type: 'string' } },
        },
      },
      async (_req, reply) => {
        reply.header('Content-Type', metrics.registry.contentType);
        return metrics.registry.metrics();
      },
    );
  };
}
