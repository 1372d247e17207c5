import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DEFAULT_HIDDEN_HOME_PATHS,
  bwrapArgs,
  explainProbeFailure,
  gitProtectedPaths,
  planSandbox,
  prepareSandbox,
  type SandboxOptions,
} from '../../../server/exec/sandbox';
import { compileGlob } from '../../../server/exec/paths';
import { tempDir } from '../../fixtures/builders';

/** The `[flag, a, b]` triples of bind options, in order. */
function binds(args: string[]): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    if (['--bind', '--ro-bind', '--dev-bind'].includes(flag)) out.push([flag, args[i + 1]!, args[i + 2]!]);
  }
  return out;
}

describe('exec/sandbox: bwrap arguments', () => {
  let root: string;
  let ws: string;
  let home: string;
  const options = (extra: Partial<SandboxOptions> = {}): SandboxOptions => ({
    workspaceRoot: ws,
    cwd: ws,
    network: false,
    protectedPaths: [],
    hiddenPaths: [],
    env: { PATH: '/usr/bin:/bin', HOME: home },
    home,
    ...extra,
  });
  beforeEach(() => {
    root = tempDir('navi-sbx-');
    ws = path.join(root, 'ws');
    home = path.join(root, 'home');
    fs.mkdirSync(path.join(ws, '.git', 'hooks'), { recursive: true });
    fs.writeFileSync(path.join(ws, '.git', 'config'), '[core]\n');
    fs.mkdirSync(home);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('isolates everything by default: namespaces, read-only root, private /tmp, no network', () => {
    const args = bwrapArgs(options());
    for (const flag of [
      '--die-with-parent',
      '--new-session',
      '--unshare-pid',
      '--unshare-net',
      '--unshare-ipc',
      '--clearenv',
    ]) {
      assert.ok(args.includes(flag), flag);
    }
    assert.deepEqual(args.slice(args.indexOf('--cap-drop'), args.indexOf('--cap-drop') + 2), [
      '--cap-drop',
      'ALL',
    ]);
    const order = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'];
    const at = args.indexOf('--ro-bind');
    assert.deepEqual(args.slice(at, at + order.length), order, 'the root read-only first');
    assert.ok(args.indexOf('--bind') > args.indexOf('/tmp'), 'the workspace after /tmp (it may live there)');
    assert.deepEqual(args.slice(args.indexOf('--chdir'), args.indexOf('--chdir') + 2), ['--chdir', ws]);
    assert.deepEqual(args.slice(-6), ['--setenv', 'PATH', '/usr/bin:/bin', '--setenv', 'HOME', home]);
  });

  it('keeps the network only when allowed, and then hides daemon sockets', () => {
    const args = bwrapArgs(options({ network: true }));
    assert.ok(!args.includes('--unshare-net'));
    assert.ok(!args.some((a, i) => a === '--tmpfs' && args[i + 1] === '/run'), 'no tmpfs over /run');
    if (fs.existsSync('/run') && fs.lstatSync('/run').isDirectory()) {
      assert.ok(bwrapArgs(options()).some((a, i, all) => a === '--tmpfs' && all[i + 1] === '/run'));
    }
  });

  it('makes the workspace writable and .navi/, .git/hooks, .git/config and protected paths read-only', () => {
    fs.mkdirSync(path.join(ws, 'infra'));
    fs.writeFileSync(path.join(ws, 'infra', 'deploy.sh'), 'x');
    const plan = planSandbox(
      options({ protectedPaths: ['infra/deploy.sh', path.join(ws, '.vscode') + '/'] }),
    );
    const b = binds(plan.args);
    assert.ok(b.some(([f, s, d]) => f === '--bind' && s === ws && d === ws));
    for (const p of ['.git/hooks', '.git/config', 'infra/deploy.sh']) {
      const abs = path.join(ws, p);
      assert.ok(
        b.some(([f, s, d]) => f === '--ro-bind' && s === abs && d === abs),
        p,
      );
    }
    // .navi and .vscode do not exist: an empty read-only folder is mounted where each would be.
    for (const name of ['.navi', '.vscode']) {
      const mount = b.find(([, , d]) => d === path.join(ws, name));
      assert.ok(mount && mount[0] === '--ro-bind' && fs.readdirSync(mount[1]).length === 0, name);
    }
    assert.deepEqual(plan.mountPoints, [
      { path: path.join(ws, '.navi'), kind: 'dir' },
      { path: path.join(ws, '.vscode'), kind: 'dir' },
    ]);
  });

  it('pins the folders above a protected path so they cannot be renamed away', () => {
    const b = binds(bwrapArgs(options()));
    const pin = b.findIndex(([f, s, d]) => f === '--bind' && s === path.join(ws, '.git') && d === s);
    const hooks = b.findIndex(([, , d]) => d === path.join(ws, '.git', 'hooks'));
    assert.ok(pin >= 0 && hooks > pin, 'the .git pin comes before its read-only children');
  });

  it('protects missing paths at their first missing component (file or folder)', () => {
    fs.rmSync(path.join(ws, '.git'), { recursive: true });
    const plan = planSandbox(options({ protectedPaths: ['.navi/policy.json', 'deploy.key'] }));
    assert.deepEqual(
      plan.mountPoints.map((m) => [path.relative(ws, m.path), m.kind]),
      [
        ['.git', 'dir'],
        ['.navi', 'dir'],
        ['deploy.key', 'file'],
      ],
    );
    const b = binds(plan.args);
    const dotGit = b.filter(([, , d]) => d === path.join(ws, '.git'));
    assert.equal(dotGit.length, 1, 'hooks and config share the .git mount');
    assert.equal(fs.statSync(dotGit[0]![1]).isDirectory(), true);
    const key = b.find(([, , d]) => d === path.join(ws, 'deploy.key'))!;
    assert.equal(fs.statSync(key[1]).size, 0);
  });

  it('releases the mount points bwrap left on the host once the last user is done, if still empty', () => {
    const first = prepareSandbox(options({ protectedPaths: ['.navi/'] }));
    const mp = path.join(ws, '.navi');
    fs.mkdirSync(mp); // what bwrap does
    const second = prepareSandbox(options({ protectedPaths: ['.navi/'] }));
    assert.deepEqual(second.plan.mountPoints, [{ path: mp, kind: 'dir' }], 'an existing one is shared');
    first.release();
    assert.ok(fs.existsSync(mp), 'still in use by the second sandbox');
    second.release();
    assert.ok(!fs.existsSync(mp), 'removed after the last');

    const third = prepareSandbox(options({ protectedPaths: ['notes.txt'] }));
    fs.writeFileSync(path.join(ws, 'notes.txt'), 'the user wrote this meanwhile');
    third.release();
    assert.ok(fs.existsSync(path.join(ws, 'notes.txt')), 'a file with content is never removed');
  });

  it('protects the .git file of a worktree and the git folder it points to', () => {
    fs.rmSync(path.join(ws, '.git'), { recursive: true });
    const gitdir = path.join(ws, 'repo.git', 'worktrees', 'w');
    fs.mkdirSync(path.join(gitdir, 'hooks'), { recursive: true });
    fs.writeFileSync(path.join(gitdir, 'commondir'), '../..\n');
    fs.writeFileSync(path.join(ws, '.git'), `gitdir: ${gitdir}\n`);
    const paths = gitProtectedPaths(ws);
    assert.ok(paths.includes(path.join(ws, '.git')));
    assert.ok(paths.includes(path.join(gitdir, 'hooks') + path.sep));
    assert.ok(paths.includes(path.join(ws, 'repo.git', 'hooks') + path.sep));
    assert.ok(paths.includes(path.join(ws, 'repo.git', 'config')));
  });

  it('hides policy paths and credential stores in the home folder with empty read-only mounts', () => {
    fs.mkdirSync(path.join(home, '.ssh'));
    fs.writeFileSync(path.join(home, '.netrc'), 'machine x');
    fs.writeFileSync(path.join(ws, '.env'), 'A=b');
    fs.mkdirSync(path.join(ws, 'secrets'));
    const plan = planSandbox(options({ hiddenPaths: ['.env', 'secrets/**', 'missing.txt'] }));
    const b = binds(plan.args);
    for (const [p, dir] of [
      [path.join(ws, '.env'), false],
      [path.join(ws, 'secrets'), true],
      [path.join(home, '.ssh'), true],
      [path.join(home, '.netrc'), false],
    ] as const) {
      const bind = b.find(([, , d]) => d === p);
      assert.ok(bind && bind[0] === '--ro-bind', p);
      assert.equal(fs.statSync(bind[1]).isDirectory(), dir, p);
    }
    assert.ok(!plan.hiddenPaths.includes(path.join(ws, 'missing.txt')), 'nothing to hide');
    assert.ok(DEFAULT_HIDDEN_HOME_PATHS.includes('.aws'));
    assert.ok(!bwrapArgs(options({ hideHomeSecrets: false })).includes(path.join(home, '.ssh')));
  });

  it('reads policy patterns as the policy engine does: globs, names at any depth, ~/ and absolute paths', () => {
    const files = [
      'config/a.key',
      'config/b.txt',
      'certs/x.pem',
      'node_modules/pkg/y.pem',
      'secrets/s.txt',
      'app/secrets/t.txt',
    ];
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(ws, f)), { recursive: true });
      fs.writeFileSync(path.join(ws, f), 'x');
    }
    fs.mkdirSync(path.join(home, '.config', 'tool'), { recursive: true });
    const ro = (plan: ReturnType<typeof planSandbox>) =>
      binds(plan.args)
        .filter(([f, s, d]) => f === '--ro-bind' && s === d && d.startsWith(ws + path.sep))
        .map(([, , d]) => path.relative(ws, d));
    const protectedPlan = planSandbox(options({ protectedPaths: ['config/*.key', '*.pem'] }));
    assert.deepEqual(ro(protectedPlan).sort(), ['.git/config', '.git/hooks', 'certs/x.pem', 'config/a.key']);

    const hiddenAt = (patterns: string[]) =>
      planSandbox(options({ hiddenPaths: patterns, hideHomeSecrets: false })).hiddenPaths.map((p) =>
        p.startsWith(ws) ? path.relative(ws, p) : p,
      );
    assert.deepEqual(hiddenAt(['secrets/**']), ['secrets'], 'anchored at the root');
    assert.deepEqual(hiddenAt(['secrets']).sort(), ['app/secrets', 'secrets'], 'a name at any depth');
    assert.deepEqual(hiddenAt(['~/.config/tool/**']), [path.join(home, '.config', 'tool')]);
    assert.deepEqual(hiddenAt([path.join(home, '.config')]), [path.join(home, '.config')]);

    for (const [glob, yes, no] of [
      ['*.pem', 'a/b/c.pem', 'a/c.pem.txt'],
      ['secrets/**', 'secrets/x', 'a/secrets/x'],
      ['**/.env', 'a/.env', 'a/x.env'],
      ['config/?.key', 'config/a.key', 'config/ab.key'],
    ] as const) {
      assert.ok(compileGlob(glob).test(yes), `${glob} ${yes}`);
      assert.ok(!compileGlob(glob).test(no), `${glob} ${no}`);
    }
  });

  it('refuses what it cannot enforce: a cwd outside the workspace, hiding the workspace', () => {
    assert.throws(() => planSandbox(options({ cwd: root })), /outside the workspace/);
    assert.throws(() => planSandbox(options({ hiddenPaths: [root] })), /contains the workspace/);
    assert.throws(() => planSandbox(options({ workspaceRoot: '/' })), /not the file system root/);
  });

  it('explains why the sandbox is unavailable', () => {
    assert.match(
      explainProbeFailure(
        'bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces',
      ),
      /user namespaces/,
    );
    assert.match(
      explainProbeFailure('bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted'),
      /network namespace/,
    );
    assert.match(
      explainProbeFailure('bwrap: Something else'),
      /bubblewrap cannot create a sandbox here: Something else/,
    );
  });
});
