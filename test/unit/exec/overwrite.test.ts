import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Verdict } from '../../../protocol/policy';
import { judgeCommand } from '../../../server/exec/policy';
import { corpusPolicyLayers, Fixture } from './harness';

// Truncating or replacing an existing file in the workspace (`>`, `cp`, `mv`, `tee`, `dd of=`…)
// asks like `truncate` does (detector `destructive`); a new file, a build-output folder, an append
// and /dev/null do not (server/exec/knowledge/overwrite.ts, docs/policy.md "Overwriting files").

/** Files the workspace (`<home>/app`) has besides the harness's own (package.json, src/index.ts…). */
const EXTRA_FILES = ['old.txt', 'docs/index.ts', 'dist/x.js', 'packages/lib/dist/y.js', 'test.log', '-rf'];
const SPACE_NEWLINE = 'my file\nname.txt';

/** Each form onto `F`, and the reason it gives when F is an existing file (`{F}` = how F reads). */
const FORMS: { form: string; reason: string }[] = [
  { form: 'echo hi > F', reason: '> overwrites {F}, an existing file' },
  { form: 'echo hi >| F', reason: '>| overwrites {F}, an existing file' },
  { form: 'echo hi &> F', reason: '&> overwrites {F}, an existing file' },
  { form: 'echo hi >& F', reason: '>& overwrites {F}, an existing file' },
  { form: 'ls -l 2> F', reason: '2> overwrites {F}, an existing file' },
  { form: ': > F', reason: '> overwrites {F}, an existing file' },
  { form: 'cat README.md > F', reason: '> overwrites {F}, an existing file' },
  { form: 'dd if=/dev/zero of=F bs=1k count=1', reason: 'dd of= overwrites {F}, an existing file' },
  { form: 'cp src/index.ts F', reason: 'cp overwrites {F}, an existing file' },
  { form: 'cp -f -- src/index.ts F', reason: 'cp overwrites {F}, an existing file' },
  { form: 'mv old.txt F', reason: 'mv replaces {F}, an existing file' },
  { form: 'install -m 644 old.txt F', reason: 'install replaces {F}, an existing file' },
  { form: 'ln -f old.txt F', reason: 'ln -f replaces {F}, an existing file' },
  { form: 'ln -sf old.txt F', reason: 'ln -f replaces {F}, an existing file' },
  { form: 'rsync -a old.txt F', reason: 'rsync overwrites {F}, an existing file' },
  { form: 'echo hi | tee F', reason: 'tee overwrites {F}, an existing file' },
  { form: 'sort -o F README.md', reason: 'sort -o overwrites {F}, an existing file' },
  { form: 'sort --output=F README.md', reason: 'sort -o overwrites {F}, an existing file' },
];

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const apply = (form: string, file: string) => form.replace(/\bF\b/, file);

describe('exec: overwriting existing files', () => {
  let fx: Fixture;
  let judge: (text: string) => Promise<Verdict>;

  beforeEach(async () => {
    fx = new Fixture();
    for (const rel of [...EXTRA_FILES, SPACE_NEWLINE]) {
      const file = path.join(fx.workspace, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, 'what the user wrote\n');
    }
    const ctx = fx.context(await corpusPolicyLayers());
    judge = (text) => judgeCommand(text, ctx);
  });
  afterEach(() => fx.dispose());

  const assertAsks = (v: Verdict, text: string, reason: string) => {
    assert.equal(v.verdict, 'ask', `${text}: ${v.reasons.join('; ')}`);
    assert.ok(
      v.rules.some((r) => r.id === 'builtin:destructive'),
      `${text}: rules ${v.rules.map((r) => r.id).join(', ')}`,
    );
    assert.ok(v.reasons.includes(reason), `${text}: expected "${reason}" in ${JSON.stringify(v.reasons)}`);
  };
  const assertAllows = (v: Verdict, text: string) =>
    assert.equal(v.verdict, 'allow', `${text}: ${v.reasons.join('; ')}`);

  it('every form onto an existing file asks (destructive) and names the file and how', async () => {
    for (const { form, reason } of FORMS) {
      const text = apply(form, 'package.json');
      assertAsks(await judge(text), text, reason.replace('{F}', 'package.json'));
    }
  });

  it('the same forms onto a file that does not exist are allowed', async () => {
    for (const { form } of FORMS) {
      const text = apply(form, 'fresh.json');
      assertAllows(await judge(text), text);
    }
  });

  it('the same forms onto an existing file in a build-output folder are allowed', async () => {
    for (const { form } of FORMS) {
      for (const file of ['dist/x.js', 'packages/lib/dist/y.js', 'test.log']) {
        const text = apply(form, file);
        assertAllows(await judge(text), text);
      }
    }
  });

  it('a copy into a folder asks for the file of the same name there, if it exists', async () => {
    for (const text of ['cp src/index.ts docs/', 'cp src/index.ts docs', 'cp -t docs src/index.ts']) {
      assertAsks(await judge(text), text, 'cp overwrites docs/index.ts, an existing file');
    }
    assertAsks(await judge('mv src/index.ts docs'), 'mv', 'mv replaces docs/index.ts, an existing file');
    for (const text of ['cp README.md docs/', 'cp -T src/index.ts docs/new.ts', 'cp -r src dist/'])
      assertAllows(await judge(text), text);
  });

  it('appends, devices, and options that keep the old file are allowed', async () => {
    for (const text of [
      'echo hi >> package.json',
      'ls &>> package.json',
      'echo hi | tee -a package.json',
      'echo hi | tee --append package.json',
      'ls 2>/dev/null',
      'ls > /dev/null 2>&1',
      'echo hi > /dev/stderr',
      'cp -n src/index.ts package.json',
      'cp --backup=numbered src/index.ts package.json',
      'mv -b old.txt package.json',
      'ln old.txt package.json',
      'ln -s old.txt package.json',
      'rsync --ignore-existing old.txt package.json',
      'cat < package.json',
    ])
      assertAllows(await judge(text), text);
  });

  it('truncate -s0 on an existing file gets the same verdict and rule as > on it', async () => {
    const truncate = await judge('truncate -s0 package.json');
    const redirect = await judge(': > package.json');
    assert.equal(truncate.verdict, 'ask');
    assert.equal(redirect.verdict, truncate.verdict);
    assert.deepEqual(
      redirect.rules.map((r) => r.id),
      truncate.rules.map((r) => r.id),
    );
    assert.equal(redirect.risk, truncate.risk);
  });

  it('hostile names: a file named -rf, and one with a space and a newline', async () => {
    for (const [text, how] of [
      ['echo hi > -rf', '>'],
      ['echo hi > ./-rf', '>'],
      ['cp -- src/index.ts -rf', 'cp'],
      ['cp src/index.ts ./-rf', 'cp'],
      ['dd if=README.md of=-rf', 'dd of='],
      ['echo hi | tee -- -rf', 'tee'],
    ])
      assertAsks(await judge(text!), text!, `${how} overwrites -rf, an existing file`);
    const name = quote(SPACE_NEWLINE);
    const shown = JSON.stringify(SPACE_NEWLINE);
    assertAsks(await judge(`echo hi > ${name}`), 'newline', `> overwrites ${shown}, an existing file`);
    assertAsks(await judge(`cp README.md ${name}`), 'newline', `cp overwrites ${shown}, an existing file`);
    assertAllows(await judge(`echo hi > ${quote('my file\nother.txt')}`), 'a new name with a newline');
  });

  it('keeps the stricter verdicts of other rules: outside the workspace, protected and sensitive files', async () => {
    assert.equal((await judge('echo hi > ../.bashrc')).verdict, 'deny');
    assert.equal((await judge('cp README.md .git/config')).verdict, 'deny');
    const env = await judge('echo SECRET=2 > .env');
    assert.equal(env.verdict, 'ask');
    assert.ok(env.rules.some((r) => r.id === 'builtin:write-sensitive'));
    assert.ok(env.rules.some((r) => r.id === 'builtin:destructive'));
  });

  it('resolves the file from the working directory, after cd', async () => {
    assertAsks(
      await judge('cd docs && echo hi > index.ts'),
      'cd',
      '> overwrites docs/index.ts, an existing file',
    );
    assertAllows(await judge('cd dist && echo hi > x.js'), 'cd into dist');
  });

  it('a bare redirect (> F) asks like : > F, and one into .git or the home folder is refused', async () => {
    assertAsks(await judge('> package.json'), '> F', '> overwrites package.json, an existing file');
    assertAllows(await judge('> new-file.txt'), '> a new file');
    for (const text of ['> .git/config', '>> ~/.bashrc', '< ~/.ssh/id_rsa'])
      assert.equal((await judge(text)).verdict, 'deny', text);
  });

  it('docs/policy.md "Overwriting files": the examples give the verdicts and reasons shown', async () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../../docs/policy.md'), 'utf8').split('\n');
    const start = doc.findIndex((l) => l === '### Overwriting files');
    assert.ok(start >= 0, 'docs/policy.md has a "### Overwriting files" section');
    const end = doc.findIndex((l, i) => i > start && /^#{1,3} /.test(l));
    const rows = doc
      .slice(start, end < 0 ? undefined : end)
      .filter((l) => l.startsWith('| `'))
      .map((l) => l.split(/(?<!\\)\|/).map((c) => c.trim()));
    assert.ok(rows.length > 0, 'the section has a table of examples');
    for (const [, command, verdict, reason] of rows) {
      const text = /^`(.+)`$/.exec(command!)![1]!;
      const v = await judge(text);
      assert.equal(v.verdict, verdict, text);
      const shown = /^`(.+)`$/.exec(reason!)?.[1];
      if (shown)
        assert.ok(v.reasons.includes(shown), `${text}: expected "${shown}" in ${JSON.stringify(v.reasons)}`);
      else assert.deepEqual(v.reasons, [], text);
    }
  });
});
