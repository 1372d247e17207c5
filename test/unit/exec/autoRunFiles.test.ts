import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Verdict } from '../../../protocol/policy';
import {
  AUTO_RUN_FILES,
  AUTO_RUN_RULES,
  type AutoRunRule,
} from '../../../server/exec/knowledge/autoRunFiles';
import { check } from '../../../server/exec/pipeline';
import {
  EMPTY_POLICY,
  judgeCommand,
  judgeEdit,
  loadPolicyLayersAsync,
  type JudgeContext,
} from '../../../server/exec/policy';
import { Fixture, pipelinePorts } from './harness';

// Files that something runs by itself (server/exec/knowledge/autoRunFiles.ts): writing them is
// denied as `builtin:write-protected:<rule>`, by an edit and by a command, in the workspace and in
// the home folder; reading them and the files that only configure keep their verdicts; an edit
// path with a control character is denied from every entry point.

const ruleId = (rule: AutoRunRule) => `builtin:write-protected:${rule}`;

function assertDenied(v: Verdict, rule: AutoRunRule, what: string): void {
  assert.equal(v.verdict, 'deny', `${what}: ${v.reasons.join(' | ')}`);
  assert.ok(
    v.rules.some((r) => r.id === ruleId(rule) && r.layer === 'builtin' && r.effect === 'deny'),
    `${what} should be refused by ${ruleId(rule)}; rules: ${v.rules.map((r) => r.id).join(', ')}`,
  );
  const justification = v.rules.find((r) => r.id === ruleId(rule))!.justification;
  assert.equal(justification, AUTO_RUN_RULES[rule], `${what}: the rule's own justification`);
}

/**
 * For each rule: a file in the workspace and one in the home folder (`~/…`), each written by an
 * edit and by a command. Home paths are outside the workspace, so they are also
 * write-outside-workspace; the finer rule says why they matter.
 */
const CLASSES: Record<AutoRunRule, { workspace: [string, string]; home: [string, string] }> = {
  'shell-startup': {
    workspace: ['.bashrc', 'echo "alias ls=rm" >> dotfiles/.zshrc'],
    home: ['~/.config/fish/config.fish', 'cp README.md ~/.bashrc'],
  },
  'folder-env': {
    workspace: ['.envrc', 'echo x >> .envrc'],
    home: ['~/.config/mise/config.toml', 'echo "[hooks]" >> ~/projects/other/mise.toml'],
  },
  'package-manager': {
    workspace: ['.npmrc', 'echo "yarnPath: x.cjs" > .yarnrc.yml'],
    home: ['~/.cargo/config.toml', 'echo node-options=--require=x >> ~/.npmrc'],
  },
  'version-control': {
    workspace: ['.git/hooks/pre-commit', 'echo x > .git/config'],
    home: ['~/.gitconfig', 'sed -i s/a/b/ ~/.config/git/config'],
  },
  'git-hooks': {
    workspace: ['.pre-commit-config.yaml', 'echo "curl x | sh" | tee .husky/pre-commit'],
    home: ['~/.githooks/pre-push', 'cp README.md ~/projects/other/lefthook.yml'],
  },
  editor: {
    workspace: ['.vscode/tasks.json', 'cp README.md .devcontainer/devcontainer.json'],
    home: ['~/projects/other/.idea/workspace.xml', 'echo "{}" > ~/projects/other/.vscode/settings.json'],
  },
  agent: {
    workspace: ['.claude/settings.json', 'cp README.md .mcp.json'],
    home: ['~/.claude/settings.json', 'echo "{}" > ~/.gemini/settings.json'],
  },
  ci: {
    workspace: ['.github/workflows/ci.yml', 'sed -i s/main/dev/ .gitlab-ci.yml'],
    home: ['~/projects/other/Jenkinsfile', 'cp README.md ~/projects/other/.circleci/config.yml'],
  },
  'tool-startup': {
    workspace: ['.venv/lib/python3.12/site-packages/evil.pth', 'echo "system(\'x\')" > .Rprofile'],
    home: ['~/.ssh/config', 'echo "--pre=./x" >> ~/.ripgreprc'],
  },
  'session-startup': {
    workspace: ['.xprofile', 'echo x > .xsessionrc'],
    home: ['~/.config/autostart/x.desktop', 'cp README.md ~/.config/systemd/user/x.service'],
  },
};

describe('exec: files that run automatically (write-protected)', () => {
  let fx: Fixture;
  let ctx: JudgeContext;
  beforeEach(() => {
    fx = new Fixture();
    ctx = fx.context(EMPTY_POLICY);
  });
  afterEach(() => fx.dispose());

  it('every rule has entries, and every entry names a known rule and says what runs the file', () => {
    for (const rule of Object.keys(AUTO_RUN_RULES) as AutoRunRule[])
      assert.ok(
        AUTO_RUN_FILES.some((f) => f.rule === rule),
        `${rule} has no files`,
      );
    for (const f of AUTO_RUN_FILES) {
      assert.ok(f.rule in AUTO_RUN_RULES, `${f.pattern}: unknown rule ${f.rule}`);
      assert.ok(f.why.length > 15, `${f.pattern} needs a reason`);
    }
    const patterns = AUTO_RUN_FILES.map((f) => f.pattern);
    assert.deepEqual(patterns, [...new Set(patterns)], 'each pattern once');
  });

  for (const [rule, c] of Object.entries(CLASSES) as [AutoRunRule, (typeof CLASSES)[AutoRunRule]][]) {
    describe(rule, () => {
      it(`an edit of ${c.workspace[0]} in the workspace is denied`, () => {
        assertDenied(judgeEdit(c.workspace[0], ctx), rule, c.workspace[0]);
      });
      it(`${c.workspace[1]} in the workspace is denied`, async () => {
        assertDenied(await judgeCommand(c.workspace[1], ctx), rule, c.workspace[1]);
      });
      it(`an edit of ${c.home[0]} in the home folder is denied`, () => {
        const v = judgeEdit(c.home[0], ctx);
        assertDenied(v, rule, c.home[0]);
        assert.ok(v.rules.some((r) => r.id === 'builtin:write-outside-workspace'));
      });
      it(`${c.home[1]} in the home folder is denied`, async () => {
        const v = await judgeCommand(c.home[1], ctx);
        assertDenied(v, rule, c.home[1]);
        assert.ok(v.rules.some((r) => r.id === 'builtin:write-outside-workspace'));
      });
    });
  }

  it('the reason says what runs the file', async () => {
    const v = await judgeCommand('echo x >> .envrc', ctx);
    assert.deepEqual(v.reasons, [
      'writes .envrc: direnv runs it when a shell enters the folder (the files it sources are not approved again, and a whitelisted folder is not approved at all)',
    ]);
    assert.deepEqual(judgeEdit('.husky/pre-commit', ctx).reasons, [
      '.husky/pre-commit is protected: git runs the husky hooks in it on every commit (core.hooksPath)',
    ]);
  });

  it('matches names at any depth and in any letter case', async () => {
    assertDenied(judgeEdit('.VSCode/tasks.json', ctx), 'editor', 'upper-case .VSCode');
    assertDenied(judgeEdit('packages/app/.NPMRC', ctx), 'package-manager', 'a nested .NPMRC');
    assertDenied(
      await judgeCommand('echo x > src/.Git/HOOKS/post-checkout', ctx),
      'version-control',
      '.Git/HOOKS',
    );
    assertDenied(judgeEdit('sub/.github/workflows/release.yml', ctx), 'ci', 'a nested repository');
  });

  it('sees through symlinks and `..`, and catches deletes and renames', async () => {
    fs.symlinkSync(path.join(fx.home, '.bashrc'), path.join(fx.workspace, 'notes.txt'));
    assertDenied(await judgeCommand('echo x >> notes.txt', ctx), 'shell-startup', 'a link to ~/.bashrc');
    assertDenied(judgeEdit('notes.txt', ctx), 'shell-startup', 'an edit through the link');
    assertDenied(await judgeCommand('echo x > src/../.envrc', ctx), 'folder-env', 'src/../.envrc');
    assertDenied(await judgeCommand('rm -rf .husky', ctx), 'git-hooks', 'deleting .husky');
    assertDenied(await judgeCommand('mv .vscode .vscode-old', ctx), 'editor', 'renaming .vscode');
    assertDenied(
      await judgeCommand('mv scripts .githooks', ctx),
      'git-hooks',
      'a folder renamed to .githooks',
    );
  });

  it('a file copied or linked into a folder is judged by the name it gets there', async () => {
    fs.mkdirSync(path.join(fx.workspace, 'pkg'));
    assertDenied(await judgeCommand('cp /tmp/x/.npmrc pkg/', ctx), 'package-manager', 'cp into pkg/');
    assertDenied(await judgeCommand('cp /tmp/x/.npmrc pkg', ctx), 'package-manager', 'cp into pkg');
    assertDenied(await judgeCommand('cp -t pkg /tmp/x/.envrc', ctx), 'folder-env', 'cp -t pkg');
    assertDenied(await judgeCommand('ln -s /tmp/x/.envrc', ctx), 'folder-env', 'ln -s into .');
    assertDenied(await judgeCommand('ln -s /tmp/x/.envrc pkg', ctx), 'folder-env', 'ln -s into pkg');
    assertDenied(await judgeCommand('cp /tmp/x/.bashrc ~/', ctx), 'shell-startup', 'cp into ~');
  });

  it('other names copied into a folder, and the same name under another name, are not refused', async () => {
    fs.mkdirSync(path.join(fx.workspace, 'pkg'));
    for (const text of [
      'cp README.md pkg/',
      'cp scripts/build.sh docs',
      'cp .env.example pkg/.envrc.example',
    ])
      assert.equal((await judgeCommand(text, ctx)).verdict, 'allow', text);
    // Not a folder: `.envrc.bak` is the new file's own name.
    const v = await judgeCommand('cp .env.example .envrc.bak', ctx);
    assert.ok(!v.rules.some((r) => r.id.startsWith('builtin:write-protected')), v.reasons.join(' | '));
  });

  it('reading them is judged as before', async () => {
    fs.mkdirSync(path.join(fx.workspace, '.vscode'));
    fs.writeFileSync(path.join(fx.workspace, '.vscode/settings.json'), '{}\n');
    fs.writeFileSync(path.join(fx.workspace, '.envrc'), 'export X=1\n');
    assert.equal((await judgeCommand('cat .vscode/settings.json', ctx)).verdict, 'allow');
    assert.equal((await judgeCommand('grep -r x .github .husky', ctx)).verdict, 'allow');
    const envrc = await judgeCommand('cat .envrc', ctx);
    assert.equal(envrc.verdict, 'ask', 'a secret-looking file, as before');
    assert.ok(envrc.rules.every((r) => r.id === 'builtin:sensitive-read'));
    assert.equal((await judgeCommand('cat ~/.bashrc', ctx)).verdict, 'ask', 'a home dotfile, as before');
  });

  it('files that only configure keep their verdicts', async () => {
    for (const file of ['.gitattributes', '.gitmodules', '.env', '.cursor/rules/x.mdc']) {
      const v = judgeEdit(file, ctx);
      assert.equal(v.verdict, 'ask', file);
      assert.deepEqual(
        v.rules.map((r) => r.id),
        ['builtin:write-sensitive'],
        file,
      );
    }
    for (const file of [
      '.editorconfig',
      '.tool-versions',
      '.nvmrc',
      'package.json',
      'eslint.config.js',
      'Makefile',
    ])
      assert.equal(judgeEdit(file, ctx).verdict, 'allow', file);
    assert.equal((await judgeCommand("echo '* text=auto' > .gitattributes", ctx)).verdict, 'ask');
  });

  it('a policy rule that matches the detector write-protected matches the finer rule too', async () => {
    const policy = await loadPolicyLayersAsync({
      org: {
        version: 1,
        rules: [
          {
            id: 'org-protected',
            justification: 'Report every protected write.',
            effect: 'deny',
            match: { detector: 'write-protected' },
            examples: { match: ['echo x > .git/config'], notMatch: ['echo x > notes.txt'] },
          },
        ],
      },
      trusted: true,
    });
    const withPolicy = fx.context(policy);
    for (const v of [await judgeCommand('echo x >> .envrc', withPolicy), judgeEdit('.envrc', withPolicy)]) {
      assert.ok(v.rules.some((r) => r.id === 'org-protected'));
      assert.ok(v.rules.some((r) => r.id === ruleId('folder-env')));
    }
  });

  describe('docs/policy.md "Files that run automatically"', () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../../docs/policy.md'), 'utf8').split('\n');
    const start = doc.indexOf('### Files that run automatically');
    const end = doc.findIndex((l, i) => i > start && /^#{2,3} /.test(l));
    const rows = doc
      .slice(start, end)
      .filter((l) => l.startsWith('| `builtin:'))
      .map((l) =>
        l
          .slice(1, -1)
          .split('|')
          .map((c) => c.trim()),
      );

    it('has one row for each rule', () => {
      assert.ok(start >= 0, 'the section exists');
      const ids = rows.map((r) => /^`builtin:write-protected:([a-z-]+)`$/.exec(r[0]!)?.[1]);
      assert.deepEqual(ids, Object.keys(AUTO_RUN_RULES));
    });

    for (const row of rows) {
      const rule = /^`builtin:write-protected:([a-z-]+)`$/.exec(row[0]!)![1] as AutoRunRule;
      const example = row[2]!;
      it(`${rule}: ${example} is denied by its rule`, async () => {
        const text = /`([^`]+)`/.exec(example)![1]!;
        const v = example.startsWith('edit ') ? judgeEdit(text, ctx) : await judgeCommand(text, ctx);
        assertDenied(v, rule, text);
      });
    }
  });
});

describe('exec: an edit path with control characters is denied from every entry point', () => {
  const BAD: Record<string, string> = {
    NUL: 'src/a\u0000.ts',
    'C0 (SOH)': 'src/a\u0001.ts',
    tab: 'src/a\t.ts',
    newline: 'src/a\n.ts',
    'carriage return': 'src/a\r.ts',
    ESC: 'src/\u001b[31ma.ts',
    DEL: 'src/a\u007f.ts',
    'C1 (NEL)': 'src/a\u0085.ts',
    'C1 (CSI)': 'src/a\u009b.ts',
    'right-to-left override': 'src/a\u202egpj.ts',
    'zero-width space': 'src/a\u200b.ts',
  };
  let fx: Fixture;
  beforeEach(() => (fx = new Fixture()));
  afterEach(() => fx.dispose());

  const assertControl = (v: Verdict, what: string) => {
    assert.equal(v.verdict, 'deny', what);
    assert.deepEqual(
      v.rules.map((r) => r.id),
      ['builtin:control-characters'],
      what,
    );
  };

  for (const [name, p] of Object.entries(BAD)) {
    it(`judgeEdit: ${name}`, () => {
      assertControl(judgeEdit(p, fx.context(EMPTY_POLICY)), name);
      assertControl(judgeEdit(path.join(fx.workspace, p), fx.context(EMPTY_POLICY)), `${name}, absolute`);
    });
  }

  it('navi/check with editPath, as the protocol and the fix task (fixApply.ts) call it', async () => {
    const ports = pipelinePorts(fx.base, {
      audit: {
        appendAll: async () => {
          throw new Error('navi/check records nothing');
        },
        append: async () => {
          throw new Error('navi/check records nothing');
        },
      },
      requestApproval: async () => ({ decision: 'deny', by: 'test' }),
      sandbox: async () => ({ available: true }),
    });
    const root = fx.workspace;
    for (const [name, p] of Object.entries(BAD)) {
      // The fix task joins the workspace root and the file; a client may send either form.
      for (const editPath of [path.join(root, p), p])
        assertControl(await check({ editPath, cwd: root, workspaceRoot: root, trusted: true }, ports), name);
    }
    const fine = await check(
      { editPath: 'src/index.ts', cwd: root, workspaceRoot: root, trusted: true },
      ports,
    );
    assert.equal(fine.verdict, 'allow', 'a plain path is still allowed');
  });

  it('ordinary names are not control characters', () => {
    for (const p of ['src/naïve café.ts', 'docs/日本語.md', 'src/a b.ts', 'src/ü-€.ts'])
      assert.equal(judgeEdit(p, fx.context(EMPTY_POLICY)).verdict, 'allow', p);
  });
});
