#!/usr/bin/env node
// Benchmark of the command runner (`npm run bench:runner`). Prints numbers, asserts nothing.
//
// 1. Bundles server/exec/runner.ts with esbuild the way dist/server.js is built (CommonJS, node20),
//    so every measurement runs in a fresh `node` process without tsx.
// 2. Overhead: `true` through runCommand (in the bubblewrap sandbox, and without it) against a
//    plain spawn('true'), interleaved, after a warm-up; median and p95.
// 3. Streaming 200 MB through runCommand (sandboxed, redaction on, log file written, head/tail
//    kept): wall time, throughput and peak RSS (process.resourceUsage().maxRSS of the runner's
//    process) against a plain pipe (spawn the same command, read and drop its output). Two
//    producers: one 200 MB line (`head -c 200000000 /dev/zero | tr '\0' a`) and 100 M short lines
//    (`yes | head -c 200000000`).
// 4. Writes the numbers into docs/BENCHMARKS.md ("Command runner"; replaced where it is when run
//    again, nothing else touched). The full pipeline (judge, audit, sandbox, run) is measured by
//    scripts/bench-pipeline.mjs.
//
// Options: --runs N (overhead samples, default 50), --stream-runs N (default 3; medians reported),
//          --no-sandbox (measure without bubblewrap), --no-write (leave docs/BENCHMARKS.md alone).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  bundleServer,
  bwrapVersion,
  cliArgs,
  fmt,
  loadAverage,
  machineLines,
  mdCode,
  median,
  met,
  p95,
  runChild,
  STREAM_BYTES,
  STREAM_PRODUCERS,
  streamMBps,
  TARGET_OVERHEAD_MS,
  TARGET_RSS_MB,
  TARGET_THROUGHPUT,
  updateBenchmarksDoc,
} from './lib/bench.mjs';

const args = cliArgs();
const runs = args.number('--runs', 50);
const streamRuns = args.number('--stream-runs', 3);
const writeDocs = !args.has('--no-write');
const useSandbox = !args.has('--no-sandbox');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-bench-runner-'));
const workspace = path.join(work, 'workspace');
fs.mkdirSync(workspace);

const bundle = () =>
  bundleServer({
    outfile: path.join(work, 'runner-bundle.cjs'),
    exports: [
      "export { runCommand } from './server/exec/runner';",
      "export { probeSandbox } from './server/exec/sandbox';",
    ],
  });

// Runs in a fresh node process. argv: bundle, mode, json options. Prints one JSON line.
const childSource = `
const { spawn } = require('node:child_process');
const [bundlePath, mode, optionsJson] = process.argv.slice(2);
const options = JSON.parse(optionsJson);
const now = () => Number(process.hrtime.bigint()) / 1e6;
/** CPU time of this process (user + system, all its threads), ms: the runner's own cost. */
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const direct = (file, args) => new Promise((resolve, reject) => {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let bytes = 0;
  child.stdout.on('data', (d) => (bytes += d.length));
  child.stderr.on('data', () => {});
  child.on('error', reject);
  child.on('close', () => resolve(bytes));
});
(async () => {
  if (mode === 'plain') {
    const rssBefore = process.memoryUsage().rss;
    const t0 = now();
    const bytes = await direct('bash', ['-c', options.command]);
    const ms = now() - t0;
    process.stdout.write(JSON.stringify({ ms, bytes, cpuMs: cpuMs(), maxRssMB: process.resourceUsage().maxRSS / 1024, rssBeforeMB: rssBefore / 1048576 }));
    return;
  }
  const { runCommand, probeSandbox } = require(bundlePath);
  const request = (command, sandbox) => ({
    command, cwd: options.workspace, workspaceRoot: options.workspace, timeoutMs: 600000, network: false,
    protectedPaths: [], hiddenPaths: [], sandbox, logDir: options.logDir,
  });
  const run = async (command, sandbox) => {
    const result = await runCommand(request(command, sandbox), { signal: new AbortController().signal });
    require('node:fs').rmSync(result.logFile, { force: true });
    return result;
  };
  if (mode === 'overhead') {
    let probeMs = null;
    if (options.sandbox) {
      const t = now();
      const probe = await probeSandbox();
      probeMs = now() - t;
      if (!probe.available) throw new Error('sandbox unavailable: ' + probe.reason);
    }
    const samples = { direct: [], runner: [], sandboxed: [] };
    for (let i = 0; i < options.warmup + options.runs; i++) {
      let t = now();
      await direct('true', []);
      const d = now() - t;
      t = now();
      await run('true', false);
      const r = now() - t;
      let s = null;
      if (options.sandbox) {
        t = now();
        await run('true', true);
        s = now() - t;
      }
      if (i < options.warmup) continue;
      samples.direct.push(d);
      samples.runner.push(r);
      if (s !== null) samples.sandboxed.push(s);
    }
    process.stdout.write(JSON.stringify({ probeMs, samples }));
    return;
  }
  if (mode === 'stream') {
    const rssBefore = process.memoryUsage().rss;
    const t0 = now();
    const result = await run(options.command, options.sandbox);
    const ms = now() - t0;
    process.stdout.write(JSON.stringify({
      ms, bytes: result.output.bytes, truncated: result.output.truncated, exitCode: result.exitCode, cpuMs: cpuMs(),
      maxRssMB: process.resourceUsage().maxRSS / 1024, rssBeforeMB: rssBefore / 1048576,
    }));
  }
})().catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
`;

const child = (bundlePath, mode, options) =>
  runChild(work, childSource, [bundlePath, mode, JSON.stringify(options)], mode);

try {
  console.log(`bench:runner — ${runs} overhead samples, ${streamRuns} streaming runs per producer`);
  const bundlePath = await bundle();
  const logDir = path.join(work, 'logs');
  const base = { workspace, logDir, sandbox: useSandbox };

  const overhead = child(bundlePath, 'overhead', { ...base, runs, warmup: 5 });
  const d = overhead.samples.direct;
  const r = overhead.samples.runner;
  const s = overhead.samples.sandboxed;
  const rows = [
    ['direct spawn("true")', d],
    ['runCommand("true"), no sandbox', r],
    ...(useSandbox ? [['runCommand("true"), sandboxed', s]] : []),
  ];
  console.log('\nOverhead (ms)');
  for (const [label, xs] of rows)
    console.log(`  ${label.padEnd(34)} median ${fmt(median(xs))}  p95 ${fmt(p95(xs))}`);
  const measured = useSandbox ? s : r;
  const addedMedian = median(measured) - median(d);
  const addedP95 = p95(measured) - p95(d);
  console.log(
    `  added by the runner${useSandbox ? ' + sandbox' : ''}: median ${fmt(addedMedian)} ms, p95 ${fmt(addedP95)} ms`,
  );
  if (overhead.probeMs !== null) console.log(`  sandbox probe (once per agent): ${fmt(overhead.probeMs)} ms`);

  const streams = [];
  for (const producer of STREAM_PRODUCERS) {
    const plain = [];
    const runner = [];
    const ratios = [];
    for (let i = 0; i < streamRuns; i++) {
      const p = child(bundlePath, 'plain', { ...base, command: producer.command });
      const q = child(bundlePath, 'stream', { ...base, command: producer.command });
      if (q.bytes !== STREAM_BYTES || p.bytes !== STREAM_BYTES) {
        throw new Error(`expected ${STREAM_BYTES} bytes, got ${p.bytes} (plain) and ${q.bytes} (runner)`);
      }
      plain.push(p);
      runner.push(q);
      ratios.push(p.ms / q.ms);
    }
    const row = {
      label: producer.label,
      command: producer.command,
      plainMs: median(plain.map((x) => x.ms)),
      runnerMs: median(runner.map((x) => x.ms)),
      ratio: median(ratios),
      rssMB: median(runner.map((x) => x.maxRssMB)),
      rssBeforeMB: median(runner.map((x) => x.rssBeforeMB)),
      plainRssMB: median(plain.map((x) => x.maxRssMB)),
      plainCpuMs: median(plain.map((x) => x.cpuMs)),
      runnerCpuMs: median(runner.map((x) => x.cpuMs)),
    };
    row.plainMBps = streamMBps(row.plainMs);
    row.runnerMBps = streamMBps(row.runnerMs);
    streams.push(row);
    console.log(`\nStreaming 200 MB, ${producer.label}: ${producer.command}`);
    console.log(
      `  plain pipe   ${fmt(row.plainMs, 0)} ms  ${fmt(row.plainMBps, 0)} MB/s  maxRSS ${fmt(row.plainRssMB)} MB`,
    );
    console.log(
      `  runCommand   ${fmt(row.runnerMs, 0)} ms  ${fmt(row.runnerMBps, 0)} MB/s  maxRSS ${fmt(row.rssMB)} MB (${fmt(row.rssBeforeMB)} MB before the run)`,
    );
    console.log(`  throughput vs plain pipe (median of paired runs): ${fmt(row.ratio * 100, 0)}%`);
    console.log(
      `  CPU time of the reading process: plain ${fmt(row.plainCpuMs, 0)} ms, runCommand ${fmt(row.runnerCpuMs, 0)} ms`,
    );
  }

  const load = loadAverage();
  const sandboxWord = useSandbox ? 'sandboxed' : 'not sandboxed';
  const section = [
    '## Command runner',
    '',
    'Command: `npm run bench:runner` (`node scripts/bench-runner.mjs`; `--runs N`, `--stream-runs N`,',
    '`--no-sandbox`, `--no-write`). It bundles `server/exec/runner.ts` with esbuild as `dist/server.js` is built and',
    'measures in fresh Node processes: (a) `true` through `runCommand` (`bash --noprofile --norc -c true`, scrubbed',
    'environment, secret values collected, log file written, process group checked afterwards) against a plain',
    `\`spawn('true')\`, ${runs} interleaved samples after 5 warm-ups; (b) 200 MB of output through \`runCommand\``,
    `(${sandboxWord}, redaction, log file, head/tail) against a plain pipe (the same command spawned, its output read`,
    `and dropped), median of ${streamRuns} paired runs; peak memory is \`process.resourceUsage().maxRSS\` of the`,
    "runner's process (Node itself included).",
    '',
    ...machineLines(load, { bubblewrap: useSandbox ? bwrapVersion() : 'not used' }),
    '',
    '| measure | median | p95 | target |',
    '| --- | --- | --- | --- |',
    `| direct \`spawn('true')\` | ${fmt(median(d))} ms | ${fmt(p95(d))} ms | |`,
    `| \`runCommand\`, no sandbox | ${fmt(median(r))} ms | ${fmt(p95(r))} ms | |`,
    ...(useSandbox ? [`| \`runCommand\`, sandboxed | ${fmt(median(s))} ms | ${fmt(p95(s))} ms | |`] : []),
    `| added by runner${useSandbox ? ' + sandbox' : ''} | ${fmt(addedMedian)} ms | ${fmt(addedP95)} ms | part of the pipeline's < ${TARGET_OVERHEAD_MS} ms (see Command pipeline); alone: ${met(addedMedian < TARGET_OVERHEAD_MS)} (median), ${met(addedP95 < TARGET_OVERHEAD_MS)} (p95) |`,
    ...(overhead.probeMs !== null
      ? [`| sandbox probe (once per agent) | ${fmt(overhead.probeMs)} ms | | |`]
      : []),
    '',
    '| 200 MB of output | plain pipe | `runCommand` | throughput | runner maxRSS | target |',
    '| --- | --- | --- | --- | --- | --- |',
    ...streams.map(
      (x) =>
        `| ${x.label}: ${mdCode(x.command)} | ${fmt(x.plainMs, 0)} ms (${fmt(x.plainMBps, 0)} MB/s) | ${fmt(x.runnerMs, 0)} ms (${fmt(x.runnerMBps, 0)} MB/s) | ${fmt(x.ratio * 100, 0)}% | ${fmt(x.rssMB)} MB (${fmt(x.rssBeforeMB)} MB before) | throughput ≥ ${TARGET_THROUGHPUT * 100}%: ${met(x.ratio >= TARGET_THROUGHPUT)}; RSS < ${TARGET_RSS_MB} MB: ${met(x.rssMB < TARGET_RSS_MB)} |`,
    ),
    '',
    'Throughput is the median of the paired ratios (plain time / runner time). The producer and the runner share',
    'the two cores, so the ratio moves with the machine load; the peak RSS does not depend on the output size',
    '(head and tail 64 KiB each, one line of at most 64 Ki characters held back, log writes batched up to',
    '512 KiB with at most 4 MiB buffered). The 200 MB are also written to the log file, which the plain pipe does not do.',
    '',
  ].join('\n');
  console.log(`\nload average: ${load}`);
  if (writeDocs) updateBenchmarksDoc(section);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
