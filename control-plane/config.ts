import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod';

/**
 * The control plane's configuration: a JSON file (`--config FILE`), then command-line flags,
 * then `DATABASE_URL`. Every option is documented in docs/control-plane.md. No setting, file or
 * environment variable can name the org or user of a request: those come only from the verified
 * token (auth.ts).
 */

/** Algorithms a token may be signed with. Symmetric (HS*) and `none` are never accepted. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);
/** 127.0.0.0/8: the whole IPv4 loopback block (a local provider may sit on 127.0.0.2). */
const isLoopback = (host: string) => LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);

/** An issuer URL: https, or http on a loopback address (tests and local identity providers). */
export const IssuerUrl = z
  .string()
  .url()
  .refine((s) => {
    const u = new URL(s);
    return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopback(u.hostname));
  }, 'an issuer must be https:// (http:// only on a loopback address: 127.0.0.0/8, localhost or [::1])');

export const OrgId = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'org ids are 1-64 lower-case letters, digits and "-"');

/** One org of the registry (the same shape the `org add` CLI stores). */
export const OrgConfig = z
  .object({
    id: OrgId,
    name: z.string().min(1).max(200).optional(),
    issuers: z.array(IssuerUrl).min(1).max(10),
    audience: z.string().min(1).max(500),
    clientIds: z.array(z.string().min(1).max(500)).min(1).max(50),
    rolesClaim: z.string().min(1).max(200).default('navi_roles'),
    acceptIdTokens: z.boolean().default(false),
  })
  .strict();
export type OrgConfig = z.infer<typeof OrgConfig>;

export const ConfigFile = z
  .object({
    /** Address to listen on. */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 picks a free one (the URL is printed on start). */
    port: z.number().int().min(0).max(65535).default(8740),
    /** Directory of the SQLite database (created with mode 0700 on first start). */
    dataDir: z.string().min(1).default('navi-control-plane-data'),
    /** PostgreSQL connection string; `DATABASE_URL` overrides it. Unset: SQLite under dataDir. */
    databaseUrl: z.string().min(1).optional(),
    /** Connections of the PostgreSQL pool per instance. */
    databasePoolSize: z.number().int().min(1).max(200).default(10),
    /** pino log level. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Largest request body in bytes (a batch of events). */
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(16 * 1024 * 1024),
    /** Most events in one `POST /api/audit/events`. */
    maxEventsPerBatch: z.number().int().min(1).max(10_000).default(1000),
    /** Page size of `GET /api/audit/events` when `limit` is not given, and its maximum. */
    defaultPageSize: z.number().int().min(1).max(10_000).default(100),
    maxPageSize: z.number().int().min(1).max(10_000).default(1000),
    /** Accepted token signature algorithms (asymmetric only). */
    algorithms: z
      .array(z.enum(ASYMMETRIC_ALGORITHMS))
      .min(1)
      .default([...ASYMMETRIC_ALGORITHMS]),
    /** Allowed clock difference for `exp`/`nbf`/`iat`, in seconds. */
    clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
    /** How long an issuer's discovery document and JWKS are cached, in seconds. */
    jwksCacheSeconds: z.number().int().min(10).max(86_400).default(600),
    /** How long the org registry is cached in memory, in seconds (`org add` takes effect after it). */
    registryCacheSeconds: z.number().int().min(0).max(3600).default(5),
    /** Orgs registered by this file (in addition to the ones added with `org add`). */
    orgs: z.array(OrgConfig).max(1000).default([]),
  })
  .strict();
export type Config = z.infer<typeof ConfigFile>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates a config file; `undefined` gives the defaults. */
export function loadConfig(
  file: string | undefined,
  overrides: Partial<Config> = {},
  env: NodeJS.ProcessEnv = process.env,
): Config {
  let raw: unknown = {};
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`config file ${file} is not JSON: ${(err as Error).message}`);
    }
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const merged = { ...(raw as object), ...defined } as Record<string, unknown>;
  // The only environment variable read: the database. Identity never comes from the environment.
  if (env.DATABASE_URL) merged.databaseUrl = env.DATABASE_URL;
  const parsed = ConfigFile.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(
      `invalid config${file ? ` ${file}` : ''}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const config = parsed.data;
  if (config.defaultPageSize > config.maxPageSize)
    throw new ConfigError('invalid config: defaultPageSize must not exceed maxPageSize');
  if (file && overrides.dataDir === undefined && !path.isAbsolute(config.dataDir))
    config.dataDir = path.resolve(path.dirname(file), config.dataDir);
  return config;
}
