#!/usr/bin/env node
// Benchmark of affected-test selection (`npm run bench:affected`). Prints numbers, asserts nothing.
//
// 1. Generates the fixture of test/fixtures/affectedRepo.ts (JavaScript, `node --test`; by default
//    56 test files over 49 modules: shared CommonJS utilities, core modules in chains and a cycle,
//    feature chains with barrels and a dynamic import), each test doing `--work-ms` of hashing, and
//    commits it to a new git repository, as a user's repository would be.
// 2. Changes one module (`--module REL`, default: the module whose importers are closest to a
//    tenth of the tests) the way an edit would: appends a line.
// 3. Times (a) the full run, `node --test <every test file>`, and (b) selection
//    (server/tasks/test/affected, bundled with esbuild as dist/server.js is) plus
//    `node --test <selected files>`; prints both, the ratio (target < 30 %), the selection time and
//    the selected files with their import chains.
// 4. Checks the selected set against the generator's truth (the tests that import the module
//    directly or transitively) and prints the check.
//
// Options: --work-ms N (per test, default 150), --module REL, --runs N (runs of each, medians;
//          default 1), --features N, --keep (leave the fixture), and --via-navi (see below).
//
// --via-navi: run both through NAVI's own command instead of `node --test` directly:
//   (a) `node bin/navi.js test ROOT --json --yes`, (b) `node bin/navi.js test ROOT --json --yes
//   --changed FILE` (selection happens inside NAVI then; its time is part of (b), and the selected
//   files are read from the JSON result's `affected`). Needs `navi test --changed` (issue 4, item 2).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  bundleServer,
  cliArgs,
  fmt,
  gitCommitAll,
  loadAverage,
  machineLines,
  median,
  repoRoot,
} from './lib/bench.mjs';

const args = cliArgs();
const workMs = args.number('--work-ms', 150);
const runs = Math.max(1, args.number('--runs', 1));
const features = args.number('--features', 8);
const keep = args.has('--keep');
const viaNavi = args.has('--via-navi');
const TARGET_RATIO = 0.3;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-bench-affected-'));
const root = path.join(work, 'repo');
const home = path.join(work, 'home');
fs.mkdirSync(home);

const bundle = await bundleServer({
  outfile: path.join(work, 'affected-bundle.cjs'),
  exports: [
    "export { selectAffected } from './server/tasks/test/affected/index';",
    "export { generateAffectedRepo } from './test/fixtures/affectedRepo';",
  ],
});
const { selectAffected, generateAffectedRepo } = createRequire(import.meta.url)(bundle);

const repo = generateAffectedRepo({ root, workMs, features });
gitCommitAll(root, home);

const candidates = repo.modules.map((m) => ({ module: m, tests: repo.testsReaching(m) }));
const target = repo.testFiles.length / 10;
const chosen =
  args.value('--module', undefined) ??
  candidates
    .filter((c) => c.tests.length >= 2)
    .sort((a, b) => Math.abs(a.tests.length - target) - Math.abs(b.tests.length - target))[0].module;
const truth = repo.testsReaching(chosen);
fs.appendFileSync(path.join(root, chosen), '// changed by bench-affected\n');
const changedAbs = path.join(root, chosen);

/** Runs `argv` in the fixture; wall-clock ms and the exit status. */
function timed(argv) {
  const start = performance.now();
  const out = spawnSync(argv[0], argv.slice(1), {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, HOME: home, NODE_OPTIONS: '' },
  });
  return { ms: performance.now() - start, status: out.status, stdout: out.stdout, stderr: out.stderr };
}

const nodeTest = (files) => [process.execPath, '--test', ...files];
const navi = (...extra) => [
  process.execPath,
  path.join(repoRoot, 'bin', 'navi.js'),
  'test',
  root,
  '--json',
  '--yes',
  ...extra,
];

function fullRun() {
  const res = timed(viaNavi ? navi() : nodeTest(repo.testFiles));
  if (res.status !== 0)
    throw new Error(`full run failed (${res.status}):\n${res.stderr.slice(-2000)}${res.stdout.slice(-2000)}`);
  return res.ms;
}

async function affectedRun() {
  if (viaNavi) {
    const res = timed(navi('--changed', changedAbs));
    if (res.status !== 0)
      throw new Error(`navi test --changed failed (${res.status}):\n${res.stderr.slice(-2000)}`);
    const result = JSON.parse(res.stdout);
    const selected = (result.affected?.selected ?? []).map((s) => path.relative(root, s.file));
    return { ms: res.ms, selectionMs: undefined, selected, chains: result.affected?.selected ?? [] };
  }
  const start = performance.now();
  const cpu = process.cpuUsage();
  const selection = await selectAffected({
    projectDir: root,
    workspaceRoot: root,
    ecosystem: 'node',
    changed: [changedAbs],
  });
  const selectionMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const selectionCpuMs = (used.user + used.system) / 1000;
  const files = selection.selected.map((s) => path.relative(root, s.file));
  const res = timed(nodeTest(files));
  if (res.status !== 0) throw new Error(`affected run failed (${res.status}):\n${res.stderr.slice(-2000)}`);
  return {
    ms: selectionMs + res.ms,
    selectionMs,
    selectionCpuMs,
    selected: files,
    chains: selection.selected,
    selection,
  };
}

const fulls = [];
const affected = [];
for (let r = 0; r < runs; r++) {
  fulls.push(fullRun());
  affected.push(await affectedRun());
}
// Warm selection (the agent keeps running between requests; the first call above was cold).
const warm = [];
if (!viaNavi) {
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await selectAffected({ projectDir: root, workspaceRoot: root, ecosystem: 'node', changed: [changedAbs] });
    warm.push(performance.now() - start);
  }
}

const fullMs = median(fulls);
const affectedMs = median(affected.map((a) => a.ms));
const last = affected[affected.length - 1];
const ratio = affectedMs / fullMs;
const got = [...last.selected].sort();
const exact = got.length === truth.length && got.every((f, i) => f === truth[i]);
const missing = truth.filter((f) => !got.includes(f));
const extra = got.filter((f) => !truth.includes(f));
const rel = (p) => path.relative(root, p);

const lines = [
  `Fixture: ${repo.testFiles.length} test files, ${repo.modules.length} modules, ${workMs} ms of work per test (${root}).`,
  `Changed: ${chosen} (the generator says ${truth.length} tests import it, directly or transitively).`,
  `Runner: ${viaNavi ? 'node bin/navi.js test (--via-navi)' : 'node --test'}; ${runs} run${runs === 1 ? '' : 's'} of each, medians.`,
  '',
  `(a) full run:                   ${fmt(fullMs / 1000, 2)} s  (${repo.testFiles.length} files)`,
  `(b) selection + affected run:   ${fmt(affectedMs / 1000, 2)} s  (${got.length} files)`,
  `    ratio (b)/(a):              ${fmt(ratio * 100)} %  (target < ${TARGET_RATIO * 100} %: ${ratio < TARGET_RATIO ? 'met' : 'NOT met'})`,
];
if (!viaNavi) {
  const sel = last.selection;
  lines.push(
    `    selection, first call:      ${fmt(median(affected.map((a) => a.selectionMs)))} ms wall, ${fmt(median(affected.map((a) => a.selectionCpuMs)))} ms CPU in the agent (listing ${fmt(sel.timings.listMs)} ms, graph ${fmt(sel.timings.graphMs)} ms, ${sel.filesRead} files read; git runs in its own processes)`,
    `    selection, warm (median 5): ${fmt(median(warm))} ms`,
  );
}
lines.push(
  '',
  `Check against the generator's truth: ${exact ? 'EXACT (selected = tests that import the module)' : 'MISMATCH'}`,
  ...(missing.length ? [`  missing: ${missing.join(', ')}`] : []),
  ...(extra.length ? [`  extra: ${extra.join(', ')}`] : []),
  '',
  'Selected (because):',
  ...last.chains.map((s) => `  ${rel(s.file)}  ←  ${s.because.map(rel).join(' → ')}`),
  '',
  ...machineLines(loadAverage()),
);
process.stdout.write(`${lines.join('\n')}\n`);

if (keep) process.stdout.write(`Fixture kept: ${work}\n`);
else fs.rmSync(work, { recursive: true, force: true });
