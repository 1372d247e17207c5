import * as z from 'zod';
import { AuditEvent } from '../protocol/audit';
import { PolicyFile } from '../protocol/policy';

/**
 * The OpenAPI document's frame. Paths come from the route schemas (@fastify/swagger), served at
 * `/openapi.json`; the event and policy schemas are generated from NAVI's zod schemas so the
 * description cannot drift from what the server validates.
 */

const jsonSchema = (schema: z.ZodType) => {
  try {
    return z.toJSONSchema(schema, { target: 'openapi-3.0', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
  } catch {
    return { type: 'object', description: 'see protocol/ in the NAVI repository' };
  }
};

export const OPENAPI_INFO = {
  openapi: '3.0.3',
  info: {
    title: 'NAVI control plane',
    version: '1',
    description:
      'Org registry, audit upload and export, and org policy for NAVI. Every /api/ route needs an ' +
      'OIDC access token (RFC 9068 `at+jwt`) of a registered org issuer; the org and user come only ' +
      'from that token. See docs/control-plane.md.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer', bearerFormat: 'JWT' } },
    schemas: {
      AuditEvent: jsonSchema(AuditEvent),
      PolicyFile: jsonSchema(PolicyFile),
    },
  },
  security: [{ bearer: [] }],
};

/** Common error body (every 4xx/5xx). */
export const ErrorBody = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: {
      type: 'string',
      description: 'machine-readable code (identity_in_request, invalid_event, conflict…)',
    },
    message: { type: 'string', description: 'what happened and what to do' },
  },
  additionalProperties: true,
} as const;

export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ErrorBody]));
