// `npm run package`: a production build, then a real .vsix with @vscode/vsce holding only the
// bundles and assets (.vscodeignore). Prints the path and size and refuses a .vsix over 5 MB.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { name, version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const out = path.join(root, `${name}-${version}.vsix`);
const run = (cmd, args) => {
  try {
    execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
  } catch (error) {
    console.error(
      `npm run package: "${path.basename(args[0] ?? cmd)} ${args.slice(1).join(' ')}" failed (${error.status ?? error.signal}).`,
    );
    process.exit(1);
  }
};

run(process.execPath, ['esbuild.config.mjs', '--production']);
run(process.execPath, [
  path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce'),
  'package',
  '--no-dependencies',
  '--allow-missing-repository',
  '--no-rewrite-relative-links',
  '--out',
  out,
]);
const size = statSync(out).size;
console.log(`${out} (${(size / 1024).toFixed(0)} KB)`);
if (size > 5 * 1024 * 1024) {
  console.error(`The .vsix is ${(size / 1024 / 1024).toFixed(1)} MB, over the 5 MB budget.`);
  process.exit(1);
}
// Leave a development build behind so source maps work for the tests that follow.
run(process.execPath, ['esbuild.config.mjs']);
