// `npm test`: every suite, in order — build, typecheck, lint, unit, integration, then the end-to-end suite in a
// real VS Code (which skips with a clear message on a laptop without Chromium/code-server, and
// fails in CI). Stops at the first failing suite. Ends with one line of totals over all suites:
// `tests: N passed, N failed, N skipped`.
import { spawn } from 'node:child_process';

const steps = [
  ['build', ['run', 'build']],
  ['typecheck', ['run', 'typecheck']],
  ['lint', ['run', 'lint']],
  ['unit tests', ['run', 'test:unit']],
  ['integration tests', ['run', 'test:integration']],
  ['end-to-end tests', ['run', 'test:e2e']],
];

const totals = { passed: 0, failed: 0, skipped: 0 };

/** Reads the counts a suite printed: mocha's "N passing/failing/pending", the e2e runner's "e2e: N passed, N failed". */
function count(output) {
  const grab = (re) => [...output.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0);
  const e2e = output.match(/^e2e: (\d+) passed, (\d+) failed/m);
  if (e2e) {
    totals.passed += Number(e2e[1]);
    totals.failed += Number(e2e[2]);
    return;
  }
  totals.passed += grab(/^\s+(\d+) passing/gm);
  totals.failed += grab(/^\s+(\d+) failing/gm);
  totals.skipped += grab(/^\s+(\d+) pending/gm);
}

function run(args) {
  return new Promise((resolve) => {
    const child = spawn('npm', args, { stdio: ['inherit', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

const summary = () => `tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`;

for (const [label, args] of steps) {
  const started = Date.now();
  console.log(`\n=== ${label} ===`);
  const { code, output } = await run(args);
  count(output);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (code !== 0) {
    console.error(`\n${label} failed (exit ${code}) after ${seconds} s.`);
    console.log(summary());
    process.exit(code || 1);
  }
  console.log(`=== ${label}: ok in ${seconds} s ===`);
}
console.log(`\n${summary()}`);
