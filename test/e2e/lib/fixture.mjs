// The fixture repository the end-to-end suites open: a small Node project in a real git repo, with
// a committed .env that holds a Stripe-looking live key. The key is made at run time so that this
// repository never holds a secret-looking literal (and a secret scanner run on NAVI itself stays quiet).
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './tools.mjs';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random string that looks like a Stripe live secret key (`sk_live_` + 24 alphanumerics). */
export function makeStripeLikeKey() {
  let tail = '';
  // Guarantee a mix of classes so entropy-based detectors see it as random-looking.
  const classes = ['ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz', '0123456789'];
  for (const set of classes) tail += set[randomInt(set.length)];
  while (tail.length < 24) tail += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return ['sk', 'live', tail].join('_');
}

/** The files of the fixture, relative path → content. */
export function fixtureFiles(secret) {
  const pkg = {
    name: 'navi-e2e-fixture',
    version: '1.0.0',
    private: true,
    scripts: { test: 'mocha', lint: 'eslint .' },
    devDependencies: { eslint: '^9.0.0', mocha: '^11.0.0' },
  };
  const lock = {
    name: 'navi-e2e-fixture',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'navi-e2e-fixture', version: '1.0.0', devDependencies: pkg.devDependencies },
    },
  };
  return {
    'package.json': JSON.stringify(pkg, null, 2) + '\n',
    'package-lock.json': JSON.stringify(lock, null, 2) + '\n',
    // The key is on line 2, so "opens the file at the line" is checked against a line other than 1.
    '.env': `# local settings\nSTRIPE_KEY=${secret}\n`,
    '.gitignore': 'node_modules/\ncoverage/\n',
    'src/index.js': [
      "'use strict';",
      '',
      'function add(a, b) {',
      '  return a + b;',
      '}',
      '',
      'module.exports = { add };',
      '',
    ].join('\n'),
    'test/index.test.js': [
      "'use strict';",
      "const assert = require('node:assert');",
      "const { add } = require('../src/index.js');",
      '',
      "describe('add', () => {",
      "  it('adds two numbers', () => {",
      '    assert.strictEqual(add(2, 3), 5);',
      '  });',
      '});',
      '',
    ].join('\n'),
    '.github/workflows/ci.yml': [
      'name: ci',
      'on: [push, pull_request]',
      'jobs:',
      '  test:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '      - uses: actions/setup-node@v4',
      '        with:',
      '          node-version: 20',
      '      - run: npm ci',
      '      - run: npm test',
      '',
    ].join('\n'),
  };
}

/**
 * Writes `files` (path relative to `dir` → content) and commits them all in a new git repository
 * there, with a throwaway identity and no system or user git configuration.
 * `.env` files are committed on purpose (`add -f` in case a global excludes file lists them).
 * @param {string} dir
 * @param {Record<string, string>} files
 */
export function writeCommittedRepo(dir, files) {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  const git = (...args) =>
    execFileSync(
      'git',
      [
        '-c',
        'user.name=NAVI e2e',
        '-c',
        'user.email=e2e@navi.invalid',
        '-c',
        'init.defaultBranch=main',
        ...args,
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } },
    );
  git('init', '-q');
  git('add', '-f', '--', ...Object.keys(files));
  git('commit', '-q', '--no-gpg-sign', '-m', 'fixture');
}

/**
 * Creates the fixture as a committed git repository in a new folder under `parent`.
 * @returns {{ dir: string, secret: string, files: string[] }}
 */
export function createFixtureRepo(parent, name = 'fixture') {
  mkdirSync(parent, { recursive: true });
  const dir = path.join(mkdtempSync(path.join(parent, `${name}-`)), 'navi-fixture');
  mkdirSync(dir);
  const secret = makeStripeLikeKey();
  const files = fixtureFiles(secret);
  writeCommittedRepo(dir, files);
  return { dir, secret, files: Object.keys(files) };
}

/**
 * The files of a TypeScript project whose src/main.ts calls `add` (src/math.ts) without importing
 * it (TS2304, which TypeScript's own code fix repairs): package.json from `pkg` (TypeScript 6.0.3 as
 * its dev dependency), its lockfile, a strict tsconfig, .gitignore; `extra` files added.
 */
export function typeScriptProjectFiles(pkg, extra = {}) {
  const manifest = { ...pkg, devDependencies: { typescript: '6.0.3', ...pkg.devDependencies } };
  const json = (value) => JSON.stringify(value, null, 2) + '\n';
  return {
    'package.json': json(manifest),
    'package-lock.json': json({
      name: manifest.name,
      version: manifest.version,
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: manifest.name, version: manifest.version, devDependencies: manifest.devDependencies },
      },
    }),
    'tsconfig.json': json({
      compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, rootDir: 'src', outDir: 'dist' },
      include: ['src'],
    }),
    '.gitignore': 'node_modules/\ndist/\n',
    'src/math.ts': 'export function add(a: number, b: number): number {\n  return a + b;\n}\n',
    'src/main.ts': ['export function main(): number {', '  return add(2, 3);', '}', ''].join('\n'),
    ...extra,
  };
}

/**
 * `files` as a committed repository in `<new temp folder under parent>/<name>`, with NAVI's own
 * TypeScript copied into its node_modules (as `npm ci` would put it there; a copy, not a link, so
 * the sandbox sees it wherever the checkout is) and the `.bin/tsc` link npm makes.
 */
export function createTypeScriptRepo(parent, name, files) {
  const dir = path.join(mkdtempSync(path.join(parent, `${name}-`)), name);
  writeCommittedRepo(dir, files);
  cpSync(path.join(REPO, 'node_modules', 'typescript'), path.join(dir, 'node_modules', 'typescript'), {
    recursive: true,
  });
  mkdirSync(path.join(dir, 'node_modules', '.bin'));
  symlinkSync('../typescript/bin/tsc', path.join(dir, 'node_modules', '.bin', 'tsc'));
  return dir;
}
