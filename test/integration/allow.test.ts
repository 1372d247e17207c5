import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AlwaysAllowListResult } from '../../protocol/requests';
import { CLI, requireBuild, requireSandbox, runCli, tempDir, writeFiles, type RunResult } from './helpers';

// "Always allow" as a person meets it in a terminal: `navi test` asks for the profile's command
// (`npm test`, what NAVI adds in the details), the answer "a" stores the exact command, `navi allow
// list` shows it, the next run does not ask, `navi allow revoke` takes it back (audited), and the
// run after that asks again. The real CLI, the real agent and the real sandbox.

/** Single-quotes a word for sh. */
const q = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

interface AuditLine {
  type: string;
  actor: { kind: string; id?: string };
  workspace?: string;
  data: Record<string, unknown>;
}

describe('navi allow: list and revoke "always allow", and what a test run asks', function () {
  let root: string;
  let ws: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  before(async function () {
    requireBuild();
    await requireSandbox(this);
    try {
      execFileSync('which', ['script'], { stdio: 'ignore' });
    } catch {
      if (process.env.CI) throw new Error('util-linux "script" is needed to test the terminal prompt.');
      this.skip();
    }
  });

  beforeEach(() => {
    root = fs.realpathSync(tempDir('allow'));
    ws = path.join(root, 'shop');
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: 'shop', version: '1.0.0', scripts: { test: 'node --test' } }),
      'test/add.test.js': [
        "const test = require('node:test');",
        "const assert = require('node:assert');",
        "test('adds', () => assert.equal(1 + 1, 2));",
        '',
      ].join('\n'),
    });
    execFileSync('git', ['init', '-q'], { cwd: ws });
    env = { XDG_STATE_HOME: path.join(root, 'state'), XDG_CONFIG_HOME: path.join(root, 'config') };
  });

  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  const navi = (args: string[]): Promise<RunResult> => runCli(args, { cwd: ws, env });
  const auditLines = (): AuditLine[] =>
    fs
      .readFileSync(path.join(root, 'state', 'navi', 'audit.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditLine);

  /** `navi test` on a real terminal (util-linux `script` gives it a pty), answering the prompt. */
  async function testOnTty(answer: string): Promise<{ code: number | null; output: string }> {
    const line = [process.execPath, CLI, 'test', ws].map(q).join(' ');
    const child = spawn('script', ['-qec', line, '/dev/null'], {
      cwd: ws,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    let answered = false;
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (!answered && output.includes('deny [N]: ')) {
        answered = true;
        child.stdin!.write(answer);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    return { code, output: output.replace(/\r\n/g, '\n') };
  }

  it('shows `npm test` first, lists the entry "a" stored, and revokes it so the run asks again', async () => {
    // 1. The approval names the command the person knows, then exactly what runs and what NAVI adds.
    const first = await testOnTty('a\n');
    assert.equal(first.code, 0, first.output);
    const asked = first.output.slice(0, first.output.indexOf('deny [N]: '));
    const lines = asked.split('\n').filter((l) => l.trim() !== '');
    const head = lines.findIndex((l) => l.startsWith('NAVI needs your approval'));
    assert.equal(lines[head], 'NAVI needs your approval to run your test command:', asked);
    assert.equal(lines[head + 1], '  npm test', 'the profile command first, not node --test-reporter=…');
    assert.equal(lines[head + 2], '  step 1 of 1: node --test');
    assert.match(
      asked,
      /Exactly what runs \(what you approve\)\n {2}node --test-reporter=\S+navi-node-test-reporter\.mjs/,
    );
    assert.match(
      asked,
      /What NAVI adds to your command\n {2}\+ --test-reporter=\S+\n {6}Adds NAVI's reporter/,
    );
    assert.match(asked, /w \S+\/cache\/\S+\n {6}Writable cache folder/, 'the cache folder and why');
    assert.match(first.output, /1 passed/);

    // 2. The exact command is now always allowed here: listed with its id and expiry.
    const listed = await navi(['allow', 'list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const list = AlwaysAllowListResult.parse(JSON.parse(listed.stdout));
    assert.equal(list.workspaceRoot, ws);
    assert.equal(list.entries.length, 1);
    const entry = list.entries[0]!;
    assert.equal(entry.argv[0], 'node');
    assert.ok(entry.argv.includes('--test'), entry.command);
    assert.ok(
      entry.argv.some((a) => a.startsWith('--test-reporter=')),
      'what is stored is the exact argv, reporter included',
    );
    assert.equal(entry.label, 'npm test → node --test', 'the entry says how the person knows it');
    assert.equal(entry.by, os.userInfo().username);
    const days = (Date.parse(entry.expiresAt) - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30, `expires in 30 days: ${entry.expiresAt}`);
    const text = await navi(['allow', 'list']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`Always allowed in ${ws} \\(1\\)`));
    assert.match(
      text.stdout,
      new RegExp(`${entry.id}  npm test → node --test\n {16}runs exactly: node --test-reporter=`),
    );
    assert.match(text.stdout, /by \S+, expires \d{4}-\d\d-\d\d \(in 30 days\)/);

    // 3. Without a terminal the next run does not need to ask.
    const allowed = await navi(['test', ws]);
    assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);

    // 4. Revoked (audited), it is gone and the run asks again, naming `npm test`.
    const unknown = await navi(['allow', 'revoke', 'abcdefabcdef']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /abcdefabcdef is not an "always allow" entry/);
    const revoked = await navi(['allow', 'revoke', entry.id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`Revoked ${entry.id}: npm test → node --test `));
    const event = auditLines().find((e) => e.type === 'alwaysAllow.revoked');
    assert.ok(event, 'the revocation is in the audit log');
    assert.deepEqual(event.actor, { kind: 'user', id: os.userInfo().username });
    assert.equal(event.workspace, ws);
    assert.equal(event.data.entryId, entry.id);
    assert.deepEqual(event.data.argv, entry.argv);
    assert.equal(event.data.expiresAt, entry.expiresAt);
    const empty = await navi(['allow', 'list']);
    assert.match(empty.stdout, /No "always allow" entries in /);

    const again = await navi(['test', ws]);
    assert.equal(again.code, 1, again.stdout + again.stderr);
    assert.match(
      again.stderr,
      /not run: your test command needs approval and there is no terminal to ask on\.\n {2}npm test {2}\(step 1 of 1: node --test\)\n {2}runs as: node --test-reporter=/,
    );
    assert.match(again.stderr, /navi test --yes/);

    const verify = await navi(['audit', 'verify']);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });

  it('revokes every entry with --all, and checks its arguments', async () => {
    const first = await testOnTty('a\n');
    assert.equal(first.code, 0, first.output);
    const all = await navi(['allow', 'revoke', '--all']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^Revoked [0-9a-f]{12}: npm test → node --test /m);
    const none = await navi(['allow', 'revoke', '--all']);
    assert.equal(none.code, 0);
    assert.match(none.stdout, /No "always allow" entries in /);

    for (const [args, message] of [
      [['allow', 'revoke'], /needs entry ids or --all/],
      [['allow', 'revoke', '--all', 'abcdefabcdef'], /needs entry ids or --all/],
      [['allow', 'list', '--all'], /--all is for navi allow revoke/],
      [['allow', 'forget'], /Unknown allow command "forget"/],
    ] as const) {
      const r = await navi([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const help = await navi(['allow', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /navi allow revoke ID… \[PATH\]/);
  });
});
