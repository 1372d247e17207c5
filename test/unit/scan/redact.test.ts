import assert from 'node:assert/strict';
import {
  SECRET_PATTERNS,
  createStreamRedactor,
  maskSecret,
  redactSecrets,
} from '../../../server/audit/redact';
import { fakeSecrets } from '../../fixtures/builders';

describe('audit/redact', () => {
  const all = [
    fakeSecrets.awsAccessKeyId(),
    fakeSecrets.githubToken(),
    fakeSecrets.gitlabToken(),
    fakeSecrets.slackToken(),
    fakeSecrets.stripeKey(),
    fakeSecrets.npmToken(),
    fakeSecrets.openaiKey(),
    fakeSecrets.anthropicKey(),
    fakeSecrets.googleKey(),
  ];

  it('exports the detection list with ids, kinds, keywords and global regexes', () => {
    const ids = SECRET_PATTERNS.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    for (const id of [
      'aws-access-key-id',
      'github-token',
      'private-key',
      'credentials-in-url',
      'anthropic-key',
    ]) {
      assert.ok(ids.includes(id), id);
    }
    for (const p of SECRET_PATTERNS) {
      assert.ok(p.regex.global, `${p.id} is global`);
      assert.ok(p.keywords.length > 0, `${p.id} has keywords`);
    }
  });

  it('keeps at most the first 4 characters of a secret', () => {
    assert.equal(maskSecret(fakeSecrets.awsAccessKeyId()), 'AKIA' + '*'.repeat(16));
    assert.equal(maskSecret('short'), '*****', 'a short value keeps nothing');
    assert.ok(maskSecret('x'.repeat(200)).length <= 28, 'the mask length is capped');
  });

  it('redacts every provider format in command output, leaving the text around it', () => {
    const output = all.map((s, i) => `line ${i}: value=${s} ok`).join('\n');
    const redacted = redactSecrets(output);
    for (const secret of all) assert.ok(!redacted.includes(secret), secret.slice(0, 4));
    assert.match(redacted, /^line 0: value=AKIA\*+ ok$/m);
    assert.match(redacted, /^line 7: value=sk-a\*+ ok$/m);
    assert.equal(redacted.split('\n').length, all.length);
  });

  it('redacts the value of an AWS secret key assignment but keeps the name', () => {
    const redacted = redactSecrets(`export AWS_SECRET_ACCESS_KEY=${fakeSecrets.awsSecretAccessKey()}`);
    assert.equal(redacted, `export AWS_SECRET_ACCESS_KEY=wJal${'*'.repeat(24)}`);
  });

  it('redacts private key blocks, even unterminated ones', () => {
    const text = `before\n${fakeSecrets.privateKey()}after`;
    assert.equal(redactSecrets(text), 'before\n-----BEGIN RSA PRIVATE KEY----- [REDACTED]\nafter');
    const cut = redactSecrets(fakeSecrets.privateKey().slice(0, 60));
    assert.ok(!cut.includes(fakeSecrets.privateKeyBody().slice(0, 10)));
  });

  it('redacts passwords in URLs', () => {
    assert.equal(
      redactSecrets(`cloning ${fakeSecrets.databaseUrl()} done`),
      'cloning postgres://app_user:****@db.internal.corp:5432/app done',
    );
  });

  it('redacts a stream whose chunks cut through a token and a private key', () => {
    const token = fakeSecrets.githubToken();
    const output = `start\ntoken=${token}\n${fakeSecrets.privateKey()}done\n`;
    for (const size of [1, 3, 7, 64]) {
      const redactor = createStreamRedactor();
      let out = '';
      for (let i = 0; i < output.length; i += size) out += redactor.write(output.slice(i, i + size));
      out += redactor.end();
      assert.equal(
        out,
        `start\ntoken=ghp_${'*'.repeat(24)}\n-----BEGIN RSA PRIVATE KEY----- [REDACTED]\ndone\n`,
        `chunks of ${size}`,
      );
      assert.ok(!out.includes(fakeSecrets.privateKeyBody().slice(0, 12)));
    }
  });

  it('leaves text without secrets alone', () => {
    const text = 'npm test\n  12 passing (40ms)\nsee https://example.com/docs and sk-learn';
    assert.equal(redactSecrets(text), text);
  });
});
