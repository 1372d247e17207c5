import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestCaseResult, TestFailure } from '../../../../protocol/testing';
import { boundedText, mapStack, MAX_RAW_CHARS, testId, totalsOf } from './common';
import { escapeRegExp, splitTestName, stripAnsi } from './jsCommon';
import type { ParseInput, ParsedTests, RunnerAdapter } from './types';

/**
 * `go test`. NAVI adds `-json`: go streams test2json events on stdout, one JSON object a line
 * (`{"Action":"fail","Package":"example.com/m/calc","Test":"TestAdd","Elapsed":0.01}`), instead of
 * its usual text — the text is still there, in the events' `Output` fields (`goTestHumanOutput`
 * gives it back for people). Go does not say where a test is: NAVI maps the package's import path
 * to its folder through go.mod (or go.work), finds `func TestX(` in the package's `_test.go` files,
 * and takes a failure's line from its output (`calc_test.go:14: got 3, want 4`, or the panic's
 * stack `/abs/calc_test.go:9 +0x2e`).
 *
 * Counting: go prints no totals. Subtests (`TestTable/two`) are results of their own, with the
 * parent as a suite; a parent is not counted again unless it failed by itself. A package that does
 * not compile ("FAIL pkg [build failed]") is one failed result named `[build failed]` at the first
 * compiler error, and a sentence in `errors`. A test binary that dies (a panic, a timeout) fails the
 * tests that were running. A package that fails outside any test (TestMain, init) is an error.
 */

/** `go test` flags that take the next argument as their value (build flags and test flags). */
const VALUE_FLAGS = new Set(
  [
    'p',
    'tags',
    'ldflags',
    'gcflags',
    'asmflags',
    'gccgoflags',
    'mod',
    'modfile',
    'o',
    'exec',
    'covermode',
    'coverpkg',
    'coverprofile',
    'cpuprofile',
    'memprofile',
    'blockprofile',
    'mutexprofile',
    'outputdir',
    'trace',
    'run',
    'skip',
    'bench',
    'benchtime',
    'count',
    'cpu',
    'list',
    'parallel',
    'timeout',
    'shuffle',
    'fuzz',
    'fuzztime',
    'vet',
    'buildmode',
    'compiler',
    'installsuffix',
    'overlay',
    'pkgdir',
    'toolexec',
    'C',
  ].flatMap((f) => [`-${f}`, `--${f}`]),
);

function isGo(argv: readonly string[]): boolean {
  const base = (argv[0] ?? '').replace(/\\/g, '/').split('/').pop() ?? '';
  return /^go(\.exe)?$/.test(base) && argv[1] === 'test';
}

export const goTestAdapter: RunnerAdapter = {
  id: 'go',
  matches: isGo,
  instrument(argv, options) {
    // Everything after `-args` goes to the test binary, untouched.
    const argsAt = argv.indexOf('-args');
    const head = argsAt >= 0 ? argv.slice(2, argsAt) : argv.slice(2);
    const tail = argsAt >= 0 ? argv.slice(argsAt) : [];
    let flags = head.filter((a) => a !== '-json' && a !== '--json');
    let packages: string[] = [];
    if (options.files?.length) {
      flags = withoutPackages(flags);
      packages = [
        ...new Set(
          options.files.map((file) => {
            const rel = path.relative(options.cwd, path.dirname(file)).split(path.sep).join('/');
            return rel === ''
              ? '.'
              : rel.startsWith('..') || path.isAbsolute(rel)
                ? path.dirname(file)
                : `./${rel}`;
          }),
        ),
      ];
    }
    if (options.testNames?.length) {
      flags = withoutFlag(flags, ['-run', '--run']);
      flags.push('-run', runPattern(options.testNames));
    }
    return { argv: [argv[0]!, 'test', '-json', ...flags, ...packages, ...tail], reports: [] };
  },
  parse: parseGoTestJson,
};

function withoutPackages(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) continue;
    out.push(arg);
    if (!arg.includes('=') && VALUE_FLAGS.has(arg) && i + 1 < args.length) out.push(args[++i]!);
  }
  return out;
}

function withoutFlag(args: readonly string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (names.includes(arg)) {
      i += 1;
      continue;
    }
    if (names.some((n) => arg.startsWith(`${n}=`))) continue;
    out.push(arg);
  }
  return out;
}

/** `-run` for NAVI names (`TestTable > two`): one anchored alternation per level, `^(?:TestTable)$/^(?:two)$`. */
export function runPattern(testNames: readonly string[]): string {
  const levels: Set<string>[] = [];
  for (const full of testNames) {
    const { suite, name } = splitTestName(full);
    [...suite, name].forEach((part, i) =>
      (levels[i] ??= new Set()).add(escapeRegExp(part.replace(/ /g, '_'))),
    );
  }
  return levels.map((set) => `^(?:${[...set].join('|')})$`).join('/');
}

interface GoEvent {
  Time?: string;
  Action?: string;
  Package?: string;
  ImportPath?: string;
  Test?: string;
  Output?: string;
  Elapsed?: number;
  FailedBuild?: string;
}

interface TestState {
  pkg: string;
  name: string;
  output: string[];
  status?: 'passed' | 'failed' | 'skipped';
  elapsed?: number;
}

/** The human text of `go test -json` output: the events' Output fields, and any non-JSON lines as they are. */
export function goTestHumanOutput(stdout: string): string {
  let out = '';
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) {
      if (line) out += `${line}\n`;
      continue;
    }
    try {
      const event = JSON.parse(line) as GoEvent;
      if (typeof event.Output === 'string') out += event.Output;
    } catch {
      out += `${line}\n`;
    }
  }
  return out;
}

export function parseGoTestJson(input: ParseInput): ParsedTests {
  const tests = new Map<string, TestState>();
  const packageOutput = new Map<string, string[]>();
  const packageStatus = new Map<string, 'pass' | 'fail' | 'skip'>();
  const buildFailed = new Set<string>();
  const buildOutput = new Map<string, string[]>();
  let first: number | undefined;
  let last: number | undefined;
  let events = 0;
  for (const line of stripAnsi(input.stdout).split('\n')) {
    if (line.startsWith('{')) {
      let event: GoEvent;
      try {
        event = JSON.parse(line) as GoEvent;
      } catch {
        continue;
      }
      events += 1;
      const t = event.Time ? Date.parse(event.Time) : NaN;
      if (Number.isFinite(t)) {
        first = Math.min(first ?? t, t);
        last = Math.max(last ?? t, t);
      }
      // Go ≥ 1.24 reports compiler output as events of the import path.
      if (event.Action === 'build-output' && event.ImportPath) {
        const pkg = event.ImportPath.replace(/ \[.*\]$/, '');
        push(buildOutput, pkg, event.Output ?? '');
        continue;
      }
      if (event.Action === 'build-fail' && event.ImportPath) {
        buildFailed.add(event.ImportPath.replace(/ \[.*\]$/, ''));
        continue;
      }
      const pkg = event.Package;
      if (!pkg) continue;
      if (!event.Test) {
        if (event.Output !== undefined) push(packageOutput, pkg, event.Output);
        if (event.Action === 'pass' || event.Action === 'fail' || event.Action === 'skip') {
          packageStatus.set(pkg, event.Action);
          if (event.FailedBuild) buildFailed.add(pkg);
        }
        continue;
      }
      const key = `${pkg}\0${event.Test}`;
      let state = tests.get(key);
      if (!state) tests.set(key, (state = { pkg, name: event.Test, output: [] }));
      if (event.Action === 'output' && event.Output !== undefined) state.output.push(event.Output);
      else if (event.Action === 'pass' || event.Action === 'fail' || event.Action === 'skip') {
        state.status = event.Action === 'pass' ? 'passed' : event.Action === 'fail' ? 'failed' : 'skipped';
        state.elapsed = event.Elapsed;
      }
      continue;
    }
    // Go ≤ 1.23 prints a package that does not compile as a plain line among the events.
    const failedBuild = /^FAIL\s+(\S+)\s+\[(build|setup) failed\]/.exec(line);
    if (failedBuild) buildFailed.add(failedBuild[1]!);
  }
  // `# example.com/m/broken [example.com/m/broken.test]` then the compiler's lines, on stderr.
  let current: string | undefined;
  for (const line of stripAnsi(input.stderr).split('\n')) {
    const header = /^# (\S+)(?: \[.*\])?$/.exec(line);
    if (header) current = header[1];
    else if (current && line.trim()) push(buildOutput, current, `${line}\n`);
  }

  const locator = new GoLocator(input.cwd, input.workspaceRoot);
  const results: TestCaseResult[] = [];
  const errors: string[] = [];
  const all = [...tests.values()];
  // For every test with subtests: whether one of them (at any depth) failed.
  const parents = new Map<string, boolean>();
  for (const state of all) {
    const parts = state.name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const key = `${state.pkg}\0${parts.slice(0, i).join('/')}`;
      parents.set(key, (parents.get(key) ?? false) || state.status === 'failed');
    }
  }
  for (const state of all) {
    const childFailed = parents.get(`${state.pkg}\0${state.name}`);
    // A parent counts only when it failed by itself (no failed subtest explains it).
    if (childFailed !== undefined && !(state.status === 'failed' && !childFailed)) continue;
    let status = state.status;
    let extra = '';
    if (!status) {
      // Started, never finished: the binary died (panic in another goroutine, -timeout, os.Exit).
      if (packageStatus.get(state.pkg) !== 'fail' && packageStatus.has(state.pkg)) continue;
      status = 'failed';
      extra = (packageOutput.get(state.pkg) ?? []).join('');
    }
    results.push(toResult(state, status, extra, locator, input));
  }
  for (const pkg of buildFailed) {
    const text = (buildOutput.get(pkg) ?? []).join('');
    const firstError = text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /\.go:\d+(:\d+)?: /.test(l));
    const at = firstError ? /^(.+?\.go):(\d+)/.exec(firstError) : null;
    const file = at ? path.resolve(input.cwd, at[1]!) : undefined;
    results.push({
      id: testId(input.workspaceRoot, file, [pkg], '[build failed]'),
      name: '[build failed]',
      suite: [pkg],
      ...(file ? { file } : {}),
      ...(at ? { line: Number(at[2]) } : {}),
      status: 'failed',
      failure: {
        message: boundedText(firstError ?? `${pkg} does not compile`),
        stack: mapStack(text, input.cwd, input.workspaceRoot),
        ...(text ? { raw: boundedText(text, MAX_RAW_CHARS) } : {}),
      },
      step: input.step,
    });
    errors.push(boundedText(`${pkg} does not compile${firstError ? `: ${firstError}` : ''}.`, 1_000));
  }
  for (const [pkg, status] of packageStatus) {
    if (
      status !== 'fail' ||
      buildFailed.has(pkg) ||
      results.some((r) => r.status === 'failed' && r.suite[0] === pkg)
    )
      continue;
    if (all.some((s) => s.pkg === pkg && s.status === 'failed')) continue;
    const lines = (packageOutput.get(pkg) ?? [])
      .map((l) => l.trim())
      .filter((l) => l && !/^(FAIL|ok)\b/.test(l));
    errors.push(boundedText(`${pkg} failed outside any test${lines[0] ? `: ${lines[0]}` : ''}.`, 1_000));
  }
  if (events === 0 && buildFailed.size === 0 && input.exitCode !== 0) {
    const why = stripAnsi(`${input.stderr}\n${input.stdout}`)
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean);
    errors.push(
      `go test printed no results (exit code ${input.exitCode ?? 'none'})${why ? `: ${why.slice(0, 300)}` : ''}.`,
    );
  }
  const durationMs = first !== undefined && last !== undefined ? last - first : undefined;
  return { tests: results, totals: totalsOf(results, durationMs), parsedFrom: 'machine', errors };
}

function push(map: Map<string, string[]>, key: string, value: string) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function toResult(
  state: TestState,
  status: 'passed' | 'failed' | 'skipped',
  extra: string,
  locator: GoLocator,
  input: ParseInput,
): TestCaseResult {
  const parts = state.name.split('/');
  const top = parts[0]!;
  const decl = locator.find(state.pkg, top);
  const name = parts[parts.length - 1]!;
  const suite = decl ? parts.slice(0, -1) : [state.pkg, ...parts.slice(0, -1)];
  const result: TestCaseResult = {
    id: testId(input.workspaceRoot, decl?.file, suite, name),
    name,
    suite,
    ...(decl ? { file: decl.file, line: decl.line } : {}),
    status,
    ...(state.elapsed !== undefined ? { durationMs: Math.round(state.elapsed * 1000) } : {}),
    step: input.step,
  };
  if (status === 'failed') {
    const failure = goFailure(state.output.join('') + extra, locator.dirOf(state.pkg), input);
    result.failure = failure;
    const line = decl ? failure.stack.find((f) => f.file === decl.file)?.line : undefined;
    if (line) result.line = line;
  }
  return result;
}

function goFailure(output: string, pkgDir: string | undefined, input: ParseInput): TestFailure {
  const lines = output
    .split('\n')
    .filter((l) => !/^\s*(=== (RUN|PAUSE|CONT|NAME)|--- (FAIL|PASS|SKIP):)/.test(l) && l.trim() !== '');
  const text = lines.join('\n');
  const message = lines
    .filter((l) => !/^\s+\/|^goroutine |^\S+\(.*\)$|^created by /.test(l))
    .map((l) => l.trim())
    .slice(0, 20)
    .join('\n');
  // `calc_test.go:14:` lines are relative to the package folder; panic frames are absolute.
  const relative = [...text.matchAll(/^\s*([\w.-]+\.go):(\d+): /gm)].map((m) =>
    pkgDir ? `${path.join(pkgDir, m[1]!)}:${m[2]}` : '',
  );
  const stack = mapStack([...relative, text].join('\n'), pkgDir ?? input.cwd, input.workspaceRoot);
  return {
    message: boundedText(message || 'Test failed'),
    ...expectedActual(text),
    stack,
    ...(text ? { raw: boundedText(text, MAX_RAW_CHARS) } : {}),
  };
}

/**
 * expected/actual from testify (`expected: 4` / `actual  : 3`) or the Go idiom
 * `got 3, want 4` / `= 3, want 4`.
 */
export function expectedActual(text: string): { expected?: string; actual?: string } {
  const exp = /^\s*expected\s*:\s*(.*)$/m.exec(text);
  const act = /^\s*actual\s*:\s*(.*)$/m.exec(text);
  if (exp && act) return { expected: boundedText(exp[1]!.trim()), actual: boundedText(act[1]!.trim()) };
  const idiom = /(?:got:?|=)\s*(.+?),?\s+want:?\s*(.+)$/m.exec(text);
  if (idiom) return { actual: boundedText(idiom[1]!.trim()), expected: boundedText(idiom[2]!.trim()) };
  return {};
}

/** Import path → package folder (go.mod / go.work) → `func TestX(` in its `_test.go` files. */
class GoLocator {
  private modules: { path: string; dir: string }[] | undefined;
  private readonly decls = new Map<string, Map<string, { file: string; line: number }>>();

  constructor(
    private readonly cwd: string,
    private readonly workspaceRoot: string,
  ) {}

  dirOf(pkg: string): string | undefined {
    this.modules ??= findModules(this.cwd, this.workspaceRoot);
    for (const mod of this.modules) {
      if (pkg === mod.path) return mod.dir;
      if (pkg.startsWith(`${mod.path}/`))
        return path.join(mod.dir, ...pkg.slice(mod.path.length + 1).split('/'));
    }
    // `go test ./x` outside a module reports `_/abs/path/x` (GOPATH mode).
    if (pkg.startsWith('_/')) return pkg.slice(1);
    return undefined;
  }

  find(pkg: string, test: string): { file: string; line: number } | undefined {
    let decls = this.decls.get(pkg);
    if (!decls) {
      decls = new Map();
      this.decls.set(pkg, decls);
      const dir = this.dirOf(pkg);
      let names: string[] = [];
      try {
        names = dir ? fs.readdirSync(dir).filter((n) => n.endsWith('_test.go')) : [];
      } catch {
        names = [];
      }
      for (const name of names.sort()) {
        let text = '';
        try {
          text = fs.readFileSync(path.join(dir!, name), 'utf8');
        } catch {
          continue;
        }
        text.split('\n').forEach((line, i) => {
          const m = /^func\s+((?:Test|Example|Fuzz|Benchmark)\w*)\s*\(/.exec(line);
          if (m && !decls!.has(m[1]!)) decls!.set(m[1]!, { file: path.join(dir!, name), line: i + 1 });
        });
      }
    }
    return decls.get(test);
  }
}

/** The module(s) that cwd belongs to: the nearest go.mod above it, or the `use` folders of go.work. */
function findModules(cwd: string, workspaceRoot: string): { path: string; dir: string }[] {
  const modulePath = (dir: string) => {
    try {
      return /^module\s+("?)([^"\s]+)\1/m.exec(fs.readFileSync(path.join(dir, 'go.mod'), 'utf8'))?.[2];
    } catch {
      return undefined;
    }
  };
  const out: { path: string; dir: string }[] = [];
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const work = path.join(dir, 'go.work');
    if (fs.existsSync(work)) {
      const text = fs.readFileSync(work, 'utf8');
      const uses = [...text.matchAll(/^\s*(?:use\s+)?(\.[^\s)]*)\s*$/gm)].map((m) =>
        path.resolve(dir, m[1]!),
      );
      for (const use of uses) {
        const mod = modulePath(use);
        if (mod) out.push({ path: mod, dir: use });
      }
    }
    const mod = modulePath(dir);
    if (mod) out.push({ path: mod, dir });
    if (out.length > 0 || dir === workspaceRoot || path.dirname(dir) === dir) break;
  }
  // Longest module path first, so nested modules win.
  return out.sort((a, b) => b.path.length - a.path.length);
}
