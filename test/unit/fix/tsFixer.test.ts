import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  applyChanges,
  fixTypeScript,
  loadTypeScript,
  TypeScriptProject,
  type FixTypeScriptResult,
} from '../../../server/tasks/fix/tsFixer';

// Fixture projects in temp dirs; edits are applied to disk by the test (the fixer never writes),
// then this repo's tsc must accept the project.

const REPO = path.resolve(__dirname, '../../..');
const TSC = path.join(REPO, 'node_modules/typescript/bin/tsc');

const TS_CONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'esnext',
    moduleResolution: 'bundler',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  },
  include: ['src'],
};

function project(files: Record<string, string>, config: object = TS_CONFIG): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'navi-tsfix-')));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.set(file, `${fs.statSync(file).mtimeMs}:${fs.readFileSync(file, 'utf8')}`);
  }
  return out;
}

function writeEdits(result: FixTypeScriptResult): void {
  for (const e of result.edits) {
    assert.equal(fs.readFileSync(e.file, 'utf8'), e.before, `before text of ${e.file}`);
    fs.writeFileSync(e.file, e.after);
  }
}

function tsc(dir: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [TSC, '--noEmit', '-p', dir], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('fix/tsFixer', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const make = (files: Record<string, string>, config?: object) => {
    const dir = project(files, config);
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('adds a missing import and fixes a misspelled member; tsc then passes; nothing written', async () => {
    const dir = make({
      'src/lib.ts': 'export function foo(): number {\n  return 1;\n}\n',
      'src/a.ts':
        "const words = ['a', 'b'];\nexport const n: number = foo() + foo() + words.lenght + 'ab'.lenght;\n",
    });
    assert.notEqual(tsc(dir).status, 0);
    const before = snapshot(dir);
    const result = await fixTypeScript({ projectRoot: dir });
    assert.deepEqual(snapshot(dir), before, 'the fixer never writes to disk');
    const codes = result.fixed.map((f) => f.code).sort();
    assert.ok(codes.includes(2304), JSON.stringify(result.fixed));
    assert.ok(codes.includes(2551), JSON.stringify(result.fixed));
    // Two uses of foo (one identical import, deduplicated) and two misspellings (fix-all).
    assert.deepEqual(result.fixed.map((f) => f.fixName).sort(), ['import', 'import', 'spelling', 'spelling']);
    assert.deepEqual(result.remaining, []);
    assert.equal(result.typescript.source, 'navi');
    assert.equal(result.edits.length, 1);
    assert.match(result.edits[0]!.after, /import \{ foo \} from ["']\.\/lib["'];/);
    assert.match(result.edits[0]!.after, /words\.length \+ 'ab'\.length;/);
    assert.equal(result.edits[0]!.after.match(/import/g)?.length, 1);
    writeEdits(result);
    const check = tsc(dir);
    assert.equal(check.status, 0, check.out);
  });

  it('fixes a misspelled member in a checkJs JavaScript project', async () => {
    const dir = make(
      { 'src/a.js': "const s = 'abc';\nexport const n = s.lenght;\n" },
      { compilerOptions: { ...TS_CONFIG.compilerOptions, allowJs: true, checkJs: true }, include: ['src'] },
    );
    assert.notEqual(tsc(dir).status, 0);
    const result = await fixTypeScript({ projectRoot: dir });
    assert.deepEqual(
      result.fixed.map((f) => [f.code, f.fixName]),
      [[2551, 'spelling']],
    );
    writeEdits(result);
    const check = tsc(dir);
    assert.equal(check.status, 0, check.out);
  });

  it('adds a missing await on a Promise used as a value', async () => {
    const dir = make({
      'src/a.ts': [
        'async function getUser(): Promise<{ name: string }> {',
        "  return { name: 'a' };",
        '}',
        'export async function main(): Promise<string> {',
        '  const user = getUser();',
        '  return user.name;',
        '}',
        '',
      ].join('\n'),
    });
    const result = await fixTypeScript({ projectRoot: dir });
    assert.equal(result.fixed.length, 1, JSON.stringify(result));
    assert.equal(result.fixed[0]!.code, 2339);
    assert.match(result.fixed[0]!.fixName, /^addMissingAwait/);
    assert.match(result.edits[0]!.after, /const user = await getUser\(\);/);
    writeEdits(result);
    const check = tsc(dir);
    assert.equal(check.status, 0, check.out);
  });

  it('leaves an error no safe fix can fix in remaining, file untouched', async () => {
    const dir = make({ 'src/a.ts': "export const n: number = 'x';\n" });
    const before = snapshot(dir);
    const result = await fixTypeScript({ projectRoot: dir });
    assert.deepEqual(snapshot(dir), before);
    assert.deepEqual(result.edits, []);
    assert.deepEqual(result.fixed, []);
    assert.equal(result.passes, 0);
    assert.equal(result.remaining.length, 1);
    assert.deepEqual(
      { ...result.remaining[0], message: undefined },
      {
        file: path.join(dir, 'src/a.ts'),
        line: 1,
        column: 14,
        code: 2322,
        message: undefined,
        reason: 'no safe fix for this code',
      },
    );
  });

  it('does not apply an ambiguous import (the same name from two modules)', async () => {
    const dir = make({
      'src/one.ts': 'export function bar(): number {\n  return 1;\n}\n',
      'src/two.ts': 'export function bar(): number {\n  return 2;\n}\n',
      'src/c.ts': 'export const n = bar();\n',
    });
    const result = await fixTypeScript({ projectRoot: dir });
    assert.deepEqual(result.edits, []);
    assert.deepEqual(result.fixed, []);
    assert.equal(result.remaining.length, 1);
    assert.equal(result.remaining[0]!.code, 2304);
    assert.match(
      result.remaining[0]!.reason ?? '',
      /^ambiguous import: .*one.*two|^ambiguous import: .*two.*one/,
    );
  });

  it("uses the project's own typescript ≤ 6, NAVI's own for 7+", async () => {
    const own = make({ 'src/a.ts': 'export const n = 1;\n' });
    fs.mkdirSync(path.join(own, 'node_modules'));
    fs.symlinkSync(
      path.join(REPO, 'node_modules/typescript'),
      path.join(own, 'node_modules/typescript'),
      'dir',
    );
    assert.equal(loadTypeScript(own).source, 'project');
    const result = await fixTypeScript({ projectRoot: own });
    assert.deepEqual(result.typescript, { version: loadTypeScript(REPO).version, source: 'project' });

    const seven = make({
      'src/a.ts': 'export const n = 1;\n',
      'node_modules/typescript/package.json': JSON.stringify({ name: 'typescript', version: '7.0.0' }),
    });
    const loaded = loadTypeScript(seven);
    assert.equal(loaded.source, 'navi');
    assert.match(loaded.reason ?? '', /7\.0\.0/);
    assert.match(loaded.version, /^6\./);
    assert.equal((await fixTypeScript({ projectRoot: seven })).typescript.source, 'navi');
  });

  it('an open project answers again on what is on disk now: a file changed between two fixes is read again', async () => {
    const dir = make({
      'src/lib.ts':
        'export function foo(): number {\n  return 1;\n}\nexport function bar(): number {\n  return 2;\n}\n',
      'src/a.ts': 'export const n: number = foo();\n',
    });
    const project = new TypeScriptProject({ projectRoot: dir });
    try {
      project.warm();
      const file = path.join(dir, 'src/a.ts');
      const first = project.fix({ files: [file] });
      assert.match(first.edits[0]!.after, /import \{ foo \}/);
      // The person edits the file (nothing was written by the fixer): now `bar` is missing.
      fs.writeFileSync(file, 'export const m: number = bar() + 1;\n');
      const second = project.fix({ files: [file] });
      assert.equal(second.edits.length, 1);
      assert.equal(second.edits[0]!.before, 'export const m: number = bar() + 1;\n');
      assert.match(second.edits[0]!.after, /import \{ bar \}/);
      assert.doesNotMatch(second.edits[0]!.after, /foo/);
      // Its own edits are not kept from one fix to the next: the same answer twice.
      assert.deepEqual(project.fix({ files: [file] }).edits, second.edits);
    } finally {
      project.dispose();
    }
  });

  it('stops on an aborted signal and caps the number of files', async () => {
    const dir = make({ 'src/a.ts': 'export const n = foo;\n', 'src/b.ts': 'export const m = 1;\n' });
    await assert.rejects(fixTypeScript({ projectRoot: dir, signal: AbortSignal.abort() }));
    const capped = await fixTypeScript({ projectRoot: dir, maxFiles: 1 });
    assert.deepEqual(capped.edits, []);
    assert.match(capped.notes.join('\n'), /more than the cap of 1/);
  });

  it('applies text changes in order, inserts at one position in acceptance order', () => {
    const text = 'abcdef';
    const change = (start: number, length: number, newText: string) => ({ span: { start, length }, newText });
    assert.equal(
      applyChanges(text, [change(4, 1, 'E'), change(0, 0, 'X'), change(0, 0, 'Y'), change(1, 2, '')]),
      'XYadEf',
    );
  });
});
