import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkspaceProfile } from '../../protocol/testing';
import { requireBuild, requireSandbox, runCli, tempDir, writeFiles, type RunResult } from './helpers';

// A confirmed profile is the approval of its commands, as a person meets it in a terminal with
// no one to answer a prompt: before confirming, `navi test` refuses ("needs approval"); after
// `navi profile --confirm` it runs the fixture's `npm test` unasked; once the script body changes
// it refuses again and says which script changed.

interface AuditLine {
  type: string;
  data: Record<string, unknown>;
}

describe('a confirmed profile approves its commands (navi profile --confirm, navi test)', function () {
  this.timeout(180_000);
  let root: string;
  let ws: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    requireBuild();
    await requireSandbox(this);
    root = fs.realpathSync(tempDir('profile-approval'));
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
  after(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  const navi = (args: string[]): Promise<RunResult> => runCli(args, { cwd: ws, env });
  const auditLines = (): AuditLine[] =>
    fs
      .readFileSync(path.join(root, 'state', 'navi', 'audit.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditLine);

  it('runs the confirmed npm test unasked, and asks again once its script changed', async () => {
    // 1. Not confirmed: no terminal to ask on, so it is refused.
    const before = await navi(['test', ws]);
    assert.equal(before.code, 1, before.stdout + before.stderr);
    assert.match(before.stderr, /needs approval and there is no terminal to ask on/);

    // 2. Confirmed: the approval of its commands is stored and audited, with the hashes.
    const confirm = await navi(['profile', ws, '--confirm', '--json']);
    assert.equal(confirm.code, 0, confirm.stderr);
    const profile = WorkspaceProfile.parse(JSON.parse(confirm.stdout));
    const body = createHash('sha256').update('node --test').digest('hex');
    const approved = profile.approved?.find((a) => a.kind === 'test');
    assert.equal(approved?.command, 'npm test');
    assert.deepEqual(approved?.scripts, [{ file: 'package.json', name: 'test', sha256: body }]);
    const event = auditLines().find((e) => e.type === 'profile.confirmed');
    assert.ok(event, 'profile.confirmed is in the audit log');
    assert.deepEqual(event.data.commands, profile.approved);

    // 3. The next run needs nobody: the confirmation vouches for it, and the verdict says so.
    const ran = await navi(['test', ws]);
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.match(ran.stdout, /1 passed/);
    const verdict = auditLines()
      .filter((e) => e.type === 'command.verdict')
      .at(-1)!;
    assert.equal(verdict.data.verdict, 'allow');
    assert.ok((verdict.data.ruleIds as string[]).includes('profile:confirmed'), String(verdict.data.ruleIds));

    // 4. The script body changes: it asks again (refused here), naming the script and the date.
    writeFiles(ws, {
      'package.json': JSON.stringify({
        name: 'shop',
        version: '1.0.0',
        scripts: { test: 'node --test --test-concurrency=1' },
      }),
    });
    const changed = await navi(['test', ws]);
    assert.equal(changed.code, 1, changed.stdout + changed.stderr);
    assert.match(changed.stderr, /needs approval and there is no terminal to ask on/);
    assert.ok(
      changed.stderr.includes(
        `- \`scripts.test\` in package.json changed since you confirmed the profile on ${profile.confirmedAt!.slice(0, 10)}`,
      ),
      changed.stderr,
    );

    // 5. Confirming again approves the new body.
    assert.equal((await navi(['profile', ws, '--confirm'])).code, 0);
    const again = await navi(['test', ws]);
    assert.equal(again.code, 0, again.stdout + again.stderr);

    const verify = await navi(['audit', 'verify']);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});
