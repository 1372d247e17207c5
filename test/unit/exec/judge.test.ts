import assert from 'node:assert/strict';
import { judgeCommand, judgeEdit, loadPolicyLayersAsync } from '../../../server/exec/policy';
import { corpusPolicyLayers, Fixture } from './harness';

// How policy layers, the sandbox and network use shape a verdict (beyond the case files).

describe('exec: judge', () => {
  let fx: Fixture;
  beforeEach(() => (fx = new Fixture()));
  afterEach(() => fx.dispose());

  it('without the OS sandbox, reading git commands still run; changing ones ask', async () => {
    const ctx = fx.context(await corpusPolicyLayers(), { sandbox: false });
    for (const c of ['git status', 'git log --oneline -5', 'git diff HEAD~1 -- src'])
      assert.equal((await judgeCommand(c, ctx)).verdict, 'allow', c);
    for (const c of ['git commit -m wip', 'git checkout -b x', 'git log --output=out.txt']) {
      const v = await judgeCommand(c, ctx);
      assert.equal(v.verdict, 'ask', c);
      assert.ok(
        v.rules.some((r) => r.id === 'builtin:no-sandbox'),
        c,
      );
    }
  });

  it("a workspace allow rule vouches for the project's tools, never for high-risk steps", async () => {
    const rule = (id: string, argv: string[]) => ({
      id,
      justification: 'the repository says so',
      effect: 'allow',
      match: { argv },
      examples: { match: [argv.join(' ')], notMatch: [] },
    });
    const layers = (layer: 'workspace' | 'user') =>
      loadPolicyLayersAsync({
        [layer]: {
          path: `${layer}.json`,
          text: JSON.stringify({
            version: 1,
            rules: [
              rule('tool', ['scripts/build.sh', '--fast']),
              rule('fetch', ['curl', '-s', 'https://example.com']),
            ],
          }),
        },
        trusted: true,
      });
    const workspace = fx.context(await layers('workspace'));
    const user = fx.context(await layers('user'));
    assert.equal((await judgeCommand('scripts/build.sh --fast', workspace)).verdict, 'allow');
    const fetch = await judgeCommand('curl -s https://example.com', workspace);
    assert.equal(fetch.verdict, 'ask', 'the repository cannot allow network use');
    assert.ok(fetch.rules.some((r) => r.id === 'builtin:network'));
    assert.equal(
      (await judgeCommand('curl -s https://example.com', user)).verdict,
      'allow',
      "the user's own rule can",
    );
  });

  it('says when a command uses the network, so the sandbox gives it the network it was approved for', async () => {
    const ctx = fx.context(await corpusPolicyLayers());
    assert.equal((await judgeCommand('curl -sI https://example.com', ctx)).network, true);
    assert.equal((await judgeCommand('ls -la && git fetch origin', ctx)).network, true);
    assert.equal((await judgeCommand('npm test', ctx)).network, false);
    assert.equal((await judgeCommand('cat README.md | head -5', ctx)).network, false);
  });

  it('judges a relative edit path from the working directory', async () => {
    const policy = await corpusPolicyLayers();
    const inSrc = fx.context(policy, { cwd: `${fx.workspace}/src` });
    assert.equal(judgeEdit('../.git/config', inSrc).verdict, 'deny', 'src/../.git/config is .git/config');
    assert.equal(
      judgeEdit('../.env', inSrc).verdict,
      'ask',
      'the workspace .env (asks), not a file beside the workspace (would be denied)',
    );
    assert.equal(judgeEdit('index.ts', inSrc).verdict, 'allow');
    assert.equal(judgeEdit('../../outside.txt', inSrc).verdict, 'deny', 'outside the workspace');
  });
});
