import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  type Checkpoint,
  createCheckpoint,
  indexWarmedUp,
  listCheckpoints,
  recordWrite,
  rollback,
} from '../../../server/edits/checkpoints';
import { type Fixture, fixture, tempDir } from '../../fixtures/builders';

const sha = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');

/** Every file below `root` (symlinks as their target), except the root's own `.git`. */
function files(root: string, skipRootGit = true): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (skipRootGit && rel === '.git') continue;
      const abs = path.join(root, rel);
      if (e.isSymbolicLink()) out.set(rel, `link:${fs.readlinkSync(abs)}`);
      else if (e.isDirectory()) walk(rel);
      else out.set(rel, sha(fs.readFileSync(abs)));
    }
  };
  walk('');
  return out;
}

/** A digest of every byte (and name) under a folder: the user's `.git`. */
const digest = (dir: string) => sha(JSON.stringify([...files(dir, false)].sort()));

function gitIn(dir: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', ...args],
    {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir },
    },
  );
}

/** NAVI's checkpoint store (a test's state folder holds one). */
function storeDir(stateDir: string): string {
  const base = path.join(stateDir, 'checkpoints');
  return path.join(
    base,
    fs.readdirSync(base).find((n) => n.endsWith('.git'))!,
  );
}

/** git in NAVI's checkpoint store. */
function storeGit(stateDir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    env: { ...process.env, GIT_DIR: storeDir(stateDir) },
    encoding: 'utf8',
  });
}

/** What the user's repository looks like to git, without git writing anything. */
function userGitState(fx: Pick<Fixture, 'git' | 'abs'>) {
  return {
    head: fx.git('rev-parse', 'HEAD'),
    branch: fx.git('symbolic-ref', 'HEAD'),
    stash: fx.git('stash', 'list'),
    gitDir: digest(fx.abs('.git')),
  };
}

const status = (fx: Pick<Fixture, 'git'>) =>
  fx
    .git('--no-optional-locks', 'status', '--porcelain=v2', '-z', '--ignored', '--untracked-files=all')
    .split('\0');

describe('checkpoints and rollback', function () {
  this.timeout(60_000);
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    await indexWarmedUp(); // no git still writing into a folder about to be removed
    cleanups.splice(0).forEach((c) => c());
  });
  const setup = (tree: Record<string, string> = {}) => {
    const fx = fixture(tree);
    const stateDir = tempDir('navi-state-');
    cleanups.push(fx.cleanup, () => fs.rmSync(stateDir, { recursive: true, force: true }));
    return { fx, stateDir, ws: { workspaceRoot: fx.root, stateDir } };
  };
  /** A copy of a repository (a user's repository is just a folder), with the fixture's helpers. */
  const copyOf = (root: string) => {
    const copy = tempDir('navi-ws-');
    fs.cpSync(root, copy, { recursive: true });
    const stateDir = tempDir('navi-state-');
    const fx = {
      root: copy,
      abs: (rel: string) => path.join(copy, rel),
      write(rel: string, content: string) {
        fs.mkdirSync(path.dirname(fx.abs(rel)), { recursive: true });
        fs.writeFileSync(fx.abs(rel), content);
        return fx;
      },
      git: (...args: string[]) => gitIn(copy, ...args),
    };
    cleanups.push(() => fs.rmSync(copy, { recursive: true, force: true }));
    cleanups.push(() => fs.rmSync(stateDir, { recursive: true, force: true }));
    return { fx, ws: { workspaceRoot: copy, stateDir } };
  };
  type Repo = Pick<Fixture, 'root' | 'abs' | 'git'> & { write(rel: string, content: string): unknown };
  const naviWrite = async (cp: Checkpoint, fx: Repo, rel: string, content: string) => {
    fx.write(rel, content);
    await recordWrite(cp, rel, content);
  };

  it('restores a file NAVI edited, deletes one it created, leaves every other file byte-identical', async () => {
    const { fx, ws, stateDir } = setup({
      '.gitignore': 'dist/\n',
      'src/a.ts': 'export const a = 1;\n',
      'src/b.ts': 'export const b = 2;\n',
    });
    fx.write('dist/out.js', 'ignored\n').write('notes.txt', 'untracked\n').write('src/a.ts', 'staged\n');
    fx.git('add', 'src/a.ts');
    fs.chmodSync(fx.abs('src/a.ts'), 0o755);
    const before = files(fx.root);
    const git0 = userGitState(fx);

    const cp = await createCheckpoint({ ...ws, taskId: 'task-1' });
    assert.equal(cp.files, 5);
    assert.deepEqual(cp.skipped, []);
    assert.match(cp.commit, /^[0-9a-f]{40}$/);
    assert.ok(fs.existsSync(path.join(stateDir, 'checkpoints')));
    await naviWrite(cp, fx, 'src/a.ts', 'navi was here\n');
    await naviWrite(cp, fx, 'src/new/c.ts', 'created by navi\n');
    fx.write('notes.txt', 'the user keeps typing\n'); // not NAVI's: must survive the rollback
    const beforeRollback = files(fx.root);

    const result = await rollback({ ...ws, taskId: 'task-1' });
    assert.deepEqual(result.restored, ['src/a.ts']);
    assert.deepEqual(result.deleted, ['src/new/c.ts']);
    assert.deepEqual(result.conflicts, []);
    assert.deepEqual(result.notRestored, []);
    const after = files(fx.root);
    assert.equal(after.get('src/a.ts'), before.get('src/a.ts'));
    assert.equal(fs.statSync(fx.abs('src/a.ts')).mode & 0o777, 0o755, 'the file mode is kept');
    assert.equal(after.has('src/new/c.ts'), false);
    for (const [rel, hash] of beforeRollback)
      if (rel !== 'src/a.ts' && rel !== 'src/new/c.ts') assert.equal(after.get(rel), hash, rel);
    assert.equal(after.size, before.size);
    assert.deepEqual(userGitState(fx), git0, "the user's HEAD, branch, stash and .git are untouched");
    assert.deepEqual(
      listCheckpoints(stateDir, fx.root).map((c) => c.taskId),
      ['task-1', 'task-1.undo1'],
    );
  });

  it("keeps the user's version of a file changed after NAVI, with all three versions in the store", async () => {
    const { fx, ws } = setup({ 'a.txt': 'original\n' });
    const cp = await createCheckpoint({ ...ws, taskId: 't' });
    await naviWrite(cp, fx, 'a.txt', 'navi\n');
    fx.write('a.txt', 'user\n');
    const result = await rollback({ ...ws, taskId: 't' });
    assert.equal(fs.readFileSync(fx.abs('a.txt'), 'utf8'), 'user\n');
    assert.equal(result.conflicts.length, 1);
    const [c] = result.conflicts;
    assert.equal(c!.kept, 'user');
    const blob = (oid: string | null) => storeGit(ws.stateDir, 'cat-file', 'blob', oid!);
    assert.deepEqual([blob(c!.original), blob(c!.navi), blob(c!.user)], ['original\n', 'navi\n', 'user\n']);
  });

  it('undoes a rollback: rolling back its checkpoint brings NAVI’s versions back', async () => {
    const { fx, ws } = setup({ 'a.txt': 'original\n' });
    const cp = await createCheckpoint({ ...ws, taskId: 't' });
    await naviWrite(cp, fx, 'a.txt', 'navi a\n');
    await naviWrite(cp, fx, 'new.txt', 'navi new\n');
    const naviState = files(fx.root);
    const first = await rollback({ ...ws, taskId: 't' });
    assert.equal(fs.readFileSync(fx.abs('a.txt'), 'utf8'), 'original\n');
    assert.equal(fs.existsSync(fx.abs('new.txt')), false);

    const undo = await rollback({ ...ws, checkpointId: first.undoCheckpoint });
    assert.deepEqual(undo.restored, ['a.txt', 'new.txt']);
    assert.deepEqual(files(fx.root), naviState);
    // And the undo can be undone in turn.
    await rollback({ ...ws, checkpointId: undo.undoCheckpoint });
    assert.equal(fs.readFileSync(fx.abs('a.txt'), 'utf8'), 'original\n');
    assert.equal(fs.existsSync(fx.abs('new.txt')), false);
  });

  it('reports nested repositories, node_modules and files over the size cap in skipped', async () => {
    const { fx, ws } = setup({ 'small.txt': 'x', 'big.bin': 'y'.repeat(2048), 'node_modules/m/i.js': '' });
    fs.mkdirSync(fx.abs('vendor/lib'), { recursive: true });
    fx.write('vendor/lib/x.c', 'int x;\n');
    gitIn(fx.abs('vendor/lib'), 'init', '-q');
    const cp = await createCheckpoint({ ...ws, taskId: 't', maxFileBytes: 1024 });
    assert.deepEqual(
      [...cp.skipped].sort((a, b) => a.path.localeCompare(b.path)),
      [
        { path: 'big.bin', reason: 'too-large' },
        { path: 'node_modules', reason: 'node-modules' },
        { path: 'vendor/lib', reason: 'nested-repo' },
      ],
    );
    assert.equal(cp.files, 1);
    // Out of time, a changed file is reported and left out, never kept with its old content.
    fx.write('small.txt', 'changed');
    const tight = await createCheckpoint({ ...ws, taskId: 't', timeBudgetMs: 0 });
    assert.ok(
      tight.skipped.some((s) => s.reason === 'time-budget' && ['small.txt', ''].includes(s.path)),
      JSON.stringify(tight.skipped),
    );
    assert.equal(storeGit(ws.stateDir, 'ls-tree', tight.commit, 'small.txt'), '');
    // What the budget did not reach is hashed after the checkpoint returns, for the next one.
    await indexWarmedUp();
    const next = await createCheckpoint({ ...ws, taskId: 't', maxFileBytes: 1024 });
    assert.equal(storeGit(ws.stateDir, 'show', `${next.commit}:small.txt`), 'changed');
    // The caller then snapshots just the file it is about to edit, even over the cap.
    const one = await createCheckpoint({ ...ws, taskId: 't', paths: ['big.bin'], maxFileBytes: Infinity });
    assert.deepEqual([one.files, one.skipped], [1, []]);
    // A write the checkpoint does not cover is reported by the rollback and left alone.
    fx.write('vendor/lib/x.c', 'navi\n');
    await recordWrite(cp, 'vendor/lib/x.c', 'navi\n');
    const result = await rollback({ ...ws, taskId: 't' });
    assert.deepEqual(result.notRestored, [{ path: 'vendor/lib/x.c', reason: 'not-checkpointed' }]);
    assert.equal(fs.readFileSync(fx.abs('vendor/lib/x.c'), 'utf8'), 'navi\n');
  });

  it("never runs the workspace's hooks or fsmonitor, nor the user's global git config", async () => {
    const { fx, ws } = setup({ 'a.txt': 'a\n' });
    const marker = path.join(ws.stateDir, 'MARKER');
    const script = fx.abs('.git/evil.sh');
    fs.writeFileSync(script, `#!/bin/sh\necho "$0 $*" >> '${marker}'\n`, { mode: 0o755 });
    fs.mkdirSync(fx.abs('.git/evil-hooks'));
    for (const hook of [
      'pre-commit',
      'post-commit',
      'post-checkout',
      'reference-transaction',
      'post-index-change',
    ])
      fs.copyFileSync(script, fx.abs(`.git/evil-hooks/${hook}`));
    for (const hook of ['reference-transaction', 'post-index-change', 'post-checkout'])
      fs.copyFileSync(script, fx.abs(`.git/hooks/${hook}`));
    fx.git('config', 'core.fsmonitor', script);
    fx.git('config', 'core.hooksPath', fx.abs('.git/evil-hooks'));
    const globalConfig = path.join(ws.stateDir, 'gitconfig');
    fs.writeFileSync(
      globalConfig,
      `[core]\n\tfsmonitor = ${script}\n\thooksPath = ${fx.abs('.git/evil-hooks')}\n`,
    );
    const saved = { ...process.env };
    Object.assign(process.env, {
      GIT_CONFIG_GLOBAL: globalConfig,
      GIT_DIR: fx.abs('.git'),
      GIT_INDEX_FILE: fx.abs('.git/index'),
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'core.fsmonitor',
      GIT_CONFIG_VALUE_0: script,
    });
    const git0 = digest(fx.abs('.git'));
    try {
      const cp = await createCheckpoint({ ...ws, taskId: 't' });
      await naviWrite(cp, fx, 'a.txt', 'navi\n');
      const result = await rollback({ ...ws, taskId: 't' });
      assert.deepEqual(result.restored, ['a.txt']);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    assert.equal(fs.existsSync(marker), false, 'a hook or fsmonitor ran');
    assert.equal(digest(fx.abs('.git')), git0);
  });

  it('refuses paths outside the workspace and files behind symlinks that point out', async () => {
    const { fx, ws, stateDir } = setup({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const outside = path.join(stateDir, 'outside.txt');
    fs.writeFileSync(outside, 'outside\n');
    const cp = await createCheckpoint({ ...ws, taskId: 't' });
    await assert.rejects(recordWrite(cp, '../x.txt', 'x'), /outside the workspace/);
    await assert.rejects(async () => recordWrite(cp, '.git/config', 'x'), /\.git/);
    fx.symlink(outside, 'link.txt');
    await assert.rejects(async () => recordWrite(cp, 'link.txt', 'x'), /outside the workspace/);
    await naviWrite(cp, fx, 'b.txt', 'navi\n');
    await naviWrite(cp, fx, 'sub/c.txt', 'navi\n');
    // A folder on the way becomes a symlink out of the workspace.
    const outDir = path.join(stateDir, 'out-dir');
    fs.mkdirSync(outDir);
    fs.writeFileSync(path.join(outDir, 'c.txt'), 'navi\n');
    fs.rmSync(fx.abs('sub'), { recursive: true });
    fx.symlink(outDir, 'sub');
    // The user replaces NAVI's file with a symlink pointing out: the rollback must not write there.
    fs.rmSync(fx.abs('b.txt'));
    fx.symlink(outside, 'b.txt');
    const result = await rollback({ ...ws, taskId: 't' });
    assert.deepEqual(result.notRestored, [
      { path: 'b.txt', reason: 'outside-workspace' },
      { path: 'sub/c.txt', reason: 'outside-workspace' },
    ]);
    assert.equal(fs.readFileSync(outside, 'utf8'), 'outside\n');
    assert.equal(
      fs.readFileSync(path.join(outDir, 'c.txt'), 'utf8'),
      'navi\n',
      'not deleted through the link',
    );
  });

  it('a second checkpoint of a big tree reuses what did not change, and never what did', async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 1200; i++) tree[`src/m${i}.ts`] = `export const v${i} = ${i};\n`;
    const { fx, stateDir, ws } = setup(tree);
    // Old enough for the stat cache (a file changed within two seconds is always read again).
    const old = new Date(Date.now() - 60_000);
    for (const rel of Object.keys(tree)) fs.utimesSync(fx.abs(rel), old, old);
    await createCheckpoint({ ...ws, taskId: 'first', timeBudgetMs: Infinity });
    assert.ok(fs.existsSync(path.join(stateDir, 'checkpoints')), 'a store');
    // Same size, same mtime: only the inode change time tells; and one changed just now.
    fx.write('src/m1.ts', 'export const v1 = 9;\n');
    fs.utimesSync(fx.abs('src/m1.ts'), old, old);
    fx.write('src/m2.ts', 'export const v2 = 2; // now\n');
    const second = await createCheckpoint({ ...ws, taskId: 'second', timeBudgetMs: Infinity });
    assert.equal(second.files, 1200);
    await naviWrite(second, fx, 'src/m1.ts', 'navi\n');
    await naviWrite(second, fx, 'src/m2.ts', 'navi\n');
    await naviWrite(second, fx, 'src/m3.ts', 'navi\n');
    await rollback({ ...ws, taskId: 'second' });
    assert.equal(fs.readFileSync(fx.abs('src/m1.ts'), 'utf8'), 'export const v1 = 9;\n');
    assert.equal(fs.readFileSync(fx.abs('src/m2.ts'), 'utf8'), 'export const v2 = 2; // now\n');
    assert.equal(fs.readFileSync(fx.abs('src/m3.ts'), 'utf8'), 'export const v3 = 3;\n');
  });

  it('a whole-workspace checkpoint after another holds every kind of change made in between', async () => {
    const { fx, stateDir, ws } = setup({
      'keep.txt': 'same\n',
      'edit.txt': 'before\n',
      'gone.txt': 'deleted later\n',
      'run.sh': 'echo hi\n',
      'dir/becomes-file/x.txt': 'x\n',
      'file-becomes-dir': 'plain\n',
      'grows.bin': 'small',
    });
    await createCheckpoint({ ...ws, taskId: 'first', maxFileBytes: 1024 });
    fx.write('edit.txt', 'after\n');
    fs.rmSync(fx.abs('gone.txt'));
    fs.chmodSync(fx.abs('run.sh'), 0o755);
    fs.rmSync(fx.abs('dir/becomes-file'), { recursive: true });
    fx.write('dir/becomes-file', 'now a file\n');
    fs.rmSync(fx.abs('file-becomes-dir'));
    fx.write('file-becomes-dir/inner.txt', 'inner\n');
    fx.write('grows.bin', 'z'.repeat(4096));
    fx.write('new/added.txt', 'new\n');
    fx.write('pkg/node_modules/dep/index.js', 'dependency\n');
    fs.symlinkSync('keep.txt', fx.abs('link'));
    const second = await createCheckpoint({ ...ws, taskId: 'second', maxFileBytes: 1024 });
    const tree = storeGit(stateDir, 'ls-tree', '-r', '--full-tree', second.commit)
      .trim()
      .split('\n')
      .map((line) => {
        const [meta, rel] = line.split('\t');
        const [mode, , oid] = meta!.split(' ');
        return `${mode} ${rel} ${mode === '120000' ? `-> ${storeGit(stateDir, 'cat-file', 'blob', oid!)}` : storeGit(stateDir, 'cat-file', 'blob', oid!).trim()}`;
      });
    assert.deepEqual(tree, [
      '100644 dir/becomes-file now a file',
      '100644 edit.txt after',
      '100644 file-becomes-dir/inner.txt inner',
      '100644 keep.txt same',
      '120000 link -> keep.txt',
      '100644 new/added.txt new',
      '100755 run.sh echo hi',
    ]);
    assert.equal(second.files, 7);
    assert.deepEqual(second.skipped, [{ path: 'grows.bin', reason: 'too-large' }]);
    // Another process holding the store's index: the checkpoint walks the tree instead.
    const gitDir = storeDir(stateDir);
    assert.ok(fs.existsSync(path.join(gitDir, 'navi-index-all')), 'the persistent index');
    fs.writeFileSync(path.join(gitDir, 'navi-index-all.lock'), '');
    fx.write('keep.txt', 'changed while locked\n');
    const locked = await createCheckpoint({ ...ws, taskId: 'locked', maxFileBytes: 1024 });
    assert.equal(storeGit(stateDir, 'show', `${locked.commit}:keep.txt`), 'changed while locked\n');
    assert.equal(locked.files, 7);
    fs.rmSync(path.join(gitDir, 'navi-index-all.lock'));
    // What is not in the tree is not claimed: a rollback of a write there says so.
    await naviWrite(second, fx, 'grows.bin', 'navi\n');
    await naviWrite(second, fx, 'pkg/node_modules/dep/index.js', 'navi\n');
    const result = await rollback({ ...ws, taskId: 'second' });
    assert.deepEqual(result.notRestored, [
      { path: 'grows.bin', reason: 'not-checkpointed' },
      { path: 'pkg/node_modules/dep/index.js', reason: 'not-checkpointed' },
    ]);
  });

  it('property: rollback restores only what NAVI wrote and the user did not touch since', async function () {
    this.timeout(240_000); // 40 cases of real git: a loaded machine needs more than a minute
    const tracked = ['README.md', 'src/a.ts', 'src/b.ts', 'lib/c.js', 'lib/deep/d.js'];
    const fresh = ['src/new.ts', 'gen/x/y.ts', 'notes.md'];
    // One user repository built once (commits, a stash entry, a second branch, a nested repo),
    // copied for each case: real git, without a dozen git processes per case.
    const tree: Record<string, string> = { '.gitignore': 'dist/\n*.log\n' };
    for (const p of tracked) tree[p] = `${p} as committed\n`;
    const template = setup(tree).fx;
    template.write('README.md', 'stashed change\n').git('stash', 'push', '-q');
    template.git('checkout', '-q', '-b', 'feature');
    template.write('src/a.ts', 'on feature\n').commit('feature');
    template.git('checkout', '-q', 'main');
    const nested = setup({ 'x.c': 'int x;\n' }).fx;
    const mark = cleanups.length; // the template's cleanups stay for afterEach
    const content = fc.string({ maxLength: 24 });
    const scenario = fc.record({
      contents: fc.array(fc.option(content), { minLength: tracked.length, maxLength: tracked.length }),
      staged: fc.subarray(tracked),
      untracked: fc.subarray(['notes.md', 'scratch.txt', 'src/tmp.ts']),
      ignored: fc.subarray(['dist/out.js', 'app.log']),
      branch: fc.boolean(),
      nested: fc.boolean(),
      big: fc.boolean(),
      navi: fc.subarray([...tracked, ...fresh, 'scratch.txt', 'dist/out.js', 'big.bin'], { minLength: 1 }),
      user: fc.subarray([...tracked, ...fresh, 'scratch.txt', 'user-new.txt', 'vendor/n/x.c']),
      userDeletes: fc.boolean(),
      text: content,
    });
    let conflicts = 0;
    let restored = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { fx, ws } = copyOf(template.root);
        try {
          if (s.branch) fx.git('checkout', '-q', 'feature');
          tracked.forEach((p, i) => s.contents[i] !== null && fx.write(p, `${p}: ${s.contents[i]}\n`));
          for (const p of s.staged) fx.write(p, `staged ${p}\n`);
          if (s.staged.length) fx.git('add', '--', ...s.staged);
          for (const p of [...s.untracked, ...s.ignored]) fx.write(p, `${p} of the user\n`);
          if (s.nested) fs.cpSync(nested.root, fx.abs('vendor/n'), { recursive: true });
          if (s.big) fx.write('big.bin', 'B'.repeat(300));
          const git0 = userGitState(fx);

          const cp = await createCheckpoint({ ...ws, taskId: 'prop', maxFileBytes: 256 });
          assert.equal(
            cp.skipped.some((k) => k.reason === 'nested-repo'),
            s.nested,
          );
          assert.equal(
            cp.skipped.some((k) => k.reason === 'too-large'),
            s.big,
          );
          const s0 = files(fx.root);
          for (const p of s.navi) {
            // A file the checkpoint skipped gets a checkpoint of its own before NAVI edits it.
            const own = cp.skipped.some((k) => k.path === p)
              ? await createCheckpoint({ ...ws, taskId: 'prop', paths: [p], maxFileBytes: Infinity })
              : cp;
            await naviWrite(own, fx, p, `navi ${p} ${s.text}`);
          }
          const touched = new Set<string>();
          for (const p of s.user) {
            if (p === 'vendor/n/x.c' && !s.nested) continue;
            if (s.userDeletes && fs.existsSync(fx.abs(p)) && touched.size % 2 === 0) fs.rmSync(fx.abs(p));
            else fx.write(p, `user ${p} ${s.text}`);
            touched.add(p);
          }
          const s1 = files(fx.root);
          const status1 = status(fx);

          const result = await rollback({ ...ws, taskId: 'prop' });
          const s2 = files(fx.root);
          const rolledBack = new Set([...result.restored, ...result.deleted]);
          for (const p of new Set([...s1.keys(), ...s2.keys(), ...s0.keys()])) {
            if (!s.navi.includes(p)) assert.equal(s2.get(p), s1.get(p), `not NAVI's: ${p}`);
            else if (touched.has(p)) {
              assert.equal(s2.get(p), s1.get(p), `the user's version of ${p}`);
              assert.ok(
                result.conflicts.some((c) => c.path === p && c.kept === 'user'),
                `conflict ${p}`,
              );
            } else {
              assert.equal(s2.get(p), s0.get(p), `back to the checkpoint: ${p}`);
              assert.ok(rolledBack.has(p), `reported ${p}`);
            }
          }
          assert.deepEqual(result.notRestored, []);
          assert.deepEqual(userGitState(fx), git0, "the user's HEAD, branch, index, stash, .git");
          const mentions = (line: string) =>
            [...rolledBack].some((p) => line.endsWith(` ${p}`) || line === `? ${p}` || line === `! ${p}`);
          assert.deepEqual(
            status(fx).filter((l) => !mentions(l)),
            status1.filter((l) => !mentions(l)),
          );
          conflicts += result.conflicts.length;
          restored += rolledBack.size;
        } finally {
          cleanups.splice(mark).forEach((c) => c());
        }
      }),
      { numRuns: Number(process.env.RUNS ?? 40), seed: 20260611, endOnFailure: true },
    );
    assert.ok(conflicts > 10 && restored > 10, `too few cases: ${conflicts} conflicts, ${restored} restored`);
  });
});
