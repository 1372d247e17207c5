import assert from 'node:assert/strict';
import { ScanReport } from '../../../protocol/scanReport';
import { type Fixture, fakeSecrets, fixture } from '../../fixtures/builders';
import { riskIds, riskOf, runScan } from './harness';

/** Severity with context, accepted findings, and risks that respect the project's own choices (issue 14). */
describe('scan: findings in context', () => {
  let fx: Fixture | undefined;
  afterEach(() => fx?.cleanup());

  it('keys in test fixtures, examples, docs and vendored code are test data, not leaks to rotate', async () => {
    const key = fakeSecrets.privateKey();
    fx = fixture({
      '.gitignore': '',
      'test/fixtures/tls/key.pem': key,
      'examples/deploy/id_rsa': key,
      'docs/setup.md': `Example token: ${fakeSecrets.githubToken()}\n`,
      'vendor/lib/config.js': `const t = "${fakeSecrets.slackToken()}";\n`,
      'src/db.test.ts': `const url = "${fakeSecrets.databaseUrl()}";\n`,
    });
    const { report } = await runScan(fx.root);
    ScanReport.parse(report);
    assert.deepEqual(
      riskIds(report).filter((id) => /secret|key|credentials/.test(id)),
      ['secret-in-test-data'],
    );
    const risk = riskOf(report, 'secret-in-test-data')!;
    assert.equal(risk.severity, 'low');
    assert.match(risk.reason!, /test data rather than a leak/);
    const why = Object.fromEntries(risk.evidence.map((e) => [e.path, `${e.rule} · ${e.reason}`]));
    assert.deepEqual(why, {
      'test/fixtures/tls/key.pem': 'private-key · test fixture (test/fixtures/)',
      'examples/deploy/id_rsa': 'private-key · example (examples/)',
      'docs/setup.md': 'github-token · documentation (docs/)',
      'vendor/lib/config.js': 'slack-token · vendored code (vendor/)',
      'src/db.test.ts': 'credentials-in-url · test file',
    });
    const steps = report.nextSteps.map((s) => s.id);
    assert.ok(!steps.includes('rotate-secrets'), 'nothing to rotate');
    assert.equal(steps[0], 'review-test-secrets');
    assert.ok(!JSON.stringify(report).includes(fakeSecrets.privateKeyBody().slice(0, 20)));
  });

  it('a key in source, in a README, in a committed .env (even under test/) or in CI configuration stays critical', async () => {
    const token = fakeSecrets.githubToken();
    fx = fixture({
      '.gitignore': '',
      'README.md': `Use this token: ${token}\n`,
      'src/client.ts': `const token = "${token}";\n`,
      'test/.env': `GITHUB_TOKEN=${token}\n`,
      '.github/workflows/ci.yml': `env:\n  TOKEN: ${token}\n`,
    });
    const { report } = await runScan(fx.root);
    const risk = riskOf(report, 'secret')!;
    assert.equal(risk.severity, 'critical');
    assert.deepEqual(
      risk.evidence.map((e) => [e.path, e.reason]),
      [
        ['.github/workflows/ci.yml', 'in CI configuration'],
        ['README.md', 'in source or configuration'],
        ['src/client.ts', 'in source or configuration'],
        ['test/.env', 'in a .env file'],
      ],
    );
    assert.ok(!riskOf(report, 'secret-in-test-data'));
    assert.equal(report.nextSteps[0]?.id, 'rotate-secrets');
  });

  it('a published test key is test data wherever it is', async () => {
    // A token in a real format whose body says it is the provider's documented example.
    const example = `ghp_EXAMPLE${'a1B2c3D4e5F6g7H8i9J0'.repeat(2).slice(0, 29)}`;
    fx = fixture({ '.gitignore': '', 'src/api.ts': `const token = "${example}";\n` });
    const { report } = await runScan(fx.root);
    // Either not reported at all (a placeholder) or reported as test data; never as a leak.
    assert.ok(!riskOf(report, 'secret'), JSON.stringify(report.risks));
    const testData = riskOf(report, 'secret-in-test-data');
    if (testData) assert.equal(testData.evidence[0]?.reason, 'documented example value');
  });

  it('.navi/secrets-baseline hides accepted findings by path:rule:line or path:rule, and the scan says how many', async () => {
    const token = fakeSecrets.githubToken();
    fx = fixture({
      '.gitignore': '',
      'src/a.ts': `const a = "${token}";\n`,
      'src/b.ts': `// b\nconst b = "${token}";\nconst c = "${token}";\n`,
      'src/c.ts': `const c = "${token}";\n`,
      'test/fixtures/key.pem': fakeSecrets.privateKey(),
      '.navi/secrets-baseline': [
        '# accepted on review',
        'src/a.ts:github-token:1',
        'src/b.ts:github-token',
        'src/c.ts:github-token:7', // the wrong line: not accepted
        'test/fixtures/key.pem:*',
        '',
      ].join('\n'),
    });
    const { report } = await runScan(fx.root);
    assert.deepEqual(report.hidden, { count: 4, file: '.navi/secrets-baseline' });
    assert.deepEqual(
      riskOf(report, 'secret')?.evidence.map((e) => `${e.path}:${e.rule}:${e.line}`),
      ['src/c.ts:github-token:1'],
    );
    assert.ok(!riskOf(report, 'secret-in-test-data'));
  });

  it('without a baseline file the report has no hidden count', async () => {
    fx = fixture({ '.gitignore': '', 'src/a.ts': `const a = "${fakeSecrets.githubToken()}";\n` });
    const { report } = await runScan(fx.root);
    assert.equal(report.hidden, undefined);
    assert.equal(riskOf(report, 'secret')?.evidence.length, 1);
  });

  it('no lockfile on purpose (package-lock=false in .npmrc): info with the reason, said from each project', async () => {
    fx = fixture({
      '.gitignore': 'node_modules\n',
      'package.json': JSON.stringify({ name: 'lib', dependencies: { debug: '4' } }),
      '.npmrc': 'package-lock=false\n',
      'tools/package.json': JSON.stringify({ name: 'tools', dependencies: { debug: '4' } }),
      'site/package.json': JSON.stringify({
        name: 'site',
        packageManager: 'yarn@1.22.0',
        dependencies: { a: '1' },
      }),
    });
    const { report } = await runScan(fx.root);
    const chosen = riskOf(report, 'no-lockfile-on-purpose')!;
    assert.equal(chosen.severity, 'info');
    assert.deepEqual(
      chosen.evidence.map((e) => [e.path, e.detail]),
      [
        ['package.json', 'no package-lock.json: `package-lock=false` in .npmrc'],
        // `.npmrc` at the root applies to tools/ too, and the path is said from tools/.
        ['tools/package.json', 'no package-lock.json: `package-lock=false` in ../.npmrc'],
      ],
    );
    assert.match(chosen.reason!, /`package-lock=false` in \.npmrc/);
    // A yarn project is not covered by npm's setting: still a risk.
    assert.deepEqual(
      riskOf(report, 'missing-lockfile')?.evidence.map((e) => e.path),
      ['site/package.json'],
    );
    const step = report.nextSteps.find((s) => s.id === 'add-lockfile')!;
    assert.equal(step.action, 'Run the install command in `site` and commit the lockfile it writes.');
  });

  it('a Python library that keeps poetry.lock out of git on purpose is not told to commit it', async () => {
    fx = fixture({
      '.gitignore': '__pycache__/\n/poetry.lock\n',
      'pyproject.toml': '[tool.poetry]\nname = "lib"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n',
    });
    const { report } = await runScan(fx.root);
    assert.ok(!riskIds(report).includes('missing-lockfile'));
    assert.deepEqual(
      riskOf(report, 'no-lockfile-on-purpose')?.evidence.map((e) => e.detail),
      ['no poetry.lock: poetry.lock is listed in .gitignore'],
    );
  });

  it('only a deliberate missing lockfile: nothing to do about lockfiles', async () => {
    fx = fixture({
      '.gitignore': 'node_modules\npackage-lock.json\n',
      'package.json': JSON.stringify({ name: 'lib', scripts: { test: 'mocha' }, dependencies: { a: '1' } }),
    });
    const { report } = await runScan(fx.root);
    assert.ok(!riskIds(report).includes('missing-lockfile'));
    assert.ok(riskIds(report).includes('no-lockfile-on-purpose'));
    assert.ok(!report.nextSteps.some((s) => s.id === 'add-lockfile'));
  });

  it('next steps are worded for what the project has and never name internal ids', async () => {
    fx = fixture({
      '.gitignore': '',
      'package.json': JSON.stringify({ name: 'x', scripts: { lint: 'eslint .' }, dependencies: { a: '1' } }),
    });
    fx.write('assets/big.bin', Buffer.alloc(3000, 1));
    const { report } = await runScan(fx.root, { params: { maxFileBytes: 2048 } });
    const fix = report.nextSteps.find((s) => s.id === 'fix-errors')!;
    assert.equal(fix.title, 'Run the linter (npm run lint)', 'no typecheck: no "Check types"');
    assert.equal(fix.action, 'Run `npm run lint` and fix what it reports.');
    const ids = report.risks.map((r) => r.id);
    for (const step of report.nextSteps) {
      for (const id of ids) assert.ok(!`${step.title} ${step.action}`.includes(id), `${step.id} shows ${id}`);
    }
    assert.match(report.nextSteps.find((s) => s.id === 'move-large-files')!.action!, /`assets\/big\.bin`/);
  });

  it('a project with a typecheck and a linter is offered both', async () => {
    fx = fixture({
      '.gitignore': '',
      'package-lock.json': '{}',
      'package.json': JSON.stringify({ name: 'x', scripts: { lint: 'eslint .', typecheck: 'tsc --noEmit' } }),
    });
    const { report } = await runScan(fx.root);
    const fix = report.nextSteps.find((s) => s.id === 'fix-errors')!;
    assert.equal(fix.title, 'Check types and lint (npm run typecheck, npm run lint)');
    assert.equal(fix.action, 'Run `npm run typecheck` and `npm run lint` and fix what they report.');
  });

  it('the language bar counts source code: images, fonts, data, docs, vendored and minified files apart', async () => {
    fx = fixture({
      '.gitignore': '',
      'src/main.ts': 'export const x = 1;\n'.repeat(50),
      'src/page.html': '<p>hi</p>\n',
      'scripts/build.sh': '#!/bin/sh\necho hi\n',
      'package.json': '{}',
      'README.md': '# readme\n'.repeat(500),
      'vendor/jquery.js': 'var a;\n'.repeat(2000),
      'public/app.min.js': 'var a;'.repeat(2000),
      'docs/guide/example.ts': 'export {};\n'.repeat(500),
    });
    fx.write('assets/logo.png', Buffer.alloc(200_000, 7));
    fx.write('assets/font.woff2', Buffer.alloc(100_000, 3));
    const { report } = await runScan(fx.root);
    const bar = report.inventory.sourceLanguages!;
    assert.deepEqual(
      bar.map((l) => [l.name, l.files]),
      [
        ['TypeScript', 1],
        ['Shell', 1],
        ['HTML', 1],
      ],
    );
    // The full list still has everything, by bytes: the images first.
    assert.equal(report.inventory.languages[0]?.name, 'Other');
  });

  it('the language bar follows the repository’s linguist overrides in .gitattributes', async () => {
    fx = fixture({
      '.gitignore': '',
      '.gitattributes': [
        '* text=auto',
        '*.js linguist-language=TypeScript',
        'lib/** linguist-generated',
        '/docs/api/ -linguist-documentation',
        'src/vendored.py linguist-vendored=true',
        '',
      ].join('\n'),
      'src/main.js': 'x();\n'.repeat(100),
      'src/main.py': 'x()\n'.repeat(100),
      'src/vendored.py': 'x()\n'.repeat(1000),
      'lib/bundle.py': 'x()\n'.repeat(1000),
      'docs/api/gen.go': 'package x\n'.repeat(10),
      'docs/other.go': 'package x\n'.repeat(1000),
    });
    const { report } = await runScan(fx.root);
    assert.deepEqual(
      report.inventory.sourceLanguages!.map((l) => [l.name, l.files]),
      [
        ['TypeScript', 1],
        ['Python', 1],
        ['Go', 1],
      ],
    );
  });
});
