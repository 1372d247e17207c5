/**
 * Schema migrations, one list per database, applied in order on start (`Store.migrate`). A
 * migration is never edited once released: add a new one. Both schemas hold the same tables:
 *
 * - `orgs`, `org_issuers`: the org registry (mutable; an issuer belongs to one org).
 * - `audit_events`: NAVI audit events, append-only. Unique by `(org_id, id)` (idempotency) and
 *   `(org_id, session_id, seq)` (one event per position of a session's chain).
 * - `audit_sessions`: per-session count and highest seq, to find gaps cheaply (mutable summary,
 *   derived from `audit_events`; not evidence).
 * - `control_events`: what the control plane records about itself (conflicts, exports, policy
 *   changes, chain breaks), append-only.
 * - `policies`: every version of every org's policy, append-only.
 *
 * Text columns that are sorted (`ts`, `session_id`) compare bytewise in both databases (SQLite's
 * BINARY, PostgreSQL's "C" collation), so listing order is identical on both.
 */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const APPEND_ONLY_SQLITE = (table: string) => `
CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
  BEGIN SELECT RAISE(ABORT, '${table} is append-only: UPDATE refused'); END;
CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
  BEGIN SELECT RAISE(ABORT, '${table} is append-only: DELETE refused'); END;
`;

export const SQLITE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE orgs (id TEXT PRIMARY KEY, record TEXT NOT NULL) STRICT;
CREATE TABLE org_issuers (issuer TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE) STRICT;

CREATE TABLE audit_events (
  pos INTEGER PRIMARY KEY,
  org_id TEXT NOT NULL,
  id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  ts TEXT NOT NULL,
  type TEXT NOT NULL,
  actor_id TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  content TEXT NOT NULL,
  uploader TEXT NOT NULL,
  received_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX audit_events_id ON audit_events (org_id, id);
CREATE UNIQUE INDEX audit_events_chain ON audit_events (org_id, session_id, seq);
CREATE INDEX audit_events_order ON audit_events (org_id, ts, session_id, seq);
CREATE INDEX audit_events_uploader ON audit_events (org_id, uploader, ts, session_id, seq);
CREATE INDEX audit_events_hash ON audit_events (org_id, hash);
${APPEND_ONLY_SQLITE('audit_events')}

CREATE TABLE audit_sessions (
  org_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  count INTEGER NOT NULL,
  max_seq INTEGER NOT NULL,
  PRIMARY KEY (org_id, session_id)
) STRICT;

CREATE TABLE control_events (
  pos INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL,
  ts TEXT NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  data TEXT NOT NULL
) STRICT;
CREATE INDEX control_events_org ON control_events (org_id, pos);
${APPEND_ONLY_SQLITE('control_events')}

CREATE TABLE policies (
  org_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  document TEXT NOT NULL,
  require_audit_record INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (org_id, version)
) STRICT;
${APPEND_ONLY_SQLITE('policies')}
`,
  },
];

const APPEND_ONLY_PG = (table: string) => `
CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
  FOR EACH ROW EXECUTE FUNCTION navi_append_only();
CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
  FOR EACH STATEMENT EXECUTE FUNCTION navi_append_only();
`;

export const POSTGRES_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE FUNCTION navi_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TABLE orgs (id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE org_issuers (issuer TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE);

CREATE TABLE audit_events (
  pos BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  session_id TEXT COLLATE "C" NOT NULL,
  seq BIGINT NOT NULL,
  ts TEXT COLLATE "C" NOT NULL,
  type TEXT NOT NULL,
  actor_id TEXT,
  prev_hash TEXT COLLATE "C" NOT NULL,
  hash TEXT COLLATE "C" NOT NULL,
  content TEXT NOT NULL,
  uploader TEXT COLLATE "C" NOT NULL,
  received_at TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_events_id ON audit_events (org_id, id);
CREATE UNIQUE INDEX audit_events_chain ON audit_events (org_id, session_id, seq);
CREATE INDEX audit_events_order ON audit_events (org_id, ts, session_id, seq);
CREATE INDEX audit_events_uploader ON audit_events (org_id, uploader, ts, session_id, seq);
CREATE INDEX audit_events_hash ON audit_events (org_id, hash);
${APPEND_ONLY_PG('audit_events')}

CREATE TABLE audit_sessions (
  org_id TEXT COLLATE "C" NOT NULL,
  session_id TEXT COLLATE "C" NOT NULL,
  count BIGINT NOT NULL,
  max_seq BIGINT NOT NULL,
  PRIMARY KEY (org_id, session_id)
);

CREATE TABLE control_events (
  pos BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL,
  ts TEXT NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX control_events_org ON control_events (org_id, pos);
${APPEND_ONLY_PG('control_events')}

CREATE TABLE policies (
  org_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  document TEXT NOT NULL,
  require_audit_record BOOLEAN NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (org_id, version)
);
${APPEND_ONLY_PG('policies')}
`,
  },
];

/**
 * Chain links of the given events and of their session successors, checked against the stored
 * predecessor (shared by both stores). `ids` renders the list of event ids as a one-column
 * SELECT, `org` the org placeholder. `ids` drives the join (CROSS JOIN fixes the order in SQLite)
 * so the check costs index look-ups per event, never a scan of the org.
 */
export const CHAIN_CHECK_SQL = (ids: string, org: string) => `
WITH ids(id) AS (${ids}),
b AS MATERIALIZED (
  SELECT e.org_id, e.session_id, e.seq, e.id, e.prev_hash FROM ids CROSS JOIN audit_events e
  WHERE e.org_id = ${org} AND e.id = ids.id
),
x AS (
  SELECT org_id, session_id, seq, id, prev_hash FROM b
  UNION
  SELECT s.org_id, s.session_id, s.seq, s.id, s.prev_hash FROM b CROSS JOIN audit_events s
    WHERE s.org_id = b.org_id AND s.session_id = b.session_id AND s.seq = b.seq + 1
)
SELECT x.session_id, x.seq, x.id, x.prev_hash, p.hash AS expected FROM x
JOIN audit_events p ON p.org_id = x.org_id AND p.session_id = x.session_id AND p.seq = x.seq - 1
WHERE x.prev_hash <> p.hash
  AND NOT EXISTS (SELECT 1 FROM audit_events o WHERE o.org_id = x.org_id AND o.hash = x.prev_hash)
ORDER BY x.session_id, x.seq`;

/** Missing seq ranges of one session: `[prev + 1, seq - 1]` wherever seq jumps (from -1). */
export const GAPS_SQL = (org: string, session: string) => `
SELECT prev + 1 AS gap_from, seq - 1 AS gap_to FROM (
  SELECT seq, LAG(seq, 1, -1) OVER (ORDER BY seq) AS prev FROM audit_events
  WHERE org_id = ${org} AND session_id = ${session}
) w WHERE seq > prev + 1 ORDER BY seq LIMIT 100`;
