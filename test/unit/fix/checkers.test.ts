import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckerResult, type Diagnostic } from '../../../protocol/diagnostics';
import {
  CHECKER_ADAPTERS,
  checkerById,
  checkerFor,
  type CheckerAdapter,
} from '../../../server/tasks/fix/checkers';
import { dedupe, groupByFile, MAX_DIAGNOSTICS, workspacePath } from '../../../server/tasks/fix/diagnostics';

/**
 * Checker adapters. The JavaScript tools (this repository's tsc, eslint, prettier), gofmt, go vet
 * and cargo run for real on small projects in temp dirs, through the argv `machineArgs` gives;
 * the Python tools (flake8, ruff, black, isort) are not installed here, so their parsers read
 * small outputs written from the tools' documented formats (labelled "documented format").
 */

const REPO = path.resolve(__dirname, '../../..');
const BIN = path.join(REPO, 'node_modules/.bin');
const FIXTURES = path.join(REPO, 'test/fixtures/checkers');

let root: string;
/** A temp dir per test, for the suites below (never a root-level hook: those run for every suite). */
function withTempRoot(): void {
  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'navi-checkers-')));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
}

function write(rel: string, content: string): void {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
}

function adapter(id: string): CheckerAdapter {
  const found = checkerById(id);
  assert.ok(found, id);
  return found;
}

/** Runs the machine-readable form of argv in `cwd` (relative to root), parses and validates the result. */
function runChecker(argv: string[], cwdRel = '.', env: NodeJS.ProcessEnv = {}): CheckerResult {
  const checker = checkerFor(argv);
  assert.ok(checker, `no checker for ${argv.join(' ')}`);
  const cwd = path.join(root, cwdRel);
  const args = checker.machineArgs(argv);
  const run = spawnSync(args[0]!, args.slice(1), {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 25_000,
  });
  assert.equal(run.error, undefined, String(run.error));
  const result = checker.parse(run.stdout, run.stderr, run.status, { cwd, workspaceRoot: root });
  return CheckerResult.parse(result); // every result must satisfy the protocol schema
}

function brief(d: Diagnostic): string {
  return `${d.file}:${d.range.startLine}:${d.range.startColumn} ${d.severity} ${d.code ?? '-'}${d.fixable ? ' fixable' : ''}`;
}

/** Throws under CI, else skips the test with a message, when a tool is missing. */
function requireTool(ctx: Mocha.Context, tool: string): void {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0) return;
  if (process.env.CI) throw new Error(`${tool} must be installed in CI`);
  console.log(`      (skipped: ${tool} is not installed)`);
  ctx.skip();
}

describe('checker adapters: real tools', () => {
  withTempRoot();
  it('tsc (this repo, --pretty false): a missing import (TS2304) and a misspelled member (TS2551)', () => {
    write(
      'app/tsconfig.json',
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [] }, include: ['src'] }),
    );
    write(
      'app/src/a.ts',
      [
        'export const s = "hello";',
        'export const text = readFileSync("x");',
        'export const u = s.toUppercase();',
        '',
      ].join('\n'),
    );
    const argv = [path.join(BIN, 'tsc'), '-p', 'tsconfig.json', '--pretty'];
    assert.deepEqual(adapter('tsc').machineArgs(argv), [argv[0], '--pretty', 'false', '-p', 'tsconfig.json']);
    const result = runChecker(argv, 'app');
    assert.equal(result.complete, true, result.reason);
    assert.deepEqual(result.diagnostics.map(brief), [
      'app/src/a.ts:2:21 error TS2304',
      'app/src/a.ts:3:20 error TS2551',
    ]);
    assert.match(result.diagnostics[1]!.message, /toUppercase.*Did you mean 'toUpperCase'/);
    assert.equal(result.diagnostics[0]!.source, 'ts');
    assert.equal(result.diagnostics[0]!.checker, 'tsc');
  });

  it('eslint (this repo, flat config, --format json): no-unused-vars and no-var with fixable flags', () => {
    write(
      'eslint.config.mjs',
      "export default [{ files: ['**/*.js'], rules: { 'no-unused-vars': 'error', 'no-var': 'warn' } }];\n",
    );
    write('src/b.js', 'var x = 1;\nconst unused = 2;\nexport { x };\n');
    const argv = [path.join(BIN, 'eslint'), '--max-warnings', '0', '-f', 'stylish', 'src'];
    const result = runChecker(argv);
    assert.equal(result.complete, true, result.reason);
    assert.deepEqual(result.diagnostics.map(brief), [
      'src/b.js:1:1 warning no-var fixable',
      'src/b.js:2:7 error no-unused-vars',
    ]);
    assert.equal(result.diagnostics[0]!.fixable, true);
    assert.equal(result.diagnostics[1]!.fixable, false);
    assert.deepEqual(result.diagnostics[1]!.range, {
      startLine: 2,
      startColumn: 7,
      endLine: 2,
      endColumn: 13,
    });
  });

  it('prettier (this repo, --check becomes --list-different): one diagnostic per file, syntax errors located', () => {
    write('good.js', 'const a = 1;\n');
    write('lib/bad.js', 'const a   =  1\n');
    write('lib/broken.js', 'const = ;\n');
    const argv = [path.join(BIN, 'prettier'), '--check', 'good.js', 'lib'];
    assert.deepEqual(adapter('prettier').machineArgs(argv), [argv[0], '--list-different', 'good.js', 'lib']);
    const result = runChecker(argv);
    assert.equal(result.complete, true, result.reason);
    assert.deepEqual(result.diagnostics.map(brief), [
      'lib/bad.js:1:1 error format fixable',
      'lib/broken.js:1:7 error syntax',
    ]);
  });

  it('gofmt -l: unformatted files', function () {
    requireTool(this, 'gofmt');
    write('go.mod', 'module example.com/tiny\n\ngo 1.19\n');
    write('a.go', 'package tiny\n\nfunc F() int {\n\treturn 1\n}\n');
    write('sub/b.go', 'package sub\nfunc  G()   int {\nreturn 1\n}\n');
    const result = runChecker(['gofmt', '-l', '.']);
    assert.equal(result.complete, true, result.reason);
    assert.deepEqual(result.diagnostics.map(brief), ['sub/b.go:1:1 error format fixable']);
  });

  it('go vet -json: analyzer findings per package (JSON on stderr)', function () {
    requireTool(this, 'go');
    write('go.mod', 'module example.com/tiny\n\ngo 1.19\n');
    write('a.go', 'package tiny\n\nimport "fmt"\n\nfunc F() {\n\tfmt.Printf("%d\\n", "x")\n}\n');
    write('sub/c.go', 'package sub\n\nimport "fmt"\n\nfunc H() { fmt.Println("%d", 1) }\n');
    const argv = ['go', 'vet', './...'];
    assert.deepEqual(adapter('go-vet').machineArgs(argv), ['go', 'vet', '-json', './...']);
    const result = runChecker(argv, '.', {
      GOFLAGS: '-mod=mod',
      GOPROXY: 'off',
      GOCACHE: path.join(root, '.gocache'),
    });
    assert.equal(result.complete, true, result.reason);
    assert.deepEqual(result.diagnostics.map(brief), ['a.go:6:2 error printf', 'sub/c.go:5:12 error printf']);
    assert.match(result.diagnostics[0]!.message, /wrong type string/);
  });

  it('cargo check --message-format=json (offline, no dependencies): error and warnings', function () {
    requireTool(this, 'cargo');
    write('Cargo.toml', '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n');
    write('src/lib.rs', 'pub fn f() -> i32 {\n    let unused = 2;\n    missing_value + 1\n}\n');
    const argv = ['cargo', 'check', '--offline', '--message-format', 'short'];
    assert.deepEqual(adapter('cargo-check').machineArgs(argv), [
      'cargo',
      'check',
      '--message-format=json',
      '--offline',
    ]);
    const result = runChecker(argv, '.', { CARGO_TARGET_DIR: path.join(root, 'target') });
    assert.equal(result.complete, true, result.reason);
    assert.ok(
      result.diagnostics.map(brief).includes('src/lib.rs:3:5 error E0425'),
      result.diagnostics.map(brief).join(),
    );
  });
});

describe('checker adapters: recorded and documented outputs', () => {
  withTempRoot();
  const ctx = () => ({ cwd: root, workspaceRoot: root });

  it('cargo: output recorded from cargo 1.95 (test/fixtures/checkers/cargo-1.95-check.jsonl)', () => {
    write('src/lib.rs', '');
    const stdout = fs
      .readFileSync(path.join(FIXTURES, 'cargo-1.95-check.jsonl'), 'utf8')
      .replaceAll('__ROOT__', root);
    const result = CheckerResult.parse(adapter('cargo-check').parse(stdout, '', 101, ctx()));
    assert.equal(result.complete, true, result.reason);
    assert.deepEqual(result.diagnostics.map(brief), [
      'src/lib.rs:2:9 warning unused_mut fixable',
      'src/lib.rs:3:9 warning unused_variables fixable',
      'src/lib.rs:8:5 error E0425',
    ]);
    assert.deepEqual(result.diagnostics[2]!.range, {
      startLine: 8,
      startColumn: 5,
      endLine: 8,
      endColumn: 18,
    });
  });

  it('flake8 (documented default format)', () => {
    const stdout = [
      "./src/a.py:1:1: F401 'os' imported but unused",
      './src/a.py:3:80: E501 line too long (88 > 79 characters)',
      './src/a.py:4:1: W391 blank line at end of file',
      '../outside.py:1:1: F401 escaped',
    ].join('\n');
    const result = adapter('flake8').parse(stdout, '', 1, ctx());
    assert.deepEqual(result.diagnostics.map(brief), [
      'src/a.py:1:1 error F401',
      'src/a.py:3:80 error E501',
      'src/a.py:4:1 warning W391',
    ]);
    assert.equal(result.droppedOutsideWorkspace, 1);
    assert.deepEqual(
      checkerFor(['python', '-m', 'flake8', '--format=pylint', 'src'])?.machineArgs([
        'python',
        '-m',
        'flake8',
        '--format=pylint',
        'src',
      ]),
      ['python', '-m', 'flake8', '--format=default', 'src'],
    );
  });

  it('ruff (documented --output-format=json): safe fixes are fixable, syntax errors have no code', () => {
    const report = [
      {
        code: 'F401',
        message: '`os` imported but unused',
        filename: `${root}/src/a.py`,
        location: { row: 1, column: 8 },
        end_location: { row: 1, column: 10 },
        fix: { applicability: 'safe', edits: [], message: 'Remove unused import' },
        noqa_row: 1,
        url: null,
      },
      {
        code: 'B006',
        message: 'Do not use mutable data structures for argument defaults',
        filename: `${root}/src/a.py`,
        location: { row: 4, column: 9 },
        end_location: { row: 4, column: 11 },
        fix: { applicability: 'unsafe', edits: [], message: 'Replace' },
        noqa_row: 4,
        url: null,
      },
      {
        code: null,
        message: 'SyntaxError: Expected an expression',
        filename: `${root}/src/b.py`,
        location: { row: 2, column: 5 },
        end_location: { row: 2, column: 6 },
        fix: null,
        noqa_row: null,
        url: null,
      },
    ];
    const result = adapter('ruff').parse(JSON.stringify(report), '', 1, ctx());
    assert.equal(result.complete, true, result.reason);
    assert.deepEqual(result.diagnostics.map(brief), [
      'src/a.py:1:8 error F401 fixable',
      'src/a.py:4:9 error B006',
      'src/b.py:2:5 error syntax',
    ]);
    const argv = ['uv', 'run', 'ruff', 'check', '--output-format', 'full', '--fix', 'src'];
    assert.ok(checkerFor(argv)?.id === 'ruff');
    assert.deepEqual(adapter('ruff').machineArgs(argv), [
      'uv',
      'run',
      'ruff',
      'check',
      '--output-format=json',
      '--fix',
      'src',
    ]);
  });

  it('black --check (documented stderr lines): files to reformat and files it cannot parse', () => {
    const stderr = [
      `would reformat ${root}/src/a.py`,
      'error: cannot format src/b.py: Cannot parse for target version Python 3.12: 1:6: def f(:',
      '',
      'Oh no! 💥 💔 💥',
      '1 file would be reformatted, 1 file would be left unchanged, 1 file would fail to reformat.',
    ].join('\n');
    const result = adapter('black').parse('', stderr, 123, ctx());
    assert.deepEqual(result.diagnostics.map(brief), [
      'src/a.py:1:1 error format fixable',
      'src/b.py:1:7 error syntax',
    ]);
    assert.equal(checkerFor(['black', 'src']), undefined, 'plain `black` reformats: not a checker');
    assert.deepEqual(adapter('black').machineArgs(['python3', '-m', 'black', '--diff', '-q', 'src']), [
      'python3',
      '-m',
      'black',
      '--check',
      'src',
    ]);
  });

  it('isort --check-only (documented stderr lines)', () => {
    const stderr = `ERROR: ${root}/src/a.py Imports are incorrectly sorted and/or formatted.\nSkipped 2 files\n`;
    const result = adapter('isort').parse('', stderr, 1, ctx());
    assert.deepEqual(result.diagnostics.map(brief), ['src/a.py:1:1 error format fixable']);
    assert.deepEqual(adapter('isort').machineArgs(['isort', '--check', '--diff', '.']), [
      'isort',
      '--check-only',
      '.',
    ]);
  });
});

describe('checker adapters: matching and machine arguments', () => {
  withTempRoot();
  it('recognises the profile commands through launchers, and nothing else', () => {
    const cases: [string, string | undefined][] = [
      ['tsc', 'tsc'],
      ['npx tsc --noEmit', 'tsc'],
      ['node_modules/.bin/tsc -p .', 'tsc'],
      ['./node_modules/.bin/eslint .', 'eslint'],
      ['pnpm exec eslint src', 'eslint'],
      ['npx --no-install eslint@9 .', 'eslint'],
      ['prettier --check .', 'prettier'],
      ['prettier -c .', 'prettier'],
      ['prettier --write .', undefined],
      ['gofmt -l .', 'gofmt'],
      ['gofmt -w .', undefined],
      ['go vet ./...', 'go-vet'],
      ['go test ./...', undefined],
      ['cargo check', 'cargo-check'],
      ['cargo +nightly --locked check --all-targets', 'cargo-check'],
      ['cargo clippy -- -D warnings', 'cargo-check'],
      ['cargo test', undefined],
      ['ruff check .', 'ruff'],
      ['ruff format .', undefined],
      ['flake8', 'flake8'],
      ['poetry run black --check .', 'black'],
      ['isort --check-only .', 'isort'],
      ['isort .', undefined],
      ['npm test', undefined],
      ['', undefined],
    ];
    for (const [command, id] of cases)
      assert.equal(checkerFor(command ? command.split(' ') : [])?.id, id, command);
  });

  it('keeps the user’s options and replaces only the output format', () => {
    const eslint = adapter('eslint');
    assert.deepEqual(eslint.machineArgs(['eslint', '--max-warnings', '0', 'src']), [
      'eslint',
      '--format',
      'json',
      '--max-warnings',
      '0',
      'src',
    ]);
    assert.deepEqual(eslint.machineArgs(['npx', 'eslint', '-f', 'stylish', '--cache', 'src']), [
      'npx',
      'eslint',
      '--format',
      'json',
      '--cache',
      'src',
    ]);
    assert.deepEqual(eslint.machineArgs(['eslint', '--format=compact', '-o', 'out.txt', '.']), [
      'eslint',
      '--format',
      'json',
      '.',
    ]);
    assert.deepEqual(adapter('tsc').machineArgs(['tsc', '--pretty', 'true', '--watch', '--noEmit']), [
      'tsc',
      '--pretty',
      'false',
      '--noEmit',
    ]);
    assert.deepEqual(
      adapter('cargo-check').machineArgs([
        'cargo',
        'clippy',
        '--message-format=short',
        '--',
        '-D',
        'warnings',
      ]),
      ['cargo', 'clippy', '--message-format=json', '--', '-D', 'warnings'],
    );
    assert.deepEqual(adapter('go-vet').machineArgs(['go', 'vet', '-json', './...']), [
      'go',
      'vet',
      '-json',
      './...',
    ]);
    assert.deepEqual(adapter('gofmt').machineArgs(['gofmt', '-d', '-s', '.']), ['gofmt', '-l', '-s', '.']);
    for (const a of CHECKER_ADAPTERS) assert.ok(a.id && a.source);
  });
});

describe('diagnostics: dedupe and grouping', () => {
  withTempRoot();
  const d = (file: string, line: number, column: number, extra: Partial<Diagnostic> = {}): Diagnostic => ({
    file,
    range: { startLine: line, startColumn: column },
    code: 'X1',
    source: 'ts',
    message: 'm',
    severity: 'warning',
    checker: 'tsc',
    ...extra,
  });

  it('dedupe keeps one per file, start, code and message (highest severity, fixable if any copy is)', () => {
    const out = dedupe([
      d('a.ts', 1, 1),
      d('a.ts', 1, 1, { severity: 'error', fixable: true }),
      d('a.ts', 1, 2),
      d('a.ts', 1, 1, { code: 'X2' }),
      d('a.ts', 1, 1, { message: 'n' }),
    ]);
    assert.equal(out.length, 4);
    assert.equal(out[0]!.severity, 'error');
    assert.equal(out[0]!.fixable, true);
  });

  it('groupByFile sorts files, then lines, then columns', () => {
    const groups = groupByFile([
      d('b.ts', 3, 1),
      d('a.ts', 10, 2),
      d('b.ts', 1, 5),
      d('a.ts', 2, 9),
      d('a.ts', 10, 1),
    ]);
    assert.deepEqual(
      groups.map((g) => g.file),
      ['a.ts', 'b.ts'],
    );
    assert.deepEqual(
      groups[0]!.diagnostics.map((x) => `${x.range.startLine}:${x.range.startColumn}`),
      ['2:9', '10:1', '10:2'],
    );
    assert.deepEqual(
      groups[1]!.diagnostics.map((x) => x.range.startLine),
      [1, 3],
    );
  });

  it('workspacePath makes paths workspace-relative and drops escapes', () => {
    assert.equal(workspacePath('src/a.ts', path.join(root, 'app'), root), 'app/src/a.ts');
    assert.equal(workspacePath(`file://${root}/x.ts`, '/', root), 'x.ts');
    assert.equal(workspacePath('../../etc/passwd', path.join(root, 'app'), root), undefined);
    assert.equal(workspacePath(root, root, root), undefined);
  });
});

describe('checker adapters: hostile output', () => {
  withTempRoot();
  const ctx = () => ({ cwd: path.join(root, 'app'), workspaceRoot: root });

  it('malformed or missing JSON is incomplete with a reason, never a throw', () => {
    for (const id of ['eslint', 'ruff']) {
      for (const stdout of ['not json at all', '[{"filePath": "a.js", "messages": [', '{"a": 1}', '']) {
        const result = adapter(id).parse(stdout, '', 1, ctx());
        assert.equal(result.complete, false, `${id}: ${stdout}`);
        assert.ok(result.reason, `${id}: ${stdout}`);
      }
    }
    const cargo = adapter('cargo-check').parse('{"reason":"compiler-message","message":{', '', 101, ctx());
    assert.equal(cargo.complete, false);
    assert.match(cargo.reason!, /not valid JSON/);
    const vet = adapter('go-vet').parse('', '# pkg\n{\n\t"pkg": {\n', 0, ctx());
    assert.equal(vet.complete, false);
  });

  it('a checker that fails or is stopped without readable output is incomplete', () => {
    const failed = adapter('tsc').parse('', 'Killed\n', 137, ctx());
    assert.equal(failed.complete, false);
    assert.match(failed.reason!, /exited with code 137.*Killed/);
    const stopped = adapter('prettier').parse('', '', null, ctx());
    assert.equal(stopped.complete, false);
    const global = adapter('tsc').parse("error TS5083: Cannot read file '/x/tsconfig.json'.\n", '', 1, ctx());
    assert.equal(global.complete, false);
    assert.deepEqual(global.notes, ["TS5083: Cannot read file '/x/tsconfig.json'."]);
    assert.equal(adapter('tsc').parse('', '', 0, ctx()).complete, true);
  });

  it('paths escaping the workspace are dropped and counted', () => {
    const stdout = [
      '../../etc/passwd(1,1): error TS1005: x',
      '/etc/shadow(2,2): error TS1005: y',
      'src/ok.ts(3,4): error TS1005: z',
    ].join('\n');
    const result = adapter('tsc').parse(stdout, '', 2, ctx());
    assert.equal(result.droppedOutsideWorkspace, 2);
    assert.deepEqual(result.diagnostics.map(brief), ['app/src/ok.ts:3:4 error TS1005']);
    const eslint = JSON.stringify([
      { filePath: '/etc/passwd', messages: [{ ruleId: 'r', severity: 2, message: 'm', line: 1, column: 1 }] },
    ]);
    assert.equal(adapter('eslint').parse(eslint, '', 1, ctx()).droppedOutsideWorkspace, 1);
  });

  it('5 MB outputs parse quickly, with bounded messages and a capped count', () => {
    const started = Date.now();
    const garbage = `${'x'.repeat(5 * 1024 * 1024)}(1,1): error TS1: y\n${'(('.repeat(1000)}\n`;
    for (const a of CHECKER_ADAPTERS) {
      const result = a.parse(garbage, garbage, 1, ctx());
      assert.equal(typeof result.complete, 'boolean', a.id);
    }
    const huge = JSON.stringify([
      {
        filePath: `${root}/a.js`,
        messages: [{ ruleId: 'r', severity: 2, message: 'm'.repeat(5_000_000), line: 1, column: 1 }],
      },
    ]);
    const one = adapter('eslint').parse(huge, '', 1, ctx());
    assert.ok(one.diagnostics[0]!.message.length < 9 * 1024);
    const many = Array.from(
      { length: MAX_DIAGNOSTICS + 5 },
      (_, i) => `src/a.ts(${i + 1},1): error TS1005: ';' expected.`,
    ).join('\n');
    const capped = CheckerResult.parse(adapter('tsc').parse(many, '', 2, ctx()));
    assert.equal(capped.diagnostics.length, MAX_DIAGNOSTICS);
    assert.equal(capped.complete, false);
    assert.match(capped.reason!, /5 were left out/);
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  });
});
