import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestTotals } from '../../protocol/testing';
import { jestAdapter } from '../../server/tasks/test/runners/jest';
import { stripAnsi } from '../../server/tasks/test/runners/jsCommon';
import { mochaAdapter } from '../../server/tasks/test/runners/mocha';
import { nodeTestAdapter } from '../../server/tasks/test/runners/nodeTest';
import type { InstrumentOptions, ParsedTests, RunnerAdapter } from '../../server/tasks/test/runners/types';
import { vitestAdapter } from '../../server/tasks/test/runners/vitest';
import { tempDir } from '../fixtures/builders';
import { type JsRunnerName, jsRunnerRepos, type RunnerFixture } from '../fixtures/testRunners/js';

// Each JavaScript runner on a fixture repository made here, run for real through the argv its
// adapter instruments (a plain child process: the safe pipeline is tested on its own), and read
// back. The totals must be the ones the runner itself prints and the ones the fixture is known
// to have; every failure must point at its file and line.

type Counts = Omit<TestTotals, 'durationMs'>;

interface Run {
  argv: string[];
  stdout: string;
  stderr: string;
  exitCode: number | null;
  parsed: ParsedTests;
}

function run(
  adapter: RunnerAdapter,
  fx: RunnerFixture,
  argv: readonly string[],
  extra: Partial<InstrumentOptions> = {},
): Promise<Run> {
  const reportDir = tempDir('navi-reports-');
  const inst = adapter.instrument(argv, { reportDir, cwd: fx.root, ...extra });
  // The runners must not think they run inside this mocha, nor in CI or a TTY that changes output.
  const env: NodeJS.ProcessEnv = { ...process.env, ...inst.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  delete env.NODE_OPTIONS;
  return new Promise((resolve, reject) => {
    const child = spawn(inst.argv[0]!, inst.argv.slice(1), {
      cwd: fx.root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const reports = new Map<string, string>();
      for (const file of inst.reports)
        if (fs.existsSync(file)) reports.set(file, fs.readFileSync(file, 'utf8'));
      const parsed = adapter.parse({
        cwd: fx.root,
        workspaceRoot: fx.root,
        step: 0,
        reports,
        stdout,
        stderr,
        exitCode,
      });
      fs.rmSync(reportDir, { recursive: true, force: true });
      resolve({ argv: inst.argv, stdout: stripAnsi(stdout), stderr: stripAnsi(stderr), exitCode, parsed });
    });
  });
}

/** The counts in the runner's own human summary. */
const summaries: Record<JsRunnerName, (r: Run) => Counts> = {
  'node-test': ({ stdout }) => {
    const n = (name: string) => Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(stdout)?.[1] ?? NaN);
    return { passed: n('pass'), failed: n('fail') + n('cancelled'), skipped: n('skipped'), todo: n('todo') };
  },
  mocha: ({ stdout }) => {
    const n = (word: string) => Number(new RegExp(`^\\s+(\\d+) ${word}`, 'm').exec(stdout)?.[1] ?? 0);
    return { passed: n('passing'), failed: n('failing'), skipped: n('pending'), todo: 0 };
  },
  jest: ({ stderr }) => {
    const line = /^Tests:\s+(.*)$/m.exec(stderr)?.[1] ?? '';
    const n = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
    return { passed: n('passed'), failed: n('failed'), skipped: n('skipped'), todo: n('todo') };
  },
  vitest: ({ stdout }) => {
    const line = /^\s*Tests\s+(.*)$/m.exec(stdout)?.[1] ?? '';
    const n = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
    return { passed: n('passed'), failed: n('failed'), skipped: n('skipped'), todo: n('todo') };
  },
};

/** What shows that the human-readable output is still there (Jest prints it on stderr, as always). */
const humanOutput: Record<JsRunnerName, (r: Run) => string> = {
  'node-test': (r) => (assert.match(r.stdout, /✔ adds/), r.stdout),
  mocha: (r) => (assert.match(r.stdout, /✔ adds[\s\S]*2 passing/), r.stdout),
  jest: (r) => (
    assert.match(r.stderr, /FAIL test\/math\.test\.js[\s\S]*● math › multiplies[\s\S]*Tests:/),
    r.stderr
  ),
  vitest: (r) => (assert.match(r.stdout, /✓ adds|× multiplies/), r.stdout),
};

const adapters: Record<JsRunnerName, RunnerAdapter> = {
  'node-test': nodeTestAdapter,
  mocha: mochaAdapter,
  jest: jestAdapter,
  vitest: vitestAdapter,
};

const counts = ({ passed, failed, skipped, todo }: TestTotals): Counts => ({ passed, failed, skipped, todo });

for (const name of Object.keys(jsRunnerRepos) as JsRunnerName[]) {
  describe(`${name} results on a real run`, function () {
    this.timeout(180_000);
    const adapter = adapters[name];
    let fx: RunnerFixture;
    let first: Run;
    let second: Run;
    before(async () => {
      fx = jsRunnerRepos[name]();
      first = await run(adapter, fx, fx.argv);
      second = await run(adapter, fx, fx.argv);
    });
    after(() => fx?.cleanup());

    it('recognises the command and reports the totals the runner prints, and the fixture has', () => {
      assert.ok(adapter.matches(fx.argv), fx.argv.join(' '));
      assert.equal(first.parsed.parsedFrom, 'machine');
      assert.deepEqual(
        counts(first.parsed.totals),
        summaries[name](first),
        `summary of ${first.argv.join(' ')}`,
      );
      assert.deepEqual(counts(first.parsed.totals), fx.totals);
      assert.ok(first.parsed.totals.durationMs > 0);
      assert.notEqual(first.exitCode, 0, 'the fixture has failures');
    });

    it('reports each failure at its file and line, with expected/actual where the runner gives them', () => {
      const failed = first.parsed.tests.filter((t) => t.status === 'failed');
      assert.equal(failed.length, fx.failures.length, failed.map((t) => t.id).join('\n'));
      for (const want of fx.failures) {
        const got = failed.find((t) => t.name === want.name);
        assert.ok(got, `failure ${want.name} in ${failed.map((t) => t.id).join(', ')}`);
        assert.equal(got.file, path.join(fx.root, want.file));
        assert.equal(got.line, want.line, `line of ${got.id}`);
        assert.ok(got.failure?.message, 'a message');
        if (want.expected !== undefined) assert.equal(got.failure?.expected, want.expected);
        if (want.actual !== undefined) assert.equal(got.failure?.actual, want.actual);
        if (want.line)
          assert.equal(got.failure?.stack[0]?.file, got.file, 'the stack starts in the test file');
      }
    });

    it('reports the files that crashed or did not load', () => {
      for (const file of fx.brokenFiles) {
        assert.ok(
          first.parsed.errors.some((e) => e.startsWith(file)),
          `${file} in errors: ${first.parsed.errors.join(' | ')}`,
        );
      }
      if (!fx.brokenFiles.length) assert.deepEqual(first.parsed.errors, []);
    });

    it('gives every test a stable id, the same on a second run', () => {
      const ids = (r: Run) => r.parsed.tests.map((t) => t.id).sort();
      assert.deepEqual(ids(second), ids(first));
      assert.equal(new Set(ids(first)).size, ids(first).length, 'ids are unique');
      for (const t of first.parsed.tests) assert.ok(t.id.startsWith('test/'), t.id);
      const skipped = first.parsed.tests.find((t) => t.name === 'divides');
      assert.equal(skipped?.status, 'skipped');
      if (fx.totals.todo)
        assert.equal(first.parsed.tests.find((t) => t.name === 'takes roots')?.status, 'todo');
    });

    it('keeps the runner’s human-readable output', () => {
      humanOutput[name](first);
    });

    it('runs only the given file and test when asked', async () => {
      const file = path.join(fx.root, 'test/math.test.js');
      const only = await run(adapter, fx, fx.argv, { files: [file], testNames: ['math > adds'] });
      const ran = only.parsed.tests.filter((t) => t.status === 'passed' || t.status === 'failed');
      assert.deepEqual(
        ran.map((t) => t.id),
        ['test/math.test.js::math > adds'],
        only.argv.join(' '),
      );
      assert.deepEqual(only.parsed.errors, []);
    });
  });
}
