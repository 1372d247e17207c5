import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { startAgent, type AgentClient } from '../../cli/agentClient';
import * as requests from '../../protocol/requests';
import { openAuditLog } from '../../server/audit/log';
import { startOrgStack, type OrgStack } from '../fixtures/orgStack';
import { requireBuild, runCli, SERVER, tempDir, writeFiles } from './helpers';

/**
 * Upload from NAVI against real parts: the built agent (dist/server.js) over JSON-RPC, the real
 * control plane (fastify + SQLite in a temp folder) and a real OIDC provider (oidc-provider).
 * Exactly-once storage is checked through the auditor's export.
 */

interface Agent {
  client: AgentClient;
  stateDir: string;
  tokenRequests: requests.OrgTokenParams[];
}

async function agentIn(
  stateDir: string,
  answerToken: (p: requests.OrgTokenParams) => Promise<requests.OrgTokenResult> = async () => ({
    signedOut: true,
  }),
): Promise<Agent> {
  const client = await startAgent({ serverPath: SERVER, initializationOptions: { client: 'cli', stateDir } });
  const tokenRequests: requests.OrgTokenParams[] = [];
  client.connection.onRequest(requests.orgToken.type, async (p: requests.OrgTokenParams) => {
    tokenRequests.push(p);
    return answerToken(p);
  });
  return { client, stateDir, tokenRequests };
}

async function signIn(agent: Agent, stack: OrgStack, token?: string, user = 'alice'): Promise<void> {
  await agent.client.connection.sendNotification(requests.orgSession.type, {
    controlPlaneUrl: stack.controlPlaneUrl,
    accessToken: token ?? (await stack.token(user)),
    org: 'acme',
    user: `${user}@acme.test`,
  });
}

function flush(agent: Agent, timeoutMs = 20_000): Promise<requests.OrgUploadStatus> {
  return agent.client.connection.sendRequest(requests.auditUpload.type, { timeoutMs });
}

async function runIn(agent: Agent, root: string, command: string): Promise<requests.RunOutcome> {
  return agent.client.connection.sendRequest(requests.run.type, {
    runId: uuidv7(),
    command,
    cwd: root,
    workspaceRoot: root,
    trusted: true,
    proposer: 'user',
  });
}

function localEvents(
  stateDir: string,
): { id: string; type: string; hash: string; data: Record<string, unknown> }[] {
  const file = path.join(stateDir, 'audit.ndjson');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; type: string; hash: string; data: Record<string, unknown> });
}

/** Every local event is in the export exactly once, with the same hash, and nothing else of this log. */
async function assertExactlyOnce(stack: OrgStack, stateDirs: string[]): Promise<void> {
  const exported = await stack.exportEvents();
  const counts = new Map<string, number>();
  for (const e of exported) counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
  const byId = new Map(exported.map((e) => [e.id, e as unknown as { hash: string }]));
  const local = stateDirs.flatMap(localEvents);
  assert.ok(local.length > 0);
  for (const e of local) {
    assert.equal(counts.get(e.id), 1, `event ${e.id} (${e.type}) is in the control plane exactly once`);
    assert.equal(byId.get(e.id)!.hash, e.hash, 'stored as written');
  }
  assert.deepEqual(
    [...counts.values()].filter((n) => n !== 1),
    [],
    'no event is stored twice',
  );
}

async function ingestedTotal(stack: OrgStack): Promise<number> {
  const text = await (await fetch(`${stack.controlPlaneUrl}/metrics`)).text();
  return Number(/^navi_cp_events_ingested_total (\d+)/m.exec(text)?.[1] ?? 0);
}

const ORG_DENY = {
  version: 1,
  rules: [
    {
      id: 'org-no-notes',
      justification: 'The notes are confidential.',
      effect: 'deny',
      match: { argv: ['cat', 'notes.txt'] },
      examples: { match: ['cat notes.txt'], notMatch: ['cat readme.txt'] },
    },
  ],
};

describe('upload from NAVI to the control plane (real agent, control plane, OIDC provider)', function () {
  this.timeout(120_000);
  let stack: OrgStack;
  let root: string;
  const agents: Agent[] = [];
  const open = async (stateDir = tempDir('upload-state'), answer?: Parameters<typeof agentIn>[1]) => {
    const a = await agentIn(stateDir, answer);
    agents.push(a);
    return a;
  };

  before(async () => {
    requireBuild();
    stack = await startOrgStack();
    root = tempDir('upload-ws');
    writeFiles(root, { 'notes.txt': 'confidential\n', 'readme.txt': 'hello\n' });
  });
  afterEach(async () => {
    for (const a of agents.splice(0)) await a.client.dispose().catch(() => undefined);
    await stack.startControlPlane().catch(() => undefined); // a test that stopped it
  });
  after(async () => {
    await stack?.stop();
  });

  it('uploads every event of a session exactly once, and a second upload adds nothing', async () => {
    const agent = await open();
    await signIn(agent, stack);
    for (const c of ['cat readme.txt', 'ls', 'cat notes.txt'])
      assert.equal((await runIn(agent, root, c)).ran, true);
    const status = await flush(agent);
    assert.equal(status.pending, 0, status.lastError);
    assert.equal(status.signedIn, true);
    assert.equal(status.org, 'acme');
    assert.ok(status.inserted >= 10, `inserted ${status.inserted}`);
    await assertExactlyOnce(stack, [agent.stateDir]);

    const again = await flush(agent);
    assert.equal(again.inserted, status.inserted, 'nothing new was stored');
    const types = localEvents(agent.stateDir).map((e) => e.type);
    assert.deepEqual(types.filter((t) => t === 'command.executed').length, 3);
  });

  it('keeps events locally while the control plane is down and uploads them, none twice, once it is back', async () => {
    const agent = await open();
    await signIn(agent, stack);
    await runIn(agent, root, 'cat readme.txt');
    assert.equal((await flush(agent)).pending, 0);

    await stack.stopControlPlane();
    for (let i = 0; i < 3; i++) assert.equal((await runIn(agent, root, `cat readme.txt # ${i}`)).ran, true);
    const offline = await flush(agent, 800);
    assert.ok(offline.pending >= 9, `events wait locally (${offline.pending})`);
    assert.match(offline.lastError ?? '', /cannot reach/);

    await stack.startControlPlane();
    const back = await flush(agent);
    assert.equal(back.pending, 0, back.lastError);
    await assertExactlyOnce(stack, [agent.stateDir]);
  });

  it('loses nothing and duplicates nothing when the agent is killed (SIGKILL) in the middle of an upload', async () => {
    const stateDir = tempDir('upload-kill');
    // A backlog of 6000 events (12 batches of 500), written by a real audit log writer.
    const log = await openAuditLog(path.join(stateDir, 'audit.ndjson'), { client: 'cli' });
    for (let b = 0; b < 12; b++)
      await log.appendAll(
        Array.from({ length: 500 }, (_, i) => ({
          type: 'command.proposed' as const,
          actor: { kind: 'user' as const },
          workspace: root,
          data: { commandId: uuidv7(), command: `echo ${b}-${i}`, cwd: root, proposer: 'user' as const },
        })),
      );
    await log.close();
    const total = localEvents(stateDir).length;
    const before = await ingestedTotal(stack);

    const first = await open(stateDir);
    await signIn(first, stack);
    // Kill it as soon as the control plane has acknowledged something, before it has it all.
    const deadline = Date.now() + 30_000;
    let atKill = 0;
    while (Date.now() < deadline) {
      atKill = (await ingestedTotal(stack)) - before;
      if (atKill > 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    first.client.process.kill('SIGKILL');
    await first.client.exited.catch(() => undefined);
    assert.ok(atKill > 0 && atKill < total, `killed mid-upload (${atKill} of ${total} stored)`);

    const second = await open(stateDir);
    await signIn(second, stack);
    const status = await flush(second, 60_000);
    assert.equal(status.pending, 0, status.lastError);
    assert.equal(
      (await ingestedTotal(stack)) - before,
      localEvents(stateDir).length,
      'each event stored once',
    );
    await assertExactlyOnce(stack, [stateDir]);
  });

  it('the CLI uploads with NAVI_TOKEN and NAVI_CONTROL_PLANE_URL, and navi audit upload reports nothing pending', async () => {
    const home = tempDir('upload-cli');
    const env = {
      XDG_STATE_HOME: path.join(home, 'state'),
      XDG_CONFIG_HOME: path.join(home, 'config'),
      NAVI_NO_KEYRING: '1',
      NAVI_TOKEN: await stack.token('alice'),
      NAVI_CONTROL_PLANE_URL: stack.controlPlaneUrl,
    };
    const ran = await runCli(['run', '--', 'cat readme.txt'], { cwd: root, env });
    assert.equal(ran.code, 0, ran.stderr);
    const stateDir = path.join(home, 'state', 'navi');
    const executed = localEvents(stateDir).find((e) => e.type === 'command.executed');
    assert.ok(executed);
    // Uploaded before the CLI exited.
    assert.ok((await stack.exportEvents()).some((e) => e.id === executed.id));

    const upload = await runCli(['audit', 'upload', '--json'], { cwd: root, env });
    assert.equal(upload.code, 0, upload.stderr);
    const status = JSON.parse(upload.stdout) as requests.OrgUploadStatus;
    assert.equal(status.pending, 0);
    assert.equal(status.inserted, 0, 'navi run uploaded everything before it exited');
    await assertExactlyOnce(stack, [stateDir]);

    const none = await runCli(['audit', 'upload'], {
      cwd: root,
      env: { ...env, NAVI_CONTROL_PLANE_URL: '' },
    });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no control plane/);
  });

  it('asks the client for a fresh token when the control plane refuses an expired one (401)', async function () {
    const short = await startOrgStack({ accessTokenTtl: 1 });
    try {
      const expired = await short.token('alice');
      await new Promise((r) => setTimeout(r, 2_100));
      const agent = await open(undefined, async () => ({
        accessToken: (await short.idp.loginAs('alice')).access_token,
      }));
      // No expiresAt: the agent learns it is expired only from the 401.
      await signIn(agent, short, expired);
      await runIn(agent, root, 'cat readme.txt');
      const status = await flush(agent);
      assert.equal(status.pending, 0, status.lastError);
      assert.deepEqual(
        agent.tokenRequests.map((r) => r.reason).slice(0, 1),
        ['rejected'],
        'the agent asked for a fresh token after the 401',
      );
      await assertExactlyOnce(short, [agent.stateDir]);
    } finally {
      await short.stop();
    }
  });

  it('applies the org policy from the control plane as the org layer: it denies what the local policy allows', async () => {
    await stack.putPolicy(ORG_DENY);
    try {
      const agent = await open();
      assert.equal((await runIn(agent, root, 'cat notes.txt')).ran, true, 'allowed without the org');
      await signIn(agent, stack);
      const denied = await runIn(agent, root, 'cat notes.txt');
      assert.equal(denied.ran, false);
      assert.equal(denied.verdict.verdict, 'deny');
      assert.deepEqual(
        denied.verdict.rules.map((r) => [r.id, r.layer]),
        [['org-no-notes', 'org']],
      );
      assert.equal((await runIn(agent, root, 'cat readme.txt')).ran, true);
      const changed = localEvents(agent.stateDir).filter((e) => e.type === 'policy.changed');
      assert.ok(
        changed.some((e) => e.data.layer === 'org' && e.data.path === `${stack.controlPlaneUrl}/api/policy`),
        'the org layer change is on record',
      );

      // Signed out: the layer goes away with the session.
      await agent.client.connection.sendNotification(requests.orgSession.type, { signedOut: true });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await runIn(agent, root, 'cat notes.txt')).ran, true);
    } finally {
      await stack.putPolicy({ version: 1, rules: [] });
    }
  });

  it('requireAuditRecord: runs a command only once the control plane has its record, refuses it when unreachable', async () => {
    await stack.putPolicy({ version: 1, rules: [] }, { requireAuditRecord: true });
    try {
      const agent = await open();
      await signIn(agent, stack);
      const ok = await runIn(agent, root, 'cat readme.txt');
      assert.equal(ok.ran, true, ok.message);
      const stored = await stack.exportEvents();
      const mine = stored.filter((e) => e.data.commandId === ok.commandId).map((e) => e.type);
      assert.ok(
        mine.includes('command.proposed') && mine.includes('command.verdict'),
        `recorded first: ${mine}`,
      );

      await stack.stopControlPlane();
      const started = Date.now();
      const refused = await runIn(agent, root, 'cat readme.txt');
      assert.equal(refused.ran, false);
      assert.match(refused.message, /requires every command to be recorded at its control plane/);
      assert.ok(Date.now() - started < 15_000, 'refused within the gate timeout');
      const local = localEvents(agent.stateDir).filter((e) => e.data.commandId === refused.commandId);
      assert.deepEqual(
        local.map((e) => e.type),
        ['command.proposed', 'command.verdict', 'command.denied'],
        'never executed; the refusal is on record',
      );

      await stack.startControlPlane();
      assert.equal((await flush(agent)).pending, 0);
      const after = await stack.exportEvents();
      assert.ok(after.some((e) => e.data.commandId === refused.commandId && e.type === 'command.denied'));
      await assertExactlyOnce(stack, [agent.stateDir]);
    } finally {
      await stack.putPolicy({ version: 1, rules: [] }, { requireAuditRecord: false });
    }
  });
});
