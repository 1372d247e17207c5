// What the benchmark scripts (scripts/bench-*.mjs) share: their options, the esbuild bundle of server
// code they measure, the fresh Node process it runs in, the fixture repository, the statistics,
// and the "## Section" of docs/BENCHMARKS.md each of them writes. Each script keeps what it measures.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);

/** The repository's root folder (this file is scripts/lib/bench.mjs). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// ------------------------------------------------------------------------------------------
// Options

/**
 * The command line's options. `value(name, fallback)` is the word after `name` (the fallback when
 * `name` is absent or last), `number(name, fallback)` the same as a number, `has(name)` whether a
 * flag such as `--no-write` is there.
 * @param {string[]} [argv] defaults to process.argv.slice(2)
 */
export function cliArgs(argv = process.argv.slice(2)) {
  const value = (name, fallback) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
  };
  return {
    value,
    number: (name, fallback) => {
      const v = value(name, undefined);
      return v === undefined ? fallback : Number(v);
    },
    has: (name) => argv.includes(name),
  };
}

// ------------------------------------------------------------------------------------------
// Bundling and the benchmark's child process

/** The bash parser's WASM files; server/exec/parse.ts looks for them next to the bundle first (as in dist/). */
const PARSER_WASM = ['web-tree-sitter/tree-sitter.wasm', 'tree-sitter-bash/tree-sitter-bash.wasm'];

/**
 * Bundles server code with esbuild the way dist/server.js is built (CommonJS, node20), so that it
 * runs in a fresh `node` process without tsx.
 * @param {object} options
 * @param {string} options.outfile where the bundle goes (its folder is created)
 * @param {string[]} [options.exports] the entry's lines, `export … from './server/…'` (resolved from the repository root)
 * @param {string} [options.entry] or a file to bundle, relative to the repository root
 * @param {boolean} [options.parser] the code uses the bash parser: web-tree-sitter is aliased to its
 *   CommonJS build, as esbuild.config.mjs does (its ESM build reads import.meta.url, empty in a CJS
 *   bundle), and the two WASM files are copied beside the bundle, as the production build does
 * @param {Record<string, string>} [options.define] esbuild's `define`
 * @returns {Promise<string>} the bundle's path
 */
export async function bundleServer({ outfile, exports, entry, parser = false, define }) {
  await esbuild.build({
    ...(entry !== undefined
      ? { entryPoints: [path.join(repoRoot, entry)] }
      : { stdin: { contents: exports.join('\n'), resolveDir: repoRoot, loader: 'ts' } }),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    logLevel: 'warning',
    ...(define !== undefined ? { define } : {}),
    ...(parser ? { alias: { 'web-tree-sitter': require.resolve('web-tree-sitter') } } : {}),
  });
  if (parser) {
    for (const asset of PARSER_WASM) {
      fs.copyFileSync(require.resolve(asset), path.join(path.dirname(outfile), path.basename(asset)));
    }
  }
  return outfile;
}

/**
 * For a child's source: keeps its event loop alive until `clearInterval(keepAlive)`. The agent's
 * stdio connection keeps its event loop alive; without a live handle, Node waits for V8's
 * background tasks whenever the loop runs empty (NodePlatform::DrainTasks), which here means a 1 s
 * stall while the bash grammar's lexer is compiled by TurboFan. The agent never sees that.
 */
export const CHILD_KEEP_ALIVE = 'const keepAlive = setInterval(() => {}, 60000);';

/**
 * Runs `source` as `<work>/child.cjs` in a fresh `node` process with `argv`, waits for it, and
 * returns the JSON it printed on stdout. Throws with its stderr when it exits non-zero.
 * @param {string} work the benchmark's temp folder
 * @param {string} source CommonJS source of the child
 * @param {string[]} argv the child's arguments (process.argv.slice(2) in it)
 * @param {string} [label] named in the error message: `benchmark child (<label>) failed`
 */
export function runChild(work, source, argv, label) {
  const file = path.join(work, 'child.cjs');
  fs.writeFileSync(file, source);
  const out = spawnSync(process.execPath, [file, ...argv], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (out.status !== 0) {
    throw new Error(`benchmark child${label === undefined ? '' : ` (${label})`} failed:\n${out.stderr}`);
  }
  return JSON.parse(out.stdout);
}

// ------------------------------------------------------------------------------------------
// Fixtures

/**
 * Writes `files` (path relative to `root` → content) under `root`, creating folders.
 * @param {string} root
 * @param {Record<string, string>} files
 */
export function writeFiles(root, files) {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

/**
 * Makes `workspace` a git repository with everything in it committed (branch main, a fixed
 * identity, HOME=`home`, so the user's git configuration is not read).
 * @param {string} workspace
 * @param {string} home
 */
export function gitCommitAll(workspace, home) {
  const git = (...a) => {
    const out = spawnSync(
      'git',
      [
        '-c',
        'user.name=bench',
        '-c',
        'user.email=bench@example.invalid',
        '-c',
        'init.defaultBranch=main',
        ...a,
      ],
      { cwd: workspace, encoding: 'utf8', env: { ...process.env, HOME: home } },
    );
    if (out.status !== 0) throw new Error(`git ${a.join(' ')} failed: ${out.stderr}`);
  };
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
}

// ------------------------------------------------------------------------------------------
// The streaming benchmarks (runner and pipeline measure the same output against the same targets)

/** Bytes each producer writes. */
export const STREAM_BYTES = 200_000_000;

/** The two producers of 200 MB: one very long line, and many short lines. */
export const STREAM_PRODUCERS = [
  { label: 'one 200 MB line', command: `head -c ${STREAM_BYTES} /dev/zero | tr '\\0' a` },
  { label: '100 M short lines', command: `yes | head -c ${STREAM_BYTES}` },
];

/** Targets: time the pipeline adds to a command (ms), peak RSS while streaming (MB), throughput against a plain pipe. */
export const TARGET_OVERHEAD_MS = 30;
export const TARGET_RSS_MB = 150;
export const TARGET_THROUGHPUT = 0.5;

/** MB/s of STREAM_BYTES streamed in `ms` milliseconds. */
export const streamMBps = (ms) => STREAM_BYTES / 1e6 / (ms / 1000);

// ------------------------------------------------------------------------------------------
// Statistics

/** The values in ascending order (a copy). */
const ascending = (xs) => [...xs].sort((a, b) => a - b);

/** Nearest-rank percentile of an ascending array: its smallest value with p% of the values at or below it. */
const rank = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((sorted.length * p) / 100) - 1))];

/** The middle value; with an even count, the upper of the two middle ones. */
export const median = (xs) => ascending(xs)[Math.floor(xs.length / 2)];

/** The nearest-rank 95th percentile. */
export const p95 = (xs) => rank(ascending(xs), 95);

/**
 * Count, nearest-rank p50/p95/p99 and max of a series. (Its p50 is the lower middle value with an
 * even count, where `median` takes the upper one.)
 * @param {number[]} xs
 * @returns {{ n: number, p50: number, p95: number, p99: number, max: number }}
 */
export function summary(xs) {
  const s = ascending(xs);
  return { n: s.length, p50: rank(s, 50), p95: rank(s, 95), p99: rank(s, 99), max: s[s.length - 1] };
}

/** `x` with `digits` decimals. */
export const fmt = (x, digits = 1) => x.toFixed(digits);

// ------------------------------------------------------------------------------------------
// The machine and docs/BENCHMARKS.md

/** Load average over 1, 5 and 15 minutes: `1.2 / 0.9 / 0.7`. */
export const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');

/** Version of bubblewrap (`bwrap --version`), or 'unknown'. */
export function bwrapVersion() {
  const out = spawnSync('bwrap', ['--version'], { encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim().replace(/^bubblewrap\s*/, '') : 'unknown';
}

/**
 * The two "Machine: …" lines of a docs section: cores, CPU model, Node, kernel; bubblewrap's version
 * when given; the load average and today's date.
 * @param {string} load from loadAverage(), taken once so that it is the one the script prints
 * @param {{ bubblewrap?: string }} [options]
 * @returns {string[]}
 */
export function machineLines(load, { bubblewrap } = {}) {
  const cpus = os.cpus();
  const date = new Date().toISOString().slice(0, 10);
  const sandbox = bubblewrap === undefined ? '' : `bubblewrap ${bubblewrap}; `;
  return [
    `Machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${os.platform()} ${os.release()}${bubblewrap === undefined ? ';' : ','}`,
    `${sandbox}load average (1/5/15 min) at the end: ${load}. Measured ${date}.`,
  ];
}

/** 'met' or 'not met', for a table's target column. */
export const met = (ok) => (ok ? 'met' : 'not met');

/** `text` as Markdown code in a table cell (`|` escaped). */
export const mdCode = (text) => '`' + text.replace(/\|/g, '\\|') + '`';

/**
 * Puts `section` (Markdown starting with its "## Heading" line) into docs/BENCHMARKS.md: it replaces
 * the section with that heading wherever it is, up to the next "## " heading, or is appended at the
 * end. Nothing else in the file is touched. Prints `docs/BENCHMARKS.md: "Heading" updated`.
 * @param {string} section
 */
export function updateBenchmarksDoc(section) {
  const file = path.join(repoRoot, 'docs', 'BENCHMARKS.md');
  const text = fs.readFileSync(file, 'utf8');
  const heading = section.slice(0, section.indexOf('\n'));
  const at = text.indexOf(`\n${heading}\n`);
  let next;
  if (at < 0) {
    next = text.replace(/\s*$/, '\n\n') + section;
  } else {
    const after = text.indexOf('\n## ', at + 1);
    next = text.slice(0, at + 1) + section + (after < 0 ? '' : '\n' + text.slice(after + 1));
  }
  fs.writeFileSync(file, next);
  console.log(`docs/BENCHMARKS.md: "${heading.replace(/^## /, '')}" updated`);
}
