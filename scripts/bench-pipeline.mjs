#!/usr/bin/env node
// Benchmark of the whole command pipeline (`npm run bench:pipeline`). Prints numbers, asserts nothing.
//
// 1. Bundles server/exec/pipeline.ts (and the real ports: server/audit/log.ts openAuditLog,
//    FilePolicyLoader, AlwaysAllowStore, probeSandbox) with esbuild the way dist/server.js is built
//    (CommonJS, node20, the parser's WASM files beside the bundle), so it runs in a fresh `node`
//    process without tsx.
// 2. Builds a git repository with a package.json and a .navi/policy.json under the OS temp directory,
//    and a state folder (audit log, always-allow file, command logs) beside it.
// 3. `true` through `run()` — command.proposed appended and fsynced, policy files read, verdict,
//    command.verdict appended and fsynced, bubblewrap sandbox, command.executed appended and fsynced
//    — against a plain spawn('true'), interleaved with the parts alone (judgeCommand, runCommand
//    with and without the sandbox, plain spawns of bash and of bwrap with the same sandbox plan, a
//    bare write + fsync of one line in the log's folder), after a warm-up. `true` is allowed by
//    policy, so nothing waits for an approval: requestApproval throws and the benchmark fails if it
//    was called. The ports are wrapped to time the audit appends and the policy and always-allow
//    reads inside each run().
// 4. 200 MB of output through run() in the same (agent-like) process, two producers, paired with a
//    plain pipe read by a separate process; resident memory sampled while it streams.
// 5. Writes the numbers into docs/BENCHMARKS.md ("Command pipeline"; replaced when run again,
//    nothing else touched).
//
// Options: --runs N (samples, default 50), --warmup N (default 5), --stream-runs N (default 3),
//          --no-write (leave docs alone).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  bundleServer,
  bwrapVersion,
  CHILD_KEEP_ALIVE,
  cliArgs,
  fmt,
  gitCommitAll,
  loadAverage,
  machineLines,
  mdCode,
  median,
  met,
  p95,
  repoRoot,
  runChild,
  STREAM_BYTES,
  STREAM_PRODUCERS,
  streamMBps,
  TARGET_OVERHEAD_MS,
  TARGET_RSS_MB,
  TARGET_THROUGHPUT,
  updateBenchmarksDoc,
  writeFiles,
} from './lib/bench.mjs';

const args = cliArgs();
const runs = args.number('--runs', 50);
const warmup = args.number('--warmup', 5);
const streamRuns = args.number('--stream-runs', 3);
const writeDocs = !args.has('--no-write');

const COMMAND = 'true';
/** A command with a wildcard NAVI expands (500 names) and runs as the names it judged. */
const GLOB_COMMAND = 'ls big/*.txt';

const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'navi-bench-pipeline-')));

function bundle() {
  const { version } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  return bundleServer({
    outfile: path.join(work, 'bundle', 'pipeline.cjs'),
    exports: [
      "export { run } from './server/exec/pipeline';",
      "export { judgeCommand } from './server/exec/policy';",
      "export { runCommand } from './server/exec/runner';",
      "export { prepareSandbox, probeSandbox } from './server/exec/sandbox';",
      "export { FilePolicyLoader } from './server/exec/policyLayers';",
      "export { AlwaysAllowStore } from './server/exec/alwaysAllow';",
      "export { openAuditLog } from './server/audit/log';",
    ],
    parser: true,
    define: { 'process.env.NAVI_VERSION': JSON.stringify(version) },
  });
}

function fixture() {
  const home = path.join(work, 'home');
  const workspace = path.join(home, 'app');
  const files = {
    'app/package.json': JSON.stringify(
      { name: 'app', version: '1.0.0', scripts: { test: 'jest', lint: 'eslint .' } },
      null,
      2,
    ),
    'app/.navi/policy.json': JSON.stringify({
      version: 1,
      rules: [
        {
          id: 'npm-test',
          justification: "The project's test suite",
          effect: 'allow',
          match: { argv: ['npm', 'test'] },
          examples: { match: ['npm test'], notMatch: ['npm run build'] },
        },
      ],
    }),
    'app/README.md': '# app\n',
    'app/src/index.ts': 'export const x = 1;\n',
  };
  for (let i = 0; i < 500; i++) files[`app/big/f${String(i).padStart(3, '0')}.txt`] = '';
  writeFiles(home, files);
  gitCommitAll(workspace, home);
  return { home, workspace, stateDir: path.join(work, 'state') };
}

// Runs in a fresh node process. argv: json options. Prints one JSON line.
const childSource = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const o = JSON.parse(process.argv[2]);
// As the agent's stdio connection does (see CHILD_KEEP_ALIVE in scripts/lib/bench.mjs).
${CHILD_KEEP_ALIVE}
const m = require(o.bundle);
const now = () => performance.now();
const direct = (file = 'true', args = [], extra = {}) => new Promise((resolve, reject) => {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...extra });
  child.stdout.on('data', () => {});
  child.stderr.on('data', () => {});
  child.on('error', reject);
  child.on('close', resolve);
});
(async () => {
  const auditFile = path.join(o.stateDir, 'audit.ndjson');
  let t = now();
  const audit = await m.openAuditLog(auditFile, { client: 'cli' });
  const openMs = now() - t;
  // Time spent in the ports during the current run().
  let spent = { audit: 0, appends: 0, policy: 0, alwaysAllow: 0, sandbox: 0 };
  const timedAudit = {
    append: async (event) => {
      const t0 = now();
      try { return await audit.append(event); } finally { spent.audit += now() - t0; spent.appends++; }
    },
    appendAll: async (events) => {
      const t0 = now();
      try { return await audit.appendAll(events); } finally { spent.audit += now() - t0; spent.appends++; }
    },
  };
  const loader = new m.FilePolicyLoader({
    userFile: path.join(o.home, '.config/navi/policy.json'),
    onChange: async (change) => {
      await timedAudit.append({ type: 'policy.changed', actor: { kind: 'system' },
        data: { layer: change.layer, path: change.path, sha256: change.sha256, ruleIds: change.ruleIds } });
    },
  });
  const policies = {
    load: async (root, trusted) => {
      const t0 = now();
      try { return await loader.load(root, trusted); } finally { spent.policy += now() - t0; }
    },
  };
  const store = new m.AlwaysAllowStore(path.join(o.stateDir, 'always-allow.json'));
  const alwaysAllow = {
    list: (ws, at) => { const t0 = now(); try { return store.list(ws, at); } finally { spent.alwaysAllow += now() - t0; } },
    add: () => { throw new Error('alwaysAllow.add must not be called'); },
  };
  let approvals = 0;
  const messages = [];
  const ports = {
    audit: timedAudit,
    policies,
    alwaysAllow,
    sandbox: async () => { const t0 = now(); try { return await m.probeSandbox(); } finally { spent.sandbox += now() - t0; } },
    logDir: path.join(o.stateDir, 'logs'),
    approvalTimeoutMs: 1000,
    home: o.home,
    log: { debug: () => {}, info: () => {}, warn: (s) => messages.push(s), error: (s, e) => messages.push(s + ' ' + e) },
    requestApproval: async () => { approvals++; throw new Error('requestApproval must not be called: the verdict should be allow'); },
  };
  t = now();
  const probe = await m.probeSandbox();
  const probeMs = now() - t;
  if (!probe.available) throw new Error('sandbox unavailable: ' + probe.reason);
  // Built after the first run(), so that run() is the one that loads the policy first.
  let judgeCtx;
  const runRequest = (sandbox) => ({
    command: o.command, cwd: o.workspace, workspaceRoot: o.workspace, timeoutMs: 600000, network: false,
    protectedPaths: judgeCtx.policy.protectedPaths, hiddenPaths: judgeCtx.policy.hiddenPaths, sandbox,
    logDir: path.join(o.stateDir, 'logs'),
  });
  const signal = new AbortController().signal;
  const fsyncFile = path.join(o.stateDir, 'fsync-probe.ndjson');
  const fd = fs.openSync(fsyncFile, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o600);
  const line = Buffer.from(JSON.stringify({ pad: 'x'.repeat(480) }) + '\\n');
  const fsyncOnce = () => new Promise((resolve, reject) =>
    fs.write(fd, line, (e) => (e ? reject(e) : fs.fsync(fd, (e2) => (e2 ? reject(e2) : resolve())))));

  const s = { direct: [], pipeline: [], audit: [], policy: [], alwaysAllow: [], sandbox: [], rest: [],
    judge: [], runnerSandboxed: [], runnerPlain: [], bash: [], bwrap: [], fsync: [] };
  const bashArgs = ['--noprofile', '--norc', '-c', o.command];
  // bwrap alone: the plan runCommand would use, run by a plain spawn (no runner around it).
  const bwrap = async () => {
    const sandbox = m.prepareSandbox({ workspaceRoot: o.workspace, cwd: o.workspace, network: false,
      protectedPaths: judgeCtx.policy.protectedPaths, hiddenPaths: judgeCtx.policy.hiddenPaths,
      env: { PATH: process.env.PATH, HOME: o.home } });
    try {
      await direct(probe.bwrapPath, [...sandbox.plan.args, '--', '/bin/bash', ...bashArgs], { detached: true, env: { PATH: '/usr/bin:/bin' } });
    } finally { sandbox.release(); }
  };
  let first = null;
  for (let i = 0; i < o.warmup + o.runs; i++) {
    const keep = i >= o.warmup;
    t = now();
    await direct();
    const d = now() - t;

    spent = { audit: 0, appends: 0, policy: 0, alwaysAllow: 0, sandbox: 0 };
    t = now();
    const outcome = await m.run({ runId: 'bench-' + i, command: o.command, cwd: o.workspace,
      workspaceRoot: o.workspace, trusted: true, proposer: 'agent' }, ports, { signal });
    const p = now() - t;
    if (!outcome.ran || outcome.verdict.verdict !== 'allow' || outcome.result.exitCode !== 0 || !outcome.result.sandboxed)
      throw new Error('unexpected outcome: ' + JSON.stringify({ ...outcome, result: outcome.result && { ...outcome.result, output: undefined } }));
    if (approvals > 0) throw new Error('requestApproval was called');
    if (spent.appends !== (i === 0 ? 3 : 2)) throw new Error('expected 2 audit appends per run (proposed + verdict together, executed), saw ' + spent.appends);
    fs.rmSync(outcome.result.logFile, { force: true });
    if (i === 0) first = { ms: p, ...spent };
    judgeCtx ??= { cwd: o.workspace, workspaceRoot: o.workspace, home: o.home, trusted: true, sandbox: true,
      policy: await loader.load(o.workspace, true), alwaysAllow: [] };

    t = now();
    await m.judgeCommand(o.command, judgeCtx);
    const j = now() - t;
    t = now();
    const rs = await m.runCommand(runRequest(true), { signal });
    const r1 = now() - t;
    fs.rmSync(rs.logFile, { force: true });
    t = now();
    const rp = await m.runCommand(runRequest(false), { signal });
    const r0 = now() - t;
    fs.rmSync(rp.logFile, { force: true });
    t = now();
    await direct('/bin/bash', bashArgs, { detached: true });
    const b = now() - t;
    t = now();
    await bwrap();
    const w = now() - t;
    t = now();
    await fsyncOnce();
    const f = now() - t;
    if (!keep) continue;
    s.direct.push(d);
    s.pipeline.push(p);
    s.audit.push(spent.audit);
    s.policy.push(spent.policy);
    s.alwaysAllow.push(spent.alwaysAllow);
    s.sandbox.push(spent.sandbox);
    s.rest.push(p - spent.audit - spent.policy - spent.alwaysAllow - spent.sandbox);
    s.judge.push(j);
    s.runnerSandboxed.push(r1);
    s.runnerPlain.push(r0);
    s.bash.push(b);
    s.bwrap.push(w);
    s.fsync.push(f);
  }
  fs.closeSync(fd);
  // The same through run() for a command with a wildcard, against bash expanding it alone:
  // what judging and running exactly the expanded names costs.
  const globBashArgs = ['--noprofile', '--norc', '-c', o.globCommand];
  s.globPipeline = [];
  s.globBash = [];
  s.globJudge = [];
  for (let i = 0; i < o.warmup + o.runs; i++) {
    t = now();
    await direct('/bin/bash', globBashArgs, { detached: true, cwd: o.workspace });
    const b = now() - t;
    t = now();
    const outcome = await m.run({ runId: 'glob-' + i, command: o.globCommand, cwd: o.workspace,
      workspaceRoot: o.workspace, trusted: true, proposer: 'agent' }, ports, { signal });
    const p = now() - t;
    if (!outcome.ran || outcome.verdict.verdict !== 'allow' || outcome.result.exitCode !== 0 || !outcome.verdict.runs)
      throw new Error('unexpected outcome for ' + o.globCommand + ': ' + outcome.message);
    fs.rmSync(outcome.result.logFile, { force: true });
    t = now();
    await m.judgeCommand(o.globCommand, judgeCtx);
    const j = now() - t;
    if (i < o.warmup) continue;
    s.globBash.push(b);
    s.globPipeline.push(p);
    s.globJudge.push(j);
  }
  const rssAfterRunsMB = process.memoryUsage().rss / 1048576;

  // 200 MB of output through run(), in this agent-like process (parser loaded, log open, policy
  // cached); resident memory sampled every 5 ms while it runs, against a plain pipe.
  // The plain pipe reads in a separate Node process: reading 200 MB here would grow this process's
  // memory too and be counted as the agent's baseline.
  const plainReader = \`
    const { spawn } = require('node:child_process');
    const t0 = performance.now();
    const child = spawn('bash', ['-c', process.argv[1]], { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    child.stdout.on('data', (d) => (bytes += d.length));
    child.stderr.on('data', () => {});
    child.on('close', () => process.stdout.write(JSON.stringify({ ms: performance.now() - t0, bytes })));\`;
  const plainPipe = (command) => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', plainReader, command], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => { try { resolve(JSON.parse(out)); } catch (e) { reject(e); } });
  });
  const streams = [];
  for (const producer of o.producers) {
    const runs = [];
    for (let k = 0; k < o.streamRuns; k++) {
      const rssBefore = process.memoryUsage().rss;
      let peak = rssBefore;
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
      t = now();
      const outcome = await m.run({ runId: 'stream-' + k, command: producer.command, cwd: o.workspace,
        workspaceRoot: o.workspace, trusted: true, proposer: 'agent' }, ports, { signal });
      const ms = now() - t;
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      if (!outcome.ran || outcome.verdict.verdict !== 'allow' || outcome.result.exitCode !== 0)
        throw new Error('unexpected outcome for ' + producer.command + ': ' + outcome.message);
      const { ms: plainMs, bytes: plainBytes } = await plainPipe(producer.command);
      if (outcome.result.output.bytes !== o.streamBytes || plainBytes !== o.streamBytes)
        throw new Error('expected ' + o.streamBytes + ' bytes, got ' + outcome.result.output.bytes + ' / ' + plainBytes);
      if (approvals > 0) throw new Error('requestApproval was called');
      fs.rmSync(outcome.result.logFile, { force: true });
      runs.push({ plainMs, ms, rssBeforeMB: rssBefore / 1048576, peakMB: peak / 1048576 });
    }
    streams.push({ label: producer.label, command: producer.command, runs });
  }
  await audit.close();
  const lines = fs.readFileSync(auditFile, 'utf8').trim().split('\\n').length;
  process.stdout.write(JSON.stringify({ openMs, probeMs, first, samples: s, streams, auditLines: lines, messages, rssAfterRunsMB,
    maxRssMB: process.resourceUsage().maxRSS / 1024 }));
})()
  .finally(() => clearInterval(keepAlive))
  .catch((error) => { process.stderr.write(String((error && error.stack) || error)); process.exit(1); });
`;

try {
  console.log(`bench:pipeline — \`${COMMAND}\` through run(), ${runs} samples after ${warmup} warm-ups`);
  const bundlePath = await bundle();
  const fx = fixture();
  const res = runChild(work, childSource, [
    JSON.stringify({
      bundle: bundlePath,
      ...fx,
      command: COMMAND,
      globCommand: GLOB_COMMAND,
      runs,
      warmup,
      producers: STREAM_PRODUCERS,
      streamRuns,
      streamBytes: STREAM_BYTES,
    }),
  ]);
  const s = res.samples;
  const expectedLines = 1 + 1 + 3 * (2 * (runs + warmup) + STREAM_PRODUCERS.length * streamRuns);
  if (res.auditLines !== expectedLines)
    throw new Error(`audit log has ${res.auditLines} lines, expected ${expectedLines}`);

  const rows = [
    ["direct `spawn('true')`", s.direct],
    ['pipeline `run()`, `true`, sandboxed', s.pipeline],
    ['— audit appends (2, each fsynced: proposed + verdict, executed), inside run()', s.audit],
    ['— policy files read + hashed, inside run()', s.policy],
    ['— always-allow list read, inside run()', s.alwaysAllow],
    ['— sandbox probe (cached), inside run()', s.sandbox],
    ['— the rest: judgeCommand + runCommand in the sandbox', s.rest],
    ["`judgeCommand('true')` alone", s.judge],
    ["`runCommand('true')`, sandboxed, alone", s.runnerSandboxed],
    ["`runCommand('true')`, no sandbox, alone", s.runnerPlain],
    ['plain spawn of `bash --noprofile --norc -c true`', s.bash],
    ['plain spawn of bwrap (same sandbox plan) running that bash', s.bwrap],
    ['one 0.5 KB write + fsync in the log folder, alone', s.fsync],
  ];
  const globRows = [
    [`plain spawn of \`bash -c '${GLOB_COMMAND}'\` (bash expands the 500 names)`, s.globBash],
    [
      `pipeline \`run()\`, \`${GLOB_COMMAND}\`, sandboxed (NAVI expands, judges and runs the 500 names)`,
      s.globPipeline,
    ],
    [`\`judgeCommand('${GLOB_COMMAND}')\` alone (expansion included)`, s.globJudge],
  ];
  console.log('\nms                                                             median    p95');
  for (const [label, xs] of [...rows, ...globRows])
    console.log(
      `  ${label.replace(/`/g, '').padEnd(60)}  ${fmt(median(xs)).padStart(6)}  ${fmt(p95(xs)).padStart(6)}`,
    );
  const addedMedian = median(s.pipeline) - median(s.direct);
  const addedP95 = p95(s.pipeline) - p95(s.direct);
  const parts = {
    audit: median(s.audit),
    files: median(s.policy) + median(s.alwaysAllow),
    judge: median(s.judge),
    bash: median(s.bash) - median(s.direct),
    bwrap: median(s.bwrap) - median(s.bash),
    runner: median(s.runnerSandboxed) - median(s.bwrap),
  };
  console.log(`  added by the pipeline: median ${fmt(addedMedian)} ms, p95 ${fmt(addedP95)} ms`);
  console.log(
    `  of the median: audit ${fmt(parts.audit)}, policy/always-allow files ${fmt(parts.files)}, judge ${fmt(parts.judge)}, bash ${fmt(parts.bash)}, bwrap ${fmt(parts.bwrap)}, runner's own work ${fmt(parts.runner)} ms`,
  );
  console.log(
    `  once per agent: open audit log ${fmt(res.openMs)} ms, sandbox probe ${fmt(res.probeMs)} ms; first run() ${fmt(res.first.ms)} ms, of which policy load ${fmt(res.first.policy)} ms (parser, the rules' examples, policy.changed)`,
  );
  console.log(`  agent RSS after the runs: ${fmt(res.rssAfterRunsMB)} MB (a fork's cost grows with it)`);
  if (res.messages.length) console.log(`  log: ${res.messages.join('; ')}`);

  const streams = res.streams.map((x) => ({
    runs: x.runs,
    label: x.label,
    command: x.command,
    plainMs: median(x.runs.map((r) => r.plainMs)),
    ms: median(x.runs.map((r) => r.ms)),
    ratio: median(x.runs.map((r) => r.plainMs / r.ms)),
    // The first run's: what the process held when this kind of output started.
    rssBeforeMB: x.runs[0].rssBeforeMB,
    peakMB: Math.max(...x.runs.map((r) => r.peakMB)),
  }));
  const streamAddedMB = Math.max(...res.streams.flatMap((x) => x.runs.map((r) => r.peakMB - r.rssBeforeMB)));
  for (const x of streams) {
    console.log(`\nStreaming 200 MB through run(), ${x.label}: ${x.command}`);
    console.log(`  plain pipe ${fmt(x.plainMs, 0)} ms (${fmt(streamMBps(x.plainMs), 0)} MB/s)`);
    console.log(`  run()      ${fmt(x.ms, 0)} ms (${fmt(streamMBps(x.ms), 0)} MB/s)`);
    console.log(`  throughput vs plain pipe (median of paired runs): ${fmt(x.ratio * 100, 0)}%`);
    console.log(
      `  agent RSS: ${fmt(x.rssBeforeMB)} MB before the first run, peak ${fmt(x.peakMB)} MB while streaming (sampled every 5 ms)`,
    );
    console.log(
      `  per run, before → peak: ${x.runs.map((r) => `${fmt(r.rssBeforeMB)} → ${fmt(r.peakMB)}`).join(', ')} MB`,
    );
  }
  console.log(`  maxRSS of the agent-like process over the whole benchmark: ${fmt(res.maxRssMB)} MB`);

  const load = loadAverage();
  const section = [
    '## Command pipeline',
    '',
    'Command: `npm run bench:pipeline` (`node scripts/bench-pipeline.mjs`; `--runs N`, `--warmup N`, `--stream-runs N`,',
    '`--no-write`). It bundles `server/exec/pipeline.ts` with esbuild as `dist/server.js` is built and, in a fresh',
    "Node process, runs `true` through `run()` with the agent's real ports: an audit log opened with `openAuditLog`",
    'in a temp folder (ext4; every append fsynced), `FilePolicyLoader` (a workspace `.navi/policy.json`),',
    '`AlwaysAllowStore`, `probeSandbox` (bubblewrap), and a `requestApproval` that throws (`true` is allowed, so it is',
    `never called; the benchmark checks, and that every run() appended its events: proposed and verdict in one append, then executed). ${runs} samples after ${warmup}`,
    "warm-ups, interleaved with a plain `spawn('true')` and with the parts alone. The ports are wrapped to time what",
    'run() spends in them; "the rest" is run() minus those. A timer keeps the event loop alive, as the agent\'s stdio',
    'connection does (without one, Node waits for V8 background work whenever the loop runs empty).',
    '',
    ...machineLines(load, { bubblewrap: bwrapVersion() }),
    '',
    '| measure | median | p95 | target |',
    '| --- | --- | --- | --- |',
    ...rows.slice(0, 2).map(([label, xs]) => `| ${label} | ${fmt(median(xs))} ms | ${fmt(p95(xs))} ms | |`),
    `| **added by the pipeline** (run() − direct spawn) | ${fmt(addedMedian)} ms | ${fmt(addedP95)} ms | < ${TARGET_OVERHEAD_MS} ms: ${met(addedMedian < TARGET_OVERHEAD_MS)} (median), ${met(addedP95 < TARGET_OVERHEAD_MS)} (p95) |`,
    ...rows.slice(2).map(([label, xs]) => `| ${label} | ${fmt(median(xs))} ms | ${fmt(p95(xs))} ms | |`),
    '',
    `A command with a wildcard: \`${GLOB_COMMAND}\` in a folder of 500 files, which NAVI expands, judges name by name and runs`,
    'as exactly those names (docs/policy.md, "Wildcards and other expansions"), against bash expanding it alone:',
    '',
    '| measure | median | p95 |',
    '| --- | --- | --- |',
    ...globRows.map(([label, xs]) => `| ${label} | ${fmt(median(xs))} ms | ${fmt(p95(xs))} ms |`),
    `| **added by the pipeline** for it (run() − plain bash) | ${fmt(median(s.globPipeline) - median(s.globBash))} ms | ${fmt(p95(s.globPipeline) - p95(s.globBash))} ms |`,
    '',
    '`spawn` forks the whole agent process, so every spawn here (the direct one included) costs more than from the',
    `small process of "Command runner": the fork's cost grows with the process's memory (${fmt(res.rssAfterRunsMB)} MB resident after the`,
    'runs above).',
    '',
    'Where the added median goes (medians of separate series, so they add up only roughly):',
    '',
    '| part | ms |',
    '| --- | --- |',
    `| audit appends: 2 × (lock file create + stat + write + lock file read + unlink as synchronous system calls, the fsync on the thread pool while the sandbox is prepared); a bare write + fsync is ${fmt(median(s.fsync))} ms | ${fmt(parts.audit)} |`,
    `| policy files and always-allow file read | ${fmt(parts.files)} |`,
    `| judging \`true\` | ${fmt(parts.judge)} |`,
    `| \`bash --noprofile --norc -c\` around a command (bash spawn − \`true\` spawn): not in run()'s path for \`true\`, a literal simple command that runs without bash; shown for commands that need a shell | ${fmt(parts.bash)} |`,
    `| bubblewrap: namespaces and mounts (bwrap spawn − bash spawn) | ${fmt(parts.bwrap)} |`,
    `| runner's own work: sandbox plan, env scrub, secret values, log file, process-group checks (runCommand − bwrap spawn) | ${fmt(parts.runner)} |`,
    '',
    `Once per agent, not in the numbers above: opening the audit log ${fmt(res.openMs)} ms, the sandbox probe ${fmt(res.probeMs)} ms,`,
    `the first run() ${fmt(res.first.ms)} ms (of which ${fmt(res.first.policy)} ms policy load: parser, the rules' examples, \`policy.changed\`).`,
    '',
    '200 MB of output through `run()` in the same process (parser loaded, log open, policy cached; no `onOutput`',
    `listener), median of ${streamRuns} runs paired with a plain pipe (read by a separate Node process); resident memory`,
    'sampled every 5 ms while it runs:',
    '',
    '| 200 MB of output | plain pipe | `run()` | throughput | agent RSS before the first run → peak | target |',
    '| --- | --- | --- | --- | --- | --- |',
    ...streams.map(
      (x) =>
        `| ${x.label}: ${mdCode(x.command)} | ${fmt(x.plainMs, 0)} ms (${fmt(streamMBps(x.plainMs), 0)} MB/s) | ${fmt(x.ms, 0)} ms (${fmt(streamMBps(x.ms), 0)} MB/s) | ${fmt(x.ratio * 100, 0)}% | ${fmt(x.rssBeforeMB)} → ${fmt(x.peakMB)} MB | throughput ≥ ${TARGET_THROUGHPUT * 100}%: ${met(x.ratio >= TARGET_THROUGHPUT)}; RSS < ${TARGET_RSS_MB} MB: ${met(x.peakMB < TARGET_RSS_MB)} |`,
    ),
    '',
    `Streaming adds at most ${fmt(streamAddedMB)} MB to what the process held before the run; the rest is its baseline at that`,
    "point (Node and the bundle, the parser's WASM memory and compiled grammar, V8's heap after the runs above).",
    `Peak RSS of the process over the whole benchmark (\`maxRSS\`): ${fmt(res.maxRssMB)} MB.`,
    '',
  ].join('\n');
  console.log(`\nload average: ${load}`);
  if (writeDocs) updateBenchmarksDoc(section);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
