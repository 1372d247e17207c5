import * as fs from 'node:fs';
import { AuditEvent } from '../../protocol/audit';
import type { MetricsResult } from '../../protocol/metrics';
import { readAuditLines } from '../audit/log';
import { verifyAuditLog } from '../audit/verify';
import { computeKpis } from './kpis';

/**
 * `navi/metrics` and `navi metrics`: the KPIs of an audit log file. The chain is verified first
 * (`verifyAuditLog`) and only events before its first broken link are counted: an event that
 * does not verify is never trusted, whatever it says. Throws only when the file cannot be read.
 */
export async function metricsOfAuditLog(file: string): Promise<MetricsResult> {
  if (!fs.existsSync(file)) return { auditLog: file, exists: false, verified: true, ...computeKpis([]) };
  const check = await verifyAuditLog(file);
  const lastTrusted = check.ok ? Number.POSITIVE_INFINITY : check.lastLine;
  const events: AuditEvent[] = [];
  for await (const raw of readAuditLines(file)) {
    if (raw.line > lastTrusted) break;
    if (raw.oversized) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw.bytes.toString('utf8'));
    } catch {
      continue; // a torn write the chain skips over
    }
    const parsed = AuditEvent.safeParse(value);
    if (parsed.success) events.push(parsed.data);
  }
  return {
    auditLog: file,
    exists: true,
    verified: check.ok,
    ...(check.firstBroken
      ? { brokenAt: { line: check.firstBroken.line, reason: check.firstBroken.reason.slice(0, 2000) } }
      : {}),
    ...computeKpis(events),
  };
}
