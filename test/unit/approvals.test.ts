import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatApproval, stylesFor } from '../../cli/formatVerdict';
import { pendingIndicator } from '../../extension/features/approvalSummary';
import { ApprovalParams, originLabel, type ApprovalOrigin } from '../../protocol/approvals';
import { AuditEventInput } from '../../protocol/audit';
import {
  alwaysAllowChanged,
  AlwaysAllowListParams,
  alwaysAllowRevoke,
  AlwaysAllowRevokeParams,
} from '../../protocol/requests';
import { HostMessage, PanelMessage } from '../../protocol/webviewMessages';
import { stepOrigin, wordDiff } from '../../server/tasks/test/approvalOrigin';
import { jestAdapter } from '../../server/tasks/test/runners/jest';
import { mochaAdapter } from '../../server/tasks/test/runners/mocha';
import { nodeTestAdapter } from '../../server/tasks/test/runners/nodeTest';
import { expiryText } from '../../webview-ui/views/alwaysAllow';
import { approvalHeadline, approvalKeyAction } from '../../webview-ui/views/approvals';

const ID = '0123456789ab';

function approval(extra: Partial<ApprovalParams> = {}): ApprovalParams {
  return ApprovalParams.parse({
    approvalId: 'a1',
    command: "node -e 'x'",
    cwd: '/ws',
    reasons: ['node -e runs inline code'],
    rules: [{ id: 'builtin:interpreter-inline', layer: 'builtin', justification: 'Inline code.' }],
    risk: 'high',
    canAlwaysAllow: true,
    timeoutMs: 300_000,
    ...extra,
  });
}

describe('approvals: protocol schemas', () => {
  it('carries the command the person knows and NAVI’s additions with an approval', () => {
    const origin: ApprovalOrigin = {
      task: 'test',
      userCommand: 'npm test',
      step: { text: 'node --test', index: 0, count: 1 },
      additions: [{ kind: 'argument', text: '--test-reporter=spec', why: 'Keeps the usual output.' }],
    };
    assert.deepEqual(approval({ origin }).origin, origin);
    assert.ok(approval().origin === undefined, 'a command typed as is has no origin');
    for (const bad of [
      { ...origin, task: 'scan' },
      { ...origin, userCommand: '' },
      { ...origin, additions: [{ kind: 'secret', text: 'x', why: 'y' }] },
      { ...origin, additions: [{ kind: 'argument', text: 'x', why: '' }] },
      { ...origin, step: { text: 'x', index: -1, count: 1 } },
    ])
      assert.equal(
        ApprovalParams.safeParse({ ...approval(), origin: bad }).success,
        false,
        JSON.stringify(bad),
      );
  });

  it('revokes by ids or all, never both or neither, and always says who', () => {
    const ok = (p: object) => AlwaysAllowRevokeParams.safeParse(p).success;
    assert.ok(ok({ workspaceRoot: '/ws', ids: [ID], by: 'dev' }));
    assert.ok(ok({ workspaceRoot: '/ws', all: true, by: 'dev' }));
    assert.ok(!ok({ workspaceRoot: '/ws', ids: [ID], all: true, by: 'dev' }), 'both');
    assert.ok(!ok({ workspaceRoot: '/ws', by: 'dev' }), 'neither');
    assert.ok(!ok({ workspaceRoot: '/ws', ids: [], by: 'dev' }), 'an empty list');
    assert.ok(!ok({ workspaceRoot: '/ws', ids: ['ABCDEF012345'], by: 'dev' }), 'upper-case id');
    assert.ok(!ok({ workspaceRoot: '/ws', ids: ['../x'], by: 'dev' }), 'not an id');
    assert.ok(!ok({ workspaceRoot: '/ws', all: true }), 'nobody');
    assert.ok(!ok({ workspaceRoot: '', all: true, by: 'dev' }), 'no workspace');
    assert.ok(!ok({ workspaceRoot: '/ws', all: true, by: 'dev', force: true }), 'unknown field');
    assert.ok(AlwaysAllowListParams.safeParse({ workspaceRoot: '/ws' }).success);
    assert.ok(!AlwaysAllowListParams.safeParse({ workspaceRoot: '/ws', all: true }).success);
    assert.equal(alwaysAllowRevoke.direction, 'clientToServer');
    assert.equal(alwaysAllowChanged.direction, 'serverToClient');
  });

  it('audits a revocation as alwaysAllow.revoked, strictly', () => {
    const event = {
      type: 'alwaysAllow.revoked',
      actor: { kind: 'user', id: 'dev' },
      workspace: '/ws',
      data: {
        entryId: ID,
        argv: ['make', 'test'],
        createdAt: '2026-12-01T10:00:00.000Z',
        expiresAt: '2026-12-31T10:00:00.000Z',
      },
    };
    assert.ok(AuditEventInput.safeParse(event).success);
    assert.ok(!AuditEventInput.safeParse({ ...event, data: { ...event.data, by: 'x' } }).success);
    assert.ok(!AuditEventInput.safeParse({ ...event, data: { ...event.data, entryId: 'x' } }).success);
  });

  it('validates the panel’s always-allow and focus messages', () => {
    const entry = {
      id: ID,
      workspaceRoot: '/ws',
      argv: ['make', 'test'],
      command: 'make test',
      by: 'dev',
      createdAt: '2026-12-01T10:00:00.000Z',
      expiresAt: '2026-12-31T10:00:00.000Z',
    };
    assert.ok(HostMessage.safeParse({ kind: 'alwaysAllowEntries', entries: [entry] }).success);
    assert.ok(HostMessage.safeParse({ kind: 'focusApproval' }).success);
    assert.ok(PanelMessage.safeParse({ kind: 'revokeAlwaysAllow', id: ID }).success);
    assert.ok(!PanelMessage.safeParse({ kind: 'revokeAlwaysAllow', id: 'all' }).success);
    assert.ok(PanelMessage.safeParse({ kind: 'loadAlwaysAllow' }).success);
  });
});

describe('approvals: what NAVI adds to a test step', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'navi-origin-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('shows `npm test` first and names every word node --test gets from NAVI', () => {
    const reportDir = path.join(dir, 'reports', 'step-0');
    const cacheDir = path.join(dir, 'cache');
    const local = ['node', '--test'];
    const inst = nodeTestAdapter.instrument(local, { reportDir, cacheDir, cwd: '/ws' });
    const origin = stepOrigin({
      userCommand: 'npm test',
      step: { text: 'node --test', index: 0, count: 1 },
      written: local,
      local,
      instrumented: inst.argv,
      reportDir,
      cacheDir,
      cwd: '/ws',
    });
    assert.equal(origin.userCommand, 'npm test');
    assert.deepEqual(origin.step, { text: 'node --test', index: 0, count: 1 });
    const args = origin.additions.filter((a) => a.kind === 'argument');
    assert.deepEqual(
      args.map((a) => a.text.replace(dir, '<tmp>')),
      [
        '--test-reporter=<tmp>/reports/step-0/navi-node-test-reporter.mjs',
        '--test-reporter-destination=<tmp>/reports/step-0/node-test.ndjson',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
      ],
      'every word NAVI added, and nothing of the person’s',
    );
    assert.match(args[0]!.why, /NAVI's reporter/);
    assert.match(args[1]!.why, /report file/);
    assert.match(args[2]!.why, /usual output/);
    assert.deepEqual(
      origin.additions.filter((a) => a.kind === 'folder').map((a) => a.text),
      [reportDir, cacheDir],
    );
    assert.ok(ApprovalParams.safeParse({ ...approval(), origin }).success, 'valid on the wire');
  });

  it('names the local tool, the person’s reporter NAVI replaces, and the files picked', () => {
    const reportDir = path.join(dir, 'r');
    const written = ['npx', 'mocha', '--reporter', 'dot', 'test/'];
    const local = ['./node_modules/.bin/mocha', '--reporter', 'dot', 'test/'];
    const files = ['/ws/test/a.test.js'];
    const inst = mochaAdapter.instrument(local, { reportDir, cwd: '/ws', files });
    const origin = stepOrigin({
      userCommand: 'npm test',
      step: { text: 'npx mocha --reporter dot test/', index: 1, count: 2 },
      written,
      local,
      instrumented: inst.argv,
      reportDir,
      cwd: '/ws',
      files,
    });
    const byKind = (kind: string) => origin.additions.filter((a) => a.kind === kind);
    assert.deepEqual(
      byKind('program').map((a) => a.text),
      ['./node_modules/.bin/mocha'],
    );
    assert.match(byKind('program')[0]!.why, /project's own mocha/);
    const removed = byKind('removed');
    assert.deepEqual(
      removed.map((a) => a.text),
      ['--reporter dot', 'test/'],
    );
    assert.match(removed[1]!.why, /test files you picked/);
    const added = byKind('argument');
    assert.ok(added.some((a) => a.text.startsWith('--reporter ') && /NAVI's reporter/.test(a.why)));
    assert.ok(added.some((a) => a.text === 'test/a.test.js' && /files you picked/.test(a.why)));
  });

  it('names jest’s cache folder and a name filter', () => {
    const reportDir = path.join(dir, 'r');
    const cacheDir = path.join(dir, 'cache');
    const local = ['./node_modules/.bin/jest'];
    const inst = jestAdapter.instrument(local, { reportDir, cacheDir, cwd: '/ws', testNames: ['adds'] });
    const origin = stepOrigin({
      userCommand: 'jest',
      step: { text: 'jest', index: 0, count: 1 },
      written: ['jest'],
      local,
      instrumented: inst.argv,
      reportDir,
      cacheDir,
      cwd: '/ws',
    });
    const why = (prefix: string) => origin.additions.find((a) => a.text.startsWith(prefix))?.why ?? '';
    assert.match(why('--cacheDirectory='), /cache between runs/);
    assert.match(why('-t '), /tests you picked/);
    assert.match(why('--json'), /machine-readable/);
    assert.equal(origin.step, undefined, 'the step is the command itself');
  });

  it('finds added and removed words in order (longest common subsequence)', () => {
    assert.deepEqual(wordDiff(['a', 'b', 'c'], ['a', 'x', 'b', 'c', 'y']), { added: [1, 4], removed: [] });
    assert.deepEqual(wordDiff(['a', 'b', 'c'], ['a', 'c']), { added: [], removed: [1] });
    assert.deepEqual(wordDiff(['a'], ['a']), { added: [], removed: [] });
  });
});

describe('approvals: what people see', () => {
  it('answers a focused card with Y, A and N only, and never with a modifier', () => {
    assert.equal(approvalKeyAction({ key: 'y' }, true), 'allowOnce');
    assert.equal(approvalKeyAction({ key: 'Y' }, true), 'allowOnce');
    assert.equal(approvalKeyAction({ key: 'a' }, true), 'alwaysAllow');
    assert.equal(approvalKeyAction({ key: 'a' }, false), undefined, 'not offered, not taken');
    assert.equal(approvalKeyAction({ key: 'n' }, true), 'deny');
    assert.equal(approvalKeyAction({ key: 'y', ctrlKey: true }, true), undefined);
    assert.equal(approvalKeyAction({ key: 'y', metaKey: true }, true), undefined);
    assert.equal(approvalKeyAction({ key: 'y', repeat: true }, true), undefined, 'a held key decides once');
    assert.equal(approvalKeyAction({ key: 'Enter' }, true), undefined);
  });

  it('names a task’s command as the person knows it', () => {
    assert.equal(
      originLabel({ userCommand: 'npm test', step: { text: 'node --test', index: 0, count: 1 } }),
      'npm test → node --test',
    );
    assert.equal(originLabel({ userCommand: 'pytest -q' }), 'pytest -q');
    assert.equal(originLabel({ userCommand: 'jest', step: { text: 'jest', index: 0, count: 1 } }), 'jest');
  });

  it('puts the command the person knows first, the exact command in the details', () => {
    const plain = approvalHeadline(approval());
    assert.deepEqual(plain, { label: 'Command', primary: "node -e 'x'" });
    const task = approvalHeadline(
      approval({
        command: 'node --test-reporter=/tmp/r.mjs --test',
        origin: {
          task: 'test',
          userCommand: 'npm test',
          step: { text: 'node --test', index: 0, count: 2 },
          additions: [],
        },
      }),
    );
    assert.equal(task.primary, 'npm test');
    assert.equal(task.step, 'Step 1 of 2: node --test');
    assert.equal(task.exact, 'node --test-reporter=/tmp/r.mjs --test');
  });

  it('prints the known command first in the CLI prompt, then exactly what runs and why', () => {
    const text = formatApproval(
      approval({
        command: 'node --test-reporter=/tmp/r.mjs --test',
        origin: {
          task: 'test',
          userCommand: 'npm test',
          step: { text: 'node --test', index: 0, count: 1 },
          additions: [{ kind: 'argument', text: '--test-reporter=/tmp/r.mjs', why: "Adds NAVI's reporter." }],
        },
      }),
      stylesFor({ isTTY: false }),
    );
    const lines = text.split('\n');
    assert.equal(lines[0], 'NAVI needs your approval to run your test command:');
    assert.equal(lines[1], '  npm test');
    assert.ok(text.indexOf('npm test') < text.indexOf('--test-reporter'), 'the known command first');
    assert.match(
      text,
      /Exactly what runs \(what you approve\)\n {2}node --test-reporter=\/tmp\/r\.mjs --test/,
    );
    assert.match(text, /\+ --test-reporter=\/tmp\/r\.mjs\n {6}Adds NAVI's reporter\./);
  });

  it('counts pending approvals for the badge and the status bar', () => {
    assert.equal(pendingIndicator([]), undefined, 'hidden when none wait');
    const one = pendingIndicator([{ approvalId: 'a', title: 'npm test', risk: 'medium' }])!;
    assert.equal(one.count, 1);
    assert.equal(one.text, '$(shield) NAVI: 1 approval');
    assert.match(one.tooltip, /npm test \(medium risk\)/);
    const seven = pendingIndicator(
      Array.from({ length: 7 }, (_, i) => ({ approvalId: `a${i}`, title: `cmd ${i}`, risk: 'low' as const })),
    )!;
    assert.equal(seven.text, '$(shield) NAVI: 7 approvals');
    assert.match(seven.tooltip, /… and 2 more/);
  });

  it('says when an always-allow entry expires', () => {
    const now = Date.parse('2026-12-07T12:00:00.000Z');
    assert.equal(expiryText('2027-01-06T12:00:00.000Z', now), 'expires in 30 days (2027-01-06)');
    assert.equal(expiryText('2026-12-07T18:00:00.000Z', now), 'expires within a day (2026-12-07)');
  });
});
