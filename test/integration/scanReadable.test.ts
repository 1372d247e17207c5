import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { ScanReport } from '../../protocol/scanReport';
import { fakeSecrets } from '../fixtures/builders';
import { requireBuild, runCli, tempDir, writeFiles } from './helpers';

/**
 * `navi scan` on a pnpm monorepo shaped like vite's (issue 14): a TLS key in test fixtures, 200
 * playgrounds, a library with `main` only. The real CLI, the real agent, real git.
 */
describe('navi scan on a big monorepo with test-fixture keys', () => {
  let repo: string;

  before(() => {
    requireBuild();
    repo = tempDir('monorepo');
    const files: Record<string, string> = {
      'package.json': JSON.stringify({
        name: 'mono',
        private: true,
        scripts: { test: 'vitest', lint: 'eslint .', typecheck: 'tsc -b' },
        devDependencies: { vitest: '1', eslint: '9' },
      }),
      'pnpm-workspace.yaml': 'packages:\n  - packages/*\n  - playground/**\n',
      'pnpm-lock.yaml': 'lockfileVersion: 9.0\n',
      '.gitignore': 'node_modules\n',
      '.github/workflows/ci.yml': 'on: push\n',
      'packages/core/package.json': JSON.stringify({
        name: 'core',
        main: 'index.js',
        dependencies: { a: '1' },
      }),
      'packages/core/index.js': 'module.exports = {};\n',
      'packages/core/test/fixtures/tls/key.pem': fakeSecrets.privateKey(),
      'packages/cli/package.json': JSON.stringify({ name: 'cli', bin: 'cli.js' }),
    };
    for (let i = 0; i < 200; i++) {
      files[`playground/case-${i}/package.json`] = JSON.stringify({
        name: `@mono/playground-${i}`,
        private: true,
      });
      files[`playground/case-${i}/index.ts`] = 'export {};\n';
    }
    writeFiles(repo, files);
    fs.writeFileSync(`${repo}/playground/case-0/logo.png`, Buffer.alloc(500_000, 9));
    execFileSync('git', ['init', '-q'], { cwd: repo });
    execFileSync('git', ['add', '.'], { cwd: repo });
  });

  after(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('the readable report fits a screen before the details and reports the key as a fixture', async () => {
    const r = await runCli(['scan', repo]);
    assert.equal(r.code, 0, r.stderr);
    const head = r.stdout.slice(0, r.stdout.indexOf('\nRisks')).split('\n');
    assert.ok(head.length <= 30, `${head.length} lines before the risks:\n${head.join('\n')}`);
    assert.match(r.stdout, /Projects \(203\)/);
    assert.match(r.stdout, /^ {2}playground\/\s+200 packages\s+folded \(playgrounds\)$/m);
    assert.match(r.stdout, /workspaces: 202 folders: playground\/\* \(200\), packages\/\* \(2\)/);
    assert.match(r.stdout, /^Languages {2}TypeScript \d+% · JavaScript <?\d+% {2}\(source code/m);
    assert.doesNotMatch(r.stdout, /Other \d+%/, 'the image is not a language');
    assert.match(r.stdout, /^ {2}LOW {7}1 key in test data/m);
    assert.match(r.stdout, /\(rule private-key, test fixture \(packages\/core\/test\/fixtures\/\)\)/);
    assert.doesNotMatch(r.stdout, /CRITICAL|Rotate the exposed credentials/);
    assert.doesNotMatch(r.stdout, /node index\.js/, 'a library is not started');
    assert.ok(!r.stdout.includes(fakeSecrets.privateKeyBody().slice(0, 20)));

    const all = await runCli(['scan', '--all', repo]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^ {2}playground\/case-199 @mono\/playground-199/m);
  });

  it('a baseline hides the accepted key; --json says how many', async () => {
    writeFiles(repo, {
      '.navi/secrets-baseline':
        '# the test server key\npackages/core/test/fixtures/tls/key.pem:private-key:1\n',
    });
    try {
      const r = await runCli(['scan', '--json', repo]);
      assert.equal(r.code, 0, r.stderr);
      const report = ScanReport.parse(JSON.parse(r.stdout));
      assert.deepEqual(report.hidden, { count: 1, file: '.navi/secrets-baseline' });
      assert.ok(!report.risks.some((risk) => risk.id === 'secret-in-test-data'));
      const text = await runCli(['scan', repo]);
      assert.match(text.stdout, /1 finding hidden by \.navi\/secrets-baseline/);
    } finally {
      fs.rmSync(`${repo}/.navi`, { recursive: true, force: true });
    }
  });
});
