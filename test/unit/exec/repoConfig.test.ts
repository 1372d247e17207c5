import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Verdict } from '../../../protocol/policy';
import {
  clearConfigCache,
  configOverrideEnv,
  configReadStats,
  type ConfigOverride,
} from '../../../server/exec/gitConfig';
import { GIT_EXEC_KEYS, type GitExecKey } from '../../../server/exec/knowledge/gitKeys';
import { execKeyFor } from '../../../server/exec/knowledge/gitRepository';
import { EMPTY_POLICY, judgeCommand, type JudgeContext } from '../../../server/exec/policy';

// The repository's own configuration (issue 10, part 3): real repositories made with real git in a
// temp folder, whose settings point at a script that leaves a marker file. The judge must ask (or
// turn the setting off), and where it matters the test runs real git to show that the setting
// does run the script — and that NAVI's override stops it while the command still does its job.

const GIT = 'git';
const hasScript = spawnSync('script', ['--version']).status === 0;

/** A fake machine: `<base>/home` (home) and `<base>/ws` (the workspace, a git repository). */
class Machine {
  readonly base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'navi-repocfg-')));
  readonly home = path.join(this.base, 'home');
  readonly ws = path.join(this.base, 'ws');
  readonly marker = path.join(this.ws, 'marker.txt');
  /** A program the settings point at: appends its arguments to marker.txt. */
  readonly script = './.hooks/run.sh';

  constructor() {
    fs.mkdirSync(this.home, { recursive: true });
    fs.mkdirSync(path.join(this.ws, '.hooks'), { recursive: true });
    const body = `#!/bin/sh\necho "ran $0 $*" >> '${this.marker}'\nexit 0\n`;
    fs.writeFileSync(path.join(this.ws, '.hooks/run.sh'), body, { mode: 0o755 });
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Dev',
      GIT_AUTHOR_EMAIL: 'dev@example.com',
      GIT_COMMITTER_NAME: 'Dev',
      GIT_COMMITTER_EMAIL: 'dev@example.com',
      GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
      GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
      TERM: 'dumb',
      ...extra,
    };
  }

  git(args: string[], cwd = this.ws): string {
    return execFileSync(GIT, args, {
      cwd,
      env: this.env(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** A repository with one commit (a.txt) at `dir`. */
  init(dir = this.ws): void {
    fs.mkdirSync(dir, { recursive: true });
    this.git(['init', '-q', '-b', 'main'], dir);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'one\n');
    this.git(['add', 'a.txt'], dir);
    this.git(['commit', '-q', '-m', 'one'], dir);
  }

  set(key: string, value: string, dir = this.ws): void {
    this.git(['config', key, value], dir);
  }

  write(rel: string, text: string, mode = 0o644): void {
    const file = path.join(this.ws, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode });
  }

  context(cwd = this.ws): JudgeContext {
    return {
      cwd,
      workspaceRoot: this.ws,
      home: this.home,
      policy: EMPTY_POLICY,
      trusted: true,
      sandbox: true,
    };
  }

  judge(text: string, cwd?: string): Promise<Verdict> {
    return judgeCommand(text, this.context(cwd));
  }

  ran(): boolean {
    return fs.existsSync(this.marker);
  }

  /** Runs real git (optionally on a pty, with NAVI's overrides) and reports whether the marker appeared. */
  run(
    args: string[],
    options: { overrides?: readonly ConfigOverride[]; tty?: boolean; cwd?: string; input?: string } = {},
  ): { ran: boolean; stdout: string; status: number | null } {
    fs.rmSync(this.marker, { force: true });
    const env = this.env(configOverrideEnv(options.overrides) ?? {});
    const r = options.tty
      ? spawnSync('script', ['-qec', [GIT, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], {
          cwd: options.cwd ?? this.ws,
          env: { ...env, TERM: 'xterm' },
          encoding: 'utf8',
          input: '',
        })
      : spawnSync(GIT, args, {
          cwd: options.cwd ?? this.ws,
          env,
          encoding: 'utf8',
          input: options.input ?? '',
          timeout: 20_000,
        });
    const ran = this.ran();
    fs.rmSync(this.marker, { force: true });
    return { ran, stdout: r.stdout ?? '', status: r.status };
  }

  dispose(): void {
    fs.rmSync(this.base, { recursive: true, force: true });
  }
}

const repoAsks = (v: Verdict) => v.rules.some((r) => r.id === 'builtin:repo-config-exec');

interface KeyCase {
  name: string;
  /** Settings (key, value); `SCRIPT` stands for the marker script. */
  config: [string, string][];
  setup?: (m: Machine) => void;
  command: string;
  expect: 'ask' | 'neutralised' | 'allow';
  reason?: RegExp;
  /** Real git: this command runs the script with the repository's settings (and, neutralised, not with NAVI's overrides). */
  proof?: { args: string[]; tty?: boolean; output?: RegExp };
}

const SCRIPT = 'SCRIPT';

/** One or more cases for every row of GIT_EXEC_KEYS (checked below). */
const CASES: KeyCase[] = [
  {
    name: 'core.fsmonitor: git status runs with core.fsmonitor=false',
    config: [['core.fsmonitor', SCRIPT]],
    setup: (m) => m.write('a.txt', 'two\n'),
    command: 'git status --porcelain',
    expect: 'neutralised',
    reason: /^NAVI turns off core\.fsmonitor \(set in \.git\/config\) for this command$/,
    proof: { args: ['status', '--porcelain'], output: /^ M a\.txt$/m },
  },
  {
    name: 'core.fsmonitor = true (git’s own daemon) runs no program',
    config: [['core.fsmonitor', 'true']],
    command: 'git status',
    expect: 'allow',
  },
  {
    name: 'core.hooksPath with a post-index-change hook: git status asks',
    config: [['core.hooksPath', '.githooks']],
    setup: (m) => {
      m.write('.githooks/post-index-change', `#!/bin/sh\nexec ${m.script}\n`, 0o755);
      // Same content, newer time: git status refreshes the index and writes it (the hook runs then).
      const later = new Date(Date.now() + 60_000);
      fs.utimesSync(path.join(m.ws, 'a.txt'), later, later);
    },
    command: 'git status',
    expect: 'ask',
    reason: /core\.hooksPath = \.githooks: git status would run \.githooks\/post-index-change/,
    proof: { args: ['status', '--porcelain'] },
  },
  {
    name: 'core.pager: git log runs with core.pager=cat',
    config: [['core.pager', SCRIPT]],
    command: 'git log -1',
    expect: 'neutralised',
    reason: /NAVI turns off core\.pager \(set in \.git\/config\)/,
    proof: { args: ['log', '-1', '--format=%s'], tty: true, output: /one/ },
  },
  {
    name: 'pager.<cmd>: git log runs with pager.log=false',
    config: [['pager.log', SCRIPT]],
    command: 'git log -1',
    expect: 'neutralised',
    reason: /NAVI turns off pager\.log \(set in \.git\/config\)/,
    proof: { args: ['log', '-1', '--format=%s'], tty: true, output: /one/ },
  },
  {
    name: 'pager.<cmd> for another command does not matter',
    config: [['pager.diff', SCRIPT]],
    command: 'git log -1',
    expect: 'allow',
  },
  {
    name: 'core.editor: git commit without a message asks',
    config: [['core.editor', SCRIPT]],
    command: 'git commit --allow-empty',
    expect: 'ask',
    reason: /\.git\/config sets core\.editor = \.\/\.hooks\/run\.sh: git commit would run it/,
    proof: { args: ['commit', '--allow-empty'] },
  },
  {
    name: 'sequence.editor: git rebase -i asks',
    config: [['sequence.editor', SCRIPT]],
    setup: (m) => m.git(['commit', '-q', '--allow-empty', '-m', 'two']),
    command: 'git rebase -i HEAD~1',
    expect: 'ask',
    reason: /sequence\.editor/,
    proof: { args: ['rebase', '-i', 'HEAD~1'] },
  },
  {
    name: 'core.sshCommand: git fetch asks; git status does not care',
    config: [
      ['core.sshCommand', SCRIPT],
      ['remote.origin.url', 'ssh://git@example.invalid/x.git'],
    ],
    command: 'git fetch origin',
    expect: 'ask',
    reason: /core\.sshcommand = \.\/\.hooks\/run\.sh: git fetch would run it/,
    proof: { args: ['fetch', 'origin'] },
  },
  {
    name: 'core.sshCommand does not affect git status',
    config: [['core.sshCommand', SCRIPT]],
    command: 'git status',
    expect: 'allow',
  },
  {
    name: 'core.sshCommand in a partial clone affects git log -p too (objects are fetched on demand)',
    config: [
      ['core.sshCommand', SCRIPT],
      ['extensions.partialClone', 'origin'],
      ['remote.origin.promisor', 'true'],
    ],
    command: 'git log -p',
    expect: 'ask',
    reason: /core\.sshcommand/,
  },
  {
    name: 'ssh.variant: git push asks',
    config: [['ssh.variant', 'simple']],
    command: 'git push origin main',
    expect: 'ask',
    reason: /ssh\.variant = simple: git push would run ssh as it says/,
  },
  {
    name: 'credential.helper: git fetch asks; an empty helper (a reset) does not',
    config: [
      ['credential.helper', `!${'SCRIPT'}`],
      ['credential.https://example.com.helper', ''],
    ],
    command: 'git fetch',
    expect: 'ask',
    reason: /credential\.helper = !\.\/\.hooks\/run\.sh: git fetch would run it/,
  },
  {
    name: 'remote.<name>.uploadpack: git fetch asks',
    config: [['remote.origin.uploadpack', SCRIPT]],
    setup: (m) => {
      m.init(path.join(m.ws, 'other'));
      m.set('remote.origin.url', path.join(m.ws, 'other'));
    },
    command: 'git fetch origin',
    expect: 'ask',
    reason: /remote\.origin\.uploadpack/,
    proof: { args: ['fetch', 'origin'] },
  },
  {
    name: 'remote.<name>.proxy: git pull asks',
    config: [['remote.origin.proxy', 'http://proxy.invalid:3128']],
    command: 'git pull',
    expect: 'ask',
    reason:
      /remote\.origin\.proxy = http:\/\/proxy\.invalid:3128: git pull would send its traffic through it/,
  },
  {
    name: 'protocol.ext.allow: git fetch asks (ext:: runs a command); never does not',
    config: [
      ['protocol.ext.allow', 'always'],
      ['protocol.fd.allow', 'never'],
      ['remote.origin.url', `ext::sh -c ${'SCRIPT'}`],
    ],
    command: 'git fetch origin',
    expect: 'ask',
    reason: /protocol\.ext\.allow = always: git fetch would allow that transport/,
    proof: { args: ['fetch', 'origin'] },
  },
  {
    name: 'url.<base>.insteadOf: git clone asks',
    config: [['url.ext::sh -c x.insteadOf', 'https://']],
    command: 'git ls-remote https://example.com/x.git',
    expect: 'ask',
    reason: /url\.ext::sh -c x\.insteadof = https:\/\/: git ls-remote would rewrite remote addresses with it/,
  },
  {
    name: 'http.sslVerify: git fetch asks',
    config: [['http.sslVerify', 'false']],
    command: 'git fetch',
    expect: 'ask',
    reason: /http\.sslverify/,
  },
  {
    name: 'core.alternateRefsCommand: git fetch asks',
    config: [['core.alternateRefsCommand', SCRIPT]],
    command: 'git fetch',
    expect: 'ask',
    reason: /core\.alternaterefscommand/,
  },
  {
    name: 'core.worktree outside the workspace asks',
    config: [['core.worktree', '/tmp']],
    command: 'git status',
    expect: 'ask',
    reason: /core\.worktree = \/tmp: git status would work on that folder, outside the workspace/,
  },
  {
    name: 'core.worktree inside the workspace (as submodules have it) does not',
    config: [['core.worktree', '..']],
    command: 'git status',
    expect: 'allow',
  },
  {
    name: 'diff.external: git diff asks',
    config: [['diff.external', SCRIPT]],
    setup: (m) => m.write('a.txt', 'two\n'),
    command: 'git diff',
    expect: 'ask',
    reason: /^\.git\/config sets diff\.external = \.\/\.hooks\/run\.sh: git diff would run it$/,
    proof: { args: ['diff'] },
  },
  {
    name: 'diff.external does not run for git log -p (only with --ext-diff)',
    config: [['diff.external', SCRIPT]],
    setup: (m) => m.git(['commit', '-q', '--allow-empty', '-m', 'two']),
    command: 'git log -p',
    expect: 'allow',
  },
  {
    name: 'diff.<driver>.textconv: git log -p asks and names the attribute',
    config: [['diff.conv.textconv', SCRIPT]],
    setup: (m) => {
      m.write('.gitattributes', '*.txt diff=conv\n');
      m.write('a.txt', 'two\n');
      m.git(['commit', '-q', '-am', 'two']);
    },
    command: 'git log -p',
    expect: 'ask',
    reason:
      /diff\.conv\.textconv = \.\/\.hooks\/run\.sh: git log would run it for files with diff=conv \(\.gitattributes: \*\.txt diff=conv\)/,
    proof: { args: ['log', '-p', '-1'] },
  },
  {
    name: 'diff.<driver>.textconv does not run for git log without a patch',
    config: [['diff.conv.textconv', SCRIPT]],
    setup: (m) => m.write('.gitattributes', '*.txt diff=conv\n'),
    command: 'git log --oneline',
    expect: 'allow',
  },
  {
    name: 'diff.<driver>.command: git diff asks',
    config: [['diff.ext.command', SCRIPT]],
    setup: (m) => {
      m.write('.git/info/attributes', 'a.txt diff=ext\n');
      m.write('a.txt', 'two\n');
    },
    command: 'git diff',
    expect: 'ask',
    reason:
      /diff\.ext\.command = \.\/\.hooks\/run\.sh: git diff would run it for files with diff=ext \(\.git\/info\/attributes: a\.txt diff=ext\)/,
    proof: { args: ['diff'] },
  },
  {
    name: 'merge.<driver>.driver: git merge asks',
    config: [['merge.mine.driver', `${'SCRIPT'} %O %A %B`]],
    setup: (m) => {
      m.write('.gitattributes', 'a.txt merge=mine\n');
      m.git(['add', '.gitattributes']);
      m.git(['commit', '-q', '-m', 'attrs']);
      m.git(['checkout', '-q', '-b', 'other']);
      m.write('a.txt', 'other\n');
      m.git(['commit', '-q', '-am', 'other']);
      m.git(['checkout', '-q', 'main']);
      m.write('a.txt', 'main\n');
      m.git(['commit', '-q', '-am', 'main']);
    },
    command: 'git merge other',
    expect: 'ask',
    reason: /merge\.mine\.driver = .*: git merge would run it for files with merge=mine/,
    proof: { args: ['merge', '-q', '--no-edit', 'other'] },
  },
  {
    name: 'filter.<driver>.clean: git add (allowed otherwise) asks',
    config: [['filter.x.clean', SCRIPT]],
    setup: (m) => {
      m.write('.gitattributes', '*.txt filter=x\n');
      m.write('a.txt', 'two\n');
    },
    command: 'git add a.txt',
    expect: 'ask',
    reason: /filter\.x\.clean = \.\/\.hooks\/run\.sh: git add would run it for files with filter=x/,
    proof: { args: ['add', 'a.txt'] },
  },
  {
    name: 'filter.<driver>.process: git status asks',
    config: [['filter.x.process', SCRIPT]],
    command: 'git status',
    expect: 'ask',
    reason:
      /filter\.x\.process = \.\/\.hooks\/run\.sh: git status would run it for files whose attributes select filter=x/,
  },
  {
    name: "git-lfs's standard filter runs a system tool: git status stays allowed",
    config: [
      ['filter.lfs.clean', 'git-lfs clean -- %f'],
      ['filter.lfs.smudge', 'git-lfs smudge -- %f'],
      ['filter.lfs.process', 'git-lfs filter-process'],
      ['filter.lfs.required', 'true'],
    ],
    command: 'git status',
    expect: 'allow',
  },
  {
    name: 'alias.<name> with !: git st asks',
    config: [['alias.st', `!${'SCRIPT'}`]],
    command: 'git st',
    expect: 'ask',
    reason: /^\.git\/config sets alias\.st = !\.\/\.hooks\/run\.sh: git st would run it as a shell command$/,
    proof: { args: ['st'] },
  },
  {
    name: 'alias.<name> without !: its expansion is judged as git',
    config: [
      ['alias.lg', 'log --oneline --ext-diff -p'],
      ['diff.external', SCRIPT],
    ],
    command: 'git lg',
    expect: 'ask',
    reason: /diff\.external = \.\/\.hooks\/run\.sh: git log would run it/,
  },
  {
    name: 'gpg.program: git commit -S asks',
    config: [['gpg.program', SCRIPT]],
    command: 'git commit -S -m signed',
    expect: 'ask',
    reason: /gpg\.program = \.\/\.hooks\/run\.sh: git commit would run it/,
    proof: { args: ['commit', '--allow-empty', '-S', '-m', 'signed'] },
  },
  {
    name: 'gpg.program: git log runs with log.showSignature=false',
    config: [
      ['gpg.program', SCRIPT],
      ['log.showSignature', 'true'],
    ],
    setup: (m) => fakeSignedCommit(m),
    command: 'git log -1',
    expect: 'neutralised',
    reason:
      /^NAVI turns off log\.showSignature for this command, so that git log does not run gpg\.program \(set in \.git\/config\)$/,
    proof: { args: ['log', '-1', '--format=%s'], output: /signed/ },
  },
  {
    name: 'gpg.ssh.defaultKeyCommand: git log --show-signature asks',
    config: [['gpg.ssh.defaultKeyCommand', SCRIPT]],
    command: 'git log --show-signature',
    expect: 'ask',
    reason: /gpg\.ssh\.defaultkeycommand/,
  },
  {
    name: 'gpg.program: a %G format asks',
    config: [['gpg.program', SCRIPT]],
    command: "git log --format='%G? %s'",
    expect: 'ask',
    reason: /gpg\.program/,
  },
  {
    name: 'sendemail.*: git send-email (denied anyway) also names the setting',
    config: [['sendemail.smtpServer', SCRIPT]],
    command: 'git send-email HEAD~1',
    expect: 'ask',
    reason: /sendemail\.smtpserver/,
  },
  {
    name: 'imap.tunnel: git imap-send asks',
    config: [['imap.tunnel', SCRIPT]],
    command: 'git imap-send',
    expect: 'ask',
    reason: /imap\.tunnel/,
  },
  {
    name: 'uploadpack.packObjectsHook is ignored in a repository (git honours it only outside)',
    config: [['uploadpack.packObjectsHook', SCRIPT]],
    command: 'git status',
    expect: 'allow',
  },
  {
    name: 'include.path is followed: an included core.fsmonitor is turned off too',
    config: [['include.path', '../extra.cfg']],
    setup: (m) => m.write('extra.cfg', `[core]\n\tfsmonitor = ${m.script}\n`),
    command: 'git status',
    expect: 'neutralised',
    reason:
      /^NAVI turns off core\.fsmonitor \(set in extra\.cfg \(included from \.git\/config\)\) for this command$/,
    proof: { args: ['status', '--porcelain'] },
  },
  {
    name: 'includeIf.<condition>.path is followed whatever the condition',
    config: [['includeIf.onbranch:main.path', '../extra.cfg']],
    setup: (m) => m.write('extra.cfg', `[diff]\n\texternal = ${m.script}\n`),
    command: 'git diff',
    expect: 'ask',
    reason:
      /^extra\.cfg \(included from \.git\/config\) sets diff\.external = \.\/\.hooks\/run\.sh: git diff would run it$/,
  },
  {
    name: 'man.*: git status --help asks (it runs the manual viewer)',
    config: [
      ['man.viewer', 'mk'],
      ['man.mk.cmd', SCRIPT],
    ],
    command: 'git status --help',
    expect: 'ask',
    reason: /man\.mk\.cmd = \.\/\.hooks\/run\.sh: git help would run it/,
    proof: { args: ['help', '-m', 'status'] },
  },
  {
    name: 'instaweb.*: git instaweb asks',
    config: [['instaweb.httpd', SCRIPT]],
    command: 'git instaweb',
    expect: 'ask',
    reason: /instaweb\.httpd/,
  },
  {
    name: 'difftool.*: git difftool asks',
    config: [
      ['diff.tool', 'mk'],
      ['difftool.mk.cmd', SCRIPT],
    ],
    setup: (m) => m.write('a.txt', 'two\n'),
    command: 'git difftool -y',
    expect: 'ask',
    reason: /difftool\.mk\.cmd = \.\/\.hooks\/run\.sh: git difftool would run it/,
    proof: { args: ['difftool', '-y'] },
  },
  {
    name: 'mergetool.*: git mergetool asks',
    config: [['mergetool.mk.cmd', SCRIPT]],
    command: 'git mergetool',
    expect: 'ask',
    reason: /mergetool\.mk\.cmd/,
  },
  {
    name: 'guitool.*: git citool asks',
    config: [['guitool.x.cmd', SCRIPT]],
    command: 'git citool',
    expect: 'ask',
    reason: /guitool\.x\.cmd/,
  },
  {
    name: 'interactive.diffFilter: git add -p asks',
    config: [['interactive.diffFilter', SCRIPT]],
    command: 'git add -p',
    expect: 'ask',
    reason: /interactive\.difffilter/,
  },
  {
    name: 'trailer.<token>.command: git interpret-trailers (allowed otherwise) asks',
    config: [['trailer.sign.command', SCRIPT]],
    command: "git interpret-trailers --trailer 'sign: x'",
    expect: 'ask',
    reason: /trailer\.sign\.command = \.\/\.hooks\/run\.sh: git interpret-trailers would run it/,
    proof: { args: ['interpret-trailers', '--trailer', 'sign: x'] },
  },
  {
    name: 'safe.directory is ignored in a repository',
    config: [['safe.directory', '*']],
    command: 'git status',
    expect: 'allow',
  },
  {
    name: 'receive.procReceiveRefs: git receive-pack asks',
    config: [['receive.procReceiveRefs', 'refs/for']],
    command: 'git receive-pack .',
    expect: 'ask',
    reason: /receive\.procreceiverefs/,
  },
  {
    name: 'submodule.<name>.update = !command: git submodule update asks',
    config: [['submodule.lib.update', `!${'SCRIPT'}`]],
    command: 'git submodule update',
    expect: 'ask',
    reason: /submodule\.lib\.update = !\.\/\.hooks\/run\.sh: git submodule would run it/,
  },
  {
    name: 'init.templateDir: git init asks',
    config: [['init.templateDir', '/tmp/templates']],
    command: 'git init',
    expect: 'ask',
    reason: /init\.templatedir/,
  },
  {
    name: 'lfs.customtransfer.<name>.path: git status asks',
    config: [['lfs.customtransfer.x.path', SCRIPT]],
    command: 'git status',
    expect: 'ask',
    reason: /lfs\.customtransfer\.x\.path/,
  },
];

/** A commit "signed" by a fake gpg that writes no marker (so only verification runs the script). */
function fakeSignedCommit(m: Machine): void {
  const signer = path.join(m.base, 'sign.sh');
  fs.writeFileSync(
    signer,
    "#!/bin/sh\ncat > /dev/null\necho '[GNUPG:] SIG_CREATED D 1 8 00 1 X' >&2\nprintf -- '-----BEGIN PGP SIGNATURE-----\\n\\nAAAA\\n-----END PGP SIGNATURE-----\\n'\n",
    { mode: 0o755 },
  );
  m.git(['-c', `gpg.program=${signer}`, 'commit', '-q', '--allow-empty', '-S', '-m', 'signed']);
}

function configure(m: Machine, c: KeyCase): void {
  for (const [key, value] of c.config) m.set(key, value.replace('SCRIPT', m.script));
}

describe('exec: the repository’s own git configuration (.git/config)', function () {
  this.timeout(60_000);
  let m: Machine;
  beforeEach(() => {
    clearConfigCache();
    m = new Machine();
    m.init();
  });
  afterEach(() => m.dispose());

  describe('every key family, with real repositories', () => {
    for (const c of CASES)
      it(c.name, async function () {
        if (c.proof?.tty && !hasScript) this.skip();
        c.setup?.(m);
        configure(m, c);
        const v = await m.judge(c.command);
        const why = `${c.command}: ${v.verdict} ${JSON.stringify(v.reasons)}`;
        if (c.expect === 'ask') {
          assert.notEqual(v.verdict, 'allow', why);
          assert.ok(repoAsks(v), `repo-config-exec should fire: ${why}`);
          assert.equal(v.risk, 'high', why);
        } else if (c.expect === 'neutralised') {
          assert.equal(v.verdict, 'allow', why);
          assert.ok(!repoAsks(v), why);
          assert.ok((v.configOverrides ?? []).length > 0, `overrides expected: ${why}`);
        } else {
          assert.equal(v.verdict, 'allow', why);
          assert.equal(v.configOverrides, undefined, why);
        }
        if (c.reason)
          assert.ok(
            v.reasons.some((r) => c.reason!.test(r)),
            `no reason matches ${c.reason}: ${why}`,
          );
        assert.doesNotThrow(() => Verdict.parse(v));
        if (!c.proof) return;
        // Real git runs the script with these settings: the judge is right to care.
        const plain = m.run(c.proof.args, { tty: c.proof.tty });
        assert.ok(plain.ran, `git ${c.proof.args.join(' ')} should run the script: ${plain.stdout}`);
        if (c.expect !== 'neutralised') return;
        // With NAVI's overrides it does not, and the command still does its job.
        const safe = m.run(c.proof.args, { tty: c.proof.tty, overrides: v.configOverrides });
        assert.equal(safe.ran, false, `with ${JSON.stringify(v.configOverrides)} nothing may run`);
        assert.equal(safe.status, 0);
        if (c.proof.output) assert.match(safe.stdout, c.proof.output);
      });
  });

  it('covers every key pattern of the table with at least one case', () => {
    const covered = new Set<GitExecKey>();
    for (const c of CASES)
      for (const [key] of c.config) {
        const row = execKeyFor(key);
        if (row) covered.add(row);
      }
    const missing = GIT_EXEC_KEYS.filter((k) => !covered.has(k)).map((k) => k.key);
    assert.deepEqual(missing, [], 'rows without a case');
  });

  describe('husky and hooks', () => {
    const husky = () => {
      m.set('core.hooksPath', '.husky/_');
      for (const hook of ['pre-commit', 'commit-msg', 'pre-push', 'post-checkout', 'post-merge'])
        m.write(`.husky/_/${hook}`, `#!/bin/sh\n. "$(dirname "$0")/h"\n`, 0o755);
      m.write('.husky/_/h', '#!/bin/sh\n', 0o755);
    };

    it("husky's core.hooksPath=.husky/_ leaves git status, git diff and git log allowed", async () => {
      husky();
      for (const command of ['git status', 'git diff', 'git log --oneline -5', 'git show HEAD']) {
        const v = await m.judge(command);
        assert.equal(v.verdict, 'allow', `${command}: ${v.reasons.join(' | ')}`);
        assert.deepEqual(v.reasons, []);
      }
    });

    it('git commit in a husky repository names the hooks it would run', async () => {
      husky();
      const v = await m.judge('git commit -m x');
      assert.equal(v.verdict, 'ask');
      assert.ok(
        v.reasons.includes(
          '.git/config sets core.hooksPath = .husky/_: git commit would run .husky/_/pre-commit, .husky/_/commit-msg',
        ),
        v.reasons.join(' | '),
      );
    });

    it('a post-index-change hook in .git/hooks asks for git status; a .sample file does not', async () => {
      m.write('.git/hooks/post-index-change.sample', '#!/bin/sh\n', 0o755);
      assert.equal((await m.judge('git status')).verdict, 'allow');
      m.write('.git/hooks/post-index-change', `#!/bin/sh\nexec ${m.script}\n`, 0o755);
      const v = await m.judge('git status');
      assert.equal(v.verdict, 'ask');
      assert.deepEqual(v.reasons, [
        "git status would run the repository's hook .git/hooks/post-index-change",
      ]);
      // A hook without the execute bit does not run.
      fs.chmodSync(path.join(m.ws, '.git/hooks/post-index-change'), 0o644);
      assert.equal((await m.judge('git status')).verdict, 'allow');
    });
  });

  describe('which repository, which files', () => {
    it('follows cd steps, git -C and a nested repository', async () => {
      m.init(path.join(m.ws, 'sub'));
      m.set('diff.external', m.script, path.join(m.ws, 'sub'));
      assert.equal((await m.judge('git diff')).verdict, 'allow', 'the outer repository is clean');
      for (const command of ['cd sub && git diff', 'git -C sub diff', 'git --git-dir=sub/.git diff']) {
        const v = await m.judge(command);
        assert.equal(v.verdict, 'ask', command);
        assert.ok(
          v.reasons.some((r) => r.startsWith('sub/.git/config sets diff.external')),
          command,
        );
      }
      const inSub = await m.judge('git diff', path.join(m.ws, 'sub', 'x'));
      assert.ok(repoAsks(inSub), 'from a folder below the nested repository');
    });

    it('asks when the folder git runs in is only known when it runs', async () => {
      const v = await m.judge('cd "$DIR" && git status');
      assert.equal(v.verdict, 'ask');
      assert.ok(
        v.reasons.some((r) =>
          /only known when it runs, so NAVI cannot read that repository's settings/.test(r),
        ),
      );
    });

    it('reads a linked worktree: the common config and its config.worktree', async () => {
      const wt = path.join(m.ws, 'wt');
      m.git(['worktree', 'add', '-q', wt, '-b', 'wt']);
      m.set('core.fsmonitor', m.script);
      let v = await m.judge('git status', wt);
      assert.deepEqual(
        v.configOverrides?.map((o) => o.key),
        ['core.fsmonitor'],
      );
      assert.ok(v.reasons.includes('NAVI turns off core.fsmonitor (set in .git/config) for this command'));
      m.set('extensions.worktreeConfig', 'true');
      m.git(['config', '--worktree', 'diff.external', m.script], wt);
      v = await m.judge('git diff', wt);
      assert.equal(v.verdict, 'ask');
      assert.ok(
        v.reasons.some((r) => r.startsWith('.git/worktrees/wt/config.worktree sets diff.external')),
        v.reasons.join(' | '),
      );
      // Only the worktree that sets it.
      assert.equal((await m.judge('git diff')).verdict, 'allow');
    });

    it('reads the configuration of submodule repositories', async () => {
      const lib = path.join(m.base, 'libsrc');
      m.init(lib);
      m.git(['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', lib, 'lib']);
      m.set('filter.x.clean', m.script, path.join(m.ws, 'lib'));
      const v = await m.judge('git status');
      assert.equal(v.verdict, 'ask');
      assert.ok(
        v.reasons.some((r) => r.startsWith('.git/modules/lib/config sets filter.x.clean')),
        v.reasons.join(' | '),
      );
    });

    it('finds a bare repository in the workspace the way git does', async () => {
      const bare = path.join(m.ws, 'evil.git');
      m.git(['init', '-q', '--bare', bare]);
      m.set('alias.st', `!${m.script}`, bare);
      const v = await m.judge('cd evil.git && git st');
      assert.equal(v.verdict, 'ask');
      assert.ok(
        v.reasons.some((r) => r.startsWith('evil.git/config sets alias.st')),
        v.reasons.join(' | '),
      );
    });

    it('asks when git cannot parse the configuration, and says so', async () => {
      fs.appendFileSync(path.join(m.ws, '.git/config'), '[core\n\tbroken');
      const v = await m.judge('git status');
      assert.equal(v.verdict, 'ask');
      assert.ok(
        v.reasons.some((r) =>
          /^NAVI cannot check \.git\/config: git cannot read it \(bad config line \d+\)/.test(r),
        ),
        v.reasons.join(' | '),
      );
    });

    it('reads each file once and again only when it changes (stat cache)', async () => {
      m.set('core.fsmonitor', m.script);
      await m.judge('git status');
      const runs = configReadStats.gitRuns;
      for (let i = 0; i < 20; i++) await m.judge('git status');
      assert.equal(configReadStats.gitRuns, runs, 'no git run while nothing changed');
      m.set('diff.external', m.script);
      const v = await m.judge('git diff');
      assert.ok(configReadStats.gitRuns > runs, 'the changed file is read again');
      assert.ok(repoAsks(v));
    });

    it('never shows the values of a file the policy hides, nor credentials in keys', async () => {
      m.set('include.path', '../secret.cfg');
      m.write('secret.cfg', '[diff]\n\texternal = ./.hooks/run.sh --password=hunter2\n');
      const ctx = { ...m.context(), policy: { ...EMPTY_POLICY, hiddenPaths: ['secret.cfg'] } };
      const v = await judgeCommand('git diff', ctx);
      assert.ok(
        v.reasons.includes(
          'secret.cfg (included from .git/config) sets diff.external = (hidden by the policy): git diff would run it',
        ),
        v.reasons.join(' | '),
      );
      m.set(`url.https://dev:ghp_${'b'.repeat(36)}@github.com/.insteadOf`, 'https://github.com/');
      const fetch = await m.judge('git fetch');
      assert.ok(
        fetch.reasons.some((r) => r.includes('insteadof')),
        fetch.reasons.join(' | '),
      );
      assert.ok(!fetch.reasons.some((r) => r.includes('ghp_bbbb')), fetch.reasons.join(' | '));
    });

    it('shows long values shortened and secrets redacted', async () => {
      m.set('credential.helper', `!f() { echo password=ghp_${'a'.repeat(36)}; }; f ${'x'.repeat(100)}`);
      const v = await m.judge('git fetch');
      const reason = v.reasons.find((r) => r.includes('credential.helper'))!;
      assert.ok(reason, v.reasons.join(' | '));
      assert.ok(!reason.includes('ghp_aaaa'), reason);
      assert.ok(reason.includes('…'), reason);
    });
  });

  describe('turning settings off', () => {
    beforeEach(() => m.set('core.fsmonitor', m.script));

    for (const command of [
      'unset GIT_CONFIG_COUNT; git status',
      'env -i PATH=/usr/bin:/bin git status',
      'env -u GIT_CONFIG_COUNT git status',
      'exec -c git status',
    ])
      it(`cannot when the text changes git's environment: ${command}`, async () => {
        const v = await m.judge(command);
        assert.notEqual(v.verdict, 'allow');
        assert.equal(v.configOverrides, undefined);
        assert.ok(
          v.reasons.some((r) =>
            /^\.git\/config sets core\.fsmonitor = \.\/\.hooks\/run\.sh: git status would run it \(NAVI cannot turn it off: /.test(
              r,
            ),
          ),
          v.reasons.join(' | '),
        );
      });

    it('carries the overrides of every node, once, and none for a denied command', async () => {
      const v = await m.judge('git status && git log -1 | cat');
      assert.deepEqual(v.configOverrides, [
        {
          key: 'core.fsmonitor',
          value: 'false',
          reason: 'NAVI turns off core.fsmonitor (set in .git/config) for this command',
        },
      ]);
      const denied = await m.judge('git status && sudo true');
      assert.equal(denied.verdict, 'deny');
      assert.equal(denied.configOverrides, undefined);
    });

    it('merges the overrides with a task’s own variables (GIT_CONFIG_COUNT counts them all)', () => {
      const env = configOverrideEnv(
        [
          { key: 'core.fsmonitor', value: 'false' },
          { key: 'core.pager', value: 'cat' },
        ],
        {
          GIT_CONFIG_COUNT: '1',
          GIT_CONFIG_KEY_0: 'color.ui',
          GIT_CONFIG_VALUE_0: 'never',
          FORCE_COLOR: '0',
        },
      );
      assert.deepEqual(env, {
        FORCE_COLOR: '0',
        GIT_CONFIG_COUNT: '3',
        GIT_CONFIG_KEY_0: 'color.ui',
        GIT_CONFIG_VALUE_0: 'never',
        GIT_CONFIG_KEY_1: 'core.fsmonitor',
        GIT_CONFIG_VALUE_1: 'false',
        GIT_CONFIG_KEY_2: 'core.pager',
        GIT_CONFIG_VALUE_2: 'cat',
      });
      assert.equal(configOverrideEnv(undefined), undefined);
      assert.deepEqual(configOverrideEnv([], { A: '1' }), { A: '1' });
    });

    it('an old verdict without configOverrides still parses', () => {
      const v = Verdict.parse({
        verdict: 'allow',
        reasons: [],
        rules: [],
        commands: [],
        risk: 'low',
        network: false,
      });
      assert.equal(v.configOverrides, undefined);
    });
  });

  it('docs/policy.md "Repository configuration": the example verdicts are exactly what NAVI says', async () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../../docs/policy.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Repository configuration'), doc.indexOf('\n## Detectors'));
    const ini = /```ini\n([\s\S]*?)```/.exec(section)?.[1];
    const text = /```text\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(ini && text, 'the section has an ```ini and a ```text block');
    fs.appendFileSync(path.join(m.ws, '.git/config'), ini);
    const examples: { command: string; verdict: string; reasons: string[] }[] = [];
    for (const line of text.trimEnd().split('\n')) {
      const head = /^(git .+): (allow|ask|deny)$/.exec(line);
      if (head) examples.push({ command: head[1]!, verdict: head[2]!, reasons: [] });
      else examples.at(-1)!.reasons.push(line.trim());
    }
    assert.ok(examples.length >= 2);
    for (const e of examples) {
      const v = await m.judge(e.command);
      assert.equal(v.verdict, e.verdict, e.command);
      assert.deepEqual(v.reasons, e.reasons, e.command);
    }
    // And the table lists every key of the table in the code.
    const keys = section
      .slice(0, section.indexOf('### Example'))
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => l.split('|')[1]!.trim().replace(/`/g, ''));
    assert.deepEqual(new Set(keys), new Set(GIT_EXEC_KEYS.map((k) => k.key)));
  });
});

describe('exec: other tools’ settings files in the workspace', () => {
  let m: Machine;
  beforeEach(() => {
    clearConfigCache();
    m = new Machine();
    m.write('package.json', JSON.stringify({ name: 'x', scripts: { test: 'echo ok' } }));
  });
  afterEach(() => m.dispose());

  const cases: {
    name: string;
    files: Record<string, string>;
    command: string;
    reason: RegExp;
    clean?: string;
  }[] = [
    {
      name: 'Yarn Berry yarnPath: even yarn --version asks',
      files: { '.yarnrc.yml': 'yarnPath: .yarn/releases/yarn-evil.cjs\n' },
      command: 'yarn --version',
      reason: /^\.yarnrc\.yml sets yarnPath = \.yarn\/releases\/yarn-evil\.cjs: yarn would run it/,
    },
    {
      name: 'Yarn Berry plugins: yarn test asks',
      files: { '.yarnrc.yml': 'plugins:\n  - path: .yarn/plugins/x.cjs\n' },
      command: 'yarn test',
      reason: /\.yarnrc\.yml sets plugins/,
    },
    {
      name: 'yarn classic yarn-path',
      files: { '.yarnrc': 'yarn-path "./evil.js"\n' },
      command: 'yarn list',
      reason: /\.yarnrc sets yarn-path = \.\/evil\.js: yarn list would run it/,
    },
    {
      name: '.npmrc script-shell: npm test asks',
      files: { '.npmrc': 'script-shell=./evil.sh\n' },
      command: 'npm test',
      reason: /^\.npmrc sets script-shell = \.\/evil\.sh: npm test would run its scripts with it$/,
      clean: 'npm ls',
    },
    {
      name: '.npmrc node-options: npm run asks',
      files: { '.npmrc': 'node-options="--require ./evil.js"\n' },
      command: 'npm run test',
      reason: /\.npmrc sets node-options = --require \.\/evil\.js/,
    },
    {
      name: '.npmrc browser: npm help asks',
      files: { '.npmrc': 'viewer=browser\nbrowser=./evil.sh\n' },
      command: 'npm help install',
      reason: /\.npmrc sets browser = \.\/evil\.sh: npm help would open the documentation with it/,
    },
    {
      name: '.npmrc userconfig: every npm command asks',
      files: { '.npmrc': 'userconfig=./other.npmrc\n' },
      command: 'npm ls',
      reason: /\.npmrc sets userconfig/,
    },
    {
      name: '.pnpmfile.cjs: pnpm ls asks',
      files: { '.pnpmfile.cjs': 'module.exports = {}\n' },
      command: 'pnpm ls',
      reason: /^\.pnpmfile\.cjs is in the workspace: pnpm ls would load and run it/,
    },
    {
      name: 'pnpm-workspace.yaml scriptShell: pnpm test asks',
      files: { 'pnpm-workspace.yaml': 'packages: []\nscriptShell: ./evil.sh\n' },
      command: 'pnpm test',
      reason: /pnpm-workspace\.yaml sets scriptShell = \.\/evil\.sh/,
    },
    {
      name: '.cargo/config.toml alias for cargo fmt',
      files: { '.cargo/config.toml': '[alias]\nfmt = "run --bin evil"\n' },
      command: 'cargo fmt --check',
      reason: /\.cargo\/config\.toml sets alias\.fmt = "run --bin evil": cargo fmt would run that instead/,
    },
    {
      name: 'rust-toolchain.toml path: cargo version asks',
      files: { 'rust-toolchain.toml': '[toolchain]\npath = "./toolchain"\n' },
      command: 'cargo version',
      reason: /rust-toolchain\.toml sets path = "\.\/toolchain": cargo would run the cargo of that toolchain/,
    },
  ];

  for (const c of cases)
    it(c.name, async () => {
      const before = await m.judge(c.clean ?? c.command);
      for (const [rel, text] of Object.entries(c.files)) m.write(rel, text);
      const v = await m.judge(c.command);
      assert.notEqual(v.verdict, 'allow', `${c.command}: ${v.reasons.join(' | ')}`);
      assert.ok(repoAsks(v));
      assert.ok(
        v.reasons.some((r) => c.reason.test(r)),
        v.reasons.join(' | '),
      );
      if (c.clean)
        assert.equal((await m.judge(c.clean)).verdict, before.verdict, `${c.clean} is not affected`);
    });

  it('ordinary settings files change nothing', async () => {
    m.write('.npmrc', 'registry=https://registry.npmjs.org/\nsave-exact=true\n');
    m.write('.yarnrc.yml', 'nodeLinker: node-modules\nenableTelemetry: false\n');
    m.write(
      '.cargo/config.toml',
      '[alias]\nxtask = "run --package xtask --"\n[build]\nrustc-wrapper = "sccache"\n',
    );
    m.write('rust-toolchain.toml', '[toolchain]\nchannel = "1.80"\n');
    for (const command of ['npm test', 'npm ls', 'yarn --version', 'cargo fmt --check', 'cargo version'])
      assert.ok(!repoAsks(await m.judge(command)), command);
  });
});
