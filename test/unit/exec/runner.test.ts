import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type RunRequest, type RunResult, runCommand } from '../../../server/exec/runner';
import { fakeSecrets, tempDir } from '../../fixtures/builders';
import { liveProcesses, uniqueSleep, waitFor } from '../../fixtures/processes';

// The runner outside the sandbox: process groups, timeouts, cancellation, streaming, redaction.
// The same behaviour inside bubblewrap is covered by test/integration/sandbox.test.ts.

const linux = process.platform === 'linux';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe('exec/runner (without sandbox)', () => {
  let root: string;
  let ws: string;
  let logDir: string;
  beforeEach(() => {
    root = tempDir('navi-run-');
    ws = path.join(root, 'ws');
    logDir = path.join(root, 'logs');
    fs.mkdirSync(ws);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const request = (command: string, extra: Partial<RunRequest> = {}): RunRequest => ({
    command,
    cwd: ws,
    workspaceRoot: ws,
    timeoutMs: 20_000,
    network: false,
    protectedPaths: [],
    hiddenPaths: [],
    sandbox: false,
    env: { PATH: process.env.PATH, HOME: root, LANG: 'C.UTF-8' },
    logDir,
    ...extra,
  });
  const collect = () => {
    const chunks: Array<{ chunk: string; stream: string }> = [];
    return {
      chunks,
      onOutput: (chunk: string, stream: string) => void chunks.push({ chunk, stream }),
      text: (stream?: string) =>
        chunks
          .filter((c) => !stream || c.stream === stream)
          .map((c) => c.chunk)
          .join(''),
    };
  };

  it('runs the text with bash as an argv, streams stdout and stderr, and reports the exit code', async () => {
    const out = collect();
    const result = await runCommand(request(`printf '%s\\n' "a  b" '$HOME' "it's"; echo oops >&2; exit 7`), {
      signal: new AbortController().signal,
      onOutput: out.onOutput,
    });
    assert.equal(result.exitCode, 7);
    assert.equal(result.signal, null);
    assert.deepEqual([result.timedOut, result.cancelled, result.sandboxed], [false, false, false]);
    assert.equal(out.text('stdout'), "a  b\n$HOME\nit's\n", 'quoting survives: no second shell');
    assert.equal(out.text('stderr'), 'oops\n');
    const log = fs.readFileSync(result.logFile);
    assert.equal(path.dirname(result.logFile), logDir);
    assert.equal(fs.statSync(result.logFile).mode & 0o777, 0o600);
    assert.equal(log.length, result.output.bytes);
    assert.equal(result.output.sha256, sha256(log));
    assert.equal(result.output.head + result.output.tail, log.toString());
    assert.equal(result.output.truncated, false);
  });

  it('runs in the requested folder inside the workspace and refuses one outside', async () => {
    fs.mkdirSync(path.join(ws, 'sub'));
    const out = collect();
    await runCommand(request('pwd', { cwd: 'sub' }), {
      signal: new AbortController().signal,
      onOutput: out.onOutput,
    });
    assert.equal(out.text(), path.join(ws, 'sub') + '\n');
    await assert.rejects(
      runCommand(request('pwd', { cwd: root }), { signal: new AbortController().signal }),
      /outside/,
    );
    await assert.rejects(runCommand(request('  '), { signal: new AbortController().signal }), /empty/);
    await assert.rejects(
      runCommand(request('true', { timeoutMs: 0 }), { signal: new AbortController().signal }),
      /timeoutMs/,
    );
  });

  it('never passes tokens or exec-capable variables to the command', async () => {
    fs.writeFileSync(path.join(root, 'evil.sh'), 'echo PWNED-BY-BASH_ENV\n');
    const out = collect();
    const result = await runCommand(
      request('env; echo done', {
        env: {
          PATH: process.env.PATH,
          HOME: root,
          GITHUB_TOKEN: fakeSecrets.githubToken(),
          AWS_SECRET_ACCESS_KEY: fakeSecrets.awsSecretAccessKey(),
          LD_PRELOAD: '/nonexistent/evil.so',
          BASH_ENV: path.join(root, 'evil.sh'),
          NODE_OPTIONS: '--require /nonexistent/evil.js',
          GIT_SSH_COMMAND: 'evil',
        },
      }),
      { signal: new AbortController().signal, onOutput: out.onOutput },
    );
    assert.equal(result.exitCode, 0);
    const text = out.text();
    assert.match(text, /^PATH=/m);
    assert.match(text, /done\n$/);
    for (const name of [
      'GITHUB_TOKEN',
      'AWS_SECRET',
      'LD_PRELOAD',
      'BASH_ENV',
      'NODE_OPTIONS',
      'GIT_SSH',
      'PWNED',
    ]) {
      assert.ok(!text.includes(name), name);
    }
  });

  it('redacts secrets in the streamed chunks, the log file, and the head and tail', async () => {
    const password = 'Zq9xW8vU7tS6-db-password';
    fs.writeFileSync(path.join(ws, '.env'), `DB_PASSWORD=${password}\nNODE_ENV=production\n`);
    const token = fakeSecrets.githubToken();
    const out = collect();
    const result = await runCommand(
      request(
        [
          `echo "token ${token}"`,
          'cat .env',
          'seq 1 3000',
          // the same value in two writes
          `printf '%s' '${password.slice(0, 9)}'`,
          `printf '%s\\n' '${password.slice(9)}'`,
          `echo "url https://bob:${password}@db.internal/app"`,
        ].join('; '),
        { maxKeptBytes: 200 },
      ),
      { signal: new AbortController().signal, onOutput: out.onOutput },
    );
    assert.equal(result.exitCode, 0);
    assert.equal(result.output.truncated, true);
    const log = fs.readFileSync(result.logFile, 'utf8');
    for (const [where, text] of [
      ['onOutput', out.text()],
      ['log', log],
      ['head', result.output.head],
      ['tail', result.output.tail],
    ]) {
      assert.ok(!text!.includes(token.slice(4)), `${where}: token`);
      assert.ok(!text!.includes(password), `${where}: password`);
      assert.ok(!text!.includes(password.slice(9)), `${where}: the second half of the password`);
    }
    assert.match(result.output.head, /^token ghp_\*+\nDB_PASSWORD=\*+\nNODE_ENV=production\n/);
    assert.match(result.output.tail, /\n\*+\nurl https:\/\/bob:\*+@db\.internal\/app\n$/);
    assert.equal(log, out.text(), 'the log holds what was streamed');
  });

  it('keeps only the head and the tail of long output, and the whole (redacted) output in the log', async () => {
    const result = await runCommand(request('seq 1 100000', { maxKeptBytes: 1000 }), {
      signal: new AbortController().signal,
    });
    const expected = Array.from({ length: 100_000 }, (_, i) => `${i + 1}\n`).join('');
    assert.equal(result.output.bytes, expected.length);
    assert.equal(result.output.head, expected.slice(0, 1000));
    assert.equal(result.output.tail, expected.slice(-1000));
    assert.equal(result.output.truncated, true);
    assert.equal(result.output.sha256, sha256(expected));
    assert.equal(fs.readFileSync(result.logFile, 'utf8'), expected);
  });

  it('applies backpressure: while onOutput is busy the command blocks on a full pipe', async function () {
    if (!linux) this.skip();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let pid = 0;
    let delivered = 0;
    let active = 0;
    let overlapped = false;
    const running = runCommand(request('echo pid=$$; exec head -c 8000000 /dev/zero'), {
      signal: new AbortController().signal,
      onOutput: async (chunk) => {
        if (active++ > 0) overlapped = true;
        delivered += chunk.length;
        const m = /pid=(\d+)/.exec(chunk);
        if (m) {
          pid = Number(m[1]);
          await gate;
        }
        active--;
      },
    });
    await waitFor(() => pid > 0, 'the first chunk');
    const blocked = (): boolean => {
      try {
        const wchan = fs.readFileSync(`/proc/${pid}/wchan`, 'utf8');
        const syscall = fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0];
        return /pipe_write/.test(wchan) || (process.arch === 'x64' && syscall === '1');
      } catch {
        return false;
      }
    };
    await waitFor(blocked, 'the command to block writing to the pipe');
    assert.ok(delivered < 100, `nothing more was handed over meanwhile (${delivered})`);
    release();
    const result = await running;
    assert.equal(result.exitCode, 0);
    assert.equal(result.output.bytes, `pid=${pid}\n`.length + 8_000_000);
    assert.equal(delivered, result.output.bytes);
    assert.equal(overlapped, false, 'onOutput calls never overlap');
  });

  it('stops the command and rejects when onOutput throws', async function () {
    if (!linux) this.skip();
    const tag = uniqueSleep();
    await assert.rejects(
      runCommand(request(`echo start; sleep ${tag}`), {
        signal: new AbortController().signal,
        onOutput: () => {
          throw new Error('the panel went away');
        },
      }),
      /the panel went away/,
    );
    assert.deepEqual(liveProcesses(tag), []);
  });

  for (const [label, command] of [
    ['a pipeline', (t: string) => `sleep ${t} | sleep ${t}`],
    ['a nested shell with a background job', (t: string) => `bash -c 'sleep ${t} & sleep ${t}'`],
  ] as const) {
    it(`cancelling stops ${label} and everything in it`, async function () {
      if (!linux) this.skip();
      const tag = uniqueSleep();
      const controller = new AbortController();
      const running = runCommand(request(command(tag)), { signal: controller.signal });
      await waitFor(() => liveProcesses(tag, 'sleep').length === 2, 'both sleeps');
      controller.abort();
      const result = await running;
      assert.equal(result.cancelled, true);
      assert.equal(result.timedOut, false);
      assert.equal(result.exitCode, null);
      assert.equal(result.signal, 'SIGTERM');
      assert.deepEqual(liveProcesses(tag), []);
    });
  }

  it('returns at once when cancelled before it starts', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runCommand(request('echo never'), { signal: controller.signal });
    assert.deepEqual([result.cancelled, result.exitCode, result.output.bytes], [true, null, 0]);
  });

  it('a timeout stops the group with SIGTERM, and with SIGKILL when SIGTERM is ignored', async function () {
    if (!linux) this.skip();
    const tag = uniqueSleep();
    const soft: RunResult = await runCommand(request(`sleep ${tag}`, { timeoutMs: 200 }), {
      signal: new AbortController().signal,
    });
    assert.deepEqual([soft.timedOut, soft.cancelled, soft.signal], [true, false, 'SIGTERM']);
    assert.ok(soft.durationMs >= 150, `${soft.durationMs} ms`);

    const hard = await runCommand(
      request(`trap '' TERM; sleep ${tag} & wait`, { timeoutMs: 200, killGraceMs: 200 }),
      { signal: new AbortController().signal },
    );
    assert.deepEqual([hard.timedOut, hard.signal], [true, 'SIGKILL']);
    assert.deepEqual(liveProcesses(tag), []);
  });

  it('stops what the command left running when it exits, even processes that left the group', async function () {
    if (!linux) this.skip();
    const tag = uniqueSleep();
    const result = await runCommand(request(`sleep ${tag} & setsid sleep ${tag} & echo started`), {
      signal: new AbortController().signal,
    });
    assert.equal(result.exitCode, 0);
    assert.deepEqual(liveProcesses(tag), []);
  });
});
