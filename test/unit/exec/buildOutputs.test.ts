import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Effect } from '../../../protocol/policy';
import { judgeCommand } from '../../../server/exec/policy';
import { corpusPolicyLayers, Fixture } from './harness';

// A forced recursive delete of a build output or cache in the workspace asks (`destructive`,
// medium risk): it loses nothing a person wrote. node_modules is one — deleting the whole folder
// deletes what `npm ci` makes again — but what is inside it stays protected. The workspace folder,
// .git, the home folder, anything outside (also through a symlink), a folder holding a git
// repository and every name `*` matches in the workspace folder stay denied.

interface Row {
  text: string;
  verdict: Effect;
  /** Part of a reason the verdict must give. */
  reason?: string;
  /** Folders (ending in `/`), files, and `link -> target` to create in the workspace first. */
  setup?: string[];
}

const ASK: Row[] = [
  ...[
    'node_modules',
    'dist',
    'build',
    'out',
    'target',
    'coverage',
    '.cache',
    '.next',
    '.nuxt',
    '__pycache__',
    '.pytest_cache',
    '.turbo',
    '.parcel-cache',
    '.tox',
    'app.egg-info',
  ].map((name): Row => ({ text: `rm -rf ${name}`, verdict: 'ask', setup: [`${name}/x`] })),
  { text: 'rm -rf ./node_modules/', verdict: 'ask' },
  { text: 'rm -rf src/../node_modules', verdict: 'ask' },
  { text: 'rm -r -f -- node_modules', verdict: 'ask' },
  { text: 'rm -rf packages/lib/node_modules', verdict: 'ask', setup: ['packages/lib/node_modules/x/'] },
  { text: 'cd packages/lib && rm -rf node_modules dist', verdict: 'ask' },
  { text: 'rm -rf node_modules/.cache', verdict: 'ask', setup: ['node_modules/.cache/babel/'] },
  { text: 'rm -rf packages/*/dist', verdict: 'ask', setup: ['packages/lib/dist/', 'packages/ui/dist/'] },
  {
    text: 'rm -rf node_modules package-lock.json && npm install',
    verdict: 'ask',
    reason: 'rm deletes files',
  },
  { text: 'find node_modules -delete', verdict: 'ask' },
  { text: 'find . -name __pycache__ -type d -prune -exec rm -rf {} +', verdict: 'ask', reason: 'find -exec' },
  // A link named like a build output that points into the workspace: a person sees what it is.
  { text: 'rm -rf dist', verdict: 'ask', setup: ['dist -> node_modules'] },
];

const DENY: Row[] = [
  { text: 'rm -rf .', verdict: 'deny', reason: 'the whole workspace folder' },
  { text: 'rm -rf dist/..', verdict: 'deny', reason: 'the whole workspace folder' },
  { text: 'rm -rf .git', verdict: 'deny', reason: 'deletes .git' },
  { text: 'rm -rf ~', verdict: 'deny', reason: 'outside the workspace' },
  { text: 'rm -rf ../app/../other/dist', verdict: 'deny', reason: 'outside the workspace' },
  { text: 'rm -rf *', verdict: 'deny', reason: 'every file and folder of the workspace folder' },
  { text: 'rm -rf ./*', verdict: 'deny', reason: 'every file and folder of the workspace folder' },
  { text: 'rm -rf $HOME/app/*', verdict: 'deny', reason: 'every file and folder of the workspace folder' },
  // Writing into node_modules stays protected: the code an allowed `npm test` runs.
  { text: 'rm -rf node_modules/jest', verdict: 'deny', reason: 'installed dependencies' },
  { text: 'rm -rf node_modules/.bin', verdict: 'deny', reason: 'installed dependencies' },
  {
    text: 'rm -rf node_modules/*',
    verdict: 'deny',
    setup: ['node_modules/jest/'],
    reason: 'installed dependencies',
  },
  { text: 'rm -rf node_modules/.cache/../.bin', verdict: 'deny', reason: 'node_modules/.bin' },
  { text: 'rm -rf node_modules/a/node_modules/.cache', verdict: 'deny', reason: 'installed dependencies' },
  { text: "find node_modules -name '*.js' -delete", verdict: 'deny', reason: 'installed dependencies' },
  { text: 'touch node_modules', verdict: 'deny', reason: 'installed dependencies' },
  // A build-output name does not make where it points a build output.
  { text: 'rm -rf dist', verdict: 'deny', setup: ['dist -> ~'], reason: 'a symlink points outside' },
  {
    text: 'rm -rf dist/',
    verdict: 'deny',
    setup: ['dist -> ~/projects/other'],
    reason: 'outside the workspace',
  },
  {
    text: 'rm -rf node_modules',
    verdict: 'deny',
    setup: ['node_modules -> ~/projects/other'],
    reason: 'outside',
  },
  { text: 'rm -rf dist', verdict: 'deny', setup: ['dist -> .'], reason: 'the whole workspace folder' },
  {
    text: 'rm -rf node_modules',
    verdict: 'deny',
    setup: ['node_modules -> src'],
    reason: 'installed dependencies',
  },
  { text: 'rm -rf dist', verdict: 'deny', setup: ['dist -> .git'], reason: "git's own files" },
  // A folder that holds a git repository: commits and changes no build makes again.
  { text: 'rm -rf build', verdict: 'deny', setup: ['build/.git/'], reason: 'holds a git repository' },
  {
    text: 'rm -rf node_modules',
    verdict: 'deny',
    setup: ['node_modules/lib/.git/'],
    reason: 'git repository',
  },
  {
    text: 'rm -rf node_modules/',
    verdict: 'deny',
    setup: ['node_modules/@acme/ui/.git/'],
    reason: 'git repository',
  },
];

function setUp(fx: Fixture, entries: readonly string[]): void {
  for (const entry of entries) {
    const link = /^(\S+) -> (\S+)$/.exec(entry);
    const at = path.join(fx.workspace, link ? link[1]! : entry);
    fs.rmSync(at, { recursive: true, force: true });
    if (link) fs.symlinkSync(link[2]!.replace(/^~(?=\/|$)/, fx.home), at);
    else if (entry.endsWith('/')) fs.mkdirSync(at, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(at), { recursive: true });
      fs.writeFileSync(at, 'x\n');
    }
  }
}

describe('exec: deleting build outputs and caches', () => {
  it('docs/policy.md shows only commands checked here, with their verdicts', () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../../docs/policy.md'), 'utf8');
    const at = doc.indexOf('### Build outputs and caches: ask, not deny');
    const section = doc.slice(at, doc.indexOf('\n### ', at + 1));
    const rows = section.split('\n').filter((l) => /^\| `/.test(l));
    assert.ok(rows.length >= 5, 'the section has no table of examples');
    for (const row of rows) {
      const [command, verdict] = row
        .split('|')
        .slice(1, 3)
        .map((c) => c.trim());
      const text = /^`([^`]+)`/.exec(command!)![1]!;
      assert.ok(
        [...ASK, ...DENY].some((r) => r.text === text && r.verdict === verdict),
        `docs/policy.md: ${text} → ${verdict} is not checked by this test`,
      );
    }
  });

  for (const row of [...ASK, ...DENY]) {
    const setup = row.setup ? ` (${row.setup.join(', ')})` : '';
    it(`${row.verdict.padEnd(4)} ${row.text}${setup}`, async () => {
      const fx = new Fixture();
      try {
        setUp(fx, row.setup ?? []);
        const v = await judgeCommand(
          row.text.replace(/\$HOME/g, fx.home),
          fx.context(await corpusPolicyLayers()),
        );
        const why = `${v.verdict}: ${v.reasons.join(' / ')}`;
        assert.equal(v.verdict, row.verdict, why);
        if (row.verdict === 'ask' && !row.reason) {
          // Only the delete asks, at medium risk: nothing denied, no stricter detector.
          assert.equal(v.risk, 'medium', why);
          assert.ok(
            v.rules.some((r) => r.id === 'builtin:destructive'),
            why,
          );
        }
        if (row.reason)
          assert.ok(
            v.reasons.some((r) => r.includes(row.reason!)),
            `no reason mentions "${row.reason}": ${why}`,
          );
      } finally {
        fx.dispose();
      }
    });
  }
});
