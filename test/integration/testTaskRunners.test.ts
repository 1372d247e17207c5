import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { shellQuote } from '../../protocol/display';
import { TestRunResult } from '../../protocol/testing';
import { jsRunnerRepos } from '../fixtures/testRunners/js';
import {
  cargoFixture,
  goFixture,
  gradleFixture,
  mavenFixture,
  pytestFixture,
} from '../fixtures/testRunners/other';
import { REPO, requireBuild, runCli, tempDir } from './helpers';

/**
 * The "Done when" bar of the test task: for one fixture repository per runner, `navi test --json`
 * — the real CLI and agent, each step judged, audited and run in the bubblewrap sandbox — reports
 * the totals the runner itself counts and each failure at its file and line. (The adapters'
 * own tests check the parsing against the runners' printed summaries in detail.)
 */
interface Case {
  name: string;
  probe: string[];
  /**
   * The fixture links NAVI's own node_modules: it then runs inside NAVI's checkout, which is its
   * workspace, so the sandbox (private /tmp, only the workspace bound) sees the link's target
   * wherever the checkout is — also under /tmp, as CI's clean clone may be.
   */
  insideRepo?: boolean;
  make: () => {
    root: string;
    argv: string[];
    env?: Record<string, string>;
    totals: { passed: number; failed: number; skipped: number; todo: number };
    failures: { name: string; file: string; line: number | undefined }[];
    cleanup(): void;
  };
}

const CASES: Case[] = [
  ...Object.entries(jsRunnerRepos).map(([name, make]) => ({
    name,
    probe: ['node', '--version'],
    make,
    insideRepo: true,
  })),
  { name: 'pytest', probe: ['python3', '-m', 'pytest', '--version'], make: () => pytestFixture() },
  // The fixture's GOFLAGS/GOPROXY/GOPATH keep the plain runs offline; NAVI's policy refuses a command
  // that sets them (they can add -toolexec or change where modules come from), and the sandbox
  // is offline anyway.
  { name: 'go', probe: ['go', 'version'], make: () => ({ ...goFixture(), env: {} }) },
  { name: 'cargo', probe: ['cargo', '--version'], make: () => cargoFixture() },
  { name: 'maven', probe: ['mvn', '--version'], make: () => mavenFixture() },
  { name: 'gradle', probe: ['gradle', '--version'], make: () => gradleFixture() },
];

describe('navi test --json on one fixture repository per runner', function () {
  this.timeout(300_000);
  let env: NodeJS.ProcessEnv;

  before(() => {
    requireBuild();
    const state = tempDir('runners-state');
    env = { XDG_STATE_HOME: state, XDG_CONFIG_HOME: path.join(state, 'config') };
  });

  for (const c of CASES)
    it(`${c.name}: the runner's totals and each failure's file and line`, async function () {
      if (spawnSync(c.probe[0]!, c.probe.slice(1), { stdio: 'ignore' }).status !== 0) {
        if (process.env.CI) assert.fail(`${c.probe.join(' ')} is not installed (.ci/run installs it)`);
        this.skip();
      }
      const fx = c.make();
      let root = fx.root;
      try {
        if (c.insideRepo) {
          const parent = path.join(REPO, 'test-results', 'fixtures');
          fs.mkdirSync(parent, { recursive: true });
          root = fs.mkdtempSync(path.join(parent, `${c.name}-`));
          fs.cpSync(fx.root, root, { recursive: true, verbatimSymlinks: true });
          // mocha looks for its config up the tree and would find NAVI's own .mocharc.json.
          if (!fs.existsSync(path.join(root, '.mocharc.json')))
            fs.writeFileSync(path.join(root, '.mocharc.json'), '{}\n');
        } else spawnSync('git', ['init', '-q'], { cwd: root });
        const assignments = Object.entries(fx.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)}`);
        const command = [...assignments, ...fx.argv.map(shellQuote)].join(' ');
        const project = c.insideRepo ? ['--project', path.relative(REPO, root)] : [];
        const set = await runCli(['profile', ...project, '--set', `test=${command}`], { cwd: root, env });
        assert.equal(set.code, 0, set.stderr);
        const r = await runCli(['test', '--yes', '--json'], { cwd: root, env });
        let result: TestRunResult;
        try {
          result = TestRunResult.parse(JSON.parse(r.stdout));
        } catch (error) {
          throw new Error(`no result (exit ${r.code}): ${String(error)}\n${r.stderr.slice(-3000)}`);
        }
        const { passed, failed, skipped, todo } = result.totals;
        assert.deepEqual(
          { passed, failed, skipped, todo },
          fx.totals,
          result.steps.map((s) => s.message).join('; '),
        );
        assert.equal(result.steps[0]?.ran, true);
        const real = fs.realpathSync(root);
        for (const want of fx.failures) {
          const got = result.tests.find((t) => t.status === 'failed' && t.name === want.name);
          assert.ok(got, `failure ${want.name} reported`);
          assert.equal(got.file && path.relative(real, got.file), want.file, want.name);
          if (want.line !== undefined) assert.equal(got.line, want.line, want.name);
        }
      } finally {
        fx.cleanup();
        if (root !== fx.root) fs.rmSync(root, { recursive: true, force: true });
      }
    });
});
