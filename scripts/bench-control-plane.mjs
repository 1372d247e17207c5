// Benchmark of the control plane's audit ingest: `npm run bench:control-plane` (prints numbers,
// asserts nothing). For each store (SQLite; PostgreSQL when NAVI_TEST_DATABASE_URL is set):
//   - ingest throughput: EVENTS events over HTTP in 100-event batches from 8 concurrent clients;
//   - latency of a 100-event batch under 100 concurrent clients (p50 / p95 / p99);
//   - beside them the raw insert speed of the same database: the same rows in 100-row
//     transactions (plain INSERT, same schema and durability settings, no HTTP, no validation),
//     and the ratio HTTP / raw.
// The server is the real CLI (`control-plane/main.ts serve`, from sources through tsx) as a child
// process; tokens come from a local issuer on 127.0.0.1. Options: --events N (default 40000).
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import os from 'node:os';

const require = createRequire(import.meta.url);
require('tsx/cjs');
const { session } = require('../test/integration/control-plane/events.ts');
const { TestIssuer } = require('../test/integration/control-plane/issuer.ts');
const h = require('../test/integration/control-plane/helpers.ts');
const { SqliteStore } = require('../control-plane/store/sqlite.ts');
const { PostgresStore } = require('../control-plane/store/postgres.ts');
const { canonicalJson } = require('../server/audit/canonical.ts');

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const EVENTS = arg('events', 20_000);
const BATCH = 100;
const CLIENTS = 8;
const LATENCY_CLIENTS = 100;
const LATENCY_ROUNDS = 2;

/** EVENTS events in sessions of 1000, interleaved, cut into 100-event batches. */
function makeBatches(n) {
  const sessions = [];
  for (let made = 0; made < n; made += 1000)
    sessions.push(session({ commands: Math.min(1000, n - made) - 1 }));
  const all = [];
  for (let i = 0; i < 1000; i++) for (const s of sessions) if (s[i]) all.push(s[i]);
  const batches = [];
  for (let i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH));
  return batches;
}

async function upload(url, token, batches, clients) {
  let next = 0;
  const latencies = [];
  const worker = async () => {
    for (;;) {
      const batch = batches[next++];
      if (!batch) return;
      const t0 = performance.now();
      const r = await h.call(url, token, 'POST', '/api/audit/events', { events: batch });
      latencies.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`upload failed: ${r.status} ${r.text}`);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const events = batches.reduce((n, b) => n + b.length, 0);
  return { eventsPerSecond: events / seconds, latencies };
}

function pct(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function rows(batch) {
  return batch.map((e) => ({
    id: e.id,
    sessionId: e.sessionId,
    seq: e.seq,
    ts: e.ts,
    type: e.type,
    actorId: e.actor.id ?? null,
    prevHash: e.prevHash,
    hash: e.hash,
    content: canonicalJson(e),
  }));
}

const COLUMNS =
  'org_id, id, session_id, seq, ts, type, actor_id, prev_hash, hash, content, uploader, received_at';

/** Raw SQLite: the same rows, 100 per transaction, synchronous=FULL (as the server). */
async function rawSqlite(batches) {
  const dir = h.tempDir('navi-bench-raw-');
  const store = new SqliteStore(dir);
  await store.migrate();
  const db = store.raw;
  const insert = db.prepare(
    `INSERT INTO audit_events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const tx = db.transaction((rs, now) => {
    for (const e of rs)
      insert.run(
        'acme',
        e.id,
        e.sessionId,
        e.seq,
        e.ts,
        e.type,
        e.actorId,
        e.prevHash,
        e.hash,
        e.content,
        'raw',
        now,
      );
  });
  const prepared = batches.map(rows);
  const t0 = performance.now();
  for (const rs of prepared) tx(rs, new Date().toISOString());
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  return prepared.reduce((n, b) => n + b.length, 0) / seconds;
}

/** Raw PostgreSQL: the same rows, 100 per INSERT (one transaction each), from 8 connections. */
async function rawPostgres(batches) {
  const db = await h.freshPgDatabase();
  const store = new PostgresStore(db.url, CLIENTS);
  await store.migrate();
  const prepared = batches.map(rows);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const rs = prepared[next++];
      if (!rs) return;
      const col = (k) => rs.map((e) => e[k]);
      await store.pool.query(
        `INSERT INTO audit_events (${COLUMNS})
         SELECT 'acme', *, 'raw', $10 FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
        [
          col('id'),
          col('sessionId'),
          col('seq'),
          col('ts'),
          col('type'),
          col('actorId'),
          col('prevHash'),
          col('hash'),
          col('content'),
          new Date().toISOString(),
        ],
      );
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, worker));
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  await db.drop();
  return prepared.reduce((n, b) => n + b.length, 0) / seconds;
}

async function benchStore(kind, issuer) {
  const dir = h.tempDir('navi-bench-');
  const config = h.writeConfig(dir, {
    dataDir: dir,
    port: 0,
    logLevel: 'warn',
    orgs: [h.orgFor('acme', issuer)],
  });
  const db = kind === 'postgres' ? await h.freshPgDatabase() : undefined;
  const server = await h.startChild(['--config', config], db ? { DATABASE_URL: db.url } : {});
  try {
    const token = await issuer.token({ sub: 'bench-agent', exp: Math.floor(Date.now() / 1000) + 3600 });
    // Warm-up: JIT, JWKS fetch, connections.
    await upload(server.url, token, makeBatches(2000), 4);
    const ingest = await upload(server.url, token, makeBatches(EVENTS), CLIENTS);
    const latency = await upload(
      server.url,
      token,
      makeBatches(LATENCY_CLIENTS * LATENCY_ROUNDS * BATCH),
      LATENCY_CLIENTS,
    );
    const raw =
      kind === 'postgres' ? await rawPostgres(makeBatches(EVENTS)) : await rawSqlite(makeBatches(EVENTS));
    return { kind, ingest: ingest.eventsPerSecond, raw, latency: latency.latencies };
  } finally {
    await server.stop();
    await db?.drop();
  }
}

const issuer = await TestIssuer.start();
const results = [];
try {
  results.push(await benchStore('sqlite', issuer));
  if (h.PG_URL) results.push(await benchStore('postgres', issuer));
  else console.log('PostgreSQL skipped: set NAVI_TEST_DATABASE_URL (eval "$(scripts/ci-postgres.sh)")');
} finally {
  await issuer.stop();
}

const f = (n) => Math.round(n).toLocaleString('en-US');
console.log(
  `\nNAVI control plane ingest — ${os.cpus().length} CPUs, Node ${process.version}, ${EVENTS} events, batches of ${BATCH}`,
);
for (const r of results) {
  console.log(`\n${r.kind}`);
  console.log(`  ingest over HTTP (${CLIENTS} clients): ${f(r.ingest)} events/s`);
  console.log(`  raw insert, same DB (100-row transactions, no HTTP): ${f(r.raw)} events/s`);
  console.log(`  ratio HTTP / raw: ${(r.ingest / r.raw).toFixed(2)}`);
  console.log(
    `  100-event batch latency, ${LATENCY_CLIENTS} concurrent clients: p50 ${pct(r.latency, 50).toFixed(1)} ms, ` +
      `p95 ${pct(r.latency, 95).toFixed(1)} ms, p99 ${pct(r.latency, 99).toFixed(1)} ms ` +
      `(raw time per 100 rows: ${((100 / r.raw) * 1000).toFixed(2)} ms)`,
  );
}
