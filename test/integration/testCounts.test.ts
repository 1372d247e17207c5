import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startAgent, type AgentClient } from '../../cli/agentClient';
import type { ApprovalParams, ApprovalResult } from '../../protocol/approvals';
import * as requests from '../../protocol/requests';
import { TestRunResult, type TestTotals } from '../../protocol/testing';
import { SERVER, copyNpmTool, requireBuild, runCli, tempDir, writeFiles } from './helpers';

/**
 * Counts and times that match everywhere, with the real CLI and agent, the real pipeline (sandbox,
 * audit log) and real mocha: a project whose tests share full titles (express has seven in one
 * file) gets one result per test mocha ran — as many as its "N passing" — each with its own
 * stable id; and a run that waited for an approval reports the tests' time, not the wait.
 */

type Counts = Omit<TestTotals, 'durationMs'>;

const FORMAT_TEST = [
  "const assert = require('node:assert');",
  '',
  "describe('res', () => {",
  "  describe('.format(obj)', () => {",
  '    // The same suite twice, as express does: every title in it is there twice.',
  "    describe('in router', () => {",
  "      it('should Vary: Accept', () => {});",
  "      it('should default the Content-Type', () => {});",
  '    });',
  "    describe('in router', () => {",
  "      it('should Vary: Accept', () => {});",
  "      it('should default the Content-Type', () => {});",
  '    });',
  '  });',
  '});',
  '',
  '// A title in a loop: three tests, the third fails.',
  'for (const n of [1, 2, 3])',
  "  it('parses a number', () => assert.strictEqual(Number(String(n)), n === 3 ? 4 : n));",
  '',
  "it.skip('is not done', () => {});",
  "it.skip('is not done', () => {});",
  '',
].join('\n');

const OTHER_TEST = [
  '// The same full title as in format.test.js, in another file: a test of its own anyway.',
  "describe('res', () => {",
  "  describe('.format(obj)', () => {",
  "    describe('in router', () => {",
  "      it('should Vary: Accept', () => {});",
  '    });',
  '  });',
  '});',
  '',
].join('\n');

const ROUTER = 'test/format.test.js::res > .format(obj) > in router';

/** A git repository with mocha copied in (the sandbox sees only the workspace and the system). */
function mochaRepo(): string {
  const root = fs.realpathSync(tempDir('counts'));
  writeFiles(root, {
    'package.json': JSON.stringify({ name: 'dups', private: true, scripts: { test: 'mocha' } }, null, 2),
    // mocha's default spec (test/*.js); a spec here would be added to the files of a --files run.
    '.mocharc.json': '{}\n',
    '.gitignore': 'node_modules\n',
    'test/format.test.js': FORMAT_TEST,
    'test/other.test.js': OTHER_TEST,
  });
  copyNpmTool(root, 'mocha');
  execFileSync('git', ['init', '-q'], { cwd: root });
  execFileSync('git', ['add', '-A'], { cwd: root });
  return root;
}

/** What mocha itself prints for the fixture, run plainly ("N passing", "N failing", "N pending"). */
function mochaSummary(root: string, args: string[] = []): Counts {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  const { stdout } = spawnSync(path.join(root, 'node_modules', '.bin', 'mocha'), args, {
    cwd: root,
    encoding: 'utf8',
    env,
  });
  const n = (word: string) => Number(new RegExp(`^\\s+(\\d+) ${word}`, 'm').exec(stdout)?.[1] ?? 0);
  return { passed: n('passing'), failed: n('failing'), skipped: n('pending'), todo: 0 };
}

const countsOf = ({ passed, failed, skipped, todo }: TestTotals): Counts => ({
  passed,
  failed,
  skipped,
  todo,
});

function itemCounts(result: TestRunResult): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0, todo: 0 };
  for (const t of result.tests) counts[t.status] += 1;
  return counts;
}

describe('navi test: counts and times that match everywhere', function () {
  this.timeout(180_000);
  let repo: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    requireBuild();
    repo = mochaRepo();
    const state = tempDir('counts-state');
    env = { XDG_STATE_HOME: state, XDG_CONFIG_HOME: path.join(state, 'config') };
  });

  after(() => fs.rmSync(repo, { recursive: true, force: true }));

  const naviTest = async (args: string[] = []) => {
    const r = await runCli(['test', '--yes', '--json', ...args], { cwd: repo, env });
    try {
      return TestRunResult.parse(JSON.parse(r.stdout));
    } catch (error) {
      throw new Error(`no result (exit ${r.code}): ${String(error)}\n${r.stderr.slice(-3000)}`);
    }
  };

  it('repeated titles: one result per test mocha ran, as many as mocha counts, each with its own stable id', async () => {
    const mocha = mochaSummary(repo);
    assert.deepEqual(
      mocha,
      { passed: 7, failed: 1, skipped: 2, todo: 0 },
      'the fixture is what it should be',
    );
    const result = await naviTest();
    assert.deepEqual(countsOf(result.totals), mocha, 'the totals are mocha’s');
    assert.deepEqual(itemCounts(result), mocha, 'one result per test mocha counted');
    const ids = result.tests.map((t) => t.id);
    assert.equal(new Set(ids).size, ids.length, `every id is distinct:\n${ids.join('\n')}`);
    assert.deepEqual(ids.sort(), [
      'test/format.test.js::is not done',
      'test/format.test.js::is not done::#2',
      'test/format.test.js::parses a number',
      'test/format.test.js::parses a number::#2',
      'test/format.test.js::parses a number::#3',
      `${ROUTER} > should Vary: Accept`,
      `${ROUTER} > should Vary: Accept::#2`,
      `${ROUTER} > should default the Content-Type`,
      `${ROUTER} > should default the Content-Type::#2`,
      // The same title in another file is its own test: no number.
      'test/other.test.js::res > .format(obj) > in router > should Vary: Accept',
    ]);
    const failed = result.tests.filter((t) => t.status === 'failed');
    assert.deepEqual(
      failed.map((t) => [t.id, t.occurrence, t.line]),
      [['test/format.test.js::parses a number::#3', 3, 19]],
    );

    // The same ids on the next run, and in a run of that one file.
    const again = await naviTest(['--files', 'test/format.test.js']);
    assert.deepEqual(
      again.tests.map((t) => t.id).sort(),
      ids.filter((id) => id.startsWith('test/format.test.js::')),
    );
    assert.deepEqual(countsOf(again.totals), mochaSummary(repo, ['test/format.test.js']));
  });

  it('re-running one of several tests with the same title runs them all, each under its own id', async () => {
    const result = await naviTest(['--test', 'test/format.test.js::parses a number::#3']);
    assert.deepEqual(
      result.tests.map((t) => [t.id, t.status]),
      [
        ['test/format.test.js::parses a number', 'passed'],
        ['test/format.test.js::parses a number::#2', 'passed'],
        ['test/format.test.js::parses a number::#3', 'failed'],
      ],
    );
    assert.deepEqual(countsOf(result.totals), { passed: 2, failed: 1, skipped: 0, todo: 0 });
  });

  describe('a run that waits for an approval', () => {
    const WAIT_MS = 3_000;
    let agent: AgentClient;

    beforeEach(async () => {
      agent = await startAgent({
        serverPath: SERVER,
        initializationOptions: { client: 'cli', stateDir: path.join(env.XDG_STATE_HOME!, 'agent') },
      });
    });

    afterEach(async () => agent.dispose());

    it('reports the tests’ time, never the wait: the durations and the progress clock start with the process', async () => {
      let askedAt: number | undefined;
      let answeredAt: number | undefined;
      let asked: ApprovalParams | undefined;
      agent.connection.onRequest(requests.approval.type, async (params): Promise<ApprovalResult> => {
        asked = params;
        askedAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
        answeredAt = Date.now();
        return { decision: 'allowOnce', by: 'tester' };
      });
      const progress: (requests.TestProgressParams & { at: number })[] = [];
      agent.connection.onNotification(requests.testProgress.type, (p) => {
        progress.push({ ...requests.TestProgressParams.parse(p), at: Date.now() });
      });

      // The profile as the scan proposes it (nobody confirmed it): `npm test` → mocha, which asks.
      const sentAt = Date.now();
      const result = TestRunResult.parse(
        await Promise.race([
          agent.connection.sendRequest(requests.test.type, { runId: 'waits', root: repo, trusted: true }),
          agent.exited,
        ]),
      );
      const doneAt = Date.now();

      assert.ok(asked && askedAt && answeredAt, 'the test step asked for approval');
      assert.match(asked.command, /mocha/);
      assert.ok(answeredAt - askedAt >= WAIT_MS);
      const step = result.steps[0]!;
      assert.equal(step.ran, true, step.message);
      assert.deepEqual(countsOf(result.totals), mochaSummary(repo));
      // Everything timed happened after the answer: no duration can hold the wait.
      assert.ok(
        step.durationMs <= doneAt - answeredAt,
        `the step took ${step.durationMs} ms, but only ${doneAt - answeredAt} ms passed after the approval`,
      );
      assert.equal(result.totals.durationMs, step.durationMs);
      assert.ok(doneAt - sentAt >= WAIT_MS, 'the run as a whole did wait');

      // The progress clock: 0 and "approval" while it waits, then counting from the process start.
      const waiting = progress.filter((p) => p.phase === 'approval');
      assert.ok(waiting.length >= 1, 'the agent said it waits for an approval');
      assert.ok(waiting.every((p) => p.elapsedMs === 0));
      const running = progress.filter((p) => p.phase === 'running');
      assert.ok(running.length >= 1, 'the agent said when the process started');
      for (const p of running)
        assert.ok(
          p.at >= answeredAt && p.elapsedMs <= p.at - answeredAt,
          `elapsed ${p.elapsedMs} ms, ${p.at - answeredAt} ms after the approval`,
        );
      assert.ok(
        progress.findIndex((p) => p.phase === 'running') > progress.findIndex((p) => p.phase === 'approval'),
      );
    });
  });
});
