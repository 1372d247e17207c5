// `npm test`: every suite, in order — build, unit, integration, then the end-to-end suite in a
// real VS Code (which skips with a clear message on a laptop without Chromium/code-server, and
// fails in CI). Stops at the first failing suite and exits with its code.
import { spawnSync } from 'node:child_process';

const steps = [
  ['build', ['run', 'build']],
  ['unit tests', ['run', 'test:unit']],
  ['integration tests', ['run', 'test:integration']],
  ['end-to-end tests', ['run', 'test:e2e']],
];

for (const [label, args] of steps) {
  const started = Date.now();
  console.log(`\n=== ${label} ===`);
  const result = spawnSync('npm', args, { stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`\n${label} failed (exit ${result.status ?? result.signal}) after ${seconds} s.`);
    process.exit(result.status || 1);
  }
  console.log(`=== ${label}: ok in ${seconds} s ===`);
}
