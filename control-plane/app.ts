import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { AuthError, TokenVerifier, type Identity } from './auth';
import type { Config } from './config';
import { findIdentityField } from './identityFields';
import { Metrics } from './metrics';
import { OPENAPI_INFO } from './openapi';
import { OrgRegistry, checkFileOrgs, orgRecord } from './registry';
import { eventRoutes } from './routes/events';
import { exportRoutes } from './routes/export';
import { healthRoutes } from './routes/health';
import { policyRoutes } from './routes/policy';
import type { Store } from './store/types';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every /api/ route, from the verified token only. */
    identity?: Identity;
  }
}

/** The verified caller of an /api/ route (the auth hook guarantees it is set). */
export function who(req: FastifyRequest): Identity {
  if (!req.identity) throw new AuthError('not authenticated');
  return req.identity;
}

export interface AppDeps {
  config: Config;
  store: Store;
  /** Where pino writes (default stdout); tests pass a stream to inspect logs. */
  logStream?: NodeJS.WritableStream;
}

export interface App {
  fastify: FastifyInstance;
  metrics: Metrics;
}

/**
 * The fastify app: the auth hook (every /api/ route), the identity-field guard, metrics, the
 * error mapping and the routes. main.ts listens; tests call `inject` or listen on port 0.
 */
export async function buildApp({ config, store, logStream }: AppDeps): Promise<App> {
  const fileOrgs = config.orgs.map(orgRecord);
  checkFileOrgs(fileOrgs);
  const registry = new OrgRegistry(store, fileOrgs, config.registryCacheSeconds * 1000);
  const verifier = new TokenVerifier(registry, config);
  const metrics = new Metrics();

  const fastify = Fastify({
    bodyLimit: config.bodyLimitBytes,
    // Never log a token: redact credentials wherever a serializer might put them.
    logger: {
      level: config.logLevel,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'request.headers.authorization',
        ],
        censor: '[redacted]',
      },
      ...(logStream ? { stream: logStream } : {}),
    },
    // An unknown query field is an error, not silently removed (fastify's default removes it).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  });

  await fastify.register(swagger, { openapi: OPENAPI_INFO });

  fastify.addHook('onRequest', async (req) => {
    if (!isApiRoute(req)) return;
    try {
      req.identity = await verifier.verify(req.headers.authorization);
    } catch (err) {
      if (err instanceof AuthError) metrics.authFailures.inc();
      throw err;
    }
    req.log = req.log.child({ org: req.identity.orgId, sub: req.identity.sub });
  });

  fastify.addHook('preValidation', async (req, reply) => {
    if (!isApiRoute(req)) return;
    const field = findIdentityField({ headers: req.headers, query: req.query, body: req.body });
    if (field)
      return reply.code(400).send({
        error: 'identity_in_request',
        message: `${field} names an org or user; the org and user come only from the access token`,
      });
  });

  fastify.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  fastify.setErrorHandler((err, req, reply) => {
    if (err instanceof AuthError) {
      const desc = err.message.replace(/["\\]/g, '');
      return reply
        .code(401)
        .header('WWW-Authenticate', `Bearer error="${err.error}", error_description="${desc}"`)
        .send({ error: err.error, message: err.message });
    }
    const e = err as { statusCode?: number; validation?: unknown; code?: string; message: string };
    if (e.validation) return reply.code(400).send({ error: 'invalid_request', message: e.message });
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)
      return reply.code(e.statusCode).send({ error: e.code ?? 'bad_request', message: e.message });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error; see the control plane log' });
  });

  const deps = { config, store, metrics };
  await fastify.register(healthRoutes(deps));
  await fastify.register(eventRoutes(deps));
  await fastify.register(exportRoutes(deps));
  await fastify.register(policyRoutes(deps));
  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
  return { fastify, metrics };
}

export type RouteDeps = { config: Config; store: Store; metrics: Metrics };

/**
 * Whether the matched route (not the raw URL, which may be percent-encoded) is an /api/ route.
 * Handlers call `who()` as well, so a route that slipped past this check still answers 401.
 */
function isApiRoute(req: FastifyRequest): boolean {
  return req.routeOptions.url?.startsWith('/api/') ?? false;
}
