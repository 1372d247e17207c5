import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AffectedSelection } from '../../../protocol/testing';
import {
  type AffectedAnalysis,
  findTestFiles,
  scanJsImports,
  scanPythonImports,
  selectAffected,
} from '../../../server/tasks/test/affected';
import { globToRegExp } from '../../../server/tasks/test/affected/testFiles';
import { type AffectedRepo, generateAffectedRepo } from '../../fixtures/affectedRepo';
import { type FileTree, type Fixture, fixture } from '../../fixtures/builders';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Selected test files relative to the root, sorted. */
const selectedOf = (root: string, sel: AffectedAnalysis) =>
  sel.selected.map((s) => path.relative(root, s.file)).sort();
const chainOf = (root: string, sel: AffectedAnalysis, test: string) =>
  sel.selected.find((s) => path.relative(root, s.file) === test)?.because.map((f) => path.relative(root, f));

describe('affected tests: import graph', function () {
  const fixtures: Fixture[] = [];
  const repos: AffectedRepo[] = [];
  const make = (files: FileTree, options?: { git?: boolean }) => {
    const fx = fixture(files, options);
    fixtures.push(fx);
    return fx;
  };
  after(() => {
    for (const fx of fixtures) fx.cleanup();
    for (const repo of repos) repo.cleanup();
  });

  const select = (
    fx: Fixture,
    changed: string[],
    ecosystem = 'node',
    extra: { workspaceRoot?: string; projectDir?: string } = {},
  ) =>
    selectAffected({
      projectDir: extra.projectDir ?? fx.root,
      ...(extra.workspaceRoot ? { workspaceRoot: extra.workspaceRoot } : {}),
      ecosystem,
      changed: changed.map((c) => fx.abs(c)),
    });

  describe('generated repositories (the generator knows which tests import each module)', function () {
    for (const language of ['js', 'python'] as const) {
      it(`${language}: for every module, exactly the tests that import it, with real import chains`, async function () {
        const fx = make({}, { git: false });
        const repo = generateAffectedRepo({ language, root: fx.root, seed: 7 });
        fx.git('init', '-q');
        fx.commit();
        assert.ok(repo.testFiles.length >= 48, `${repo.testFiles.length} test files`);
        const ecosystem = language === 'js' ? 'node' : 'python';
        const found = await findTestFiles(fx.root, ecosystem);
        assert.deepEqual(found.map((f) => path.relative(fx.root, f)).sort(), repo.testFiles);
        let nonTrivial = 0;
        for (const module of repo.modules) {
          const sel = await select(fx, [module], ecosystem);
          const want = repo.testsReaching(module);
          assert.deepEqual(selectedOf(fx.root, sel), want, `change to ${module}`);
          assert.equal(sel.method, 'import-graph');
          assert.equal(sel.totalTestFiles, repo.testFiles.length);
          assert.deepEqual(sel.unreached, want.length === 0 ? [fx.abs(module)] : []);
          for (const s of sel.selected) {
            const chain = s.because.map((f) => path.relative(fx.root, f));
            assert.equal(chain[0], path.relative(fx.root, s.file));
            assert.equal(chain[chain.length - 1], module);
            // Every hop is an import the generator wrote.
            for (let i = 0; i + 1 < chain.length; i++) {
              assert.ok(repo.deps.get(chain[i]!)?.includes(chain[i + 1]!), `${chain[i]} → ${chain[i + 1]}`);
            }
            if (chain.length > 3) nonTrivial++;
          }
          // The result is what the protocol carries.
          AffectedSelection.parse(sel);
        }
        assert.ok(nonTrivial > 0, 'some chains are transitive');
      });
    }
  });

  describe('JavaScript / TypeScript', function () {
    const base: FileTree = {
      'package.json': '{"name":"app","type":"module"}',
      'src/util.ts': 'export const one = 1;\n',
      'src/a.ts': "import { one } from './util';\nexport const a = one;\n",
      'src/unused.ts': 'export const nobody = 0;\n',
      'test/a.test.ts': "import { a } from '../src/a';\n",
      'test/other.test.ts': "import * as fs from 'node:fs';\nimport lodash from 'lodash';\n",
    };

    it('follows a transitive chain and reports it from the test file to the change', async function () {
      const fx = make(base);
      const sel = await select(fx, ['src/util.ts']);
      assert.deepEqual(selectedOf(fx.root, sel), ['test/a.test.ts']);
      assert.deepEqual(chainOf(fx.root, sel, 'test/a.test.ts'), [
        'test/a.test.ts',
        'src/a.ts',
        'src/util.ts',
      ]);
      assert.equal(sel.selected[0]!.reason, 'import');
      assert.equal(sel.totalTestFiles, 2);
    });

    it('selects nothing for a module no test reaches, and says so', async function () {
      const fx = make(base);
      const sel = await select(fx, ['src/unused.ts']);
      assert.deepEqual(sel.selected, []);
      assert.deepEqual(sel.unreached, [fx.abs('src/unused.ts')]);
      assert.equal(sel.method, 'import-graph');
    });

    it('a changed test file selects itself, and the tests that import it', async function () {
      const fx = make({
        ...base,
        'test/shared.test.ts': 'export const shared = 1;\n',
        'test/uses-shared.test.ts': "import { shared } from './shared.test';\n",
      });
      const sel = await select(fx, ['test/shared.test.ts']);
      assert.deepEqual(selectedOf(fx.root, sel), ['test/shared.test.ts', 'test/uses-shared.test.ts']);
      assert.equal(sel.selected[0]!.reason, 'changed');
      assert.deepEqual(chainOf(fx.root, sel, 'test/shared.test.ts'), ['test/shared.test.ts']);
    });

    it('survives cycles', async function () {
      const fx = make({
        'src/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
        'src/b.ts': "import { a } from './a';\nimport { c } from './c';\nexport const b = () => a;\n",
        'src/c.ts': "import { b } from './b';\nexport const c = 1;\n",
        'test/a.test.ts': "import { a } from '../src/a';\n",
      });
      const sel = await select(fx, ['src/c.ts']);
      assert.deepEqual(chainOf(fx.root, sel, 'test/a.test.ts'), [
        'test/a.test.ts',
        'src/a.ts',
        'src/b.ts',
        'src/c.ts',
      ]);
    });

    it('resolves index files, .js that is really .ts, and every kind of import', async function () {
      const fx = make({
        'src/lib/index.ts': "export * from './inner.js';\n",
        'src/lib/inner.ts': 'export const inner = 1;\n',
        'src/lazy.mts': 'export default 1;\n',
        'src/legacy.cjs': "module.exports = require('./deep/leaf');\n",
        'src/deep/leaf.js': 'module.exports = 2;\n',
        'src/eq.ts': 'export = 3;\n',
        'src/types.ts': 'export interface T { x: number }\n',
        'src/data.json': '{"x":1}\n',
        'src/comp.tsx':
          "import type { T } from './types';\nexport const C = (p: T) => <div>It's {p.x}</div>;\n",
        'test/index.test.ts': "import { inner } from '../src/lib';\n",
        'test/dyn.test.ts': "test('x', async () => { await import('../src/lazy.mjs'); });\n",
        'test/req.test.js': 'const legacy = require(`../src/legacy.cjs`);\n',
        'test/eq.test.ts': "import eq = require('../src/eq');\n",
        'test/types.test.ts': "import type { T } from '../src/types';\n",
        'test/comp.test.tsx': "import { C } from '../src/comp.js';\n",
        'test/json.test.ts': "import data from '../src/data.json' with { type: 'json' };\n",
        'test/none.test.ts':
          "// import '../src/lib/inner';\nconst s = \"require('../src/eq')\";\nconst r = /import('..\\/src\\/lazy.mjs')/;\n",
      });
      const expect = async (changed: string, tests: string[]) =>
        assert.deepEqual(selectedOf(fx.root, await select(fx, [changed])), tests, changed);
      await expect('src/lib/inner.ts', ['test/index.test.ts']);
      await expect('src/lazy.mts', ['test/dyn.test.ts']);
      await expect('src/deep/leaf.js', ['test/req.test.js']);
      await expect('src/eq.ts', ['test/eq.test.ts']);
      // Type-only imports are edges: they can break the test's typecheck.
      await expect('src/types.ts', ['test/comp.test.tsx', 'test/types.test.ts']);
      await expect('src/data.json', ['test/json.test.ts']);
    });

    it('is conservative about imports it cannot read: a computed require may load any file', async function () {
      const fx = make({
        'src/plugins.js': 'module.exports = (name) => require(`./plugins/${name}`);\n',
        'src/plugins/x.js': 'module.exports = 1;\n',
        'src/plain.js': 'module.exports = 2;\n',
        'test/plugins.test.js': "require('../src/plugins');\n",
        'test/plain.test.js': "require('../src/plain');\n",
      });
      const sel = await select(fx, ['src/plugins/x.js']);
      assert.deepEqual(selectedOf(fx.root, sel), ['test/plugins.test.js']);
      assert.equal(sel.selected[0]!.reason, 'unknown-import');
      assert.deepEqual(chainOf(fx.root, sel, 'test/plugins.test.js'), [
        'test/plugins.test.js',
        'src/plugins.js',
        'src/plugins/x.js',
      ]);
      assert.deepEqual(sel.unknownImports, [{ file: fx.abs('src/plugins.js'), line: 1 }]);
      // The plain test is still selected precisely.
      const plain = await select(fx, ['src/plain.js']);
      assert.deepEqual(selectedOf(fx.root, plain), ['test/plain.test.js', 'test/plugins.test.js']);
      assert.equal(plain.selected[0]!.reason, 'import');
    });

    it('selects every test when configuration changes', async function () {
      const fx = make({ ...base, 'tsconfig.json': '{}', 'package-lock.json': '{}' });
      for (const config of [
        'package.json',
        'tsconfig.json',
        'package-lock.json',
        'jest.config.ts',
        '.mocharc.json',
      ]) {
        const sel = await select(fx, [config, 'src/unused.ts']);
        assert.equal(sel.method, 'import-graph');
        assert.deepEqual(selectedOf(fx.root, sel), ['test/a.test.ts', 'test/other.test.ts'], config);
        assert.deepEqual(sel.config, [fx.abs(config)]);
        assert.ok(sel.selected.every((s) => s.reason === 'config' && s.because[1] === fx.abs(config)));
      }
    });

    it('has no graph for other ecosystems: method all', async function () {
      const fx = make({ 'go.mod': 'module x\n', 'a_test.go': 'package x\n' });
      const sel = await select(fx, ['a_test.go'], 'go');
      assert.equal(sel.method, 'all');
      AffectedSelection.parse(sel);
    });

    it('follows a deleted file that tests still import', async function () {
      const fx = make(base);
      fs.rmSync(fx.abs('src/util.ts'));
      assert.deepEqual(selectedOf(fx.root, await select(fx, ['src/util.ts'])), ['test/a.test.ts']);
    });

    it('resolves tsconfig paths and baseUrl (through extends)', async function () {
      const fx = make({
        'tsconfig.base.json':
          '{ "compilerOptions": { "baseUrl": ".", /* aliases */ "paths": { "@/*": ["src/*"], "~config": ["src/config.ts"] }, } }',
        'tsconfig.json': '{ "extends": "./tsconfig.base.json" }',
        'src/util.ts': 'export const one = 1;\n',
        'src/config.ts': 'export const c = 1;\n',
        'src/deep/x.ts': 'export const x = 1;\n',
        'test/alias.test.ts':
          "import { one } from '@/util';\nimport { c } from '~config';\nimport { x } from 'src/deep/x';\n",
      });
      for (const changed of ['src/util.ts', 'src/config.ts', 'src/deep/x.ts']) {
        const sel = await select(fx, [changed]);
        assert.deepEqual(selectedOf(fx.root, sel), ['test/alias.test.ts'], changed);
      }
    });

    it('follows imports of workspace packages to their sources (npm workspaces and pnpm)', async function () {
      for (const manifest of ['npm', 'pnpm'] as const) {
        const fx = make({
          'package.json': JSON.stringify({
            name: 'mono',
            private: true,
            ...(manifest === 'npm' ? { workspaces: ['packages/*'] } : {}),
          }),
          ...(manifest === 'pnpm' ? { 'pnpm-workspace.yaml': "packages:\n  - 'packages/*'\n" } : {}),
          'package-lock.json': '{}',
          'packages/core/package.json': JSON.stringify({
            name: '@mono/core',
            main: 'dist/index.js',
            exports: {
              '.': { types: './dist/index.d.ts', default: './dist/index.js' },
              './extra': './dist/extra.js',
            },
          }),
          'packages/core/src/index.ts': "export * from './math';\n",
          'packages/core/src/math.ts': 'export const add = (a: number, b: number) => a + b;\n',
          'packages/core/src/extra.ts': 'export const extra = 1;\n',
          'packages/app/package.json': JSON.stringify({
            name: '@mono/app',
            dependencies: { '@mono/core': '*' },
          }),
          'packages/app/src/main.ts':
            "import { add } from '@mono/core';\nimport { extra } from '@mono/core/extra';\nexport const main = add(1, extra);\n",
          'packages/app/test/main.test.ts': "import { main } from '../src/main';\n",
          'packages/core/test/math.test.ts': "import { add } from '../src/math';\n",
        });
        const projectDir = fx.abs('packages/app');
        const opts = { projectDir, workspaceRoot: fx.root };
        const sel = await select(fx, ['packages/core/src/math.ts'], 'node', opts);
        // Only the app project's tests are candidates.
        assert.equal(sel.totalTestFiles, 1, manifest);
        assert.deepEqual(chainOf(fx.root, sel, 'packages/app/test/main.test.ts'), [
          'packages/app/test/main.test.ts',
          'packages/app/src/main.ts',
          'packages/core/src/index.ts',
          'packages/core/src/math.ts',
        ]);
        const extra = await select(fx, ['packages/core/src/extra.ts'], 'node', opts);
        assert.equal(extra.selected.length, 1, `${manifest}: subpath export`);
        // The monorepo's lockfile, outside the project, is configuration of the project too.
        const lock = await select(fx, ['package-lock.json'], 'node', opts);
        assert.equal(lock.selected[0]?.reason, 'config');
      }
    });
  });

  describe('Python', function () {
    it('resolves relative, absolute and package imports in a src layout', async function () {
      const fx = make({
        'pyproject.toml': '[project]\nname = "p"\n',
        'src/pkg/__init__.py': '',
        'src/pkg/util.py': 'X = 1\n',
        'src/pkg/sub/__init__.py': 'from .. import util  # noqa\n',
        'src/pkg/sub/mod.py': 'from ..util import X\nfrom . import helper\n',
        'src/pkg/sub/helper.py': 'Y = 2\n',
        'src/pkg/other.py': 'Z = 3\n',
        'tests/test_mod.py': 'from pkg.sub.mod import X\n',
        'tests/test_other.py': 'import pkg.other as other\n',
        'tests/test_star.py': 'from pkg.sub import *\n',
      });
      const sel = await select(fx, ['src/pkg/sub/helper.py'], 'python');
      assert.deepEqual(selectedOf(fx.root, sel), ['tests/test_mod.py']);
      assert.deepEqual(chainOf(fx.root, sel, 'tests/test_mod.py'), [
        'tests/test_mod.py',
        'src/pkg/sub/mod.py',
        'src/pkg/sub/helper.py',
      ]);
      // util runs for everything under pkg.sub (its __init__ imports it), not for pkg.other.
      const util = await select(fx, ['src/pkg/util.py'], 'python');
      assert.deepEqual(selectedOf(fx.root, util), ['tests/test_mod.py', 'tests/test_star.py']);
      // A package's __init__ runs for every import below it.
      const init = await select(fx, ['src/pkg/__init__.py'], 'python');
      assert.deepEqual(selectedOf(fx.root, init), [
        'tests/test_mod.py',
        'tests/test_other.py',
        'tests/test_star.py',
      ]);
    });

    it('a conftest.py affects the tests below it; the root conftest.py is configuration', async function () {
      const fx = make({
        'conftest.py': '',
        'app/__init__.py': '',
        'app/db.py': 'DB = 1\n',
        'app/api.py': 'API = 1\n',
        'tests/db/conftest.py': 'import pytest\nfrom app.db import DB\n',
        'tests/db/test_db.py': 'def test_db(): pass\n',
        'tests/api/test_api.py': 'from app import api\n',
        'tests/api/helpers_test.py': 'from app.api import API\n',
      });
      const expect = async (changed: string, tests: string[]) =>
        assert.deepEqual(selectedOf(fx.root, await select(fx, [changed], 'python')), tests, changed);
      await expect('tests/db/conftest.py', ['tests/db/test_db.py']);
      await expect('app/db.py', ['tests/db/test_db.py']);
      await expect('app/api.py', ['tests/api/helpers_test.py', 'tests/api/test_api.py']);
      const root = await select(fx, ['conftest.py'], 'python');
      assert.equal(root.selected.length, 3);
      assert.ok(root.selected.every((s) => s.reason === 'config'));
      assert.equal((await select(fx, ['pyproject.toml'], 'python')).selected.length, 3);
    });

    it('reads imports past strings, comments, continuations and parentheses', function () {
      const src = [
        '"""Module docstring: import fake_one',
        'from fake_two import x',
        '"""',
        "s = 'import fake_three'  # import fake_four",
        "r = rb'from fake_five import y'",
        'from a.b import (',
        '    c,  # a comment',
        '    d as e,',
        ')',
        'import f.g as h, i',
        'from . \\',
        '    import j',
        'try: import k',
        'except ImportError: k = None',
        'x = 1; from ...l import m',
        'def f():',
        '    import n.o',
        "    mod = importlib.import_module('p.q')",
        '    other = importlib.import_module(name)',
        "f'{x} import fake_six'",
      ].join('\n');
      const scan = scanPythonImports(src);
      assert.deepEqual(
        scan.imports.map((i) => [i.level, i.module, i.names.join(','), i.line]),
        [
          [0, 'a.b', 'c,d', 6],
          [0, 'f.g', '', 10],
          [0, 'i', '', 10],
          [1, '', 'j', 11],
          [0, 'k', '', 13],
          [3, 'l', 'm', 15],
          [0, 'n.o', '', 17],
          [0, 'p.q', '', 18],
        ],
      );
      assert.deepEqual(scan.unknown, [19]);
    });
  });

  describe('test files', function () {
    it('JavaScript: the runners’ default conventions, without dependencies, build output or fixtures', async function () {
      const fx = make({
        'package.json': '{}',
        '.gitignore': 'ignored/\n',
        'src/a.test.ts': '',
        'src/b.spec.jsx': '',
        'src/__tests__/c.ts': '',
        'src/c.ts': '',
        'test/d.mjs': '',
        'tests/e.cjs': '',
        'test/fixtures/repo/f.test.js': '',
        'test/helpers/g.ts': '',
        'test/types.d.ts': '',
        'node_modules/x/h.test.js': '',
        'dist/i.test.js': '',
        'packages/p/build/j.test.js': '',
        'ignored/k.test.js': '',
      });
      const found = (await findTestFiles(fx.root, 'node')).map((f) => path.relative(fx.root, f));
      assert.deepEqual(found, [
        'src/__tests__/c.ts',
        'src/a.test.ts',
        'src/b.spec.jsx',
        'test/d.mjs',
        'tests/e.cjs',
      ]);
      // The same without git (the directory walk).
      const walked = make(
        { 'src/a.test.ts': '', 'node_modules/x/h.test.js': '', 'test/d.mjs': '', 'build/x.test.js': '' },
        { git: false },
      );
      assert.deepEqual(
        (await findTestFiles(walked.root, 'node')).map((f) => path.relative(walked.root, f)),
        ['src/a.test.ts', 'test/d.mjs'],
      );
    });

    it('JavaScript: a mocha spec or jest testMatch says what the runner runs', async function () {
      const mocha = make({
        '.mocharc.json': '{ "spec": ["test/unit/**/*.test.ts"], "require": ["./test/setup.ts"] }',
        '.mocharc.integration.yml': 'spec:\n  - test/integration\n',
        'test/unit/a.test.ts': '',
        'test/unit/deep/b.test.ts': '',
        'test/integration/c.js': '',
        'test/integration/deep/d.js': '',
        'test/e2e/e.test.ts': '',
        'test/setup.ts': '',
        'src/a.ts': '',
      });
      assert.deepEqual(
        (await findTestFiles(mocha.root, 'node')).map((f) => path.relative(mocha.root, f)),
        ['test/integration/c.js', 'test/unit/a.test.ts', 'test/unit/deep/b.test.ts'],
      );
      // The setup file runs before every test: a change to it is configuration.
      const setup = await select(mocha, ['test/setup.ts']);
      assert.equal(setup.selected.length, 3);
      assert.equal(setup.selected[0]!.reason, 'config');
      const jest = make({
        'package.json': JSON.stringify({ jest: { testMatch: ['<rootDir>/spec/**/*.spec.[jt]s?(x)'] } }),
        'spec/a.spec.ts': '',
        'spec/b.spec.jsx': '',
        'src/c.test.ts': '',
      });
      assert.deepEqual(
        (await findTestFiles(jest.root, 'node')).map((f) => path.relative(jest.root, f)),
        ['spec/a.spec.ts', 'spec/b.spec.jsx'],
      );
    });

    it('Python: test_*.py and *_test.py, not conftest.py or virtualenvs', async function () {
      const fx = make({
        'tests/test_a.py': '',
        'pkg/b_test.py': '',
        'tests/conftest.py': '',
        'tests/helpers.py': '',
        '.venv/lib/test_c.py': '',
        'venv/test_d.py': '',
      });
      assert.deepEqual(
        (await findTestFiles(fx.root, 'python')).map((f) => path.relative(fx.root, f)),
        ['pkg/b_test.py', 'tests/test_a.py'],
      );
    });

    it('globs: ** * ? [] {} and extglobs', function () {
      const cases: [string, string, boolean][] = [
        ['**/*.test.ts', 'a.test.ts', true],
        ['**/*.test.ts', 'a/b/c.test.ts', true],
        ['test/*.js', 'test/a/b.js', false],
        ['**/?(*.)+(spec|test).[jt]s?(x)', 'src/a.spec.tsx', true],
        ['**/?(*.)+(spec|test).[jt]s?(x)', 'src/spec.js', true],
        ['**/?(*.)+(spec|test).[jt]s?(x)', 'src/aspec.js', false],
        ['**/__tests__/**/*.[jt]s?(x)', 'x/__tests__/y/z.js', true],
        ['test/**/*.{js,mjs}', 'test/a.mjs', true],
        ['./test/**/*.{js,mjs}', 'test/a.cjs', false],
      ];
      for (const [glob, file, want] of cases)
        assert.equal(globToRegExp(glob).test(file), want, `${glob} ${file}`);
    });
  });

  describe('the JS scanner', function () {
    it('finds the same specifiers as typescript.preProcessFile in every source file of NAVI', function () {
      this.timeout(60_000);
      // typescript is a dev dependency: the oracle of this test, not bundled into the agent.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const ts = require('typescript') as typeof import('typescript');
      const files = execFileSync('git', ['ls-files', '-z', '--', '*.ts', '*.tsx', '*.js', '*.mjs', '*.cjs'], {
        cwd: repoRoot,
      })
        .toString('utf8')
        .split('\0')
        .filter((f) => f !== '' && fs.existsSync(path.join(repoRoot, f)));
      for (const file of files) {
        const text = fs.readFileSync(path.join(repoRoot, file), 'utf8');
        const mine = [...new Set(scanJsImports(text).imports.map((i) => i.specifier))].sort();
        const theirs = [
          ...new Set(ts.preProcessFile(text, true, true).importedFiles.map((i) => i.fileName)),
        ].sort();
        assert.deepEqual(mine, theirs, file);
      }
      assert.ok(files.length > 100, `${files.length} files compared`);
    });

    it('reads past regexps, templates, JSX text and property names (where preProcessFile does not)', function () {
      const cases: [string, string[], number[]?][] = [
        // preProcessFile misses ./two (the regexp's quote) and ./three (inside a template), and ./five.
        ["const a = b / c; import('./one'); const r = /'/g; require('./two');", ['./one', './two']],
        ['const t = `${`${require("./three")}`}`; export { x } from "./four";', ['./three', './four']],
        ["export * as ns from './five'; export type { T } from './six';", ['./five', './six']],
        ["import type D, { E } from './seven'; import x = require('./eight');", ['./seven', './eight']],
        ["if (a) /import('nope')/.test(s); const q = x ? require('./ten') : null;", ['./ten']],
        [
          "import {\n  a,\n  type b,\n} from './eleven';\nimport def, * as all from './twelve';",
          ['./eleven', './twelve'],
        ],
        ["const C = () => <p>Don't {x}</p>;\nimport('./fourteen');", ['./fourteen']],
        ['const o = { import: 1, require: 2 }; o.require("nope"); foo.import("nope");', []],
        ['class A { require(name) { return name; } }\nfunction require(x) {}', []],
        ['const u = require(name);\nconst v = import(`./x/${y}`);', [], [1, 2]],
        // A regexp without flags, a long template: the scanner ends (an earlier version looped here).
        [`const r = /x/;\nconst big = \`${'a'.repeat(200_000)}\`;\nrequire('./after');`, ['./after']],
      ];
      for (const [src, specifiers, unknown = []] of cases) {
        const scan = scanJsImports(src);
        assert.deepEqual(
          scan.imports.map((i) => i.specifier),
          specifiers,
          src,
        );
        assert.deepEqual(scan.unknown, unknown, src);
      }
      assert.deepEqual(
        scanJsImports(
          "import type { T } from './t';\nexport * from './r';\nconst m = await import('./d');",
        ).imports.map((i) => [i.kind, i.line]),
        [
          ['type', 1],
          ['reexport', 2],
          ['dynamic', 3],
        ],
      );
    });
  });
});
