#!/usr/bin/env node
// Benchmark of NAVI's own overhead on a test run (`npm run bench:test-overhead`). Prints numbers,
// asserts nothing.
//
// For each project it times, alternating, after one warm-up of each:
//   direct: the project's test command as a user types it (`npm test`), in a plain shell;
//   navi:   `navi test --yes --json` (the real CLI: agent start, profile, plan, each step judged,
//           audited and run in the bubblewrap sandbox with the runner's reporter, reports parsed).
// and prints the medians, NAVI's overhead (navi − direct), the budget (5% of the direct run +
// 300 ms) and whether the counts NAVI reports equal the ones the runner printed in the direct run.
//
// Projects: the folders given with --project DIR (repeatable), else two generated ones under the
// OS temp folder: a TypeScript library tested with `tsc && node --test` and an Express-style app
// tested with mocha. Real projects: `../shared/tools/real-project node-express`, `npm install` in
// it, then `--project /tmp/real-projects/node-express/express-4.18.2` (see docs/BENCHMARKS.md).
//
// Options: --runs N (timed runs of each, default 5), --project DIR (repeatable), --generated (the
// generated ones too, with --project), --no-write.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  cliArgs,
  fmt,
  loadAverage,
  machineLines,
  mdCode,
  median,
  met,
  repoRoot,
  updateBenchmarksDoc,
  writeFiles,
} from './lib/bench.mjs';

const args = cliArgs();
const runs = args.number('--runs', 5);
const projects = process.argv.flatMap((a, i, all) =>
  a === '--project' && all[i + 1] ? [path.resolve(all[i + 1])] : [],
);
const CLI = path.join(repoRoot, 'bin', 'navi.js');
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-bench-test-state-'));
const env = { ...process.env, XDG_STATE_HOME: state, NO_COLOR: '1', CI: '' };

function generated() {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-bench-test-'));
  const link = (dir) => fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  // A TypeScript library: compiled by tsc, tested with node --test (30 files × 20 tests).
  const lib = path.join(base, 'ts-lib');
  const files = {
    'package.json': JSON.stringify({
      name: 'ts-lib',
      scripts: { test: 'tsc -p . && node --test dist/test/' },
    }),
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'commonjs',
        outDir: 'dist',
        rootDir: '.',
        strict: true,
        types: ['node'],
      },
      include: ['src', 'test'],
    }),
  };
  for (let i = 0; i < 30; i++) {
    files[`src/m${i}.ts`] =
      `export function f${i}(n: number): number {\n  let s = 0;\n  for (let k = 0; k < n; k++) s += (k * ${i + 1}) % 7;\n  return s;\n}\n`;
    files[`test/m${i}.test.ts`] = [
      "import { test } from 'node:test';",
      "import * as assert from 'node:assert/strict';",
      `import { f${i} } from '../src/m${i}';`,
      ...Array.from(
        { length: 20 },
        (_, t) =>
          `test('f${i} case ${t}', () => { assert.equal(typeof f${i}(${(t + 1) * 2000}), 'number'); });`,
      ),
      '',
    ].join('\n');
  }
  writeFiles(lib, files);
  link(lib);
  // An Express-style app tested with mocha (http server per suite, 40 files × 10 tests).
  const app = path.join(base, 'mocha-app');
  const appFiles = {
    'package.json': JSON.stringify({ name: 'mocha-app', scripts: { test: 'mocha --reporter spec test/' } }),
    'app.js': [
      "const http = require('node:http');",
      'module.exports = () => http.createServer((req, res) => {',
      "  res.setHeader('content-type', 'application/json');",
      '  res.end(JSON.stringify({ path: req.url, ok: true }));',
      '});',
      '',
    ].join('\n'),
  };
  for (let i = 0; i < 40; i++)
    appFiles[`test/route${i}.test.js`] = [
      "const assert = require('node:assert');",
      "const app = require('../app');",
      `describe('route ${i}', () => {`,
      '  let server; let base;',
      "  before((done) => { server = app().listen(0, '127.0.0.1', () => { base = `http://127.0.0.1:${server.address().port}`; done(); }); });",
      '  after((done) => server.close(done));',
      ...Array.from(
        { length: 10 },
        (_, t) =>
          `  it('GET /r${i}/${t}', async () => { const r = await fetch(base + '/r${i}/${t}'); assert.equal((await r.json()).path, '/r${i}/${t}'); });`,
      ),
      '});',
      '',
    ].join('\n');
  writeFiles(app, appFiles);
  link(app);
  for (const dir of [lib, app]) spawnSync('git', ['init', '-q'], { cwd: dir });
  return [lib, app];
}

function time(cmd, argv, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, ...r };
}

/** The counts a runner printed: node --test's `# pass N`, mocha's `N passing`, Jest's `Tests: …`. */
function printedCounts(text) {
  const n = (re) => Number(re.exec(text)?.[1] ?? 0);
  if (/^# tests \d+/m.test(text))
    return { passed: n(/^# pass (\d+)/m), failed: n(/^# fail (\d+)/m), skipped: n(/^# skipped (\d+)/m) };
  if (/^\s*\d+ passing/m.test(text))
    return {
      passed: n(/^\s*(\d+) passing/m),
      failed: n(/^\s*(\d+) failing/m),
      skipped: n(/^\s*(\d+) pending/m),
    };
  const jest = /^Tests:\s+(.*)$/m.exec(text)?.[1];
  if (jest)
    return {
      passed: Number(/(\d+) passed/.exec(jest)?.[1] ?? 0),
      failed: Number(/(\d+) failed/.exec(jest)?.[1] ?? 0),
      skipped: Number(/(\d+) skipped/.exec(jest)?.[1] ?? 0),
    };
  // node --test's spec reporter (Node 20 prints `ℹ pass N`).
  if (/^ℹ tests \d+/m.test(text))
    return { passed: n(/^ℹ pass (\d+)/m), failed: n(/^ℹ fail (\d+)/m), skipped: n(/^ℹ skipped (\d+)/m) };
  return undefined;
}

// What users run: the production bundles (minified, as in the .vsix).
spawnSync(process.execPath, ['esbuild.config.mjs', '--production'], { cwd: repoRoot, stdio: 'inherit' });

const rows = [];
for (const dir of [...projects, ...(!projects.length || args.has('--generated') ? generated() : [])]) {
  const name = path.basename(dir);
  process.stdout.write(`${name}: warm-up…\n`);
  // The profile is confirmed once, as a user does; every later run reuses it.
  spawnSync(process.execPath, [CLI, 'profile', '--confirm'], { cwd: dir, env, stdio: 'ignore' });
  const direct = () => time('bash', ['-c', 'npm test'], dir);
  const navi = () => time(process.execPath, [CLI, 'test', '--yes', '--json'], dir);
  const firstDirect = direct();
  const firstNavi = navi();
  const printed = printedCounts(firstDirect.stdout + firstDirect.stderr);
  let reported;
  try {
    const t = JSON.parse(firstNavi.stdout).totals;
    reported = { passed: t.passed, failed: t.failed, skipped: t.skipped + t.todo };
  } catch {
    reported = undefined;
  }
  const d = [];
  const v = [];
  for (let i = 0; i < runs; i++) {
    d.push(direct().ms);
    v.push(navi().ms);
    process.stdout.write(
      `  run ${i + 1}/${runs}: direct ${fmt(d.at(-1), 0)} ms, navi ${fmt(v.at(-1), 0)} ms\n`,
    );
  }
  const md = median(d);
  const mv = median(v);
  const overhead = mv - md;
  const budget = 0.05 * md + 300;
  const same = printed && reported && JSON.stringify(printed) === JSON.stringify(reported);
  rows.push({ name, dir, md, mv, overhead, budget, printed, reported, same });
  console.log(
    `${name}: direct ${fmt(md, 0)} ms, navi ${fmt(mv, 0)} ms, overhead ${fmt(overhead, 0)} ms (budget ${fmt(budget, 0)} ms: ${met(overhead <= budget)}); ` +
      `runner printed ${JSON.stringify(printed)}, NAVI reported ${JSON.stringify(reported)}: ${same ? 'same' : 'DIFFERENT'}`,
  );
}

const load = loadAverage();
const section = [
  '## Test runs: NAVI overhead',
  '',
  `\`npm run bench:test-overhead${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\`: the project's \`npm test\` in a plain shell against \`navi test --yes --json\` with a confirmed profile and the production bundles`,
  "(agent start, profile, plan, each step judged, audited and run in the bubblewrap sandbox with its runner's reporter,",
  `reports parsed), alternating, median of ${runs} runs after a warm-up. Target: overhead under 5% of the run + 300 ms,`,
  'and the counts NAVI reports equal the ones the runner printed.',
  '',
  '| project | direct (median) | navi test (median) | overhead | budget | met | runner printed (pass/fail/skip) | NAVI reported | same |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${mdCode(r.name)} | ${fmt(r.md, 0)} ms | ${fmt(r.mv, 0)} ms | ${fmt(r.overhead, 0)} ms | ${fmt(r.budget, 0)} ms | ${met(r.overhead <= r.budget)} | ${r.printed ? `${r.printed.passed}/${r.printed.failed}/${r.printed.skipped}` : '—'} | ${r.reported ? `${r.reported.passed}/${r.reported.failed}/${r.reported.skipped}` : '—'} | ${r.same ? 'yes' : 'no'} |`,
  ),
  '',
  ...machineLines(load),
  '',
].join('\n');
if (!args.has('--no-write')) updateBenchmarksDoc(section);
fs.rmSync(state, { recursive: true, force: true });
