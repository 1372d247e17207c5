import assert from 'node:assert/strict';
import {
  OUTPUT_SECRET_PATTERNS,
  SECRET_PATTERNS,
  createOutputRedactor,
  createStreamRedactor,
  maskSecret,
  redactOutput,
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

  describe('command output', () => {
    // Built at run time like fakeSecrets: no secret-looking literal in the repository.
    const jwt = [
      'ey',
      'JhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
      '.',
      'ey',
      'JzdWIiOiIxMjM0NTY3ODkwIn0',
      '.',
      'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    ].join('');
    const feed = (redactor: ReturnType<typeof createOutputRedactor>, text: string, size: number): string => {
      let out = '';
      for (let i = 0; i < text.length; i += size) out += redactor.write(text.slice(i, i + size));
      return out + redactor.end();
    };

    it('output-only formats are a separate list; JWTs are scan rules, so every redactor masks them', () => {
      const scanIds = SECRET_PATTERNS.map((p) => p.id);
      for (const p of OUTPUT_SECRET_PATTERNS) {
        assert.ok(!scanIds.includes(p.id), p.id);
        assert.ok(p.regex.global && p.keywords.length > 0, p.id);
      }
      assert.ok(scanIds.includes('jwt') && scanIds.includes('authorization-header'));
      assert.equal(redactSecrets(`token ${jwt}`), `token ${maskSecret(jwt)}`);
    });

    it('masks JWTs, Authorization headers, URL query secrets and NAME_TOKEN=value assignments', () => {
      const cases: Array<[string, string]> = [
        [`jwt=${jwt} ok`, 'jwt=eyJh'],
        [`> Authorization: Bearer abcdef0123456789ABCDEF`, '> Authorization: Bearer abcd'],
        [`-H "authorization: token Zq9xW8vU7tS6Zq9x"`, '-H "authorization: token Zq9x'],
        [`GET https://api.example.com/v1?user=ann&access_token=Zq9xW8vU7tS6Zq&x=1`, '&access_token=Zq9x'],
        [`GITHUB_TOKEN=Zq9xW8vU7tS6Zq9x`, 'GITHUB_TOKEN=Zq9x'],
        [`  "apiKey": "Zq9xW8vU7tS6Zq9x",`, '"apiKey": "Zq9x'],
        [`password: hunter2hunter2`, 'password: hunt'],
      ];
      for (const [input, kept] of cases) {
        const out = redactOutput(input);
        assert.ok(out.includes(kept), `${input} -> ${out}`);
        assert.ok(out.includes('****'), `${input} -> ${out}`);
        assert.ok(!/Zq9xW8vU7tS6|hunter2hunter2|dozjgNryP4J3/.test(out), `${input} -> ${out}`);
      }
      for (const plain of [
        'tokens: 5',
        'keyboard = us',
        'see https://example.com/?page=2',
        'npm test passed',
      ]) {
        assert.equal(redactOutput(plain), plain);
      }
    });

    it('masks exact values wherever they appear, longest first, and everything redactSecrets masks', () => {
      const out = redactOutput(
        `pw=Zq9xW8vU7tS6 again:Zq9xW8vU7tS6Zq9x short=abc ${fakeSecrets.githubToken()} ${fakeSecrets.databaseUrl()}`,
        ['Zq9xW8vU7tS6', 'Zq9xW8vU7tS6Zq9x', 'abc'],
      );
      assert.ok(!out.includes('Zq9x'), out);
      assert.ok(out.includes('short=abc'), 'values shorter than 6 are ignored');
      assert.ok(out.includes('ghp_****') && out.includes('app_user:****@db.internal.corp'), out);
    });

    it('streams: a value or token split across chunks of any size is still masked', () => {
      const value = 'Zq9xW8vU7tS6-value';
      const text = `a\nsecret ${value} and ${fakeSecrets.githubToken()} end\n${fakeSecrets.privateKey()}tail ${jwt}`;
      const expected = redactOutput(text, [value]);
      for (const size of [1, 2, 5, 13, 64, 1000]) {
        const out = feed(createOutputRedactor({ values: [value] }), text, size);
        assert.equal(out, expected, `chunks of ${size}`);
        assert.ok(!out.includes(value) && !out.includes(fakeSecrets.privateKeyBody().slice(0, 12)));
      }
    });

    it('flushes a line longer than the limit in parts, never cutting through a secret', () => {
      const value = 'V4lue-Zq9xW8vU7tS6';
      const token = fakeSecrets.githubToken();
      // One line of 300 KiB with secrets everywhere, some right at multiples of the limit.
      const parts: string[] = [];
      let length = 0;
      for (let i = 0; length < 300 * 1024; i++) {
        const filler = 'x'.repeat(1000 + ((i * 7919) % 3000));
        const secret = i % 2 ? value : token;
        parts.push(filler, ' ', secret, ' ');
        length += filler.length + secret.length + 2;
      }
      const line = parts.join('');
      for (const size of [4096, 65536, 100_000]) {
        const redactor = createOutputRedactor({ values: [value], maxLineLength: 16 * 1024 });
        let out = '';
        let maxPiece = 0;
        for (let i = 0; i < line.length; i += size) {
          const piece = redactor.write(line.slice(i, i + size));
          maxPiece = Math.max(maxPiece, piece.length);
          out += piece;
        }
        out += redactor.end();
        assert.ok(!out.includes(value) && !out.includes(token.slice(4, 20)), `chunks of ${size}`);
        assert.equal(out.length, redactOutput(line, [value]).length, 'nothing lost or added');
        assert.ok(maxPiece < 16 * 1024 + size + 2048, `pieces stay bounded (${maxPiece})`);
      }
    });

    it('ends a line at a carriage return too (progress bars stream)', () => {
      const redactor = createOutputRedactor();
      assert.equal(redactor.write('progress 10%\rprogress 20%\rprog'), 'progress 10%\rprogress 20%\r');
      assert.equal(redactor.end(), 'prog');
    });

    it('passes output without secrets through unchanged, including long runs of one character', () => {
      const redactor = createOutputRedactor({ values: ['abcdefgh'] });
      const text = 'a'.repeat(200_000) + '\n' + 'y\n'.repeat(1000) + 'done';
      assert.equal(feed(redactor, text, 65536), text);
    });
  });
});
