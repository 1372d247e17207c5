// `npm run bench:activation`: the extension's own activation work — loading dist/extension.js
// and running activate() — measured in fresh Node processes against a stand-in `vscode` module
// that accepts every call (the VS Code API itself is not what is measured). The agent process
// starts after activate() returns and is not part of the number. The real extension host logs
// its own figure ("NAVI … activated in N ms") in the NAVI log; the end-to-end suite prints it.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const runs = Number(process.env.RUNS ?? 25);

const child = String.raw`
const Module = require('module');
const { performance } = require('perf_hooks');
const any = () => new Proxy(function () {}, {
  get: (t, k) => (k === 'then' ? undefined : k === Symbol.toPrimitive ? () => '' : k === 'isTrusted' ? true : any()),
  apply: () => any(),
  construct: () => any(),
});
// esbuild's ESM interop copies the module's own keys, so the stand-in lists the API's names.
const names = require('fs').readFileSync(require.resolve('@types/vscode/index.d.ts'), 'utf8')
  .match(/^\s*export (?:namespace|class|enum|const|function) (\w+)/gm).map((m) => m.trim().split(' ').pop());
const stub = Object.fromEntries(names.map((n) => [n, any()]));
stub.workspace = new Proxy({}, { get: (t, k) => (k === 'isTrusted' ? true : k === 'workspaceFolders' ? [] : any()) });
const load = Module._load;
Module._load = function (request, ...rest) { return request === 'vscode' ? stub : load.call(this, request, ...rest); };
const ctx = { subscriptions: [], extension: { packageJSON: { version: 'bench' } }, extensionUri: any(), asAbsolutePath: (p) => p };
const t0 = performance.now();
const ext = require(process.argv[1]);
const t1 = performance.now();
const api = ext.activate(ctx);
const t2 = performance.now();
const t3 = performance.now();
require(require('path').join(require('path').dirname(process.argv[1]), 'core.js'));
const t4 = performance.now();
process.stdout.write(JSON.stringify({ load: t1 - t0, activate: t2 - t1, core: t4 - t3, reported: api.activationMs }));
process.exit(0);
`;

execFileSync(process.execPath, ['esbuild.config.mjs', '--production'], { cwd: root, stdio: 'inherit' });
const bundle = path.join(root, 'dist', 'extension.js');
const samples = [];
for (let i = 0; i < runs; i++) {
  samples.push(JSON.parse(execFileSync(process.execPath, ['-e', child, bundle], { encoding: 'utf8' })));
}
execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: root, stdio: 'inherit' });

const stat = (key) => {
  const v = samples.map((s) => s[key]).sort((a, b) => a - b);
  const q = (p) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
  return { median: q(0.5), p95: q(0.95), max: v.at(-1) };
};
const total = samples.map((s) => s.load + s.activate);
total.sort((a, b) => a - b);
const fmt = (n) => `${n.toFixed(1)} ms`;
console.log(`extension activation, ${runs} fresh processes (production bundle ${bundle})`);
for (const key of ['load', 'activate']) {
  const s = stat(key);
  console.log(`  ${key.padEnd(9)} median ${fmt(s.median)}  p95 ${fmt(s.p95)}  max ${fmt(s.max)}`);
}
const median = total[Math.floor(total.length / 2)];
const p95 = total[Math.min(total.length - 1, Math.floor(0.95 * total.length))];
console.log(
  `  total     median ${fmt(median)}  p95 ${fmt(p95)}   target < 50 ms: ${p95 < 50 ? 'met' : 'NOT met'}`,
);
const core = stat('core');
console.log(
  `  deferred: loading dist/core.js on the next tick, median ${fmt(core.median)}  p95 ${fmt(core.p95)} (not part of activation)`,
);
