#!/usr/bin/env node
// Benchmark of the repository scan (`npm run bench:scan`). Prints numbers, asserts nothing.
//
// 1. Builds (once, cached under os.tmpdir()) a synthetic git repository of ~100,000 files: a
//    monorepo of TypeScript/JavaScript packages, Python services, Go modules and docs, with
//    realistic nested trees and file sizes, a few planted fake secrets and two large files.
// 2. Bundles server/tasks/scan.ts with esbuild exactly like dist/server.js is built (CommonJS,
//    node20) and runs it in a child process, so the peak RSS is the scanner's own, without tsx.
// 3. Times `git ls-files` and ripgrep searching the same secret patterns on the same tree.
// 4. Writes the numbers into docs/BENCHMARKS.md ("Scan" section).
//
// Options: --files N (default 100000), --runs N (default 3; the median is reported),
//          --no-write (do not touch docs/BENCHMARKS.md), --build-only (only build the repository).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSyntheticRepo } from './bench-scan-repo.mjs';
import { bundleServer, cliArgs, loadAverage, median, repoRoot } from './lib/bench.mjs';

const args = cliArgs();
const targetFiles = args.number('--files', 100_000);
const runs = args.number('--runs', 3);
const writeDocs = !args.has('--no-write');

const TARGET_SUMMARY_MS = 500;
const TARGET_RSS_MB = 300;
const TARGET_RG_RATIO = 2;

const cacheDir = path.join(os.tmpdir(), `navi-bench-scan-v4-${targetFiles}`);
const repo = path.join(cacheDir, 'repo');
const marker = path.join(cacheDir, 'complete');

// ------------------------------------------------------------------------------------------
// Measurements

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const bundleScan = () =>
  bundleServer({ outfile: path.join(cacheDir, 'scan-bundle.cjs'), entry: 'server/tasks/scan.ts' });

// Runs in a fresh `node` process: the scan alone, so maxRSS is the scanner's high-water mark.
const childSource = `
const { scan } = require(process.argv[1]);
const root = process.argv[2];
const ac = new AbortController();
const noop = () => {};
const t0 = process.hrtime.bigint();
let summaryMs = -1;
scan({ root, scanId: 'bench' }, {
  signal: ac.signal,
  progress: { report: noop },
  log: { debug: noop, info: noop, warn: noop, error: noop },
  onSummary: () => { summaryMs = Number(process.hrtime.bigint() - t0) / 1e6; },
}).then((report) => {
  const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({
    summaryMs, totalMs,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    // CPU of the whole process, worker threads included: comparable under a noisy machine.
    cpuMs: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1000,
    files: report.inventory.files, bytes: report.inventory.bytes,
    risks: report.risks.map((r) => r.id + ':' + r.evidence.length),
    projects: report.projects.length,
  }));
}, (error) => { process.stderr.write(String(error && error.stack)); process.exit(1); });
`;

function runScan(bundle) {
  const res = spawnSync(process.execPath, ['-e', childSource, bundle, repo], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (res.status !== 0) throw new Error(`scan failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Wall time of a command, and its CPU time (user + sys) when /usr/bin/time is there. */
function timeCommand(cmd, argv, cwd) {
  const [program, args] = TIME ? [TIME, ['-f', '%U %S', cmd, ...argv]] : [cmd, argv];
  const t0 = process.hrtime.bigint();
  const res = spawnSync(program, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const elapsed = ms(t0);
  if (res.error || (TIME && res.status === 127)) return undefined;
  const cpu = TIME ? /([\d.]+) ([\d.]+)\s*$/.exec(res.stderr ?? '') : null;
  return { ms: elapsed, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : undefined };
}

async function main() {
  let built = false;
  if (!fs.existsSync(marker)) {
    process.stdout.write(`building synthetic repository (${targetFiles} files) in ${repo} …\n`);
    const t0 = process.hrtime.bigint();
    fs.rmSync(cacheDir, { recursive: true, force: true });
    fs.writeFileSync(marker, String(buildSyntheticRepo(repo, targetFiles)));
    process.stdout.write(`built in ${(ms(t0) / 1000).toFixed(1)} s\n`);
    built = true;
  }
  if (args.has('--build-only')) return;
  const bundle = await bundleScan();

  // Import the detection list from the same bundle rg is compared with.
  const esm = await bundleServer({
    outfile: path.join(cacheDir, 'redact-bundle.cjs'),
    entry: 'server/audit/redact.ts',
  });
  const { createRequire } = await import('node:module');
  const { SECRET_PATTERNS } = createRequire(import.meta.url)(esm);
  // JavaScript escapes `/` in regex sources; Rust's regex syntax does not accept `\/`. `(?-u)`:
  // the JavaScript regexes have no `u` flag (ASCII `\b`, byte classes), so neither should rg's,
  // whose Unicode word boundaries otherwise fall back to a much slower engine.
  const rgPatterns = SECRET_PATTERNS.flatMap((p) => ['-e', `(?-u)${p.regex.source.replace(/\\\//g, '/')}`]);

  // Warm the page cache once so every tool reads from memory.
  runScan(bundle);

  const scans = [];
  const lsFiles = [];
  const rgTimes = [];
  const rg = fs.existsSync('/usr/bin/rg') ? '/usr/bin/rg' : 'rg';
  for (let i = 0; i < runs; i++) {
    scans.push(runScan(bundle));
    lsFiles.push(
      timeCommand(
        'git',
        ['-c', 'core.quotepath=off', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
        repo,
      ),
    );
    // The same files the scan searches: hidden files included, .gitignore honoured, .git skipped,
    // files over 5 MB not read; `-c` so printing does not dominate.
    rgTimes.push(
      timeCommand(
        rg,
        ['--hidden', '--no-messages', '-c', '--max-filesize', '5M', '-g', '!.git', ...rgPatterns, '.'],
        repo,
      ),
    );
  }
  const summaryMs = median(scans.map((s) => s.summaryMs));
  const totalMs = median(scans.map((s) => s.totalMs));
  const maxRssMB = Math.max(...scans.map((s) => s.maxRssMB));
  const lsMs = median(lsFiles.map((t) => t?.ms ?? NaN));
  const rgOk = rgTimes.every((t) => t !== undefined);
  const rgMs = rgOk ? median(rgTimes.map((t) => t.ms)) : undefined;
  // Each scan is paired with the rg run right after it, so a busy moment weighs on both.
  const ratio = rgOk ? median(scans.map((scan, i) => scan.totalMs / rgTimes[i].ms)) : undefined;
  const scanCpu = median(scans.map((scan) => scan.cpuMs));
  const rgCpu =
    rgOk && rgTimes.every((t) => t.cpuMs !== undefined) ? median(rgTimes.map((t) => t.cpuMs)) : undefined;
  const last = scans[scans.length - 1];
  const cpus = os.cpus();

  const rows = [
    [
      'files in inventory',
      `${last.files.toLocaleString('en-US')} (${(last.bytes / 1024 / 1024).toFixed(0)} MB)`,
      '',
    ],
    [
      'time to first summary',
      `${summaryMs.toFixed(0)} ms`,
      `target ≤ ${TARGET_SUMMARY_MS} ms (${(summaryMs / TARGET_SUMMARY_MS).toFixed(2)}× of target)`,
    ],
    [
      'time to full report',
      `${totalMs.toFixed(0)} ms`,
      ratio !== undefined
        ? `target ≤ ${TARGET_RG_RATIO}× ripgrep; median of paired runs: ${ratio.toFixed(2)}× ripgrep`
        : 'ripgrep not installed',
    ],
    [
      'peak memory (maxRSS)',
      `${maxRssMB.toFixed(0)} MB`,
      `target < ${TARGET_RSS_MB} MB (${(maxRssMB / TARGET_RSS_MB).toFixed(2)}× of target)`,
    ],
    ['git ls-files', `${lsMs.toFixed(0)} ms`, ''],
    ['ripgrep, same secret patterns', rgMs ? `${rgMs.toFixed(0)} ms` : 'n/a', ''],
    [
      'CPU time, scan / ripgrep',
      `${scanCpu.toFixed(0)} ms / ${rgCpu === undefined ? 'n/a' : `${rgCpu.toFixed(0)} ms`}`,
      rgCpu === undefined ? '' : `user + sys, all threads (${(scanCpu / rgCpu).toFixed(2)}×)`,
    ],
  ];
  const load = loadAverage();
  const machine = `${cpus.length} cores (${cpus[0]?.model ?? 'unknown CPU'}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GB RAM, Node ${process.version}, ${os.platform()} ${os.release()}; load average (1/5/15 min) at the end: ${load}`;
  process.stdout.write(
    `\nScan benchmark — ${machine}\nrepository: ${repo}${built ? ' (new)' : ' (cached)'}; median of ${runs} runs after one warm-up\n\n`,
  );
  for (const [name, value, note] of rows)
    process.stdout.write(`${name.padEnd(32)} ${value.padEnd(22)} ${note}\n`);
  process.stdout.write(`risks found: ${last.risks.join(', ')}; projects: ${last.projects}\n`);

  if (writeDocs) {
    const docs = path.join(repoRoot, 'docs/BENCHMARKS.md');
    const section = [
      '## Scan',
      '',
      'Command: `npm run bench:scan` (`node scripts/bench-scan.mjs`). It builds a synthetic git repository of',
      `~${targetFiles.toLocaleString('en-US')} files (TypeScript/JavaScript packages, Python services, Go modules, docs; nested trees,`,
      'log-normal file sizes, five kinds of planted fake secrets, two files over 5 MB) once under the OS temp',
      'directory, bundles `server/tasks/scan.ts` with esbuild as `dist/server.js` is built, and runs the scan in a',
      `child process (median of ${runs} runs after one warm-up, warm page cache).`,
      '',
      `Machine: ${machine}. Measured ${new Date().toISOString().slice(0, 10)}.`,
      '',
      '| measure | result | target |',
      '| --- | --- | --- |',
      ...rows.map(([name, value, note]) => `| ${name} | ${value} | ${note} |`),
      '',
      "ripgrep command: `rg --hidden --no-messages -c --max-filesize 5M -g '!.git' -e '(?-u)<pattern>' … .` with every",
      "pattern of `SECRET_PATTERNS` (server/audit/redact.ts), `\\/` written `/` for Rust's regex syntax; `(?-u)` because the",
      'JavaScript regexes are not Unicode-aware either. The machine is shared with other work, so wall times move with its',
      'load; the CPU row and the paired ratio are the steadier comparison.',
      '',
      '',
    ].join('\n');
    let text = fs.existsSync(docs)
      ? fs.readFileSync(docs, 'utf8')
      : '# Benchmarks\n\nNumbers from the `npm run bench:*` scripts. They print numbers; nothing here is asserted in tests.\n\n';
    const start = text.indexOf('## Scan\n');
    if (start >= 0) {
      const next = text.indexOf('\n## ', start + 1);
      text = text.slice(0, start) + section + (next >= 0 ? text.slice(next + 1) : '');
    } else {
      text = text.trimEnd() + '\n\n' + section;
    }
    fs.mkdirSync(path.dirname(docs), { recursive: true });
    fs.writeFileSync(docs, text);
    process.stdout.write(`\nwrote ${path.relative(repoRoot, docs)}\n`);
  }
}

await main();
