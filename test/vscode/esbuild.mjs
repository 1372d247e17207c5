// Bundles the in-host suites for the extension host: out/test/suite/index.js (exports `run()`)
// and one out/test/suite/<name>.test.js per suite. CommonJS; `vscode` is the host's; mocha is
// resolved from node_modules at run time (the host loads the files from this checkout).
// `node test/vscode/esbuild.mjs`
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const suites = readdirSync(here).filter((name) => name.endsWith('.test.ts'));
const outdir = path.join(repo, 'out', 'test', 'suite');
// index.js runs every *.test.js it finds: leave none behind from a suite that was removed.
rmSync(outdir, { recursive: true, force: true });

await esbuild.build({
  absWorkingDir: repo,
  entryPoints: [path.join(here, 'index.ts'), ...suites.map((name) => path.join(here, name))],
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode', 'mocha'],
  sourcemap: 'linked',
  logLevel: 'warning',
});
