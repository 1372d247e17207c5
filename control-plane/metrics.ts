import client from 'prom-client';

/**
 * Prometheus metrics, one registry per app (tests build several apps in one process). No label
 * carries an org, a user or a token: metrics are served without authentication on the listen
 * address, and org ids may be confidential.
 */
export class Metrics {
  readonly registry = new client.Registry();
  readonly requests = new client.Counter({
    name: 'navi_cp_http_requests_total',
    help: 'HTTP requests by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new client.Histogram({
    name: 'navi_cp_http_request_duration_seconds',
    help: 'HTTP request duration by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly ingested = new client.Counter({
    name: 'navi_cp_events_ingested_total',
    help: 'Audit events stored for the first time',
    registers: [this.registry],
  });
  readonly duplicates = new client.Counter({
    name: 'navi_cp_events_duplicate_total',
    help: 'Audit events uploaded again with identical content (idempotent retries)',
    registers: [this.registry],
  });
  readonly conflicts = new client.Counter({
    name: 'navi_cp_event_conflicts_total',
    help: 'Audit events refused because their id or session position holds different content',
    registers: [this.registry],
  });
  readonly rejected = new client.Counter({
    name: 'navi_cp_events_rejected_total',
    help: 'Batches refused as invalid (schema, hash, size)',
    registers: [this.registry],
  });
  readonly chainBreaks = new client.Counter({
    name: 'navi_cp_chain_breaks_total',
    help: 'Stored events whose prevHash does not match their session predecessor',
    registers: [this.registry],
  });
  readonly exports = new client.Counter({
    name: 'navi_cp_exports_total',
    help: 'Exports started, by format',
    labelNames: ['format'] as const,
    registers: [this.registry],
  });
  readonly authFailures = new client.Counter({
    name: 'navi_cp_auth_failures_total',
    help: 'Requests refused for a missing or invalid token',
    registers: [this.registry],
  });

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'navi_cp_' });
  }
}
