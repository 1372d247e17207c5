import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { keepWasmBaseline, WASM_BASELINE_FLAGS } from '../server/exec/wasmFlags';
import { recordLaunchCache, type LaunchCacheStatus } from '../server/launchCache';
import { privateTempDir } from '../server/privateTemp';

/**
 * What happened to the cache: `used`; `written` (none yet: it is written at exit); `refused` by V8
 * (rewritten at exit); `off` (no private folder); `node` (Node's own compile cache).
 */
export type LaunchCache = Exclude<LaunchCacheStatus, 'none'>;

/**
 * Starts one of NAVI's bundles (dist/cli.js, dist/server.js) with V8's code cache, so a process
 * started for one command does not compile a megabyte of JavaScript every time: `bin/navi.js` runs
 * the CLI through it and the CLI starts the agent as `node dist/launch.js dist/server.js --stdio`.
 * About 40 ms of each agent start on the machine of docs/BENCHMARKS.md.
 *
 * The cache is `<tmp>/navi-<uid>/compile-cache/<bundle>-<hash>.v8`, in the user's private folder
 * (server/privateTemp.ts: code from a cache is run as is, so nobody else may write there). Its name
 * holds a hash of the bundle's text, Node's version, the platform and the V8 flags, because V8
 * checks only the source's length: a rebuilt bundle of the same size must not run old code. It is
 * written when the process exits, once, with the functions compiled by then. Without a usable
 * folder, or when V8 refuses the cache, the bundle is compiled as usual: the cache only saves time.
 * Node 22.1+ has this built in (`module.enableCompileCache`), which is used when present.
 */
export function launch(bundle: string, cacheDir: string | null = defaultCacheDir()): LaunchCache {
  // V8 refuses a cache made under other flags, and the agent sets these: set them first.
  keepWasmBaseline();
  const file = path.resolve(bundle);
  const builtIn = (Module as unknown as { enableCompileCache?: (dir?: string) => unknown })
    .enableCompileCache;
  if (typeof builtIn === 'function') {
    if (cacheDir) builtIn(cacheDir);
    recordLaunchCache(cacheDir ? 'node' : 'off');
    Module.createRequire(file)(file);
    return cacheDir ? 'node' : 'off';
  }

  const source = fs.readFileSync(file, 'utf8');
  const name = path.basename(file);
  const cacheFile = cacheDir ? path.join(cacheDir, `${name}-${cacheKey(source)}.v8`) : undefined;
  let cached: Buffer | undefined;
  try {
    if (cacheFile) cached = fs.readFileSync(cacheFile);
  } catch {
    // No cache yet.
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    cachedData: cached,
    // A bundled library may still call import() (web-tree-sitter does, for a file it is not given).
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });

  const status: LaunchCache = !cacheFile
    ? 'off'
    : !cached
      ? 'written'
      : script.cachedDataRejected === true
        ? 'refused'
        : 'used';
  recordLaunchCache(status);
  const mod = new Module(file, undefined);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(
    path.dirname(file),
  );
  const requireFn = Module.createRequire(file);
  (requireFn as { main?: Module }).main = mod;
  (Module as unknown as { _cache: Record<string, Module> })._cache[file] = mod;
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(mod.exports, mod.exports, requireFn, mod, file, path.dirname(file));
  mod.loaded = true;
  // Written at exit, after the exit handlers the bundle installed, so it holds what the run compiled.
  if (cacheFile && (!cached || script.cachedDataRejected === true))
    process.on('exit', () => writeCache(cacheFile, name, script));
  return status;
}

function cacheKey(source: string): string {
  return createHash('sha256')
    .update(`${process.version}\0${process.arch}\0${process.platform}\0${WASM_BASELINE_FLAGS.join(' ')}\0`)
    .update(source)
    .digest('hex')
    .slice(0, 24);
}

function defaultCacheDir(): string | null {
  try {
    const dir = path.join(privateTempDir(), 'compile-cache');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  } catch {
    return null;
  }
}

/** Atomically (other NAVI processes may read it), and the caches of older builds go. */
function writeCache(cacheFile: string, name: string, script: vm.Script): void {
  try {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(tmp, cacheFile);
    const dir = path.dirname(cacheFile);
    for (const entry of fs.readdirSync(dir))
      if (entry.startsWith(`${name}-`) && path.join(dir, entry) !== cacheFile)
        fs.rmSync(path.join(dir, entry), { force: true });
  } catch {
    // A full or read-only disk: the next start compiles again.
  }
}

// `node dist/launch.js BUNDLE [ARGS…]`: the bundle sees `process.argv` as if started directly.
if (require.main === module) {
  const bundle = process.argv[2];
  if (!bundle) {
    process.stderr.write('Usage: node launch.js BUNDLE [ARGS…]\n');
    process.exit(2);
  }
  process.argv.splice(1, 2, path.resolve(bundle));
  launch(bundle);
}
