/**
 * Test fixtures for the command judge: a fake home with a workspace inside it, laid out like the
 * corpus assumes (`/home/dev` is the home folder, `/home/dev/app` the trusted workspace), and
 * the `SETUP:` instructions of corpus cases (symlinks, missing folders, tainted scripts).
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as z from 'zod';
import { Effect } from '../../../protocol/policy';
import { AlwaysAllowStore } from '../../../server/exec/alwaysAllow';
import type { PipelinePorts } from '../../../server/exec/pipeline';
import { loadPolicyLayersAsync, type EffectivePolicy, type JudgeContext } from '../../../server/exec/policy';
import { FilePolicyLoader } from '../../../server/exec/policyLayers';
import { silentLogger } from '../../../server/taskContext';

export const Case = z.object({
  input: z.string(),
  kind: z.enum(['command', 'edit-path']),
  expect: Effect,
  why: z.string(),
});
export type Case = z.infer<typeof Case>;

/** Reads a case file; a missing or malformed file fails with a message that says what to do. */
export function loadCases(file: string): Case[] {
  if (!fs.existsSync(file))
    throw new Error(
      `${file} is missing. The safety corpus lives in the shared/ folder beside the repository (shared/safety/corpus.json); check it out next to this clone.`,
    );
  return z.array(Case).parse(JSON.parse(fs.readFileSync(file, 'utf8')));
}

/**
 * The workspace policy the corpus assumes: exactly `npm test` and `npm run lint` run without asking
 * (also the benchmark's, scripts/bench-verdict.mjs).
 */
export const CORPUS_WORKSPACE_POLICY: unknown = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../fixtures/safety/workspace-policy.json'), 'utf8'),
);

let corpusPolicy: EffectivePolicy | undefined;
export async function corpusPolicyLayers(): Promise<EffectivePolicy> {
  corpusPolicy ??= await loadPolicyLayersAsync({
    workspace: { path: '.navi/policy.json', text: JSON.stringify(CORPUS_WORKSPACE_POLICY) },
    trusted: true,
  });
  return corpusPolicy;
}

const FILES: Record<string, string> = {
  'app/package.json': JSON.stringify(
    {
      name: 'app',
      scripts: {
        test: 'jest',
        lint: 'eslint .',
        build: 'tsc -p .',
        pretest: 'echo preparing',
        format: 'prettier --write .',
      },
    },
    null,
    2,
  ),
  'app/src/index.ts': 'export const x = 1;\n',
  'app/src/components/Button.tsx': 'export const Button = () => null;\n',
  'app/src/script.py': 'print(1)\n',
  'app/README.md': '# app\n',
  'app/requirements.txt': 'requests==2.32.0\n',
  'app/urls.txt': 'https://example.com/a\n',
  'app/.env': 'SECRET=1\n',
  'app/.env.example': 'SECRET=\n',
  'app/scripts/build.sh': '#!/bin/sh\necho build\n',
  'app/scripts/bootstrap.sh': '#!/bin/sh\necho bootstrap\n',
  'app/node_modules/.bin/jest': '#!/bin/sh\n',
  'app/node_modules/.bin/eslint': '#!/bin/sh\n',
  'app/node_modules/.bin/tsc': '#!/bin/sh\n',
  'app/node_modules/.bin/prettier': '#!/bin/sh\n',
  'app/node_modules/.bin/sed': '#!/bin/sh\n',
  'app/.git/config':
    '[core]\n\trepositoryformatversion = 0\n[remote "origin"]\n\turl = https://github.com/acme/app.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n',
  'app/.git/HEAD': 'ref: refs/heads/main\n',
  'app/.git/hooks/pre-commit.sample': '#!/bin/sh\n',
  'app/docs/guide.md': '# guide\n',
  'app/packages/lib/package.json': JSON.stringify({ name: 'lib', scripts: { test: 'node test.js' } }),
  '.bashrc': 'export PS1=x\n',
  '.zshrc': 'export PS1=x\n',
  '.gitconfig': '[user]\n\tname = Dev\n',
  '.npmrc': '//registry.npmjs.org/:_authToken=secret\n',
  '.aws/credentials': '[default]\naws_access_key_id = AKIAEXAMPLE\n',
  '.ssh/id_rsa': '-----BEGIN OPENSSH PRIVATE KEY-----\n',
  'projects/other/README.md': '# other\n',
};

/** One fresh fake machine: `<tmp>/home/dev` (home) with the workspace at `<tmp>/home/dev/app`. */
export class Fixture {
  readonly base: string;
  readonly home: string;
  readonly workspace: string;
  readonly tainted = new Set<string>();

  constructor() {
    this.base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'navi-judge-')));
    this.home = path.join(this.base, 'home', 'dev');
    this.workspace = path.join(this.home, 'app');
    for (const [rel, content] of Object.entries(FILES)) {
      const file = path.join(this.home, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    for (const bin of ['jest', 'eslint', 'tsc', 'prettier', 'sed'])
      fs.chmodSync(path.join(this.workspace, 'node_modules/.bin', bin), 0o755);
  }

  /** Maps the corpus' absolute paths (`/home/dev/...`) into the fixture. */
  map(text: string): string {
    return text.replace(/\/home\/dev(?=\/|\b|$)/g, this.home);
  }

  /** Applies the `SETUP:` part of a case's `why`. Unknown instructions fail the test. */
  setup(why: string): void {
    const at = why.indexOf('SETUP:');
    if (at < 0) return;
    const rest = why.slice(at + 'SETUP:'.length).trim();
    // `package.json scripts.test = BODY` takes the rest of the text as the script body.
    const body = /^(\S*package\.json) scripts\.([\w:-]+) = (.+)$/s.exec(rest);
    if (body) {
      const file = path.join(this.workspace, body[1]!);
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { scripts: Record<string, string> };
      pkg.scripts[body[2]!] = body[3]!;
      fs.writeFileSync(file, JSON.stringify(pkg));
      return;
    }
    const text = rest.split(/\.\s|\.$/)[0]!.trim();
    for (const clause of text.split(/;\s*/)) {
      const link = /^(\S+)\s*->\s*(\S+)$/.exec(clause.trim());
      const missing = /^(\S+?)\/? does not exist$/.exec(clause.trim());
      const tainted = /edited (\S*package\.json) scripts\.([\w:-]+)/.exec(clause);
      if (link) {
        const from = path.join(this.workspace, link[1]!);
        const to = this.map(link[2]!).replace(/^~(?=\/|$)/, this.home);
        fs.mkdirSync(path.dirname(from), { recursive: true });
        fs.rmSync(from, { recursive: true, force: true });
        fs.symlinkSync(to, from);
      } else if (missing) {
        fs.rmSync(path.join(this.workspace, missing[1]!), { recursive: true, force: true });
      } else if (tainted) {
        this.tainted.add(`${tainted[1]}#${tainted[2]}`);
      } else {
        throw new Error(`The test harness does not understand the SETUP instruction "${clause}"`);
      }
    }
  }

  context(policy: EffectivePolicy, overrides: Partial<JudgeContext> = {}): JudgeContext {
    return {
      cwd: this.workspace,
      workspaceRoot: this.workspace,
      home: this.home,
      policy,
      trusted: true,
      sandbox: true,
      taintedScripts: this.tainted,
      ...overrides,
    };
  }

  dispose(): void {
    fs.rmSync(this.base, { recursive: true, force: true });
  }
}

/**
 * The command pipeline's real ports with their state under `<root>/state` and the home folder at
 * `<root>/home`; the test plays the audit log, the person who answers and the sandbox probe.
 */
export function pipelinePorts(
  root: string,
  own: Pick<PipelinePorts, 'audit' | 'requestApproval' | 'sandbox'>,
): PipelinePorts {
  return {
    policies: new FilePolicyLoader({}),
    alwaysAllow: new AlwaysAllowStore(path.join(root, 'state', 'always-allow.json')),
    logDir: path.join(root, 'state', 'logs'),
    approvalTimeoutMs: 60_000,
    home: path.join(root, 'home'),
    log: silentLogger,
    ...own,
  };
}
