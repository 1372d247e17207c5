#!/usr/bin/env node
// Benchmark of the audit log (`npm run bench:audit`). Prints numbers, asserts nothing.
//
// 1. Append throughput with fsync: N events awaited one by one (latency p50/p99), then N events
//    queued at once (the queue serialises them; each is still fsynced before it resolves).
// 2. Verify and CSV export throughput on a big log (built without fsync, hashes chained the
//    same way).
//
// The code is bundled with esbuild like dist/server.js (CommonJS, node20), so tsx is not measured.
// Options: --events N (default 2000, appends), --big N (default 100000, verify/export), --dir D
// (where the logs go; default os.tmpdir(): fsync cost depends on the file system).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleServer, cliArgs } from './lib/bench.mjs';

const args = cliArgs();
const appendCount = args.number('--events', 2000);
const bigCount = args.number('--big', 100_000);
const work = fs.mkdtempSync(path.join(args.value('--dir', os.tmpdir()), 'navi-bench-audit-'));

const bundle = await bundleServer({
  outfile: path.join(work, 'audit.cjs'),
  exports: [
    "export * from './server/audit/log';",
    "export * from './server/audit/verify';",
    "export * from './server/audit/export';",
    "export * from './server/audit/canonical';",
    "export { v7 as uuidv7 } from 'uuid';",
  ],
});
const audit = createRequire(import.meta.url)(bundle);

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const rate = (n, millis) => Math.round((n / millis) * 1000).toLocaleString('en-US');
const proposed = (i) => ({
  type: 'command.proposed',
  actor: { kind: 'agent', name: 'bench' },
  workspace: '/work/repo',
  data: {
    commandId: audit.uuidv7(),
    command: `npm test -- --grep "case ${i}"`,
    cwd: '/work/repo',
    proposer: 'agent',
  },
});

try {
  console.log(
    `audit log benchmark (node ${process.version}, ${os.platform()}/${os.arch()}, logs in ${work})\n`,
  );

  // 1. Appends with fsync.
  const file = path.join(work, 'appends.ndjson');
  const log = await audit.openAuditLog(file);
  const latencies = [];
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < appendCount; i++) {
    const t = process.hrtime.bigint();
    await log.append(proposed(i));
    latencies.push(ms(t));
  }
  const sequential = ms(t0);
  t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: appendCount }, (_, i) => log.append(proposed(i))));
  const burst = ms(t0);
  await log.close();
  const bytesPerEvent = Math.round(fs.statSync(file).size / (2 * appendCount + 1));
  console.log(`append + fsync, awaited one by one: ${rate(appendCount, sequential)} events/s`);
  console.log(`  latency p50 ${pct(latencies, 50).toFixed(2)} ms, p99 ${pct(latencies, 99).toFixed(2)} ms`);
  console.log(`append + fsync, ${appendCount} queued at once: ${rate(appendCount, burst)} events/s`);
  console.log(`  (${bytesPerEvent} bytes per event)`);
  const check = await audit.verifyAuditLog(file);
  if (!check.ok) throw new Error(`benchmark log does not verify: ${JSON.stringify(check.firstBroken)}`);

  // 2. A big log for verify and export: the same chain rule, written in one go.
  const big = path.join(work, 'big.ndjson');
  const out = fs.openSync(big, 'w');
  const sessionId = audit.uuidv7();
  let prevHash = '0'.repeat(64);
  let chunk = '';
  for (let seq = 0; seq < bigCount; seq++) {
    const base =
      seq === 0
        ? {
            type: 'session.started',
            actor: { kind: 'user', id: 'bench' },
            data: {
              agentVersion: 'bench',
              pid: 1,
              platform: 'linux',
              arch: 'x64',
              nodeVersion: process.version,
            },
          }
        : proposed(seq);
    const unsigned = {
      id: audit.uuidv7(),
      sessionId,
      seq,
      ts: new Date(1_700_000_000_000 + seq).toISOString(),
      ...base,
      prevHash,
    };
    prevHash = audit.eventHash(unsigned);
    chunk += `${audit.canonicalJson({ ...unsigned, hash: prevHash })}\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(out, chunk);
      chunk = '';
    }
  }
  fs.writeSync(out, chunk);
  fs.closeSync(out);
  const mb = fs.statSync(big).size / 1e6;

  t0 = process.hrtime.bigint();
  const verified = await audit.verifyAuditLog(big);
  const verifyMs = ms(t0);
  if (!verified.ok || verified.events !== bigCount) throw new Error('big log does not verify');
  console.log(
    `\nverify ${bigCount.toLocaleString('en-US')} events (${mb.toFixed(1)} MB): ${(verifyMs / 1000).toFixed(2)} s, ` +
      `${rate(bigCount, verifyMs)} events/s`,
  );
  t0 = process.hrtime.bigint();
  let csvBytes = 0;
  for await (const part of audit.exportAudit(big, { format: 'csv' })) csvBytes += Buffer.byteLength(part);
  const exportMs = ms(t0);
  console.log(
    `export csv: ${(exportMs / 1000).toFixed(2)} s, ${rate(bigCount, exportMs)} events/s, ${(csvBytes / 1e6).toFixed(1)} MB`,
  );
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
