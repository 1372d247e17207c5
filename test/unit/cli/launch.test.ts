import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { privateTempDir } from '../../../server/privateTemp';

// cli/launch.ts starts NAVI's bundles with V8's code cache: a second start uses it, a rebuilt
// bundle never runs old code, a damaged cache costs only time, and the cache lives only in the
// user's private folder.

const ROOT = path.resolve(__dirname, '../../..');
const LAUNCH = path.join(ROOT, 'cli', 'launch.ts');

/** Runs `launch(bundle, cacheDir)` in a fresh Node: what the bundle printed and the cache status. */
function launch(bundle: string, cacheDir: string | null, args: string[] = []) {
  const code = `const s = require(${JSON.stringify(LAUNCH)}).launch(process.argv[1], process.argv[2] === '-' ? null : process.argv[2]); process.stderr.write('cache:' + s);`;
  const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', code, bundle, cacheDir ?? '-', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return { out: r.stdout, cache: /cache:(\w+)/.exec(r.stderr)?.[1] };
}

/** A bundle of a given size that prints `value`: two versions of the same length. */
function bundleText(value: string): string {
  const body = Array.from({ length: 300 }, (_, i) => `function f${i}(x) { return x * ${i} + 1; }`).join('\n');
  return `'use strict';\n${body}\nconst sibling = require('./sibling.js');\nprocess.stdout.write(JSON.stringify({ value: ${JSON.stringify(value)}, sum: f7(2) + sibling, file: __filename, main: require.main === module }));\n`;
}

describe('cli/launch: the code cache', () => {
  let dir: string;
  let cacheDir: string;
  let bundle: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-launch-'));
    cacheDir = path.join(dir, 'cache');
    fs.mkdirSync(cacheDir, { mode: 0o700 });
    bundle = path.join(dir, 'bundle.js');
    fs.writeFileSync(bundle, bundleText('one'));
    fs.writeFileSync(path.join(dir, 'sibling.js'), 'module.exports = 100;\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs the bundle as its own module, writes the cache at exit and uses it the next time', () => {
    const first = launch(bundle, cacheDir);
    assert.equal(first.cache, 'written');
    assert.deepEqual(JSON.parse(first.out), { value: 'one', sum: 115, file: bundle, main: true });
    const files = fs.readdirSync(cacheDir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^bundle\.js-[0-9a-f]{24}\.v8$/);
    assert.equal(fs.statSync(path.join(cacheDir, files[0]!)).mode & 0o077, 0, 'readable by its user only');

    const second = launch(bundle, cacheDir);
    assert.equal(second.cache, 'used');
    assert.equal(JSON.parse(second.out).value, 'one');
  });

  it('never runs the old code of a rebuilt bundle of the same size, and drops the old cache', () => {
    launch(bundle, cacheDir);
    const oldCache = fs.readdirSync(cacheDir);
    const rebuilt = bundleText('two');
    assert.equal(
      rebuilt.length,
      fs.readFileSync(bundle, 'utf8').length,
      'same length: V8 alone would accept the cache',
    );
    fs.writeFileSync(bundle, rebuilt);

    const after = launch(bundle, cacheDir);
    assert.equal(after.cache, 'written');
    assert.equal(JSON.parse(after.out).value, 'two');
    const files = fs.readdirSync(cacheDir);
    assert.equal(files.length, 1);
    assert.notDeepEqual(files, oldCache);
  });

  it('runs the bundle normally from a damaged cache, and writes a good one', () => {
    launch(bundle, cacheDir);
    const [file] = fs.readdirSync(cacheDir);
    fs.writeFileSync(path.join(cacheDir, file!), Buffer.alloc(4096, 0x5a));

    const damaged = launch(bundle, cacheDir);
    assert.equal(damaged.cache, 'refused');
    assert.equal(JSON.parse(damaged.out).sum, 115);
    assert.equal(launch(bundle, cacheDir).cache, 'used');
  });

  it('as a program, passes the arguments on, and runs without a cache when there is no private folder', () => {
    const script = path.join(dir, 'args.js');
    fs.writeFileSync(script, 'process.stdout.write(JSON.stringify(process.argv.slice(1)));\n');
    // A file where NAVI's private folder would be: no cache, the bundle still runs.
    const tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    fs.writeFileSync(path.join(tmp, `navi-${process.getuid?.() ?? 'user'}`), '');
    const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', LAUNCH, script, 'a', '--b'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: tmp },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [script, 'a', '--b']);
  });
});

describe('server/privateTemp', () => {
  let dir: string;
  let saved: string | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-private-'));
    saved = process.env.TMPDIR;
    process.env.TMPDIR = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const own = () => path.join(dir, `navi-${process.getuid?.() ?? 'user'}`);

  it('makes the folder readable by its user only', () => {
    assert.equal(privateTempDir(), own());
    assert.equal(fs.statSync(own()).mode & 0o777, 0o700);
    assert.equal(privateTempDir(), own(), 'and reuses it');
  });

  it('refuses a folder others can write to, or a link to one', () => {
    fs.mkdirSync(own(), { mode: 0o777 });
    fs.chmodSync(own(), 0o777);
    assert.throws(() => privateTempDir(), /is not a private folder of this user/);
    fs.rmSync(own(), { recursive: true });
    fs.mkdirSync(path.join(dir, 'elsewhere'), { mode: 0o700 });
    fs.symlinkSync(path.join(dir, 'elsewhere'), own());
    assert.throws(() => privateTempDir(), /is not a private folder of this user/);
  });
});
