import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes, NaviError } from '../../../protocol/errors';
import type { PolicyRule } from '../../../protocol/policy';
import {
  judgeCommand,
  loadPolicyLayersAsync,
  RESTRICTED_MODE_REASON,
  type EffectivePolicy,
} from '../../../server/exec/policy';
import { FilePolicyLoader, type PolicyChange } from '../../../server/exec/policyLayers';
import { tempDir } from '../../fixtures/builders';
import { Fixture } from './harness';

// The policy layers from real files: org (machine file), workspace (<root>/.navi/policy.json,
// trusted only, never through a symlink out of the workspace) and user, merged strictest-first,
// cached by content and reported through onChange. Effects are shown with the real judge in a
// fake workspace (test/unit/exec/harness.ts).

function rule(
  id: string,
  effect: PolicyRule['effect'],
  match: PolicyRule['match'],
  examples: string[],
  notMatch: string[] = [],
): PolicyRule {
  return { id, justification: `Because of ${id}.`, effect, match, examples: { match: examples, notMatch } };
}

const policyText = (rules: PolicyRule[], extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ version: 1, rules, ...extra }, null, 2)}\n`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function write(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** Asserts that `promise` rejects with NaviError 41005 whose message matches every pattern. */
async function rejectsInvalid(promise: Promise<unknown>, file: string, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof NaviError, `expected a NaviError, got ${String(error)}`);
    assert.equal(error.code, ErrorCodes.InvalidPolicy);
    assert.ok(
      error.message.startsWith(`Invalid policy file ${file}: `),
      `the message names the file: ${error.message}`,
    );
    assert.equal(error.data.path, file);
    for (const p of patterns) assert.match(error.message, p);
    return true;
  });
}
const STATUS_ARGV = ['git', 'status'];
const NPM_TEST_ALLOW = rule('npm-test', 'allow', { argv: ['npm', 'test'] }, ['npm test'], ['npm test -- -u']);

describe('exec: policy layers from files', () => {
  let fx: Fixture;
  /** Outside the workspace: the org and user files, and a symlink target. */
  let outside: string;
  let orgFile: string;
  let userFile: string;
  let workspaceFile: string;

  beforeEach(() => {
    fx = new Fixture();
    outside = tempDir('navi-policy-layers-');
    orgFile = path.join(outside, 'etc', 'navi', 'policy.json');
    userFile = path.join(outside, 'config', 'navi', 'policy.json');
    workspaceFile = path.join(fx.workspace, '.navi', 'policy.json');
  });
  afterEach(() => {
    fx.dispose();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  const loader = (onChange?: (c: PolicyChange) => Promise<void>) =>
    new FilePolicyLoader({ orgFile, userFile, ...(onChange ? { onChange } : {}) });
  const verdictOf = async (command: string, policy: EffectivePolicy, trusted = true) =>
    judgeCommand(command, fx.context(policy, { trusted }));

  describe('invalid files (NaviError 41005)', () => {
    for (const layer of ['org', 'workspace', 'user'] as const) {
      it(`rejects ${layer === 'org' ? 'an' : 'a'} ${layer} file whose match example does not match, naming the file, rule and example`, async () => {
        const file = { org: orgFile, workspace: workspaceFile, user: userFile }[layer];
        write(
          file,
          policyText([
            rule('npm-test', 'allow', { argv: ['npm', 'test'] }, ['npm test', 'npm test -- --watch']),
          ]),
        );
        await rejectsInvalid(
          loader().load(fx.workspace, true),
          file,
          /rule "npm-test"/,
          /the example "npm test -- --watch" should match the rule but does not/,
        );
      });
    }

    it('rejects a file whose notMatch example matches, naming the rule and the example', async () => {
      write(
        workspaceFile,
        policyText([
          rule('no-push', 'deny', { prefix: ['git', 'push'] }, ['git push'], ['git push --dry-run']),
        ]),
      );
      await rejectsInvalid(
        loader().load(fx.workspace, true),
        workspaceFile,
        /rule "no-push": the example "git push --dry-run" should not match the rule but does/,
      );
    });

    it('rejects a file that is not JSON', async () => {
      write(userFile, '{ "version": 1, "rules": [ }');
      await rejectsInvalid(loader().load(fx.workspace, true), userFile, /not valid JSON/);
    });

    it('rejects schema errors, naming the rule and the field, with every issue in the data', async () => {
      const bad = { ...NPM_TEST_ALLOW, effect: 'permit' };
      write(workspaceFile, JSON.stringify({ version: 1, rules: [bad], colour: 'blue' }));
      const load = loader().load(fx.workspace, true);
      await rejectsInvalid(load, workspaceFile, /rule "npm-test"/, /rules\.0\.effect/, /and 1 more/);
      const error = (await load.catch((e: unknown) => e)) as NaviError;
      assert.deepEqual(error.data.issues?.map((i) => i.path).sort(), ['', 'rules.0.effect']);
    });

    it('rejects an unknown detector and a duplicate rule id', async () => {
      write(
        orgFile,
        JSON.stringify({
          version: 1,
          rules: [rule('r1', 'deny', { detector: 'netwrok' as never }, ['curl https://example.com'])],
        }),
      );
      await rejectsInvalid(loader().load(fx.workspace, true), orgFile, /rules\.0\.match\.detector/);
      write(orgFile, policyText([NPM_TEST_ALLOW, NPM_TEST_ALLOW]));
      await rejectsInvalid(loader().load(fx.workspace, true), orgFile, /duplicate rule id "npm-test"/);
    });

    it('refuses to judge until the file is fixed, then uses it', async () => {
      const l = loader();
      write(workspaceFile, '{');
      await rejectsInvalid(l.load(fx.workspace, true), workspaceFile, /not valid JSON/);
      await rejectsInvalid(l.load(fx.workspace, true), workspaceFile, /not valid JSON/);
      write(workspaceFile, policyText([NPM_TEST_ALLOW]));
      const policy = await l.load(fx.workspace, true);
      assert.equal((await verdictOf('npm test', policy)).verdict, 'allow');
    });
  });

  describe('the workspace layer', () => {
    it('is ignored in an untrusted workspace (not even read), and the verdict is a Restricted Mode deny', async () => {
      write(workspaceFile, policyText([NPM_TEST_ALLOW]));
      const l = loader();
      const trusted = await l.load(fx.workspace, true);
      assert.deepEqual(
        trusted.rules.map((r) => [r.layer, r.id]),
        [['workspace', 'npm-test']],
      );
      assert.equal((await verdictOf('npm test', trusted)).verdict, 'allow');

      const untrusted = await l.load(fx.workspace, false);
      assert.deepEqual(untrusted.rules, []);
      assert.ok(
        untrusted.notes.some((n) => /ignored in Restricted Mode/.test(n)),
        untrusted.notes.join('\n'),
      );
      const verdict = await verdictOf('npm test', untrusted, false);
      assert.equal(verdict.verdict, 'deny');
      assert.deepEqual(verdict.reasons, [RESTRICTED_MODE_REASON]);
      assert.deepEqual(
        verdict.rules.map((r) => r.id),
        ['builtin:restricted-mode'],
      );

      // Not read at all: a broken workspace file, or one that links out of the workspace, does not
      // stop an untrusted load, and no workspace layer is reported.
      const changes: PolicyChange[] = [];
      const fresh = loader(async (c) => {
        changes.push(c);
      });
      write(workspaceFile, '{ broken');
      await fresh.load(fx.workspace, false);
      fs.rmSync(workspaceFile);
      fs.symlinkSync(write(path.join(outside, 'evil.json'), policyText([NPM_TEST_ALLOW])), workspaceFile);
      await fresh.load(fx.workspace, false);
      assert.deepEqual(changes, []);
      await rejectsInvalid(fresh.load(fx.workspace, true), workspaceFile, /outside the workspace/);
    });

    it('notes the ignored file only for an untrusted workspace that has one', async () => {
      const other = new Fixture();
      try {
        write(workspaceFile, policyText([NPM_TEST_ALLOW]));
        const l = loader();
        const hasNote = (p: EffectivePolicy) => p.notes.some((n) => /ignored in Restricted Mode/.test(n));
        assert.ok(hasNote(await l.load(fx.workspace, false)));
        assert.ok(!hasNote(await l.load(other.workspace, false)), 'the other workspace has no policy file');
        assert.ok(hasNote(await l.load(fx.workspace, false)));
      } finally {
        other.dispose();
      }
    });

    it('refuses a .navi/policy.json that is a symlink to a file outside the workspace', async () => {
      const target = write(path.join(outside, 'evil', 'policy.json'), policyText([NPM_TEST_ALLOW]));
      fs.mkdirSync(path.dirname(workspaceFile), { recursive: true });
      fs.symlinkSync(target, workspaceFile);
      await rejectsInvalid(
        loader().load(fx.workspace, true),
        workspaceFile,
        /link to a file outside the workspace/,
      );
    });

    it('refuses a .navi folder that is a symlink out of the workspace', async () => {
      write(path.join(outside, 'evil', 'policy.json'), policyText([NPM_TEST_ALLOW]));
      fs.symlinkSync(path.join(outside, 'evil'), path.join(fx.workspace, '.navi'));
      await rejectsInvalid(
        loader().load(fx.workspace, true),
        workspaceFile,
        /link to a file outside the workspace/,
      );
    });

    it('reads a .navi/policy.json that links to a file inside the workspace', async () => {
      write(path.join(fx.workspace, 'config', 'navi-policy.json'), policyText([NPM_TEST_ALLOW]));
      fs.mkdirSync(path.dirname(workspaceFile), { recursive: true });
      fs.symlinkSync('../config/navi-policy.json', workspaceFile);
      const policy = await loader().load(fx.workspace, true);
      assert.deepEqual(
        policy.rules.map((r) => r.id),
        ['npm-test'],
      );
    });

    it('cannot allow by detector (a user file cannot either), while the org layer can', async () => {
      const byDetector = rule('curl-ok', 'allow', { detector: 'network' }, ['curl -sI https://example.com']);
      write(workspaceFile, policyText([byDetector]));
      await rejectsInvalid(
        loader().load(fx.workspace, true),
        workspaceFile,
        /rule "curl-ok": a workspace policy can allow only an exact argv or an argv prefix, not a whole detector/,
      );
      fs.rmSync(workspaceFile);
      write(userFile, policyText([byDetector]));
      await rejectsInvalid(loader().load(fx.workspace, true), userFile, /a user policy can allow only/);
      fs.rmSync(userFile);
      write(orgFile, policyText([byDetector]));
      const policy = await loader().load(fx.workspace, true);
      assert.equal((await verdictOf('curl -sI https://example.com', policy)).verdict, 'allow');
    });

    it('ignores "network": "allow" with a note; only the org layer can allow the network', async () => {
      write(workspaceFile, policyText([], { network: 'allow' }));
      const policy = await loader().load(fx.workspace, true);
      assert.equal(policy.network, undefined);
      assert.ok(
        policy.notes.some(
          (n) =>
            n ===
            `${workspaceFile}: "network": "allow" is honoured only in the org policy; it is ignored here.`,
        ),
        policy.notes.join('\n'),
      );
      assert.equal((await verdictOf('curl -sI https://example.com', policy)).verdict, 'ask');

      write(orgFile, policyText([], { network: 'allow' }));
      const org = await loader().load(fx.workspace, true);
      assert.equal(org.network, 'allow');
      assert.equal((await verdictOf('curl -sI https://example.com', org)).verdict, 'allow');
    });

    it('"network": "deny" from the workspace beats the org allow', async () => {
      write(orgFile, policyText([], { network: 'allow' }));
      write(workspaceFile, policyText([], { network: 'deny' }));
      const policy = await loader().load(fx.workspace, true);
      assert.equal(policy.network, 'deny');
      assert.equal((await verdictOf('curl -sI https://example.com', policy)).verdict, 'deny');
    });
  });

  describe('merging', () => {
    it('an org deny rule is not lifted by a workspace or user allow rule for the same argv', async () => {
      write(orgFile, policyText([rule('org-no-status', 'deny', { argv: STATUS_ARGV }, ['git status'])]));
      write(workspaceFile, policyText([rule('ws-status', 'allow', { argv: STATUS_ARGV }, ['git status'])]));
      write(userFile, policyText([rule('user-status', 'allow', { argv: STATUS_ARGV }, ['git status'])]));
      const policy = await loader().load(fx.workspace, true);
      assert.deepEqual(
        policy.rules.map((r) => `${r.layer}:${r.id}`),
        ['org:org-no-status', 'workspace:ws-status', 'user:user-status'],
      );
      const verdict = await verdictOf('git status', policy);
      assert.equal(verdict.verdict, 'deny');
      assert.ok(verdict.reasons.some((r) => r.startsWith('Organisation rule org-no-status denies this')));

      // The same allow rules without the org file: `git status` runs.
      fs.rmSync(orgFile);
      assert.equal((await verdictOf('git status', await loader().load(fx.workspace, true))).verdict, 'allow');
    });

    it('an org ask rule is not lifted by a workspace allow rule', async () => {
      write(
        orgFile,
        policyText([rule('org-ask-git', 'ask', { detector: 'git-state' }, ['git commit -m x'])]),
      );
      write(
        workspaceFile,
        policyText([rule('ws-commit', 'allow', { prefix: ['git', 'commit'] }, ['git commit -m x'])]),
      );
      const policy = await loader().load(fx.workspace, true);
      const verdict = await verdictOf("git commit -m 'Fix typo'", policy);
      assert.equal(verdict.verdict, 'ask');
      assert.ok(verdict.rules.some((r) => r.id === 'org-ask-git' && r.layer === 'org'));
    });

    it('loadPolicyLayers: the org deny holds whatever the order of the allow rules', async () => {
      const deny = { version: 1, rules: [rule('o', 'deny', { argv: STATUS_ARGV }, ['git status'])] };
      const allow = { version: 1, rules: [rule('a', 'allow', { prefix: ['git'] }, ['git status'])] };
      const policy = await loadPolicyLayersAsync({ org: deny, workspace: allow, user: allow, trusted: true });
      assert.equal((await verdictOf('git status', policy)).verdict, 'deny');
      assert.equal((await verdictOf('git log --oneline -3', policy)).verdict, 'allow');
    });

    it('the control plane org policy replaces the machine file while it is set', async () => {
      write(orgFile, policyText([rule('machine-deny', 'deny', { argv: STATUS_ARGV }, ['git status'])]));
      const l = loader();
      l.setOrgPolicy({
        source: 'https://navi.example.com/org/acme/policy',
        text: policyText([rule('cp-deny-log', 'deny', { prefix: ['git', 'log'] }, ['git log'])]),
      });
      const policy = await l.load(fx.workspace, true);
      assert.deepEqual(
        policy.rules.map((r) => [r.id, r.source]),
        [['cp-deny-log', 'https://navi.example.com/org/acme/policy']],
      );
      l.setOrgPolicy(undefined);
      assert.deepEqual(
        (await l.load(fx.workspace, true)).rules.map((r) => r.id),
        ['machine-deny'],
      );
    });
  });

  describe('reloading', () => {
    it('reports each changed layer once through onChange, with sha256 null after a deletion', async () => {
      const changes: PolicyChange[] = [];
      const l = loader(async (c) => {
        changes.push(c);
      });
      const texts = {
        org: policyText([rule('o', 'deny', { prefix: ['git', 'push'] }, ['git push'])]),
        workspace: policyText([NPM_TEST_ALLOW]),
        user: policyText([rule('u', 'ask', { argv: STATUS_ARGV }, ['git status'])]),
      };
      write(orgFile, texts.org);
      write(workspaceFile, texts.workspace);
      write(userFile, texts.user);

      await l.load(fx.workspace, true);
      assert.deepEqual(changes, [
        { layer: 'org', path: orgFile, sha256: sha256(texts.org), ruleIds: ['o'] },
        { layer: 'workspace', path: workspaceFile, sha256: sha256(texts.workspace), ruleIds: ['npm-test'] },
        { layer: 'user', path: userFile, sha256: sha256(texts.user), ruleIds: ['u'] },
      ]);

      changes.length = 0;
      await l.load(fx.workspace, true);
      assert.deepEqual(changes, [], 'nothing changed, nothing reported');

      const edited = policyText([
        NPM_TEST_ALLOW,
        rule('ws-lint', 'allow', { argv: ['npm', 'run', 'lint'] }, ['npm run lint']),
      ]);
      write(workspaceFile, edited);
      await l.load(fx.workspace, true);
      assert.deepEqual(changes, [
        { layer: 'workspace', path: workspaceFile, sha256: sha256(edited), ruleIds: ['npm-test', 'ws-lint'] },
      ]);

      changes.length = 0;
      fs.rmSync(userFile);
      await l.load(fx.workspace, true);
      assert.deepEqual(changes, [{ layer: 'user', path: userFile, sha256: null, ruleIds: [] }]);

      changes.length = 0;
      await l.load(fx.workspace, true);
      assert.deepEqual(changes, [], 'a file that stays deleted is not reported again');
    });

    it('does not report a layer that never existed', async () => {
      const changes: PolicyChange[] = [];
      const l = loader(async (c) => {
        changes.push(c);
      });
      await l.load(fx.workspace, true);
      await l.load(fx.workspace, true);
      assert.deepEqual(changes, []);
    });

    it('reports a change again on the next load when onChange failed (nothing is used unannounced)', async () => {
      write(workspaceFile, policyText([NPM_TEST_ALLOW]));
      let fail = true;
      const changes: PolicyChange[] = [];
      const l = loader(async (c) => {
        if (fail) throw new Error('audit log unavailable');
        changes.push(c);
      });
      await assert.rejects(l.load(fx.workspace, true), /audit log unavailable/);
      fail = false;
      const policy = await l.load(fx.workspace, true);
      assert.deepEqual(
        changes.map((c) => [c.layer, c.ruleIds]),
        [['workspace', ['npm-test']]],
      );
      assert.equal((await verdictOf('npm test', policy)).verdict, 'allow');
    });

    it('does not serve a stale policy after an edit with the same size and the same mtime', async () => {
      const denyText = policyText([rule('status-rule', 'deny', { argv: STATUS_ARGV }, ['git status'])]);
      const askText = policyText([rule('status-rule', 'ask', { argv: STATUS_ARGV }, ['git status'])]);
      // Same byte size: pad the shorter text with trailing whitespace (still valid JSON).
      const [a, b] = [denyText, askText.padEnd(denyText.length, ' ')];
      assert.equal(Buffer.byteLength(a), Buffer.byteLength(b));
      write(workspaceFile, a);
      const before = fs.statSync(workspaceFile);
      const l = loader();
      const first = await l.load(fx.workspace, true);
      assert.equal((await verdictOf('git status', first)).verdict, 'deny');

      fs.writeFileSync(workspaceFile, b);
      fs.utimesSync(workspaceFile, before.atime, before.mtime);
      const after = fs.statSync(workspaceFile);
      assert.equal(after.size, before.size);
      assert.equal(Math.floor(after.mtimeMs / 1000), Math.floor(before.mtimeMs / 1000));

      const second = await l.load(fx.workspace, true);
      assert.equal(second.rules[0]?.effect, 'ask');
      assert.equal((await verdictOf('git status', second)).verdict, 'ask');
    });

    it('serves the cached policy object while nothing changed', async () => {
      write(workspaceFile, policyText([NPM_TEST_ALLOW]));
      const l = loader();
      const first = await l.load(fx.workspace, true);
      assert.equal(await l.load(fx.workspace, true), first);
    });
  });
});
