#!/usr/bin/env node
// Benchmark of fixing with verification (`npm run bench:fix`, issue 11). Prints numbers, asserts
// nothing. Two measurements, each next to an anchor timed in the same loop (rounds alternate), on
// real files:
//
// 1. Checkpoint of a 100,000-file repository with a 20-file change (target < 2 s). The repository
//    is built once under the OS temp folder from real source trees (Debian's upstream tarballs of
//    TypeScript, Babel, webpack and Express, fetched with ../shared/tools/real-project, then the
//    repository's own node_modules to fill up; `node_modules` folders, `.git`, symlinks and files
//    over 5 MiB left out) and committed. Each round, in fresh Node processes,
//    `createCheckpoint({workspaceRoot, stateDir, taskId})` (server/edits/checkpoints.ts, bundled
//    with esbuild as dist/server.js is) takes a first checkpoint into a new store (cold), 20 files
//    change, and a second task checkpoints again into the same store (warm: what a user's second
//    fix task pays). Each runs with the default time budget (what `navi fix` does) and without one
//    (`timeBudgetMs: Infinity`: what a complete checkpoint costs). Anchors on the same tree:
//    `git status --porcelain`, and `git add -A` into a throwaway index (GIT_INDEX_FILE): an empty
//    one (git hashes every file, its objects already stored), an empty one with a new object
//    directory (GIT_OBJECT_DIRECTORY: git writes every object, like a cold checkpoint) and a copy
//    of the repository's index (git rehashes what its stat cache says changed). git's peak RSS
//    comes from GNU time (/usr/bin/time) when it is installed.
// 2. `navi fix` of one TypeScript error in a generated 500-file project (target < 10 s). Ten
//    folders of modules importing each other, a strict tsconfig, node_modules/typescript linked to
//    this repository's TypeScript, package.json with `"typecheck": "tsc --noEmit -p ."` and
//    `"test": "node --test test/"`, committed with one error planted: a missing import of a
//    function another file exports (TS2304). Each round restores the error with `git checkout`
//    and times the whole command `node bin/navi.js fix PROJECT --yes --json` in a new process with
//    a new XDG_STATE_HOME and XDG_CONFIG_HOME (no profile, checkpoint store or key yet), checks
//    that the JSON says `fixed` with a verified receipt, and times the same with `--skip-tests`;
//    the anchor is the project's own checker alone, `./node_modules/.bin/tsc --noEmit -p .`. The
//    phases come from the run's audit log (agent-side timestamps of each command, edit, receipt).
//
// Needs `npm run build` first (bin/navi.js runs dist/). Options: --rounds N (default 5, after one
// warm-up round each), --only checkpoint|fix, --files N (default 100000), --changed N (20),
// --modules N (500), --source DIR (repeatable: trees to copy instead of the real projects),
// --no-write (leave docs/BENCHMARKS.md alone; --only implies it), --keep (leave the fix project
// and state folders). The section it writes keeps the hand-written notes at its end (NOTES_MARK).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
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
  met,
  repoRoot,
  updateBenchmarksDoc,
  writeFiles,
} from './lib/bench.mjs';

const args = cliArgs();
const rounds = Math.max(1, args.number('--rounds', 5));
const only = args.value('--only', undefined);
const fileCount = args.number('--files', 100_000);
const changedCount = args.number('--changed', 20);
const moduleCount = args.number('--modules', 500);
const sourcesGiven = process.argv.flatMap((a, i, all) =>
  a === '--source' && all[i + 1] ? [path.resolve(all[i + 1])] : [],
);
const keep = args.has('--keep');

const TARGET_CHECKPOINT_MS = 2000;
const TARGET_FIX_MS = 10_000;
const MAX_FILE_BYTES = 5 * 1024 * 1024; // the checkpoint's default size cap
const CLI = path.join(repoRoot, 'bin', 'navi.js');
const REAL_PROJECT = path.join(repoRoot, '..', 'shared', 'tools', 'real-project');
const REAL_PROJECTS_DIR = path.join(os.tmpdir(), 'real-projects');
/** Debian source packages whose upstream trees fill the checkpoint repository, largest first. */
const REAL_PACKAGES = ['node-typescript', 'node-babel7', 'node-webpack', 'node-express'];

const loadAtStart = loadAverage();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-bench-fix-'));
const home = path.join(work, 'home');
fs.mkdirSync(home);

const elapsed = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const spread = (xs) => `${fmt(Math.min(...xs), 0)}–${fmt(Math.max(...xs), 0)}`;
const say = (line) => process.stdout.write(`${line}\n`);

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * Runs `argv` to its end: wall ms, exit status and output; with `rss` (and GNU time) also the peak
 * RSS of its largest process, in MB. Throws when it cannot start.
 */
function timed(argv, { cwd, env = process.env, rss = false } = {}) {
  const wrap = rss && TIME !== undefined;
  const t0 = process.hrtime.bigint();
  const out = spawnSync(wrap ? TIME : argv[0], wrap ? ['-f', 'bench-rss-kb %M', ...argv] : argv.slice(1), {
    cwd,
    env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = elapsed(t0);
  if (out.error) throw out.error;
  const kb = wrap ? /bench-rss-kb (\d+)\s*$/.exec(out.stderr)?.[1] : undefined;
  return {
    ms,
    status: out.status,
    stdout: out.stdout,
    stderr: out.stderr,
    ...(kb === undefined ? {} : { rssMB: Number(kb) / 1024 }),
  };
}

/** git in `cwd` with a fixed identity and no user configuration; throws on failure. */
function git(cwd, gitArgs, env = {}) {
  const out = timed(['git', '-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...gitArgs], {
    cwd,
    env: { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', ...env },
  });
  if (out.status !== 0) throw new Error(`git ${gitArgs.join(' ')} failed: ${out.stderr}`);
  return out;
}

// ------------------------------------------------------------------------------------------
// 1. Checkpoint of a 100,000-file repository

/** The real source trees: given with --source, else Debian's upstream trees (fetched when missing). */
function realSources() {
  if (sourcesGiven.length) return sourcesGiven.map((dir) => ({ label: path.basename(dir), dir }));
  const trees = REAL_PACKAGES.map((pkg) => {
    const base = path.join(REAL_PROJECTS_DIR, pkg);
    const tree = () =>
      fs.existsSync(base)
        ? fs
            .readdirSync(base, { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .map((e) => path.join(base, e.name))[0]
        : undefined;
    if (tree() === undefined) {
      say(`fetching ${pkg} with ${path.relative(repoRoot, REAL_PROJECT)} …`);
      const out = timed([REAL_PROJECT, pkg, REAL_PROJECTS_DIR]);
      if (out.status !== 0) say(`  not served (${out.stderr.trim()}); going on without it`);
    }
    const dir = tree();
    return dir === undefined ? undefined : { label: path.basename(dir), dir };
  }).filter((t) => t !== undefined);
  // The repository's own dependencies fill up what the projects lack (copied as `vendor`).
  return [...trees, { label: 'vendor', dir: path.join(repoRoot, 'node_modules') }];
}

/** Regular files under `dir` (sorted walk), without `.git`, `node_modules` folders below the top, or big files. */
function* sourceFiles(dir, rel = '') {
  const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const child = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (e.name !== '.git' && e.name !== 'node_modules') yield* sourceFiles(dir, child);
    } else if (e.isFile() && fs.statSync(path.join(dir, child)).size <= MAX_FILE_BYTES) yield child;
  }
}

/** Builds (once, cached under the temp folder) the committed repository of `fileCount` real files. */
function checkpointRepo() {
  const cache = path.join(os.tmpdir(), `navi-bench-fix-repo-v1-${fileCount}`);
  const repo = path.join(cache, 'repo');
  const marker = path.join(cache, 'complete.json');
  if (fs.existsSync(marker)) return { repo, ...JSON.parse(fs.readFileSync(marker, 'utf8')), built: false };
  fs.rmSync(cache, { recursive: true, force: true });
  say(`building a ${fileCount.toLocaleString('en-US')}-file repository of real sources in ${repo} …`);
  const t0 = process.hrtime.bigint();
  const from = [];
  let n = 0;
  let bytes = 0;
  for (const { label, dir } of realSources()) {
    let taken = 0;
    for (const rel of sourceFiles(dir)) {
      if (n === fileCount) break;
      const to = path.join(repo, label, rel);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(path.join(dir, rel), to);
      bytes += fs.statSync(to).size;
      n++;
      taken++;
    }
    from.push({ label, files: taken });
    if (n === fileCount) break;
  }
  if (n < fileCount) say(`  only ${n} files found in the sources`);
  say(`  copied ${n} files (${fmt(bytes / 1e6, 0)} MB) in ${fmt(elapsed(t0) / 1000)} s; committing …`);
  gitCommitAll(repo, home);
  git(repo, ['update-index', '--refresh']);
  const info = { files: n, bytes, from };
  fs.writeFileSync(marker, JSON.stringify(info));
  say(`  built in ${fmt(elapsed(t0) / 1000)} s`);
  return { repo, ...info, built: true };
}

// Runs in a fresh Node process: one checkpoint, so its RSS is the checkpoint's own (Node included).
const CHECKPOINT_CHILD = `
const { createCheckpoint, indexWarmedUp } = require(process.argv[1]);
const [workspaceRoot, stateDir, taskId, budget] = process.argv.slice(2);
const t0 = performance.now();
createCheckpoint({ workspaceRoot, stateDir, taskId, ...(budget === 'none' ? { timeBudgetMs: Infinity } : {}) }).then(
  async (cp) => {
    const ms = performance.now() - t0;
    const skipped = {};
    for (const s of cp.skipped) skipped[s.reason] = (skipped[s.reason] ?? 0) + 1;
    // what the budget did not reach, hashed in the background after the checkpoint returned
    const w0 = performance.now();
    await indexWarmedUp();
    process.stdout.write(JSON.stringify({
      ms, files: cp.files, skipped, maxRssMB: process.resourceUsage().maxRSS / 1024,
      backgroundMs: performance.now() - w0,
    }));
  },
  (error) => { process.stderr.write(String(error && error.stack)); process.exit(1); },
);
`;

/** One checkpoint in a fresh Node process. */
function checkpointOnce(bundle, repo, stateDir, taskId, budget) {
  const argv = [process.execPath, '-e', CHECKPOINT_CHILD, bundle, repo, stateDir, taskId, budget];
  const out = timed(argv);
  if (out.status !== 0) throw new Error(`checkpoint failed: ${out.stderr}`);
  return JSON.parse(out.stdout);
}

/** `changedCount` files spread over the tree, the same every round. */
function filesToChange(repo) {
  const all = git(repo, ['ls-files', '-z']).stdout.split('\0').filter(Boolean);
  const step = Math.floor(all.length / changedCount);
  return Array.from({ length: changedCount }, (_, i) => all[i * step + Math.floor(step / 2)]);
}

/** An anchor: git on the same tree; its peak RSS from GNU time. */
function gitAnchor(repo, gitArgs, env = {}) {
  const out = timed(['git', ...gitArgs], {
    cwd: repo,
    env: { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', ...env },
    rss: true,
  });
  if (out.status !== 0) throw new Error(`git ${gitArgs.join(' ')} failed: ${out.stderr}`);
  return { ms: out.ms, rssMB: out.rssMB };
}

/**
 * One round, alternating: the first checkpoints (default budget, none) into new stores, git on
 * the clean tree, 20 files change, the second checkpoints into the same stores, git again, the
 * files are restored. The warm-up round leaves out the minutes-long runs.
 */
function checkpointRound(bundle, repo, changed, r, warmUp) {
  const s = {};
  const stores = {
    default: fs.mkdtempSync(path.join(work, 'cp-')),
    none: fs.mkdtempSync(path.join(work, 'cp-')),
  };
  const budgets = warmUp ? ['default'] : ['default', 'none'];
  const index = path.join(work, 'throwaway-index');
  for (const b of budgets) s[`cold-${b}`] = checkpointOnce(bundle, repo, stores[b], `bench-${r}-first`, b);
  s['status-clean'] = gitAnchor(repo, ['status', '--porcelain']);
  fs.rmSync(index, { force: true });
  s['add-empty'] = gitAnchor(repo, ['add', '-A'], { GIT_INDEX_FILE: index });
  if (!warmUp) {
    const objects = fs.mkdtempSync(path.join(work, 'objects-'));
    fs.rmSync(index, { force: true });
    s['add-new-objects'] = gitAnchor(repo, ['add', '-A'], {
      GIT_INDEX_FILE: index,
      GIT_OBJECT_DIRECTORY: objects,
    });
    fs.rmSync(objects, { recursive: true, force: true });
  }
  for (const rel of changed) fs.appendFileSync(path.join(repo, rel), '\n// changed by bench-fix\n');
  for (const b of budgets) s[`warm-${b}`] = checkpointOnce(bundle, repo, stores[b], `bench-${r}-second`, b);
  s['status-changed'] = gitAnchor(repo, ['status', '--porcelain']);
  fs.copyFileSync(path.join(repo, '.git', 'index'), index);
  s['add-copy'] = gitAnchor(repo, ['add', '-A'], { GIT_INDEX_FILE: index });
  git(repo, ['checkout', '--', ...changed]);
  git(repo, ['update-index', '--refresh']);
  for (const dir of Object.values(stores)) fs.rmSync(dir, { recursive: true, force: true });
  const cp = (k) =>
    s[k]
      ? `${fmt(s[k].ms, 0)} ms (${s[k].files} files${s[k].backgroundMs >= 1 ? `, then ${fmt(s[k].backgroundMs, 0)} ms in the background` : ''})`
      : '—';
  say(
    `  ${warmUp ? 'warm-up' : `round ${r}/${rounds}`}: default budget first ${cp('cold-default')}, second ${cp('warm-default')}; ` +
      `no budget first ${cp('cold-none')}, second ${cp('warm-none')}; git status ${fmt(s['status-changed'].ms, 0)} ms; ` +
      `git add -A ${fmt(s['add-empty'].ms, 0)} ms, new objects ${s['add-new-objects'] ? fmt(s['add-new-objects'].ms, 0) : '—'} ms, index copy ${fmt(s['add-copy'].ms, 0)} ms`,
  );
  return s;
}

async function checkpointBench() {
  const { repo, files, bytes, from, built } = checkpointRepo();
  const bundle = await bundleServer({
    outfile: path.join(work, 'checkpoint-bundle.cjs'),
    exports: ["export { createCheckpoint, indexWarmedUp } from './server/edits/checkpoints';"],
  });
  const changed = filesToChange(repo);
  checkpointRound(bundle, repo, changed, 0, true); // reads every file once: a warm page cache for all
  const samples = [];
  for (let r = 1; r <= rounds; r++) samples.push(checkpointRound(bundle, repo, changed, r, false));
  return { repo, files, bytes, from, built, changed, samples };
}

/** Median and min–max of a numeric field over the rounds. */
function stat(samples, pick) {
  const xs = samples.map(pick);
  return { median: median(xs), spread: spread(xs), xs };
}

/** The table's rows: the four checkpoints, then the anchors. */
function checkpointRows(cp) {
  const row = (label, key, { budget = '', hashed } = {}) => {
    const ms = stat(cp.samples, (s) => s[key].ms);
    const files = hashed ?? median(cp.samples.map((s) => s[key].files));
    const skipped = cp.samples.at(-1)[key].skipped ?? {};
    return {
      label,
      budget,
      ms,
      files,
      filesPerS: files === undefined ? undefined : files / (ms.median / 1000),
      rss: Math.max(...cp.samples.map((s) => s[key].maxRssMB ?? s[key].rssMB ?? 0)),
      skipped: Object.entries(skipped)
        .map(([reason, k]) => `${k.toLocaleString('en-US')} ${reason}`)
        .join(', '),
    };
  };
  const second = `second, warm store, ${changedCount} files changed`;
  return [
    row('`createCheckpoint`, first, cold store', 'cold-default', { budget: 'default (1.5 s)' }),
    row(`\`createCheckpoint\`, ${second}`, 'warm-default', { budget: 'default (1.5 s)' }),
    row('`createCheckpoint`, first, cold store', 'cold-none', { budget: 'none' }),
    row(`\`createCheckpoint\`, ${second}`, 'warm-none', { budget: 'none' }),
    row('`git status --porcelain`, clean tree', 'status-clean'),
    row(`\`git status --porcelain\`, ${changedCount} files changed`, 'status-changed'),
    row('`git add -A`, empty throwaway index', 'add-empty', { hashed: cp.files }),
    row('`git add -A`, empty index, new object directory', 'add-new-objects', { hashed: cp.files }),
    row(`\`git add -A\`, copy of the index, ${changedCount} files changed`, 'add-copy'),
  ];
}

const COLUMNS = 'measure|time budget|median|min–max|files stored|files/s|peak RSS|skipped paths'.split('|');

/** A row's cells. */
const rowCells = (r) => [
  r.label,
  r.budget,
  `${fmt(r.ms.median, 0)} ms`,
  `${r.ms.spread} ms`,
  r.files === undefined ? '' : r.files.toLocaleString('en-US'),
  r.filesPerS === undefined ? '' : fmt(r.filesPerS, 0),
  `${fmt(r.rss, 0)} MB`,
  r.skipped || (r.budget ? '—' : ''),
];

function printCheckpoint(cp) {
  const rows = checkpointRows(cp);
  say('');
  say(
    `Checkpoint: ${cp.files.toLocaleString('en-US')} files (${fmt(cp.bytes / 1e6, 0)} MB) in ${cp.repo}${cp.built ? '' : ' (cached)'}`,
  );
  say(`  from ${cp.from.map((f) => `${f.label} ${f.files.toLocaleString('en-US')}`).join(', ')}`);
  say(`  median of ${rounds} rounds (min–max); target < ${TARGET_CHECKPOINT_MS} ms`);
  const cells = [COLUMNS, ...rows.map(rowCells)];
  const widths = COLUMNS.map((_, k) => Math.max(...cells.map((c) => c[k].length)));
  for (const c of cells) say(c.map((x, k) => x.padEnd(widths[k])).join('  '));
  return rows;
}

// ------------------------------------------------------------------------------------------
// 2. navi fix of one TypeScript error in a 500-file project

const TS_VERSION = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'node_modules', 'typescript', 'package.json'), 'utf8'),
).version;
const AREAS = 'orders users billing catalog search shipping reports auth stock notify'.split(' ');
const VERBS = 'total parse format merge score check split rank scale clamp'.split(' ');
const cap = (s) => s[0].toUpperCase() + s.slice(1);

/** Module `g`: its file (relative to src/) and the function it exports (a unique name). */
function moduleOf(g) {
  const area = AREAS[g % AREAS.length];
  const i = Math.floor(g / AREAS.length);
  const verb = VERBS[i % VERBS.length];
  return {
    area,
    file: `${area}/${verb}${i}`,
    fn: `${area}${cap(verb)}${i}`,
    type: `${cap(area)}${cap(verb)}${i}`,
  };
}

/** What module `g` imports: up to three earlier modules, in its own folder and others. */
const depsOf = (g) => [...new Set([g - 1, g - 7, g - 31].filter((d) => d >= 0))];

function moduleSource(g) {
  const m = moduleOf(g);
  const deps = depsOf(g).map(moduleOf);
  const spec = (d) => {
    const rel = path.posix.relative(path.posix.dirname(m.file), d.file);
    return rel.startsWith('.') ? rel : `./${rel}`;
  };
  return [
    ...deps.map((d) => `import { ${d.fn} } from '${spec(d)}';`),
    ...(deps.length ? [''] : []),
    `/** Options of {@link ${m.fn}}. */`,
    `export interface ${m.type}Options {`,
    '  factor: number;',
    '  label: string;',
    '  limit?: number;',
    '}',
    '',
    `export const ${m.fn.toUpperCase()}_DEFAULTS: ${m.type}Options = { factor: ${(g % 9) + 2}, label: '${m.file}' };`,
    '',
    `/** ${cap(m.area)}: ${m.file}, built on ${deps.map((d) => d.fn).join(', ') || 'nothing'}. */`,
    `export function ${m.fn}(values: readonly number[], options: ${m.type}Options = ${m.fn.toUpperCase()}_DEFAULTS): number {`,
    '  let sum = 0;',
    '  for (const v of values) {',
    '    if (options.limit !== undefined && sum > options.limit) break;',
    `    sum += Math.round(v * options.factor) % ${97 + g};`,
    '  }',
    ...deps.map((d) => `  sum += ${d.fn}([sum, values.length]);`),
    `  return options.label.length + sum;`,
    '}',
    '',
    `export class ${m.type}Cache {`,
    '  private readonly entries = new Map<string, number>();',
    '',
    `  get(key: string, values: readonly number[]): number {`,
    '    const hit = this.entries.get(key);',
    '    if (hit !== undefined) return hit;',
    `    const value = ${m.fn}(values);`,
    '    this.entries.set(key, value);',
    '    return value;',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Module whose first import is removed: one in the middle of the graph, with imports. */
const plantedModule = () => Math.floor(moduleCount / 2) + 3;

/** Writes the project, links TypeScript, commits it with the error planted; returns its facts. */
function fixProject() {
  const dir = path.join(work, 'ts-project');
  const files = {
    'package.json': `${JSON.stringify(
      {
        name: 'bench-fix-project',
        version: '1.0.0',
        private: true,
        scripts: { typecheck: 'tsc --noEmit -p .', test: 'node --test test/' },
        devDependencies: { typescript: TS_VERSION },
      },
      null,
      2,
    )}\n`,
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'commonjs',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        include: ['src'],
      },
      null,
      2,
    )}\n`,
    '.gitignore': 'node_modules/\n',
    'lib/stats.js': [
      "'use strict';",
      'const sum = (xs) => xs.reduce((a, b) => a + b, 0);',
      'const mean = (xs) => (xs.length ? sum(xs) / xs.length : 0);',
      'const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));',
      'module.exports = { sum, mean, clamp };',
      '',
    ].join('\n'),
  };
  for (let g = 0; g < moduleCount; g++) files[`src/${moduleOf(g).file}.ts`] = moduleSource(g);
  for (const name of ['sum', 'mean', 'clamp'])
    files[`test/${name}.test.js`] = [
      "'use strict';",
      "const { test } = require('node:test');",
      "const assert = require('node:assert/strict');",
      `const { ${name} } = require('../lib/stats');`,
      ...Array.from({ length: 10 }, (_, k) => {
        const xs = [k, k + 1, k + 2];
        const expected = name === 'sum' ? 3 * k + 3 : name === 'mean' ? k + 1 : Math.min(5, Math.max(1, k));
        const call = name === 'clamp' ? `clamp(${k}, 1, 5)` : `${name}([${xs.join(', ')}])`;
        return `test('${name} ${k}', () => assert.equal(${call}, ${expected}));`;
      }),
      '',
    ].join('\n');
  const g = plantedModule();
  const planted = `src/${moduleOf(g).file}.ts`;
  const missing = moduleOf(depsOf(g)[0]).fn;
  files[planted] = files[planted].split('\n').slice(1).join('\n'); // drop its first import
  writeFiles(dir, files);
  fs.mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  fs.symlinkSync(
    path.join(repoRoot, 'node_modules', 'typescript'),
    path.join(dir, 'node_modules', 'typescript'),
  );
  fs.symlinkSync('../typescript/bin/tsc', path.join(dir, 'node_modules', '.bin', 'tsc'));
  gitCommitAll(dir, home);
  const tsFiles = Object.keys(files).filter((f) => f.endsWith('.ts')).length;
  return { dir, planted, missing, tsFiles, tests: 30, typescript: TS_VERSION };
}

/**
 * Where a `navi fix` run's time went, from its audit log (agent-side timestamps, ms): each phase
 * ends at the first record that matches it after the previous phase's end. Optional phases (the
 * tests, absent with --skip-tests) may be missing; the others must come in this order.
 */
const PHASES = [
  {
    // The audit log opens on the task's first record: the start and the profile are one phase.
    phase: 'processes start, profile (a scan)',
    ends: (e) => e.type === 'task.started' && e.data.task === 'fix',
  },
  { phase: 'checks before: tsc', ends: (e) => e.type === 'command.executed' },
  {
    phase: 'tests before: node --test',
    ends: (e) => e.type === 'task.finished' && e.data.task === 'test',
    optional: true,
  },
  { phase: 'checkpoint + TypeScript code fix', ends: (e) => e.type === 'edit.proposed' },
  { phase: 'fix written (edit policy, recordWrite)', ends: (e) => e.type === 'edit.applied' },
  { phase: 'verify: tsc again', ends: (e) => e.type === 'command.executed' },
  { phase: 'verify: affected tests, comparison', ends: (e) => e.type === 'edit.kept' },
  {
    phase: 'whole test suite',
    ends: (e) => e.type === 'task.finished' && e.data.task === 'test',
    optional: true,
  },
  { phase: 'receipt signed', ends: (e) => e.type === 'receipt.issued' },
  { phase: 'task records', ends: (e) => e.type === 'task.finished' && e.data.task === 'fix' },
];
const EXIT_PHASE = 'result printed, agent stopped';

/** Phase → ms of one run, from its audit records; the checkpoint's own ms split from the code fix. */
function phasesOf(auditFile, startedAt, endedAt, checkpointMs) {
  const events = fs
    .readFileSync(auditFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const phases = {};
  let at = startedAt;
  let next = 0;
  for (const e of events) {
    for (let k = next; k < PHASES.length; k++) {
      if (PHASES[k].ends(e)) {
        const t = Date.parse(e.ts);
        phases[PHASES[k].phase] = t - at;
        at = t;
        next = k + 1;
        break;
      }
      if (!PHASES[k].optional) break;
    }
  }
  if (next < PHASES.length) throw new Error(`the audit log ends before "${PHASES[next].phase}"`);
  phases[EXIT_PHASE] = endedAt - at;
  const both = 'checkpoint + TypeScript code fix';
  phases['checkpoint'] = checkpointMs;
  phases['TypeScript code fix (language service)'] = phases[both] - checkpointMs;
  delete phases[both];
  return phases;
}

/** The phases in the order they happen. */
const PHASE_ORDER = [
  ...PHASES.flatMap(({ phase }) =>
    phase === 'checkpoint + TypeScript code fix'
      ? ['checkpoint', 'TypeScript code fix (language service)']
      : [phase],
  ),
  EXIT_PHASE,
];

/** `node bin/navi.js fix PROJECT --yes --json …` in a new process with new state folders. */
function naviFix(project, extra) {
  const xdg = fs.mkdtempSync(path.join(work, 'xdg-'));
  const env = {
    ...process.env,
    XDG_STATE_HOME: path.join(xdg, 'state'),
    XDG_CONFIG_HOME: path.join(xdg, 'config'),
  };
  for (const k of Object.keys(env)) if (k.startsWith('NAVI_MODEL')) delete env[k];
  env.NO_COLOR = '1';
  const startedAt = Date.now();
  const out = timed([process.execPath, CLI, 'fix', project, '--yes', '--json', ...extra], {
    cwd: repoRoot,
    env,
  });
  const endedAt = startedAt + out.ms;
  let json;
  try {
    json = JSON.parse(out.stdout);
  } catch {
    throw new Error(`navi fix printed no JSON (exit ${out.status}):\n${out.stderr.slice(-3000)}`);
  }
  const run = { ms: out.ms, code: out.status, json, stderr: out.stderr };
  checkFixed(run, `navi fix ${extra.join(' ')}`);
  run.phases = phasesOf(
    path.join(xdg, 'state', 'navi', 'audit.ndjson'),
    startedAt,
    endedAt,
    json.checkpoint.ms,
  );
  if (!keep) fs.rmSync(xdg, { recursive: true, force: true });
  return run;
}

/** Throws unless the JSON says the error was fixed and every fix kept has a verified receipt. */
function checkFixed(run, label) {
  const { json } = run;
  const kept = json.fixes.filter((f) => f.status === 'kept');
  const ok =
    run.code === 0 &&
    json.status === 'fixed' &&
    kept.length > 0 &&
    kept.every((f) => f.receipt?.status === 'verified');
  if (!ok)
    throw new Error(
      `${label}: expected status "fixed" with a verified receipt, got ${JSON.stringify({ exit: run.code, status: json.status, fixes: json.fixes.map((f) => ({ status: f.status, receipt: f.receipt, reason: f.reason })), remaining: json.remaining, notes: json.notes })}\n${run.stderr.slice(-3000)}`,
    );
  return kept;
}

function fixBench() {
  const project = fixProject();
  const tsc = () => {
    const out = timed(['./node_modules/.bin/tsc', '--noEmit', '-p', '.'], { cwd: project.dir });
    if (out.status === 0 || !out.stdout.includes(project.missing))
      throw new Error(
        `tsc should report the planted error (exit ${out.status}):\n${out.stdout.slice(0, 2000)}`,
      );
    return out;
  };
  const restore = () => {
    git(project.dir, ['checkout', '--', '.']);
    const dirty = git(project.dir, ['status', '--porcelain']).stdout.trim();
    if (dirty) throw new Error(`the project is not clean after git checkout:\n${dirty}`);
  };
  say('');
  say(
    `Fix: ${project.tsFiles} TypeScript files in ${project.dir}; ${project.planted} lacks the import of ${project.missing}`,
  );
  const samples = [];
  let example;
  for (let r = 0; r <= rounds; r++) {
    restore();
    const anchor = tsc();
    const full = naviFix(project.dir, []);
    restore();
    const skip = naviFix(project.dir, ['--skip-tests']);
    example ??= { kept: full.json.fixes.filter((f) => f.status === 'kept'), json: full.json };
    say(
      `  ${r === 0 ? 'warm-up' : `round ${r}/${rounds}`}: tsc ${fmt(anchor.ms, 0)} ms, navi fix ${fmt(full.ms, 0)} ms (durationMs ${full.json.durationMs}, checkpoint ${full.json.checkpoint?.ms} ms), --skip-tests ${fmt(skip.ms, 0)} ms`,
    );
    if (r > 0) samples.push({ tsc: anchor.ms, full, skip });
  }
  restore();
  return { project, samples, example };
}

/** The numbers of the fix measurement: the commands (with their ratio to tsc in the same round) and the phases. */
function fixNumbers(fx) {
  const s = fx.samples;
  const ratio = (pick) => median(s.map((x) => pick(x) / x.tsc));
  const rows = [
    {
      label: "`./node_modules/.bin/tsc --noEmit -p .` (anchor: the project's checker)",
      x: stat(s, (x) => x.tsc),
    },
    {
      label: '`node bin/navi.js fix PROJECT --yes --json`',
      x: stat(s, (x) => x.full.ms),
      ratio: ratio((x) => x.full.ms),
      target: true,
    },
    { label: 'of which the task (JSON `durationMs`)', x: stat(s, (x) => x.full.json.durationMs) },
    { label: 'of which the checkpoint (JSON `checkpoint.ms`)', x: stat(s, (x) => x.full.json.checkpoint.ms) },
    {
      label: '`node bin/navi.js fix PROJECT --yes --json --skip-tests`',
      x: stat(s, (x) => x.skip.ms),
      ratio: ratio((x) => x.skip.ms),
      target: true,
    },
  ];
  const phases = PHASE_ORDER.map((phase) => ({
    phase,
    full: median(s.map((x) => x.full.phases[phase] ?? 0)),
    skip: median(s.map((x) => x.skip.phases[phase] ?? 0)),
  }));
  const json = fx.example.json;
  const f = fx.example.kept[0];
  const facts =
    `The fix: ${f.fixer.name} on \`${f.files.join('`, `')}\`, receipt ${f.receipt.status}; checker runs: ` +
    `${json.checks.map((c) => `${c.checker} (${c.phase})`).join(', ')}; tests before/after: ` +
    `${json.tests?.before?.passed ?? '—'}/${json.tests?.after?.passed ?? '—'} passed; the checkpoint stored ${json.checkpoint.files} files.`;
  return { rows, phases, facts };
}

const fixCells = (r) => [
  r.label,
  `${fmt(r.x.median, 0)} ms`,
  `${r.x.spread} ms`,
  r.ratio === undefined ? '' : `${fmt(r.ratio, 2)}×`,
  r.target ? `< 10 s: ${met(r.x.median < TARGET_FIX_MS)}` : '',
];
const FIX_COLUMNS = ['command', 'median', 'min–max', '× tsc (paired)', 'target'];

function printFix(fx) {
  const n = fixNumbers(fx);
  say('');
  say(`median of ${rounds} rounds (min–max); target < ${TARGET_FIX_MS} ms`);
  const cells = [FIX_COLUMNS, ...n.rows.map(fixCells)];
  const widths = FIX_COLUMNS.map((_, k) => Math.max(...cells.map((c) => c[k].length)));
  for (const c of cells) say(c.map((x, k) => x.padEnd(widths[k])).join('  '));
  say('');
  say(`${'phase (from the audit log)'.padEnd(40)} ${'navi fix'.padStart(9)} ${'--skip-tests'.padStart(13)}`);
  for (const p of n.phases)
    say(`${p.phase.padEnd(40)} ${fmt(p.full, 0).padStart(9)} ${fmt(p.skip, 0).padStart(13)}`);
  say('');
  say(n.facts);
  return n;
}

// ------------------------------------------------------------------------------------------
// docs/BENCHMARKS.md

function docSection(cp, cpRows, fx, fxNumbers, load) {
  const command = `npm run bench:fix${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const lines = [
    '## Fix with verification',
    '',
    `Command: \`${command}\` (\`node scripts/bench-fix.mjs\`; needs \`npm run build\`).`,
    '',
  ];
  if (cp) {
    const verdict = (r) =>
      !r.budget
        ? ''
        : r.files < cp.files
          ? `not met: ${r.files.toLocaleString('en-US')} of ${cp.files.toLocaleString('en-US')} files stored`
          : `< 2 s: ${met(r.ms.median < TARGET_CHECKPOINT_MS)}`;
    lines.push(
      `**Checkpoint of a ${cp.files.toLocaleString('en-US')}-file repository with a ${changedCount}-file change** (target < 2 s). Real sources, copied and committed: ${cp.from.map((x) => `${x.label} ${x.files.toLocaleString('en-US')}`).join(', ')} files, ${fmt(cp.bytes / 1e6, 0)} MB (Debian's upstream trees through \`../shared/tools/real-project\`; \`vendor\` is this repository's node_modules). Each round, in fresh Node processes, \`createCheckpoint({workspaceRoot, stateDir, taskId})\` into a new store (first, cold), then ${changedCount} files change and a second task checkpoints into the same store (warm: what a user's second fix task pays); with the default time budget (what \`navi fix\` uses) and without one (\`timeBudgetMs: Infinity\`). The anchors run in the same loop on the same tree. Median of ${rounds} rounds after a warm-up round (min–max); peak RSS is the checkpoint's Node process (its git processes stay below it), git's from GNU time; a skipped folder counts as one path.`,
      '',
      `| ${[...COLUMNS, 'target'].join(' | ')} |`,
      `| ${[...COLUMNS, 'target'].map(() => '---').join(' | ')} |`,
      ...cpRows.map((r) => `| ${[...rowCells(r), verdict(r)].join(' | ')} |`),
      '',
    );
  }
  if (fx) {
    lines.push(
      `**\`navi fix\` of one TypeScript error in a ${fx.project.tsFiles}-file project, verified end to end** (target < 10 s). A generated project: modules in ten folders importing each other, a strict tsconfig, \`node_modules/typescript\` linked to this repository's TypeScript (${fx.project.typescript}), \`"typecheck": "tsc --noEmit -p ."\` and \`"test": "node --test test/"\` (${fx.project.tests} small tests), committed with one error planted: a missing import of a function another file exports (TS2304). Each round \`git checkout\` restores the error, then the whole command runs as a user types it, in a new process with a new \`XDG_STATE_HOME\` and \`XDG_CONFIG_HOME\` (no stored profile, checkpoint store or signing key yet), and its JSON must say \`fixed\` with a verified receipt. Median of ${rounds} rounds after a warm-up round (min–max); the ratio is the median of each round's time over the same round's tsc.`,
      '',
      `| ${FIX_COLUMNS.join(' | ')} |`,
      `| ${FIX_COLUMNS.map(() => '---').join(' | ')} |`,
      ...fxNumbers.rows.map((r) => `| ${fixCells(r).join(' | ')} |`),
      '',
      "| phase (agent-side times from the run's audit log) | `navi fix` | `--skip-tests` |",
      '| --- | --- | --- |',
      ...fxNumbers.phases.map((p) => `| ${p.phase} | ${fmt(p.full, 0)} ms | ${fmt(p.skip, 0)} ms |`),
      '',
      fxNumbers.facts,
      '',
    );
  }
  lines.push(...machineLines(load), `Load average at the start: ${loadAtStart}.`, '', ...keptNotes());
  return lines.join('\n');
}

/** Marks where the section's hand-written notes start; a new run keeps them. */
const NOTES_MARK =
  '<!-- Written by hand: npm run bench:fix keeps what follows when it rewrites this section. -->';

/** The hand-written notes of the section now in docs/BENCHMARKS.md (from NOTES_MARK on), or none. */
function keptNotes() {
  const text = fs.readFileSync(path.join(repoRoot, 'docs', 'BENCHMARKS.md'), 'utf8');
  const at = text.indexOf('\n## Fix with verification\n');
  if (at < 0) return [];
  const end = text.indexOf('\n## ', at + 1);
  const section = text.slice(at, end < 0 ? undefined : end);
  const mark = section.indexOf(NOTES_MARK);
  return mark < 0 ? [] : [section.slice(mark).trimEnd(), ''];
}

// ------------------------------------------------------------------------------------------

if (!fs.existsSync(path.join(repoRoot, 'dist', 'cli.js')) && only !== 'checkpoint')
  throw new Error('NAVI is not built: run `npm run build` first.');
let cp;
let cpRows;
let fx;
let fxNumbers;
try {
  if (only !== 'fix') {
    cp = await checkpointBench();
    cpRows = printCheckpoint(cp);
  }
  if (only !== 'checkpoint') {
    fx = fixBench();
    fxNumbers = printFix(fx);
  }
} finally {
  if (!keep) fs.rmSync(work, { recursive: true, force: true });
  else say(`kept: ${work}`);
}
const load = loadAverage();
say('');
for (const line of machineLines(load)) say(line);
// A partial run (--only) prints; the section holds both measurements.
if (!args.has('--no-write') && only === undefined)
  updateBenchmarksDoc(docSection(cp, cpRows, fx, fxNumbers, load));
