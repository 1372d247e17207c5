import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createFileSearcher, type FileResult } from '../../../server/tasks/scan/contentSearch';
import { searchConfig } from '../../../server/tasks/scan/secrets';
import { fakeSecrets, tempDir } from '../../fixtures/builders';

/** The file reader on its own: the last line of defence when a path changes after it was listed. */
describe('scan: content search of one file', () => {
  let dir = '';
  let outside = '';
  beforeEach(() => {
    dir = tempDir();
    outside = tempDir('navi-outside-');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });
  const search = (name: string, maxBytes = 1 << 20) =>
    createFileSearcher(searchConfig(maxBytes), fs)(path.join(dir, name));
  const asResult = (r: FileResult | number): FileResult => {
    assert.notEqual(typeof r, 'number', 'expected a detailed result');
    return r as FileResult;
  };

  it('never opens through a symlink, even one it was asked to read', () => {
    fs.writeFileSync(path.join(outside, 'secret.txt'), `${fakeSecrets.awsAccessKeyId()}\n`);
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'link.txt'));
    const result = asResult(search('link.txt'));
    assert.equal(result.status, 'symlink');
    assert.deepEqual(result.hits, []);
  });

  it('does not read (or block on) a FIFO', () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    assert.equal(asResult(search('pipe')).status, 'special-file');
  });

  it('reports a file over the limit by its size without reading it, and skips binary files', () => {
    fs.writeFileSync(path.join(dir, 'big.txt'), `${fakeSecrets.awsAccessKeyId()}\n`);
    fs.truncateSync(path.join(dir, 'big.txt'), 4096);
    assert.deepEqual(search('big.txt', 1024), {
      status: 'too-large',
      size: 4096,
      hits: [],
      testMarker: false,
    });
    fs.writeFileSync(path.join(dir, 'bin.dat'), Buffer.from([1, 0, 2, 3]));
    assert.equal(asResult(search('bin.dat')).status, 'binary');
  });

  it('finds secrets with their line numbers, also past the first read chunk of a large file', () => {
    const filler = 'x'.repeat(99) + '\n';
    const lines = 100_000; // ~10 MB: read in chunks cut at line ends
    const body = filler.repeat(lines) + `key = ${fakeSecrets.githubToken()}\n`;
    fs.writeFileSync(path.join(dir, 'long.txt'), body);
    const result = asResult(search('long.txt', 64 << 20));
    assert.equal(result.status, 'ok');
    assert.deepEqual(
      result.hits.map((h) => h.line),
      [lines + 1],
    );
  });

  it('returns just the size for a clean file', () => {
    fs.writeFileSync(path.join(dir, 'clean.ts'), 'export const a = 1;\n');
    assert.equal(search('clean.ts'), 20);
  });
});
