import assert from 'node:assert/strict';
import { ScanReport } from '../../../protocol/scanReport';
import { type Fixture, fakeSecrets, fixture, npmMochaEslint } from '../../fixtures/builders';
import { riskIds, riskOf, runScan } from './harness';

describe('scan: risks and next steps', () => {
  let fx: Fixture | undefined;
  afterEach(() => fx?.cleanup());

  it('finds each provider key format, with line numbers and redacted excerpts only', async () => {
    const secrets = {
      'aws-access-key-id': fakeSecrets.awsAccessKeyId(),
      'aws-secret-access-key': fakeSecrets.awsSecretAccessKey(),
      'github-token': fakeSecrets.githubToken(),
      'gitlab-token': fakeSecrets.gitlabToken(),
      'slack-token': fakeSecrets.slackToken(),
      'slack-webhook': fakeSecrets.slackWebhook(),
      'stripe-key': fakeSecrets.stripeKey(),
      'npm-token': fakeSecrets.npmToken(),
      'openai-key': fakeSecrets.openaiKey(),
      'anthropic-key': fakeSecrets.anthropicKey(),
      'google-api-key': fakeSecrets.googleKey(),
    };
    const lines = [
      '// configuration',
      `const awsId = "${secrets['aws-access-key-id']}";`,
      `aws_secret_access_key = ${secrets['aws-secret-access-key']}`,
      `token: ${secrets['github-token']}`,
      `GITLAB=${secrets['gitlab-token']}`,
      `slack = '${secrets['slack-token']}'`,
      `hook = "${secrets['slack-webhook']}"`,
      `STRIPE=${secrets['stripe-key']}`,
      `//registry.npmjs.org/:_authToken=${secrets['npm-token']}`,
      `OPENAI_API_KEY=${secrets['openai-key']}`,
      `ANTHROPIC_API_KEY=${secrets['anthropic-key']}`,
      `maps: ${secrets['google-api-key']}`,
    ];
    fx = fixture({ '.gitignore': 'dist/\n', 'src/config.ts': lines.join('\n') + '\n' });
    const { report, logs } = await runScan(fx.root);
    ScanReport.parse(report);
    const risk = riskOf(report, 'secret');
    assert.ok(risk, 'a secret risk');
    assert.equal(risk.severity, 'critical');
    assert.equal(report.risks[0]?.id, 'secret', 'critical first');
    assert.equal(risk.evidence.length, 11, JSON.stringify(risk.evidence, null, 1));
    risk.evidence.forEach((e, i) => {
      assert.equal(e.path, 'src/config.ts');
      assert.equal(e.line, i + 2);
    });
    assert.match(risk.evidence[0]!.detail!, /^AWS access key id: AKIA\*+$/);
    assert.match(risk.evidence[2]!.detail!, /^GitHub token: ghp_\*+$/);
    const serialized = JSON.stringify(report) + logs.join('\n');
    for (const [id, secret] of Object.entries(secrets)) {
      assert.ok(!serialized.includes(secret), `${id} leaked`);
      // Not even a usable part: nothing longer than the 4-character prefix of the sensitive part survives.
      assert.ok(!serialized.includes(secret.slice(-8)), `${id} tail leaked`);
    }
    assert.equal(report.nextSteps[0]?.id, 'rotate-secrets');
  });

  it('private keys (PEM and JSON-escaped) are found, a bare header in code is not', async () => {
    const escaped = fakeSecrets.privateKey().replace(/\n/g, '\\n');
    fx = fixture({
      '.gitignore': '',
      'deploy/id_rsa': fakeSecrets.privateKey(),
      'deploy/service-account.json': JSON.stringify({ private_key: escaped }).replace(/\\\\n/g, '\\n'),
      'src/pem.ts': "const HEADER = '-----BEGIN PRIVATE KEY-----';\n",
    });
    const { report } = await runScan(fx.root);
    const risk = riskOf(report, 'private-key');
    assert.deepEqual(risk?.evidence.map((e) => e.path).sort(), [
      'deploy/id_rsa',
      'deploy/service-account.json',
    ]);
    assert.equal(
      risk?.evidence.find((e) => e.path === 'deploy/id_rsa')?.detail,
      'Private key: -----BEGIN RSA PRIVATE KEY----- [REDACTED]',
    );
    assert.ok(!JSON.stringify(report).includes(fakeSecrets.privateKeyBody().slice(0, 20)));
  });

  it('credentials in URLs: real-looking ones flagged, placeholders and examples not', async () => {
    fx = fixture({
      '.gitignore': '',
      'docker-compose.yml': `environment:\n  DATABASE_URL: ${fakeSecrets.databaseUrl()}\n`,
      'README.md': [
        'Connect with postgres://user:password@localhost/db',
        'or postgres://app:${DB_PASSWORD}@db.internal/app',
        'or https://user:<token>@example.com/',
        'or redis://:changeme@cache:6379',
        'or https://bob:s3cr3tPassw0rd@example.com/path',
      ].join('\n'),
    });
    const { report } = await runScan(fx.root);
    const risk = riskOf(report, 'credentials-in-url');
    assert.equal(risk?.severity, 'high');
    assert.deepEqual(risk?.evidence, [
      {
        path: 'docker-compose.yml',
        line: 2,
        detail: 'Password in URL: postgres://app_user:****@db.internal.corp',
        rule: 'credentials-in-url',
        reason: 'in source or configuration',
      },
    ]);
    assert.ok(!JSON.stringify(report).includes(fakeSecrets.dbPassword()));
  });

  it('env files: committed .env flagged, .env.example fine', async () => {
    fx = fixture({
      '.gitignore': 'node_modules/\n',
      '.env': 'PORT=3000\n',
      '.env.example': 'PORT=\n',
      'app/.env.local': 'X=1\n',
    });
    const { report } = await runScan(fx.root);
    const risk = riskOf(report, 'env-file');
    assert.equal(risk?.severity, 'high');
    assert.deepEqual(risk?.evidence, [
      { path: '.env', detail: 'tracked by git' },
      { path: 'app/.env.local', detail: 'tracked by git' },
    ]);
    assert.ok(report.nextSteps.some((s) => s.id === 'remove-env-file'));
  });

  it('an untracked, unignored .env is a medium risk', async () => {
    fx = fixture({ '.gitignore': '' });
    fx.write('.env', 'A=1\n');
    const { report } = await runScan(fx.root);
    assert.equal(riskOf(report, 'env-file')?.severity, 'medium');
    assert.match(riskOf(report, 'env-file')!.evidence[0]!.detail!, /not ignored/);
  });

  it('large files: reported with their size, not searched', async () => {
    fx = fixture({ '.gitignore': '' });
    // A secret in a file over the limit is not found: the file is never read.
    fx.write('data/dump.sql', `${fakeSecrets.awsAccessKeyId()}\n${'x'.repeat(3000)}\n`);
    const { report } = await runScan(fx.root, { params: { maxFileBytes: 2048 } });
    const risk = riskOf(report, 'large-file');
    assert.equal(risk?.evidence[0]?.path, 'data/dump.sql');
    assert.match(risk!.evidence[0]!.detail!, /^3\.0 KB \(3022 bytes\); not searched$/);
    assert.ok(!riskOf(report, 'secret'));
    assert.ok(report.skipped.some((s) => s.path === 'data/dump.sql' && s.reason === 'too-large'));
  });

  it('missing lockfile for a Node project with dependencies', async () => {
    fx = fixture({
      '.gitignore': '',
      'package.json': JSON.stringify({ name: 'x', dependencies: { left: '1' } }),
    });
    const { report } = await runScan(fx.root);
    assert.deepEqual(riskOf(report, 'missing-lockfile')?.evidence, [
      { path: 'package.json', detail: 'npm project without package-lock.json' },
    ]);
    assert.ok(report.nextSteps.some((s) => s.id === 'add-lockfile'));
  });

  it('no tests, no CI, no .gitignore', async () => {
    fx = fixture({ 'src/main.py': 'print(1)\n' });
    const { report } = await runScan(fx.root);
    assert.deepEqual(riskIds(report), ['no-tests', 'no-ci', 'no-gitignore']);
    assert.deepEqual(
      report.nextSteps.map((s) => s.id),
      ['add-tests', 'add-ci', 'add-gitignore'],
    );
  });

  it('a healthy project: CI found, tests run first among next steps', async () => {
    fx = npmMochaEslint();
    fx.write('.github/workflows/ci.yml', 'on: push\n').commit();
    const { report } = await runScan(fx.root);
    assert.deepEqual(report.ci, [{ system: 'github-actions', path: '.github/workflows/ci.yml' }]);
    assert.deepEqual(report.risks, []);
    assert.deepEqual(report.nextSteps[0], {
      id: 'run-tests',
      title: 'Run the tests (npm test)',
      actor: 'user',
      action: 'Run `npm test` and check that it passes.',
    });
    assert.equal(report.nextSteps[1]?.id, 'fix-errors');
  });

  it('detects every CI system', async () => {
    fx = fixture({
      '.gitlab-ci.yml': '',
      'azure-pipelines.yml': '',
      '.azure-pipelines/release.yaml': '',
      '.circleci/config.yml': '',
      Jenkinsfile: '',
      '.github/workflows/a.yaml': '',
      '.github/workflows/nested/not-a-workflow.yml': '',
    });
    const { report } = await runScan(fx.root);
    assert.deepEqual(report.ci, [
      { system: 'azure-pipelines', path: '.azure-pipelines/release.yaml' },
      { system: 'azure-pipelines', path: 'azure-pipelines.yml' },
      { system: 'circleci', path: '.circleci/config.yml' },
      { system: 'github-actions', path: '.github/workflows/a.yaml' },
      { system: 'gitlab-ci', path: '.gitlab-ci.yml' },
      { system: 'jenkins', path: 'Jenkinsfile' },
    ]);
  });

  it('caps evidence at 50 per risk but counts all in the title', async () => {
    fx = fixture({ '.gitignore': '' });
    const body = Array.from(
      { length: 60 },
      (_, i) => `key${i} = "${fakeSecrets.awsAccessKeyId().slice(0, -2)}${String(i).padStart(2, '0')}"`,
    );
    fx.write('keys.txt', body.join('\n'));
    const { report } = await runScan(fx.root);
    const risk = riskOf(report, 'secret')!;
    assert.equal(risk.evidence.length, 50);
    assert.match(risk.title, /^60 secrets in 1 file/);
  });
});
