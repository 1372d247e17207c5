import type { FastifyPluginAsync } from 'fastify';
import { createHash, randomUUID } from 'node:crypto';
import { PolicyFile } from '../../protocol/policy';
import { loadPolicyLayersAsync } from '../../server/exec/policy';
import { who, type RouteDeps } from '../app';
import { isAdmin } from '../auth';
import { errors } from '../openapi';
import type { PolicyVersion } from '../store/types';

/** The policy of an org that never stored one: no rules, audit records not required. */
const EMPTY_DOCUMENT = JSON.stringify({ version: 1, rules: [] });

const PolicyBody = {
  type: 'object',
  properties: {
    version: {
      type: 'integer',
      description: 'Policy version: 1, 2, … (0: none stored yet, the empty default)',
    },
    etag: { type: 'string', description: 'The ETag header value ("v<version>")' },
    policy: {
      type: 'object',
      additionalProperties: true,
      description: 'The org layer of the policy engine (components/schemas/PolicyFile)',
    },
    requireAuditRecord: {
      type: 'boolean',
      description:
        'When true, the agent refuses a command whose audit event it cannot record at the control plane',
    },
    updatedAt: { type: 'string', nullable: true },
    updatedBy: { type: 'string', nullable: true, description: 'Verified subject of the admin who stored it' },
  },
} as const;

function view(p: PolicyVersion | null) {
  return {
    version: p?.version ?? 0,
    etag: etag(p?.version ?? 0),
    policy: JSON.parse(p?.document ?? EMPTY_DOCUMENT) as unknown,
    requireAuditRecord: p?.requireAuditRecord ?? false,
    updatedAt: p?.createdAt ?? null,
    updatedBy: p?.createdBy ?? null,
  };
}

const etag = (version: number) => `"v${version}"`;

/** `GET /api/policy` (every member) and `PUT /api/policy` (admins; audited). */
export function policyRoutes({ store }: RouteDeps): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/api/policy',
      {
        schema: {
          summary: "The org's policy for the agent's org layer, and its org settings",
          description: 'Send the ETag back as If-None-Match to get a 304 when nothing changed.',
          tags: ['policy'],
          response: { 200: PolicyBody, 304: { type: 'null' }, ...errors(401) },
        },
      },
      async (req, reply) => {
        const p = await store.latestPolicy(who(req).orgId);
        const v = view(p);
        reply.header('ETag', v.etag).header('Cache-Control', 'no-cache');
        if (req.headers['if-none-match'] === v.etag) return reply.code(304).send();
        return v;
      },
    );

    app.put<{ Body: { policy: unknown; requireAuditRecord?: boolean } }>(
      '/api/policy',
      {
        schema: {
          summary: 'Store a new policy version (admins)',
          description:
            'Validated like the agent validates the org layer: the PolicyFile schema, and every rule example ' +
            'run through the real shell parser and matcher. Send If-Match with the ETag you read to refuse ' +
            'overwriting a concurrent change (412). Recorded as a control-plane `policy.changed` event.',
          tags: ['policy'],
          body: {
            type: 'object',
            required: ['policy'],
            additionalProperties: false,
            properties: {
              policy: { type: 'object', description: 'A PolicyFile (components/schemas/PolicyFile)' },
              requireAuditRecord: {
                type: 'boolean',
                description: 'Default: the current setting (false at first)',
              },
            },
          },
          response: { 200: PolicyBody, ...errors(400, 401, 403, 409, 412) },
        },
      },
      async (req, reply) => {
        const id = who(req);
        if (!isAdmin(id))
          return reply.code(403).send({ error: 'forbidden', message: 'needs the admin role' });
        const parsed = PolicyFile.safeParse(req.body.policy);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return reply
            .code(400)
            .send({ error: 'invalid_policy', message: `policy.${issue?.path.join('.')}: ${issue?.message}` });
        }
        try {
          await loadPolicyLayersAsync({ org: parsed.data, trusted: true });
        } catch (err) {
          return reply.code(400).send({ error: 'invalid_policy', message: (err as Error).message });
        }
        const current = await store.latestPolicy(id.orgId);
        const currentVersion = current?.version ?? 0;
        const ifMatch = req.headers['if-match'];
        if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== etag(currentVersion))
          return reply.code(412).send({
            error: 'precondition_failed',
            message: `the policy is at ${etag(currentVersion)}; read it again`,
          });
        const document = JSON.stringify(parsed.data);
        const next: PolicyVersion = {
          orgId: id.orgId,
          version: currentVersion + 1,
          document,
          requireAuditRecord: req.body.requireAuditRecord ?? current?.requireAuditRecord ?? false,
          createdAt: new Date().toISOString(),
          createdBy: id.sub,
        };
        if (!(await store.putPolicy(next)))
          return reply.code(409).send({
            error: 'conflict',
            message: 'another admin stored a policy at the same time; read it again',
          });
        await store.appendControlEvent({
          id: randomUUID(),
          orgId: id.orgId,
          ts: next.createdAt,
          kind: 'policy.changed',
          actor: id.sub,
          data: {
            version: next.version,
            sha256: createHash('sha256').update(document).digest('hex'),
            ruleIds: parsed.data.rules.map((r) => r.id),
            requireAuditRecord: next.requireAuditRecord,
          },
        });
        reply.header('ETag', etag(next.version));
        return view(next);
      },
    );
  };
}
