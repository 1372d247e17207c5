// Bundles the four entry points of NAVI. `node esbuild.config.mjs [--watch] [--production]`.
// - dist/extension.js  extension host activation (CommonJS, `vscode` external) + dist/core.js
// - dist/server.js     agent process (Node, CommonJS), spawned by the extension and the CLI
// - dist/cli.js        the `navi` command (Node, CommonJS)
// - dist/launch.js     starts cli.js / server.js with V8's code cache (cli/launch.ts)
// - dist/webview.js    the sidebar panel (browser IIFE) and dist/webview.css
// - dist/*.wasm        the shell parser (web-tree-sitter + tree-sitter-bash) beside server.js
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production') || process.env.NODE_ENV === 'production';

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
  define: { 'process.env.NAVI_VERSION': JSON.stringify(version) },
};

// web-tree-sitter's ESM build reads import.meta.url, which is empty in a CJS bundle: take its CJS build.
const node = {
  ...common,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  alias: { 'web-tree-sitter': createRequire(import.meta.url).resolve('web-tree-sitter') },
};

/** @type {esbuild.BuildOptions[]} */
const builds = [
  // extension.js is the small activation bundle; core.js (language client, schemas, panel host)
  // is required by it at run time right after activation.
  {
    ...node,
    entryPoints: { extension: 'extension/extension.ts', core: 'extension/core.ts' },
    outdir: 'dist',
    external: ['vscode'],
  },
  // keytar (the CLI's OS keyring, optional, native) is loaded at run time when it is installed.
  {
    ...node,
    entryPoints: {
      server: 'server/main.ts',
      cli: 'cli/navi.ts',
      launch: 'cli/launch.ts',
      // The worker thread that holds a TypeScript project open for the fix task's code fixes.
      tsFixerThread: 'server/tasks/fix/tsFixerThread.ts',
    },
    outdir: 'dist',
    external: ['keytar'],
  },
  // NAVI's own TypeScript 6 for the fix task's code fixes (server/tasks/fix/tsFixer.ts): loaded
  // at run time, only when a project has no TypeScript of its own with a JavaScript API (none, or 7+).
  {
    ...node,
    entryPoints: { typescript: 'typescript' },
    outdir: 'dist',
    minify: true,
    sourcemap: false,
  },
  // The org's control plane (npx navi-control-plane serve): its database drivers stay external
  // (better-sqlite3 is native); not part of the .vsix.
  {
    ...node,
    entryPoints: { 'control-plane': 'control-plane/main.ts' },
    outdir: 'dist',
    external: ['better-sqlite3', 'pg', 'pg-native'],
  },
  {
    ...common,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    entryPoints: { webview: 'webview-ui/main.ts' },
    outdir: 'dist',
    loader: { '.css': 'css' },
  },
];

// The agent loads the bash grammar at run time from files next to dist/server.js
// (server/exec/parse.ts, WASM_ASSETS): WebAssembly, so no native module is bundled.
const require = createRequire(import.meta.url);
mkdirSync('dist', { recursive: true });
for (const [file, module] of [
  ['tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm'],
  ['tree-sitter-bash.wasm', 'tree-sitter-bash/tree-sitter-bash.wasm'],
])
  copyFileSync(require.resolve(module), `dist/${file}`);

if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
  console.log('esbuild: watching for changes');
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
