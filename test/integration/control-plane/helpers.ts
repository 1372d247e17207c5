import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { buildApp } from '../../../control-plane/app';
import { loadConfig, type Config, type OrgConfig } from '../../../control-plane/config';
import { PostgresStore } from '../../../control-plane/store/postgres';
import { SqliteStore } from '../../../control-plane/store/sqlite';
import type { Store } from '../../../control-plane/store/types';
import type { TestIssuer } from './issuer';

export const ROOT = path.resolve(__dirname, '../../..');
export const AUDIENCE = 'https://navi.example/api';
export const CLIENT = 'navi-vscode';

export function tempDir(prefix = 'navi-cp-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function orgFor(id: string, issuer: TestIssuer, extra: Partial<OrgConfig> = {}): OrgConfig {
  return {
    id,
    issuers: [issuer.url],
    audience: AUDIENCE,
    clientIds: [CLIENT],
    rolesClaim: 'navi_roles',
    acceptIdTokens: false,
    ...extra,
  };
}

/** The PostgreSQL URL of the test server, or undefined (then the PG half is skipped locally). */
export const PG_URL = process.env.NAVI_TEST_DATABASE_URL || undefined;

/**
 * Declares a PostgreSQL suite. Without NAVI_TEST_DATABASE_URL it is skipped with a visible
 * message, except in CI (`CI` set), where a missing database is a failure.
 */
export function describePg(title: string, fn: (this: Mocha.Suite) => void): void {
  if (PG_URL) {
    describe(title, fn);
    return;
  }
  if (process.env.CI) {
    describe(title, () => {
      it('needs PostgreSQL', () => {
        throw new Error('NAVI_TEST_DATABASE_URL is not set in CI: run scripts/ci-postgres.sh first');
      });
    });
    return;
  }
  describe(title, () => {
    before(function () {
      console.log(`      (skipped: set NAVI_TEST_DATABASE_URL, e.g. eval "$(scripts/ci-postgres.sh)")`);
      this.skip();
    });
    it('PostgreSQL half');
  });
}

/** A fresh database on the test server, dropped by `drop()`. */
export async function freshPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `navi_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface StoreHandle {
  store: Store;
  kind: 'sqlite' | 'postgres';
  /** Closes the store and removes its data. */
  dispose: () => Promise<void>;
  /** What a second instance needs to open the same data. */
  config: Pick<Config, 'dataDir' | 'databaseUrl'>;
}

export async function openTestStore(kind: 'sqlite' | 'postgres'): Promise<StoreHandle> {
  if (kind === 'sqlite') {
    const dir = tempDir();
    const store = new SqliteStore(dir);
    await store.migrate();
    return {
      store,
      kind,
      config: { dataDir: dir, databaseUrl: undefined },
      dispose: async () => {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const db = await freshPgDatabase();
  const store = new PostgresStore(db.url, 10);
  await store.migrate();
  return {
    store,
    kind,
    config: { dataDir: tempDir(), databaseUrl: db.url },
    dispose: async () => {
      await store.close();
      await db.drop();
    },
  };
}

export interface RunningApp {
  url: string;
  close: () => Promise<void>;
  logs: string[];
}

/** The app in this process on 127.0.0.1:0 over a store, with the given config overrides. */
export async function startApp(store: Store, overrides: Partial<Config>): Promise<RunningApp> {
  const config = { ...loadConfig(undefined, { port: 0, logLevel: 'info' }, {}), ...overrides };
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const { fastify } = await buildApp({ config, store, logStream });
  const url = await fastify.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => fastify.close(), logs };
}

/** A JSON answer; `body` is untyped on purpose: tests assert on its shape. */
export interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
  text: string;
}

/** fetch against the app with a bearer token; JSON in and out. */
export async function call(
  base: string,
  token: string | undefined,
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
}

export interface ChildServer {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop: () => Promise<void>;
}

/**
 * The real CLI (`control-plane/main.ts serve`, from sources through tsx) as a child process;
 * resolves once it printed its URL.
 */
export async function startChild(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  const child = spawn(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(ROOT, 'control-plane/main.ts'), 'serve', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`control plane exited with ${code}: ${err}`)));
  });
  return {
    url,
    child,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Writes a config file registering orgs; returns its path. */
export function writeConfig(dir: string, config: Record<string, unknown>): string {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}
