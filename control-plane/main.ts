import { parseArgs } from 'node:util';
import { buildApp } from './app';
import { ConfigError, OrgConfig, loadConfig, type Config } from './config';
import { orgRecord } from './registry';
import { openStore } from './storeFactory';
import { StoreRuleError } from './store/types';

/**
 * `navi-control-plane`: `serve` starts the HTTP server; `org add|list|remove` manage the org
 * registry in the same store the server uses (SQLite under the data directory, or DATABASE_URL).
 * Exit codes: 0 success, 1 failure, 2 bad usage.
 */

const USAGE = `Usage:
  navi-control-plane serve [--config FILE] [--host HOST] [--port N] [--data-dir DIR]
  navi-control-plane org add ID --issuer URL [--issuer URL…] --audience AUD --client-id ID [--client-id ID…]
                             [--name NAME] [--roles-claim CLAIM] [--accept-id-tokens] [--config FILE] [--data-dir DIR]
  navi-control-plane org list [--json] [--config FILE] [--data-dir DIR]
  navi-control-plane org remove ID [--config FILE] [--data-dir DIR]

The store is PostgreSQL when DATABASE_URL (or databaseUrl in the config) is set, else SQLite in
the data directory. See docs/control-plane.md.
`;

class UsageError extends Error {}

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (e) {
    err(`navi-control-plane: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help || positionals.length === 0) {
    (values.help ? out : err)(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && !Number.isInteger(port)) throw new UsageError('--port must be an integer');
    const config = loadConfig(values.config, { port, host: values.host, dataDir: values['data-dir'] });
    const [command, sub, id] = positionals;
    if (command === 'serve' && positionals.length === 1) return await serve(config);
    if (command === 'org' && sub === 'add' && id && positionals.length === 3)
      return await orgAdd(config, id, values);
    if (command === 'org' && sub === 'list' && positionals.length === 2)
      return await orgList(config, !!values.json);
    if (command === 'org' && sub === 'remove' && id && positionals.length === 3)
      return await orgRemove(config, id);
    throw new UsageError(`unknown command: ${positionals.join(' ')}`);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`navi-control-plane: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof StoreRuleError) {
      err(`navi-control-plane: ${e.message}\n`);
      return 1;
    }
    err(`navi-control-plane: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      issuer: { type: 'string', multiple: true },
      audience: { type: 'string' },
      'client-id': { type: 'string', multiple: true },
      name: { type: 'string' },
      'roles-claim': { type: 'string' },
      'accept-id-tokens': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

async function serve(config: Config): Promise<number> {
  const store = await openStore(config);
  const { fastify } = await buildApp({ config, store });
  const url = await fastify.listen({ host: config.host, port: config.port });
  const where = store.kind === 'sqlite' ? `SQLite in ${config.dataDir}` : 'PostgreSQL';
  err(`navi-control-plane: listening on ${url} (store: ${where})\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      fastify.log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await fastify.close();
  await store.close();
  return 0;
}

async function orgAdd(config: Config, id: string, v: ReturnType<typeof parse>['values']): Promise<number> {
  const parsed = OrgConfig.safeParse({
    id,
    name: v.name,
    issuers: v.issuer ?? [],
    audience: v.audience,
    clientIds: v['client-id'] ?? [],
    rolesClaim: v['roles-claim'],
    acceptIdTokens: v['accept-id-tokens'],
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${issue.path.join('.') || 'org'}: ${issue.message}`);
  }
  const store = await openStore(config);
  try {
    await store.putOrg(orgRecord(parsed.data));
  } finally {
    await store.close();
  }
  out(`org ${id} registered (issuers: ${parsed.data.issuers.join(', ')})\n`);
  return 0;
}

async function orgList(config: Config, json: boolean): Promise<number> {
  const store = await openStore(config);
  try {
    const stored = await store.listOrgs();
    const fromFile = config.orgs.map(orgRecord);
    const all = [
      ...fromFile.map((o) => ({ ...o, source: 'config' })),
      ...stored.filter((o) => !fromFile.some((f) => f.id === o.id)).map((o) => ({ ...o, source: 'store' })),
    ];
    if (json) out(`${JSON.stringify(all, null, 2)}\n`);
    else if (!all.length) out('no orgs registered\n');
    else
      for (const o of all)
        out(
          `${o.id}\t${o.name}\tissuers=${o.issuers.join(',')}\taudience=${o.audience}\tclients=${o.clientIds.join(',')}\t(${o.source})\n`,
        );
  } finally {
    await store.close();
  }
  return 0;
}

async function orgRemove(config: Config, id: string): Promise<number> {
  if (config.orgs.some((o) => o.id === id)) {
    err(`navi-control-plane: org ${id} comes from the config file; remove it there\n`);
    return 1;
  }
  const store = await openStore(config);
  try {
    if (!(await store.removeOrg(id))) {
      err(`navi-control-plane: no org ${id}\n`);
      return 1;
    }
  } finally {
    await store.close();
  }
  out(`org ${id} removed (its audit events stay: they are append-only)\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      err(`navi-control-plane: ${String(e)}\n`);
      process.exit(1);
    },
  );
}
