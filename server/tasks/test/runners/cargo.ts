import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestCaseResult, TestFailure, TestStatus, TestTotals } from '../../../../protocol/testing';
import { boundedText, emptyTotals, mapStack, MAX_RAW_CHARS, testId } from './common';
import { splitTestName, stripAnsi } from './jsCommon';
import type { ParseInput, ParsedTests, RunnerAdapter } from './types';

/**
 * `cargo test`. Stable Rust has no machine-readable test output: libtest's JSON format
 * (`-- -Z unstable-options --format json`) needs a nightly toolchain, and forcing it on stable
 * (`RUSTC_BOOTSTRAP=1`) would rebuild every dependency. So this adapter reads libtest's text,
 * which is stable in practice, and labels the result `parsedFrom: 'text'`:
 * - cargo prints (on stderr) one `Running unittests src/lib.rs (target/…)` / `Running tests/x.rs
 *   (…)` / `Doc-tests crate` line per test binary, and each binary prints (on stdout) `running N
 *   tests`, `test path::name ... ok|FAILED|ignored`, `---- path::name stdout ----` sections with
 *   the panic (`panicked at src/lib.rs:10:5:` since Rust 1.73, `panicked at 'msg', src/lib.rs:10:5`
 *   before) and `test result: FAILED. 1 passed; 2 failed; 1 ignored; …`. The n-th binary line goes
 *   with the n-th `running` block.
 * - Files: a unit test's module path (`tests::fails` in `src/lib.rs`) is followed to its file
 *   (`src/tests.rs`, `src/tests/mod.rs` or an inline `mod tests`), and the line is `fn fails(`; an
 *   integration test's file is its binary's; a doc test's name carries both (`src/lib.rs - add
 *   (line 7)`). A failure's line is the panic location when it is in that file.
 * - `assert_eq!(left, right)`: NAVI reads left as actual and right as expected (the usual
 *   `assert_eq!(actual, expected)` order; Rust itself does not say).
 * - Totals are the sum of the binaries' `test result:` lines (ignored → skipped). Code that does not
 *   compile (`error[E0425]: …  --> src/lib.rs:20:9`) and a test binary that dies by a signal are
 *   `errors`: cargo reports no test counts for them.
 */

function cargoPrefix(argv: readonly string[]): number | undefined {
  const base = (argv[0] ?? '').replace(/\\/g, '/').split('/').pop() ?? '';
  if (!/^cargo(\.exe)?$/.test(base)) return undefined;
  let i = 1;
  if (argv[i]?.startsWith('+')) i += 1; // `cargo +nightly test`
  while (argv[i] && /^(-v+|--verbose|-q|--quiet|--offline|--frozen|--locked)$/.test(argv[i]!)) i += 1;
  return argv[i] === 'test' || argv[i] === 't' ? i + 1 : undefined;
}

export const cargoAdapter: RunnerAdapter = {
  id: 'cargo',
  matches: (argv) => cargoPrefix(argv) !== undefined,
  instrument(argv, options) {
    const at = cargoPrefix(argv) ?? argv.length;
    const dash = argv.indexOf('--', at);
    const cargoArgs = [...argv.slice(at, dash >= 0 ? dash : argv.length)];
    const harnessArgs = dash >= 0 ? argv.slice(dash + 1) : [];
    for (const file of options.files ?? []) cargoArgs.push(...targetOf(file, options.cwd));
    const names = (options.testNames ?? []).map((full) => {
      const { suite, name } = splitTestName(full);
      return [...suite, name].join('::');
    });
    const harness = [...harnessArgs];
    if (names.length > 0) harness.push(...(harness.includes('--exact') ? [] : ['--exact']), ...names);
    return {
      argv: [...argv.slice(0, at), ...dedupe(cargoArgs), ...(harness.length ? ['--', ...harness] : [])],
      reports: [],
    };
  },
  parse: parseCargoText,
};

function dedupe(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const pair =
      args[i] === '--test' || args[i] === '--bin' || args[i] === '--bench' || args[i] === '--example';
    const token = pair ? `${args[i]} ${args[i + 1]}` : args[i]!;
    if (!out.some((o, j) => (pair ? `${o} ${out[j + 1]}` === token : o === token))) {
      out.push(args[i]!);
      if (pair) out.push(args[i + 1]!);
    }
    if (pair) i += 1;
  }
  return out;
}

/** The cargo target that holds a file: `tests/x.rs` → `--test x`, `src/bin/y.rs` → `--bin y`, `src/**` → `--lib`. */
function targetOf(file: string, cwd: string): string[] {
  const rel = path.relative(cwd, file).split(path.sep).join('/');
  const sub = /^(?:.*\/)?(tests|benches|examples)\/([^/]+?)(?:\.rs|\/main\.rs)$/.exec(rel);
  if (sub) return [{ tests: '--test', benches: '--bench', examples: '--example' }[sub[1]!]!, sub[2]!];
  const bin = /^(?:.*\/)?src\/bin\/([^/]+?)(?:\.rs|\/main\.rs)$/.exec(rel);
  if (bin) return ['--bin', bin[1]!];
  if (/(^|\/)src\/main\.rs$/.test(rel) && !fs.existsSync(path.join(cwd, 'src/lib.rs'))) return ['--bins'];
  return ['--lib'];
}

interface Binary {
  /** `unit` (src/lib.rs, src/main.rs), `test` (tests/x.rs), `doc`. */
  kind: 'unit' | 'test' | 'doc';
  /** Crate root source file, relative to the package (unit, test). */
  source?: string;
  /** Crate name (doc tests, old cargo's `Running target/debug/deps/name-hash`). */
  crate?: string;
}

interface Block {
  results: { name: string; status: TestStatus }[];
  sections: Map<string, string>;
  summary?: TestTotals;
}

/** `Running unittests src/lib.rs (target/…)`, `Running tests/x.rs (…)`, `Running target/debug/deps/x-0123abcd`, `Doc-tests crate`. */
function binaryOf(line: string): Binary | undefined {
  const running = /^\s*Running (?:(unittests) )?(\S+)(?: \((\S+)\))?\s*$/.exec(line);
  if (running) {
    const [, unit, first, exe] = running;
    if (first!.endsWith('.rs'))
      return { kind: unit ? 'unit' : 'test', source: first, crate: crateOfExe(exe) };
    const crate = crateOfExe(first);
    return { kind: 'unit', crate };
  }
  const doc = /^\s*Doc-tests (\S+)\s*$/.exec(line);
  if (doc) return { kind: 'doc', crate: doc[1] };
  return undefined;
}

function crateOfExe(exe: string | undefined): string | undefined {
  return exe ? path.basename(exe).replace(/-[0-9a-f]{8,}(\.exe)?$/, '') : undefined;
}

function parseBlocks(stdout: string): Block[] {
  const blocks: Block[] = [];
  let block: Block | undefined;
  let section: { name: string; lines: string[] } | undefined;
  const close = () => {
    if (section && block) block.sections.set(section.name, section.lines.join('\n').trim());
    section = undefined;
  };
  for (const line of stdout.split('\n')) {
    if (/^running \d+ tests?$/.test(line)) {
      close();
      block = { results: [], sections: new Map() };
      blocks.push(block);
      continue;
    }
    if (!block) continue;
    const result = /^test (.+?) \.\.\. (ok|FAILED|ignored(?:, .*)?|bench:.*)$/.exec(line);
    if (result && !section) {
      const word = result[2]!;
      if (!word.startsWith('bench'))
        block.results.push({
          name: result[1]!,
          status: word === 'ok' ? 'passed' : word === 'FAILED' ? 'failed' : 'skipped',
        });
      continue;
    }
    const head = /^---- (.+?) std(?:out|err) ----$/.exec(line);
    if (head) {
      close();
      section = { name: head[1]!, lines: [] };
      continue;
    }
    const summary =
      /^test result: (?:ok|FAILED)\. (\d+) passed; (\d+) failed; (\d+) ignored; (\d+) measured; \d+ filtered out(?:; finished in ([\d.]+)s)?/.exec(
        line,
      );
    if (summary) {
      close();
      block.summary = {
        passed: Number(summary[1]) + Number(summary[4]),
        failed: Number(summary[2]),
        skipped: Number(summary[3]),
        todo: 0,
        durationMs: Math.round(Number(summary[5] ?? 0) * 1000),
      };
      continue;
    }
    if (section) {
      // The second `failures:` list (names only) ends the sections.
      if (line === 'failures:') close();
      else section.lines.push(line);
    }
  }
  close();
  return blocks;
}

export function parseCargoText(input: ParseInput): ParsedTests {
  const stdout = stripAnsi(input.stdout);
  const stderr = stripAnsi(input.stderr);
  // cargo's own lines are on stderr; when the caller merged the streams they are in stdout.
  const binaries = [...stderr.split('\n'), ...stdout.split('\n')]
    .map(binaryOf)
    .filter((b): b is Binary => !!b);
  const blocks = parseBlocks(stdout);
  const packages = new CargoPackages(input.cwd);
  const tests: TestCaseResult[] = [];
  const totals = emptyTotals();
  blocks.forEach((block, index) => {
    const binary = binaries[index];
    for (const { name, status } of block.results)
      tests.push(toResult(name, status, block.sections.get(name), binary, packages, input));
    const counted = block.summary ?? countOf(block.results);
    totals.passed += counted.passed;
    totals.failed += counted.failed;
    totals.skipped += counted.skipped;
    totals.durationMs += counted.durationMs;
  });
  const errors = [...compileErrors(stderr), ...crashes(stderr, blocks)];
  if (blocks.length === 0 && errors.length === 0 && input.exitCode !== 0) {
    const why = stderr
      .split('\n')
      .find((l) => /^error/.test(l))
      ?.trim();
    errors.push(
      `cargo test ran no tests (exit code ${input.exitCode ?? 'none'})${why ? `: ${why.slice(0, 300)}` : ''}.`,
    );
  }
  return { tests, totals, parsedFrom: 'text', errors };
}

function countOf(results: Block['results']): TestTotals {
  const totals = emptyTotals();
  for (const r of results) totals[r.status] += 1;
  return totals;
}

function toResult(
  fullName: string,
  status: TestStatus,
  section: string | undefined,
  binary: Binary | undefined,
  packages: CargoPackages,
  input: ParseInput,
): TestCaseResult {
  let file: string | undefined;
  let line: number | undefined;
  let suite: string[];
  let name: string;
  const doc = /^(.+?) - (.+) \(line (\d+)\)$/.exec(fullName);
  if (binary?.kind === 'doc' || doc) {
    // `src/lib.rs - add (line 7)`, `src/lib.rs - Calc::add (line 12)`.
    file = doc ? packages.resolve(doc[1]!, binary?.crate) : undefined;
    line = doc ? Number(doc[3]) : undefined;
    suite = ['doc-tests'];
    name = doc ? `${doc[2]} (line ${doc[3]})` : fullName;
  } else {
    const parts = fullName.split('::');
    name = parts[parts.length - 1]!;
    suite = parts.slice(0, -1);
    const root = binary?.source
      ? packages.resolve(binary.source, binary.crate)
      : packages.defaultRoot(binary);
    const decl = root ? findDeclaration(root, suite, name, binary?.kind === 'unit') : undefined;
    file = decl?.file ?? root;
    line = decl?.line;
    if (!file) suite = [binary?.crate ?? 'cargo', ...suite];
  }
  const result: TestCaseResult = {
    id: testId(input.workspaceRoot, file, suite, name),
    name,
    suite,
    ...(file ? { file } : {}),
    ...(line ? { line } : {}),
    status,
    step: input.step,
  };
  if (status === 'failed') {
    const failure = rustFailure(section ?? '', packages, binary, input);
    result.failure = failure;
    const inFile =
      binary?.kind !== 'doc' && file ? failure.stack.find((f) => f.file === file)?.line : undefined;
    if (inFile) result.line = inFile;
  }
  return result;
}

/** The panic of a failure section: message, location, `left`/`right`. */
function rustFailure(
  section: string,
  packages: CargoPackages,
  binary: Binary | undefined,
  input: ParseInput,
): TestFailure {
  let message = '';
  let location: string | undefined;
  // Rust ≥ 1.73: `thread 'x' panicked at src/lib.rs:25:9:\nmessage`; the thread id `(123)` is newer still.
  const modern =
    /thread '[^']*'(?: \(\d+\))? panicked at ([^\n]+?):(\d+):(\d+):\n([\s\S]*?)(?=\n(?:note: |stack backtrace:)|$)/.exec(
      section,
    );
  const legacy = /thread '[^']*' panicked at '([\s\S]*?)', ([^\n]+?):(\d+):(\d+)/.exec(section);
  if (modern) {
    location = `${modern[1]}:${modern[2]}:${modern[3]}`;
    message = modern[4]!.trim();
  } else if (legacy) {
    location = `${legacy[2]}:${legacy[3]}:${legacy[4]}`;
    message = legacy[1]!.trim();
  } else {
    message =
      section
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l && !/^(stderr|stdout):$/.test(l)) ?? 'Test failed';
  }
  const left = /^\s*left: `?([\s\S]*?)`?,?$/m.exec(message);
  const right = /^\s*right: `?([\s\S]*?)`?$/m.exec(message);
  const frames: string[] = [];
  if (location) {
    const [, file, rest] = /^(.*?):(\d+:\d+)$/.exec(location) ?? [];
    if (file && rest) frames.push(`${packages.resolve(file, binary?.crate) ?? file}:${rest}`);
  }
  // Backtraces (RUST_BACKTRACE=1): `at ./src/lib.rs:25:9`.
  for (const m of section.matchAll(/^\s+at (\.\/[^\s:]+\.rs):(\d+):(\d+)$/gm))
    frames.push(`${packages.resolve(m[1]!, binary?.crate) ?? m[1]}:${m[2]}:${m[3]}`);
  return {
    message: boundedText(message || 'Test failed'),
    ...(left && right
      ? { actual: boundedText(left[1]!.trim()), expected: boundedText(right[1]!.trim()) }
      : {}),
    stack: mapStack(frames.join('\n'), input.cwd, input.workspaceRoot),
    ...(section ? { raw: boundedText(section, MAX_RAW_CHARS) } : {}),
  };
}

/** `error[E0425]: cannot find value `x` in this scope` + ` --> src/lib.rs:20:9` → one sentence. */
export function compileErrors(stderr: string, max = 20): string[] {
  const lines = stderr.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length && out.length < max; i++) {
    const m = /^error(\[E\d+\])?: (.+)$/.exec(lines[i]!);
    if (
      !m ||
      /^(test failed|doctest failed|\d+ targets? failed|could not compile|aborting due to)/.test(m[2]!)
    )
      continue;
    const at = lines
      .slice(i + 1, i + 4)
      .map((l) => /^\s*--> (.+?):(\d+):(\d+)$/.exec(l))
      .find(Boolean);
    out.push(boundedText(`${at ? `${at[1]}:${at[2]}: ` : ''}error${m[1] ?? ''}: ${m[2]}`, 1_000));
  }
  return out;
}

/** A test binary that died by a signal or an exit status other than libtest's 101. */
function crashes(stderr: string, blocks: readonly Block[]): string[] {
  const out: string[] = [];
  const lines = stderr.split('\n');
  lines.forEach((line, i) => {
    const m = /process didn't exit successfully: .*\((signal: [^)]*|exit status: (\d+))\)/.exec(line);
    if (!m || m[2] === '101') return;
    const target = lines
      .slice(Math.max(0, i - 4), i)
      .map((l) => /^error: test failed, to rerun pass `([^`]+)`/.exec(l)?.[1])
      .find(Boolean);
    out.push(
      `The test binary${target ? ` for ${target}` : ''} crashed (${m[1]}) before reporting all its results.`,
    );
  });
  if (out.length === 0 && blocks.some((b) => !b.summary))
    out.push('A test binary stopped before printing its `test result:` line (it crashed or was killed).');
  return out;
}

/** Declaration of `fn name(` under the module path `suite` from a crate root file. */
function findDeclaration(
  root: string,
  modules: readonly string[],
  name: string,
  followModules: boolean,
): { file: string; line: number } | undefined {
  // Candidate files, deepest first: src/a/b.rs, src/a/b/mod.rs, …, then the root (inline `mod a { mod b {…} }`).
  const candidates: string[] = [];
  if (followModules) {
    const base =
      path.basename(root) === 'lib.rs' ||
      path.basename(root) === 'main.rs' ||
      path.basename(root) === 'mod.rs'
        ? path.dirname(root)
        : path.join(path.dirname(root), path.basename(root, '.rs'));
    let files: string[] = [root];
    let dir = base;
    for (const mod of modules) {
      const next = [path.join(dir, `${mod}.rs`), path.join(dir, mod, 'mod.rs')].filter((f) =>
        fs.existsSync(f),
      );
      if (next.length === 0) break;
      files = [...next, ...files];
      dir = path.join(dir, mod);
    }
    candidates.push(...files);
  } else candidates.push(root);
  const decl = new RegExp(
    `^\\s*(?:pub(?:\\([^)]*\\))?\\s+)?(?:async\\s+)?fn\\s+${name.replace(/[^\w]/g, '')}\\s*[(<]`,
  );
  for (const file of candidates) {
    let lines: string[];
    try {
      lines = fs.readFileSync(file, 'utf8').split('\n');
    } catch {
      continue;
    }
    const index = lines.findIndex((l) => decl.test(l));
    if (index >= 0) return { file, line: index + 1 };
  }
  return undefined;
}

/** The package folders under cwd (the package itself, or a workspace's members), to resolve cargo's relative paths. */
class CargoPackages {
  private list: { dir: string; name?: string }[] | undefined;

  constructor(private readonly cwd: string) {}

  private packages(): { dir: string; name?: string }[] {
    if (this.list) return this.list;
    const found: { dir: string; name?: string }[] = [];
    const visit = (dir: string, depth: number) => {
      const manifest = path.join(dir, 'Cargo.toml');
      if (fs.existsSync(manifest)) {
        let name: string | undefined;
        try {
          const text = fs.readFileSync(manifest, 'utf8');
          const pkg = /^\[package\][\s\S]*?^\s*name\s*=\s*"([^"]+)"/m.exec(text);
          name = pkg?.[1]?.replace(/-/g, '_');
        } catch {
          name = undefined;
        }
        found.push({ dir, name });
      }
      if (depth >= 3) return;
      let entries: fs.Dirent[] = [];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries)
        if (e.isDirectory() && !/^(target|node_modules|\..*)$/.test(e.name))
          visit(path.join(dir, e.name), depth + 1);
    };
    visit(this.cwd, 0);
    this.list = found;
    return found;
  }

  /** A path cargo printed (relative to a package, to the workspace root, or absolute) as an existing absolute path. */
  resolve(rel: string, crate?: string): string | undefined {
    if (path.isAbsolute(rel)) return fs.existsSync(rel) ? rel : undefined;
    const plain = rel.replace(/^\.\//, '');
    const normalized = crate?.replace(/-/g, '_');
    const ordered = [
      ...this.packages().filter((p) => normalized && p.name === normalized),
      { dir: this.cwd },
      ...this.packages(),
    ];
    for (const pkg of ordered) {
      const candidate = path.join(pkg.dir, plain);
      if (fs.existsSync(candidate)) return candidate;
    }
    return undefined;
  }

  /** Without a source path (old cargo): tests/<crate>.rs, else the crate's src/lib.rs or src/main.rs. */
  defaultRoot(binary: Binary | undefined): string | undefined {
    if (!binary?.crate) return undefined;
    return (
      this.resolve(`tests/${binary.crate}.rs`) ??
      this.resolve('src/lib.rs', binary.crate) ??
      this.resolve('src/main.rs', binary.crate)
    );
  }
}
