import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { ErrorCodes, NaviError } from '../../../protocol/errors';
import { languageOfName, languageOfShebang } from '../../../server/tasks/scan/languages';
import { type Fixture, fixture } from '../../fixtures/builders';
import { riskIds, runScan } from './harness';

describe('scan: inventory', () => {
  let fx: Fixture | undefined;
  afterEach(() => {
    fx?.cleanup();
    fx = undefined;
  });

  it('counts files, bytes and languages (by extension and by #! line), sorted by bytes', async () => {
    fx = fixture({
      'src/a.ts': 'x'.repeat(300),
      'src/b.tsx': 'x'.repeat(100),
      'lib/c.py': 'x'.repeat(250),
      'bin/tool': '#!/usr/bin/env python3\nprint(1)\n',
      'bin/run': '#!/bin/bash\necho hi\n',
      'bin/blob': 'no shebang',
      Makefile: 'all:\n',
      'README.md': '# hi\n',
    });
    const { report } = await runScan(fx.root);
    assert.equal(report.inventory.source, 'git');
    assert.equal(report.inventory.files, 8);
    const total = 300 + 100 + 250 + 32 + 20 + 10 + 5 + 5;
    assert.equal(report.inventory.bytes, total);
    assert.deepEqual(report.inventory.languages, [
      { name: 'TypeScript', files: 2, bytes: 400 },
      { name: 'Python', files: 2, bytes: 282 },
      { name: 'Shell', files: 1, bytes: 20 },
      { name: 'Other', files: 1, bytes: 10 },
      { name: 'Makefile', files: 1, bytes: 5 },
      { name: 'Markdown', files: 1, bytes: 5 },
    ]);
  });

  it('names languages from names and #! lines', () => {
    assert.equal(languageOfName('x/Dockerfile'), 'Dockerfile');
    assert.equal(languageOfName('x/Y.JAVA'), 'Java');
    assert.equal(languageOfName('x/.eslintrc'), undefined, 'a dotfile without extension needs its content');
    assert.equal(languageOfName('x/data.weird'), 'Other');
    assert.equal(languageOfShebang('#!/usr/bin/env -S node --no-warnings\n'), 'JavaScript');
    assert.equal(languageOfShebang('#!/usr/bin/python3.12 -u\n'), 'Python');
    assert.equal(languageOfShebang('#!/usr/bin/env FOO=1 ruby\n'), 'Ruby');
    assert.equal(languageOfShebang('no'), undefined);
  });

  it('walk: honours .gitignore at every level, negations included, and always skips .git', async () => {
    fx = fixture(
      {
        '.gitignore': 'node_modules/\n*.log\nbuild/\n',
        'app.log': 'x',
        'keep.txt': 'x',
        'node_modules/dep/index.js': 'x',
        'build/out.js': 'x',
        'pkg/.gitignore': '*.tmp\n!important.tmp\n',
        'pkg/a.tmp': 'x',
        'pkg/important.tmp': 'x',
        'pkg/deep/b.tmp': 'x',
        'pkg/deep/c.log': 'x',
        'vendor/lib.js': 'x',
        '.git/HEAD': 'not a real repository, never listed',
      },
      { git: false },
    );
    const { report } = await runScan(fx.root);
    assert.equal(report.inventory.source, 'walk');
    assert.equal(report.git, false);
    // .gitignore, keep.txt, pkg/.gitignore, pkg/important.tmp, vendor/lib.js
    assert.equal(report.inventory.files, 5);
  });

  it('walk: descends into node_modules when nothing ignores it', async () => {
    fx = fixture({ 'node_modules/dep/index.js': 'x', 'index.js': 'x' }, { git: false });
    const { report } = await runScan(fx.root);
    assert.equal(report.inventory.files, 2);
  });

  it('git: scans only the root’s subtree, and a .gitignore above the root counts', async () => {
    fx = fixture({ '.gitignore': 'tmp/\n', 'top.txt': 'x', 'sub/a.txt': 'x', 'sub/deeper/b.txt': 'x' });
    const { report } = await runScan(fx.abs('sub'));
    assert.equal(report.git, true);
    assert.equal(report.root, fx.abs('sub'));
    assert.equal(report.inventory.files, 2);
    assert.ok(!riskIds(report).includes('no-gitignore'));
  });

  it('git: a tracked file deleted from the work tree is not counted', async () => {
    fx = fixture({ 'a.txt': 'a', 'b.txt': 'b' });
    fs.rmSync(fx.abs('b.txt'));
    const { report } = await runScan(fx.root);
    assert.equal(report.inventory.files, 1);
  });

  it('resolves a root given through a symlink to its real path', async () => {
    fx = fixture({ 'a.txt': 'a' });
    fx.symlink(fx.root, 'self-link');
    const { report } = await runScan(fx.abs('self-link'));
    assert.equal(report.root, fx.root);
  });

  it('rejects a bad root with NaviError codes and a hint', async () => {
    fx = fixture({ 'file.txt': 'x' }, { git: false });
    const expect = (code: number) => (error: unknown) =>
      error instanceof NaviError &&
      error.code === code &&
      typeof error.data.hint === 'string' &&
      !!error.data.path;
    await assert.rejects(runScan(fx.abs('missing')), expect(ErrorCodes.PathNotFound));
    await assert.rejects(runScan(fx.abs('file.txt')), expect(ErrorCodes.NotADirectory));
  });
});
