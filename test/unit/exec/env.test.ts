import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  isExecCapableName,
  isSecretName,
  parseDotenv,
  scrubEnv,
  secretValues,
} from '../../../server/exec/env';
import { fakeSecrets, tempDir } from '../../fixtures/builders';

describe('exec/env', () => {
  describe('scrubEnv', () => {
    const base: NodeJS.ProcessEnv = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: '/home/dev',
      USER: 'dev',
      LANG: 'en_US.UTF-8',
      LC_ALL: 'en_US.UTF-8',
      LC_CTYPE: 'UTF-8',
      TERM: 'xterm-256color',
      TZ: 'Europe/Berlin',
      SHELL: '/bin/bash',
      TMPDIR: '/tmp',
      CI: 'true',
      NODE_ENV: 'test',
      JAVA_HOME: '/usr/lib/jvm/default',
      HTTPS_PROXY: 'http://proxy.corp:3128',
      // credentials
      GITHUB_TOKEN: fakeSecrets.githubToken(),
      GH_TOKEN: 'gho_x',
      NPM_TOKEN: fakeSecrets.npmToken(),
      AWS_ACCESS_KEY_ID: fakeSecrets.awsAccessKeyId(),
      AWS_SECRET_ACCESS_KEY: fakeSecrets.awsSecretAccessKey(),
      AWS_PROFILE: 'prod',
      STRIPE_API_KEY: fakeSecrets.stripeKey(),
      OPENAI_API_KEY: fakeSecrets.openaiKey(),
      DB_PASSWORD: 'Zq9xW8vU7tS6',
      DATABASE_URL: fakeSecrets.databaseUrl(),
      SESSION_SECRET: 'abcdef123456',
      SSH_AUTH_SOCK: '/run/user/1000/ssh-agent.sock',
      // exec-capable
      LD_PRELOAD: '/tmp/evil.so',
      LD_LIBRARY_PATH: '/tmp',
      BASH_ENV: '/tmp/evil.sh',
      ENV: '/tmp/evil.sh',
      PROMPT_COMMAND: 'curl evil',
      PS4: '$(curl evil)',
      'BASH_FUNC_ls%%': '() { curl evil; }',
      GIT_SSH_COMMAND: 'ssh -o ProxyCommand=evil',
      GIT_DIR: '/tmp/other',
      GIT_CONFIG_PARAMETERS: "'core.hooksPath=/tmp/hooks'",
      PAGER: 'evil',
      EDITOR: 'vim',
      VISUAL: 'code --wait',
      NODE_OPTIONS: '--require /tmp/evil.js',
      PYTHONSTARTUP: '/tmp/evil.py',
      PYTHONPATH: '/tmp',
      PERL5OPT: '-Mevil',
      RUBYOPT: '-revil',
      JAVA_TOOL_OPTIONS: '-javaagent:/tmp/evil.jar',
      VSCODE_GIT_ASKPASS_NODE: '/usr/share/code/code',
      ELECTRON_RUN_AS_NODE: '1',
      // unknown
      MY_APP_SETTING: 'x',
    };

    /** The variables of `base` that a command keeps. */
    const KEPT = [
      'PATH',
      'HOME',
      'USER',
      'LANG',
      'LC_ALL',
      'LC_CTYPE',
      'TERM',
      'TZ',
      'SHELL',
      'TMPDIR',
      'CI',
      'NODE_ENV',
      'JAVA_HOME',
      'HTTPS_PROXY',
    ];

    it('keeps the allowlisted basics (PATH, HOME, locale, terminal, toolchains)', () => {
      const env = scrubEnv(base);
      for (const name of KEPT) assert.equal(env[name], base[name], name);
    });

    it('drops credentials, exec-capable variables and anything not on the allowlist', () => {
      const env = scrubEnv(base);
      const kept = new Set(Object.keys(env));
      for (const name of Object.keys(base)) {
        if (KEPT.includes(name)) continue;
        assert.ok(!kept.has(name), `${name} must not pass`);
      }
      const all = JSON.stringify(env);
      assert.ok(!all.includes(fakeSecrets.githubToken()));
      assert.ok(!all.includes('evil'));
    });

    it('drops a proxy that carries a password, keeps one that does not', () => {
      const env = scrubEnv({
        HTTPS_PROXY: 'http://user:Zq9xW8vU7tS6@proxy.corp:3128',
        NO_PROXY: 'localhost',
      });
      assert.equal(env.HTTPS_PROXY, undefined);
      assert.equal(env.NO_PROXY, 'localhost');
    });

    it('keeps only absolute PATH folders outside the workspace, so a bare name never finds a repository file', () => {
      const ws = '/home/dev/app';
      const env = scrubEnv(
        { PATH: `.::bin:./node_modules/.bin:${ws}/bin:${ws}:/home/dev/.local/bin:/usr/bin:/usr/bin` },
        { workspaceRoot: ws },
      );
      assert.equal(env.PATH, '/home/dev/.local/bin:/usr/bin');
      assert.equal(
        scrubEnv({ PATH: '.:bin' }, { workspaceRoot: ws }).PATH,
        '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'nothing trusted left: the system default',
      );
    });

    it('drops exec-capable names even under an allowed prefix, and sets a PATH when there is none', () => {
      assert.deepEqual(scrubEnv({ LC_ALL: 'C', LC_PASSWORD: 'x', LD_PRELOAD: 'x' }), {
        LC_ALL: 'C',
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      });
    });

    it('tells secret names apart from look-alikes', () => {
      for (const name of [
        'GITHUB_TOKEN',
        'STRIPE_API_KEY',
        'api_key',
        'SSH_KEY',
        'DB_PASSWORD',
        'DB_PASS',
        'DB_PWD',
        'SECRET',
        'MY_SECRETS',
        'PRIVATE_KEY',
        'AUTH',
        'NPM_CONFIG__AUTH',
        'SENTRY_DSN',
        'DATABASE_URL',
        'REDIS_URL',
        'AZURE_DEVOPS_PAT',
        'GOOGLE_APPLICATION_CREDENTIALS',
      ]) {
        assert.ok(isSecretName(name), name);
      }
      for (const name of [
        'PWD',
        'OLDPWD',
        'KEYBOARD',
        'MONKEY_MODE',
        'XAUTHORITY',
        'AUTHOR',
        'TOKENIZER_PARALLELISM',
      ])
        assert.ok(!isSecretName(name), name);
      for (const name of [
        'LD_PRELOAD',
        'ld_preload',
        'DYLD_INSERT_LIBRARIES',
        'GIT_ASKPASS',
        'BASH_FUNC_x%%',
        'NODE_OPTIONS',
      ])
        assert.ok(isExecCapableName(name), name);
      assert.ok(!isExecCapableName('PATH'));
    });
  });

  describe('parseDotenv', () => {
    it('reads export, quotes, comments and multi-line values', () => {
      const text = [
        '# comment',
        'A=plain value # trailing comment',
        'export B="double \\"quoted\\""',
        "C='single # not a comment'",
        'D="line1\\nline2"',
        'E="multi',
        'line"',
        'F=',
        '  G = spaced',
      ].join('\n');
      assert.deepEqual(parseDotenv(text), [
        { key: 'A', value: 'plain value' },
        { key: 'B', value: 'double "quoted"' },
        { key: 'C', value: 'single # not a comment' },
        { key: 'D', value: 'line1\nline2' },
        { key: 'E', value: 'multi\nline' },
        { key: 'F', value: '' },
        { key: 'G', value: 'spaced' },
      ]);
    });
  });

  describe('secretValues', () => {
    let root: string;
    beforeEach(() => {
      root = tempDir('navi-env-');
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    const write = (rel: string, text: string): void => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    };

    it('collects secret-looking environment values and every real .env entry, longest first', () => {
      write('.env', 'DB_PASSWORD=Zq9xW8vU7tS6\nNODE_ENV=production\nPORT=3000\nSHORT=abc\n');
      write('.env.local', 'export SIGNING_SALT="p@ss word!"\n');
      write('apps/web/.env.production', 'NEXT_PUBLIC_THING=Qm5vdEFTZWNyZXQ\n');
      write('.env.example', 'DB_PASSWORD=changeme-example\n');
      write('node_modules/pkg/.env', 'LEAK=node-modules-value\n');
      const values = secretValues(
        {
          GITHUB_TOKEN: fakeSecrets.githubToken(),
          MY_API_KEY: 'abcdef',
          SSH_AUTH_SOCK: '/run/user/1000/agent.sock',
          ENABLE_TOKEN_CACHE: 'true',
          TOKEN_TTL: '3600',
          HTTPS_PROXY: 'http://u:Zz9yX8wV7u@proxy.corp',
          HOME: '/home/dev',
          PWD: '/home/dev/project-with-a-long-name',
        },
        root,
      );
      for (const v of [
        fakeSecrets.githubToken(),
        'abcdef',
        'http://u:Zz9yX8wV7u@proxy.corp',
        'Zq9xW8vU7tS6',
        'p@ss word!',
        encodeURIComponent('p@ss word!'),
        'Qm5vdEFTZWNyZXQ',
      ]) {
        assert.ok(values.includes(v), v);
      }
      for (const v of [
        'production',
        '3000',
        'abc',
        'true',
        '/run/user/1000/agent.sock',
        '/home/dev',
        '/home/dev/project-with-a-long-name',
        'changeme-example',
        'node-modules-value',
      ]) {
        assert.ok(!values.includes(v), v);
      }
      const lengths = values.map((v) => v.length);
      assert.deepEqual(
        lengths,
        [...lengths].sort((a, b) => b - a),
      );
    });

    it('splits multi-line values into lines', () => {
      write('.env', 'CERT="-----BEGIN CERT-----\\nMIIBszCCAVmgAwIBAgIU\\n-----END CERT-----"\n');
      const values = secretValues({}, root);
      assert.ok(values.includes('MIIBszCCAVmgAwIBAgIU'));
      assert.ok(!values.some((v) => v.includes('\n')));
    });

    it('copes with a workspace without .env files or one that is not readable', () => {
      assert.deepEqual(secretValues({}, root), []);
      assert.deepEqual(secretValues({}, path.join(root, 'missing')), []);
    });
  });
});
