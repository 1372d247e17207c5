import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ScanReport } from '../../../protocol/scanReport';
import { type Fixture, fakeSecrets, fixture, tempDir } from '../../fixtures/builders';
import { riskOf, runScan, scanInChildProcess } from './harness';

/** A name that is not valid UTF-8: `f`, 0xFF, 0xFE, `.txt`. */
const BAD_NAME = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74]);
const BAD_DISPLAY = 'f\\xff\\xfe.txt';
const TWO_GB = 2 * 1024 ** 3;

const skippedAs = (report: ScanReport, reason: string) =>
  report.skipped
    .filter((s) => s.reason === reason)
    .map((s) => s.path)
    .sort();

describe('scan: hostile inputs', function () {
  let fx: Fixture | undefined;
  let outside: string | undefined;
  let server: net.Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    fx?.cleanup();
    fx = undefined;
    if (outside) fs.rmSync(outside, { recursive: true, force: true });
    outside = undefined;
  });

  /** A folder outside the root holding a secret: nothing of it may show up in a report. */
  function plantOutside(): string {
    outside = tempDir('navi-outside-');
    fs.writeFileSync(path.join(outside, 'secret.txt'), `key = ${fakeSecrets.awsAccessKeyId()}\n`);
    fs.mkdirSync(path.join(outside, 'dir'));
    fs.writeFileSync(path.join(outside, 'dir', 'creds.txt'), `token: ${fakeSecrets.githubToken()}\n`);
    return outside;
  }

  /** Plants every hostile entry that git can hold (committed or not, per `git`). */
  function plantHostile(f: Fixture, out: string): void {
    f.write('.gitignore', 'ignored/\n');
    f.write('src/app.ts', 'export const ok = true;\n');
    // Loops: two links to each other, and a link to its own ancestor.
    f.symlink('loop-b', 'loop-a');
    f.symlink('loop-a', 'loop-b');
    f.symlink('..', 'src/up');
    // Out of the root: the file system root, a secret file, a folder.
    f.symlink('/', 'rootfs');
    f.symlink(path.join(out, 'secret.txt'), 'leak.txt');
    f.symlink(path.join(out, 'dir'), 'leakdir');
    // A file named like an option, holding a secret (found: it is read like any file).
    f.write('--help', `STRIPE=${fakeSecrets.stripeKey()}\n`);
    f.write(BAD_NAME, 'not valid utf-8 in the name\n');
  }

  /** Entries git cannot track: a 2 GB sparse file, a FIFO, a socket. */
  async function plantSpecial(f: Fixture): Promise<void> {
    const big = f.abs('big.bin');
    // The secret sits in the first bytes: found only if the file were read.
    fs.writeFileSync(big, `${fakeSecrets.awsAccessKeyId()}\n`);
    fs.truncateSync(big, TWO_GB);
    execFileSync('mkfifo', [f.abs('pipe')]);
    server = net.createServer();
    await new Promise<void>((resolve) => server!.listen(f.abs('sock'), resolve));
  }

  function assertNothingFromOutside(report: ScanReport): void {
    const text = JSON.stringify(report);
    assert.ok(!text.includes(fakeSecrets.githubToken().slice(0, 12)), 'nothing read through leakdir');
    const secret = riskOf(report, 'secret');
    assert.deepEqual(
      secret?.evidence.map((e) => e.path),
      ['--help'],
      'only the --help file holds a secret',
    );
    assert.equal(report.inventory.files < 50, true, 'the walk did not descend into /');
  }

  it('walk: finishes, lists what it skipped, reads nothing outside the root', async () => {
    fx = fixture({}, { git: false });
    plantHostile(fx, plantOutside());
    await plantSpecial(fx);
    const { report } = await runScan(fx.root);
    ScanReport.parse(report);
    assert.equal(report.git, false);
    assert.equal(report.inventory.source, 'walk');
    assert.deepEqual(skippedAs(report, 'symlink-loop'), ['loop-a', 'loop-b', 'src/up']);
    assert.deepEqual(skippedAs(report, 'symlink-outside-root'), ['leak.txt', 'leakdir', 'rootfs']);
    assert.deepEqual(skippedAs(report, 'special-file'), ['pipe', 'sock']);
    assert.deepEqual(skippedAs(report, 'invalid-name'), [BAD_DISPLAY]);
    assert.deepEqual(skippedAs(report, 'too-large'), ['big.bin']);
    assert.equal(report.skippedTotal, report.skipped.length);
    const large = riskOf(report, 'large-file');
    assert.deepEqual(large?.evidence, [
      { path: 'big.bin', detail: `2.0 GB (${TWO_GB} bytes); not searched` },
    ]);
    assertNothingFromOutside(report);
    // Counted: .gitignore, src/app.ts, 6 symlinks, --help, the bad name, big.bin.
    assert.equal(report.inventory.files, 11);
    assert.ok(report.inventory.bytes >= TWO_GB);
  });

  it('git: the same, plus paths git still lists after the work tree changed under it', async () => {
    fx = fixture({}, { commit: false });
    const out = plantOutside();
    plantHostile(fx, out);
    fx.write('gone/file.txt', 'deleted after commit\n');
    fx.write('swapped/inner.txt', 'replaced by a symlink after commit\n');
    fx.write('piped.txt', 'replaced by a FIFO after commit\n');
    fx.commit();
    // Tracked paths whose files are gone or are no longer what git thinks.
    fs.rmSync(fx.abs('gone'), { recursive: true });
    fs.rmSync(fx.abs('swapped'), { recursive: true });
    fs.symlinkSync(path.join(out, 'dir'), fx.abs('swapped'));
    fs.writeFileSync(path.join(out, 'dir', 'inner.txt'), `${fakeSecrets.githubToken()}\n`);
    fs.rmSync(fx.abs('piped.txt'));
    execFileSync('mkfifo', [fx.abs('piped.txt')]);
    await plantSpecial(fx);

    const { report } = await runScan(fx.root);
    ScanReport.parse(report);
    assert.equal(report.inventory.source, 'git');
    assert.deepEqual(skippedAs(report, 'symlink-loop'), ['loop-a', 'loop-b', 'src/up']);
    assert.deepEqual(skippedAs(report, 'symlink-outside-root'), ['leak.txt', 'leakdir', 'rootfs', 'swapped']);
    assert.deepEqual(skippedAs(report, 'special-file'), ['piped.txt']);
    assert.deepEqual(skippedAs(report, 'invalid-name'), [BAD_DISPLAY]);
    assert.deepEqual(skippedAs(report, 'too-large'), ['big.bin']);
    assertNothingFromOutside(report);
    // .gitignore, src/app.ts, 6 symlinks, --help, the bad name, big.bin and `swapped` (untracked
    // symlinks now). Not counted: gone/file.txt (deleted), swapped/inner.txt (behind a symlink),
    // piped.txt (a FIFO now).
    assert.equal(report.inventory.files, 12);
  });

  it('git: deduplicates entries and lists untracked-but-not-ignored files once', async () => {
    fx = fixture({ '.gitignore': 'ignored/\n', 'a.txt': 'a\n' });
    fx.write('new.txt', 'untracked\n');
    fx.write('ignored/x.txt', 'ignored\n');
    // An unmerged path: listed by git once per stage.
    fx.git('checkout', '-q', '-b', 'other');
    fx.write('a.txt', 'other\n').commit('other');
    fx.git('checkout', '-q', 'main');
    fx.write('a.txt', 'main\n').commit('main');
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'merge', 'other'], {
      cwd: fx.root,
    });
    assert.match(fx.git('ls-files', '--stage', 'a.txt'), / 3\ta\.txt/);
    const { report } = await runScan(fx.root);
    assert.equal(report.inventory.files, 3, '.gitignore, a.txt, new.txt');
  });

  it('an unreadable folder and file are skipped and reported (as an unprivileged user)', function () {
    // root reads through chmod 000 (CAP_DAC_OVERRIDE), so as root the scan runs as `nobody`
    // through setpriv on a fixture that nobody owns; other users run it directly.
    const asRoot = process.getuid?.() === 0;
    if (asRoot && spawnSync('setpriv', ['--version']).status !== 0) this.skip();
    for (const git of [false, true]) {
      const f = fixture(
        {
          '.gitignore': '',
          'ok.txt': 'fine\n',
          'locked/inside.txt': `${fakeSecrets.awsAccessKeyId()}\n`,
          'private.txt': `${fakeSecrets.githubToken()}\n`,
        },
        { git },
      );
      try {
        if (git) f.write('locked/untracked.txt', 'x\n');
        fs.chmodSync(f.root, 0o755);
        if (asRoot) execFileSync('chown', ['-R', '65534:65534', f.root]);
        fs.chmodSync(f.abs('locked'), 0o000);
        fs.chmodSync(f.abs('private.txt'), 0o000);
        const run = scanInChildProcess(f.root, { asNobody: asRoot });
        assert.equal(run.status, 0, run.stderr);
        const report = ScanReport.parse(JSON.parse(run.stdout));
        assert.equal(report.git, git);
        const unreadable = skippedAs(report, 'unreadable');
        assert.ok(unreadable.includes('private.txt'), JSON.stringify(report.skipped));
        assert.ok(
          unreadable.some((p) => p.startsWith('locked')),
          JSON.stringify(report.skipped),
        );
        assert.equal(riskOf(report, 'secret'), undefined, 'nothing unreadable was read');
      } finally {
        f.cleanup();
      }
    }
  });
});
