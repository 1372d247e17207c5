import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ScanReport } from '../../protocol/scanReport';
import { CLI, fakeStripeKey, REPO, requireBuild, runCli, tempDir, writeFiles } from './helpers';

/** The `navi` command as a user runs it: real process, real agent, real git. */
describe('navi CLI', () => {
  let repo: string;
  const version = (
    JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }
  ).version;

  before(() => {
    requireBuild();
    repo = tempDir('cli');
    writeFiles(repo, {
      'package.json': JSON.stringify(
        {
          name: 'shop',
          scripts: { test: 'mocha', lint: 'eslint .' },
          devDependencies: { mocha: '^11.0.0', eslint: '^9.0.0' },
        },
        null,
        2,
      ),
      'package-lock.json': '{"lockfileVersion":3}',
      '.gitignore': 'node_modules\n',
      'index.js': 'module.exports = {};\n',
      'test/shop.test.js': "it('works', () => {});\n",
      '.env': `STRIPE_KEY=${fakeStripeKey()}\n`,
    });
    execFileSync('git', ['init', '-q'], { cwd: repo });
    execFileSync('git', ['add', '.'], { cwd: repo });
  });

  after(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('prints help and version', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^\s+scan\s+Scan a repository/m);
    for (const args of [
      ['help', 'scan'],
      ['scan', '--help'],
    ]) {
      const scanHelp = await runCli(args);
      assert.equal(scanHelp.code, 0);
      assert.match(scanHelp.stdout, /navi scan \[PATH\] \[--json\]/);
    }
    const v = await runCli(['--version']);
    assert.equal(v.code, 0);
    assert.equal(v.stdout.trim(), version);
  });

  it('exits 2 on bad usage with a pointer to --help', async () => {
    for (const args of [
      ['frobnicate'],
      ['scan', '--bogus'],
      ['scan', 'a', 'b'],
      ['scan', '--fail-on', 'dire'],
      [],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `navi ${args.join(' ')} should be a usage error`);
    }
    const r = await runCli(['scan', '--bogus']);
    assert.match(r.stderr, /--help/);
  });

  it('exits 1 with a clear message for a path that does not exist', async () => {
    const r = await runCli(['scan', path.join(repo, 'missing')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /does not exist/);
  });

  it('prints the report as JSON that matches the documented schema', async () => {
    const r = await runCli(['scan', repo, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = ScanReport.parse(JSON.parse(r.stdout));
    assert.equal(report.projects[0]?.commands.test?.command, 'npm test');
    assert.equal(report.projects[0]?.commands.test?.source, 'package.json#scripts.test');
    assert.equal(report.projects[0]?.commands.lint?.command, 'npm run lint');
    assert.ok(report.risks.some((risk) => risk.id === 'env-file'));
    assert.ok(!r.stdout.includes(fakeStripeKey()));
  });

  it('prints a readable summary with projects, risks and next steps, and no secret', async () => {
    const r = await runCli(['scan', repo]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Projects \(1\)/);
    assert.match(r.stdout, /test\s+npm test\s+package\.json#scripts\.test/);
    assert.match(r.stdout, /Risks \(\d+\)/);
    assert.match(r.stdout, /\.env/);
    assert.match(r.stdout, /Next steps\n\s+1\. /);
    assert.ok(!r.stdout.includes(fakeStripeKey()) && !r.stderr.includes(fakeStripeKey()));
  });

  it('scans the current directory by default', async () => {
    const r = await runCli(['scan', '--json'], { cwd: repo });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ScanReport.parse(JSON.parse(r.stdout)).root, fs.realpathSync(repo));
  });

  it('exits 1 with --fail-on when a risk at that severity is found', async () => {
    const r = await runCli(['scan', repo, '--fail-on', 'high']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--fail-on/);
  });

  it('stops quietly when its reader goes away (navi scan | head -1)', async () => {
    const { execFile } = await import('node:child_process');
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'bash',
        ['-o', 'pipefail', '-c', `node "$0" scan "$1" | head -1`, CLI, repo],
        (error, stdout, stderr) =>
          resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr }),
      );
    });
    assert.match(result.stdout, /^NAVI scan of /);
    assert.doesNotMatch(result.stderr, /EPIPE|Unhandled/);
    assert.equal(result.code, 0);
  });

  it('handles a file named --help as a path, not an option', async () => {
    const odd = tempDir('dashdash');
    writeFiles(odd, { '--help': 'not an option\n', 'README.md': '# hi\n' });
    const r = await runCli(['scan', '--json', '--', odd]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ScanReport.parse(JSON.parse(r.stdout)).inventory.files, 2);
    fs.rmSync(odd, { recursive: true, force: true });
  });
});
